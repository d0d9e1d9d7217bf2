"""Routes of map surveys (see :mod:`api.participation.survey_forms` for the question types).

* ``POST /quartiers/{q}/surveys`` — planner: ``{"title", "questions": [...], "event_id",
  "one_answer_per_session"}`` (or, the first way, ``{"question", "choices"}``: a place
  on the map with 0–8 choices).
* ``GET /quartiers/{q}/surveys`` — anyone: the quartier's surveys.
* ``POST /surveys/{id}/state`` — planner: ``{"open": false}`` closes it (true reopens).
* ``POST /surveys/{id}/answers`` — anyone (rate limit of submissions, 16 KiB):
  ``{"answers": {question id: value}}`` (or ``{"geometry", "choice"}`` for a survey of
  the first way). With ``one_answer_per_session`` (the default) a second set from the
  same browser session (cookie of the survey page) is refused with 409.
* ``GET /surveys/{id}?lang=`` — anyone: the page to answer it.
* ``GET /surveys/{id}/results`` — anyone: counts per option, approved free texts, and
  GeoJSON 100 m cells (EPSG:25832 grid, delivered in EPSG:4326) of the map answers with at
  least 3 answers. No single map answer is ever public.
* ``GET /surveys/{id}/texts`` and ``POST /surveys/{id}/texts/{answer id}`` — staff list,
  moderators approve or reject free-text answers (only approved ones are ever shown).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PageLang, ParticipationStoreDep, QuartierId, RegistryDep, SettingsDep
from api.errors import answer_errors, api_error, max_body_size
from api.geojson import feature_collection
from api.participation import auth
from api.participation import survey_forms as sf
from api.participation import surveys_store as ss
from api.participation.annotations import (
    GeometryIn,
    LimiterDep,
    refuse_over_limit,
    submission_error,
)
from api.participation.i18n import page_config, page_language, script_json
from api.participation.pages import quartier_choices, render_page
from api.participation.settings import BodyText, LimitsDep
from api.participation.store import NotFound, ParticipationStore, User
from api.participation.validation import SubmissionError, area_or_404
from geoquartier.layers.validate import clean_text

router = APIRouter(tags=["surveys"])

MAX_CHOICES = 8
"""Choices of a survey defined the first way (one question)."""
MAX_ANSWER_BYTES = 16_384
SESSION_COOKIE = "gq_survey_session"
"""Cookie of the survey pages: a random id for this browser session (no expiry set)."""

SurveyId = Annotated[str, Path(max_length=64, description="survey id")]
AnswerId = Annotated[str, Path(max_length=64, description="id of a free-text answer")]

_EXAMPLE = {
    "title": {"de": "Ihr Weg zur Schule", "en": "Your way to school"},
    "event_id": None,
    "questions": [
        {
            "type": "single",
            "text": {"de": "Wie kommen Sie?", "en": "How do you come?"},
            "options": [{"de": "zu Fuß", "en": "on foot"}, {"de": "Rad", "en": "bike"}],
        },
        {
            "type": "multiple",
            "text": "Was fehlt?",
            "options": ["Licht", "Bank", "Ampel"],
            "max_choices": 2,
        },
        {"type": "text", "text": "Was wünschen Sie sich?", "max_chars": 500},
        {"type": "point", "text": "Wo ist es gefährlich?"},
        {"type": "route", "text": "Zeichnen Sie Ihren Weg."},
    ],
}


class SurveyIn(BaseModel):
    """A survey: ``title`` and ``questions`` (any question types), or the first way, one
    ``question`` answered with a place on the map and optionally one of ``choices``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})
    title: sf.LocalText | None = None
    questions: list[sf.QuestionIn] | None = Field(default=None, max_length=sf.MAX_QUESTIONS)
    event_id: str | None = Field(default=None, max_length=64, description="the event asked")
    one_answer_per_session: bool = Field(
        default=True, description="refuse a second answer set from the same browser session"
    )
    question: BodyText | None = Field(default=None, min_length=1, max_length=1200)
    choices: list[BodyText] = Field(default_factory=list, max_length=MAX_CHOICES)


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    open: bool


