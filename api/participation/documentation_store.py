"""Storage of an event's documentation for the funder, and the staff translations it shows.

Table (same database as :mod:`api.participation.store`, created on first use):

* ``event_documentation`` — one row per event, written by staff: ``organiser``,
  ``programme``, ``funding``, ``attendance`` (people counted by the planner), ``method``,
  ``duration_min``, ``summary``, ``next_steps``; who wrote it last and when (UTC).

The event itself is not changed (no columns are added to ``events``); deleting an event
deletes its documentation (:func:`delete_documentation`, called by the routes).

Translations of contributions come from the store's ``annotation_translations``
(:func:`translations_by_annotation`). Plain SQL with ``?`` placeholders.
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


def translations_by_annotation(
    store: ParticipationStore, annotation_ids: list[str]
) -> dict[str, dict[str, str]]:
    """``{annotation id: {language: text}}`` of the translations staff entered
    (:meth:`ParticipationStore.translations`, one per language)."""
    return {
        annotation_id: {t["language"]: t["text"] for t in rows if t["text"]}
        for annotation_id, rows in store.translations(annotation_ids).items()
    }
