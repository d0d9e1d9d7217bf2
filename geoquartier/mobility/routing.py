"""The walking route between two points for a profile.

Both points snap to the nearest point on an edge the profile may use; the route runs
from the start point along its access leg, over partial and whole edges, to the end
point. :func:`routes_from` and :func:`route_tree` answer one origin and many
destinations from ONE search (its predecessor tree), with the same routes as
:func:`route`. Works in EPSG:25832, returns EPSG:4326.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
from pyproj import Transformer

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.mobility import paths
from geoquartier.mobility.inputs import as_points
from geoquartier.mobility.profiles import Profile, get_profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M, Snapped, snap_points

_TO_M = Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)


def _too_far(label: str, max_snap_m: float, profile: str) -> GeoquartierError:
    return GeoquartierError(
        f"the {label} point is more than {max_snap_m:g} m from any way usable with "
        f"profile {profile!r}"
    )


def route(
    network,
    from_lonlat: tuple[float, float],
    to_lonlat: tuple[float, float],
    profile: str | Profile = "standard",
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Route:
    """Shortest walking route from ``from_lonlat`` to ``to_lonlat`` (EPSG:4326 lon, lat).

    Returns a :class:`Route` (``to_gdf()`` gives a one-row GeoDataFrame): a LineString in
    EPSG:4326 and ``distance_m`` (metres,
    access legs included), ``walk_min`` (at the profile's speed), ``street_names`` (list,
    in walking order, repeats merged), ``highways`` (the OSM ``highway`` value of every
    way walked, in order), ``profile``, ``method`` and ``unknown_share`` (share of the
    network distance on ways with untagged kerb/incline/surface, for profiles that report
    it). Raises :class:`GeoquartierError` if a point is farther than ``max_snap_m`` from a
    usable way or no route exists for the profile.
    """
    prof = get_profile(profile)
    (x0, y0), (x1, y1) = _metric(from_lonlat, "from"), _metric(to_lonlat, "to")
    speed = prof.speed_m_per_min
    if getattr(network, "method", "network") == "estimate":
        d = float(np.hypot(x1 - x0, y1 - y0)) * network.detour_factor
        line = shapely.LineString([(x0, y0), (x1, y1)])
        return _result(
            line, d, speed, [], [], prof, "estimate", 1.0 if prof.unknown_tags else np.nan
        )

    pg = paths.profile_graph(network, prof)
    snap = snap_points(network, np.array([x0, x1]), np.array([y0, y1]), pg.allowed, max_snap_m)
    for i, label in enumerate(("start", "destination")):
        if snap.edge[i] < 0:
            raise _too_far(label, max_snap_m, prof.name)
    src = snap.take(np.array([0]))
    dst = snap.take(np.array([1]))
    res = paths.search(pg, src, min_only=True, predecessors=True)
    best, how = _best_end(network, res.dist, src, dst, 0)
    if not np.isfinite(best):
        raise GeoquartierError(f"no walking route between the two points for profile {prof.name!r}")
    return _build(network, pg, res.pred, src, dst, 0, (x0, y0), (x1, y1), best, how, prof)


def _best_end(net, dist: np.ndarray, src: Snapped, dst: Snapped, i: int) -> tuple[float, str]:
    """Network distance (metres, start access leg included) to destination ``i`` and how
    its edge is entered: through ``u``, ``v`` or along the start's own edge (``same``)."""
    e_t, s_t = int(dst.edge[i]), float(dst.offset_m[i])
    cand = [
        (dist[net.edge_u[e_t]] + s_t, "u"),
        (dist[net.edge_v[e_t]] + (net.edge_length_m[e_t] - s_t), "v"),
    ]
    if e_t == int(src.edge[0]):
        cand.append((abs(s_t - float(src.offset_m[0])) + float(src.access_m[0]), "same"))
    return min(cand, key=lambda c: c[0])


def _build(net, *trace) -> Route:
    """The :class:`Route` to one destination from a search's predecessor tree; ``trace``
    are the arguments of :func:`_trace` after ``net``."""
    return _finish(net, [_trace(net, *trace)])[0]


