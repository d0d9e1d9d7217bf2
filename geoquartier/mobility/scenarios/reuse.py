"""Which categories way edits can change, per profile — an exact test, so that a
comparison searches only those again (see docs/scenarios.md, "What is recomputed").

For one profile, an edge of the edited network with the same two end nodes (same order)
and the same length as a usable base edge *is* that edge for walking distances, whatever
its tags or geometry (an unchanged edge, or a re-tagged one the profile still uses). The
other usable edges are *removed* (base network: closed, split, no longer usable) or
*added* (edited network: new ways, pieces of split edges, newly usable edges); ``V`` are
the base nodes at their ends. With ``D(y)`` the base distance from node ``y`` to the
nearest facility of a category:

* removal: if every removed edge ``(u, v, L)`` is strictly slack, ``|D(u) − D(v)| < L``
  (or both ends unreachable), no shortest path uses it: removing it changes nothing;
* addition: then a walk on the edited network either avoids ``V`` (a base walk, at least
  the base distance ``d(o)``) or first enters ``V`` at a base node ``y`` (the part before
  uses unchanged edges only, so it is at least ``D(y)``; and ``D(y)`` is still walkable),
  so the after distance is ``min(d(o), min_y D(y) + dist_edited(y, o))`` — exactly. If
  ``d(o)`` is not above that bound for any origin, the category keeps its base result.

Origins and facilities must snap to the same place on both networks (the same edge with
the same offset and access leg, or the same node). Origins that snap elsewhere make every
category of the profile searched again; a facility that snaps elsewhere, its category.
Cost: one search from ``V`` per profile on each network.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from geoquartier.mobility.inputs import Points
from geoquartier.mobility.paths import profile_graph
from geoquartier.mobility.profiles import Profile
from geoquartier.mobility.snapping import Snapped, snap_points

SAME_POINT_M = 1e-9
"""Two snapped positions (offset along the same edge, access leg) this close (metres) are
the same point: snapping the same point on a rebuilt index rounds differently."""
MARGIN_M = 1e-6
"""Slack (metres) an edge needs to count as strictly slack: rounding of sums made in a
different order never turns a tie into a kept result."""


def changed_categories(
    base,
    edited,
    origins: Points,
    facilities: Points,
    facility_categories: np.ndarray,
    base_m: dict[str, np.ndarray],
    profile: Profile,
    max_snap_m: float,
) -> list[str] | None:
    """The categories of ``base_m`` whose nearest-facility result may differ on
    ``edited`` for ``profile``; None when origins snap elsewhere (search every category
    again).

    ``base`` and ``edited`` are WalkNetworks (EPSG:25832) whose node positions agree (the
    edited one appends nodes); ``origins``/``facilities`` the points (EPSG:25832) both
    runs use, ``facility_categories`` the category of each facility; ``base_m`` maps each
    category to every origin's base distance in metres (access legs included, NaN where
    unreachable)."""
    pg_b, pg_a = profile_graph(base, profile), profile_graph(edited, profile)
    same_as = _same_edges(base, edited, pg_b.allowed, pg_a.allowed)
    removed = pg_b.allowed.copy()
    removed[same_as[same_as >= 0]] = False
    added = pg_a.allowed & (same_as < 0)
    snaps = {
        side: [snap_points(net, p.x, p.y, pg.allowed, max_snap_m) for p in (origins, facilities)]
        for side, net, pg in (("base", base, pg_b), ("edit", edited, pg_a))
    }
    if not _same_points(base, edited, snaps["base"][0], snaps["edit"][0], same_as).all():
        return None
    moved = ~_same_points(base, edited, snaps["base"][1], snaps["edit"][1], same_as)
    r_e, a_e = np.flatnonzero(removed), np.flatnonzero(added)
    if not len(r_e) and not len(a_e):
        return sorted(set(facility_categories[moved].astype(str)) & set(base_m))
    nodes = np.unique(np.concatenate([base.edge_u[r_e], base.edge_v[r_e],
                                      edited.edge_u[a_e], edited.edge_v[a_e]]))  # fmt: skip
    old = nodes[nodes < base.n_nodes]
    to_fac = _node_to_points(pg_b, old, snaps["base"][1])  # base: (old nodes, facilities)
    to_origin = _node_to_points(pg_a, old, snaps["edit"][0])  # edited: (old nodes, origins)
    out = []
    for cat, d_m in base_m.items():
        mine = facility_categories == cat
        at_nodes = to_fac[:, mine].min(axis=1, initial=np.inf)
        dist = dict(zip(old.tolist(), at_nodes, strict=True))
        if moved[mine].any() or not _removal_slack(base, r_e, dist):
            out.append(cat)
            continue
        # the best walk through an edited place: a base node's distance, then the edited net
        through = (at_nodes[:, None] + to_origin).min(axis=0, initial=np.inf)
        if not np.all(np.where(np.isnan(d_m), np.inf, d_m) <= through):
            out.append(cat)
    return out


def _same_edges(base, edited, allowed_b: np.ndarray, allowed_a: np.ndarray) -> np.ndarray:
    """Per edited edge: a usable base edge with the same ends (same order) and length, or
    -1 (also for edges the profile may not use)."""
    index = {}
    for e in np.flatnonzero(allowed_b):
        key = (int(base.edge_u[e]), int(base.edge_v[e]), float(base.edge_length_m[e]))
        index.setdefault(key, int(e))
    out = np.full(edited.n_edges, -1, dtype=np.int64)
    for e in np.flatnonzero(allowed_a):
        key = (int(edited.edge_u[e]), int(edited.edge_v[e]), float(edited.edge_length_m[e]))
        out[e] = index.get(key, -1)
    return out


def _same_points(base, edited, a: Snapped, b: Snapped, same_as: np.ndarray) -> np.ndarray:
    """Whether each point snaps to the same place on the base (``a``) and the edited
    (``b``) network with the same access leg: the same edge and offset, the same node (an
    edge end: which of the node's edges was picked does not matter), or off both."""
    off = (a.edge < 0) & (b.edge < 0)
    on = np.flatnonzero((a.edge >= 0) & (b.edge >= 0))
    ea, eb = a.edge[on], b.edge[on]
    same_edge = (same_as[eb] == ea) & _close(a.offset_m[on], b.offset_m[on])
    node_a, node_b = _end_node(base, ea, a.offset_m[on]), _end_node(edited, eb, b.offset_m[on])
    same_node = (node_a >= 0) & (node_a == node_b)
    out = off.copy()
    out[on] = (same_edge | same_node) & _close(a.access_m[on], b.access_m[on])
    return out


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) <= SAME_POINT_M


