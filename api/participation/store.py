"""Storage of the participation workflow: annotations, events, staff users, decisions.

Two backends with the same SQL (:mod:`api.participation.db`): by default one SQLite file
(``settings.participation_db_path``) in WAL mode, every write in its own ``BEGIN
IMMEDIATE`` transaction (concurrent writers queue on ``busy_timeout`` instead of
failing); with ``GEOQUARTIER_DATABASE_URL`` the tables of the PostgreSQL schema
``settings.participation_schema`` (default ``participation``), shared by every app
server, each write one transaction that locks the rows it decides on
(``SELECT ... FOR UPDATE``). Either way a row is either fully written or not at all,
and nothing is lost when a process stops.

Geometries are stored as GeoJSON text in EPSG:4326 (longitude/latitude, degrees).
Times are ISO 8601 strings in UTC.

Privacy: the database holds no IP address and no resident's name. Staff accounts hold the
account name given when the account was created and the SHA-256 hash of the token; the
token itself is shown once and never stored.

Idempotent submissions (``Idempotency-Key``): the table ``idempotency`` keeps, for
:data:`IDEMPOTENCY_TTL_S` seconds, the SHA-256 of each key (with the endpoint), the
SHA-256 of the request and the stored row that was the answer; nothing about the client.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from api.participation.db import (
    Connection,
    Database,
    PostgresDatabase,
    SQLiteDatabase,
    split_statements,
)
from api.participation.migrate import widen_role_check
from api.participation.settings import KINDS, ROLES, STATUSES
from geoquartier.errors import GeoquartierError
from geoquartier.settings import Settings, get_settings
from geoquartier.vocabulary import (
    ANNOTATION_KINDS,
    ANNOTATION_SOURCES,
    ANNOTATION_STATUSES,
    DECISIONS,
    STAFF_ROLES,
    sql_in,
)

SCHEMA_VERSION = 3
"""Version of the schema (tables added with ``CREATE TABLE IF NOT EXISTS`` keep it; added
columns come with a new version and a step in :data:`_MIGRATIONS`)."""
IDEMPOTENCY_TTL_S = 24 * 3600
"""How long an ``Idempotency-Key`` replays its first answer (seconds)."""

ANNOTATION_COLUMNS = [
    "id",
    "quartier",
    "kind",
    "text",
    "language",
    "event_id",
    "status",
    "created_at",
    "source",
    "grid_cell",
]
"""Columns of the ``annotations`` layer (besides ``geometry``)."""

EVENT_COLUMNS = ["id", "quartier", "title", "kind", "start", "end", "description"]
"""Columns of the ``events`` layer (besides ``geometry``)."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ({sql_in(STAFF_ROLES)})),
    token_sha256 TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS events (
    id          TEXT PRIMARY KEY,
    quartier    TEXT NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT,
    start       TEXT NOT NULL,
    "end"       TEXT,
    description TEXT,
    geometry    TEXT NOT NULL,
    created_by  TEXT REFERENCES users(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_quartier ON events (quartier, start);

CREATE TABLE IF NOT EXISTS annotations (
    id          TEXT PRIMARY KEY,
    quartier    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ({sql_in(ANNOTATION_KINDS)})),
    text        TEXT NOT NULL,
    language    TEXT,
    event_id    TEXT REFERENCES events(id),
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ({sql_in(ANNOTATION_STATUSES)})),
    created_at  TEXT NOT NULL,
    geometry    TEXT NOT NULL,
    decided_by  TEXT REFERENCES users(id),
    decided_at  TEXT,
    reason      TEXT
);
CREATE INDEX IF NOT EXISTS annotations_quartier_status ON annotations (quartier, status);
CREATE INDEX IF NOT EXISTS annotations_event ON annotations (event_id);
CREATE INDEX IF NOT EXISTS annotations_status_created ON annotations (status, created_at);

CREATE TABLE IF NOT EXISTS decisions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    annotation_id TEXT NOT NULL REFERENCES annotations(id),
    decision      TEXT NOT NULL CHECK (decision IN ({sql_in(DECISIONS)})),
    previous      TEXT NOT NULL,
    reason        TEXT,
    user_id       TEXT NOT NULL REFERENCES users(id),
    decided_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_annotation ON decisions (annotation_id);

CREATE TABLE IF NOT EXISTS idempotency (
    key_sha256     TEXT PRIMARY KEY,
    request_sha256 TEXT NOT NULL,
    answer         TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);

