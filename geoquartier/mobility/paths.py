"""Shortest paths on the walk network: CSR graph per profile and multi-source searches.

The routable graph of a profile is a CSR matrix over the nodes holding, for every
ordered node pair, the *shortest* allowed edge between them (a CSR built naively from an
edge list would add parallel edges up). Zero-length edges get a weight of
:data:`EPSILON_M` so that they do not vanish from the sparse matrix.

Sources that lie on edges (snapped facilities, homes) are virtual nodes appended to the
matrix, each joined to both ends of its edge with the partial-edge distance plus its
access leg. One :func:`scipy.sparse.csgraph.dijkstra` run from all of them gives every
node's distance to the nearest source and which source that is; a point on an edge then
takes the better of its two ends (or a source on the same edge). Results are exact, not
node-snapped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geoquartier.mobility.profiles import Profile
from geoquartier.mobility.snapping import Snapped

EPSILON_M = 1e-9
"""Weight (metres) given to zero-length edges so that the sparse matrix keeps them."""


@dataclass
class ProfileGraph:
    """The routable graph of one profile on one network (CSR over the nodes)."""

    network: object
    allowed: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    csr_edge: np.ndarray  # physical edge behind each CSR entry

    @property
    def n(self) -> int:
        return self.network.n_nodes

    def matrix(self) -> csr_matrix:
        """The CSR matrix over the nodes only (weights in metres)."""
        return csr_matrix((self.data, self.indices, self.indptr), shape=(self.n, self.n))


def profile_graph(network, profile: Profile) -> ProfileGraph:
    """The (cached) :class:`ProfileGraph` of ``profile`` on ``network``."""

    def build():
        allowed = profile.allowed_edges(network)
        u, v, length = network.edge_u, network.edge_v, network.edge_length_m
        e = np.flatnonzero(allowed & (u != v))
        rows = np.concatenate([u[e], v[e]]).astype(np.int64)
        cols = np.concatenate([v[e], u[e]]).astype(np.int64)
        w = np.maximum(np.concatenate([length[e], length[e]]), EPSILON_M)
        edge = np.concatenate([e, e])
        order = np.lexsort((w, cols, rows))
        rows, cols, w, edge = rows[order], cols[order], w[order], edge[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, w, edge = rows[first], cols[first], w[first], edge[first]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=network.n_nodes))])
        return ProfileGraph(
            network, allowed, indptr.astype(np.int64), cols.astype(np.int32), w, edge
        )

    return network._cached(("graph", profile.cache_key()), build)


def seeded_matrix(pg: ProfileGraph, seeds: Snapped) -> csr_matrix:
    """CSR matrix with one virtual node per seed (rows ``n..n+len(seeds)-1``)."""
    net = pg.network
    n, f = pg.n, len(seeds)
    a = net.edge_u[seeds.edge]
    b = net.edge_v[seeds.edge]
    length = net.edge_length_m[seeds.edge]
    wa = seeds.access_m + seeds.offset_m
    wb = seeds.access_m + (length - seeds.offset_m)
    loop = a == b
    cols = np.column_stack([a, b]).astype(np.int32)
    w = np.column_stack([np.where(loop, np.minimum(wa, wb), wa), wb])
    keep = np.column_stack([np.ones(f, dtype=bool), ~loop])
    counts = keep.sum(axis=1)
    indptr = np.concatenate([pg.indptr, pg.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([pg.indices, cols[keep]])
    data = np.concatenate([pg.data, np.maximum(w[keep], EPSILON_M)])
    return csr_matrix((data, indices, indptr), shape=(n + f, n + f))


@dataclass
class Search:
    """Result of a multi-source search over the nodes (distances in metres).

    With ``min_only``: ``dist`` (n,), ``source`` (n,) seed position (-1 unreached) and
    ``pred`` (n,) predecessor node (``>= n`` means the seed ``pred - n``, < 0 none).
    Otherwise ``dist`` is (seeds, n) and ``source``/``pred`` are ``None``.
    """

    dist: np.ndarray
    source: np.ndarray | None
    pred: np.ndarray | None
    seeds: Snapped


def search(
    pg: ProfileGraph,
    seeds: Snapped,
    *,
    min_only: bool = True,
    limit_m: float = np.inf,
    predecessors: bool = False,
    sources: bool = True,
) -> Search:
    """Run one Dijkstra from all ``seeds`` (snapped, none off-network).

    ``min_only=True`` keeps, for every node, the nearest seed only; otherwise one row of
    distances per seed. ``limit_m`` stops the search beyond that distance (metres).
    ``sources=False`` (with ``min_only``) skips which seed is nearest (a little faster).
    """
    n = pg.n
    if len(seeds) == 0:
        shape = (n,) if min_only else (0, n)
        return Search(
            np.full(shape, np.inf),
            np.full(n, -1) if min_only else None,
            np.full(n, -9999) if min_only else None,
            seeds,
        )
    spare = _spare_matrix(pg) if len(seeds) == 1 else None
    if spare is not None and spare[1].acquire(blocking=False):
        try:  # one seed: the graph's matrix with its spare virtual row filled in
            _fill_spare(pg, spare[0], seeds)
            return _run(spare[0], n, seeds, min_only, limit_m, predecessors, sources)
        finally:
            spare[1].release()
    return _run(seeded_matrix(pg, seeds), n, seeds, min_only, limit_m, predecessors, sources)


def _spare_matrix(pg: ProfileGraph):
    """The graph's CSR matrix with one spare virtual row ``n`` of two entries, made once
    per graph, and the lock that guards its use (one search at a time fills the row)."""
    spare = pg.__dict__.get("_spare")
    if spare is None:
        end = pg.indptr[-1]
        indptr = np.concatenate([pg.indptr, [end + 2]]).astype(pg.indptr.dtype)
        indices = np.concatenate([pg.indices, np.zeros(2, dtype=pg.indices.dtype)])
        data = np.concatenate([pg.data, np.ones(2)])
        m = csr_matrix((data, indices, indptr), shape=(pg.n + 1, pg.n + 1))
        spare = pg.__dict__.setdefault("_spare", (m, threading.Lock()))
    return spare


def _fill_spare(pg: ProfileGraph, m: csr_matrix, seed: Snapped) -> None:
    """Join the spare row of ``m`` to both ends of the one seed's edge, with the weights
    :func:`seeded_matrix` gives (a loop edge gets its one entry twice, which a search
    treats as one)."""
    net = pg.network
    e = int(seed.edge[0])
    a, b = int(net.edge_u[e]), int(net.edge_v[e])
    access, offset = float(seed.access_m[0]), float(seed.offset_m[0])
    wa = access + offset
    wb = access + (float(net.edge_length_m[e]) - offset)
    if a == b:
        wa = wb = min(wa, wb)
    end = int(pg.indptr[-1])
    m.indices[end], m.indices[end + 1] = a, b
    m.data[end], m.data[end + 1] = max(wa, EPSILON_M), max(wb, EPSILON_M)


def _run(
    m: csr_matrix,
    n: int,
    seeds: Snapped,
    min_only: bool,
    limit_m: float,
    predecessors: bool,
    sources: bool,
) -> Search:
    """The Dijkstra run of :func:`search` on a seeded matrix (seeds in rows ``n..``)."""
    indices = np.arange(n, n + len(seeds))
    if min_only and not sources and not predecessors:
        dist = dijkstra(m, directed=True, indices=indices, min_only=True, limit=limit_m)
        return Search(dist[:n], None, None, seeds)
    if min_only:
        dist, pred, src = dijkstra(
            m,
            directed=True,
            indices=indices,
            min_only=True,
            limit=limit_m,
            return_predecessors=True,
        )
        source = np.where(src[:n] >= 0, src[:n] - n, -1)
        return Search(dist[:n], source, pred[:n], seeds)
    if predecessors:
        dist, pred = dijkstra(
            m, directed=True, indices=indices, limit=limit_m, return_predecessors=True
        )
        return Search(dist[:, :n], None, pred[:, :n], seeds)
    dist = dijkstra(m, directed=True, indices=indices, limit=limit_m)
    return Search(dist[:, :n], None, None, seeds)


def same_edge_pairs(points: Snapped, seeds: Snapped) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (point position, seed position, distance_m) of points and seeds on the same
    edge, with the distance along the edge plus the seed's access leg."""
    on = np.flatnonzero(points.edge >= 0)
    if len(on) == 0 or len(seeds) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    order = np.argsort(seeds.edge, kind="stable")
    sorted_edges = seeds.edge[order]
    pe = points.edge[on]
    lo = np.searchsorted(sorted_edges, pe, side="left")
    hi = np.searchsorted(sorted_edges, pe, side="right")
    ps, ss = [], []
    for r in range(int((hi - lo).max()) if len(on) else 0):
        m = lo + r < hi
        ps.append(on[m])
        ss.append(order[lo[m] + r])
    if not ps:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    p = np.concatenate(ps)
    s = np.concatenate(ss)
    d = np.abs(points.offset_m[p] - seeds.offset_m[s]) + seeds.access_m[s]
    return p, s, d


