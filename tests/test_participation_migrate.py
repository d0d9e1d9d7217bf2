"""A participation database written before the ``jury`` role existed: its ``users``
table refuses the role by a CHECK constraint; opening it rebuilds that table, keeping
accounts, tokens and every reference from decisions, annotations and events."""

from __future__ import annotations

import sqlite3

import pytest
from shapely.geometry import Point

import api.participation.store as store_module
from api.participation.store import ParticipationStore
from geoquartier.vocabulary import STAFF_ROLES, sql_in


def _old_database(path) -> None:
    """The schema as written before ``jury``: same tables, CHECK lists moderator, planner."""
    old_schema = store_module._SCHEMA.replace(sql_in(STAFF_ROLES), sql_in(("moderator", "planner")))
    assert "'jury'" not in old_schema
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    for statement in old_schema.split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute("PRAGMA user_version = 1")
    con.close()
    with sqlite3.connect(path) as con:
        try:
            con.execute(
                "INSERT INTO users VALUES ('ux', 'j', 'jury', 'h', '2026-01-01T00:00:00+00:00', 1)"
            )
        except sqlite3.IntegrityError:
            pass
        else:  # pragma: no cover - the fixture would be wrong
            raise AssertionError("the old schema accepted 'jury'")


def test_old_users_table_is_rebuilt_and_keeps_data(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_database(path)
    # Data written by the store with the old table: accounts, an event, a decision.
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute(
            "INSERT INTO users VALUES ('u1', 'moderation', 'moderator',"
            " 'abc', '2026-01-01T00:00:00+00:00', 1)"
        )
    store = ParticipationStore(path)
    row = store.add_annotation("lauf", Point(11.28, 49.51), "idea", "Bank", "de")
    old = store.list_users()[0]
    store.decide(row["id"], "approved", old)
    store.close()
    # Simulate the pre-jury code having written all that: put the old table back.
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("BEGIN")
    con.execute("CREATE TABLE u2 AS SELECT * FROM users")
    con.execute("DROP TABLE users")
    con.execute(
        "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL"
        " CHECK (role IN ('moderator', 'planner')), token_sha256 TEXT NOT NULL,"
        " created_at TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1)"
    )
    con.execute("INSERT INTO users SELECT id, name, role, token_sha256, created_at, active FROM u2")
    con.execute("DROP TABLE u2")
    con.execute("PRAGMA user_version = 1")  # the schema version of that code
    con.execute("COMMIT")
    con.close()

    reopened = ParticipationStore(path)
    jury, token = reopened.add_user("jury-1", "jury")
    assert reopened.authenticate(token) == jury
    names = {u.name: u.role for u in reopened.list_users()}
    assert names == {"moderation": "moderator", "jury-1": "jury"}
    con = reopened._connect()
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA integrity_check").fetchone()["integrity_check"] == "ok"
    assert reopened.decisions(row["id"])[0]["user_name"] == "moderation"
    sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()["sql"]
    assert "'jury'" in sql
    # foreign keys are enforced again after the migration
    reopened.decide(row["id"], "approved", jury)
    with pytest.raises(sqlite3.IntegrityError):
        con.execute(
            "INSERT INTO decisions (annotation_id, decision, previous, user_id, decided_at)"
            " VALUES ('x', 'approved', 'pending', 'nobody', 'now')"
        )


def test_fresh_database_needs_no_migration(tmp_path):
    store = ParticipationStore(tmp_path / "new.sqlite")
    _, token = store.add_user("jury-new", "jury")
    assert store.authenticate(token).role == "jury"


def test_database_of_the_previous_version_upgrades_in_place_and_keeps_its_decision_count(
    tmp_path,
):
    path = tmp_path / "round1.sqlite"
    store = ParticipationStore(path)
    moderator, _ = store.add_user("moderation", "moderator")
    ids = [
        store.add_annotation("lauf", Point(11.28, 49.51), "idea", f"Bank {i}")["id"]
        for i in range(3)
    ]
    store.decide(ids[0], "approved", moderator)
    store.decide(ids[1], "rejected", moderator, reason="doppelt")
    store.close()
    # what the code before the change counter and the version-2 columns left behind
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE counters")
        for table, column in (("events", "closed_at"), ("annotations", "redacted_at")):
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        con.execute("ALTER TABLE users DROP COLUMN revoked_at")
        con.execute("PRAGMA user_version = 1")

    reopened = ParticipationStore(path)
    assert reopened.stored_schema_version() == 1  # what `db current` reports, unchanged
    assert reopened.upgrade() == (1, store_module.SCHEMA_VERSION)
    assert reopened.stored_schema_version() == store_module.SCHEMA_VERSION
    assert [a["id"] for a in reopened.list_annotations()] == ids
    assert reopened.decisions_version() == 2  # seeded from the decision log
    reopened.decide(ids[2], "approved", moderator)
    assert reopened.decisions_version() == 3
    assert reopened.get_annotation(ids[0])["redacted_at"] is None
