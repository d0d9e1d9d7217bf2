"""Storage of an event's documentation for the funder, and the staff translations it shows.

Table (same database as :mod:`api.participation.store`, created on first use):

* ``event_documentation`` — one row per event, written by staff: ``organiser``,
  ``programme``, ``funding``, ``attendance`` (people counted by the planner), ``method``,
  ``duration_min``, ``summary``, ``next_steps``; who wrote it last and when (UTC).

The event itself is not changed (no columns are added to ``events``); deleting an event
deletes its documentation (:func:`delete_documentation`, called by the routes).

Translations of contributions are read from ``annotation_translations(annotation_id,
language, text, user_id, created_at)`` when that table exists; without it
:func:`translations_by_annotation` returns ``{}``. Plain SQL with ``?`` placeholders.
"""

from __future__ import annotations

from typing import Any

from api.participation import tables
from api.participation.store import ParticipationStore, User, utc_now

_NAME = "event_documentation"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS event_documentation (
    event_id      TEXT PRIMARY KEY,
    organiser     TEXT,
    programme     TEXT,
    funding       TEXT,
    attendance    INTEGER,
    method        TEXT,
    duration_min  INTEGER,
    summary       TEXT,
    next_steps    TEXT,
    updated_by    TEXT NOT NULL REFERENCES users(id),
    updated_at    TEXT NOT NULL
)
"""

DOCUMENTATION_FIELDS = (
    "organiser",
    "programme",
    "funding",
    "attendance",
    "method",
    "duration_min",
    "summary",
    "next_steps",
)
"""The fields staff enter, in the order the documents show them."""

TRANSLATIONS_TABLE = "annotation_translations"


def get_documentation(store: ParticipationStore, event_id: str) -> dict[str, Any] | None:
    """The documentation of ``event_id`` (every field, ``updated_by``/``updated_at``), or
    None when nobody has written it yet."""
    con = tables.read(store, _NAME, _SCHEMA)
    row = con.execute("SELECT * FROM event_documentation WHERE event_id = ?", (event_id,))
    found = row.fetchone()
    return None if found is None else dict(found)


def set_documentation(
    store: ParticipationStore, event_id: str, user: User, fields: dict[str, Any]
) -> dict[str, Any]:
    """Replace the documentation of ``event_id`` by ``fields`` (keys of
    :data:`DOCUMENTATION_FIELDS`; missing ones become empty) in one transaction."""
    values = [fields.get(name) for name in DOCUMENTATION_FIELDS]
    now = utc_now()
    with tables.write(store, _NAME, _SCHEMA) as con:
        exists = con.execute(
            "SELECT 1 FROM event_documentation WHERE event_id = ?", (event_id,)
        ).fetchone()
        if exists:
            assignments = ", ".join(f"{name} = ?" for name in DOCUMENTATION_FIELDS)
            con.execute(
                f"UPDATE event_documentation SET {assignments}, updated_by = ?, updated_at = ?"
                " WHERE event_id = ?",
                (*values, user.id, now, event_id),
            )
        else:
            names = ", ".join(DOCUMENTATION_FIELDS)
            marks = ", ".join("?" * (len(DOCUMENTATION_FIELDS) + 3))
            con.execute(
                f"INSERT INTO event_documentation (event_id, {names}, updated_by, updated_at)"
                f" VALUES ({marks})",
                (event_id, *values, user.id, now),
            )
    return get_documentation(store, event_id) or {}


def delete_documentation(store: ParticipationStore, event_id: str) -> None:
    """Delete the documentation of ``event_id`` (nothing happens when there is none)."""
    with tables.write(store, _NAME, _SCHEMA) as con:
        con.execute("DELETE FROM event_documentation WHERE event_id = ?", (event_id,))


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("does not exist" in text and "relation" in text)


def translations_by_annotation(
    store: ParticipationStore, annotation_ids: list[str]
) -> dict[str, dict[str, str]]:
    """``{annotation id: {language: text}}`` of the translations staff entered (the newest
    per language wins); ``{}`` when the ``annotation_translations`` table does not exist."""
    ids = list(dict.fromkeys(annotation_ids))
    if not ids:
        return {}
    con = store._connect()
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        try:
            rows = con.execute(
                f"SELECT annotation_id, language, text FROM {TRANSLATIONS_TABLE}"
                f" WHERE annotation_id IN ({marks}) ORDER BY created_at",
                chunk,
            ).fetchall()
        except Exception as exc:  # sqlite3 or the PostgreSQL driver: table not there yet
            if _missing_table(exc):
                return {}
            raise
        for row in rows:
            if row["text"]:
                found.setdefault(row["annotation_id"], {})[row["language"]] = row["text"]
    return found