def point_distances(pg: ProfileGraph, result: Search, points: Snapped):
    """Nearest-seed network distance (metres, without the point's own access leg) of points
    on edges, from a ``min_only`` search. Returns ``(dist, seed, via)`` where ``via`` is
    0 (through ``u``), 1 (through ``v``) or 2 (along the edge from a seed on it)."""
    net = pg.network
    n_pts = len(points)
    dist = np.full(n_pts, np.inf)
    seed = np.full(n_pts, -1, dtype=np.int64)
    via = np.full(n_pts, -1, dtype=np.int8)
    on = np.flatnonzero(points.edge >= 0)
    if len(on):
        e = points.edge[on]
        a, b = net.edge_u[e], net.edge_v[e]
        da = result.dist[a] + points.offset_m[on]
        db = result.dist[b] + (net.edge_length_m[e] - points.offset_m[on])
        use_b = db < da
        dist[on] = np.where(use_b, db, da)
        seed[on] = np.where(use_b, result.source[b], result.source[a])
        via[on] = use_b.astype(np.int8)
    p, s, d = same_edge_pairs(points, result.seeds)
    if len(p):
        order = np.lexsort((d, p))
        p, s, d = p[order], s[order], d[order]
        first = np.ones(len(p), dtype=bool)
        first[1:] = p[1:] != p[:-1]
        p, s, d = p[first], s[first], d[first]
        better = d < dist[p]
        dist[p[better]] = d[better]
        seed[p[better]] = s[better]
        via[p[better]] = 2
    seed[~np.isfinite(dist)] = -1
    return dist, seed, via


