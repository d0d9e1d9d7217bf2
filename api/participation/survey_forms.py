"""What a map survey asks and what a resident may answer: the question types, the
planner's definition (texts in the five page languages, German as fallback) and the
checks of one answer set.

A survey is a *form*: a title and 1 to :data:`MAX_QUESTIONS` questions, each of one of
:data:`QUESTION_TYPES`:

* ``single`` — one of the options; ``multiple`` — 1 to ``max_choices`` of the options;
* ``text`` — free text of at most ``max_chars`` characters (moderated before it is shown);
* ``point`` — a place on the map (GeoJSON Point, EPSG:4326, inside the quartier);
* ``route`` — a route on the map (GeoJSON LineString, EPSG:4326, 2 to
  :data:`MAX_ROUTE_POINTS` points inside the quartier, no jump longer than
  :data:`MAX_ROUTE_STEP_M` metres in EPSG:25832).

Texts of the form are ``{"de": ..., "en": ...}`` (German required; a plain string is
German). An answer set is ``{question id: value}``; questions may be left out unless
``required``, but a set answers at least one question. Every check raises
:class:`~api.participation.validation.SubmissionError` naming ``answers.<question id>``,
the question's German text and what is wrong; the caller stores nothing then.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Annotated, Any, Literal

import shapely
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.participation.i18n import DEFAULT_LANGUAGE, Translator
from api.participation.settings import PAGE_LANGUAGES, BodyText, Limits
from api.participation.validation import (
    QuartierArea,
    SubmissionError,
    check_geometry,
    to_metric,
)
from geoquartier.layers.validate import clean_text

QUESTION_TYPES = ("single", "multiple", "text", "point", "route")
"""The kinds of question a survey may ask."""
CHOICE_TYPES = ("single", "multiple")
MAP_TYPES = {"point": "Point", "route": "LineString"}
"""Map question type → the GeoJSON geometry type of its answer."""
MAX_QUESTIONS = 12
MAX_OPTIONS = 12
MAX_TITLE_CHARS = 300
MAX_OPTION_CHARS = 80
MAX_ANSWER_CHARS = 2000
"""Upper bound of a text question's ``max_chars``."""
DEFAULT_ANSWER_CHARS = 500
MAX_ROUTE_POINTS = 100
MAX_ROUTE_STEP_M = 2000.0
"""Longest plausible step between two consecutive route points (metres, EPSG:25832)."""
MIN_ROUTE_POINTS = 2

LEGACY_PLACE, LEGACY_CHOICE = "place", "choice"
"""Question ids of a survey defined the first way (one question, optional choices)."""

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")]
LocalText = BodyText | dict[str, BodyText]
"""A text in the page languages: ``{"de": ..., "en": ...}`` (``de`` required) or a string
(German)."""


class OptionIn(BaseModel):
    """One option of a choice question."""

    model_config = ConfigDict(extra="forbid")
    id: Key | None = Field(default=None, description="answer key; default '1', '2', …")
    text: LocalText = Field(description="the option in the page languages (de required)")


class QuestionIn(BaseModel):
    """One question of a survey."""

    model_config = ConfigDict(extra="forbid")
    id: Key | None = Field(default=None, description="answer key; default 'q1', 'q2', …")
    type: Literal["single", "multiple", "text", "point", "route"]
    text: LocalText = Field(description="the question in the page languages (de required)")
    options: list[OptionIn] = Field(
        default_factory=list,
        max_length=MAX_OPTIONS,
        description="options of a single or multiple question: {id, text}, or only the text",
    )
    max_choices: int | None = Field(
        default=None, ge=1, le=MAX_OPTIONS, description="multiple: most options; default all"
    )
    max_chars: int = Field(
        default=DEFAULT_ANSWER_CHARS,
        ge=1,
        le=MAX_ANSWER_CHARS,
        description="text: longest answer in characters",
    )
    required: bool = Field(default=False, description="an answer set must answer it")

    @field_validator("options", mode="before")
    @classmethod
    def _option_objects(cls, value: Any) -> Any:
        """An option given as its text alone (a string or a language dict) → ``{"text"}``."""
        if not isinstance(value, list):
            return value
        return [o if isinstance(o, dict) and "text" in o else {"text": o} for o in value]


class FormIn(BaseModel):
    """A survey of several questions (the ``title``/``questions`` form of the request)."""

    model_config = ConfigDict(extra="forbid")
    title: LocalText
    questions: list[QuestionIn] = Field(min_length=1, max_length=MAX_QUESTIONS)
    event_id: str | None = Field(default=None, max_length=64)
    one_answer_per_session: bool = True


