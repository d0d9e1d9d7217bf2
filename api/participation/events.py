"""Routes of participation events and their documentation.

* ``POST /events`` — planners create an event (Stadtteilwerkstatt, Stadtteilspaziergang, …)
  at a place (``location`` {lon, lat}) or along a route or over an area (``geometry``:
  GeoJSON Point, LineString or Polygon) in a quartier; with an ``Idempotency-Key``
  header a retry returns the first answer (:mod:`api.participation.idempotency`).
* ``PATCH /events/{id}``, ``POST /events/{id}/close`` (``/reopen``), ``DELETE /events/{id}``
  — planners edit, close (no new contributions) and delete events.
* ``PUT`` / ``DELETE /events/{id}/annotations/{annotation id}`` — staff attach an existing
  contribution to the event or detach it.
* ``GET /events``, ``GET /events/{id}`` — public list and detail (GeoJSON, EPSG:4326).
* ``GET /events/{id}/report.geojson|.csv|.html`` — the event's documentation (staff, or a
  signed link from ``GET /events/{id}/report-link``): approved contributions by default,
  ``include=pending,rejected`` adds those (:mod:`api.participation.report`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from shapely.geometry.base import BaseGeometry

from api.deps import AnnotationId, NetworksDep, PageLang, ParticipationStoreDep, RegistryDep
from api.errors import answer_errors, api_error, max_body_size
from api.geojson import GEOJSON, annotation_feature, event_feature, feature_collection
from api.participation import auth, report
from api.participation import surveys_store as ss
from api.participation.i18n import page_config, page_language, script_json
from api.participation.idempotency import IdempotencyKey, idempotency, replay_headers
from api.participation.pages import html_page, quartier_choices, render_page
from api.participation.settings import BodyText, Limits, LimitsDep
from api.participation.store import IdempotencyConflict, NotFound, ParticipationStore, User
from api.participation.survey_streets import add_route_streets
from api.participation.validation import (
    QuartierArea,
    SubmissionError,
    area_or_404,
    check_geometry,
)
from api.security import new_nonce
from geoquartier.errors import GeoquartierError
from geoquartier.layers.validate import EARLIEST_YEAR, LATEST_YEAR, clean_text, in_date_range
from geoquartier.vocabulary import EVENT_KINDS, TIME_ZONE

router = APIRouter()

LOCAL_TZ = TIME_ZONE
EventId = Annotated[str, Path(description="event id", max_length=64)]
EMPTY_TEXT = "is empty (only blanks, control or zero-width characters)"


class Location(BaseModel):
    """Where the event takes place (EPSG:4326 degrees)."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class EventGeometry(BaseModel):
    """Where the event takes place as GeoJSON (EPSG:4326): a place, a route, an area."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Point", "LineString", "Polygon"]
    coordinates: list[Any]


class EventIn(BaseModel):
    """A participation event. Times without a zone are local time (Europe/Berlin); dates
    outside 1900–2100 are refused. The place: ``location`` or ``geometry``."""

    model_config = ConfigDict(extra="forbid")
    quartier: BodyText = Field(min_length=1, max_length=100)
    title: BodyText = Field(min_length=1, max_length=200)
    kind: BodyText | None = Field(
        default=None, max_length=100, description="e.g. Stadtteilwerkstatt, Stadtteilspaziergang"
    )
    start: datetime
    end: datetime | None = None
    description: BodyText | None = Field(default=None, max_length=5000)
    location: Location | None = None
    geometry: EventGeometry | None = Field(
        default=None, description="a route (LineString) or an area (Polygon), or a Point"
    )

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
        if (self.location is None) == (self.geometry is None):
            raise ValueError("give the place as either 'location' or 'geometry'")
        return self


class EventPatch(BaseModel):
    """Changes to an event (only the fields given); the same checks as :class:`EventIn`."""

    model_config = ConfigDict(extra="forbid")
    title: BodyText | None = Field(default=None, min_length=1, max_length=200)
    kind: BodyText | None = Field(default=None, max_length=100)
    start: datetime | None = None
    end: datetime | None = None
    description: BodyText | None = Field(default=None, max_length=5000)
    location: Location | None = None
    geometry: EventGeometry | None = None

    @field_validator("start", "end")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return EventIn._in_range(value)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else _aware(value).isoformat(timespec="minutes")


def _event_or_404(store: ParticipationStore, event_id: str) -> dict:
    with answer_errors({NotFound: 404}):
        return store.get_event(event_id)


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
    location = _place(body.location, body.geometry, area, limits)
    fields = _event_fields(body, location, user)
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


def _place(
    location: Location | None, geometry: EventGeometry | None, area: QuartierArea, limits: Limits
) -> BaseGeometry:
    """The event's place checked against the quartier (422 naming the field), EPSG:4326."""
    if location is not None:
        geojson, field = {"type": "Point", "coordinates": [location.lon, location.lat]}, "location"
    else:
        geojson = {"type": geometry.type, "coordinates": geometry.coordinates}
        field = "geometry"
    try:
        return check_geometry(geojson, area, limits)
    except SubmissionError as exc:
        raise api_error(422, f"{field}: " + str(exc).split(": ", 1)[-1]) from None


