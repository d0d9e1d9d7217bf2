"""Pages of the Verfügungsfonds (neighbourhood fund), next to its API in :mod:`fund`.

* ``GET /participate/{quartier}/fund?year=&lang=`` — residents and initiatives propose a
  project: title, description, a place tapped on the map (or set at the crosshair with
  the keyboard), an optional place description, requested amount and own contribution
  in euros, applicant kind and a private contact. After sending, the page says what
  happens next and shows the fund's balance and a link to the public list of funded
  projects. Without a fund for the year it says so (no form).
* ``GET /quartiers/{quartier}/funds/{year}/jury?lang=`` — the staff page of the fund
  (token typed in, kept in ``sessionStorage``): every proposal with its votes; a jury
  account records its vote, a planner decides with the granted amount (and sees the
  applicants' contacts); the balance is shown and updated after each decision.

Every text from a resident is put into the page with ``textContent`` by the scripts;
server-rendered texts are escaped by Jinja2.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import PageLang, ParticipationStoreDep, QuartierId, RegistryDep
from api.participation import fund_store as fs
from api.participation.fund import MAX_PROPOSAL_BYTES, Year, money
from api.participation.i18n import Translator, page_config, page_language, script_json
from api.participation.pages import render_page
from api.participation.settings import LimitsDep
from api.participation.store import NotFound
from api.participation.validation import area_or_404
from geoquartier.vocabulary import APPLICANT_KINDS, FUND_DECISIONS, JURY_VOTES

router = APIRouter(tags=["participation pages"])

STAFF_ROLES = ("moderator", "planner", "jury")
"""Roles that may open the fund's proposals (see :data:`api.participation.fund.fund_staff`)."""


def _fund_or_none(store, quartier: str, year: int) -> dict | None:
    try:
        return fs.get_fund(store, quartier, year)
    except NotFound:
        return None


@router.get(
    "/participate/{quartier}/fund",
    response_class=HTMLResponse,
    summary="Page to propose a project to the Verfügungsfonds (residents, initiatives)",
    responses={404: {"description": "unknown quartier"}},
)
def propose_page(
    quartier: QuartierId,
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    lang: PageLang = "de",
    year: Annotated[int | None, Query(ge=2000, le=2100, description="year of the fund")] = None,
) -> HTMLResponse:
    """The proposal form on the quartier map, in the resident's language."""
    lang = page_language(lang)
    year = year or fs.current_year()
    area = area_or_404(quartier, registry, limits)
    fund = _fund_or_none(store, quartier, year)
    config = page_config(
        lang,
        boundary=area.boundary.__geo_interface__,
        streetsUrl=f"/quartiers/{quartier}/streets.geojson",
        submitUrl=f"/quartiers/{quartier}/funds/{year}/proposals",
        fundUrl=f"/quartiers/{quartier}/funds/{year}",
        marginM=limits.margin_m,
        maxBytes=MAX_PROPOSAL_BYTES,
    )
    return render_page(
        "fund_propose.html",
        lang,
        quartier_name=registry[quartier].name,
        year=year,
        fund=fund,
        applicant_kinds=APPLICANT_KINDS,
        money=lambda cents: money(cents, lang),
        public_url=f"/quartiers/{quartier}/funds/{year}.html?lang={lang}",
        participate_url=f"/participate/{quartier}?lang={lang}",
        config_json=script_json(config),
        self_path=f"/participate/{quartier}/fund",
        event_query=f"&year={year}",
    )


@router.get(
    "/quartiers/{quartier}/funds/{year}/jury",
    response_class=HTMLResponse,
    summary="Jury page of the Verfügungsfonds: votes (jury) and decisions (planner)",
    responses={404: {"description": "unknown quartier"}},
)
def jury_page(
    quartier: QuartierId,
    year: Year,
    registry: RegistryDep,
    limits: LimitsDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """The staff page of the fund; it talks to the fund's API with the token typed in."""
    lang = page_language(lang)
    area = area_or_404(quartier, registry, limits)
    tr = Translator(lang)
    config = page_config(
        lang,
        boundary=area.boundary.__geo_interface__,
        streetsUrl=f"/quartiers/{quartier}/streets.geojson",
        stateLabels={s: tr(s.capitalize()) for s in fs.PROPOSAL_STATES},
        voteLabels={v: tr(v.capitalize()) for v in JURY_VOTES},
        applicantLabels={k: tr(k.capitalize()) for k in APPLICANT_KINDS},
        roleLabels={r: tr(r.capitalize()) for r in STAFF_ROLES},
        proposalsUrl=f"/quartiers/{quartier}/funds/{year}/proposals",
        voteUrl="/funds/proposals/{id}/vote",
        decisionUrl="/funds/proposals/{id}/decision",
        meUrl="/staff/me",
        votes=list(JURY_VOTES),
        decisions=list(FUND_DECISIONS),
    )
    return render_page(
        "fund_jury.html",
        lang,
        quartier_name=registry[quartier].name,
        year=year,
        public_url=f"/quartiers/{quartier}/funds/{year}.html?lang={lang}",
        config_json=script_json(config),
        self_path=f"/quartiers/{quartier}/funds/{year}/jury",
        event_query="",
    )
