"""Walking queries: isochrones, routes and the referral query ``/services/nearest``.

Coordinates are WGS84 longitude/latitude in degrees; answers are GeoJSON in EPSG:4326.
The point's quartier is the one whose boundary (with a margin of
:data:`api.deps.QUARTIER_MARGIN_M` metres) holds it; its walk network (or, for quartiers
in ``estimate`` mode, straight line × detour factor) answers the query. A point outside
every quartier of the workspace, or too far from any walkable way, gets a 422 that says so.

``/services/nearest`` is the question a resident brings to the office: "where can I get
debt advice in Turkish near me, and is it open now?" — services of a category offering a
language, ranked by walking time, each with its route, whether it is open at ``open_at``
(the quartier's state holidays count) and when it next opens.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import deps
from api.deps import QuartierContextDep
from api.errors import api_error
from api.geojson import GEOJSON, frame_features, json_geometry, jsonable
from api.schemas import ErrorBody, IsochroneCollection, NearestServices, RouteFeature
from geoquartier.errors import GeoquartierError
from geoquartier.layers.validate import EARLIEST_YEAR, LATEST_YEAR, in_date_range
from geoquartier.vocabulary import TIME_ZONE

router = APIRouter(tags=["walking queries"])

LOCAL_TZ = TIME_ZONE
MAX_MINUTES = 60.0
MAX_LIMIT = 20

_walk_lock = threading.Lock()
"""Routes and referral queries compute one at a time per process: the work is CPU-bound
and holds the GIL, so threads gain nothing from running it side by side, and taking
turns keeps the latency of concurrent requests even (first come, first served instead
of every request slowed by all the others)."""

QUERY_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {}}, "description": "GeoJSON (EPSG:4326)"},
    422: {
        "model": ErrorBody,
        "description": "invalid parameter, or a point outside every quartier",
    },
}

Lon = Annotated[
    float, Query(ge=-180, le=180, allow_inf_nan=False, description="longitude (WGS84 degrees)")
]
Lat = Annotated[
    float, Query(ge=-90, le=90, allow_inf_nan=False, description="latitude (WGS84 degrees)")
]
ProfileParam = Annotated[
    str, Query(max_length=30, description="walking profile: standard, senior, wheelchair")
]


# --------------------------------------------------------------------------------------
# Helpers


def _profile(name: str):
    from geoquartier.mobility.profiles import PROFILES

    if name not in PROFILES:
        raise api_error(422, f"unknown profile {name!r}; known profiles: {', '.join(PROFILES)}")
    return PROFILES[name]


def _point(text: str, name: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise api_error(422, f"{name} must be 'lon,lat' in WGS84 degrees, got {text!r}")
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise api_error(422, f"{name} must be two numbers 'lon,lat', got {text!r}") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise api_error(422, f"{name} {text!r} is outside -180..180 longitude / -90..90 latitude")
    return lon, lat


def _quartier_for(
    lon: float, lat: float, ctx: deps.QuartierContext, what: str = "the point"
) -> deps.QuartierMatch:
    """The quartier holding the point (EPSG:4326 degrees); 422 when there is none."""
    workspace = ctx.workspace
    match = deps.quartier_at(lon, lat, workspace=workspace, registry=ctx.registry)
    if match is None:
        names = []
        try:
            names = sorted(map(str, workspace.frame("quartiers")["id"]))
        except GeoquartierError:  # nothing imported yet: the message says so
            names = []
        known = ", ".join(names) or "none (import a quartier first)"
        raise api_error(
            422,
            f"{what} ({lon:.6f}, {lat:.6f}) lies outside every quartier of the workspace "
            f"(quartiers: {known}); walking queries are answered inside a quartier only",
        )
    return match


def _is_estimate(network: Any) -> bool:
    return getattr(network, "method", "network") == "estimate"


def _gdf_point(lon: float, lat: float, point_id: str = "origin"):
    import geopandas as gpd
    from shapely.geometry import Point

    return gpd.GeoDataFrame({"id": [point_id]}, geometry=[Point(lon, lat)], crs="EPSG:4326")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _route(network, origin: tuple[float, float], destination: tuple[float, float], profile) -> dict:
    """The walking route as a GeoJSON Feature dict (EPSG:4326): distance_m, walk_min, streets.

    Raises :class:`geoquartier.errors.GeoquartierError` (answered 422) when a point is too
    far from a way the profile may use or no route exists.
    """
    from geoquartier.mobility import route as mobility_route

    return _route_feature(
        mobility_route(network, origin, destination, profile=profile), network, profile
    )


def _route_feature(result, network, profile) -> dict:
    """A :class:`geoquartier.mobility.Route` as a GeoJSON Feature dict (EPSG:4326)."""
    return {
        "type": "Feature",
        "geometry": json_geometry(result.geometry),
        "properties": {
            "distance_m": round(float(result.distance_m), 1),
            "walk_min": round(float(result.walk_min), 2),
            "streets": [str(s) for s in result.street_names if s],
            "profile": profile.name,
            "estimate": _is_estimate(network),
            "unknown_share": _finite(getattr(result, "unknown_share", None)),
        },
    }


def _local(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(LOCAL_TZ).replace(microsecond=0)
    if at.tzinfo is None:
        return at.replace(tzinfo=LOCAL_TZ)
    return at.astimezone(LOCAL_TZ)


@lru_cache(maxsize=4096)
def _opening_hours(expression: str, state: str):
    from geoquartier.layers.opening_hours import OpeningHours

    return OpeningHours(expression, state)


def _hours(
    expression: Any, state: str, at: datetime
) -> tuple[bool | None, datetime | None, datetime | None]:
    """(open at ``at``, next opening (``at`` if open), next closing if open) for an expression."""
    if not isinstance(expression, str) or not expression.strip():
        return None, None, None
    try:
        hours = _opening_hours(expression.strip(), state)
        is_open = hours.is_open(at)
        if is_open:
            return True, at, hours.next_change(at)
        return False, hours.next_change(at), None
    except (ValueError, OverflowError):
        return None, None, None


# --------------------------------------------------------------------------------------
# Routes


@router.get(
    "/isochrone",
    response_model=IsochroneCollection,
    responses=QUERY_ERRORS,
    summary="Area reachable on foot",
)
def isochrone(
    lon: Lon,
    lat: Lat,
    minutes: Annotated[
        float,
        Query(
            gt=0,
            le=MAX_MINUTES,
            allow_inf_nan=False,
            description=f"walking time in minutes (at most {MAX_MINUTES:g})",
        ),
    ] = 10,
    profile: ProfileParam = "standard",
    *,
    ctx: QuartierContextDep,
) -> JSONResponse:
    """The area reachable from the point within ``minutes`` at the profile's speed (GeoJSON)."""
    from geoquartier.mobility import isochrones

    prof = _profile(profile)
    match = _quartier_for(lon, lat, ctx)
    network = ctx.networks.get(match.id)
    result = isochrones(network, _gdf_point(lon, lat), minutes=[minutes], profile=prof)
    if result.attrs.get("off_network"):  # isochrones() lists off-network points in attrs
        raise api_error(
            422,
            f"the point ({lon:.6f}, {lat:.6f}) is too far from any way usable "
            f"with the profile {prof.name!r}",
        )
    features = frame_features(result)
    body = {
        "type": "FeatureCollection",
        "features": features,
        "quartier": match.id,
        "profile": prof.name,
        "minutes": minutes,
        "estimate": _is_estimate(network),
    }
    return JSONResponse(body, media_type=GEOJSON)


