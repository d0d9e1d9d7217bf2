"""Routes of the Verfügungsfonds (neighbourhood fund): fund, proposals, jury, decisions.

* ``PUT /quartiers/{q}/funds/{year}`` — planner; without ``amount_cents`` the amount
  follows the rule (0.50 € per resident, at least 2,000 € below 5,000 residents; residents
  from the workspace's ``population`` layer, else the registry).
* ``GET /quartiers/{q}/funds/{year}`` — anyone: amount, granted, balance, funded projects.
* ``POST /quartiers/{q}/funds/{year}/proposals`` — anyone (rate-limited like submissions);
  an optional ``geometry`` (GeoJSON Point, EPSG:4326, inside the quartier) places it.
* ``GET /quartiers/{q}/funds/{year}/proposals`` — staff; contacts for planners only.
* ``POST /funds/proposals/{id}/vote`` — jury; ``POST /funds/proposals/{id}/decision`` —
  planner (409 if the grant exceeds the balance or the proposal was decided);
  ``DELETE /funds/proposals/{id}/contact`` — planner.
* ``GET /quartiers/{q}/funds/{year}/export.csv`` — planner: the funder's list.

Money is integer cents in every body and answer.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from babel.numbers import format_currency
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from api.deps import (
    PageLang,
    ParticipationStoreDep,
    QuartierId,
    RegistryDep,
    SettingsDep,
    WorkspaceDep,
)
from api.errors import answer_errors, api_error, max_body_size
from api.participation import auth
from api.participation import fund_store as fs
from api.participation.annotations import GeometryIn, LimiterDep, refuse_over_limit
from api.participation.i18n import page_language
from api.participation.pages import render_page
from api.participation.report import _csv_cell
from api.participation.settings import BodyText, LimitsDep
from api.participation.store import NotFound, User
from api.participation.validation import SubmissionError, area_or_404, check_geometry
from geoquartier.errors import GeoquartierError
from geoquartier.layers.validate import clean_text
from geoquartier.vocabulary import APPLICANT_KINDS, FUND_DECISIONS, JURY_VOTES

router = APIRouter(tags=["Verfügungsfonds"])

MAX_PROPOSAL_BYTES = 32_768
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
_PHONE = re.compile(r"^[0-9+()/ .-]{3,40}$")
_TEXT_LIMITS = {"title": 200, "description": 4000, "place": 300, "note": 1000}

Year = Annotated[int, Path(ge=2000, le=2100, description="year of the fund")]
ProposalId = Annotated[str, Path(max_length=64, description="proposal id")]
Cents = Annotated[StrictInt, Field(ge=0, le=fs.MAX_FUND_CENTS)]

jury = auth.require_role("jury")
fund_staff = auth.require_role("planner", "jury", "moderator")


class FundIn(BaseModel):
    """The fund of a year; without ``amount_cents`` the rule sets it."""

    model_config = ConfigDict(extra="forbid")
    amount_cents: Cents | None = None


class ContactIn(BaseModel):
    """How the office reaches the applicant (private: staff only, deletable)."""

    model_config = ConfigDict(extra="forbid")
    name: BodyText | None = Field(default=None, max_length=200)
    email: BodyText | None = Field(default=None, max_length=254)
    phone: BodyText | None = Field(default=None, max_length=40)


class ProposalIn(BaseModel):
    """A proposal to the fund; amounts in integer cents."""

    model_config = ConfigDict(extra="forbid")
    title: BodyText = Field(min_length=1, max_length=800)
    description: BodyText = Field(min_length=1, max_length=16_000)
    place: BodyText | None = Field(default=None, max_length=1200)
    requested_cents: Annotated[StrictInt, Field(gt=0, le=fs.MAX_FUND_CENTS)]
    own_cents: Cents = 0
    applicant_kind: Literal[APPLICANT_KINDS]
    contact: ContactIn | None = None
    geometry: GeometryIn | None = None


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vote: Literal[JURY_VOTES]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal[FUND_DECISIONS]
    granted_cents: Cents = 0
    note: BodyText | None = Field(default=None, max_length=4000)


def _text(field: str, value: str | None, required: bool = True) -> str | None:
    """``value`` without control characters, trimmed, within its limit (422 naming it)."""
    text = clean_text(value) if value else ""
    if not text:
        if required:
            raise api_error(422, f"{field}: empty (only blanks or control characters)")
        return None
    if len(text) > _TEXT_LIMITS[field]:
        raise api_error(422, f"{field}: {len(text)} characters; at most {_TEXT_LIMITS[field]}")
    return text


def _contact(contact: ContactIn | None) -> dict[str, str | None]:
    if contact is None:
        return {}
    name = clean_text(contact.name, single_line=True) if contact.name else None
    email = contact.email.strip() if contact.email else None
    phone = contact.phone.strip() if contact.phone else None
    if email and not _EMAIL.match(email):
        raise api_error(422, "contact.email: not an e-mail address")
    if phone and not _PHONE.match(phone):
        raise api_error(422, "contact.phone: digits, spaces and + ( ) / . - only")
    return {"name": name or None, "email": email or None, "phone": phone or None}


def _point(quartier: str, geometry: GeometryIn | None, registry, limits) -> dict[str, float]:
    """``{"lon", "lat"}`` (EPSG:4326) of a proposal's Point inside the quartier (422 else)."""
    if geometry is None:
        return {}
    if geometry.type != "Point":
        raise api_error(422, "geometry: a proposal is placed with a Point")
    area = area_or_404(quartier, registry, limits)
    try:
        point = check_geometry({"type": "Point", "coordinates": geometry.coordinates}, area, limits)
    except SubmissionError as exc:
        raise api_error(exc.status, str(exc)) from None
    return {"lon": point.x, "lat": point.y}


