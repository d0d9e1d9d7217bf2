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
        (e, frac, dist, px, py), bound = index.query(x, y)
        # points the k nearest samples could not settle: every segment near enough
        rest = np.flatnonzero(~np.isfinite(dist))
        if len(rest):
            radius = np.minimum(bound[rest], float(max_snap_m))
            e[rest] = index.settle(x[rest], y[rest], radius)[0]
            frac[rest], dist[rest], px[rest], py[rest] = _on_edge(
                network, e[rest], x[rest], y[rest]
            )
        ok = np.flatnonzero(dist <= max_snap_m)
        edge[ok], fraction[ok], access[ok], sx[ok], sy[ok] = (
            e[ok],
            frac[ok],
            dist[ok],
            px[ok],
            py[ok],
        )
    offset = np.where(edge >= 0, fraction * network.edge_length_m[np.maximum(edge, 0)], np.nan)
    return Snapped(edge, fraction, offset, access, sx, sy)


def _on_edge(network, edges: np.ndarray, x: np.ndarray, y: np.ndarray):
    """``(fraction, distance_m, snapped_x, snapped_y)`` of points (EPSG:25832) on given
    edges, measured by GEOS along the whole edge geometry."""
    points = shapely.points(x, y)
    geoms = network.edge_geometry[edges]
    fr = shapely.line_locate_point(geoms, points, normalized=True)
    snapped = shapely.line_interpolate_point(geoms, fr, normalized=True)
    dist = shapely.distance(geoms, points)
    return np.clip(fr, 0.0, 1.0), dist, shapely.get_x(snapped), shapely.get_y(snapped)


class SegmentIndex:
    """Exact nearest-segment search over the allowed edges (EPSG:25832).

    Every straight segment of every edge geometry is sampled every ``spacing_m`` metres
    into a KD-tree. For a query point the segments of its ``k`` nearest samples are
    candidates; the nearest of them is provably the nearest overall when the ``k``-th
    sample lies farther than that distance plus half the spacing. Otherwise the point is
    *unsure* and :meth:`settle` takes as candidates the segments of every sample within
    that distance plus half the spacing (which holds the nearest segment's closest sample).
    Built once per network and edge mask (:func:`segment_index`); segment vectors and
    squared lengths are kept so a query only projects.
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
        self.dx, self.dy = self.x1 - self.x0, self.y1 - self.y0
        self.ll = self.dx * self.dx + self.dy * self.dy
        self.ll_safe = np.where(self.ll > 0, self.ll, 1.0)
        seg_len = np.hypot(self.dx, self.dy)
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

    def _project(self, x: np.ndarray, y: np.ndarray, seg: np.ndarray):
        """Nearest of the candidate segments ``seg`` (n × m) of each point: ``(segment,
        t along it, distance_m, snapped_x, snapped_y)``."""
        x0, y0, dx, dy = self.x0[seg], self.y0[seg], self.dx[seg], self.dy[seg]
        ll = self.ll[seg]
        t = np.where(
            ll > 0, ((x[:, None] - x0) * dx + (y[:, None] - y0) * dy) / self.ll_safe[seg], 0.0
        )
        np.clip(t, 0.0, 1.0, out=t)
        px, py = x0 + t * dx, y0 + t * dy
        dist = np.hypot(x[:, None] - px, y[:, None] - py)
        best = np.argmin(dist, axis=1)
        rows = np.arange(len(x))
        return seg[rows, best], t[rows, best], dist[rows, best], px[rows, best], py[rows, best]

    def _result(self, s, tb, d, px, py):
        frac = self.f0[s] + tb * (self.f1[s] - self.f0[s])
        return self.seg_edge[s], np.clip(frac, 0.0, 1.0), d, px, py

    def nearest(self, x: np.ndarray, y: np.ndarray):
        """``(edge, fraction, distance_m, snapped_x, snapped_y)`` for each point; unsure
        points have distance ``inf``."""
        found, _ = self.query(x, y)
        return found

    def query(self, x: np.ndarray, y: np.ndarray):
        """:meth:`nearest` and, per point, the distance to its nearest candidate: an upper
        bound of the true distance, which :meth:`settle` needs for the unsure points."""
        d_k, i_k = self.tree.query(np.column_stack([x, y]), k=self.k)
        d_k = d_k.reshape(len(x), self.k)
        i_k = i_k.reshape(len(x), self.k)
        s, tb, d, px, py = self._project(x, y, self.sample_seg[i_k])
        sure = d_k[:, -1] >= d + self.half_gap
        return self._result(s, tb, np.where(sure, d, np.inf), px, py), d

    def settle(self, x: np.ndarray, y: np.ndarray, bound_m: np.ndarray):
        """:meth:`nearest` for points whose nearest segment lies within ``bound_m``
        (metres, per point): every segment with a sample within ``bound_m`` plus half the
        spacing is a candidate (exact)."""
        if len(x) == 0:
            empty = np.empty(0)
            return np.empty(0, np.int64), empty, empty, empty, empty
        near = self.tree.query_ball_point(
            np.column_stack([x, y]), bound_m + self.half_gap, return_sorted=True
        )
        width = max(1, max(len(v) for v in near))
        idx = np.full((len(x), width), -1, dtype=np.int64)
        for row, hits in enumerate(near):
            idx[row, : len(hits)] = hits
            idx[row, len(hits) :] = hits[0] if hits else 0
        s, tb, d, px, py = self._project(x, y, self.sample_seg[idx])
        return self._result(s, tb, d, px, py)


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