@router.get(
    "/route",
    response_model=RouteFeature,
    responses=QUERY_ERRORS,
    summary="Walking route between two points",
)
def route(
    from_: Annotated[
        str,
        Query(
            alias="from",
            max_length=100,
            description="start as 'lon,lat'",
            examples=["11.2790,49.5110"],
        ),
    ],
    to: Annotated[
        str,
        Query(max_length=100, description="destination as 'lon,lat'", examples=["11.2840,49.5080"]),
    ],
    profile: ProfileParam = "standard",
    *,
    ctx: QuartierContextDep,
) -> JSONResponse:
    """The shortest walking route (LineString) with ``distance_m``, ``walk_min`` and streets."""
    prof = _profile(profile)
    origin = _point(from_, "from")
    destination = _point(to, "to")
    match = _quartier_for(*origin, ctx, what="the start")
    other = _quartier_for(*destination, ctx, what="the destination")
    if other.id != match.id:
        raise api_error(
            422,
            f"start and destination lie in different quartiers "
            f"({match.id!r}, {other.id!r}); routes stay inside one quartier",
        )
    network = ctx.networks.get(match.id)
    with _walk_lock:
        feature = _route(network, origin, destination, prof)
    feature["properties"]["quartier"] = match.id
    return JSONResponse(feature, media_type=GEOJSON)


