"""Storage of map surveys: a planner asks one question about places in a quartier
("Where do you feel unsafe after dark?"), residents answer with a point on the map and,
if the survey offers them, one of its choices.

Tables (same database as :mod:`api.participation.store`, created on first use):
``surveys`` (quartier, question, choices as JSON, open/closed, who, when) and
``survey_answers`` (survey, point in EPSG:4326, its 100 m cell in EPSG:25832, choice,
time). No free text is stored, nothing about the resident.

Results are public only in aggregate: answers per choice and per 100 m grid cell
(EPSG:25832), a cell shown only when it holds at least :data:`MIN_CELL_ANSWERS` answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from shapely.geometry import Point

from api.participation import tables
from api.participation.store import NotFound, ParticipationStore, User, utc_now
from geoquartier.errors import GeoquartierError

CELL_M = 100
"""Edge of the result grid cells (metres, EPSG:25832)."""
MIN_CELL_ANSWERS = 3
"""A cell is published only with at least this many answers (no single answer shows)."""

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
CREATE INDEX IF NOT EXISTS survey_answers_survey ON survey_answers (survey_id)
"""


class SurveyClosed(GeoquartierError):
    """An answer to a survey that no longer takes answers."""


def _out(row: dict) -> dict[str, Any]:
    return {
        "id": row["id"],
        "quartier": row["quartier"],
        "question": row["question"],
        "choices": json.loads(row["choices"]),
        "open": bool(row["open"]),
        "created_at": row["created_at"],
    }


def add_survey(
    store: ParticipationStore, quartier: str, question: str, choices: list[str], user: User
) -> dict[str, Any]:
    """Store a new open survey and return it."""
    row = {
        "id": uuid.uuid4().hex[:16],
        "quartier": quartier,
        "question": question,
        "choices": json.dumps(choices, ensure_ascii=False),
        "open": 1,
        "created_by": user.id,
        "created_at": utc_now(),
    }
    with tables.write(store, _NAME, _SCHEMA) as con:
        con.execute(
            "INSERT INTO surveys (id, quartier, question, choices, open, created_by, created_at)"
            " VALUES (:id, :quartier, :question, :choices, :open, :created_by, :created_at)",
            row,
        )
    return _out(row)


def get_survey(store: ParticipationStore, survey_id: str) -> dict[str, Any]:
    """The survey (NotFound if absent)."""
    con = tables.read(store, _NAME, _SCHEMA)
    row = con.execute("SELECT * FROM surveys WHERE id = ?", (survey_id,)).fetchone()
    if row is None:
        raise NotFound(f"survey {survey_id!r} does not exist")
    return _out(row)


def list_surveys(store: ParticipationStore, quartier: str) -> list[dict[str, Any]]:
    """The quartier's surveys, newest first."""
    con = tables.read(store, _NAME, _SCHEMA)
    rows = con.execute(
        "SELECT * FROM surveys WHERE quartier = ? ORDER BY created_at DESC, rowid DESC",
        (quartier,),
    ).fetchall()
    return [_out(r) for r in rows]


def set_open(store: ParticipationStore, survey_id: str, is_open: bool) -> dict[str, Any]:
    """Open or close a survey."""
    with tables.write(store, _NAME, _SCHEMA) as con:
        cur = con.execute("UPDATE surveys SET open = ? WHERE id = ?", (int(is_open), survey_id))
        if cur.rowcount == 0:
            raise NotFound(f"survey {survey_id!r} does not exist")
    return get_survey(store, survey_id)


def add_answer(
    store: ParticipationStore,
    survey_id: str,
    point: Point,
    point_metric: Point,
    choice: str | None,
) -> None:
    """Store one answer: ``point`` in EPSG:4326, ``point_metric`` the same in EPSG:25832.

    ``choice`` must be one of the survey's choices (required when it has any).
    """
    with tables.write(store, _NAME, _SCHEMA) as con:
        row = con.execute("SELECT open, choices FROM surveys WHERE id = ?", (survey_id,))
        survey = row.fetchone()
        if survey is None:
            raise NotFound(f"survey {survey_id!r} does not exist")
        if not survey["open"]:
            raise SurveyClosed(f"survey {survey_id!r} is closed")
        choices = json.loads(survey["choices"])
        if choices and choice not in choices:
            raise GeoquartierError(f"choice: {choice!r}; expected one of {choices}")
        if not choices and choice is not None:
            raise GeoquartierError("choice: this survey offers no choices")
        con.execute(
            "INSERT INTO survey_answers (survey_id, lon, lat, cell_x, cell_y, choice,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                survey_id,
                point.x,
                point.y,
                int(point_metric.x // CELL_M),
                int(point_metric.y // CELL_M),
                choice,
                utc_now(),
            ),
        )


def results(store: ParticipationStore, survey_id: str) -> dict[str, Any]:
    """Answers per choice and per 100 m cell (cells below the minimum left out).

    Cells are ``(cell_x, cell_y)`` indexes of the EPSG:25832 grid (metres // 100).
    """
    survey = get_survey(store, survey_id)
    con = tables.read(store, _NAME, _SCHEMA)
    total = con.execute(
        "SELECT count(*) AS n FROM survey_answers WHERE survey_id = ?", (survey_id,)
    ).fetchone()["n"]
    per_choice = {c: 0 for c in survey["choices"]}
    for row in con.execute(
        "SELECT choice, count(*) AS n FROM survey_answers WHERE survey_id = ? GROUP BY choice",
        (survey_id,),
    ).fetchall():
        if row["choice"] is not None:
            per_choice[row["choice"]] = row["n"]
    cells = con.execute(
        "SELECT cell_x, cell_y, count(*) AS n FROM survey_answers WHERE survey_id = ?"
        " GROUP BY cell_x, cell_y HAVING count(*) >= ? ORDER BY n DESC, cell_x, cell_y",
        (survey_id, MIN_CELL_ANSWERS),
    ).fetchall()
    return {"survey": survey, "answers": total, "per_choice": per_choice, "cells": cells}
