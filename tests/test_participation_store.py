"""Participation storage, tokens, rate limiter and the ``geoquartier users`` commands.

The quartier boundaries come from the real registry (Lauf, Neu Olvenstedt); the store
tests run on both backends (a real SQLite file in a temporary folder, and a fresh schema
of the PostgreSQL test database, see ``participation_backends``).
"""

from __future__ import annotations

import sqlite3
import threading

import pandas as pd
import pytest
from shapely.geometry import LineString, Point
from typer.testing import CliRunner

import api.participation.store as store_module
from api.participation.db import postgres_sql, sqlite_sql
from api.participation.ratelimit import RateLimiter, SharedRateLimiter
from api.participation.store import (
    ANNOTATION_COLUMNS,
    DecisionConflict,
    Idempotency,
    IdempotencyConflict,
    ParticipationStore,
    open_store,
    read_approved,
    read_events,
    token_sha256,
)
from geoquartier.errors import GeoquartierError
from geoquartier.registry import load_registry
from geoquartier.settings import reload_settings


@pytest.fixture(scope="module")
def lauf_point() -> Point:
    """A point inside the Lauf planning area (EPSG:4326)."""
    return load_registry()["lauf"].boundary.representative_point()


@pytest.fixture()
def store(participation_backend) -> ParticipationStore:
    return participation_backend.store()


def _point_settings_at(backend, monkeypatch) -> None:
    for name, value in backend.env.items():
        monkeypatch.setenv(name, value)
    reload_settings()


def test_annotation_lifecycle_and_decision_log(store, lauf_point):
    a = store.add_annotation("lauf", lauf_point, "idea", "Mehr Bänke am Marktplatz", "de")
    b = store.add_annotation(
        "lauf",
        LineString([(lauf_point.x, lauf_point.y), (lauf_point.x + 0.001, lauf_point.y)]),
        "problem",
        "Gehweg zu schmal",
        "de",
    )
    assert a["status"] == b["status"] == "pending"
    assert [r["id"] for r in store.list_annotations(status="pending")] == [a["id"], b["id"]]

    moderator, _ = store.add_user("moderation-1", "moderator")
    assert store.decisions_version() == 0
    store.decide(a["id"], "approved", moderator)
    assert store.decisions_version() == 1  # map caches keyed on it see the change
    with pytest.raises(GeoquartierError, match="reason"):
        store.decide(b["id"], "rejected", moderator, reason="  ")
    store.decide(b["id"], "rejected", moderator, reason="not about the quartier")

    assert store.get_annotation(a["id"])["status"] == "approved"
    rejected = store.get_annotation(b["id"])
    assert rejected["status"] == "rejected"
    assert rejected["reason"] == "not about the quartier"
    assert rejected["decided_by"] == moderator.id and rejected["decided_at"]

    log = store.decisions()
    assert [(d["annotation_id"], d["decision"], d["previous"], d["user_name"]) for d in log] == [
        (a["id"], "approved", "pending", "moderation-1"),
        (b["id"], "rejected", "pending", "moderation-1"),
    ]
    # A later decision overrules the first; both stay in the log.
    store.decide(a["id"], "rejected", moderator, reason="contains a phone number")
    assert [d["decision"] for d in store.decisions(a["id"])] == ["approved", "rejected"]
    assert store.count_annotations(status="approved") == 0


def test_frame_has_layer_schema_and_only_approved_are_read(
    store, participation_backend, lauf_point, monkeypatch
):
    _point_settings_at(participation_backend, monkeypatch)
    moderator, _ = store.add_user("m", "moderator")
    ids = [
        store.add_annotation("lauf", lauf_point, kind, f"text {kind}", "tr")["id"]
        for kind in ("idea", "problem", "praise", "question")
    ]
    store.decide(ids[1], "approved", moderator)
    store.decide(ids[3], "approved", moderator)
    frame = read_approved()
    assert frame.crs.to_epsg() == 4326
    assert sorted(frame["id"]) == sorted([ids[1], ids[3]])
    assert set(frame["status"]) == {"approved"}
    for column in ANNOTATION_COLUMNS:
        assert column in frame.columns
    assert str(frame["created_at"].dtype).startswith("datetime64")
    assert read_approved("neu-olvenstedt").empty
    assert len(read_approved("lauf")) == 2