def _event_fields(body: EventIn, location: BaseGeometry, user: User | None) -> dict[str, Any]:
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
    "/events/manage",
    response_class=HTMLResponse,
    tags=["participation pages"],
    summary="Planners' page: create, edit, close and delete events (staff token needed)",
)
def manage_page(
    registry: RegistryDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """The planners' events page; it talks to ``/events`` with the token typed in."""
    lang = page_language(lang)
    quartiers = quartier_choices(registry)
    config = page_config(lang, eventsUrl="/events", quartiers=quartiers)
    return render_page(
        "events.html",
        lang,
        quartiers=quartiers,
        event_kinds=EVENT_KINDS,
        config_json=script_json(config),
        self_path="/events/manage",
        event_query="",
    )


@router.get(
    "/staff/me",
    tags=["events"],
    summary="The signed-in staff account (name and role)",
    responses={401: {"description": "missing or wrong token"}},
)
def whoami(user: Annotated[User, Depends(auth.current_user)]) -> dict[str, str]:
    """``{"id", "name", "role"}`` of the token's account (pages check a token with it)."""
    return {"id": user.id, "name": user.name, "role": user.role}


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


def _event_changes(body: EventPatch, event: dict, registry: dict, limits: Limits) -> dict[str, Any]:
    """The stored fields an edit changes (texts cleaned, the place checked)."""
    given = body.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "title" in given:
        title = clean_text(body.title or "", single_line=True)
        if not title:
            raise api_error(422, f"title: the title {EMPTY_TEXT}")
        changes["title"] = title
    if "kind" in given:
        changes["kind"] = clean_text(body.kind or "", single_line=True) or None
    if "description" in given:
        changes["description"] = clean_text(body.description or "") or None
    for key in ("start", "end"):
        if key in given:
            changes[key] = _iso(getattr(body, key))
    if changes.get("start", event["start"]) is None:
        raise api_error(422, "start: an event needs a start")
    end, start = changes.get("end", event["end"]), changes.get("start", event["start"])
    if end is not None and datetime.fromisoformat(end) < datetime.fromisoformat(start):
        raise api_error(422, "end: end lies before start")
    if body.location is not None or body.geometry is not None:
        area = area_or_404(event["quartier"], registry, limits)
        changes["location"] = _place(body.location, body.geometry, area, limits)
    return changes


_PLANNER_RESPONSES = {**_STAFF_RESPONSES, 403: {"description": "not a planner"}}


@router.patch(
    "/events/{event_id}",
    tags=["events"],
    summary="Edit an event (planners)",
    dependencies=[Depends(max_body_size(65_536))],
    responses={**_PLANNER_RESPONSES, 422: {"description": "invalid change"}},
)
def edit_event(
    event_id: EventId,
    body: EventPatch,
    user: Annotated[User, Depends(auth.planner)],
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
) -> dict[str, Any]:
    """Change title, kind, times, description or place; the rest stays."""
    event = _event_or_404(store, event_id)
    changes = _event_changes(body, event, registry, limits)
    return event_feature(store.update_event(event_id, **changes) if changes else event)


def _add_close_route(action: str, summary: str, description: str, *, closed: bool) -> Callable:
    """Register ``POST /events/{id}/<action>``: planners close an event or open it again."""

    @router.post(
        f"/events/{{event_id}}/{action}",
        tags=["events"],
        summary=summary,
        description=description,
        responses=_PLANNER_RESPONSES,
        name=f"{action}_event",
    )
    def set_closed(
        event_id: EventId,
        user: Annotated[User, Depends(auth.planner)],
        store: ParticipationStoreDep,
    ) -> dict[str, Any]:
        _event_or_404(store, event_id)
        return event_feature(store.close_event(event_id, closed=closed))

    return set_closed


close_event = _add_close_route(
    "close",
    "Close an event: no new contributions may name it (planners)",
    "Mark the event closed (``closed_at``); its documentation stays.",
    closed=True,
)
reopen_event = _add_close_route(
    "reopen",
    "Open a closed event again (planners)",
    "Residents may name the event again.",
    closed=False,
)


@router.delete(
    "/events/{event_id}",
    tags=["events"],
    summary="Delete an event; its contributions stay, without event (planners)",
    responses=_PLANNER_RESPONSES,
)
def delete_event(
    event_id: EventId,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """Delete the event: ``{"deleted": id, "detached": n}``."""
    from api.participation.documentation_store import delete_documentation

    with answer_errors({NotFound: 404}):
        detached = store.delete_event(event_id)
    delete_documentation(store, event_id)
    return {"deleted": event_id, "detached": detached}


def _attach(store: ParticipationStore, annotation_id: str, event_id: str | None) -> dict:
    with answer_errors({NotFound: 404, GeoquartierError: 422}):
        row = store.attach(annotation_id, event_id)
    return annotation_feature(row, staff=True)


@router.put(
    "/events/{event_id}/annotations/{annotation_id}",
    tags=["events"],
    summary="Attach an existing contribution to the event (staff)",
    responses={
        **_STAFF_RESPONSES,
        404: {"description": "unknown event or contribution"},
        422: {"description": "the contribution lies in another quartier"},
    },
)
def attach_annotation(
    event_id: EventId,
    annotation_id: AnnotationId,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """The contribution now belongs to this event (and to no other)."""
    _event_or_404(store, event_id)
    return _attach(store, annotation_id, event_id)


@router.delete(
    "/events/{event_id}/annotations/{annotation_id}",
    tags=["events"],
    summary="Detach a contribution from the event (staff)",
    responses={**_STAFF_RESPONSES, 404: {"description": "unknown event or contribution"}},
)
def detach_annotation(
    event_id: EventId,
    annotation_id: AnnotationId,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """The contribution no longer belongs to this event."""
    _event_or_404(store, event_id)
    with answer_errors({NotFound: 404}):
        row = store.get_annotation(annotation_id)
    if row["event_id"] != event_id:
        raise api_error(404, f"annotation {annotation_id!r} does not belong to this event")
    return _attach(store, annotation_id, None)


# -- documentation -----------------------------------------------------------------------
Include = Annotated[
    str | None,
    Query(
        max_length=40,
        description="also the texts of these states: 'pending', 'rejected' or both "
        "(comma-separated); by default only approved contributions are exported",
    ),
]


def report_reader(
    event_id: EventId,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(auth.bearer)],
    store: ParticipationStoreDep,
    uid: Annotated[str | None, Query(max_length=64)] = None,
    exp: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    sig: Annotated[str | None, Query(max_length=128)] = None,
) -> User:
    """The staff account reading a report: from the bearer token, or from a signed link
    (``uid``, ``exp``, ``sig`` of ``GET /events/{id}/report-link``) while it is valid."""
    if sig is None:
        return auth.staff(auth.current_user(credentials, store))
    key = store.signing_key()
    user = store.user(uid or "")
    if user is None or exp is None or not report.check_link(key, event_id, user.id, exp, sig):
        raise api_error(401, "this report link is not valid or has expired; sign in again")
    return auth.staff(user)


Reader = Annotated[User, Depends(report_reader)]


def _include(value: str | None) -> tuple[str, ...]:
    with answer_errors({ValueError: 422}):
        return report.parse_include(value)


def _report_rows(
    store: ParticipationStore, event_id: str, include: str | None
) -> tuple[dict, list[dict], tuple[str, ...]]:
    """The event, its contributions and the states to export (422 on a bad ``include``)."""
    states = _include(include)
    event = _event_or_404(store, event_id)
    return event, _event_rows(store, event_id), states


def _event_rows(store: ParticipationStore, event_id: str) -> list[dict]:
    """The event's contributions, each with its staff ``translations``."""
    rows = store.list_annotations(event_id=event_id)
    translations = store.translations([r["id"] for r in rows])
    for row in rows:
        row["translations"] = translations.get(row["id"], [])
    return rows


@router.get(
    "/events/{event_id}/report-link",
    tags=["events"],
    summary="A signed link that opens the event report in a browser (staff)",
    responses=_STAFF_RESPONSES,
)
def report_link(
    event_id: EventId,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
    lang: Annotated[str, Query(max_length=5)] = "de",
) -> dict[str, Any]:
    """``{"url", "expires"}``: the HTML report's address, valid for 15 minutes, for this
    account only while it stays active (no token in the browser's address bar)."""
    _event_or_404(store, event_id)
    signed = report.sign_link(store.signing_key(), event_id, user.id)
    query = urlencode(signed)
    return {
        "url": f"/events/{event_id}/report.html?lang={page_language(lang)}&{query}",
        "query": query,
        "expires": datetime.fromtimestamp(signed["exp"], UTC).isoformat(timespec="seconds"),
    }


def _add_report_download(
    ext: str, summary: str, description: str, media_type: str, text: Callable[..., str]
) -> Callable[..., Response]:
    """Register ``GET /events/{id}/report.<ext>``: the event's contributions as a download
    written by ``text(event, rows, states, lang)``."""

    @router.get(
        f"/events/{{event_id}}/report.{ext}",
        tags=["events"],
        summary=summary,
        description=description,
        responses=_STAFF_RESPONSES,
        name=f"report_{ext}",
    )
    def download(
        event_id: EventId,
        user: Reader,
        store: ParticipationStoreDep,
        include: Include = None,
        lang: Annotated[str, Query(max_length=5)] = "de",
    ) -> Response:
        event, rows, states = _report_rows(store, event_id, include)
        return Response(
            text(event, rows, states, lang), media_type=media_type, headers=_download(event, ext)
        )

    return download


report_geojson = _add_report_download(
    "geojson",
    "Event documentation as GeoJSON (staff)",
    "Approved contributions (plus ``include`` states) with kind, text, language, state.",
    GEOJSON,
    report.geojson_text,
)
report_csv = _add_report_download(
    "csv",
    "Event documentation as CSV for spreadsheets (staff)",
    "One row per contribution (UTF-8 with BOM, ``;``, headings in ``lang``).",
    "text/csv; charset=utf-8",
    lambda event, rows, states, lang: report.csv_text(rows, lang, states),
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
    user: Reader,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    networks: NetworksDep,
    lang: Annotated[str, Query(max_length=5)] = "de",
    uid: Annotated[str | None, Query(max_length=64)] = None,
    exp: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    sig: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    """Map, table of approved contributions and counts by kind and status; the event's
    surveys with counts per option, approved free texts, and their map answers (every
    point and route, 100 m cells of any count: the report is for staff)."""
    event = _event_or_404(store, event_id)
    rows = _event_rows(store, event_id)
    spec = registry.get(event["quartier"])
    boundary = getattr(spec, "boundary", None)
    surveys = [ss.results(store, s["id"], staff=True) for s in ss.event_surveys(store, event_id)]
    add_route_streets(surveys, lambda: networks.get(event["quartier"]))
    nonce = new_nonce()
    html = report.html_text(
        event,
        rows,
        lang,
        csp_nonce=nonce,
        quartier_name=getattr(spec, "name", None),
        boundary=boundary.__geo_interface__ if boundary is not None else None,
        link_query=urlencode({"uid": uid, "exp": exp, "sig": sig}) if sig else "",
        surveys=surveys,
    )
    return html_page(html, nonce)


def _download(event: dict, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="event-{event["id"]}.{ext}"'}


def new_event_fields(
    payload: dict[str, Any], registry: dict, limits: Limits, user: User | None = None
) -> dict[str, Any]:
    """The stored fields of a new event from a request-like ``payload`` (for the CLI): the
    same checks as ``POST /events``; raises pydantic's ValidationError or an HTTPException
    whose ``detail`` names the field."""
    body = EventIn.model_validate(payload)
    area = area_or_404(body.quartier, registry, limits)
    return _event_fields(body, _place(body.location, body.geometry, area, limits), user)


def event_changes(
    payload: dict[str, Any], event: dict, registry: dict, limits: Limits
) -> dict[str, Any]:
    """The stored fields an edit changes, from a request-like ``payload`` (for the CLI);
    the same checks as ``PATCH /events/{id}``."""
    return _event_changes(EventPatch.model_validate(payload), event, registry, limits)
