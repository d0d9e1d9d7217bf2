"""Storage of map surveys: a planner asks a few questions about a quartier or one of its
events (single or multiple choice, free text, a place on the map, a route on the map; see
:mod:`api.participation.survey_forms`), residents answer anonymously.

Tables (same database as :mod:`api.participation.store`, created on first use):

* ``surveys`` — quartier, German title (``question``), open/closed, who, when; ``choices``
  holds the options of a survey defined the first way (one question with choices);
* ``survey_forms`` — the form (title and questions in the page languages, JSON text) and
  the event of a survey defined with questions;
* ``survey_answer_sets`` — one row per resident's answer set: survey, time and, when the
  survey takes one set per browser session, a SHA-256 of the survey id and the session's
  random cookie (nothing else about the resident);
* ``survey_items`` — one row per answer value: an option id (one row per chosen option), a
  free text (with its moderation state pending → approved / rejected), or a map answer as
  GeoJSON (EPSG:4326) with the 100 m cells (EPSG:25832) it lies in or crosses;
* ``survey_answers`` — answers stored before surveys had several questions (read only).

Results: counts per option, approved texts only, map answers as cells of the 100 m grid.
Public results show a cell only when it holds at least :data:`MIN_CELL_ANSWERS` answers;
the staff view (event report) has every point, route and cell.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping

from api.participation import survey_forms as sf
from api.participation import tables
from api.participation.store import NotFound, ParticipationStore, User, utc_now
from api.participation.validation import SubmissionError
from geoquartier.errors import GeoquartierError
from geoquartier.vocabulary import ANALYSIS_CRS, STORAGE_CRS

CELL_M = 100
"""Edge of the result grid cells (metres, EPSG:25832)."""
MIN_CELL_ANSWERS = 3
"""A cell is published only with at least this many answers (no single answer shows)."""
TEXT_DECISIONS = ("approved", "rejected")
"""What a moderator decides about a free-text answer (it starts as ``pending``)."""

_TO_DEGREES = Transformer.from_crs(ANALYSIS_CRS, STORAGE_CRS, always_xy=True)
_NAME = "surveys"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS surveys (
    id          TEXT PRIMARY KEY,
    quartier    TEXT NOT NULL,
    question    TEXT NOT NULL,
    choices     TEXT NOT NULL,
    open        INTEGER NOT NULL DEFAULT 1,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS surveys_quartier ON surveys (quartier);
CREATE TABLE IF NOT EXISTS survey_answers (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    survey_id  TEXT NOT NULL REFERENCES surveys(id),
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    cell_x     INTEGER NOT NULL,
    cell_y     INTEGER NOT NULL,
    choice     TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS survey_answers_survey ON survey_answers (survey_id);
CREATE TABLE IF NOT EXISTS survey_forms (
    survey_id  TEXT PRIMARY KEY REFERENCES surveys(id),
    event_id   TEXT,
    form       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS survey_forms_event ON survey_forms (event_id);
CREATE TABLE IF NOT EXISTS survey_answer_sets (
    id           TEXT PRIMARY KEY,
    survey_id    TEXT NOT NULL REFERENCES surveys(id),
    session_hash TEXT,
    created_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS survey_answer_sets_session
    ON survey_answer_sets (survey_id, session_hash);
CREATE TABLE IF NOT EXISTS survey_items (
    id          TEXT PRIMARY KEY,
    set_id      TEXT NOT NULL REFERENCES survey_answer_sets(id),
    survey_id   TEXT NOT NULL REFERENCES surveys(id),
    question    TEXT NOT NULL,
    value       TEXT NOT NULL,
    cells       TEXT,
    status      TEXT,
    decided_by  TEXT,
    decided_at  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS survey_items_survey ON survey_items (survey_id, question)
"""


class SurveyClosed(GeoquartierError):
    """An answer to a survey that no longer takes answers."""


class AlreadyAnswered(GeoquartierError):
    """A second answer set from the same browser session to a one-per-session survey."""


