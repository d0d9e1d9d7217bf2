"""The kiosk: a full-screen participation page for a touch screen at an event.

* ``GET /participate/{quartier}/kiosk?event=&lang=`` — big buttons idea / problem /
  praise, tap the map for the place, optional text, send. The page resets itself after
  each contribution and after :data:`IDLE_RESET_S` seconds without a touch, so the next
  person starts with an empty form. It shows a live count of the contributions sent at
  the event. The map is the offline vector basemap of the quartier (streets from the
  workspace, served by this server); online tiles are drawn under it only when reachable.
  No receipt link is shown (a shared device).
* ``GET /participate/{quartier}/kiosk/count?event=`` — that count (all contributions of
  the event, any review state; without event: of the quartier). Numbers only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import PageLang, ParticipationStoreDep, QuartierId, RegistryDep
from api.participation.i18n import page_config, page_language, script_json
from api.participation.pages import event_or_404, render_page
from api.participation.settings import LimitsDep
from api.participation.validation import area_or_404

router = APIRouter(tags=["participation pages"])

KIOSK_KINDS = ("idea", "problem", "praise")
"""The kinds offered as big buttons on the kiosk (questions go to the staff in person)."""
IDLE_RESET_S = 60
"""Seconds without a touch after which a half-filled kiosk form is cleared."""
THANKS_S = 5
"""Seconds the thank-you screen stays before the kiosk is ready for the next person."""
COUNT_POLL_S = 20
"""How often the kiosk refreshes its live count (seconds)."""

EventQuery = Annotated[str | None, Query(max_length=64, description="event id")]


@router.get(
    "/participate/{quartier}/kiosk",
    response_class=HTMLResponse,
    summary="Kiosk: full-screen participation on a touch screen at an event",
    responses={404: {"description": "unknown quartier or event"}},
)
def kiosk(
    quartier: QuartierId,
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    event: EventQuery = None,
    lang: PageLang = "de",
) -> HTMLResponse:
    """Big buttons, a map to tap, an optional text; resets itself."""
    lang = page_language(lang)
    area = area_or_404(quartier, registry, limits)
    event_row = event_or_404(store, quartier, event) if event else None
    event_query = f"?event={event_row['id']}" if event_row else ""
    config = page_config(
        lang,
        quartier=quartier,
        boundary=area.boundary.__geo_interface__,
        submitUrl=f"/quartiers/{quartier}/annotations",
        countUrl=f"/participate/{quartier}/kiosk/count{event_query}",
        streetsUrl=f"/quartiers/{quartier}/streets.geojson",
        eventId=event_row["id"] if event_row else None,
        kioskKinds=list(KIOSK_KINDS),
        idleResetS=IDLE_RESET_S,
        thanksS=THANKS_S,
        countPollS=COUNT_POLL_S,
        maxTextChars=limits.max_text_chars,
    )
    return render_page(
        "kiosk.html",
        lang,
        quartier_name=registry[quartier].name,
        event=event_row,
        kinds=KIOSK_KINDS,
        max_text_chars=limits.max_text_chars,
        config_json=script_json(config),
        self_path=f"/participate/{quartier}/kiosk",
        event_query=f"&event={event_row['id']}" if event_row else "",
    )


@router.get(
    "/participate/{quartier}/kiosk/count",
    summary="How many contributions the kiosk's event has (any review state)",
    responses={404: {"description": "unknown quartier or event"}},
)
def kiosk_count(
    quartier: QuartierId,
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    event: EventQuery = None,
) -> dict[str, Any]:
    """A number only: no text, no review state."""
    area_or_404(quartier, registry, limits)
    if event:
        event_or_404(store, quartier, event)
        return {"count": store.count_annotations(quartier=quartier, event_id=event)}
    return {"count": store.count_annotations(quartier=quartier)}