def _end_node(network, edges: np.ndarray, offset_m: np.ndarray) -> np.ndarray:
    """The node a point at ``offset_m`` along each edge sits on, or -1 inside the edge."""
    at_u = offset_m == 0
    at_v = offset_m == network.edge_length_m[edges]
    return np.where(at_u, network.edge_u[edges], np.where(at_v, network.edge_v[edges], -1))


def _node_to_points(pg, nodes: np.ndarray, points: Snapped) -> np.ndarray:
    """(nodes, points) network distances on the profile graph ``pg`` from each node to
    each snapped point, access legs included (inf where unreachable or off-network)."""
    out = np.full((len(nodes), len(points)), np.inf)
    if not len(nodes):
        return out
    dist = dijkstra(pg.matrix(), directed=True, indices=nodes)
    on = np.flatnonzero(points.edge >= 0)
    e, off, net = points.edge[on], points.offset_m[on], pg.network
    via_u = dist[:, net.edge_u[e]] + off
    via_v = dist[:, net.edge_v[e]] + (net.edge_length_m[e] - off)
    out[:, on] = np.minimum(via_u, via_v) + points.access_m[on]
    return out


def _removal_slack(base, edges: np.ndarray, dist: dict) -> bool:
    """Every removed edge strictly slack: no shortest base path uses it."""
    for e in edges:
        du, dv = dist[int(base.edge_u[e])], dist[int(base.edge_v[e])]
        if np.isinf(du) and np.isinf(dv):
            continue
        if not abs(du - dv) < base.edge_length_m[e] - MARGIN_M:
            return False
    return True
