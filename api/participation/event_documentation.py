"""Routes of the event documentation for the funder (staff).

* ``GET /events/{id}/documentation`` — what staff entered: organiser, programme, funding,
  attendance, method, duration, summary and next steps (empty fields are null);
* ``PUT /events/{id}/documentation`` — replace them (moderator or planner token); texts
  are cleaned (no control characters) and size-limited, attendance and duration are whole
  numbers of 0 or more;
* ``GET /events/{id}/report.pdf`` — the documentation as an A4 PDF
  (:mod:`api.participation.event_pdf`): staff token or a signed link of
  ``GET /events/{id}/report-link``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from api.deps import PageLang, ParticipationStoreDep, RegistryDep, WorkspaceDep
from api.errors import answer_errors, max_body_size
from api.participation import auth, documentation_store
from api.participation.events import EventId, Reader
from api.participation.i18n import page_language
from api.participation.settings import BodyText
from api.participation.store import NotFound, ParticipationStore, User
from geoquartier.errors import DataMissingError
from geoquartier.layers.validate import clean_text

router = APIRouter(tags=["events"])

TEXT_LIMITS = {
    "organiser": 200,
    "programme": 4000,
    "funding": 500,
    "method": 500,
    "summary": 4000,
    "next_steps": 4000,
}
"""Longest text of each documentation field (characters)."""
SINGLE_LINE = ("organiser", "funding", "method")
MAX_ATTENDANCE = 100_000
MAX_DURATION_MIN = 7 * 24 * 60


class DocumentationIn(BaseModel):
    """What staff write about an event for the funder (every field optional)."""

    model_config = ConfigDict(extra="forbid")
    organiser: BodyText | None = Field(None, max_length=TEXT_LIMITS["organiser"])
    programme: BodyText | None = Field(None, max_length=TEXT_LIMITS["programme"])
    funding: BodyText | None = Field(
        None, max_length=TEXT_LIMITS["funding"], description="e.g. Verfügungsfonds 2026"
    )
    attendance: StrictInt | None = Field(
        None, ge=0, le=MAX_ATTENDANCE, description="people counted at the event"
    )
    method: BodyText | None = Field(
        None, max_length=TEXT_LIMITS["method"], description="e.g. World Café, walk with stops"
    )
    duration_min: StrictInt | None = Field(None, ge=0, le=MAX_DURATION_MIN)
    summary: BodyText | None = Field(None, max_length=TEXT_LIMITS["summary"])
    next_steps: BodyText | None = Field(None, max_length=TEXT_LIMITS["next_steps"])


_RESPONSES = {
    401: {"description": "missing or wrong token"},
    403: {"description": "not staff"},
    404: {"description": "unknown event"},
}


def _event_or_404(store: ParticipationStore, event_id: str) -> dict:
    with answer_errors({NotFound: 404}):
        return store.get_event(event_id)


def stored_fields(body: DocumentationIn) -> dict[str, Any]:
    """The fields as stored: texts without control characters and outer blanks (one line
    for organiser, funding and method), empty texts as None."""
    fields: dict[str, Any] = body.model_dump()
    for name in TEXT_LIMITS:
        text = clean_text(fields[name] or "", single_line=name in SINGLE_LINE)
        fields[name] = text or None
    return fields


def _answer(event_id: str, row: dict | None) -> dict[str, Any]:
    fields = dict.fromkeys(documentation_store.DOCUMENTATION_FIELDS)
    fields.update({k: v for k, v in (row or {}).items() if k in fields})
    return {
        "event_id": event_id,
        **fields,
        "updated_at": (row or {}).get("updated_at"),
    }


@router.get(
    "/events/{event_id}/documentation",
    summary="The event's documentation for the funder (staff)",
    responses=_RESPONSES,
)
def get_documentation(
    event_id: EventId,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """Organiser, programme, funding, attendance, method, duration (minutes), summary and
    next steps; null where nothing was entered."""
    _event_or_404(store, event_id)
    return _answer(event_id, documentation_store.get_documentation(store, event_id))


@router.put(
    "/events/{event_id}/documentation",
    summary="Write the event's documentation for the funder (moderators, planners)",
    dependencies=[Depends(max_body_size(65_536))],
    responses={**_RESPONSES, 422: {"description": "a field is too long or not a whole number"}},
)
def put_documentation(
    event_id: EventId,
    body: DocumentationIn,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """Replace every field (those not given become empty)."""
    _event_or_404(store, event_id)
    row = documentation_store.set_documentation(store, event_id, user, stored_fields(body))
    return _answer(event_id, row)


@router.get(
    "/events/{event_id}/report.pdf",
    summary="Event documentation for the funder as PDF (staff)",
    response_class=Response,
    responses={
        **_RESPONSES,
        200: {"content": {"application/pdf": {}}, "description": "an A4 PDF document"},
    },
)
def report_pdf(
    event_id: EventId,
    user: Reader,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    workspace: WorkspaceDep,
    lang: PageLang = "de",
) -> Response:
    """Map with the numbered approved contributions, the event's facts, the staff's
    summary and next steps, counts and the table with translations; A4, printable."""
    event = _event_or_404(store, event_id)
    spec = registry.get(event["quartier"])
    imported = set(workspace.frame("quartiers")["id"].astype(str)) if spec else set()
    if event["quartier"] not in imported:
        raise DataMissingError(
            f"quartier {event['quartier']!r} is not imported into the workspace: no base map"
        )
    pdf = event_report_pdf(store, event, spec, workspace.store, lang=page_language(lang))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="event-{event_id}.pdf"'},
    )


def event_report_pdf(
    store: ParticipationStore, event: dict, spec: Any, layers: Any, **options: Any
) -> bytes:
    """The documentation PDF of ``event`` (a store row) of quartier ``spec``, its base map
    from the layer store ``layers``; ``options`` as for
    :func:`api.participation.event_pdf.event_documentation_html` (``lang``, ``now``) and
    ``output`` (a path to write)."""
    from api.participation.event_pdf import event_documentation_pdf
    from geoquartier.reports.data import base_map_data

    base = base_map_data(spec, layers)
    rows = store.list_annotations(event_id=event["id"])
    translations = documentation_store.translations_by_annotation(
        store, [r["id"] for r in rows if r["status"] == "approved"]
    )
    return event_documentation_pdf(
        event,
        rows,
        base,
        documentation=documentation_store.get_documentation(store, event["id"]),
        translations=translations,
        quartier_name=base.name,
        **options,
    )
