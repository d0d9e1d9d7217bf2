"""Snapping points to the nearest point on a walk network edge (not the nearest node).

Works in EPSG:25832 (metres). A point farther than ``max_snap_m`` from every usable edge
is *off-network*: it gets edge ``-1`` and NaN distances instead of a far-away attachment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

DEFAULT_MAX_SNAP_M = 300.0
"""Default largest distance (metres) between a point and the edge it snaps to."""


@dataclass
class Snapped:
    """Where points meet the network (arrays of equal length, EPSG:25832).

    ``edge`` is the edge position (-1 off-network), ``fraction`` the position along the
    edge geometry (0 at ``u``, 1 at ``v``), ``offset_m`` the network distance from ``u``
    (fraction × edge length), ``access_m`` the straight access leg from the point to the
    edge (metres), ``x``/``y`` the snapped point.
    """

    edge: np.ndarray
    fraction: np.ndarray
    offset_m: np.ndarray
    access_m: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def off_network(self) -> np.ndarray:
        """True where the point is farther than the maximum snap distance from the network."""
        return self.edge < 0

    def take(self, index) -> "Snapped":
        """The subset at ``index`` (positions or boolean mask)."""
        return Snapped(*(getattr(self, f)[index] for f in ("edge", "fraction", "offset_m", "access_m", "x", "y")))

    def __len__(self) -> int:
        return len(self.edge)


def edge_tree(network, allowed: np.ndarray):
    """STRtree over the allowed edges (cached on the network per mask) and their positions."""
    key = ("tree", allowed.tobytes() if not allowed.all() else "all")

    def build():
        positions = np.flatnonzero(allowed)
        return shapely.STRtree(network.edge_geometry[positions]), positions

    return network._cached(key, build)


def snap_points(network, x: np.ndarray, y: np.ndarray, allowed: np.ndarray | None = None,
                max_snap_m: float = DEFAULT_MAX_SNAP_M) -> Snapped:
    """Snap points (EPSG:25832 coordinates, metres) to the nearest allowed edge.

    ``allowed`` is a boolean mask over the edges (default: all). Returns :class:`Snapped`.
    """
    if max_snap_m is None or not max_snap_m > 0:
        raise ValueError("max_snap_m must be a positive number of metres")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    if allowed is None:
        allowed = np.ones(network.n_edges, dtype=bool)
    edge = np.full(n, -1, dtype=np.int64)
    fraction = np.full(n, np.nan)
    access = np.full(n, np.nan)
    sx = np.full(n, np.nan)
    sy = np.full(n, np.nan)
    if n and allowed.any():
        tree, positions = edge_tree(network, allowed)
        points = shapely.points(x, y)
        (src, hit), dist = tree.query_nearest(points, max_distance=float(max_snap_m),
                                               return_distance=True, all_matches=False)
        e = positions[hit]
        geoms = network.edge_geometry[e]
        frac = shapely.line_locate_point(geoms, points[src], normalized=True)
        snapped = shapely.line_interpolate_point(geoms, frac, normalized=True)
        edge[src] = e
        fraction[src] = np.clip(frac, 0.0, 1.0)
        access[src] = dist
        sx[src] = shapely.get_x(snapped)
        sy[src] = shapely.get_y(snapped)
    offset = np.where(edge >= 0, fraction * network.edge_length_m[np.maximum(edge, 0)], np.nan)
    return Snapped(edge, fraction, offset, access, sx, sy)
