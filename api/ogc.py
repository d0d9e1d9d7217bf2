"""The workspace layers as OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0).

Routes: ``/`` (landing page), ``/conformance``, ``/collections``,
``/collections/{collection_id}``, ``/collections/{collection_id}/items`` and
``/collections/{collection_id}/items/{feature_id}``. QGIS ("OGC API – Features"
connection, GDAL's OAPIF driver) and OWSLib read them.

Geometries are WGS84 longitude/latitude in degrees (CRS84). Items support ``bbox``
(``min lon,min lat,max lon,max lat``), ``limit`` (1..:data:`MAX_LIMIT`, larger values are
clamped as the standard asks), ``offset``, ``datetime`` (layers with ``start``/``end``)
and equality filters on any property of the layer (``category=debt``,
``quartier=lauf``, ``languages=tr`` matches a list that contains ``tr``; several values
separated by commas match any of them). Invalid parameters answer 400 with a message
naming the parameter, as OGC API – Features requires.

Public collections are the store layers in :data:`PUBLIC_LAYERS` that the workspace holds
plus the approved annotations of the participation workflow (never pending or rejected
ones), each with the office's public feedback: ``feedback_status``, ``answer``,
``answer_language``, the linked ``measure_id`` or ``scenario_id`` and ``feedback_at``
(never who answered, the change log or a receipt).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import (
    NetworksDep,
    ParticipationStoreDep,
    SettingsDep,
    Workspace,
    WorkspaceDep,
)
from api.errors import api_error
from api.geojson import GEOJSON, jsonable
from api.participation import feedback_store
from api.participation.store import ParticipationStore
from api.schemas import (
    CRS84,
    Collection,
    Collections,
    Conformance,
    ErrorBody,
    Extent,
    Feature,
    FeatureCollection,
    LandingPage,
    Link,
    SpatialExtent,
)
from api.security import public_base_url, public_request_url
from geoquartier.vocabulary import TIME_ZONE_NAME

router = APIRouter(tags=["OGC API – Features"])

JSON = "application/json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"

PUBLIC_LAYERS = (
    "quartiers",
    "offices",
    "services",
    "pois",
    "stops",
    "measures",
    "events",
    "population",
    "buildings",
)
"""Store layers published as collections (``addresses`` stays internal)."""

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
RESERVED_PARAMS = {"bbox", "bbox-crs", "limit", "offset", "f", "datetime", "crs"}

CONFORMANCE_CLASSES = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]

OGC_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "invalid parameter"},
    404: {"model": ErrorBody, "description": "unknown collection or feature"},
}

# --------------------------------------------------------------------------------------
# Collection sources


@dataclass(frozen=True)
class CollectionSource:
    """Where a collection's features come from: a reader returning a GeoDataFrame."""

    id: str
    title: str
    description: str
    read: Callable[[], Any]


def _store_source(workspace: Workspace, layer: str) -> CollectionSource:
    from geoquartier.layers.schema import LAYERS

    schema = LAYERS.get(layer)
    description = schema.description if schema is not None else ""
    return CollectionSource(
        id=layer,
        title=layer.capitalize(),
        description=description,
        read=partial(workspace.frame, layer),
    )


_approved_cache: dict[str, tuple[tuple[int, int], Any]] = {}


def _with_feedback(frame: Any, store: ParticipationStore) -> Any:
    """``frame`` of approved annotations (EPSG:4326) with their public feedback columns."""
    ids = [str(i) for i in frame["id"]]
    found = feedback_store.feedback_by_annotation(store, ids)
    for field in feedback_store.PUBLIC_FEEDBACK_FIELDS:
        frame[field] = pd.Series([found[i][field] for i in ids], index=frame.index, dtype=object)
    return frame


def _approved_frame(workspace: Workspace, store: ParticipationStore) -> Any:
    """Approved annotations (EPSG:4326) with their public feedback; the same frame object
    while no decision and no feedback changed."""
    version = (store.decisions_version(), feedback_store.feedback_version(store))
    cached = _approved_cache.get(str(store.path))
    if cached is not None and cached[0] == version:
        return cached[1]
    frame = _with_feedback(store.approved_frame(), store)
    _approved_cache[str(store.path)] = (version, frame)
    return frame


