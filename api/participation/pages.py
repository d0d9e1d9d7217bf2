"""The participation page (residents) and the moderation page (staff), as HTML.

* ``GET /participate/{quartier}?lang=&event=`` — the quartier map with drawing tools
  (pin, line, area: leaflet-draw, inlined from ``node_modules``; a crosshair for the
  keyboard), the boundary, the offices, named streets and an address search, a form for
  kind, text and language, submission to the API and a thank-you saying the contribution
  appears after review. Approved contributions are shown on the map. An unknown event
  answers a page in the resident's language linking to the page without the event.
  With a Verfügungsfonds this year, the page links to its proposal page.
* ``GET /moderate?lang=`` — the review queue; the staff token is typed into the page and
  kept in the browser's ``sessionStorage`` only.

Every user text is put into the page with ``textContent`` by the scripts (never as
markup); server-rendered texts are escaped by Jinja2. Each page carries a
Content-Security-Policy that lets only its own nonce-tagged scripts run.
"""

from __future__ import annotations

from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from api.deps import PageLang, ParticipationStoreDep, RegistryDep, WorkspaceDep
from api.errors import api_error
from api.participation import fund_store
from api.participation.basemap import office_points
from api.participation.i18n import page_language, render, script_json
from api.participation.paper import paper_sheets
from api.participation.settings import KINDS, PAGE_LANGUAGES, LimitsDep
from api.participation.store import NotFound, ParticipationStore
from api.participation.validation import area_or_404
from api.security import content_security_policy as policy
from api.security import html_response, new_nonce
from geoquartier.vocabulary import TILE_ORIGIN

router = APIRouter(tags=["participation pages"])

TEXT_LANGUAGES = (
    "de",
    "en",
    "tr",
    "ar",
    "ru",
    "uk",
    "pl",
    "ro",
    "bg",
    "ku",
    "fa",
    "sq",
    "it",
    "el",
    "sr",
    "hr",
    "bs",
    "fr",
    "es",
    "ti",
    "so",
)
"""Languages offered for a resident's text (ISO 639-1); others can be sent via the API."""


def content_security_policy(nonce: str) -> str:
    """CSP of the pages: only scripts carrying ``nonce`` run; data goes only to this server;
    images come from this server and the tile server (basemap tiles are the only network
    resource of the pages)."""
    return policy(nonce, img_src=("'self'", "data:", TILE_ORIGIN), connect_src=("'self'",))


def html_page(html: str, nonce: str) -> HTMLResponse:
    """An HTML response (its templates put ``nonce`` on every ``<script>``), with the
    matching CSP and the security headers of every HTML answer (:mod:`api.security`)."""
    return html_response(
        html, content_security_policy(nonce), headers={"Cache-Control": "no-store"}
    )


def render_page(
    template: str, lang: str, *, self_path: str, event_query: str = "", **context: Any
) -> HTMLResponse:
    """``template`` rendered in ``lang`` as an HTML answer (:func:`html_page`) with a fresh
    script nonce; its language switch links to ``self_path`` + ``event_query``."""
    nonce = new_nonce()
    html = render(
        template,
        lang,
        csp_nonce=nonce,
        page_languages=PAGE_LANGUAGES,
        self_path=self_path,
        event_query=event_query,
        **context,
    )
    return html_page(html, nonce)


def language_options(page_lang: str) -> list[tuple[str, str]]:
    """``(code, name)`` of the text languages, names in the page language."""
    names = Locale.parse(page_lang).languages
    return [(code, names.get(code, code)) for code in TEXT_LANGUAGES]


