"""The walking route between two points for a profile.

Both points snap to the nearest point on an edge the profile may use; the route runs
from the start point along its access leg, over partial and whole edges, to the end
point. Works in EPSG:25832, returns EPSG:4326.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
from pyproj import Transformer

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.mobility import paths
from geoquartier.mobility.profiles import Profile, get_profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M, snap_points

_TO_M = Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)


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
        return _result(line, d, speed, [], [], prof, "estimate", 1.0 if prof.unknown_tags else np.nan)

    pg = paths.profile_graph(network, prof)
    snap = snap_points(network, np.array([x0, x1]), np.array([y0, y1]), pg.allowed, max_snap_m)
    for i, label in enumerate(("start", "destination")):
        if snap.edge[i] < 0:
            raise GeoquartierError(
                f"the {label} point is more than {max_snap_m:g} m from any way usable with profile {prof.name!r}"
            )
    src = snap.take(np.array([0]))
    dst = snap.take(np.array([1]))
    res = paths.search(pg, src, min_only=True, predecessors=True)
    net = network
    e_t, s_t = int(dst.edge[0]), float(dst.offset_m[0])
    e_s, s_s = int(src.edge[0]), float(src.offset_m[0])
    length_t = net.edge_length_m[e_t]
    cand = [
        (res.dist[net.edge_u[e_t]] + s_t, "u"),
        (res.dist[net.edge_v[e_t]] + (length_t - s_t), "v"),
    ]
    if e_t == e_s:
        cand.append((abs(s_t - s_s) + float(src.access_m[0]), "same"))
    best, how = min(cand, key=lambda c: c[0])
    if not np.isfinite(best):
        raise GeoquartierError(f"no walking route between the two points for profile {prof.name!r}")

    pieces: list[np.ndarray] = [np.array([[x0, y0], [src.x[0], src.y[0]]])]
    walked: list[tuple[int, float]] = []  # (edge, metres walked on it)
    if how == "same":
        pieces.append(_part(net, e_s, src.fraction[0], dst.fraction[0]))
        walked.append((e_s, abs(s_t - s_s)))
    else:
        end_node = net.edge_u[e_t] if how == "u" else net.edge_v[e_t]
        chain = [int(end_node)]
        n = net.n_nodes
        while res.pred[chain[-1]] >= 0 and res.pred[chain[-1]] < n:
            chain.append(int(res.pred[chain[-1]]))
        chain.reverse()
        first = chain[0]
        # from the start point along its edge to the first node
        f_first = 0.0 if net.edge_u[e_s] == first else 1.0
        pieces.append(_part(net, e_s, src.fraction[0], f_first))
        walked.append((e_s, abs(f_first - src.fraction[0]) * net.edge_length_m[e_s]))
        if len(chain) > 1:
            pos = paths._row_lookup(pg, np.array(chain[:-1]), np.array(chain[1:]))
            for p, e in zip(chain[:-1], pg.csr_edge[pos]):
                forward = net.edge_u[e] == p
                pieces.append(_part(net, int(e), 0.0 if forward else 1.0, 1.0 if forward else 0.0))
                walked.append((int(e), float(net.edge_length_m[e])))
        f_end = 0.0 if how == "u" else 1.0
        pieces.append(_part(net, e_t, f_end, dst.fraction[0]))
        walked.append((e_t, abs(dst.fraction[0] - f_end) * length_t))
    pieces.append(np.array([[dst.x[0], dst.y[0]], [x1, y1]]))
    coords = np.concatenate(pieces)
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(np.diff(coords, axis=0) != 0, axis=1)
    coords = coords[keep]
    if len(coords) < 2:
        coords = np.array([[x0, y0], [x1, y1]])
    distance = float(best) + float(dst.access_m[0])
    names, highways = _names(net, walked)
    share = np.nan
    if prof.unknown_tags:
        unknown = prof.unknown_edges(net)
        total = sum(m for _, m in walked)
        share = float(sum(m for e, m in walked if unknown[e]) / total) if total > 0 else 0.0
    return _result(shapely.LineString(coords), distance, speed, names, highways, prof, "network", share)


def _metric(lonlat, label: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in lonlat)
    except (TypeError, ValueError):
        raise GeoquartierError(f"{label}: expected (longitude, latitude), got {lonlat!r}") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeoquartierError(f"{label}: ({lon}, {lat}) is not a longitude/latitude pair")
    x, y = _TO_M.transform(lon, lat)
    return float(x), float(y)


def _part(net, edge: int, fa: float, fb: float) -> np.ndarray:
    """Coordinates of ``edge`` from fraction ``fa`` to ``fb`` (either direction)."""
    coords, offsets, cumfrac = net.edge_vertex_arrays()
    xy = coords[offsets[edge]:offsets[edge + 1]]
    cf = cumfrac[offsets[edge]:offsets[edge + 1]]
    lo, hi = min(fa, fb), max(fa, fb)
    geom = net.edge_geometry[edge]
    p_lo = shapely.get_coordinates(shapely.line_interpolate_point(geom, lo, normalized=True))
    p_hi = shapely.get_coordinates(shapely.line_interpolate_point(geom, hi, normalized=True))
    inner = xy[(cf > lo) & (cf < hi)]
    part = np.concatenate([p_lo, inner, p_hi])
    return part if fa <= fb else part[::-1]


def _names(net, walked):
    names: list[str] = []
    highways: list[str] = []
    for e, metres in walked:
        if metres <= 0:
            continue
        value = net.tags["name"][e]
        for name in ([] if value is None else str(value).split(";")):
            name = name.strip()
            if name and (not names or names[-1] != name):
                names.append(name)
        hw = net.tags["highway"][e]
        if hw is not None:
            highways.append(str(hw))
    return names, highways


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
        return {"type": "Feature", "geometry": shapely.geometry.mapping(self.geometry), "properties": props}


_TO_DEG = Transformer.from_crs(ANALYSIS_CRS, STORAGE_CRS, always_xy=True)


def _result(line, distance_m, speed, names, highways, prof, method, share) -> Route:
    xy = shapely.get_coordinates(line)
    lon, lat = _TO_DEG.transform(xy[:, 0], xy[:, 1])
    return Route(shapely.LineString(np.column_stack([lon, lat])), float(distance_m),
                 float(distance_m / speed), list(names), list(highways), prof.name, method,
                 float(share))