def test_events_and_event_membership(store, participation_backend, lauf_point, monkeypatch):
    planner, _ = store.add_user("planung", "planner")
    event = store.add_event(
        "lauf",
        "Stadtteilwerkstatt Marktplatz",
        "2026-11-21T15:00+01:00",
        lauf_point,
        kind="Stadtteilwerkstatt",
        created_by=planner,
    )
    a = store.add_annotation("lauf", lauf_point, "idea", "Trinkbrunnen", "de", event["id"])
    assert store.list_annotations(event_id=event["id"])[0]["id"] == a["id"]
    assert store.list_events("lauf")[0]["title"] == "Stadtteilwerkstatt Marktplatz"
    with pytest.raises(GeoquartierError, match="does not exist"):
        store.add_annotation("lauf", lauf_point, "idea", "x", "de", "no-such-event")
    with pytest.raises(GeoquartierError, match="belongs to quartier"):
        store.add_annotation("neu-olvenstedt", lauf_point, "idea", "x", "de", event["id"])
    assert store.count_annotations() == 1  # the refused ones were not written
    _point_settings_at(participation_backend, monkeypatch)
    frame = read_events("lauf")
    assert frame.crs.to_epsg() == 4326 and list(frame["id"]) == [event["id"]]
    assert frame["start"].iloc[0] == pd.Timestamp("2026-11-21T14:00", tz="UTC")
    assert read_events("neu-olvenstedt").empty


def test_idempotent_writes_happen_once_per_key_for_a_day(store, participation_backend, lauf_point):
    key = Idempotency(key_sha256="k" * 64, request_sha256="r" * 64)
    first, replayed = store.add_annotation_once(key, "lauf", lauf_point, "idea", "Bank", "de")
    assert not replayed
    again, replayed = store.add_annotation_once(key, "lauf", lauf_point, "idea", "Bank", "de")
    assert replayed and again == first
    assert store.count_annotations() == 1
    other = Idempotency(key_sha256="k" * 64, request_sha256="s" * 64)
    with pytest.raises(IdempotencyConflict, match="different request"):
        store.add_annotation_once(other, "lauf", lauf_point, "idea", "Tisch", "de")
    # a refused write keeps nothing, not even the key
    failing = Idempotency(key_sha256="f" * 64, request_sha256="r" * 64)
    with pytest.raises(GeoquartierError, match="does not exist"):
        store.add_annotation_once(failing, "lauf", lauf_point, "idea", "x", "de", "no-event")
    keys = participation_backend.rows("SELECT key_sha256 FROM idempotency")
    assert [r["key_sha256"] for r in keys] == ["k" * 64]
    # a day later the key is forgotten: the same key stores a new contribution
    participation_backend.rows("UPDATE idempotency SET created_at = '2000-01-01T00:00:00+00:00'")
    later, replayed = store.add_annotation_once(other, "lauf", lauf_point, "idea", "Tisch", "de")
    assert not replayed and later["id"] != first["id"]
    assert store.count_annotations() == 2
    event, replayed = store.add_event_once(
        Idempotency("e" * 64, "r" * 64),
        quartier="lauf",
        title="Infostand",
        start="2026-12-01T10:00+01:00",
        location=lauf_point,
    )
    assert not replayed and store.get_event(event["id"])["title"] == "Infostand"


def test_tokens_are_stored_hashed_and_checked(store, participation_backend):
    user, token = store.add_user("Moderation Werkstatt", "moderator")
    assert token.startswith(user.id + ".") and len(token) > 40
    assert store.authenticate(token) == user
    assert store.authenticate(token + "x") is None
    assert store.authenticate(token[:-1]) is None
    assert store.authenticate("u000000000000.abc") is None
    assert store.authenticate("") is None and store.authenticate(None) is None
    stored = participation_backend.rows("SELECT token_sha256 FROM users")
    assert [r["token_sha256"] for r in stored] == [token_sha256(token)]
    if participation_backend.name == "sqlite":
        store.close()
        raw = b"".join(p.read_bytes() for p in store.path.parent.glob("participation.sqlite*"))
        assert token.encode() not in raw and token.split(".", 1)[1].encode() not in raw
    with pytest.raises(GeoquartierError, match="exists already"):
        store.add_user("Moderation Werkstatt", "planner")
    with pytest.raises(GeoquartierError, match="unknown role"):
        store.add_user("x", "admin")