def _local(value: Any, field: str, max_chars: int) -> dict[str, str]:
    """``{"de": ..., ...}`` cleaned: known languages only, German required, lengths."""
    texts = {DEFAULT_LANGUAGE: value} if isinstance(value, str) else dict(value)
    unknown = [lang for lang in texts if lang not in PAGE_LANGUAGES]
    if unknown:
        raise ValueError(f"{field}: unknown language {unknown[0]!r}; expected {PAGE_LANGUAGES}")
    out = {}
    for lang, text in texts.items():
        cleaned = clean_text(unicodedata.normalize("NFC", text), single_line=True)
        if len(cleaned) > max_chars:
            raise ValueError(f"{field}.{lang}: {len(cleaned)} characters; at most {max_chars}")
        if cleaned:
            out[lang] = cleaned
    if DEFAULT_LANGUAGE not in out:
        raise ValueError(f"{field}: the German text (de) is required and must not be empty")
    return out


def _options(question: QuestionIn, field: str) -> list[dict[str, Any]]:
    if question.type not in CHOICE_TYPES:
        if question.options:
            raise ValueError(f"{field}.options: only single and multiple questions have options")
        return []
    if len(question.options) < 2:
        raise ValueError(f"{field}.options: a {question.type} question needs 2 or more options")
    options = []
    for n, option in enumerate(question.options, start=1):
        item = option
        text = _local(item.text, f"{field}.options[{n - 1}]", MAX_OPTION_CHARS)
        options.append({"id": item.id or str(n), "text": text})
    if len({o["id"] for o in options}) != len(options):
        raise ValueError(f"{field}.options: each option id only once")
    if len({o["text"]["de"] for o in options}) != len(options):
        raise ValueError(f"{field}.options: each option only once")
    return options


def _question(question: QuestionIn, n: int) -> dict[str, Any]:
    field = f"questions[{n}]"
    out: dict[str, Any] = {
        "id": question.id or f"q{n + 1}",
        "type": question.type,
        "text": _local(question.text, f"{field}.text", MAX_TITLE_CHARS),
        "required": question.required,
    }
    options = _options(question, field)
    if options:
        out["options"] = options
    if question.type == "multiple":
        most = question.max_choices or len(options)
        if most > len(options):
            raise ValueError(f"{field}.max_choices: {most}; the question has {len(options)}")
        out["max_choices"] = most
    elif question.max_choices is not None:
        raise ValueError(f"{field}.max_choices: only multiple questions have it")
    if question.type == "text":
        out["max_chars"] = question.max_chars
    return out


def build_form(body: FormIn) -> dict[str, Any]:
    """The stored form of a planner's definition; ValueError naming the field if wrong."""
    questions = [_question(q, n) for n, q in enumerate(body.questions)]
    if len({q["id"] for q in questions}) != len(questions):
        raise ValueError("questions: each question id only once")
    return {
        "title": _local(body.title, "title", MAX_TITLE_CHARS),
        "questions": questions,
        "one_answer_per_session": body.one_answer_per_session,
    }


def legacy_form(question: str, choices: list[str]) -> dict[str, Any]:
    """The form of a survey defined as one question with optional choices: a place on
    the map (``place``) and, with choices, one of them (``choice``; option id = text)."""
    asked: list[dict[str, Any]] = [
        {"id": LEGACY_PLACE, "type": "point", "text": {"de": question}, "required": True}
    ]
    if choices:
        label = {lang: Translator(lang)("What is it?") for lang in PAGE_LANGUAGES}
        options = [{"id": c, "text": {"de": c}} for c in choices]
        asked.append(
            {
                "id": LEGACY_CHOICE,
                "type": "single",
                "text": label,
                "required": True,
                "options": options,
            }
        )
    return {"title": {"de": question}, "questions": asked, "one_answer_per_session": False}


def localized(texts: dict[str, str], lang: str) -> str:
    """The text in ``lang``, else German."""
    return texts.get(lang) or texts[DEFAULT_LANGUAGE]


def in_language(form: dict[str, Any], lang: str) -> dict[str, Any]:
    """The form with every text in ``lang`` (German where it is missing)."""
    questions = []
    for q in form["questions"]:
        shown = {**q, "text": localized(q["text"], lang)}
        if "options" in q:
            shown["options"] = [
                {"id": o["id"], "text": localized(o["text"], lang)} for o in q["options"]
            ]
        questions.append(shown)
    return {**form, "title": localized(form["title"], lang), "questions": questions}


# -- one answer set ---------------------------------------------------------------------------
def _refuse(question: dict, message: str, code: str = "invalid_submission", **params) -> None:
    field = f"answers.{question['id']}"
    raise SubmissionError(
        field,
        f"{message} (question {question['text']['de']!r})",
        code=code,
        params={"question": question["id"], **params},
    )


def _option_ids(question: dict) -> list[str]:
    return [o["id"] for o in question["options"]]