@router.get(
    "/participate/{quartier}",
    response_class=HTMLResponse,
    summary="Participation page: draw on the quartier map and send a contribution",
    responses={404: {"description": "unknown quartier or event"}},
)
def participate(
    quartier: Annotated[str, Path(max_length=100)],
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    workspace: WorkspaceDep,
    lang: PageLang = "de",
    event: Annotated[str | None, Query(max_length=64, description="event id")] = None,
) -> HTMLResponse:
    """The page residents use to pin ideas and problems (in their language)."""
    lang = page_language(lang)
    area = area_or_404(quartier, registry, limits)
    spec = registry[quartier]
    event_row = _event_of(store, quartier, event) if event else None
    if event and event_row is None:
        return event_not_found(quartier, spec.name, lang)
    from api.participation.i18n import page_config

    config = page_config(
        lang,
        quartier=quartier,
        boundary=area.boundary.__geo_interface__,
        marginM=limits.margin_m,
        maxLengthM=limits.max_length_m,
        maxAreaM2=limits.max_area_m2,
        submitUrl=f"/quartiers/{quartier}/annotations",
        approvedUrl=f"/quartiers/{quartier}/annotations",
        eventId=event_row["id"] if event_row else None,
        maxTextChars=limits.max_text_chars,
        streetsUrl=f"/quartiers/{quartier}/streets.geojson",
        addressesUrl=f"/quartiers/{quartier}/addresses",
        offices=office_points(workspace, quartier),
    )
    return render_page(
        "participate.html",
        lang,
        quartier_name=spec.name,
        event=event_row,
        kinds=KINDS,
        text_languages=language_options(lang),
        max_text_chars=limits.max_text_chars,
        config_json=script_json(config),
        self_path=f"/participate/{quartier}",
        event_query=f"&event={event_row['id']}" if event_row else "",
        map_url=f"/quartiers/{quartier}/map?lang={lang}",
        fund_url=_fund_url(store, quartier, lang),
    )


def _fund_url(store: ParticipationStore, quartier: str, lang: str) -> str | None:
    """The proposal page of this year's Verfügungsfonds, if the quartier has one."""
    year = fund_store.current_year()
    if not fund_store.has_fund(store, quartier, year):
        return None
    return f"/participate/{quartier}/fund?lang={lang}&year={year}"


def _event_of(store: ParticipationStore, quartier: str, event_id: str) -> dict | None:
    """The event ``event_id`` of ``quartier`` (None if unknown or of another quartier)."""
    try:
        row = store.get_event(event_id)
    except NotFound:
        return None
    return row if row["quartier"] == quartier else None


def event_or_404(store: ParticipationStore, quartier: str, event_id: str) -> dict:
    """The event ``event_id`` of ``quartier``; 404 (JSON) if unknown or of another quartier."""
    row = _event_of(store, quartier, event_id)
    if row is None:
        raise api_error(404, f"no event {event_id!r} in quartier {quartier!r}")
    return row


def event_not_found(quartier: str, quartier_name: str, lang: str) -> HTMLResponse:
    """404 as a page in ``lang``: the event link is wrong; a link to the participation
    page of ``quartier`` without the event (a mistyped QR-code link still leads on)."""
    response = render_page(
        "participate_error.html",
        lang,
        quartier_name=quartier_name,
        config_json=script_json({"lang": lang}),
        self_path=f"/participate/{quartier}",
        event_query="",
        participate_url=f"/participate/{quartier}?lang={lang}",
    )
    response.status_code = 404
    return response


def quartier_choices(registry: dict[str, Any]) -> list[dict[str, Any]]:
    """Quartiers with a boundary for the staff pages: ``id``, ``name``, ``boundary``
    (GeoJSON, EPSG:4326, simplified to about 2 m) and the URL of their offline streets."""
    out = []
    for qid, spec in registry.items():
        boundary = getattr(spec, "boundary", None)
        if boundary is None:
            continue
        out.append(
            {
                "id": qid,
                "name": spec.name,
                "boundary": boundary.simplify(0.00002).__geo_interface__,
                "streetsUrl": f"/quartiers/{qid}/streets.geojson",
            }
        )
    return sorted(out, key=lambda q: q["name"])


@router.get(
    "/moderate",
    response_class=HTMLResponse,
    summary="Moderation page: review pending contributions (staff token needed)",
)
def moderate(
    registry: RegistryDep,
    limits: LimitsDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """The moderators' page; it talks to ``/moderation/...`` with the token typed in.

    Filters by quartier and event; the map shows the quartier's streets and boundary
    under the contributions; a moderator may edit a text before approving (redaction).
    """
    from api.participation.i18n import page_config

    lang = page_language(lang)
    quartiers = quartier_choices(registry)
    config = page_config(
        lang,
        queueUrl="/moderation/annotations",
        eventsUrl="/events",
        quartiers=quartiers,
        maxTextChars=limits.max_text_chars,
        paperUrl="/moderation/annotations/paper",
        gridUrl="/quartiers/{quartier}/grid",
        textLanguages=dict(language_options(lang)),
    )
    return render_page(
        "moderate.html",
        lang,
        statuses=config["statuses"],
        quartiers=quartiers,
        kinds=KINDS,
        text_languages=language_options(lang),
        max_text_chars=limits.max_text_chars,
        sheets=paper_sheets(),
        config_json=script_json(config),
        self_path="/moderate",
        event_query="",
    )