def _events_frame(workspace: Workspace, store: ParticipationStore) -> Any:
    """Participation events (EPSG:4326) plus any ``events`` layer of the workspace store."""
    frame = store.events_frame()
    if "events" in workspace.layers():
        stored = workspace.frame("events")
        if len(stored):
            frame = pd.concat([stored, frame], ignore_index=True) if len(frame) else stored
    return frame


PARTICIPATION_SOURCES = (
    (
        "events",
        "Events",
        "participation events (Stadtteilwerkstatt, Stadtteilspaziergang, ...)",
        _events_frame,
    ),
    (
        "annotations",
        "Annotations",
        "residents' ideas, problems, praise and questions (approved only), with the "
        "office's public feedback status and answer",
        _approved_frame,
    ),
)
"""Collections from the participation workflow (always listed, possibly empty): id, title,
description and reader of (workspace, participation store)."""


def collection_sources(
    workspace: WorkspaceDep, store: ParticipationStoreDep
) -> dict[str, CollectionSource]:
    """FastAPI dependency: the public collections available now, by id (store layers first)."""
    present = set(workspace.layers())
    sources = {
        layer: _store_source(workspace, layer) for layer in PUBLIC_LAYERS if layer in present
    }
    for cid, title, description, read in PARTICIPATION_SOURCES:
        sources[cid] = CollectionSource(cid, title, description, partial(read, workspace, store))
    return sources


SourcesDep = Annotated[dict[str, CollectionSource], Depends(collection_sources)]


def _source_or_404(sources: dict[str, CollectionSource], collection_id: str) -> CollectionSource:
    try:
        return sources[collection_id]
    except KeyError:
        known = ", ".join(sources) or "none (import a quartier first)"
        raise api_error(
            404, f"unknown collection {collection_id!r}; available collections: {known}"
        ) from None


# --------------------------------------------------------------------------------------
# Serialisation (cached per frame object)


@dataclass
class _Serialized:
    frame: Any
    features: list[str]
    index: dict[str, int]
    bbox: list[float] | None


_serialized: dict[str, _Serialized] = {}
_serial_lock = threading.Lock()


def _serialize(collection_id: str, frame: Any) -> _Serialized:
    cached = _serialized.get(collection_id)
    if cached is not None and cached.frame is frame:
        return cached
    import shapely

    with _serial_lock:
        cached = _serialized.get(collection_id)
        if cached is not None and cached.frame is frame:
            return cached
        columns = [c for c in frame.columns if c != frame.geometry.name]
        records = frame[columns].to_dict("records") if len(frame) else []
        geoms = shapely.to_geojson(frame.geometry.values) if len(frame) else []
        features: list[str] = []
        index: dict[str, int] = {}
        for i, (rec, geom) in enumerate(zip(records, geoms, strict=True)):
            props = {k: jsonable(v) for k, v in rec.items()}
            fid = str(props.get("id", i))
            index.setdefault(fid, i)
            features.append(
                '{"type":"Feature","id":'
                + json.dumps(fid, ensure_ascii=False)
                + ',"geometry":'
                + (geom if geom is not None else "null")
                + ',"properties":'
                + json.dumps(props, ensure_ascii=False, separators=(",", ":"))
                + "}"
            )
        bbox = None
        if len(frame) and not frame.geometry.is_empty.all():
            minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
            if all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
                bbox = [minx, miny, maxx, maxy]
        result = _Serialized(frame, features, index, bbox)
        _serialized[collection_id] = result
        return result


# --------------------------------------------------------------------------------------
# Parameters