class AnswerIn(BaseModel):
    """An answer set: ``answers`` maps question ids to an option id (single), a list of
    option ids (multiple), a text, a GeoJSON Point (point) or LineString (route) in
    EPSG:4326. ``geometry`` and ``choice`` answer a survey of the first way."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "answers": {
                        "q1": "1",
                        "q2": ["1", "3"],
                        "q3": "Mehr Licht",
                        "q4": {"type": "Point", "coordinates": [11.28, 49.51]},
                        "q5": {
                            "type": "LineString",
                            "coordinates": [[11.28, 49.51], [11.281, 49.512]],
                        },
                    }
                }
            ]
        },
    )
    answers: dict[str, Any] | None = Field(default=None, max_length=sf.MAX_QUESTIONS)
    geometry: GeometryIn | None = None
    choice: BodyText | None = Field(default=None, max_length=400)


class TextDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["approved", "rejected"]


def _question(body: SurveyIn) -> tuple[str, list[str]]:
    question = clean_text(body.question or "", single_line=True)
    if not question or len(question) > 300:
        raise api_error(422, "question: 1 to 300 visible characters")
    choices = [clean_text(c, single_line=True) for c in body.choices]
    if any(not c or len(c) > 80 for c in choices):
        raise api_error(422, "choices: each 1 to 80 visible characters")
    if len(set(choices)) != len(choices):
        raise api_error(422, "choices: each choice only once")
    return question, choices


def _form(body: SurveyIn) -> dict[str, Any]:
    if body.question is not None or body.choices:
        raise api_error(422, "question, choices: not together with 'questions'; ask them there")
    if body.title is None:
        raise api_error(422, "title: a survey with questions needs a title")
    data = body.model_dump(include={"title", "questions", "one_answer_per_session"})
    with answer_errors({ValueError: 422}):
        return sf.build_form(sf.FormIn.model_validate(data))


def _event_of(store: ParticipationStore, event_id: str | None, quartier: str) -> str | None:
    if event_id is None:
        return None
    try:
        event = store.get_event(event_id)
    except NotFound:
        raise api_error(422, f"event_id: unknown event {event_id!r}") from None
    if event["quartier"] != quartier:
        raise api_error(422, f"event_id: the event belongs to quartier {event['quartier']!r}")
    return event_id


@router.post(
    "/quartiers/{quartier}/surveys",
    status_code=201,
    summary="Ask a map survey (planners)",
    dependencies=[Depends(max_body_size(65_536))],
)
def create_survey(
    quartier: QuartierId,
    body: SurveyIn,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
    registry: RegistryDep,
    limits: LimitsDep,
) -> dict[str, Any]:
    """A new open survey in the quartier, optionally of one of its events. Questions of
    the types single, multiple, text, point and route; texts as ``{"de", "en", "tr",
    "ro", "bg"}`` (German required, the fallback) or a German string."""
    area_or_404(quartier, registry, limits)
    return _new_survey(store, quartier, body, user)


def _new_survey(
    store: ParticipationStore, quartier: str, body: SurveyIn, user: User
) -> dict[str, Any]:
    if body.questions is None:
        if body.title is not None or body.event_id is not None:
            raise api_error(422, "questions: a survey with a title or an event needs questions")
        question, choices = _question(body)
        return ss.add_survey(store, quartier, question, choices, user)
    form = _form(body)
    event_id = _event_of(store, body.event_id, quartier)
    return ss.create_survey(store, quartier, form, user, event_id)


def new_survey(
    payload: dict[str, Any],
    quartier: str,
    store: ParticipationStore,
    registry: dict,
    limits: Any,
    user: User,
) -> dict[str, Any]:
    """Store a survey from a request-like ``payload`` (for the CLI): the same checks as
    ``POST /quartiers/{q}/surveys``; raises pydantic's ValidationError or an HTTPException
    whose ``detail`` names the field."""
    area_or_404(quartier, registry, limits)
    return _new_survey(store, quartier, SurveyIn.model_validate(payload), user)


@router.get("/quartiers/{quartier}/surveys", summary="Map surveys of a quartier")
def quartier_surveys(
    quartier: QuartierId, store: ParticipationStoreDep, registry: RegistryDep, limits: LimitsDep
) -> dict[str, Any]:
    """Every survey of the quartier, newest first (title, questions, open or closed)."""
    area_or_404(quartier, registry, limits)
    return {"surveys": ss.list_surveys(store, quartier)}


@router.post("/surveys/{survey_id}/state", summary="Open or close a survey (planners)")
def survey_state(
    survey_id: SurveyId,
    body: StateIn,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    with answer_errors({NotFound: 404}):
        return ss.set_open(store, survey_id, body.open)


def _first_way(survey: dict[str, Any], body: AnswerIn) -> dict[str, Any]:
    """``{"geometry", "choice"}`` as answers to the survey's first point and choice
    questions."""
    if body.geometry is None:
        raise SubmissionError("answers", "send 'answers' (or 'geometry' and 'choice')")
    if body.geometry.type != "Point":
        raise SubmissionError("geometry", "a survey is answered with a Point")
    by_type = {q["type"]: q["id"] for q in reversed(survey["questions"])}
    if "point" not in by_type:
        raise SubmissionError("geometry", "this survey has no question about a place")
    answers = {by_type["point"]: body.geometry.model_dump()}
    if body.choice is not None:
        if "single" not in by_type:
            raise SubmissionError("choice", "this survey offers no choices")
        answers[by_type["single"]] = body.choice
    return answers


@router.post(
    "/surveys/{survey_id}/answers",
    status_code=201,
    summary="Answer a survey (anyone)",
    dependencies=[Depends(max_body_size(MAX_ANSWER_BYTES))],
    responses={
        409: {"description": "the survey is closed, or this browser session already answered"},
        422: {"description": "a wrong answer: `detail` names `answers.<question id>`"},
    },
)
def answer_survey(
    survey_id: SurveyId,
    body: AnswerIn,
    request: Request,
    settings: SettingsDep,
    limiter: LimiterDep,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    limits: LimitsDep,
) -> Any:
    """Checks every answer (options, number of choices, text length, map answers inside
    the quartier, routes of 2 to 100 plausible points), then stores the whole set or
    nothing. Free texts wait for moderation."""
    with answer_errors({NotFound: 404}):
        survey = ss.get_survey(store, survey_id)
    if body.answers is None and body.geometry is None:
        return submission_error(422, "answers: send the answers", "invalid_submission")
    refuse_over_limit(limiter, request, settings)  # answers to a survey that exists count
    area = area_or_404(survey["quartier"], registry, limits)
    session = request.cookies.get(SESSION_COOKIE, "")[:64] or None
    try:
        answers = body.answers if body.answers is not None else _first_way(survey, body)
        items = sf.check_answers(survey, answers, area, limits)
        ss.add_answer_set(store, survey_id, items, session)
    except SubmissionError as exc:
        return submission_error(exc.status, str(exc), exc.code, exc.params)
    except ss.SurveyClosed as exc:
        raise api_error(409, str(exc)) from None
    except ss.AlreadyAnswered as exc:
        return submission_error(409, str(exc), "already_answered")
    return JSONResponse({"status": "stored"}, status_code=201)


@router.get("/surveys/{survey_id}/results", summary="Survey results: counts, texts, 100 m cells")
def survey_results(survey_id: SurveyId, store: ParticipationStoreDep) -> dict[str, Any]:
    """Per question: counts per option with percentages of those who answered it, the
    approved free texts, and the map answers as 100 m cells with at least 3 answers
    (routes count in every cell they cross); GeoJSON FeatureCollection in EPSG:4326."""
    with answer_errors({NotFound: 404}):
        found = ss.results(store, survey_id)
    return feature_collection(
        ss.cell_features(found["questions"]),
        survey=found["survey"],
        answers=found["answers"],
        per_choice=found["per_choice"],
        questions=found["questions"],
        cell_m=ss.CELL_M,
        min_cell_answers=ss.MIN_CELL_ANSWERS,
    )


@router.get("/surveys/{survey_id}/texts", summary="Free-text answers of a survey (staff)")
def survey_texts(
    survey_id: SurveyId,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
    status: Annotated[
        Literal["pending", "approved", "rejected"] | None, Query(description="only this state")
    ] = None,
) -> dict[str, Any]:
    """The free-text answers (oldest first) with their moderation state."""
    with answer_errors({NotFound: 404}):
        return {"texts": ss.text_answers(store, survey_id, status)}


@router.post(
    "/surveys/{survey_id}/texts/{answer_id}",
    summary="Approve or reject a free-text answer (moderators)",
)
def decide_survey_text(
    survey_id: SurveyId,
    answer_id: AnswerId,
    body: TextDecisionIn,
    user: Annotated[User, Depends(auth.moderator)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """Only approved texts appear in the results and the event report."""
    with answer_errors({NotFound: 404}):
        return ss.decide_text(store, survey_id, answer_id, body.status, user)


@router.get(
    "/surveys/{survey_id}",
    response_class=HTMLResponse,
    tags=["participation pages"],
    summary="Page to answer a map survey",
    responses={404: {"description": "unknown survey"}},
)
def survey_page(
    survey_id: SurveyId,
    request: Request,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    limits: LimitsDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """The questions in the page language (German where a text is missing), a map for
    each place or route question (mouse, touch or keyboard); texts escaped."""
    lang = page_language(lang)
    with answer_errors({NotFound: 404}):
        survey = ss.get_survey(store, survey_id)
    area = area_or_404(survey["quartier"], registry, limits)
    session = request.cookies.get(SESSION_COOKIE, "")[:64] or secrets.token_urlsafe(24)
    answered = survey["one_answer_per_session"] and ss.answered_in_session(
        store, survey_id, session
    )
    shown = sf.in_language(survey, lang)
    config = page_config(
        lang,
        boundary=area.boundary.__geo_interface__,
        answerUrl=f"/surveys/{survey_id}/answers",
        streetsUrl=f"/quartiers/{survey['quartier']}/streets.geojson",
        questions=[
            {k: q.get(k) for k in ("id", "type", "text", "required", "max_choices", "max_chars")}
            for q in shown["questions"]
        ],
        again=not survey["one_answer_per_session"],
        minRoutePoints=sf.MIN_ROUTE_POINTS,
        maxRoutePoints=sf.MAX_ROUTE_POINTS,
    )
    response = render_page(
        "survey.html",
        lang,
        survey=shown,
        answered=answered,
        quartier_name=registry[survey["quartier"]].name,
        config_json=script_json(config),
        self_path=f"/surveys/{survey_id}",
        event_query="",
    )
    response.set_cookie(
        SESSION_COOKIE,
        session,
        path="/surveys",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get(
    "/moderate/surveys",
    response_class=HTMLResponse,
    tags=["participation pages"],
    summary="Moderation page of the written survey answers (staff token needed)",
)
def moderate_survey_texts(
    registry: RegistryDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """Moderators approve or reject the free-text answers of a quartier's surveys; the
    page talks to ``/surveys/{id}/texts`` with the token typed in."""
    lang = page_language(lang)
    quartiers = [{"id": q["id"], "name": q["name"]} for q in quartier_choices(registry)]
    config = page_config(lang, quartiers=quartiers)
    return render_page(
        "survey_moderate.html",
        lang,
        statuses=config["statuses"],
        quartiers=quartiers,
        config_json=script_json(config),
        self_path="/moderate/surveys",
        event_query="",
    )
