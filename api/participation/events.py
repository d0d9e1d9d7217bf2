"""Routes of participation events and their documentation.

* ``POST /events`` — planners create an event (Stadtteilwerkstatt, Stadtteilspaziergang, …)
  at a place in a quartier; with an ``Idempotency-Key`` header a retry returns the first
  answer (:mod:`api.participation.idempotency`).
* ``GET /events``, ``GET /events/{id}`` — public list and detail (GeoJSON, EPSG:4326).
* ``GET /events/{id}/report.geojson|.csv|.html`` — the event's documentation (staff):
  every annotation of the event with its review state; the HTML report has a map, a
  table and counts by kind and status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from shapely.geometry import Point

from api.deps import ParticipationStoreDep, RegistryDep
from api.errors import api_error, max_body_size
from api.geojson import GEOJSON, event_feature, feature_collection
from api.participation import auth, report
from api.participation.idempotency import IdempotencyKey, idempotency, replay_headers
from api.participation.pages import html_page
from api.participation.settings import BodyText, LimitsDep
from api.participation.store import IdempotencyConflict, NotFound, ParticipationStore, User
from api.participation.validation import SubmissionError, area_or_404, check_geometry
from api.security import new_nonce
from geoquartier.layers.validate import EARLIEST_YEAR, LATEST_YEAR, clean_text, in_date_range
from geoquartier.vocabulary import TIME_ZONE

router = APIRouter()

LOCAL_TZ = TIME_ZONE
EventId = Annotated[str, Path(description="event id", max_length=64)]
EMPTY_TEXT = "is empty (only blanks, control or zero-width characters)"


class Location(BaseModel):
    """Where the event takes place (EPSG:4326 degrees)."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class EventIn(BaseModel):
    """A participation event. Times without a zone are local time (Europe/Berlin); dates
    outside 1900–2100 are refused."""

    model_config = ConfigDict(extra="forbid")
    quartier: BodyText = Field(min_length=1, max_length=100)
    title: BodyText = Field(min_length=1, max_length=200)
    kind: BodyText | None = Field(
        default=None, max_length=100, description="e.g. Stadtteilwerkstatt, Stadtteilspaziergang"
    )
    start: datetime
    end: datetime | None = None
    description: BodyText | None = Field(default=None, max_length=5000)
    location: Location

    @field_validator("start", "end")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        if value is not None and not in_date_range(value):
            raise ValueError(
                f"dates outside {EARLIEST_YEAR}–{LATEST_YEAR} are refused; expected a date "
                f"between {EARLIEST_YEAR} and {LATEST_YEAR}"
            )
        return value

    @model_validator(mode="after")
    def _times(self) -> EventIn:
        if self.end is not None and _aware(self.end) < _aware(self.start):
            raise ValueError("end lies before start")
        return self


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else _aware(value).isoformat(timespec="minutes")


def _event_or_404(store: ParticipationStore, event_id: str) -> dict:
    try:
        return store.get_event(event_id)
    except NotFound as exc:
        raise api_error(404, str(exc)) from None