def _parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise api_error(400, "bbox must be 4 numbers: min lon,min lat,max lon,max lat")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise api_error(400, f"bbox must be numbers separated by commas, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise api_error(400, "bbox values must be finite numbers")
    if len(values) == 6:
        minx, miny, _, maxx, maxy, _ = values
    else:
        minx, miny, maxx, maxy = values
    if not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        raise api_error(400, "bbox is outside -180..180 longitude / -90..90 latitude (CRS84)")
    if miny > maxy:
        raise api_error(400, "bbox min lat is larger than max lat")
    if minx > maxx:
        raise api_error(400, "bbox crossing the antimeridian (min lon > max lon) is not supported")
    return minx, miny, maxx, maxy


def _parse_instant(text: str, name: str) -> pd.Timestamp | None:
    if text in ("", ".."):
        return None
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        raise api_error(400, f"{name} {text!r} is not an RFC 3339 date-time") from None
    if ts is pd.NaT:
        raise api_error(400, f"{name} {text!r} is not an RFC 3339 date-time")
    if ts.tzinfo is None:
        ts = ts.tz_localize(TIME_ZONE_NAME)
    return ts.tz_convert("UTC")


def _datetime_mask(frame: Any, text: str) -> Any:
    if "/" in text:
        first, _, second = text.partition("/")
        lo, hi = _parse_instant(first, "datetime start"), _parse_instant(second, "datetime end")
    else:
        lo = hi = _parse_instant(text, "datetime")
        if lo is None:
            raise api_error(400, "datetime must be a date-time or an interval start/end")
    if lo is not None and hi is not None and lo > hi:
        raise api_error(400, "datetime interval start is after its end")
    if "start" not in frame.columns:
        return None  # layer without time: the parameter does not restrict it
    start = pd.to_datetime(frame["start"], utc=True, errors="coerce")
    end = (
        pd.to_datetime(frame["end"], utc=True, errors="coerce") if "end" in frame.columns else start
    )
    end = end.fillna(start)
    mask = pd.Series(True, index=frame.index)
    if hi is not None:
        mask &= start.notna() & (start <= hi)
    if lo is not None:
        mask &= end.notna() & (end >= lo)
    return mask.to_numpy()


def _is_list_column(column: pd.Series) -> bool:
    """Whether any value of ``column`` is a list (``languages``), wherever it is."""
    return column.dtype == object and bool(
        column.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any()
    )


def _property_mask(frame: Any, name: str, text: str) -> Any:
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise api_error(400, f"filter {name!r} needs a value")
    column = frame[name]
    if _is_list_column(column):
        wanted = set(values)
        return column.map(
            lambda v: isinstance(v, (list, tuple, np.ndarray)) and bool(wanted & set(v))
        ).to_numpy(dtype=bool)
    if pd.api.types.is_bool_dtype(column.dtype):
        parsed = []
        for v in values:
            if v.lower() not in ("true", "false"):
                raise api_error(400, f"filter {name!r} takes true or false, got {v!r}")
            parsed.append(v.lower() == "true")
        return column.isin(parsed).fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column.dtype):
        try:
            numbers = [float(v) for v in values]
        except ValueError:
            raise api_error(400, f"filter {name!r} takes numbers, got {text!r}") from None
        if not all(math.isfinite(v) for v in numbers):
            raise api_error(400, f"filter {name!r} takes finite numbers, got {text[:40]!r}")
        return column.astype("Float64").isin(numbers).fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        raise api_error(400, f"filter on the date-time property {name!r}: use datetime=start/end")
    return column.astype("string").isin(values).fillna(False).to_numpy(dtype=bool)


def _media_type(request: Request, f: str | None) -> str:
    if f is not None:
        return GEOJSON if f == "geojson" else JSON
    accept = request.headers.get("accept", "")
    if accept and GEOJSON not in accept and JSON in accept and "*/*" not in accept:
        return JSON
    return GEOJSON


def _iso_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------------------
# Routes

FormatParam = Annotated[
    Literal["json", "geojson"] | None,
    Query(description="response format: json (application/json) or geojson (application/geo+json)"),
]


@router.get("/", response_model=LandingPage, summary="Landing page")
def landing_page(request: Request, settings: SettingsDep) -> LandingPage:
    """Links to the API definition, the conformance classes and the collections."""
    base = public_base_url(request, settings)
    return LandingPage(
        title="geoquartier",
        description=(
            "Quartier layers (offices, advisory services, daily needs, stops, measures, "
            "events, residents, buildings, approved annotations) as OGC API – Features, "
            "walking queries and interactive maps."
        ),
        links=[
            Link(href=f"{base}/", rel="self", type=JSON, title="this document"),
            Link(
                href=f"{base}/openapi.json",
                rel="service-desc",
                type=OPENAPI_JSON,
                title="the API definition",
            ),
            Link(
                href=f"{base}/docs",
                rel="service-doc",
                type="text/html",
                title="the API documentation",
            ),
            Link(
                href=f"{base}/conformance",
                rel="conformance",
                type=JSON,
                title="conformance classes",
            ),
            Link(href=f"{base}/collections", rel="data", type=JSON, title="the collections"),
            Link(
                href=f"{base}/quartiers",
                rel="quartiers",
                type=JSON,
                title="the quartiers and their maps",
            ),
        ],
    )


