"""Storage of public feedback on contributions and of residents' receipts.

Tables (same database as :mod:`api.participation.store`, created on first use):

* ``feedback`` — one row per approved annotation that staff answered: public status
  (:data:`geoquartier.vocabulary.FEEDBACK_STATUSES`), the short public answer and its
  language, an optional measure id or published scenario id, who and when.
* ``feedback_log`` — every change: previous and new status and answer, account, time.
* ``receipts`` — SHA-256 of each receipt token (128 random bits, given to the resident
  once) with its annotation. The token itself is never stored.

An approved annotation without a ``feedback`` row has the public status ``received``.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from api.participation import tables
from api.participation.store import NotFound, ParticipationStore, User, utc_now
from geoquartier.errors import GeoquartierError
from geoquartier.vocabulary import FEEDBACK_STATUSES, sql_in

DEFAULT_FEEDBACK_STATUS = FEEDBACK_STATUSES[0]
"""Public status of an approved contribution nobody has answered yet."""

RECEIPT_TOKEN_BYTES = 16
"""128 random bits per receipt token."""

_NAME = "feedback"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS feedback (
    annotation_id   TEXT PRIMARY KEY REFERENCES annotations(id),
    status          TEXT NOT NULL CHECK (status IN ({sql_in(FEEDBACK_STATUSES)})),
    answer          TEXT,
    answer_language TEXT,
    measure_id      TEXT,
    scenario_id     TEXT,
    updated_by      TEXT NOT NULL REFERENCES users(id),
    updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    annotation_id   TEXT NOT NULL REFERENCES annotations(id),
    previous_status TEXT NOT NULL,
    status          TEXT NOT NULL,
    previous_answer TEXT,
    answer          TEXT,
    answer_language TEXT,
    measure_id      TEXT,
    scenario_id     TEXT,
    user_id         TEXT NOT NULL REFERENCES users(id),
    changed_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_log_annotation ON feedback_log (annotation_id);
CREATE TABLE IF NOT EXISTS receipts (
    token_sha256  TEXT PRIMARY KEY,
    annotation_id TEXT NOT NULL REFERENCES annotations(id),
    created_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_annotation ON receipts (annotation_id)
"""

PUBLIC_FEEDBACK_FIELDS = (
    "feedback_status",
    "answer",
    "answer_language",
    "measure_id",
    "scenario_id",
    "feedback_at",
)
"""Feedback properties added to each public annotation."""


class NotApproved(GeoquartierError):
    """Feedback was given to a contribution that is not public (pending or rejected)."""