def node_point_distances(pg: ProfileGraph, result: Search, nodes: Snapped):
    """:func:`point_distances` for :func:`~geoquartier.mobility.snapping.node_snaps` (every
    node at an end of one of its edges, no access leg): a node's distance is its own
    search distance (metres), or a seed on its edge reached directly along it. Returns
    ``(dist, seed, via)`` with ``via`` 0 / 1 (the node itself, the ``u`` / ``v`` end of
    its edge) or 2 (along the edge from a seed on it)."""
    net = pg.network
    on = nodes.edge >= 0
    dist = np.where(on, result.dist, np.inf)
    seed = np.where(on & np.isfinite(dist), result.source, -1).astype(np.int64)
    via = np.where(on, np.where(nodes.fraction > 0, 1, 0), -1).astype(np.int8)  # node = u or v
    seeds = result.seeds
    if len(seeds):
        # the only nodes on a seed's edge are its two ends
        cand = np.concatenate([net.edge_u[seeds.edge], net.edge_v[seeds.edge]])
        s = np.concatenate([np.arange(len(seeds)), np.arange(len(seeds))])
        keep = nodes.edge[cand] == seeds.edge[s]
        cand, s = cand[keep], s[keep]
        d = np.abs(nodes.offset_m[cand] - seeds.offset_m[s]) + seeds.access_m[s]
        for i in np.argsort(-d, kind="stable"):  # nearest last, so it wins
            if d[i] < dist[cand[i]]:
                dist[cand[i]], seed[cand[i]], via[cand[i]] = d[i], s[i], 2
    return dist, seed, via


def point_distance_matrix(pg: ProfileGraph, result: Search, points: Snapped) -> np.ndarray:
    """(seeds, points) network distances (metres, without the points' access legs) from a
    search with ``min_only=False``."""
    net = pg.network
    f = result.dist.shape[0]
    out = np.full((f, len(points)), np.inf)
    on = np.flatnonzero(points.edge >= 0)
    if len(on) and f:
        e = points.edge[on]
        a, b = net.edge_u[e], net.edge_v[e]
        da = result.dist[:, a] + points.offset_m[on]
        db = result.dist[:, b] + (net.edge_length_m[e] - points.offset_m[on])
        out[:, on] = np.minimum(da, db)
    p, s, d = same_edge_pairs(points, result.seeds)
    if len(p):
        np.minimum.at(out, (s, p), d)
    return out


def tree_sums(pg: ProfileGraph, result: Search, edge_weight: np.ndarray) -> np.ndarray:
    """Sum of ``edge_weight × walked fraction`` along each node's shortest-path tree branch.

    ``edge_weight`` (per physical edge, e.g. 1.0 for edges with unknown tags) is weighed by
    the metres walked on that edge; the result is metres per node (``min_only`` search).
    """
    net = pg.network
    n = pg.n
    pred = result.pred
    acc = np.zeros(n)
    parent = np.full(n, -1, dtype=np.int64)
    reached = np.isfinite(result.dist) & (pred >= 0)
    # edges between two real nodes
    real = np.flatnonzero(reached & (pred < n))
    if len(real):
        p = pred[real].astype(np.int64)
        pos = _row_lookup(pg, p, real)
        e = pg.csr_edge[pos]
        acc[real] = edge_weight[e] * pg.data[pos]
        parent[real] = p
    # edges from a seed to the first node
    virt = np.flatnonzero(reached & (pred >= n))
    if len(virt):
        s = pred[virt] - n
        e = result.seeds.edge[s]
        part = np.where(
            net.edge_u[e] == virt,
            result.seeds.offset_m[s],
            net.edge_length_m[e] - result.seeds.offset_m[s],
        )
        acc[virt] = edge_weight[e] * part
    while True:
        m = parent >= 0
        if not m.any():
            break
        acc[m] += acc[parent[m]]
        parent[m] = parent[parent[m]]
    return acc


def _row_lookup(pg: ProfileGraph, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Positions of CSR entries (rows[i], cols[i]) that are known to exist."""
    n = pg.n
    key_all = pg.__dict__.get("_row_keys")
    if key_all is None:  # sorted (row, column) keys of the CSR entries, made once per graph
        key_all = np.repeat(np.arange(n, dtype=np.int64), np.diff(pg.indptr)) * n + pg.indices
        pg._row_keys = key_all
    key = rows.astype(np.int64) * n + cols.astype(np.int64)
    return np.searchsorted(key_all, key)