def _trace(
    net,
    pg,
    pred,
    src: Snapped,
    dst: Snapped,
    i: int,
    start_xy,
    end_xy,
    best: float,
    how: str,
    prof: Profile,
) -> tuple:
    """The route to destination ``i`` before its coordinates go to EPSG:4326: its
    EPSG:25832 coordinates (consecutive repeats dropped), the position of each in the
    network's vertex array (-1 for points that are no vertex), and its attributes.
    ``pred`` is the search's predecessor array (or the same as a list)."""
    x0, y0 = start_xy
    x1, y1 = end_xy
    e_t = int(dst.edge[i])
    e_s = int(src.edge[0])
    f_t = float(dst.fraction[i])
    length_t = net.edge_length_m[e_t]
    # the route's points in order: an int is a position in the vertex array, a tuple
    # (x, y) any other point
    pts: list = [(x0, y0), (float(src.x[0]), float(src.y[0]))]
    walked: list[tuple[int, float]] = []  # (edge, metres walked on it)
    if how == "same":
        _add_part(pts, net, e_s, src.fraction[0], f_t)
        walked.append((e_s, abs(float(dst.offset_m[i]) - float(src.offset_m[0]))))
    else:
        node = int(net.edge_u[e_t] if how == "u" else net.edge_v[e_t])
        chain = [node]
        n = net.n_nodes
        while True:
            node = int(pred[node])
            if node < 0 or node >= n:
                break
            chain.append(node)
        chain.reverse()
        first = chain[0]
        # from the start point along its edge to the first node
        f_first = 0.0 if net.edge_u[e_s] == first else 1.0
        _add_part(pts, net, e_s, src.fraction[0], f_first)
        walked.append((e_s, abs(f_first - src.fraction[0]) * net.edge_length_m[e_s]))
        if len(chain) > 1:
            tail = np.array(chain[:-1])
            edges = pg.csr_edge[paths._row_lookup(pg, tail, np.array(chain[1:]))]
            offsets = _vertex_lists(net)[0]
            # whole edges: all their vertices, from u to v where walked forward
            for e, forward in zip(
                edges.tolist(), (net.edge_u[edges] == tail).tolist(), strict=True
            ):
                lo, hi = offsets[e], offsets[e + 1]
                pts.extend(range(lo, hi) if forward else range(hi - 1, lo - 1, -1))
            walked.extend(zip(edges.tolist(), net.edge_length_m[edges].tolist(), strict=True))
        f_end = 0.0 if how == "u" else 1.0
        _add_part(pts, net, e_t, f_end, f_t)
        walked.append((e_t, abs(f_t - f_end) * length_t))
    pts.append((float(dst.x[i]), float(dst.y[i])))
    pts.append((x1, y1))
    vid = np.array([p if p.__class__ is int else -1 for p in pts], dtype=np.int64)
    coords = net.edge_vertex_arrays()[0][vid]
    other = vid < 0
    coords[other] = [p for p in pts if p.__class__ is not int]
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(np.diff(coords, axis=0) != 0, axis=1)
    coords, vid = coords[keep], vid[keep]
    if len(coords) < 2:
        coords, vid = np.array([[x0, y0], [x1, y1]]), _NO_VERTEX2
    distance = float(best) + float(dst.access_m[i])
    names, highways = _names(net, walked)
    share = np.nan
    if prof.unknown_tags:
        unknown = prof.unknown_edges(net)
        total = sum(m for _, m in walked)
        share = float(sum(m for e, m in walked if unknown[e]) / total) if total > 0 else 0.0
    return coords, vid, distance, names, highways, prof, share


def _vertex_lists(net) -> tuple[list[int], list[float]]:
    """:meth:`edge_vertex_arrays`' offsets and cumulative fractions as lists (read item by
    item when tracing routes); made once per network."""

    def build():
        _, offsets, cumfrac = net.edge_vertex_arrays()
        return offsets.tolist(), cumfrac.tolist()

    return net._cached(("vertex_lists",), build)


_NO_VERTEX2 = np.full(2, -1, dtype=np.int64)