@router.get(
    "/services/nearest",
    response_model=NearestServices,
    responses=QUERY_ERRORS,
    summary="Nearest advisory services by walking time",
)
def services_nearest(
    lon: Lon,
    lat: Lat,
    category: Annotated[
        str | None, Query(max_length=30, description="service category, e.g. debt")
    ] = None,
    language: Annotated[
        str | None,
        Query(max_length=10, description="ISO 639-1 code the service must offer, e.g. tr"),
    ] = None,
    open_at: Annotated[
        datetime | None,
        Query(
            description="when the resident wants to go (ISO 8601; naive = Europe/Berlin); "
            "default now"
        ),
    ] = None,
    profile: ProfileParam = "standard",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="how many services")] = 5,
    *,
    ctx: QuartierContextDep,
) -> JSONResponse:
    """Services of ``category`` offering ``language``, ranked by walking time from the point.

    Each has its route, ``open_at_time`` (open at ``open_at``; null if its opening hours
    are unknown) and ``next_opening`` (``open_at`` itself when open, else the next time it
    opens, as local Europe/Berlin time with offset).
    """
    prof = _profile(profile)
    language = _service_filters(category, language)
    at = _open_at(open_at)
    match = _quartier_for(lon, lat, ctx)
    network = ctx.networks.get(match.id)

    workspace = ctx.workspace
    services = workspace.frame("services") if "services" in workspace.layers() else None
    records, geoms, lonlat = _candidates(services, match.id, category, language)
    features: list[dict] = []
    if records:
        ranked, walks = _ranked_walks(network, (lon, lat), records, lonlat, prof, limit)
        for rank, (i, walk) in enumerate(zip(ranked, walks, strict=True), start=1):
            rec = records[i]
            spec = ctx.registry.get(str(rec.get("quartier")))
            state = getattr(spec, "state", match.state) if spec is not None else match.state
            features.append(_service_feature(rank, rec, geoms[i], walk, state, at))
    body = {
        "type": "FeatureCollection",
        "features": features,
        "quartier": match.id,
        "profile": prof.name,
        "category": category,
        "language": language,
        "open_at": at.isoformat(),
        "numberReturned": len(features),
    }
    return JSONResponse(body, media_type=GEOJSON)


def _open_at(open_at: datetime | None) -> datetime:
    """``open_at`` as local time (Europe/Berlin); now when not given; 422 outside
    1900–2100."""
    if open_at is not None and not in_date_range(open_at):
        raise api_error(
            422,
            f"open_at {open_at.isoformat()} is out of range: dates outside "
            f"{EARLIEST_YEAR}–{LATEST_YEAR} are refused",
        )
    try:
        return _local(open_at)
    except (OverflowError, ValueError):
        raise api_error(422, "open_at is out of range") from None


def _service_filters(category: str | None, language: str | None) -> str | None:
    """Check the category (422 if unknown); the language as a lower-case ISO 639-1 code."""
    from geoquartier.layers.schema import SERVICE_CATEGORIES

    if category is not None and category not in SERVICE_CATEGORIES:
        raise api_error(
            422, f"unknown category {category!r}; categories: {', '.join(SERVICE_CATEGORIES)}"
        )
    if language is None:
        return None
    language = language.strip().lower()
    if not (len(language) == 2 and language.isascii() and language.isalpha()):
        raise api_error(422, f"language must be an ISO 639-1 code such as 'tr', got {language!r}")
    return language