CREATE TABLE IF NOT EXISTS redactions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    annotation_id   TEXT NOT NULL REFERENCES annotations(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    redacted_at     TEXT NOT NULL,
    original_sha256 TEXT NOT NULL,
    original_text   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS redactions_annotation ON redactions (annotation_id);

CREATE TABLE IF NOT EXISTS annotation_translations (
    annotation_id TEXT NOT NULL REFERENCES annotations(id),
    language      TEXT NOT NULL,
    text          TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (annotation_id, language)
);

CREATE TABLE IF NOT EXISTS signing_keys (
    name        TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS counters (
    name        TEXT PRIMARY KEY,
    value       INTEGER NOT NULL
);
"""
"""The database schema, each table after the tables it references (PostgreSQL checks a
REFERENCES when the table is created); its CHECK constraints list the vocabularies of
:mod:`geoquartier.vocabulary` (SQLite only, see :mod:`api.participation.db`).
``redactions`` is the private audit table of moderators' edits: it alone keeps an original
text (never read by a route or an export). ``annotation_translations`` holds staff
translations of contributions (one per language, with who wrote it and when). ``counters``
holds the change counter of decisions (:meth:`ParticipationStore.decisions_version`),
bumped in the transaction of each decision, so that every server sees the same number."""

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (
        "ALTER TABLE events ADD COLUMN closed_at TEXT",
        "ALTER TABLE annotations ADD COLUMN redacted_at TEXT",
        "ALTER TABLE users ADD COLUMN revoked_at TEXT",
    ),
    3: (
        "ALTER TABLE annotations ADD COLUMN source TEXT NOT NULL DEFAULT 'online'"
        f" CHECK (source IN ({sql_in(ANNOTATION_SOURCES)}))",
        "ALTER TABLE annotations ADD COLUMN grid_cell TEXT",
        "ALTER TABLE annotations ADD COLUMN entered_by TEXT REFERENCES users(id)",
    ),
}
"""Additive steps from one schema version to the next (SQLite ``PRAGMA user_version``,
PostgreSQL table ``schema_version``)."""


PAPER_DECISION_REASON = "entered from paper by staff"
"""The reason logged with the approval of a contribution typed in from paper."""


class NotFound(GeoquartierError):
    """A requested annotation, event or user does not exist."""


class IdempotencyConflict(GeoquartierError):
    """An ``Idempotency-Key`` was used again with a different request."""


class DecisionConflict(GeoquartierError):
    """A decision expected a review state the contribution no longer has (decided by
    someone else meanwhile)."""


@dataclass(frozen=True)
class Idempotency:
    """An idempotent write: SHA-256 of the key (with its endpoint) and of the request."""

    key_sha256: str
    request_sha256: str


@dataclass(frozen=True)
class User:
    """A staff account (moderator or planner); never carries the token."""

    id: str
    name: str
    role: str
    created_at: str
    active: bool = True


@dataclass(frozen=True)
class PaperEntry:
    """A contribution written on paper: the staff member who typed it in and the grid
    square of the printed map it names (None when placed by a click on the map)."""

    user: User
    grid_cell: str | None = None


def _check_event(con: Connection, event_id: str, quartier: str, closed_ok: bool) -> None:
    """The event exists, belongs to ``quartier`` and (unless ``closed_ok``) is open."""
    event = con.execute(
        "SELECT quartier, closed_at FROM events WHERE id = ?", (event_id,)
    ).fetchone()
    if event is None:
        raise NotFound(f"event {event_id!r} does not exist")
    if event["closed_at"] and not closed_ok:
        raise GeoquartierError(f"event {event_id!r} is closed")
    if event["quartier"] != quartier:
        raise GeoquartierError(
            f"event {event_id!r} belongs to quartier {event['quartier']!r}, not {quartier!r}"
        )


def _redact(
    con: Connection, annotation_id: str, original: str, text: str, user: User, now: str
) -> None:
    """Replace the public text; the original goes only into the audit table."""
    digest = hashlib.sha256(original.encode("utf-8")).hexdigest()
    con.execute(
        "INSERT INTO redactions (annotation_id, user_id, redacted_at, original_sha256,"
        " original_text) VALUES (?, ?, ?, ?, ?)",
        (annotation_id, user.id, now, digest, original),
    )
    con.execute(
        "UPDATE annotations SET text = ?, redacted_at = ? WHERE id = ?", (text, now, annotation_id)
    )


def utc_now() -> str:
    """The current time as ISO 8601 text in UTC, to the second (e.g. 2026-11-21T10:50:00+00:00)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def token_sha256(token: str) -> str:
    """Hex SHA-256 of a token (what the database keeps instead of the token)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", re.IGNORECASE)


def _migrate(db: Database, con: Connection, version: int) -> None:
    """Apply the additive steps after schema ``version`` (inside the caller's transaction).

    A column that is already there (a table rebuilt from the current schema) is skipped.
    """
    for step in range(version + 1, SCHEMA_VERSION + 1):
        for statement in _MIGRATIONS.get(step, ()):
            added = _ADD_COLUMN.match(statement)
            if added and db.has_column(con, added.group(1), added.group(2)):
                continue
            con.execute(statement)


def _create_schema(db: Database, con: Connection) -> None:
    """Create missing tables, migrate, and seed the decisions counter (one transaction)."""
    for statement in split_statements(_SCHEMA):
        con.execute(statement)
    version = db.schema_version(con)
    if version > SCHEMA_VERSION:
        raise GeoquartierError(
            f"the participation database {db.location} has schema version "
            f"{version}; this geoquartier understands up to {SCHEMA_VERSION}"
        )
    _migrate(db, con, version)
    db.set_schema_version(con, SCHEMA_VERSION)
    if con.execute("SELECT 1 AS found FROM counters WHERE name = 'decisions'").fetchone() is None:
        seq = con.execute("SELECT coalesce(max(seq), 0) AS v FROM decisions").fetchone()["v"]
        con.execute("INSERT INTO counters (name, value) VALUES ('decisions', ?)", (int(seq),))


class ParticipationStore:
    """The participation database: the SQLite file at ``path``, or ``database`` (e.g. a
    :class:`~api.participation.db.PostgresDatabase`); tables created on first use.

    Safe to share between threads (SQLite: a connection per thread; PostgreSQL: a pool).
    """

    def __init__(self, path: Path | str | None = None, *, database: Database | None = None):
        if database is None:
            path = Path(path) if path is not None else get_settings().participation_db_path
            database = SQLiteDatabase(path)
        self.db = database
        self.path: Path | str = (
            database.path if isinstance(database, SQLiteDatabase) else database.location
        )
        """Where the data is: the SQLite file, or the PostgreSQL URL (no password) and schema."""
        self._init_lock = threading.Lock()
        self._initialised = False

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.db.dialect

    # -- connections and transactions ------------------------------------------------------
    def _ensure_schema(self) -> None:
        with self._init_lock:
            if self._initialised:
                return
            if isinstance(self.db, SQLiteDatabase):
                widen_role_check(self.db.raw())  # databases written before a role was added
            with self.db.write() as con:
                _create_schema(self.db, con)
            self._initialised = True

    def upgrade(self) -> tuple[int, int]:
        """Create missing tables and apply pending migrations (done on first use anyway);
        returns the schema version before and after."""
        with self.db.write() as con:
            before = self.db.schema_version(con) if self._has_tables(con) else 0
        self._initialised = False
        self._ensure_schema()
        return before, SCHEMA_VERSION

    def stored_schema_version(self) -> int:
        """The schema version the database holds now (0: no tables yet), without migrating
        it (``geoquartier db current``)."""
        with self.db.write() as con:
            return self.db.schema_version(con) if self._has_tables(con) else 0

    def _has_tables(self, con: Connection) -> bool:
        return self.db.has_column(con, "annotations", "id")

    def _connect(self) -> Connection:
        """A connection for reads (``execute(sql, params)``, rows as dicts)."""
        if not self._initialised:
            self._ensure_schema()
        return self.db.read()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: committed at the end of the block, rolled back on error.

        SQLite holds the database's write lock from the start (``BEGIN IMMEDIATE``);
        PostgreSQL locks the rows read with ``SELECT ... FOR UPDATE``.
        """
        if not self._initialised:
            self._ensure_schema()
        with self.db.write() as con:
            yield con

    def close(self) -> None:
        """Close this thread's SQLite connection, or the PostgreSQL pool."""
        self.db.close()

    # -- annotations -----------------------------------------------------------------------
    def add_annotation(
        self,
        quartier: str,
        geometry: BaseGeometry,
        kind: str,
        text: str,
        language: str | None = None,
        event_id: str | None = None,
        paper: PaperEntry | None = None,
    ) -> dict:
        """Store a new annotation as ``pending`` and return it as a dict.

        ``geometry`` is a shapely Point/LineString/Polygon in EPSG:4326; the caller has
        validated it (see :mod:`api.participation.validation`). With ``paper`` it is a
        contribution written on paper that a staff member typed in: stored with
        ``source = 'paper'``, the grid square and who entered it, approved at once (staff
        wrote it down; the approval is logged in ``decisions`` like any other), and it
        may name a closed event (paper is typed in after the workshop).
        """
        insert = self._annotation_insert(
            quartier, geometry, kind, text, language, event_id, paper=paper
        )
        with self._write() as con:
            return insert(con)

    def add_annotation_once(
        self, idempotency: Idempotency, *annotation: Any, **fields: Any
    ) -> tuple[dict, bool]:
        """:meth:`add_annotation` (same arguments) at most once per idempotency key:
        ``(annotation, replayed)``.

        A key seen within :data:`IDEMPOTENCY_TTL_S` with the same request returns the
        annotation stored then (``replayed`` True); with another request it raises
        :class:`IdempotencyConflict`.
        """
        return self._once(idempotency, self._annotation_insert(*annotation, **fields))

    def _annotation_insert(
        self,
        quartier: str,
        geometry: BaseGeometry,
        kind: str,
        text: str,
        language: str | None = None,
        event_id: str | None = None,
        paper: PaperEntry | None = None,
    ) -> Callable[[Connection], dict]:
        if kind not in KINDS:
            raise GeoquartierError(f"unknown annotation kind {kind!r}; expected one of {KINDS}")
        row = {
            "id": uuid.uuid4().hex,
            "quartier": quartier,
            "kind": kind,
            "text": text,
            "language": language,
            "event_id": event_id,
            "status": "pending",
            "created_at": utc_now(),
            "geometry": shapely.to_geojson(geometry),
            "source": "online",
            "grid_cell": None,
            "entered_by": None,
        }
        if paper is not None:
            row.update(source="paper", grid_cell=paper.grid_cell, entered_by=paper.user.id)
            row.update(status="approved", decided_by=paper.user.id, decided_at=row["created_at"])

        def insert(con: Connection) -> dict:
            if event_id is not None:
                _check_event(con, event_id, quartier, closed_ok=paper is not None)
            columns = list(row)
            con.execute(
                f"INSERT INTO annotations ({', '.join(columns)})"
                f" VALUES ({', '.join(':' + c for c in columns)})",
                row,
            )
            if paper is not None:
                con.execute(
                    "INSERT INTO decisions (annotation_id, decision, previous, reason, user_id,"
                    " decided_at) VALUES (?, 'approved', 'pending', ?, ?, ?)",
                    (row["id"], PAPER_DECISION_REASON, paper.user.id, row["created_at"]),
                )
                con.execute("UPDATE counters SET value = value + 1 WHERE name = 'decisions'")
            return self._annotation_out(row)

        return insert

    def _once(
        self, idempotency: Idempotency, insert: Callable[[Connection], dict]
    ) -> tuple[dict, bool]:
        """Run ``insert`` in a write transaction unless the key has an answer already."""
        now = datetime.now(UTC)
        cutoff = (now - timedelta(seconds=IDEMPOTENCY_TTL_S)).isoformat(timespec="seconds")
        with self._write() as con:
            con.execute("DELETE FROM idempotency WHERE created_at < ?", (cutoff,))
            # Claim the key first: a concurrent request with the same key (another thread or
            # server) waits on it until this transaction ends, then finds the answer.
            claimed = con.execute(
                "INSERT INTO idempotency (key_sha256, request_sha256, answer, created_at)"
                " VALUES (?, ?, '', ?) ON CONFLICT (key_sha256) DO NOTHING",
                (
                    idempotency.key_sha256,
                    idempotency.request_sha256,
                    now.isoformat(timespec="seconds"),
                ),
            ).rowcount
            if not claimed:
                return self._replay(con, idempotency), True
            answer = insert(con)
            con.execute(
                "UPDATE idempotency SET answer = ? WHERE key_sha256 = ?",
                (json.dumps(answer, ensure_ascii=False), idempotency.key_sha256),
            )
            return answer, False

    @staticmethod
    def _replay(con: Connection, idempotency: Idempotency) -> dict:
        seen = con.execute(
            "SELECT request_sha256, answer FROM idempotency WHERE key_sha256 = ?",
            (idempotency.key_sha256,),
        ).fetchone()
        if not hmac.compare_digest(seen["request_sha256"], idempotency.request_sha256):
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different request in the last "
                f"{IDEMPOTENCY_TTL_S // 3600} hours; send a new key for a new request"
            )
        return json.loads(seen["answer"])

    @staticmethod
    def _annotation_out(row: dict) -> dict:
        out = dict(row)
        out["geometry"] = json.loads(row["geometry"])
        return out

    def get_annotation(self, annotation_id: str) -> dict:
        """The annotation ``annotation_id`` with its review fields (NotFound if absent)."""
        row = (
            self._connect()
            .execute("SELECT * FROM annotations WHERE id = ?", (annotation_id,))
            .fetchone()
        )
        if row is None:
            raise NotFound(f"annotation {annotation_id!r} does not exist")
        return self._annotation_out(row)

    def list_annotations(
        self,
        *,
        quartier: str | None = None,
        status: str | None = None,
        event_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict]:
        """Annotations, oldest first, filtered by quartier, status and event."""
        if status is not None and status not in STATUSES:
            raise GeoquartierError(f"unknown status {status!r}; expected one of {STATUSES}")
        where, params = [], []
        for column, value in (("quartier", quartier), ("status", status), ("event_id", event_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM annotations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, rowid"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        rows = self._connect().execute(sql, params).fetchall()
        return [self._annotation_out(r) for r in rows]

    def count_annotations(
        self, *, quartier: str | None = None, status: str | None = None, event_id: str | None = None
    ) -> int:
        """How many annotations match the filters."""
        where, params = [], []
        for column, value in (("quartier", quartier), ("status", status), ("event_id", event_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT count(*) AS n FROM annotations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return int(self._connect().execute(sql, params).fetchone()["n"])

    def decide(
        self,
        annotation_id: str,
        decision: str,
        user: User,
        reason: str | None = None,
        text: str | None = None,
        expected_status: str | None = None,
    ) -> dict:
        """Approve or reject an annotation and log the decision (who, when, why).

        ``decision`` is ``approved`` or ``rejected``; a rejection needs a ``reason``.
        A later decision may overrule an earlier one; the log keeps both. ``text`` (an
        approval only) replaces the public text — a redaction, e.g. a phone number taken
        out: the original goes into the private ``redactions`` table with who, when and
        its SHA-256, and nowhere else. With ``expected_status`` (the state the moderator
        saw, e.g. ``pending``) nothing changes and :class:`DecisionConflict` is raised when
        the annotation is in another state by now: of two moderators deciding the same
        contribution at once, on any servers, exactly one decision is recorded.
        """
        if decision not in ("approved", "rejected"):
            raise GeoquartierError(f"decision must be 'approved' or 'rejected', not {decision!r}")
        reason = (reason or "").strip() or None
        if decision == "rejected" and reason is None:
            raise GeoquartierError("a rejection needs a reason")
        if text is not None and decision != "approved":
            raise GeoquartierError("text: only an approval can edit the text")
        now = utc_now()
        with self._write() as con:
            row = con.execute(
                "SELECT status, text FROM annotations WHERE id = ? FOR UPDATE", (annotation_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"annotation {annotation_id!r} does not exist")
            if expected_status is not None and row["status"] != expected_status:
                raise DecisionConflict(
                    f"annotation {annotation_id!r} is {row['status']} by now, not "
                    f"{expected_status}: someone else decided it meanwhile; reload the list"
                )
            if text is not None and text != row["text"]:
                _redact(con, annotation_id, row["text"], text, user, now)
            con.execute(
                "UPDATE annotations SET status = ?, decided_by = ?, decided_at = ?, reason = ?"
                " WHERE id = ?",
                (decision, user.id, now, reason, annotation_id),
            )
            con.execute(
                "INSERT INTO decisions (annotation_id, decision, previous, reason, user_id,"
                " decided_at) VALUES (?, ?, ?, ?, ?, ?)",
                (annotation_id, decision, row["status"], reason, user.id, now),
            )
            con.execute("UPDATE counters SET value = value + 1 WHERE name = 'decisions'")
        return self.get_annotation(annotation_id)

    def set_translation(self, annotation_id: str, language: str, text: str, user: User) -> dict:
        """Store a staff member's translation of an annotation into ``language`` (ISO 639-1;
        it replaces an earlier one in that language) and return it.

        Refused (``GeoquartierError``) when the contribution is written in ``language``
        already; NotFound for an unknown annotation.
        """
        now = utc_now()
        with self._write() as con:
            row = con.execute(
                "SELECT language FROM annotations WHERE id = ?", (annotation_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"annotation {annotation_id!r} does not exist")
            if row["language"] == language:
                raise GeoquartierError(
                    f"language: the contribution is written in {language!r} already; "
                    "choose the language of the translation"
                )
            values = (text, user.id, now, annotation_id, language)
            updated = con.execute(
                "UPDATE annotation_translations SET text = ?, user_id = ?, created_at = ?"
                " WHERE annotation_id = ? AND language = ?",
                values,
            ).rowcount
            if not updated:
                con.execute(
                    "INSERT INTO annotation_translations (text, user_id, created_at,"
                    " annotation_id, language) VALUES (?, ?, ?, ?, ?)",
                    values,
                )
        return {
            "annotation_id": annotation_id,
            "language": language,
            "text": text,
            "user_id": user.id,
            "user_name": user.name,
            "created_at": now,
        }

    def translations(self, annotation_ids: list[str]) -> dict[str, list[dict]]:
        """Staff translations of the given annotations: annotation id → list of
        ``{language, text, user_id, user_name, created_at}`` ordered by language."""
        out: dict[str, list[dict]] = {}
        con = self._connect()
        ids = list(dict.fromkeys(annotation_ids))
        for start in range(0, len(ids), 500):  # bound the number of SQL parameters
            chunk = ids[start : start + 500]
            rows = con.execute(
                "SELECT t.annotation_id, t.language, t.text, t.user_id, u.name AS user_name,"
                " t.created_at FROM annotation_translations t JOIN users u ON u.id = t.user_id"
                f" WHERE t.annotation_id IN ({', '.join('?' * len(chunk))})"
                " ORDER BY t.annotation_id, t.language",
                chunk,
            ).fetchall()
            for r in rows:
                out.setdefault(r.pop("annotation_id"), []).append(r)
        return out

    def redactions(self, annotation_id: str) -> list[dict]:
        """The edits of an annotation's text: who, when and the original's SHA-256 (the
        original itself is not returned)."""
        return (
            self._connect()
            .execute(
                "SELECT r.seq, r.annotation_id, r.user_id, u.name AS user_name, r.redacted_at,"
                " r.original_sha256 FROM redactions r JOIN users u ON u.id = r.user_id"
                " WHERE r.annotation_id = ? ORDER BY r.seq",
                (annotation_id,),
            )
            .fetchall()
        )

    def decisions(self, annotation_id: str | None = None) -> list[dict]:
        """The decision log (oldest first) with the deciding account's name and role."""
        sql = (
            "SELECT d.seq, d.annotation_id, d.decision, d.previous, d.reason,"
            " d.user_id, u.name AS user_name, u.role AS user_role, d.decided_at"
            " FROM decisions d JOIN users u ON u.id = d.user_id"
        )
        params: tuple = ()
        if annotation_id is not None:
            sql += " WHERE d.annotation_id = ?"
            params = (annotation_id,)
        return self._connect().execute(sql + " ORDER BY d.seq", params).fetchall()

    def decisions_version(self) -> int:
        """A number that grows with every decision: the approved set changed if it did.

        Read from the database (the ``counters`` row bumped in each decision's
        transaction), so every server process sees a decision made through another.
        """
        row = self._connect().execute("SELECT value FROM counters WHERE name = 'decisions'")
        return int(row.fetchone()["value"])

    def annotations_frame(
        self, *, quartier: str | None = None, status: str | None = None, event_id: str | None = None
    ) -> gpd.GeoDataFrame:
        """Annotations as a GeoDataFrame in EPSG:4326 with the ``annotations`` layer columns.

        ``created_at`` is a timezone-aware UTC datetime column.
        """
        rows = self.list_annotations(quartier=quartier, status=status, event_id=event_id)
        return annotations_to_frame(rows)

    def approved_frame(self, quartier: str | None = None) -> gpd.GeoDataFrame:
        """Approved annotations (all quartiers or one) as a GeoDataFrame in EPSG:4326.

        Only approved annotations are ever public.
        """
        return self.annotations_frame(quartier=quartier, status="approved")

    def events_frame(self, quartier: str | None = None) -> gpd.GeoDataFrame:
        """Participation events (all quartiers or one) as a GeoDataFrame in EPSG:4326."""
        return events_to_frame(self.list_events(quartier))

    # -- events ----------------------------------------------------------------------------
    def add_event(
        self,
        quartier: str,
        title: str,
        start: str,
        location: BaseGeometry,
        kind: str | None = None,
        end: str | None = None,
        description: str | None = None,
        created_by: User | None = None,
    ) -> dict:
        """Store a participation event and return it (``location``: shapely Point, LineString
        — e.g. the route of a Stadtteilspaziergang — or Polygon, EPSG:4326).

        ``start`` and ``end`` are ISO 8601 texts.
        """
        insert = self._event_insert(
            quartier, title, start, location, kind, end, description, created_by
        )
        with self._write() as con:
            return insert(con)

    def add_event_once(self, idempotency: Idempotency, **event: Any) -> tuple[dict, bool]:
        """:meth:`add_event` at most once per idempotency key: ``(event, replayed)``
        (see :meth:`add_annotation_once`)."""
        return self._once(idempotency, self._event_insert(**event))

    def _event_insert(
        self,
        quartier: str,
        title: str,
        start: str,
        location: BaseGeometry,
        kind: str | None = None,
        end: str | None = None,
        description: str | None = None,
        created_by: User | None = None,
    ) -> Callable[[Connection], dict]:
        row = {
            "id": uuid.uuid4().hex[:16],
            "quartier": quartier,
            "title": title,
            "kind": kind,
            "start": start,
            "end": end,
            "description": description,
            "geometry": shapely.to_geojson(location),
            "created_by": created_by.id if created_by else None,
            "created_at": utc_now(),
            "closed_at": None,
        }

        def insert(con: Connection) -> dict:
            con.execute(
                'INSERT INTO events (id, quartier, title, kind, start, "end", description,'
                " geometry, created_by, created_at) VALUES (:id, :quartier, :title, :kind,"
                " :start, :end, :description, :geometry, :created_by, :created_at)",
                row,
            )
            return self._event_out(row)

        return insert

    @staticmethod
    def _event_out(row: dict) -> dict:
        out = {k: v for k, v in row.items() if k != "created_by"}
        out["geometry"] = json.loads(row["geometry"])
        return out

    def get_event(self, event_id: str) -> dict:
        """The event ``event_id`` (NotFound if absent)."""
        row = self._connect().execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise NotFound(f"event {event_id!r} does not exist")
        return self._event_out(row)

    def list_events(self, quartier: str | None = None) -> list[dict]:
        """Events ordered by start time, optionally of one quartier."""
        sql, params = "SELECT * FROM events", ()
        if quartier is not None:
            sql, params = sql + " WHERE quartier = ?", (quartier,)
        rows = self._connect().execute(sql + " ORDER BY start, id", params).fetchall()
        return [self._event_out(r) for r in rows]

    def update_event(self, event_id: str, **fields: Any) -> dict:
        """Change an event's ``title``, ``kind``, ``start``, ``end``, ``description`` or
        ``location`` (shapely Point, LineString or Polygon in EPSG:4326)."""
        allowed = {"title", "kind", "start", "end", "description", "location"}
        unknown = set(fields) - allowed
        if unknown:
            raise GeoquartierError(f"unknown event fields {sorted(unknown)}")
        values = {k: v for k, v in fields.items() if k != "location"}
        if "location" in fields:
            values["geometry"] = shapely.to_geojson(fields["location"])
        with self._write() as con:
            self._event_row(con, event_id)
            for column, value in values.items():
                con.execute(f'UPDATE events SET "{column}" = ? WHERE id = ?', (value, event_id))
        return self.get_event(event_id)

    def close_event(self, event_id: str, closed: bool = True) -> dict:
        """Close an event (no new contributions may name it) or open it again."""
        with self._write() as con:
            self._event_row(con, event_id)
            con.execute(
                "UPDATE events SET closed_at = ? WHERE id = ?",
                (utc_now() if closed else None, event_id),
            )
        return self.get_event(event_id)

    def delete_event(self, event_id: str) -> int:
        """Delete an event; its contributions stay, without event. Returns how many."""
        with self._write() as con:
            self._event_row(con, event_id)
            detached = con.execute(
                "UPDATE annotations SET event_id = NULL WHERE event_id = ?", (event_id,)
            ).rowcount
            con.execute("DELETE FROM events WHERE id = ?", (event_id,))
        return int(detached)

    def attach(self, annotation_id: str, event_id: str | None) -> dict:
        """Make an annotation belong to ``event_id`` (same quartier), or to none (None)."""
        with self._write() as con:
            row = con.execute(
                "SELECT quartier FROM annotations WHERE id = ?", (annotation_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"annotation {annotation_id!r} does not exist")
            if event_id is not None:
                event = self._event_row(con, event_id)
                if event["quartier"] != row["quartier"]:
                    raise GeoquartierError(
                        f"event {event_id!r} belongs to quartier {event['quartier']!r}, "
                        f"the contribution to {row['quartier']!r}"
                    )
            con.execute(
                "UPDATE annotations SET event_id = ? WHERE id = ?", (event_id, annotation_id)
            )
        return self.get_annotation(annotation_id)

    @staticmethod
    def _event_row(con: Connection, event_id: str) -> dict:
        row = con.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise NotFound(f"event {event_id!r} does not exist")
        return row

    def signing_key(self, name: str = "report-links") -> bytes:
        """A random secret of this database for signed links (made on first use)."""
        con = self._connect()
        row = con.execute("SELECT secret FROM signing_keys WHERE name = ?", (name,)).fetchone()
        if row is None:
            with self._write() as wcon:
                wcon.execute(
                    "INSERT INTO signing_keys (name, secret, created_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO NOTHING",
                    (name, secrets.token_hex(32), utc_now()),
                )
            row = con.execute("SELECT secret FROM signing_keys WHERE name = ?", (name,)).fetchone()
        return bytes.fromhex(row["secret"])

    # -- users -----------------------------------------------------------------------------
    def add_user(self, name: str, role: str) -> tuple[User, str]:
        """Create a staff account; returns the user and its token (shown once, kept hashed).

        The token has the form ``<user id>.<secret>``; only its SHA-256 is stored.
        """
        name = " ".join(str(name).split())
        if not name:
            raise GeoquartierError("a user needs a non-empty name")
        if len(name) > 100:
            raise GeoquartierError("a user name may have at most 100 characters")
        if role not in ROLES:
            raise GeoquartierError(f"unknown role {role!r}; expected one of {ROLES}")
        user = User(id="u" + secrets.token_hex(6), name=name, role=role, created_at=utc_now())
        token = f"{user.id}.{secrets.token_urlsafe(32)}"
        try:
            with self._write() as con:
                con.execute(
                    "INSERT INTO users (id, name, role, token_sha256, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (user.id, user.name, user.role, token_sha256(token), user.created_at),
                )
        except self.db.integrity_errors:
            raise GeoquartierError(f"a user called {name!r} exists already") from None
        return user, token

    def revoke_user(self, name: str) -> User:
        """Disable the account ``name``: its token stops working at once (NotFound if absent)."""
        with self._write() as con:
            row = con.execute(
                "SELECT id, name, role, created_at FROM users WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no staff account called {name!r}")
            con.execute(
                "UPDATE users SET active = 0, revoked_at = ? WHERE id = ?", (utc_now(), row["id"])
            )
        return User(row["id"], row["name"], row["role"], row["created_at"], False)

    def user(self, user_id: str) -> User | None:
        """The active account ``user_id``, or None."""
        row = (
            self._connect()
            .execute(
                "SELECT id, name, role, created_at FROM users WHERE id = ? AND active = 1",
                (user_id,),
            )
            .fetchone()
        )
        return User(row["id"], row["name"], row["role"], row["created_at"], True) if row else None

    def list_users(self) -> list[User]:
        """Every staff account, by name."""
        rows = (
            self._connect()
            .execute("SELECT id, name, role, created_at, active FROM users ORDER BY name")
            .fetchall()
        )
        return [
            User(r["id"], r["name"], r["role"], r["created_at"], bool(r["active"])) for r in rows
        ]

    def authenticate(self, token: str | None) -> User | None:
        """The active user holding ``token``, or None (hashes compared in constant time)."""
        if not token or len(token) > 200:
            return None
        user_id = token.split(".", 1)[0]
        row = (
            self._connect()
            .execute(
                "SELECT id, name, role, created_at, active, token_sha256 FROM users WHERE id = ?",
                (user_id,),
            )
            .fetchone()
        )
        # Compare against a dummy hash when the id is unknown, so both paths cost the same.
        stored = row["token_sha256"] if row else "0" * 64
        matches = hmac.compare_digest(stored.encode("ascii"), token_sha256(token).encode("ascii"))
        if row is None or not matches or not row["active"]:
            return None
        return User(row["id"], row["name"], row["role"], row["created_at"], True)


def annotations_to_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Annotation dicts (as returned by the store) → GeoDataFrame in EPSG:4326.

    Columns: the ``annotations`` layer columns plus ``geometry``; ``created_at`` is a
    UTC datetime column.
    """
    geoms = [shapely.geometry.shape(r["geometry"]) for r in rows]
    data = {c: [r.get(c) for r in rows] for c in ANNOTATION_COLUMNS}
    frame = pd.DataFrame(data, columns=ANNOTATION_COLUMNS)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    try:
        from geoquartier.layers import validate
    except ImportError:  # the layers package is optional for reading the store
        return gdf
    return validate(gdf, "annotations")


def events_to_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Event dicts (as returned by the store) → GeoDataFrame in EPSG:4326 (``events`` layer).

    ``start`` and ``end`` are UTC datetime columns.
    """
    geoms = [shapely.geometry.shape(r["geometry"]) for r in rows]
    frame = pd.DataFrame(
        {c: [r.get(c) for r in rows] for c in EVENT_COLUMNS}, columns=EVENT_COLUMNS
    )
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    try:
        from geoquartier.layers import validate
    except ImportError:  # the layers package is optional for reading the store
        return gdf
    return validate(gdf, "events")


_STORES: dict[Path | tuple[str, str], ParticipationStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(path: Path | str) -> ParticipationStore:
    """The shared store of the SQLite database at ``path`` (one per path and process)."""
    resolved = Path(path).expanduser().resolve()
    with _STORES_LOCK:
        store = _STORES.get(resolved)
        if store is None:
            store = _STORES[resolved] = ParticipationStore(resolved)
        return store


def open_postgres_store(url: str, schema: str = "participation") -> ParticipationStore:
    """The shared store of PostgreSQL schema ``schema`` at ``url`` (one pool per process)."""
    with _STORES_LOCK:
        store = _STORES.get((url, schema))
        if store is None:
            store = ParticipationStore(database=PostgresDatabase(url, schema))
            _STORES[(url, schema)] = store
        return store


def store_for(settings: Settings) -> ParticipationStore:
    """The participation store of ``settings``: PostgreSQL when ``participation_url`` is
    set (``GEOQUARTIER_PARTICIPATION_DATABASE_URL``, else ``GEOQUARTIER_DATABASE_URL``;
    schema ``participation_schema``), else the SQLite file ``participation_db_path``."""
    if settings.participation_url:
        return open_postgres_store(settings.participation_url, settings.participation_schema)
    return open_store(settings.participation_db_path)


def close_stores() -> None:
    """Close and forget every shared store of this process (tests; the next call of
    :func:`store_for` opens a new one)."""
    with _STORES_LOCK:
        stores = list(_STORES.values())
        _STORES.clear()
    for store in stores:
        store.close()


def existing_store() -> ParticipationStore | None:
    """The store of the current settings if it holds data already: always on PostgreSQL,
    on SQLite when its file exists (None: no participation yet; nothing is created)."""
    settings = get_settings()
    if not settings.participation_url and not settings.participation_db_path.is_file():
        return None
    return store_for(settings)


def default_store() -> ParticipationStore:
    """The store of the current settings (:func:`store_for`), for code outside a request
    (the CLI); routes take ``ParticipationStoreDep``."""
    return store_for(get_settings())


def read_approved(
    quartier: str | None = None, store: ParticipationStore | None = None
) -> gpd.GeoDataFrame:
    """Approved annotations (all quartiers or one) as a GeoDataFrame in EPSG:4326.

    Columns: id, quartier, kind, text, language, event_id, status, created_at (UTC
    datetime), geometry. Only approved annotations are ever public. ``store`` defaults to
    :func:`default_store`.
    """
    return (store or default_store()).approved_frame(quartier)


def read_events(
    quartier: str | None = None, store: ParticipationStore | None = None
) -> gpd.GeoDataFrame:
    """Participation events (all quartiers or one) as a GeoDataFrame in EPSG:4326.

    Columns: id, quartier, title, kind, start, end (UTC datetimes), description, geometry.
    ``store`` defaults to :func:`default_store`.
    """
    return (store or default_store()).events_frame(quartier)


def approved_version(store: ParticipationStore | None = None) -> int:
    """Changes whenever the set of approved annotations may have changed (for caches).

    Maps that embed :func:`read_approved` can add this to their cache key.
    """
    return (store or default_store()).decisions_version()
