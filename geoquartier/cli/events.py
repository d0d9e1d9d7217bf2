"""``geoquartier events``: participation events (Stadtteilwerkstatt, Stadtteilspaziergang, …).

The same checks as the API (``POST /events``): the place lies in the quartier, dates
within 1900–2100, times without a zone are local time (Europe/Berlin). The place is a
point (``--at LON,LAT``), a route (``--route "LON,LAT LON,LAT ..."``, e.g. a
Stadtteilspaziergang), an area (``--area "LON,LAT ..."``, closed automatically) or a
GeoJSON geometry file (``--geometry FILE``); coordinates in EPSG:4326 degrees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from geoquartier.cli.app import command_group, fail

events_app = command_group(
    "events",
    "Participation events: add, list, edit, close, delete; attach contributions.",
)

AtOpt = Annotated[str | None, typer.Option("--at", help="A point: 'LON,LAT' (degrees).")]
RouteOpt = Annotated[
    str | None,
    typer.Option("--route", help="A route: 'LON,LAT LON,LAT ...' (at least two points)."),
]
AreaOpt = Annotated[
    str | None, typer.Option("--area", help="An area: 'LON,LAT LON,LAT LON,LAT ...'.")
]
GeometryOpt = Annotated[
    Path | None, typer.Option("--geometry", help="A GeoJSON file with a geometry or Feature.")
]
KindOpt = Annotated[
    str | None, typer.Option("--kind", help="e.g. Stadtteilwerkstatt, Stadtteilspaziergang.")
]
StartOpt = Annotated[str | None, typer.Option("--start", help="e.g. 2026-11-28T15:00.")]
EndOpt = Annotated[str | None, typer.Option("--end", help="e.g. 2026-11-28T18:00.")]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="Free text.")]


def _positions(text: str, option: str) -> list[list[float]]:
    try:
        return [[float(v) for v in pair.split(",")] for pair in text.replace(";", " ").split()]
    except ValueError:
        fail(f"{option}: expected 'LON,LAT LON,LAT ...' in degrees, got {text!r}")
    return []


def _geometry(at: str | None, route: str | None, area: str | None, geometry: Path | None):
    """The place as a GeoJSON geometry dict (EPSG:4326), or None when none is given."""
    given = [x for x in (at, route, area, geometry) if x is not None]
    if len(given) > 1:
        fail("give the place once: --at, --route, --area or --geometry")
    if at is not None:
        positions = _positions(at, "--at")
        if len(positions) != 1:
            fail(f"--at: expected one 'LON,LAT', got {at!r}")
        return {"type": "Point", "coordinates": positions[0]}
    if route is not None:
        return {"type": "LineString", "coordinates": _positions(route, "--route")}
    if area is not None:
        ring = _positions(area, "--area")
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        return {"type": "Polygon", "coordinates": [ring]}
    if geometry is not None:
        try:
            doc = json.loads(geometry.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"--geometry {geometry}: not a readable GeoJSON file ({exc})")
        return (
            doc.get("geometry", doc)
            if isinstance(doc, dict)
            else fail(f"--geometry {geometry}: expected a GeoJSON geometry")
        )
    return None


def _checked(build):
    """Run ``build()`` and turn refusals into one-line errors."""
    from fastapi import HTTPException
    from pydantic import ValidationError

    try:
        return build()
    except HTTPException as exc:
        fail(str(exc.detail))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        fail(f"{where}: {err['msg']}" if where else err["msg"])


def _context():
    from api.participation.settings import current_limits
    from api.participation.store import default_store
    from geoquartier.registry import load_registry

    return default_store(), load_registry(), current_limits()


def _payload(place: dict | None, **values: Any) -> dict[str, Any]:
    """A request-like event body: the values given (not None) and the place as
    ``geometry`` (GeoJSON, EPSG:4326) if there is one."""
    payload = {k: v for k, v in values.items() if v is not None}
    if place is not None:
        payload["geometry"] = place
    return payload


def _describe(event: dict) -> str:
    closed = "  (closed)" if event.get("closed_at") else ""
    end = f" – {event['end']}" if event.get("end") else ""
    return (
        f"{event['id']}  {event['quartier']}  {event['start']}{end}  "
        f"{event['geometry']['type']}  {event['title']}{closed}"
    )


@events_app.command("add")
def add(
    quartier: Annotated[str, typer.Argument(help="Quartier id, e.g. 'lauf'.")],
    title: Annotated[str, typer.Argument(help="Title, e.g. 'Stadtteilspaziergang Altstadt'.")],
    start: Annotated[str, typer.Option("--start", help="e.g. 2026-11-28T15:00 (local time).")],
    at: AtOpt = None,
    route: RouteOpt = None,
    area: AreaOpt = None,
    geometry: GeometryOpt = None,
    kind: KindOpt = None,
    end: EndOpt = None,
    description: DescriptionOpt = None,
) -> None:
    """Create an event at a point, along a route or over an area; prints its id."""
    from api.participation.events import new_event_fields

    store, registry, limits = _context()
    place = _geometry(at, route, area, geometry)
    if place is None:
        fail("give the place: --at LON,LAT, --route '...', --area '...' or --geometry FILE")
    payload = _payload(
        place,
        quartier=quartier,
        title=title,
        start=start,
        kind=kind,
        end=end,
        description=description,
    )
    fields = _checked(lambda: new_event_fields(payload, registry, limits))
    event = store.add_event(**fields)
    typer.echo(f"created event {event['id']} in {store.path}")
    typer.echo(_describe(event))
    typer.echo(f"participation link: /participate/{quartier}?event={event['id']}")


@events_app.command("list")
def list_events(
    quartier: Annotated[str | None, typer.Option("--quartier", help="Only this quartier.")] = None,
) -> None:
    """List events (id, quartier, start, place, title) with their contribution counts."""
    from api.participation.store import default_store

    store = default_store()
    events = store.list_events(quartier)
    if not events:
        typer.echo("no events yet; create one with 'geoquartier events add QUARTIER TITLE ...'")
        return
    for event in events:
        n = store.count_annotations(event_id=event["id"])
        approved = store.count_annotations(event_id=event["id"], status="approved")
        typer.echo(f"{_describe(event)}  [{n} contributions, {approved} approved]")


def _found(lookup, key: str, list_command: str) -> dict:
    """``lookup(key)``; a one-line error pointing to ``list_command`` when it is unknown."""
    from api.participation.store import NotFound

    try:
        return lookup(key)
    except NotFound as exc:
        fail(f"{exc}; see '{list_command}'")
    return {}


def _event_or_fail(store, event_id: str) -> dict:
    return _found(store.get_event, event_id, "geoquartier events list")


def _stored_event(event_id: str) -> tuple:
    """The participation database and the event ``event_id`` in it (or a one-line error)."""
    from api.participation.store import default_store

    store = default_store()
    return store, _event_or_fail(store, event_id)


@events_app.command("edit")
def edit(
    event_id: Annotated[str, typer.Argument(help="Event id from 'geoquartier events list'.")],
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    start: StartOpt = None,
    at: AtOpt = None,
    route: RouteOpt = None,
    area: AreaOpt = None,
    geometry: GeometryOpt = None,
    kind: KindOpt = None,
    end: EndOpt = None,
    description: DescriptionOpt = None,
) -> None:
    """Change an event's title, kind, times, description or place (only what is given)."""
    from api.participation.events import event_changes

    store, registry, limits = _context()
    event = _event_or_fail(store, event_id)
    payload = _payload(
        _geometry(at, route, area, geometry),
        title=title,
        start=start,
        kind=kind,
        end=end,
        description=description,
    )
    if not payload:
        fail("nothing to change; give --title, --start, --end, --kind, --description or a place")
    changes = _checked(lambda: event_changes(payload, event, registry, limits))
    typer.echo("updated " + _describe(store.update_event(event_id, **changes)))