def _finish(net, traced: list[tuple]) -> list[Route]:
    """The :class:`Route` objects of :func:`_trace` results: vertices take their cached
    EPSG:4326 coordinates, every other point goes through one transformation for all."""
    if not traced:
        return []
    deg = _vertex_degrees(net)
    vid = np.concatenate([t[1] for t in traced])
    xy = np.concatenate([t[0] for t in traced])
    out = np.empty_like(xy)
    is_vertex = vid >= 0
    out[is_vertex] = deg[vid[is_vertex]]
    other = ~is_vertex
    if other.any():
        lon, lat = _TO_DEG.transform(xy[other, 0], xy[other, 1])
        out[other, 0], out[other, 1] = lon, lat
    ends = np.cumsum([len(t[1]) for t in traced])
    routes = []
    for (_, _, distance, names, highways, prof, share), lonlat in zip(
        traced, np.split(out, ends[:-1]), strict=True
    ):
        routes.append(
            Route(
                shapely.LineString(lonlat),
                float(distance),
                float(distance / prof.speed_m_per_min),
                list(names),
                list(highways),
                prof.name,
                "network",
                float(share),
            )
        )
    return routes


def _vertex_degrees(net) -> np.ndarray:
    """EPSG:4326 (lon, lat) of every vertex of :meth:`edge_vertex_arrays`; made once per
    network."""

    def build():
        coords = net.edge_vertex_arrays()[0]
        lon, lat = _TO_DEG.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return net._cached(("vertex_degrees",), build)


SEARCH_SLACK = 1.5
"""The first search of :func:`route_tree` stops at this many times the straight-line
distance of the farthest destination it must settle, plus :data:`SEARCH_MARGIN_M`."""

SEARCH_MARGIN_M = 500.0
"""Metres added to the first search's budget (see :data:`SEARCH_SLACK`)."""

TIE_MIN = 0.02
"""With ``k``, :func:`route_tree` also settles every destination up to this many minutes
beyond the k-th nearest, so that rankings by rounded walking time stay exact."""


class RouteTree:
    """Shortest walking routes from one origin to many destinations, from ONE search.

    Made by :func:`route_tree`. ``distance_m`` (metres, both access legs included; ``inf``
    where the destination is off-network or unreachable) and ``walk_min`` (minutes at the
    profile's speed) hold one value per destination, in the order given (both
    ``nan`` where not searched, see ``k``); ``off_network`` marks destinations farther
    than ``max_snap_m`` from a usable way.
    :meth:`route` builds the :class:`Route` (EPSG:4326) to one destination from the
    search's predecessor tree — the same route :func:`route` finds.
    """

    def __init__(
        self,
        network,
        prof: Profile,
        origin_xy,
        dest_xy,
        distance_m,
        method,
        pg=None,
        pred=None,
        src=None,
        dst=None,
        how=None,
        network_m=None,
    ):
        self.network = network
        self.profile = prof
        self.method = method
        self._origin = origin_xy
        self._dest = dest_xy
        self.distance_m = distance_m
        self.walk_min = distance_m / prof.speed_m_per_min
        self.off_network = np.zeros(len(distance_m), dtype=bool) if dst is None else dst.off_network
        self._pg, self._pred, self._src, self._dst = pg, pred, src, dst
        self._how, self._network_m = how, network_m
        self._pred_as_list: list[int] | None = None

    def __len__(self) -> int:
        return len(self.distance_m)

    def route(self, i: int) -> Route | None:
        """The :class:`Route` to destination ``i``; ``None`` if it is off-network,
        unreachable for the profile or was not searched (see ``k`` of :func:`route_tree`)."""
        if not np.isfinite(self.distance_m[i]):
            return None
        x0, y0 = self._origin
        x1, y1 = self._dest[0][i], self._dest[1][i]
        prof = self.profile
        if self.method == "estimate":
            line = shapely.LineString([(x0, y0), (x1, y1)])
            return _result(
                line,
                self.distance_m[i],
                prof.speed_m_per_min,
                [],
                [],
                prof,
                "estimate",
                1.0 if prof.unknown_tags else np.nan,
            )
        return _build(
            self.network,
            self._pg,
            self._pred_list(),
            self._src,
            self._dst,
            int(i),
            (x0, y0),
            (float(x1), float(y1)),
            float(self._network_m[i]),
            _HOW[int(self._how[i])],
            prof,
        )

    def _pred_list(self) -> list[int]:
        """The predecessor tree as a list (walked node by node when tracing routes)."""
        if self._pred_as_list is None:
            self._pred_as_list = self._pred.tolist()
        return self._pred_as_list

    def routes(self, indices) -> list[Route | None]:
        """``[self.route(i) for i in indices]`` (EPSG:4326, metres, minutes), the same
        routes made with one coordinate transformation for all of them."""
        indices = [int(i) for i in indices]
        if self.method == "estimate":
            return [self.route(i) for i in indices]
        x0, y0 = self._origin
        traced, where = [], []
        for pos, i in enumerate(indices):
            if np.isfinite(self.distance_m[i]):
                end_xy = (float(self._dest[0][i]), float(self._dest[1][i]))
                traced.append(
                    _trace(
                        self.network,
                        self._pg,
                        self._pred_list(),
                        self._src,
                        self._dst,
                        i,
                        (x0, y0),
                        end_xy,
                        float(self._network_m[i]),
                        _HOW[int(self._how[i])],
                        self.profile,
                    )
                )
                where.append(pos)
        out: list[Route | None] = [None] * len(indices)
        for pos, r in zip(where, _finish(self.network, traced), strict=True):
            out[pos] = r
        return out