def _known(quartier: str, registry: dict[str, Any]) -> None:
    if quartier not in registry:
        raise api_error(404, f"unknown quartier {quartier!r}")


def residents_of(quartier: str, workspace: Any, registry: dict[str, Any]) -> int | None:
    """Residents of the quartier: the workspace ``population`` layer, else the registry."""
    try:
        population = workspace.store.read("population", quartier=quartier)
    except Exception:  # no workspace file or no population layer: use the registry
        population = None
    if population is not None and not population.empty:
        return int(population["residents"].sum())
    return registry[quartier].population


@router.put(
    "/quartiers/{quartier}/funds/{year}",
    summary="Set up a Verfügungsfonds (planner)",
    responses={404: {"description": "unknown quartier"}, 409: {"description": "below grants"}},
)
def set_fund(
    quartier: QuartierId,
    year: Year,
    body: FundIn,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
    registry: RegistryDep,
    workspace: WorkspaceDep,
) -> dict[str, Any]:
    """The amount given, or by rule from the residents counted."""
    _known(quartier, registry)
    residents = residents_of(quartier, workspace, registry)
    if body.amount_cents is None:
        if residents is None:
            raise api_error(
                422,
                f"amount_cents: quartier {quartier!r} has no resident count (population "
                "layer or registry); give the amount",
            )
        amount, basis = fs.rule_amount_cents(residents), "rule"
    else:
        amount, basis = body.amount_cents, "planner"
    with answer_errors({fs.BalanceExceeded: 409, GeoquartierError: 422}):
        return fs.set_fund(
            store, quartier, year, user, amount_cents=amount, basis=basis, residents=residents
        )


def _fund_or_404(store, quartier: str, year: int) -> dict[str, Any]:
    with answer_errors({NotFound: 404}):
        return fs.get_fund(store, quartier, year)