@events_app.command("close")
def close(
    event_id: Annotated[str, typer.Argument(help="Event id.")],
    reopen: Annotated[bool, typer.Option("--reopen", help="Open a closed event again.")] = False,
) -> None:
    """Close an event: residents can no longer send contributions to it."""
    store, _ = _stored_event(event_id)
    event = store.close_event(event_id, closed=not reopen)
    typer.echo(("reopened " if reopen else "closed ") + _describe(event))


@events_app.command("delete")
def delete(
    event_id: Annotated[str, typer.Argument(help="Event id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Delete an event; its contributions stay (without event)."""
    store, event = _stored_event(event_id)
    if not yes and not typer.confirm(f"delete event {event['title']!r}?"):
        fail("not deleted")
    from api.participation.documentation_store import delete_documentation

    detached = store.delete_event(event_id)
    delete_documentation(store, event_id)
    typer.echo(f"deleted event {event_id} ({event['title']}); {detached} contributions kept")


@events_app.command("attach")
def attach(
    event_id: Annotated[str, typer.Argument(help="Event id.")],
    annotation_ids: Annotated[list[str], typer.Argument(help="Contribution ids.")],
    detach: Annotated[bool, typer.Option("--detach", help="Detach them instead.")] = False,
) -> None:
    """Attach existing contributions to an event (or detach them with --detach)."""
    from api.participation.store import NotFound
    from geoquartier.errors import GeoquartierError

    store, _ = _stored_event(event_id)
    for annotation_id in annotation_ids:
        try:
            store.attach(annotation_id, None if detach else event_id)
        except (NotFound, GeoquartierError) as exc:
            fail(str(exc))
    verb = "detached from" if detach else "attached to"
    typer.echo(f"{len(annotation_ids)} contributions {verb} event {event_id}")


@events_app.command("document")
def document(
    event_id: Annotated[str, typer.Argument(help="Event id.")],
    organiser: Annotated[str | None, typer.Option(help="Who organised it.")] = None,
    programme: Annotated[str | None, typer.Option(help="The programme (several lines).")] = None,
    funding: Annotated[
        str | None, typer.Option(help="Funding, e.g. 'Verfügungsfonds 2026'.")
    ] = None,
    attendance: Annotated[int | None, typer.Option(help="People counted at the event.")] = None,
    method: Annotated[str | None, typer.Option(help="e.g. 'World Café'.")] = None,
    duration: Annotated[int | None, typer.Option("--duration", help="Minutes.")] = None,
    summary: Annotated[str | None, typer.Option(help="A short summary.")] = None,
    next_steps: Annotated[str | None, typer.Option(help="What happens next.")] = None,
) -> None:
    """Write the event's documentation for the funder (only the fields given change)."""
    from api.participation import documentation_store as docs
    from api.participation.event_documentation import DocumentationIn, stored_fields

    store, _, _ = _context()
    _event_or_fail(store, event_id)
    given = _payload(
        None,
        organiser=organiser,
        programme=programme,
        funding=funding,
        attendance=attendance,
        method=method,
        duration_min=duration,
        summary=summary,
        next_steps=next_steps,
    )
    if not given:
        fail("nothing to write; give --organiser, --attendance, --summary, ...")
    old = docs.get_documentation(store, event_id) or {}
    merged = {k: old.get(k) for k in docs.DOCUMENTATION_FIELDS} | given
    body = _checked(lambda: DocumentationIn.model_validate(merged))
    user = _cli_user(store)
    row = docs.set_documentation(store, event_id, user, stored_fields(body))
    filled = [k for k in docs.DOCUMENTATION_FIELDS if row.get(k) not in (None, "")]
    typer.echo(f"documentation of event {event_id}: {', '.join(filled) or 'empty'}")


def _cli_user(store):
    """The staff account the CLI writes as: the first active planner (then moderator)."""
    for role in ("planner", "moderator"):
        users = [u for u in store.list_users() if u.role == role and u.active]
        if users:
            return users[0]
    fail("no active staff account; create one with 'geoquartier users add NAME --role planner'")
    return None


@events_app.command("report")
def report(
    event_id: Annotated[str, typer.Argument(help="Event id.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="PDF file to write, e.g. doku.pdf.")
    ] = Path("doku.pdf"),
    lang: Annotated[str, typer.Option("--lang", "-l", help="de, en, tr, ro or bg.")] = "de",
) -> None:
    """Write the event's documentation for the funder as an A4 PDF.

    The event (local dates), organiser, programme, funding, attendance, method and
    duration, the summary and next steps (see 'geoquartier events document'), a map of
    the quartier (footpaths, buildings, boundary; no internet needed) with the approved
    contributions numbered as in the table, counts by kind and status, staff translations
    of non-German contributions and the export date.
    """
    from api.participation.event_documentation import event_report_pdf
    from api.participation.settings import PAGE_LANGUAGES
    from geoquartier.cli.documents import _check_output
    from geoquartier.importer import import_quartier
    from geoquartier.layers.backend import get_layer_store

    if lang not in PAGE_LANGUAGES:
        fail(f"--lang: unknown language {lang!r}; choose one of {', '.join(PAGE_LANGUAGES)}")
    _check_output(output, (".pdf",))
    store, registry, _ = _context()
    event = _event_or_fail(store, event_id)
    spec = registry.get(event["quartier"])
    if spec is None:
        fail(f"quartier {event['quartier']!r} of the event is not in the registry")
    layers = get_layer_store()
    if layers.read("quartiers", quartier=spec.id).empty:
        typer.echo(f"importing {spec.id} into {layers.path} ...", err=True)
        import_quartier(spec, layers)
    pdf = event_report_pdf(store, event, spec, layers, lang=lang, output=output)
    approved = store.count_annotations(event_id=event_id, status="approved")
    typer.echo(
        f"{output}: documentation of {event['title']!r} ({spec.name}), {lang}; "
        f"{approved} approved contribution(s) of "
        f"{store.count_annotations(event_id=event_id)}; {len(pdf) / 1024:.0f} KB"
    )