_HOW = ("u", "v", "same")


def route_tree(
    network,
    origin_lonlat: tuple[float, float],
    destinations,
    profile: str | Profile = "standard",
    *,
    k: int | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> RouteTree:
    """One shortest-path search from ``origin_lonlat`` (EPSG:4326 lon, lat) to every
    destination — e.g. to rank services by walking time and route to the best ones.

    ``destinations``: a GeoDataFrame of points (any CRS set; polygons use their centroid)
    or a sequence of (lon, lat) pairs in EPSG:4326. The origin snaps as in :func:`route`
    (raises :class:`GeoquartierError` when it is farther than ``max_snap_m`` metres from a
    usable way); destinations farther than that are marked off-network (distance ``inf``).

    The search runs from the snapped origin (predecessors kept) and first stops at
    :data:`SEARCH_SLACK` × the straight-line distance of the farthest destination it must
    settle + :data:`SEARCH_MARGIN_M`; when a destination it must settle lies beyond that
    budget, the search runs again without one. So every distance equals :func:`route`'s.
    Without ``k`` every destination is settled. With ``k`` only the ``k`` nearest by
    walking distance are, together with every destination less than :data:`TIE_MIN`
    minutes beyond the k-th and every other one within the search budget; the rest
    have distance ``nan`` (farther than all settled ones, not computed).

    Returns a :class:`RouteTree` (distances in metres, times in minutes).
    """
    prof = get_profile(profile)
    if k is not None and (not isinstance(k, (int, np.integer)) or k < 1):
        raise GeoquartierError(f"k must be a positive integer, got {k!r}")
    x0, y0 = _metric(origin_lonlat, "from")
    dx, dy = _destinations_m(destinations)
    if getattr(network, "method", "network") == "estimate":
        d = np.hypot(dx - x0, dy - y0) * network.detour_factor
        return RouteTree(network, prof, (x0, y0), (dx, dy), d, "estimate")
    pg = paths.profile_graph(network, prof)
    snap = snap_points(
        network, np.concatenate([[x0], dx]), np.concatenate([[y0], dy]), pg.allowed, max_snap_m
    )
    if snap.edge[0] < 0:
        raise _too_far("start", max_snap_m, prof.name)
    start = snap.take(np.array([0]))
    dst = snap.take(np.arange(1, len(snap)))
    on = dst.edge >= 0
    n_on = int(on.sum())
    need = n_on if k is None else min(int(k), n_on)
    tie_m = 0.0 if k is None else TIE_MIN * prof.speed_m_per_min
    best = how = res = None
    if need:
        crow = np.sort(np.hypot(dx[on] - x0, dy[on] - y0))
        budget = SEARCH_SLACK * float(crow[need - 1]) + SEARCH_MARGIN_M + tie_m
        res = paths.search(pg, start, min_only=True, predecessors=True, limit_m=budget)
        best, how = _best_ends(network, res.dist, start, dst)
        settled = on & (best <= budget)
        if int((best[settled] <= budget - tie_m).sum()) < need:
            res = None  # a destination it must settle lies beyond the budget
    if res is None:
        budget = np.inf
        if need:
            res = paths.search(pg, start, min_only=True, predecessors=True)
            best, how = _best_ends(network, res.dist, start, dst)
        else:  # no destination on the network: nothing to search
            best, how = np.full(len(dst), np.inf), np.zeros(len(dst), dtype=np.int8)
    reached = on & np.isfinite(best)
    distance = np.where(reached, best + np.where(on, dst.access_m, 0.0), np.inf)
    if np.isfinite(budget):
        distance[on & ~(best <= budget)] = np.nan  # beyond the search: not computed
    return RouteTree(
        network,
        prof,
        (x0, y0),
        (dx, dy),
        distance,
        "network",
        pg,
        None if res is None else res.pred,
        start,
        dst,
        how,
        best,
    )


def routes_from(
    network,
    origin_lonlat: tuple[float, float],
    destinations,
    profile: str | Profile = "standard",
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> list[Route | None]:
    """Shortest walking routes from one origin to every destination, from one search.

    Arguments as for :func:`route_tree` (origin in EPSG:4326 lon, lat; destinations a
    GeoDataFrame or (lon, lat) pairs in EPSG:4326). Returns one :class:`Route`
    (EPSG:4326, metres, minutes) per destination, in the order given — each equal to
    ``route(network, origin_lonlat, destination, profile)`` — or ``None`` where the
    destination is off-network or unreachable for the profile. Raises
    :class:`GeoquartierError` when the origin is off-network.
    """
    tree = route_tree(network, origin_lonlat, destinations, profile, max_snap_m=max_snap_m)
    return tree.routes(range(len(tree)))


def _best_ends(net, dist: np.ndarray, src: Snapped, dst: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`_best_end`: (distance_m, how: 0 = u, 1 = v, 2 = same edge) per
    destination (``inf`` where off-network or unreached)."""
    on = dst.edge >= 0
    e = np.where(on, dst.edge, 0)
    s = np.where(on, dst.offset_m, 0.0)
    best = dist[net.edge_u[e]] + s
    how = np.zeros(len(e), dtype=np.int8)
    dv = dist[net.edge_v[e]] + (net.edge_length_m[e] - s)
    better = dv < best
    best = np.where(better, dv, best)
    how[better] = 1
    same = on & (e == int(src.edge[0]))
    if same.any():
        ds = np.abs(s - float(src.offset_m[0])) + float(src.access_m[0])
        better = same & (ds < best)
        best = np.where(better, ds, best)
        how[better] = 2
    best = np.where(on, best, np.inf)
    return best, how


def _destinations_m(destinations) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:25832 coordinates (metres) of a GeoDataFrame or of (lon, lat) pairs."""
    if isinstance(destinations, gpd.GeoDataFrame):
        pts = as_points(destinations, "destinations")
        return pts.x, pts.y
    try:
        arr = np.asarray(destinations, dtype=np.float64)
    except (TypeError, ValueError):
        raise GeoquartierError(
            "destinations: expected a GeoDataFrame or (longitude, latitude) pairs"
        ) from None
    if arr.size == 0:
        return np.empty(0), np.empty(0)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise GeoquartierError(
            f"destinations: expected (longitude, latitude) pairs, got shape {arr.shape}"
        )
    lon, lat = arr[:, 0], arr[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GeoquartierError(
            f"destinations: ({lon[i]}, {lat[i]}) at position {i} is not a longitude/latitude pair"
        )
    x, y = _TO_M.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _metric(lonlat, label: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in lonlat)
    except (TypeError, ValueError):
        raise GeoquartierError(f"{label}: expected (longitude, latitude), got {lonlat!r}") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeoquartierError(f"{label}: ({lon}, {lat}) is not a longitude/latitude pair")
    x, y = _TO_M.transform(lon, lat)
    return float(x), float(y)


def _add_part(pts: list, net, edge: int, fa: float, fb: float) -> None:
    """Append the points of ``edge`` from fraction ``fa`` to ``fb`` (either direction) to
    ``pts`` as :func:`_trace` lists them (vertex positions; interpolated ends as (x, y))."""
    offsets, cumfrac = _vertex_lists(net)
    start, end = offsets[edge], offsets[edge + 1]
    lo, hi = min(fa, fb), max(fa, fb)
    # the ends of the geometry are its first and last vertex (no interpolation needed)
    coords = net.edge_vertex_arrays()[0]
    part = [start if lo == 0.0 else _interpolate(coords[start:end], lo)]
    part.extend(j for j in range(start, end) if lo < cumfrac[j] < hi)
    part.append(end - 1 if hi == 1.0 else _interpolate(coords[start:end], hi))
    if fa > fb:
        part.reverse()
    pts.extend(part)


def _interpolate(xy: np.ndarray, fraction: float) -> tuple[float, float]:
    """(x, y) of the point at ``fraction`` of the length of the line through the vertices
    ``xy`` — computed as GEOS's ``line_interpolate_point`` (normalized) does, step for
    step, so the coordinates are the same to the last bit."""
    pts = xy.tolist()
    seg = [
        math.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))
        for (ax, ay), (bx, by) in itertools.pairwise(pts)
    ]
    total = 0.0
    for s in seg:  # the line's length, summed in order as GEOS does
        total += s
    length = fraction * total
    done = 0.0
    for i, s in enumerate(seg):
        if done + s > length:
            frac = (length - done) / s
            if frac <= 0.0:
                return tuple(pts[i])
            if frac >= 1.0:
                return tuple(pts[i + 1])
            (ax, ay), (bx, by) = pts[i], pts[i + 1]
            return ((bx - ax) * frac + ax, (by - ay) * frac + ay)
        done += s
    return tuple(pts[-1])


def _names(net, walked):
    """Street names (in walking order, repeats merged) and ``highway`` values of the edges
    walked (those with metres > 0)."""
    edge_names, edge_highway = _edge_labels(net)
    names: list[str] = []
    highways: list[str] = []
    for e, metres in walked:
        if metres <= 0:
            continue
        for name in edge_names[e]:
            if not names or names[-1] != name:
                names.append(name)
        hw = edge_highway[e]
        if hw is not None:
            highways.append(hw)
    return names, highways


def _edge_labels(net):
    """Per edge: its street names (``name`` split at ``;``, stripped, empty ones dropped)
    and its ``highway`` value as text (or ``None``); made once per network."""

    def build():
        names = [
            ()
            if value is None
            else tuple(n for n in (p.strip() for p in str(value).split(";")) if n)
            for value in net.tags["name"]
        ]
        highway = [None if hw is None else str(hw) for hw in net.tags["highway"]]
        return names, highway

    return net._cached(("route_labels",), build)


@dataclass
class Route:
    """A walking route (EPSG:4326 geometry; distances in metres, times in minutes)."""

    geometry: shapely.LineString
    distance_m: float
    walk_min: float
    street_names: list[str]
    highways: list[str]
    profile: str
    method: str
    unknown_share: float

    @property
    def streets(self) -> list[str]:
        """Alias of ``street_names``."""
        return self.street_names

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The route as a one-row GeoDataFrame (EPSG:4326)."""
        data = {k: [v] for k, v in asdict(self).items() if k != "geometry"}
        return gpd.GeoDataFrame(data, geometry=[self.geometry], crs=STORAGE_CRS)

    @property
    def __geo_interface__(self) -> dict:
        props = {k: v for k, v in asdict(self).items() if k != "geometry"}
        return {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(self.geometry),
            "properties": props,
        }


_TO_DEG = Transformer.from_crs(ANALYSIS_CRS, STORAGE_CRS, always_xy=True)


def _result(line, distance_m, speed, names, highways, prof, method, share) -> Route:
    """The :class:`Route` of a line in EPSG:25832 (a LineString or its (n, 2) coordinates)."""
    xy = line if isinstance(line, np.ndarray) else shapely.get_coordinates(line)
    lon, lat = _TO_DEG.transform(xy[:, 0], xy[:, 1])
    return Route(
        shapely.LineString(np.column_stack([lon, lat])),
        float(distance_m),
        float(distance_m / speed),
        list(names),
        list(highways),
        prof.name,
        method,
        float(share),
    )