def receipt_sha256(token: str) -> str:
    """Hex SHA-256 of a receipt token (what the database keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_receipt(store: ParticipationStore, annotation_id: str) -> str:
    """A new receipt token for ``annotation_id`` (shown once; only its hash is kept).

    A retried submission (``Idempotency-Key``) gets a further token for the same
    contribution; each one works.
    """
    token = secrets.token_urlsafe(RECEIPT_TOKEN_BYTES)
    with tables.write(store, _NAME, _SCHEMA) as con:
        con.execute(
            "INSERT INTO receipts (token_sha256, annotation_id, created_at) VALUES (?, ?, ?)",
            (receipt_sha256(token), annotation_id, utc_now()),
        )
    return token


def _feedback_row(con, annotation_id: str) -> dict | None:
    return con.execute(
        "SELECT * FROM feedback WHERE annotation_id = ?", (annotation_id,)
    ).fetchone()


def public_fields(row: dict | None) -> dict[str, Any]:
    """The public feedback properties of an approved annotation (``row`` from ``feedback``)."""
    if row is None:
        return dict.fromkeys(PUBLIC_FEEDBACK_FIELDS) | {"feedback_status": DEFAULT_FEEDBACK_STATUS}
    return {
        "feedback_status": row["status"],
        "answer": row["answer"],
        "answer_language": row["answer_language"],
        "measure_id": row["measure_id"],
        "scenario_id": row["scenario_id"],
        "feedback_at": row["updated_at"],
    }


def receipt(store: ParticipationStore, token: str) -> dict[str, Any]:
    """What the holder of ``token`` may see (NotFound for an unknown token).

    ``review`` is the moderation state (pending, approved, rejected); ``text`` and
    ``geometry`` are None for a rejected contribution (never shown publicly); the
    feedback fields are set for an approved one.
    """
    if not token or len(token) > 64:
        raise NotFound("no contribution has this receipt")
    con = tables.read(store, _NAME, _SCHEMA)
    row = con.execute(
        "SELECT a.id, a.quartier, a.kind, a.text, a.language, a.status, a.created_at,"
        " a.geometry FROM receipts r JOIN annotations a ON a.id = r.annotation_id"
        " WHERE r.token_sha256 = ?",
        (receipt_sha256(token),),
    ).fetchone()
    if row is None:
        raise NotFound("no contribution has this receipt")
    out = {
        "id": row["id"],
        "quartier": row["quartier"],
        "kind": row["kind"],
        "review": row["status"],
        "text": row["text"],
        "language": row["language"],
        "created_at": row["created_at"],
    }
    if row["status"] == "rejected":
        out["text"] = None
    if row["status"] == "approved":
        out.update(public_fields(_feedback_row(con, row["id"])))
    return out


def feedback_by_annotation(store: ParticipationStore, annotation_ids: list[str]) -> dict:
    """``{annotation id: public feedback fields}`` for approved annotations (one query)."""
    con = tables.read(store, _NAME, _SCHEMA)
    found: dict[str, dict] = {}
    ids = list(annotation_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in con.execute(
            f"SELECT * FROM feedback WHERE annotation_id IN ({marks})", chunk
        ).fetchall():
            found[row["annotation_id"]] = row
    return {i: public_fields(found.get(i)) for i in ids}


def feedback_version(store: ParticipationStore) -> int:
    """A number that grows with every change of public feedback (the log's last entry)."""
    con = tables.read(store, _NAME, _SCHEMA)
    row = con.execute("SELECT coalesce(max(seq), 0) AS v FROM feedback_log").fetchone()
    return int(row["v"])


def set_feedback(
    store: ParticipationStore,
    annotation_id: str,
    user: User,
    *,
    status: str,
    answer: str | None,
    answer_language: str | None = None,
    measure_id: str | None = None,
    scenario_id: str | None = None,
) -> dict[str, Any]:
    """Give an approved annotation a public status and answer; log the change.

    ``answer_language`` must be the writer's language or German (default: the writer's
    language when known, else German). Raises NotFound, NotApproved, GeoquartierError.
    """
    if status not in FEEDBACK_STATUSES:
        raise GeoquartierError(f"status: unknown {status!r}; expected one of {FEEDBACK_STATUSES}")
    now = utc_now()
    with tables.write(store, _NAME, _SCHEMA) as con:
        annotation = con.execute(
            "SELECT status, language FROM annotations WHERE id = ? FOR UPDATE", (annotation_id,)
        ).fetchone()
        if annotation is None:
            raise NotFound(f"annotation {annotation_id!r} does not exist")
        if annotation["status"] != "approved":
            raise NotApproved(
                f"annotation {annotation_id!r} is {annotation['status']}; only approved "
                "contributions get a public status"
            )
        language = _answer_language(answer_language, annotation["language"])
        previous = _feedback_row(con, annotation_id)
        row = {
            "annotation_id": annotation_id,
            "status": status,
            "answer": answer,
            "answer_language": language if answer else None,
            "measure_id": measure_id,
            "scenario_id": scenario_id,
            "updated_by": user.id,
            "updated_at": now,
        }
        con.execute(
            "INSERT INTO feedback (annotation_id, status, answer, answer_language,"
            " measure_id, scenario_id, updated_by, updated_at) VALUES (:annotation_id,"
            " :status, :answer, :answer_language, :measure_id, :scenario_id, :updated_by,"
            " :updated_at) ON CONFLICT (annotation_id) DO UPDATE SET status = excluded.status,"
            " answer = excluded.answer, answer_language = excluded.answer_language,"
            " measure_id = excluded.measure_id, scenario_id = excluded.scenario_id,"
            " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            row,
        )
        con.execute(
            "INSERT INTO feedback_log (annotation_id, previous_status, status, previous_answer,"
            " answer, answer_language, measure_id, scenario_id, user_id, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                annotation_id,
                previous["status"] if previous else DEFAULT_FEEDBACK_STATUS,
                status,
                previous["answer"] if previous else None,
                answer,
                row["answer_language"],
                measure_id,
                scenario_id,
                user.id,
                now,
            ),
        )
    return {"id": annotation_id, **public_fields(row)}


def _answer_language(requested: str | None, writer: str | None) -> str:
    allowed = {"de"} | ({writer} if writer else set())
    language = requested or writer or "de"
    if language not in allowed:
        raise GeoquartierError(
            f"answer_language: {requested!r}; answer in the writer's language "
            f"({writer or 'not given'}) or in German ('de')"
        )
    return language


def feedback_log(store: ParticipationStore, annotation_id: str) -> list[dict]:
    """Every feedback change of one annotation, oldest first, with the account name."""
    con = tables.read(store, _NAME, _SCHEMA)
    return con.execute(
        "SELECT l.seq, l.previous_status, l.status, l.previous_answer, l.answer,"
        " l.answer_language, l.measure_id, l.scenario_id, l.user_id, u.name AS user_name,"
        " u.role AS user_role, l.changed_at FROM feedback_log l JOIN users u ON u.id = l.user_id"
        " WHERE l.annotation_id = ? ORDER BY l.seq",
        (annotation_id,),
    ).fetchall()
