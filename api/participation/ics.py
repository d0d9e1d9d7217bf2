"""Participation events as iCalendar (RFC 5545), both ways.

* ``GET /quartiers/{quartier}/events.ics`` — anyone: the quartier's events as a calendar
  feed to subscribe to (one VEVENT per event, times in UTC, ``GEO`` for the place).
* ``POST /quartiers/{quartier}/events.ics`` — planner: the body is an ``.ics`` file
  (``Content-Type: text/calendar``); each VEVENT becomes an event, checked exactly like
  ``POST /events`` (title, dates 1900–2100, place inside the quartier). The place is the
  VEVENT's ``GEO`` or, when it has none, the ``lon``/``lat`` given in the query. All
  events are stored in one transaction, or none when one is wrong (422 naming it).

Built with the ``icalendar`` library.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import icalendar
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from shapely.geometry import Point

from api.deps import ParticipationStoreDep, QuartierId, RegistryDep
from api.errors import api_error
from api.geojson import event_feature, feature_collection
from api.participation import auth
from api.participation.events import EventIn, _event_fields
from api.participation.settings import LimitsDep
from api.participation.store import User
from api.participation.validation import SubmissionError, area_or_404, check_geometry
from geoquartier.vocabulary import TIME_ZONE, VERSION

router = APIRouter(tags=["events"])

MAX_ICS_BYTES = 262_144
"""Largest accepted ``.ics`` upload (bytes)."""
MAX_ICS_EVENTS = 200
"""Most VEVENTs in one upload."""
CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _utc(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def calendar_bytes(quartier: str, name: str, events: list[dict]) -> bytes:
    """The events (store dicts, location in EPSG:4326) as an iCalendar file."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//geoquartier {VERSION}//participation events//DE")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Beteiligung {name}")
    cal.add("x-wr-timezone", str(TIME_ZONE))
    stamp = datetime.now(UTC).replace(microsecond=0)
    for row in events:
        event = icalendar.Event()
        event.add("uid", f"{row['id']}@{quartier}.geoquartier")
        event.add("dtstamp", stamp)
        event.add("summary", row["title"])
        event.add("dtstart", _utc(row["start"]))
        if row.get("end"):
            event.add("dtend", _utc(row["end"]))
        if row.get("description"):
            event.add("description", row["description"])
        if row.get("kind"):
            event.add("categories", [row["kind"]])
        lon, lat = row["geometry"]["coordinates"][:2]
        event.add("geo", (lat, lon))
        cal.add_component(event)
    return cal.to_ical()


@router.get(
    "/quartiers/{quartier}/events.ics",
    summary="Participation events of a quartier as an iCalendar feed",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 404: {"description": "unknown quartier"}},
)
def events_feed(
    quartier: QuartierId, registry: RegistryDep, store: ParticipationStoreDep
) -> Response:
    """Subscribe to this URL in a calendar app; times are UTC, places as ``GEO``."""
    spec = registry.get(quartier)
    if spec is None:
        raise api_error(404, f"unknown quartier {quartier!r}")
    body = calendar_bytes(quartier, spec.name, store.list_events(quartier))
    return Response(
        body,
        media_type=CALENDAR_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{quartier}-events.ics"'},
    )


def _when(value: Any) -> datetime:
    """A DTSTART/DTEND value as a datetime (a whole day starts at local midnight)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=TIME_ZONE)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=TIME_ZONE)
    raise ValueError(f"not a date: {value!r}")


def _event_body(
    component: icalendar.Event, quartier: str, fallback: tuple[float, float] | None
) -> EventIn:
    """One VEVENT as the body of ``POST /events`` (validated by :class:`EventIn`)."""
    if component.get("dtstart") is None:
        raise ValueError("DTSTART is missing")
    geo = component.get("geo")
    if geo is not None:
        lon, lat = float(geo.longitude), float(geo.latitude)
    elif fallback is not None:
        lon, lat = fallback
    else:
        raise ValueError("no GEO; add GEO:lat;lon or give lon and lat in the query")
    end = component.get("dtend")
    categories = component.get("categories")
    kind = None
    if categories is not None:
        cats = categories if isinstance(categories, list) else [categories]
        kind = ", ".join(str(c) for cat in cats for c in cat.cats) or None
    return EventIn(
        quartier=quartier,
        title=str(component.get("summary") or ""),
        kind=kind,
        start=_when(component.decoded("dtstart")),
        end=_when(component.decoded("dtend")) if end is not None else None,
        description=str(component.get("description")) if component.get("description") else None,
        location={"lon": lon, "lat": lat},
    )


def _parse(raw: bytes) -> list[icalendar.Event]:
    try:
        cal = icalendar.Calendar.from_ical(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise api_error(422, f"body: not an iCalendar file ({exc})") from None
    events = [c for c in cal.walk("VEVENT")]
    if not events:
        raise api_error(422, "body: the calendar holds no VEVENT")
    if len(events) > MAX_ICS_EVENTS:
        raise api_error(422, f"body: {len(events)} VEVENTs; at most {MAX_ICS_EVENTS}")
    return events


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_ICS_BYTES:
        raise api_error(413, f"the .ics file is larger than {MAX_ICS_BYTES} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_ICS_BYTES:
            raise api_error(413, f"the .ics file is larger than {MAX_ICS_BYTES} bytes")
    return raw


@router.post(
    "/quartiers/{quartier}/events.ics",
    status_code=201,
    summary="Create events from an .ics file (planners)",
    openapi_extra={"requestBody": {"content": {"text/calendar": {}}, "required": True}},
    responses={
        401: {"description": "missing or wrong token"},
        403: {"description": "not a planner"},
        413: {"description": "file too large"},
        422: {"description": "a VEVENT is invalid; nothing was stored"},
    },
)
async def upload_events(
    quartier: QuartierId,
    request: Request,
    user: Annotated[User, Depends(auth.planner)],
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
) -> dict[str, Any]:
    """Every VEVENT becomes an event; all or nothing."""
    area = area_or_404(quartier, registry, limits)
    fallback = (lon, lat) if lon is not None and lat is not None else None
    components = _parse(await _read_limited(request))
    inserts = []
    for n, component in enumerate(components, start=1):
        label = f"VEVENT {n} ({str(component.get('summary') or '')[:60]!r})"
        try:
            body = _event_body(component, quartier, fallback)
            place = check_geometry(
                {"type": "Point", "coordinates": [body.location.lon, body.location.lat]},
                area,
                limits,
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise api_error(422, f"{label}: {field}: {err['msg']}") from None
        except (ValueError, SubmissionError) as exc:
            raise api_error(422, f"{label}: {exc}") from None
        try:
            fields = _event_fields(body, Point(place.x, place.y), user)
        except Exception as exc:  # api_error of an empty title: name the VEVENT
            detail = getattr(exc, "detail", str(exc))
            raise api_error(422, f"{label}: {detail}") from None
        inserts.append(store._event_insert(**fields))
    with store._write() as con:
        rows = [insert(con) for insert in inserts]
    return feature_collection([event_feature(r) for r in rows], numberReturned=len(rows))