@router.get("/conformance", response_model=Conformance, summary="Conformance classes")
def conformance() -> Conformance:
    """The OGC API – Features conformance classes this API implements."""
    return Conformance(conformsTo=CONFORMANCE_CLASSES)


def _collection(base: str, source: CollectionSource) -> Collection:
    extent = None
    serialized = _serialize(source.id, source.read())
    if serialized.bbox is not None:
        extent = Extent(spatial=SpatialExtent(bbox=[serialized.bbox]))
    href = f"{base}/collections/{source.id}"
    return Collection(
        id=source.id,
        title=source.title,
        description=source.description,
        extent=extent,
        links=[
            Link(href=href, rel="self", type=JSON, title=source.title),
            Link(
                href=f"{href}/items", rel="items", type=GEOJSON, title=f"{source.title} (GeoJSON)"
            ),
            Link(
                href=f"{href}/items?f=json", rel="items", type=JSON, title=f"{source.title} (JSON)"
            ),
        ],
        crs=[CRS84],
    )


@router.get("/collections", response_model=Collections, summary="List the collections")
def collections(request: Request, settings: SettingsDep, sources: SourcesDep) -> Collections:
    """Every public layer of the workspace with its extent (CRS84 degrees)."""
    base = public_base_url(request, settings)
    return Collections(
        links=[Link(href=f"{base}/collections", rel="self", type=JSON, title="collections")],
        collections=[_collection(base, s) for s in sources.values()],
    )


CollectionId = Annotated[
    str, Path(description="the collection (layer) name, e.g. services", max_length=64)
]


@router.get(
    "/collections/{collection_id}",
    response_model=Collection,
    responses=OGC_ERRORS,
    summary="Describe a collection",
)
def collection(
    request: Request, collection_id: CollectionId, settings: SettingsDep, sources: SourcesDep
) -> Collection:
    """One collection: title, description, extent and links to its items."""
    return _collection(public_base_url(request, settings), _source_or_404(sources, collection_id))


@router.get(
    "/collections/{collection_id}/items",
    response_model=FeatureCollection,
    responses={**OGC_ERRORS, 200: {"content": {GEOJSON: {}}}},
    summary="Features of a collection",
)
def items(
    request: Request,
    collection_id: CollectionId,
    settings: SettingsDep,
    sources: SourcesDep,
    bbox: Annotated[
        str | None,
        Query(
            description="min lon,min lat,max lon,max lat (CRS84 degrees)",
            examples=["11.25,49.50,11.31,49.53"],
            max_length=200,
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, description=f"page size (at most {MAX_LIMIT})")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10**9, description="features to skip")] = 0,
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            max_length=100,
            description="instant or interval start/end (.. for open); layers with start/end only",
        ),
    ] = None,
    f: FormatParam = None,
    quartier: Annotated[str | None, Query(max_length=200, description="quartier slug(s)")] = None,
    category: Annotated[
        str | None, Query(max_length=200, description="category (services, pois)")
    ] = None,
    kind: Annotated[
        str | None,
        Query(max_length=200, description="kind (offices, measures, events, annotations)"),
    ] = None,
    status: Annotated[str | None, Query(max_length=200, description="status (measures)")] = None,
) -> Response:
    """A page of features as GeoJSON, with ``numberMatched``, ``numberReturned`` and links.

    Other properties of the layer filter too (``languages=tr``, ``wheelchair=yes``, ...).
    """
    frame = _source_or_404(sources, collection_id).read()
    serialized = _serialize(collection_id, frame)
    mask = _bbox_mask(frame, bbox)
    if datetime_ is not None:
        dt_mask = _datetime_mask(frame, datetime_)
        if dt_mask is not None:
            mask &= dt_mask
    for name, value in _property_filters(request, frame, collection_id).items():
        mask &= _property_mask(frame, name, value)

    selected = np.flatnonzero(mask)
    limit = min(limit, MAX_LIMIT)
    page = selected[offset : offset + limit]
    matched, returned = len(selected), len(page)
    media = _media_type(request, f)
    url = public_request_url(request, settings)
    links = _page_links(url, media, offset, limit, more=offset + returned < matched)
    links.append(
        Link(
            href=f"{public_base_url(request, settings)}/collections/{collection_id}",
            rel="collection",
            type=JSON,
            title="the collection",
        )
    )

    features = ",".join(serialized.features[i] for i in page)
    tail = json.dumps(
        {
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": _iso_now(),
            "links": [link.model_dump(exclude_none=True) for link in links],
        },
        ensure_ascii=False,
    )
    body = '{"type":"FeatureCollection","features":[' + features + "]," + tail[1:]
    return Response(content=body.encode("utf-8"), media_type=media)


