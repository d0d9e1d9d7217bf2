"""Routes of map surveys: one question about places, answered with a point on the map.

* ``POST /quartiers/{q}/surveys`` — planner: ``{"question", "choices": [...]}`` (0–8
  choices; with choices every answer names one).
* ``GET /quartiers/{q}/surveys`` — anyone: the quartier's surveys.
* ``POST /surveys/{id}/state`` — planner: ``{"open": false}`` closes it (true reopens).
* ``POST /surveys/{id}/answers`` — anyone (rate limit of submissions, 4 KiB):
  ``{"geometry": {"type": "Point", ...}, "choice"}``; the point must lie in the quartier.
* ``GET /surveys/{id}?lang=`` — anyone: the page to answer it (tap the map, pick a choice).
* ``GET /surveys/{id}/results`` — anyone: GeoJSON of 100 m cells (EPSG:25832 grid,
  delivered in EPSG:4326) with their answer counts, only cells with at least 3 answers,
  plus the count per choice. No single answer is ever public.
"""

from __future__ import annotations

from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from pyproj import Transformer
from shapely.geometry import box, mapping

from api.deps import ParticipationStoreDep, QuartierId, RegistryDep, SettingsDep
from api.errors import answer_errors, api_error, max_body_size
from api.geojson import feature_collection
from api.participation import auth
from api.participation import surveys_store as ss
from api.participation.annotations import GeometryIn, LimiterDep, refuse_over_limit
from api.participation.i18n import page_config, page_language, script_json
from api.participation.pages import render_page
from api.participation.settings import BodyText, LimitsDep
from api.participation.store import NotFound, User
from api.participation.validation import SubmissionError, area_or_404, check_geometry, to_metric
from geoquartier.errors import GeoquartierError
from geoquartier.layers.validate import clean_text
from geoquartier.vocabulary import ANALYSIS_CRS, STORAGE_CRS

router = APIRouter(tags=["surveys"])

MAX_CHOICES = 8
_TO_DEGREES = Transformer.from_crs(ANALYSIS_CRS, STORAGE_CRS, always_xy=True)

SurveyId = Annotated[str, Path(max_length=64, description="survey id")]


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: BodyText = Field(min_length=1, max_length=1200)
    choices: list[BodyText] = Field(default_factory=list, max_length=MAX_CHOICES)


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    open: bool


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    geometry: GeometryIn
    choice: BodyText | None = Field(default=None, max_length=400)


def _question(body: SurveyIn) -> tuple[str, list[str]]:
    question = clean_text(body.question, single_line=True)
    if not question or len(question) > 300:
        raise api_error(422, "question: 1 to 300 visible characters")
    choices = [clean_text(c, single_line=True) for c in body.choices]
    if any(not c or len(c) > 80 for c in choices):
        raise api_error(422, "choices: each 1 to 80 visible characters")
    if len(set(choices)) != len(choices):
        raise api_error(422, "choices: each choice only once")
    return question, choices


@router.post("/quartiers/{quartier}/surveys", status_code=201, summary="Ask a map survey")
def create_survey(
    quartier: QuartierId,
    body: SurveyIn,
    user: Annotated[User, Depends(auth.planner)],
    store: ParticipationStoreDep,
    registry: RegistryDep,
    limits: LimitsDep,
) -> dict[str, Any]:
    """A new open survey in the quartier (planners)."""
    area_or_404(quartier, registry, limits)
    question, choices = _question(body)
    return ss.add_survey(store, quartier, question, choices, user)


@router.get("/quartiers/{quartier}/surveys", summary="Map surveys of a quartier")
def quartier_surveys(
    quartier: QuartierId, store: ParticipationStoreDep, registry: RegistryDep, limits: LimitsDep
) -> dict[str, Any]:
    """Every survey of the quartier, newest first (question, choices, open or closed)."""
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


@router.post(
    "/surveys/{survey_id}/answers",
    status_code=201,
    summary="Answer a survey with a point on the map (anyone)",
    dependencies=[Depends(max_body_size(4096))],
    responses={409: {"description": "the survey is closed"}},
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
) -> dict[str, str]:
    """Stores the point (inside the quartier) and the choice; nothing else."""
    refuse_over_limit(limiter, request, settings)
    with answer_errors({NotFound: 404}):
        survey = ss.get_survey(store, survey_id)
    if body.geometry.type != "Point":
        raise api_error(422, "geometry: a survey is answered with a Point")
    area = area_or_404(survey["quartier"], registry, limits)
    try:
        point = check_geometry(
            {"type": "Point", "coordinates": body.geometry.coordinates}, area, limits
        )
        ss.add_answer(store, survey_id, point, to_metric(point), body.choice)
    except SubmissionError as exc:
        raise api_error(exc.status, str(exc)) from None
    except ss.SurveyClosed as exc:
        raise api_error(409, str(exc)) from None
    except GeoquartierError as exc:
        raise api_error(422, str(exc)) from None
    return {"status": "stored"}


def _cell_feature(cell: dict) -> dict[str, Any]:
    """One result cell as a GeoJSON Feature (square of the EPSG:25832 grid, in EPSG:4326)."""
    x0, y0 = cell["cell_x"] * ss.CELL_M, cell["cell_y"] * ss.CELL_M
    square = shapely.transform(
        box(x0, y0, x0 + ss.CELL_M, y0 + ss.CELL_M), _TO_DEGREES.transform, interleaved=False
    )
    return {
        "type": "Feature",
        "id": f"{cell['cell_x']}_{cell['cell_y']}",
        "geometry": mapping(square),
        "properties": {"answers": cell["n"]},
    }


@router.get("/surveys/{survey_id}/results", summary="Survey results in 100 m cells")
def survey_results(survey_id: SurveyId, store: ParticipationStoreDep) -> dict[str, Any]:
    """Cells with at least 3 answers and the count per choice (GeoJSON, EPSG:4326)."""
    with answer_errors({NotFound: 404}):
        found = ss.results(store, survey_id)
    features = [_cell_feature(c) for c in found["cells"]]
    return feature_collection(
        features,
        survey=found["survey"],
        answers=found["answers"],
        per_choice=found["per_choice"],
        cell_m=ss.CELL_M,
        min_cell_answers=ss.MIN_CELL_ANSWERS,
    )


@router.get(
    "/surveys/{survey_id}",
    response_class=HTMLResponse,
    tags=["participation pages"],
    summary="Page to answer a map survey",
    responses={404: {"description": "unknown survey"}},
)
def survey_page(
    survey_id: SurveyId,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    limits: LimitsDep,
    lang: Annotated[str, Query(max_length=5, description="de, en, tr, ro or bg")] = "de",
) -> HTMLResponse:
    """The question, the quartier map to tap, the choices as buttons; texts escaped."""
    lang = page_language(lang)
    with answer_errors({NotFound: 404}):
        survey = ss.get_survey(store, survey_id)
    area = area_or_404(survey["quartier"], registry, limits)
    config = page_config(
        lang,
        boundary=area.boundary.__geo_interface__,
        answerUrl=f"/surveys/{survey_id}/answers",
        streetsUrl=f"/quartiers/{survey['quartier']}/streets.geojson",
        hasChoices=bool(survey["choices"]),
    )
    return render_page(
        "survey.html",
        lang,
        survey=survey,
        quartier_name=registry[survey["quartier"]].name,
        config_json=script_json(config),
        self_path=f"/surveys/{survey_id}",
        event_query="",
    )