def _single(question: dict, value: Any) -> list[str]:
    known = _option_ids(question)
    if not isinstance(value, str) or value not in known:
        _refuse(question, f"{value!r} is not an option; expected one of {known}", "unknown_option")
    return [value]


def _multiple(question: dict, value: Any) -> list[str]:
    known = _option_ids(question)
    if not isinstance(value, list) or not value:
        _refuse(question, "expected a list of 1 or more option ids")
    for v in value:
        if not isinstance(v, str) or v not in known:
            _refuse(question, f"{v!r} is not an option; expected some of {known}", "unknown_option")
    if len(set(value)) != len(value):
        _refuse(question, "each option only once")
    most = question["max_choices"]
    if len(value) > most:
        _refuse(
            question,
            f"{len(value)} options chosen; at most {most}",
            "too_many_choices",
            max_choices=most,
        )
    return list(value)


def _text(question: dict, value: Any) -> list[str]:
    if not isinstance(value, str):
        _refuse(question, "expected a text", "text_empty")
    text = clean_text(unicodedata.normalize("NFC", value).replace("\r\n", "\n"))
    if not text:
        _refuse(question, "the text is empty", "text_empty")
    most = question["max_chars"]
    if len(text) > most:
        _refuse(
            question,
            f"{len(text)} characters; at most {most} are accepted",
            "text_too_long",
            chars=len(text),
            max_chars=most,
        )
    return [text]


def _route_shape(question: dict, value: dict) -> None:
    coords = value.get("coordinates")
    count = len(coords) if isinstance(coords, list) else 0
    if count < MIN_ROUTE_POINTS:
        _refuse(
            question,
            f"a route needs at least {MIN_ROUTE_POINTS} points; got {count}",
            "route_too_short",
        )
    if count > MAX_ROUTE_POINTS:
        _refuse(
            question,
            f"{count} points; a route has at most {MAX_ROUTE_POINTS}",
            "too_many_vertices",
            max_vertices=MAX_ROUTE_POINTS,
        )


def _map_answer(question: dict, value: Any, area: QuartierArea, limits: Limits) -> dict:
    gtype = MAP_TYPES[question["type"]]
    if not isinstance(value, dict) or value.get("type") != gtype:
        _refuse(question, f"expected a GeoJSON {gtype} (EPSG:4326)", "invalid_geometry")
    if gtype == "LineString":
        _route_shape(question, value)
    try:
        geom = check_geometry({"type": gtype, "coordinates": value["coordinates"]}, area, limits)
    except SubmissionError as exc:
        params = {k: v for k, v in exc.params.items() if k != "field"}
        _refuse(question, str(exc).removeprefix("geometry: "), exc.code, **params)
    metric = to_metric(geom)
    if gtype == "LineString":
        steps_m = shapely.length(shapely.linestrings(_segments(metric)))
        if float(steps_m.max()) > MAX_ROUTE_STEP_M:
            _refuse(
                question,
                f"a step of {float(steps_m.max()):.0f} m between two points; at most "
                f"{MAX_ROUTE_STEP_M:.0f} m",
                "implausible_route",
            )
    return {"geometry": geom, "metric": metric}


def _segments(metric: Any) -> list[list[tuple[float, float]]]:
    xy = list(metric.coords)
    return [[xy[i], xy[i + 1]] for i in range(len(xy) - 1)]


_CHECKS = {"single": _single, "multiple": _multiple, "text": _text}


def check_answers(
    form: dict[str, Any], answers: dict[str, Any], area: QuartierArea, limits: Limits
) -> list[dict[str, Any]]:
    """The checked answer set as items ``{"question", "type", "value"}`` (``value``: an
    option id, a text, or ``{"geometry"`` EPSG:4326, ``"metric"`` EPSG:25832 ``}``);
    SubmissionError naming ``answers.<id>`` for the first wrong answer."""
    questions = {q["id"]: q for q in form["questions"]}
    unknown = [k for k in answers if k not in questions]
    if unknown:
        raise SubmissionError(
            f"answers.{unknown[0]}"[:80],
            f"this survey has no such question; its questions: {list(questions)}",
        )
    items: list[dict[str, Any]] = []
    for q in form["questions"]:
        value = answers.get(q["id"])
        if value is None or value == [] or value == "":
            if q["required"]:
                _refuse(q, "an answer is required", "answer_required")
            continue
        if q["type"] in MAP_TYPES:
            values: list[Any] = [_map_answer(q, value, area, limits)]
        else:
            values = _CHECKS[q["type"]](q, value)
        items.extend({"question": q["id"], "type": q["type"], "value": v} for v in values)
    if not items:
        raise SubmissionError("answers", "answer at least one question", code="text_empty")
    return items


def form_json(form: dict[str, Any]) -> str:
    """The stored text of a form."""
    return json.dumps(form, ensure_ascii=False, separators=(",", ":"))