def _ordered_id() -> str:
    """A random id that sorts in the order of creation (nanosecond clock first)."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def session_hash(survey_id: str, session: str | None) -> str | None:
    """What is stored of a browser session's cookie: SHA-256 of survey id and cookie."""
    if not session:
        return None
    return hashlib.sha256(f"{survey_id}|{session}".encode()).hexdigest()


def _out(row: dict) -> dict[str, Any]:
    stored = row.get("form")
    form = (
        json.loads(stored)
        if stored
        else sf.legacy_form(row["question"], json.loads(row["choices"]))
    )
    return {
        "id": row["id"],
        "quartier": row["quartier"],
        "event_id": row.get("event_id"),
        "question": row["question"],
        "choices": json.loads(row["choices"]),
        **form,
        "open": bool(row["open"]),
        "created_at": row["created_at"],
    }


_SELECT = (
    "SELECT s.id, s.quartier, s.question, s.choices, s.open, s.created_at, f.form, f.event_id"
    " FROM surveys s LEFT JOIN survey_forms f ON f.survey_id = s.id"
)


def create_survey(
    store: ParticipationStore,
    quartier: str,
    form: dict[str, Any],
    user: User,
    event_id: str | None = None,
) -> dict[str, Any]:
    """Store a new open survey of ``form`` (:func:`survey_forms.build_form`) and return it."""
    survey_id = _ordered_id()
    with tables.write(store, _NAME, _SCHEMA) as con:
        con.execute(
            "INSERT INTO surveys (id, quartier, question, choices, open, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (survey_id, quartier, form["title"]["de"], "[]", 1, user.id, utc_now()),
        )
        con.execute(
            "INSERT INTO survey_forms (survey_id, event_id, form) VALUES (?, ?, ?)",
            (survey_id, event_id, sf.form_json(form)),
        )
    return get_survey(store, survey_id)


def add_survey(
    store: ParticipationStore, quartier: str, question: str, choices: list[str], user: User
) -> dict[str, Any]:
    """Store a new open survey of one question with optional choices and return it."""
    survey_id = _ordered_id()
    with tables.write(store, _NAME, _SCHEMA) as con:
        con.execute(
            "INSERT INTO surveys (id, quartier, question, choices, open, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                survey_id,
                quartier,
                question,
                json.dumps(choices, ensure_ascii=False),
                1,
                user.id,
                utc_now(),
            ),
        )
    return get_survey(store, survey_id)


def get_survey(store: ParticipationStore, survey_id: str) -> dict[str, Any]:
    """The survey (NotFound if absent)."""
    con = tables.read(store, _NAME, _SCHEMA)
    row = con.execute(f"{_SELECT} WHERE s.id = ?", (survey_id,)).fetchone()
    if row is None:
        raise NotFound(f"survey {survey_id!r} does not exist")
    return _out(row)


def list_surveys(store: ParticipationStore, quartier: str) -> list[dict[str, Any]]:
    """The quartier's surveys, newest first."""
    con = tables.read(store, _NAME, _SCHEMA)
    rows = con.execute(
        f"{_SELECT} WHERE s.quartier = ? ORDER BY s.created_at DESC, s.id DESC", (quartier,)
    ).fetchall()
    return [_out(r) for r in rows]


def event_surveys(store: ParticipationStore, event_id: str) -> list[dict[str, Any]]:
    """The surveys of an event, oldest first."""
    con = tables.read(store, _NAME, _SCHEMA)
    rows = con.execute(
        f"{_SELECT} WHERE f.event_id = ? ORDER BY s.created_at, s.id", (event_id,)
    ).fetchall()
    return [_out(r) for r in rows]


def set_open(store: ParticipationStore, survey_id: str, is_open: bool) -> dict[str, Any]:
    """Open or close a survey."""
    with tables.write(store, _NAME, _SCHEMA) as con:
        cur = con.execute("UPDATE surveys SET open = ? WHERE id = ?", (int(is_open), survey_id))
        if cur.rowcount == 0:
            raise NotFound(f"survey {survey_id!r} does not exist")
    return get_survey(store, survey_id)