def money(cents: int, lang: str) -> str:
    """``cents`` as euros in the page language (e.g. ``1.234,50 €`` in German)."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=lang)


@router.get(
    "/quartiers/{quartier}/funds/{year}.html",
    response_class=HTMLResponse,
    summary="The fund and its funded projects as a page (anyone)",
)
def fund_page(
    quartier: QuartierId,
    year: Year,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """Amount, granted, left and every funded project; no contact, no votes."""
    lang = page_language(lang)
    _known(quartier, registry)
    fund = _fund_or_404(store, quartier, year)
    projects = fs.funded_projects(store, quartier, year)
    return render_page(
        "fund.html",
        lang,
        quartier_name=registry[quartier].name,
        year=year,
        fund=fund,
        projects=projects,
        money=lambda cents: money(cents, lang),
        self_path=f"/quartiers/{quartier}/funds/{year}.html",
        event_query="",
    )


@router.get("/quartiers/{quartier}/funds/{year}", summary="A fund and its funded projects")
def public_fund(
    quartier: QuartierId, year: Year, store: ParticipationStoreDep, registry: RegistryDep
) -> dict[str, Any]:
    """Amount, granted, balance (cents) and the funded projects; nothing private."""
    _known(quartier, registry)
    fund = _fund_or_404(store, quartier, year)
    return fund | {"funded_projects": fs.funded_projects(store, quartier, year)}


@router.post(
    "/quartiers/{quartier}/funds/{year}/proposals",
    status_code=201,
    summary="Apply for money from the fund (anyone)",
    dependencies=[Depends(max_body_size(MAX_PROPOSAL_BYTES))],
)
def submit_proposal(
    quartier: QuartierId,
    year: Year,
    body: ProposalIn,
    request: Request,
    settings: SettingsDep,
    limiter: LimiterDep,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    limits: LimitsDep,
) -> dict[str, Any]:
    """Store a proposal as ``submitted``; the contact is kept for staff only."""
    refuse_over_limit(limiter, request, settings)
    _known(quartier, registry)
    fields = _point(quartier, body.geometry, registry, limits) | {
        "title": _text("title", body.title),
        "description": _text("description", body.description),
        "place": _text("place", body.place, required=False),
        "requested_cents": body.requested_cents,
        "own_cents": body.own_cents,
        "applicant_kind": body.applicant_kind,
        "contact": _contact(body.contact),
    }
    with answer_errors({NotFound: 404}):
        return fs.add_proposal(store, quartier, year, fields)


@router.get("/quartiers/{quartier}/funds/{year}/proposals", summary="Proposals (staff)")
def staff_proposals(
    quartier: QuartierId,
    year: Year,
    user: Annotated[User, Depends(fund_staff)],
    store: ParticipationStoreDep,
    registry: RegistryDep,
) -> dict[str, Any]:
    """Every proposal with votes; applicants' contacts only for planners."""
    _known(quartier, registry)
    fund = _fund_or_404(store, quartier, year)
    rows = fs.proposals(store, quartier, year, with_contact=user.role == "planner")
    return {"fund": fund, "proposals": rows}


@router.post("/funds/proposals/{proposal_id}/vote", summary="Vote on a proposal (jury)")
def vote(
    proposal_id: ProposalId,
    body: VoteIn,
    user: Annotated[User, Depends(jury)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """One vote per jury account; a new vote replaces the account's earlier one."""
    with answer_errors({NotFound: 404, fs.AlreadyDecided: 409}):
        return fs.vote(store, proposal_id, user, body.vote)


@router.post(
    "/funds/proposals/{proposal_id}/decision",
    summary="Grant or refuse a proposal (planner)",
    responses={409: {"description": "more than the balance, or decided already"}},
)
def decide(
    proposal_id: ProposalId,
    body: DecisionIn,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """A grant never takes the fund's balance below zero (409 instead)."""
    with answer_errors(
        {NotFound: 404, (fs.BalanceExceeded, fs.AlreadyDecided): 409, GeoquartierError: 422}
    ):
        return fs.decide(
            store,
            proposal_id,
            user,
            decision=body.decision,
            granted_cents=body.granted_cents,
            note=_text("note", body.note, required=False),
        )


@router.delete(
    "/funds/proposals/{proposal_id}/contact",
    status_code=204,
    summary="Delete an applicant's contact (planner)",
)
def delete_contact(
    proposal_id: ProposalId,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
) -> Response:
    """The proposal stays; its contact is gone from the database."""
    with answer_errors({NotFound: 404}):
        fs.delete_contact(store, proposal_id)
    return Response(status_code=204)


@router.get(
    "/quartiers/{quartier}/funds/{year}/export.csv",
    summary="Proposals and decisions for the funder (planner, CSV)",
)
def export_csv(
    quartier: QuartierId,
    year: Year,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
    registry: RegistryDep,
) -> Response:
    """One row per proposal, amounts in cents, no contacts; formula cells neutralised."""
    _known(quartier, registry)
    fund = _fund_or_404(store, quartier, year)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["fund", "amount_cents", "granted_cents", "balance_cents", *fs.EXPORT_FIELDS])
    head = [fund["id"], fund["amount_cents"], fund["granted_cents"], fund["balance_cents"]]
    for row in fs.proposals(store, quartier, year, with_contact=False):
        writer.writerow(head + [_csv_cell(row.get(f)) for f in fs.EXPORT_FIELDS])
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="verfuegungsfonds-{fund["id"]}.csv"'
        },
    )