def test_concurrent_writers_in_threads_lose_nothing(store, participation_backend, lauf_point):
    threads, per_thread = 8, 40
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(per_thread):
                store.add_annotation("lauf", lauf_point, "idea", f"t{n}-{i}", "de")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    rows = store.list_annotations()
    assert len(rows) == threads * per_thread
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["text"] for r in rows} == {
        f"t{n}-{i}" for n in range(threads) for i in range(per_thread)
    }
    if participation_backend.name == "sqlite":
        with sqlite3.connect(store.path) as con:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rate_limiter_counts_per_client_and_forgets_each_window():
    now = [1000.0]
    limiter = RateLimiter(3, window_s=60, clock=lambda: now[0])
    assert [limiter.hit("203.0.113.5").allowed for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("203.0.113.6").allowed  # another client has its own budget
    refused = limiter.hit("203.0.113.5")
    assert not refused.allowed and 1 <= refused.retry_after_s <= 60
    key_before = limiter.key("203.0.113.5")
    assert b"203.0.113.5" not in key_before and len(key_before) == 32
    now[0] += 60  # a new window: new salt, counters dropped
    assert limiter.tracked_clients() == 0
    assert limiter.key("203.0.113.5") != key_before
    assert limiter.hit("203.0.113.5").allowed
    assert RateLimiter(0).hit("x").allowed  # 0 switches the limit off


def test_two_servers_deciding_at_once_record_exactly_one_decision(
    participation_backend, lauf_point
):
    # two store objects on one database: what two server processes hold
    first, second = participation_backend.store(), participation_backend.store()
    alice, _ = first.add_user("moderation-a", "moderator")
    bob, _ = second.add_user("moderation-b", "moderator")
    ids = [
        first.add_annotation("lauf", lauf_point, "idea", f"Bank {i}", "de")["id"] for i in range(8)
    ]
    outcomes: dict[str, list[str]] = {i: [] for i in ids}
    start = threading.Barrier(2)

    def moderate(store, user, decision):
        start.wait()
        for aid in ids:
            try:
                store.decide(aid, decision, user, "doppelt", expected_status="pending")
                outcomes[aid].append(decision)
            except DecisionConflict:
                outcomes[aid].append("409")

    both = [
        threading.Thread(target=moderate, args=(first, alice, "approved")),
        threading.Thread(target=moderate, args=(second, bob, "rejected")),
    ]
    for t in both:
        t.start()
    for t in both:
        t.join()
    for aid in ids:
        assert sorted(outcomes[aid]) in (["409", "approved"], ["409", "rejected"]), outcomes
        log = second.decisions(aid)
        assert len(log) == 1 and log[0]["previous"] == "pending"
        assert first.get_annotation(aid)["status"] == log[0]["decision"]
    # the change counter comes from the database: both servers see every decision
    assert first.decisions_version() == second.decisions_version() == len(ids)
    approved = {a for a in ids if "approved" in outcomes[a]}
    assert set(second.approved_frame()["id"]) == approved
    # without expected_status a later decision still overrules
    second.decide(ids[0], "rejected", bob, "Telefonnummer")
    assert first.decisions_version() == len(ids) + 1


def test_shared_rate_limit_holds_across_servers_and_forgets_each_window(
    participation_backend,
):
    now = [1_800_000_000.0]  # 2027-01-15, at the start of a minute
    servers = [
        SharedRateLimiter(participation_backend.store(), 3, window_s=60, clock=lambda: now[0])
        for _ in range(2)
    ]
    verdicts = [servers[i % 2].hit("203.0.113.5").allowed for i in range(5)]
    assert verdicts == [True, True, True, False, False]  # 3 in total over both servers
    assert servers[1].hit("203.0.113.6").allowed  # another client has its own budget
    refused = servers[0].hit("203.0.113.5")
    assert not refused.allowed and refused.retry_after_s == 60
    keys = participation_backend.rows("SELECT client_key, hits FROM rate_limit_hits")
    assert sorted(r["hits"] for r in keys) == [1, 3]
    assert not any("203.0.113" in r["client_key"] for r in keys)
    assert servers[0].key("203.0.113.5").hex() in {r["client_key"] for r in keys}
    assert servers[0].tracked_clients() == servers[1].tracked_clients() == 2
    old_salt = participation_backend.rows("SELECT salt FROM rate_limit_salts")
    now[0] += 60  # a new window: new salt, the old window's rows and salt are deleted
    assert servers[1].hit("203.0.113.5").allowed
    assert servers[0].tracked_clients() == 1
    salts = participation_backend.rows("SELECT window_start, salt FROM rate_limit_salts")
    assert len(salts) == 1 and salts[0]["salt"] != old_salt[0]["salt"]
    assert [r["window_start"] for r in salts] == [int(now[0] // 60)]
    assert SharedRateLimiter(servers[0].store, 0).hit("x").allowed  # 0 switches it off


def test_one_sql_text_for_both_backends():
    ddl = (
        "CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL"
        " CHECK (kind IN ('idea', 'problem')), amount INTEGER CHECK (amount >= 0), lon REAL)"
    )
    pg = postgres_sql(ddl, False)
    assert "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" in pg
    assert "IN ('idea'" not in pg and "CHECK (amount >= 0)" in pg  # vocabularies: in Python
    assert "amount BIGINT" in pg and "lon DOUBLE PRECISION" in pg
    assert pg.rstrip().endswith("rowid BIGINT GENERATED BY DEFAULT AS IDENTITY\n)")
    assert "n BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" in postgres_sql(
        "CREATE TABLE u (n INTEGER PRIMARY KEY, v TEXT)", False
    )
    assert postgres_sql("ALTER TABLE t ADD COLUMN x TEXT", False).endswith(
        "ADD COLUMN IF NOT EXISTS x TEXT"
    )
    query = "SELECT * FROM t WHERE a = ? AND b = :name AND c = '?:x%' AND d::text LIKE '%'"
    assert postgres_sql(query) == (
        "SELECT * FROM t WHERE a = %s AND b = %(name)s AND c = '?:x%%' AND d::text LIKE '%%'"
    )
    assert sqlite_sql("SELECT status FROM a WHERE id = ? FOR UPDATE") == (
        "SELECT status FROM a WHERE id = ?"
    )


def test_cli_users_add_prints_token_once_and_list_hides_it(tmp_path, monkeypatch):
    import geoquartier.cli.users  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app

    db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_DB", str(db))
    reload_settings()
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "werkstatt-moderation", "--role", "moderator"])
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    user = open_store(db).authenticate(token)
    assert user is not None and user.role == "moderator"

    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0
    assert "werkstatt-moderation" in listed.output and "moderator" in listed.output
    assert token not in listed.output and token.split(".", 1)[1] not in listed.output

    bad = runner.invoke(app, ["users", "add", "x", "--role", "admin"])
    assert bad.exit_code != 0
    assert open_store(db).list_users() == [user]


def test_db_upgrade_creates_the_participation_tables(participation_backend, tmp_path, monkeypatch):
    import geoquartier.cli.db  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "workspace.gpkg"))
    _point_settings_at(participation_backend, monkeypatch)
    runner = CliRunner()
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "participation database" in first.output and "upgraded from 0 to" in first.output
    again = runner.invoke(app, ["db", "upgrade"])
    assert f"already at schema version {store_module.SCHEMA_VERSION}" in again.output
    current = runner.invoke(app, ["db", "current"])
    version = store_module.SCHEMA_VERSION
    assert current.exit_code == 0, current.output
    assert f"schema version {version} (this geoquartier: {version}; up to date)" in current.output
    assert participation_backend.rows("SELECT count(*) AS n FROM annotations") == [{"n": 0}]


def test_a_connection_the_database_server_dropped_is_replaced(participation_backend):
    """After PostgreSQL ends the pool's idle connections (a restart, an idle timeout), the
    next request gets a fresh connection instead of failing."""
    if participation_backend.name != "postgresql":
        pytest.skip("only PostgreSQL keeps a pool of server connections")
    import psycopg

    store = participation_backend.store()
    store.add_user("nach-neustart", "moderator")
    with psycopg.connect(participation_backend.url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state = 'idle'"
        ).fetchone()[0]
    assert ended >= 1
    assert [u.name for u in store.list_users()] == ["nach-neustart"]