def _bbox_mask(frame: Any, bbox: str | None) -> np.ndarray:
    """Rows whose geometry intersects ``bbox`` (all rows when it is not given)."""
    mask = np.ones(len(frame), dtype=bool)
    if bbox is None:
        return mask
    from shapely.geometry import box

    minx, miny, maxx, maxy = _parse_bbox(bbox)
    hits = (
        frame.sindex.query(box(minx, miny, maxx, maxy), predicate="intersects")
        if len(frame)
        else []
    )
    mask[:] = False
    mask[np.asarray(hits, dtype=int)] = True
    return mask


def _property_filters(request: Request, frame: Any, collection_id: str) -> dict[str, str]:
    """The query parameters that filter on a property of the layer (400 for unknown ones)."""
    columns = set(frame.columns) - {frame.geometry.name}
    filters = {}
    for name, value in request.query_params.multi_items():
        if name in RESERVED_PARAMS:
            continue
        if name not in columns:
            raise api_error(
                400,
                f"unknown parameter {name!r} for collection {collection_id!r}; filterable "
                f"properties: {', '.join(sorted(columns))}",
            )
        filters[name] = value
    for name in ("bbox-crs", "crs"):
        if request.query_params.get(name) not in (None, CRS84):
            raise api_error(400, f"{name} must be {CRS84}")
    return filters


def _page_links(url: Any, media: str, offset: int, limit: int, more: bool) -> list[Link]:
    """self, alternate, next and prev links of a page of items at ``url``."""
    alternate = GEOJSON if media == JSON else JSON
    links = [
        Link(href=str(url), rel="self", type=media, title="this page"),
        Link(
            href=str(url.include_query_params(f="json" if alternate == JSON else "geojson")),
            rel="alternate",
            type=alternate,
            title="this page as " + alternate,
        ),
    ]
    if more:
        links.append(
            Link(
                href=str(url.include_query_params(offset=offset + limit, limit=limit)),
                rel="next",
                type=media,
                title="next page",
            )
        )
    if offset > 0:
        links.append(
            Link(
                href=str(url.include_query_params(offset=max(0, offset - limit), limit=limit)),
                rel="prev",
                type=media,
                title="previous page",
            )
        )
    return links


@router.get(
    "/collections/{collection_id}/items/{feature_id:path}",
    response_model=Feature,
    responses={**OGC_ERRORS, 200: {"content": {GEOJSON: {}}}},
    summary="One feature",
)
def item(
    request: Request,
    collection_id: CollectionId,
    feature_id: Annotated[str, Path(description="the feature id", max_length=500)],
    settings: SettingsDep,
    sources: SourcesDep,
    workspace: WorkspaceDep,
    networks: NetworksDep,
    f: FormatParam = None,
) -> Response:
    """One feature by id, as GeoJSON with links to itself and its collection. A building
    measure that names a published planning scenario also gets ``scenario_title``,
    ``residents_gaining_access`` (residents newly within ``access_minutes`` walking
    minutes of a category the scenario changes, for any walking profile),
    ``residents_walking_less`` and ``scenario_categories``."""
    source = _source_or_404(sources, collection_id)
    serialized = _serialize(collection_id, source.read())
    position = serialized.index.get(feature_id)
    if position is None:
        raise api_error(404, f"collection {collection_id!r} has no feature with id {feature_id!r}")
    feature = json.loads(serialized.features[position])
    props = feature.get("properties") or {}
    if collection_id == "measures" and props.get("scenario_id") and props.get("quartier"):
        from api.scenarios import measure_scenario_properties

        props.update(
            measure_scenario_properties(
                workspace, networks, str(props["quartier"]), str(props["scenario_id"])
            )
        )
    base = public_base_url(request, settings)
    media = _media_type(request, f)
    feature["links"] = [
        {"href": str(public_request_url(request, settings)), "rel": "self", "type": media},
        {"href": f"{base}/collections/{collection_id}", "rel": "collection", "type": JSON},
    ]
    return JSONResponse(feature, media_type=media)