def _ranked_walks(
    network: Any,
    origin: tuple[float, float],
    records: list[dict],
    lonlat: np.ndarray,
    prof: Any,
    limit: int,
) -> tuple[list[int], list[dict]]:
    """The nearest ``limit`` candidates (positions in ``records``) by walking time from
    ``origin`` (EPSG:4326 lon/lat), with their routes as GeoJSON Features.

    One shortest-path search from the point ranks the candidates (it settles the nearest
    ``limit`` and any within 0.02 min of the last, so the ranking by rounded time and id is
    exact); the routes come from the same search.
    """
    from geoquartier.mobility import route_tree

    lon, lat = origin
    with _walk_lock:
        try:
            tree = route_tree(network, origin, lonlat, prof, k=limit)
        except GeoquartierError as exc:  # the resident's point is off the network
            raise api_error(
                422, f"no service reachable on foot from ({lon:.6f}, {lat:.6f}): {exc}"
            ) from None
        walk_min = [round(float(w), 2) for w in tree.walk_min]  # as the answer shows it
        reachable = np.flatnonzero(np.isfinite(tree.walk_min))
        if not len(reachable):
            raise api_error(
                422,
                f"no service reachable on foot from ({lon:.6f}, {lat:.6f}) with profile "
                f"{prof.name!r}: every matching service is off the network or unreachable",
            )
        order = sorted(reachable.tolist(), key=lambda i: (walk_min[i], str(records[i]["id"])))
        ranked = order[:limit]
        return ranked, [_route_feature(r, network, prof) for r in tree.routes(ranked)]


_candidate_cache: dict[tuple, tuple[Any, list[dict], list, np.ndarray]] = {}


def _candidates(services, quartier: str, category: str | None, language: str | None):
    """Services of the quartier with the category and language: (records, geometries,
    (n, 2) array of their WGS84 lon/lat).

    Cached per services frame (the frame is replaced when the workspace changes).
    """
    if services is None or not len(services):
        return [], [], np.empty((0, 2))
    key = (id(services), quartier, category, language)
    hit = _candidate_cache.get(key)
    if hit is not None and hit[0] is services:
        return hit[1], hit[2], hit[3]
    mask = np.array(services["quartier"].astype(str) == quartier, dtype=bool)
    if category is not None:
        mask &= (services["category"].astype(str) == category).to_numpy()
    if language is not None:
        mask &= (
            services["languages"]
            .map(lambda v: isinstance(v, (list, tuple)) and language in v)
            .to_numpy(dtype=bool)
        )
    chosen = services[mask]
    records = chosen.drop(columns=chosen.geometry.name).to_dict("records")
    geoms = list(chosen.geometry.to_numpy())
    lonlat = shapely.get_coordinates(chosen.geometry.to_numpy()).reshape(-1, 2)
    if len(_candidate_cache) > 1024:
        _candidate_cache.clear()
    _candidate_cache[key] = (services, records, geoms, lonlat)
    return records, geoms, lonlat


def _service_feature(rank: int, rec: dict, geom, walk: dict, state: str, at: datetime) -> dict:
    open_now, next_opening, closes_at = _hours(rec.get("opening_hours"), state, at)
    props: dict[str, Any] = {"rank": rank}
    for key in (
        "id",
        "name",
        "category",
        "languages",
        "operator",
        "address",
        "phone",
        "opening_hours",
        "wheelchair",
        "quartier",
    ):
        props[key] = jsonable(rec.get(key))
    props["distance_m"] = walk["properties"]["distance_m"]
    props["walk_min"] = walk["properties"]["walk_min"]
    props["open_at_time"] = open_now
    props["next_opening"] = next_opening.isoformat() if next_opening is not None else None
    props["closes_at"] = closes_at.isoformat() if closes_at is not None else None
    props["estimate"] = walk["properties"]["estimate"]
    props["route"] = walk
    return {
        "type": "Feature",
        "id": props["id"],
        "geometry": json_geometry(geom),
        "properties": props,
    }