# -- answers ----------------------------------------------------------------------------------
def _cells(metric: Any) -> list[list[int]]:
    """The 100 m cells (EPSG:25832 indexes) a point lies in or a line crosses."""
    if metric.geom_type == "Point":
        return [[int(metric.x // CELL_M), int(metric.y // CELL_M)]]
    dense = shapely.segmentize(metric, CELL_M / 10)
    xy = np.floor(shapely.get_coordinates(dense) / CELL_M).astype(int)
    candidates = {(int(x), int(y)) for x, y in xy}
    # a line clipping a cell corner between two samples: test the neighbours exactly
    near = {(x + dx, y + dy) for x, y in candidates for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    shapely.prepare(metric)
    crossed = [
        (x, y)
        for x, y in sorted(near)
        if metric.intersects(
            shapely.box(x * CELL_M, y * CELL_M, (x + 1) * CELL_M, (y + 1) * CELL_M)
        )
    ]
    return [list(c) for c in crossed]


def _item_row(item: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """``(value, cells, status)`` of one checked answer item."""
    if item["type"] in sf.MAP_TYPES:
        geometry = mapping(shapely.set_precision(item["value"]["geometry"], 1e-7))
        value = json.dumps(geometry, separators=(",", ":"))
        return value, json.dumps(_cells(item["value"]["metric"])), None
    return item["value"], None, "pending" if item["type"] == "text" else None


def add_answer_set(
    store: ParticipationStore,
    survey_id: str,
    items: list[dict[str, Any]],
    session: str | None = None,
) -> str:
    """Store one checked answer set (:func:`survey_forms.check_answers`) in one transaction;
    returns its id. ``session`` is the browser session's cookie (one set per session when
    the survey says so). SurveyClosed, AlreadyAnswered, NotFound: nothing stored."""
    rows = [(item["question"], *_item_row(item)) for item in items]
    now = utc_now()
    set_id = _ordered_id()
    with tables.write(store, _NAME, _SCHEMA) as con:
        found = con.execute(f"{_SELECT} WHERE s.id = ?", (survey_id,)).fetchone()
        if found is None:
            raise NotFound(f"survey {survey_id!r} does not exist")
        survey = _out(found)
        if not survey["open"]:
            raise SurveyClosed(f"survey {survey_id!r} is closed")
        digest = session_hash(survey_id, session) if survey["one_answer_per_session"] else None
        if digest:
            # one set per session: sets of this survey wait for each other (also across
            # servers on PostgreSQL), so two sends of one session cannot both pass the check
            con.execute("SELECT id FROM surveys WHERE id = ? FOR UPDATE", (survey_id,))
        if digest and _answered(con, survey_id, digest):
            raise AlreadyAnswered("this survey was already answered in this browser session")
        con.execute(
            "INSERT INTO survey_answer_sets (id, survey_id, session_hash, created_at)"
            " VALUES (?, ?, ?, ?)",
            (set_id, survey_id, digest, now),
        )
        for question, value, cells, status in rows:
            con.execute(
                "INSERT INTO survey_items (id, set_id, survey_id, question, value, cells,"
                " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_ordered_id(), set_id, survey_id, question, value, cells, status, now),
            )
    return set_id


def _answered(con: Any, survey_id: str, digest: str) -> bool:
    row = con.execute(
        "SELECT count(*) AS n FROM survey_answer_sets WHERE survey_id = ? AND session_hash = ?",
        (survey_id, digest),
    ).fetchone()
    return row["n"] > 0


def answered_in_session(store: ParticipationStore, survey_id: str, session: str | None) -> bool:
    """True if this browser session has already sent an answer set to the survey."""
    digest = session_hash(survey_id, session)
    return bool(digest) and _answered(tables.read(store, _NAME, _SCHEMA), survey_id, digest)


def add_answer(
    store: ParticipationStore, survey_id: str, point: Any, point_metric: Any, choice: str | None
) -> None:
    """Store the answer of a one-question survey: ``point`` (EPSG:4326, the same in
    EPSG:25832 as ``point_metric``) for its place question and ``choice`` for its choice
    question. GeoquartierError naming the field for a wrong choice."""
    survey = get_survey(store, survey_id)
    questions = {q["type"]: q for q in reversed(survey["questions"])}
    if "point" not in questions:
        raise GeoquartierError("geometry: this survey has no question about a place")
    items = [
        {
            "question": questions["point"]["id"],
            "type": "point",
            "value": {"geometry": point, "metric": point_metric},
        }
    ]
    single = questions.get("single")
    if single is None and choice is not None:
        raise GeoquartierError("choice: this survey offers no choices")
    if single is not None:
        known = [o["id"] for o in single["options"]]
        if choice not in known:
            raise GeoquartierError(f"choice: {choice!r}; expected one of {known}")
        items.append({"question": single["id"], "type": "single", "value": choice})
    add_answer_set(store, survey_id, items)


# -- moderation of free texts ------------------------------------------------------------------
def text_answers(
    store: ParticipationStore, survey_id: str, status: str | None = None
) -> list[dict[str, Any]]:
    """The survey's free-text answers (of ``status`` if given), oldest first (staff)."""
    survey = get_survey(store, survey_id)
    asked = [q["id"] for q in survey["questions"] if q["type"] == "text"]
    con = tables.read(store, _NAME, _SCHEMA)
    sql = "SELECT * FROM survey_items WHERE survey_id = ? AND status IS NOT NULL"
    params: list[Any] = [survey_id]
    if status:
        sql += " AND status = ?"
        params.append(status)
    rows = con.execute(sql + " ORDER BY created_at, id", params).fetchall()
    return [
        {
            "id": r["id"],
            "question": r["question"],
            "text": r["value"],
            "status": r["status"],
            "created_at": r["created_at"],
            "decided_at": r["decided_at"],
        }
        for r in rows
        if r["question"] in asked
    ]


def decide_text(
    store: ParticipationStore, survey_id: str, answer_id: str, status: str, user: User
) -> dict[str, Any]:
    """Approve or reject one free-text answer (a moderator); NotFound if absent."""
    if status not in TEXT_DECISIONS:
        raise SubmissionError("status", f"{status!r}; expected one of {list(TEXT_DECISIONS)}")
    with tables.write(store, _NAME, _SCHEMA) as con:
        cur = con.execute(
            "UPDATE survey_items SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND survey_id = ? AND status IS NOT NULL",
            (status, user.id, utc_now(), answer_id, survey_id),
        )
        if cur.rowcount == 0:
            raise NotFound(f"survey {survey_id!r} has no text answer {answer_id!r}")
    return next(a for a in text_answers(store, survey_id) if a["id"] == answer_id)


# -- results ------------------------------------------------------------------------------------
def _items(con: Any, survey: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stored answer value of the survey (those of the first storage included)."""
    items = con.execute(
        "SELECT id, set_id, question, value, cells, status FROM survey_items"
        " WHERE survey_id = ? ORDER BY created_at, id",
        (survey["id"],),
    ).fetchall()
    for r in con.execute(
        "SELECT * FROM survey_answers WHERE survey_id = ? ORDER BY seq", (survey["id"],)
    ).fetchall():
        point = json.dumps({"type": "Point", "coordinates": [r["lon"], r["lat"]]})
        cells = json.dumps([[r["cell_x"], r["cell_y"]]])
        set_id = f"first-{r['seq']}"
        items.append(
            {
                "id": set_id,
                "set_id": set_id,
                "question": sf.LEGACY_PLACE,
                "value": point,
                "cells": cells,
                "status": None,
            }
        )
        if r["choice"] is not None:
            items.append(
                {
                    "id": set_id + "c",
                    "set_id": set_id,
                    "question": sf.LEGACY_CHOICE,
                    "value": r["choice"],
                    "cells": None,
                    "status": None,
                }
            )
    return items


def _choice_result(question: dict, items: list[dict]) -> dict[str, Any]:
    answered = len({i["set_id"] for i in items})
    counts = Counter(i["value"] for i in items)
    options = [
        {
            "id": o["id"],
            "text": o["text"],
            "count": counts.get(o["id"], 0),
            "percent": round(100 * counts.get(o["id"], 0) / answered, 1) if answered else 0.0,
        }
        for o in question["options"]
    ]
    return {"answered": answered, "options": options}


def _text_result(question: dict, items: list[dict]) -> dict[str, Any]:
    states = Counter(i["status"] for i in items)
    approved = [{"text": i["value"]} for i in items if i["status"] == "approved"]
    return {
        "answered": len(items),
        "approved": approved,
        "pending": states.get("pending", 0),
        "rejected": states.get("rejected", 0),
    }


def _map_result(question: dict, items: list[dict], staff: bool) -> dict[str, Any]:
    per_cell = Counter(tuple(c) for i in items for c in json.loads(i["cells"] or "[]"))
    least = 1 if staff else MIN_CELL_ANSWERS
    cells = [
        {"cell_x": x, "cell_y": y, "n": n}
        for (x, y), n in sorted(per_cell.items(), key=lambda kv: (-kv[1], kv[0]))
        if n >= least
    ]
    out: dict[str, Any] = {"answered": len(items), "cells": cells}
    if staff:
        out["geometries"] = [json.loads(i["value"]) for i in items]
    return out


def _question_result(question: dict, items: list[dict], staff: bool) -> dict[str, Any]:
    mine = [i for i in items if i["question"] == question["id"]]
    base = {"id": question["id"], "type": question["type"], "text": question["text"]}
    if question["type"] in sf.CHOICE_TYPES:
        return base | _choice_result(question, mine)
    if question["type"] == "text":
        return base | _text_result(question, mine)
    return base | _map_result(question, mine, staff)


def results(store: ParticipationStore, survey_id: str, staff: bool = False) -> dict[str, Any]:
    """The survey's aggregate: ``answers`` (answer sets), per question the counts per option
    (with the percentage of those who answered it), the approved texts (and how many wait
    or were rejected), the map answers as 100 m cells (EPSG:25832 indexes; routes count in
    every cell they cross). Public (``staff=False``): only cells of at least
    :data:`MIN_CELL_ANSWERS`; staff: every cell and the geometries (EPSG:4326).
    ``per_choice``: the counts of the first choice question (``{option id: n}``);
    ``cells``: the cells of the first map question (as before surveys had questions)."""
    survey = get_survey(store, survey_id)
    items = _items(tables.read(store, _NAME, _SCHEMA), survey)
    questions = [_question_result(q, items, staff) for q in survey["questions"]]
    first_choice = next((q for q in questions if q["type"] in sf.CHOICE_TYPES), None)
    first_map = next((q for q in questions if q["type"] in sf.MAP_TYPES), None)
    return {
        "survey": survey,
        "answers": len({i["set_id"] for i in items}),
        "questions": questions,
        "per_choice": {o["id"]: o["count"] for o in first_choice["options"]}
        if first_choice
        else {},
        "cells": first_map["cells"] if first_map else [],
    }


def _cell_feature(cell: dict, question: dict) -> dict[str, Any]:
    """One result cell as a GeoJSON Feature (square of the EPSG:25832 grid, in EPSG:4326)."""
    x0, y0 = cell["cell_x"] * CELL_M, cell["cell_y"] * CELL_M
    square = shapely.transform(
        box(x0, y0, x0 + CELL_M, y0 + CELL_M), _TO_DEGREES.transform, interleaved=False
    )
    return {
        "type": "Feature",
        "id": f"{question['id']}_{cell['cell_x']}_{cell['cell_y']}",
        "geometry": mapping(square),
        "properties": {"question": question["id"], "type": question["type"], "answers": cell["n"]},
    }


def cell_features(questions: list[dict]) -> list[dict[str, Any]]:
    """The cells of every map question as GeoJSON Features (EPSG:4326)."""
    return [
        _cell_feature(cell, q)
        for q in questions
        if q["type"] in sf.MAP_TYPES
        for cell in q["cells"]
    ]