@router.post(
    "/events",
    status_code=201,
    tags=["events"],
    summary="Create a participation event (planners)",
    dependencies=[Depends(max_body_size(65_536))],
    responses={
        401: {"description": "missing or wrong token"},
        403: {"description": "not a planner"},
        404: {"description": "unknown quartier"},
        422: {"description": "invalid event, or an Idempotency-Key used for another"},
    },
)
def create_event(
    body: EventIn,
    user: Annotated[User, Depends(auth.planner)],
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create an event; residents' annotations can then name it with ``event_id``."""
    area = area_or_404(body.quartier, registry, limits)
    try:
        location = check_geometry(
            {"type": "Point", "coordinates": [body.location.lon, body.location.lat]},
            area,
            limits,
        )
    except SubmissionError as exc:
        raise api_error(422, "location: " + str(exc).split(": ", 1)[-1]) from None
    fields = _event_fields(body, Point(location.x, location.y), user)
    once = idempotency(idempotency_key, f"events:{user.id}", body)
    try:
        row, replayed = (
            (store.add_event(**fields), False)
            if once is None
            else store.add_event_once(once, **fields)
        )
    except IdempotencyConflict as exc:
        raise api_error(422, f"header 'Idempotency-Key': {exc}") from None
    return JSONResponse(event_feature(row), status_code=201, headers=replay_headers(replayed))


def _event_fields(body: EventIn, location: Point, user: User) -> dict[str, Any]:
    """The stored fields of an event: texts without control characters, trimmed."""
    title = clean_text(body.title, single_line=True)
    if not title:
        raise api_error(422, f"title: the title {EMPTY_TEXT}")
    return {
        "quartier": body.quartier,
        "title": title,
        "start": _iso(body.start),
        "location": location,
        "kind": clean_text(body.kind or "", single_line=True) or None,
        "end": _iso(body.end),
        "description": clean_text(body.description or "") or None,
        "created_by": user,
    }


@router.get("/events", tags=["events"], summary="Participation events (public)")
def list_events(
    store: ParticipationStoreDep,
    quartier: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """Events ordered by start, optionally of one quartier (GeoJSON FeatureCollection)."""
    rows = store.list_events(quartier)
    return feature_collection([event_feature(r) for r in rows], numberReturned=len(rows))


@router.get(
    "/events/{event_id}",
    tags=["events"],
    summary="One participation event",
    responses={404: {"description": "unknown event"}},
)
def get_event(event_id: EventId, store: ParticipationStoreDep) -> dict[str, Any]:
    """The event as a GeoJSON Feature."""
    return event_feature(_event_or_404(store, event_id))


_STAFF_RESPONSES = {
    401: {"description": "missing or wrong token"},
    403: {"description": "not staff"},
    404: {"description": "unknown event"},
}


@router.get(
    "/events/{event_id}/report.geojson",
    tags=["events"],
    summary="Event documentation as GeoJSON (staff)",
    responses=_STAFF_RESPONSES,
)
def report_geojson(
    event_id: EventId, user: Annotated[User, Depends(auth.staff)], store: ParticipationStoreDep
) -> Response:
    """Every annotation of the event with kind, text, language, status, review time."""
    event = _event_or_404(store, event_id)
    rows = store.list_annotations(event_id=event_id)
    return Response(
        report.geojson_text(event, rows), media_type=GEOJSON, headers=_download(event, "geojson")
    )


@router.get(
    "/events/{event_id}/report.csv",
    tags=["events"],
    summary="Event documentation as CSV (staff)",
    responses=_STAFF_RESPONSES,
)
def report_csv(
    event_id: EventId, user: Annotated[User, Depends(auth.staff)], store: ParticipationStoreDep
) -> Response:
    """One row per annotation with lon/lat of its centre (WGS84) and its geometry as WKT."""
    event = _event_or_404(store, event_id)
    rows = store.list_annotations(event_id=event_id)
    return Response(
        report.csv_text(rows), media_type="text/csv; charset=utf-8", headers=_download(event, "csv")
    )


@router.get(
    "/events/{event_id}/report.html",
    tags=["events"],
    summary="Event documentation as an HTML report (staff)",
    response_class=HTMLResponse,
    responses=_STAFF_RESPONSES,
)
def report_html(
    event_id: EventId,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
    lang: Annotated[str, Query(max_length=5)] = "de",
) -> HTMLResponse:
    """Map, table of approved contributions and counts by kind and status."""
    event = _event_or_404(store, event_id)
    rows = store.list_annotations(event_id=event_id)
    nonce = new_nonce()
    return html_page(report.html_text(event, rows, lang, csp_nonce=nonce), nonce)


def _download(event: dict, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="event-{event["id"]}.{ext}"'}
