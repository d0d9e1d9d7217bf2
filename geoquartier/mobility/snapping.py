"""Snapping points to the nearest point on a walk network edge (not the nearest node).

Works in EPSG:25832 (metres). A point farther than ``max_snap_m`` from every usable edge
is *off-network*: it gets edge ``-1`` and NaN distances instead of a far-away attachment.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
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

    def take(self, index) -> Snapped:
        """The subset at ``index`` (positions or boolean mask)."""
        return Snapped(
            *(
                getattr(self, f)[index]
                for f in ("edge", "fraction", "offset_m", "access_m", "x", "y")
            )
        )

    def __len__(self) -> int:
        return len(self.edge)


def edge_tree(network, allowed: np.ndarray):
    """STRtree over the allowed edges (cached on the network per mask) and their positions."""
    key = ("tree", allowed.tobytes() if not allowed.all() else "all")

    def build():
        positions = np.flatnonzero(allowed)
        return shapely.STRtree(network.edge_geometry[positions]), positions

    return network._cached(key, build)


SNAP_MEMO_SIZE = 16
"""Snapping results each network keeps (the same homes are snapped for every profile,
category run and scenario comparison); the oldest is dropped first."""


def snap_points(
    network,
    x: np.ndarray,
    y: np.ndarray,
    allowed: np.ndarray | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Snapped:
    """Snap points (EPSG:25832 coordinates, metres) to the nearest allowed edge.

    ``allowed`` is a boolean mask over the edges (default: all). Returns :class:`Snapped`
    (shared with later calls for the same points: do not modify its arrays). The last
    :data:`SNAP_MEMO_SIZE` results per network are kept (oldest out first), keyed by the
    points' coordinates, the mask and ``max_snap_m``.
    """
    if max_snap_m is None or not max_snap_m > 0:
        raise ValueError("max_snap_m must be a positive number of metres")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if allowed is None:
        allowed = np.ones(network.n_edges, dtype=bool)
    memo = network._cached("snap_memo", OrderedDict)
    digest = hashlib.blake2b(x.tobytes(), digest_size=16)
    digest.update(y.tobytes())
    digest.update(np.packbits(allowed).tobytes())
    key = (digest.hexdigest(), len(x), float(max_snap_m))
    hit = memo.get(key)
    if hit is not None:
        return hit
    snapped = memo[key] = _snap(network, x, y, allowed, max_snap_m)
    while len(memo) > SNAP_MEMO_SIZE:
        try:
            memo.popitem(last=False)
        except KeyError:  # another thread emptied it first
            break
    return snapped


def _snap(network, x: np.ndarray, y: np.ndarray, allowed: np.ndarray, max_snap_m) -> Snapped:
    n = len(x)
    edge = np.full(n, -1, dtype=np.int64)
    fraction = np.full(n, np.nan)
    access = np.full(n, np.nan)
    sx = np.full(n, np.nan)
    sy = np.full(n, np.nan)
    if n and allowed.any():
        index = segment_index(network, allowed)
        e, frac, dist, px, py = index.nearest(x, y)
        # points the candidate search could not settle exactly go through the STRtree
        unsure = ~np.isfinite(dist)
        ok = np.flatnonzero(~unsure & (dist <= max_snap_m))
        edge[ok], fraction[ok], access[ok], sx[ok], sy[ok] = (
            e[ok],
            frac[ok],
            dist[ok],
            px[ok],
            py[ok],
        )
        rest = np.flatnonzero(unsure)
        if len(rest):
            tree, positions = edge_tree(network, allowed)
            points = shapely.points(x[rest], y[rest])
            (src, hit), d = tree.query_nearest(
                points, max_distance=float(max_snap_m), return_distance=True, all_matches=False
            )
            ee = positions[hit]
            geoms = network.edge_geometry[ee]
            fr = shapely.line_locate_point(geoms, points[src], normalized=True)
            snapped = shapely.line_interpolate_point(geoms, fr, normalized=True)
            idx = rest[src]
            edge[idx] = ee
            fraction[idx] = np.clip(fr, 0.0, 1.0)
            access[idx] = d
            sx[idx] = shapely.get_x(snapped)
            sy[idx] = shapely.get_y(snapped)
    offset = np.where(edge >= 0, fraction * network.edge_length_m[np.maximum(edge, 0)], np.nan)
    return Snapped(edge, fraction, offset, access, sx, sy)


class SegmentIndex:
    """Exact nearest-segment search over the allowed edges (EPSG:25832).

    Every straight segment of every edge geometry is sampled every ``spacing_m`` metres
    into a KD-tree. For a query point the segments of its ``k`` nearest samples are
    candidates; the nearest of them is provably the nearest overall when the ``k``-th
    sample lies farther than that distance plus half the spacing. Otherwise the result is
    marked unsure (distance ``inf``) and the caller falls back to an STRtree.
    """

    def __init__(self, network, allowed: np.ndarray, spacing_m: float = 10.0, k: int = 12):
        from scipy.spatial import cKDTree

        coords, offsets, cumfrac = network.edge_vertex_arrays()
        edges = np.flatnonzero(allowed)
        nv = offsets[edges + 1] - offsets[edges]
        start = np.repeat(offsets[edges], nv - 1) + (
            np.arange((nv - 1).sum()) - np.repeat(np.cumsum(nv - 1) - (nv - 1), nv - 1)
        )
        self.seg_edge = np.repeat(edges, nv - 1)
        self.x0, self.y0 = coords[start, 0], coords[start, 1]
        self.x1, self.y1 = coords[start + 1, 0], coords[start + 1, 1]
        self.f0, self.f1 = cumfrac[start], cumfrac[start + 1]
        seg_len = np.hypot(self.x1 - self.x0, self.y1 - self.y0)
        count = np.maximum(np.ceil(seg_len / spacing_m).astype(np.int64), 1) + 1
        seg = np.repeat(np.arange(len(seg_len)), count)
        t = (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)) / np.repeat(
            count - 1, count
        )
        sx = self.x0[seg] + t * (self.x1[seg] - self.x0[seg])
        sy = self.y0[seg] + t * (self.y1[seg] - self.y0[seg])
        self.sample_seg = seg
        self.tree = cKDTree(np.column_stack([sx, sy]))
        self.half_gap = float(np.max(seg_len / (count - 1))) / 2.0 if len(seg_len) else 0.0
        self.k = int(min(k, len(sx)))

    def nearest(self, x: np.ndarray, y: np.ndarray):
        """``(edge, fraction, distance_m, snapped_x, snapped_y)`` for each point; unsure
        points have distance ``inf``."""
        d_k, i_k = self.tree.query(np.column_stack([x, y]), k=self.k)
        d_k = d_k.reshape(len(x), self.k)
        i_k = i_k.reshape(len(x), self.k)
        seg = self.sample_seg[i_k]  # (n, k)
        x0, y0, x1, y1 = self.x0[seg], self.y0[seg], self.x1[seg], self.y1[seg]
        dx, dy = x1 - x0, y1 - y0
        ll = dx * dx + dy * dy
        t = np.where(
            ll > 0,
            ((x[:, None] - x0) * dx + (y[:, None] - y0) * dy) / np.where(ll > 0, ll, 1.0),
            0.0,
        )
        t = np.clip(t, 0.0, 1.0)
        px, py = x0 + t * dx, y0 + t * dy
        dist = np.hypot(x[:, None] - px, y[:, None] - py)
        best = np.argmin(dist, axis=1)
        rows = np.arange(len(x))
        d = dist[rows, best]
        s = seg[rows, best]
        tb = t[rows, best]
        frac = self.f0[s] + tb * (self.f1[s] - self.f0[s])
        sure = d_k[:, -1] >= d + self.half_gap
        d = np.where(sure, d, np.inf)
        return self.seg_edge[s], np.clip(frac, 0.0, 1.0), d, px[rows, best], py[rows, best]


def segment_index(network, allowed: np.ndarray) -> SegmentIndex:
    """The (cached) :class:`SegmentIndex` of the allowed edges."""
    key = ("segments", allowed.tobytes() if not allowed.all() else "all")
    return network._cached(key, lambda: SegmentIndex(network, allowed))


def node_snaps(network, allowed: np.ndarray) -> Snapped:
    """Every node as a point on one of its allowed edges (fraction 0 or 1, no access leg);
    nodes touching no allowed edge are off-network."""

    def build():
        e = np.flatnonzero(allowed)
        nodes = np.concatenate([network.edge_u[e], network.edge_v[e]])
        edges = np.concatenate([e, e])
        fracs = np.concatenate([np.zeros(len(e)), np.ones(len(e))])
        first_nodes, first = np.unique(nodes, return_index=True)
        n = network.n_nodes
        edge = np.full(n, -1, dtype=np.int64)
        fraction = np.full(n, np.nan)
        edge[first_nodes] = edges[first]
        fraction[first_nodes] = fracs[first]
        on = edge >= 0
        offset = np.where(on, fraction * network.edge_length_m[np.maximum(edge, 0)], np.nan)
        access = np.where(on, 0.0, np.nan)
        return Snapped(
            edge,
            fraction,
            offset,
            access,
            np.where(on, network.node_x, np.nan),
            np.where(on, network.node_y, np.nan),
        )

    key = ("node_snaps", allowed.tobytes() if not allowed.all() else "all")
    return network._cached(key, build)
