"""The participation API under load and across restarts, against real uvicorn servers
(``uvicorn api.main:app``) on 127.0.0.1 in their own processes — many servers, one
database — on both backends: one SQLite file, and PostgreSQL as a city runs it (only
``GEOQUARTIER_DATABASE_URL`` set: layers and participation in the database).

* Concurrency: 50 clients × 20 submissions at once, spread over two server processes that
  share one database, plus one client that floods past the rate limit on both servers:
  exactly 1,000 pending rows from the 50 clients, no answer other than 201 and the
  flooder's 429s. On PostgreSQL the limit holds across both servers (at most the
  configured number per minute in total); with SQLite each process counts on its own.
* Two moderators deciding the same contributions at once, one through each server:
  exactly one decision per contribution, the other answers 409; the OGC API of the one
  server shows at once what was approved through the other.
* Persistence: annotations, decisions, events and staff tokens survive a server killed
  with SIGKILL and a new server on the same database.
* The README's "Run it for a city", command by command, on PostgreSQL.

Each client sends from its own loopback address (127.0.0.x), so the per-client rate limit
sees 51 different clients, as it would at an event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from participation_backends import new_backend

from geoquartier.registry import load_registry

try:
    from tests.uvicorn_server import ServeCommand, UvicornServer
except ImportError:  # plain ``pytest`` with tests/ on sys.path
    from uvicorn_server import ServeCommand, UvicornServer

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 50, 20
PER_MINUTE = 60
FLOOD = 3 * PER_MINUTE  # > 2 x limit: refused even if a rate window turns over mid-test


class Server(UvicornServer):
    """The app on the test's database (either backend) with the test's rate limit."""

    def __init__(self, backend, folder: Path):
        super().__init__(
            {
                **backend.server_env(folder / "workspace.gpkg"),
                "GEOQUARTIER_ANNOTATIONS_PER_MINUTE": str(PER_MINUTE),
            },
            log_dir=folder,
            ready_path="/events",
        )


@pytest.fixture()
def backend(participation_backend):
    return participation_backend


def _same_minute_for(seconds: float) -> None:
    """Wait for the next minute if fewer than ``seconds`` are left of this one (the shared
    rate limit counts per clock minute)."""
    left = 60 - time.time() % 60
    if left < seconds:
        time.sleep(left + 0.05)


@pytest.fixture(scope="module")
def inside():
    return load_registry()["lauf"].boundary.representative_point()


def _client(n: int) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{n}", retries=0)
    return httpx.Client(transport=transport, timeout=60)


def test_fifty_concurrent_clients_lose_and_duplicate_nothing(backend, tmp_path, inside):
    servers = [Server(backend, tmp_path), Server(backend, tmp_path)]
    try:
        start = threading.Barrier(CLIENTS + 1)

        def resident(n: int) -> list[tuple[int, str]]:
            server = servers[n % 2]
            out = []
            with _client(10 + n) as http:
                start.wait()
                for i in range(PER_CLIENT):
                    r = http.post(
                        f"{server.base}/quartiers/lauf/annotations",
                        json={
                            "geometry": {"type": "Point", "coordinates": [inside.x, inside.y]},
                            "kind": ("idea", "problem", "praise", "question")[i % 4],
                            "text": f"client {n} submission {i}",
                            "language": "de",
                        },
                    )
                    out.append((r.status_code, r.json().get("id") or r.json().get("detail")))
            return out

        def flooder() -> list[int]:
            with _client(200) as http:
                start.wait()
                return [
                    http.post(
                        f"{servers[i % 2].base}/quartiers/lauf/annotations",
                        json={
                            "geometry": {"type": "Point", "coordinates": [inside.x, inside.y]},
                            "kind": "idea",
                            "text": f"flood {i}",
                        },
                    ).status_code
                    for i in range(FLOOD)
                ]

        _same_minute_for(30)
        minute = int(time.time() // 60)
        with ThreadPoolExecutor(max_workers=CLIENTS + 1) as pool:
            residents = [pool.submit(resident, n) for n in range(CLIENTS)]
            flood = pool.submit(flooder)
            results = [f.result() for f in residents]
            flood_statuses = flood.result()
        one_minute = int(time.time() // 60) == minute

        answers = [a for per_client in results for a in per_client]
        assert [s for s, _ in answers if s != 201] == [], answers[:5]
        ids = [i for _, i in answers]
        assert len(ids) == CLIENTS * PER_CLIENT == len(set(ids))
        assert set(flood_statuses) <= {201, 429} and flood_statuses.count(429) >= 1
        flood_accepted = flood_statuses.count(201)
        if backend.name == "postgresql":  # one limit for both servers, per clock minute
            assert flood_accepted == PER_MINUTE if one_minute else flood_accepted <= 2 * PER_MINUTE
        else:  # each process counts on its own: the flooder got the limit from each
            assert 2 * PER_MINUTE <= flood_accepted <= FLOOD

        rows = backend.rows("SELECT id, text, status FROM annotations")
        resident_rows = [r for r in rows if r["text"].startswith("client ")]
        assert len(resident_rows) == 1000
        assert {r["id"] for r in resident_rows} == set(ids)
        assert {r["text"] for r in resident_rows} == {
            f"client {n} submission {i}" for n in range(CLIENTS) for i in range(PER_CLIENT)
        }
        assert {r["status"] for r in rows} == {"pending"}
        assert len(rows) == 1000 + flood_accepted
        # the servers still answer, and nothing of it is public
        for server in servers:
            assert httpx.get(f"{server.base}/quartiers/lauf/annotations").json()["features"] == []
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert b"Traceback" not in Path(server.log.name).read_bytes()


def test_two_moderators_through_two_servers_decide_once_and_caches_follow(
    backend, tmp_path, inside
):
    store = backend.store()
    tokens = [store.add_user(f"moderation-{n}", "moderator")[1] for n in range(2)]
    point = {"type": "Point", "coordinates": [inside.x, inside.y]}
    servers = [Server(backend, tmp_path), Server(backend, tmp_path)]
    a, b = (s.base for s in servers)
    try:
        ids = [
            httpx.post(
                f"{servers[i % 2].base}/quartiers/lauf/annotations",
                json={"geometry": point, "kind": "idea", "text": f"Bank {i}"},
            ).json()["id"]
            for i in range(10)
        ]
        items = f"{a}/collections/annotations/items"
        assert httpx.get(items).json()["features"] == []  # server A caches the empty set
        # one approval through server B: server A's OGC API shows it on the next request
        mod_b = {"Authorization": f"Bearer {tokens[1]}"}
        r = httpx.post(f"{b}/moderation/annotations/{ids[0]}/approve", headers=mod_b)
        assert r.status_code == 200
        assert [f["id"] for f in httpx.get(items).json()["features"]] == [ids[0]]

        start = threading.Barrier(2)

        def moderate(n: int, base: str, action: str, body: dict) -> list[int]:
            headers = {"Authorization": f"Bearer {tokens[n]}"}
            start.wait()
            with httpx.Client(timeout=60) as http:
                return [
                    http.post(
                        f"{base}/moderation/annotations/{aid}/{action}",
                        json={**body, "expected_status": "pending"},
                        headers=headers,
                    ).status_code
                    for aid in ids[1:]
                ]

        with ThreadPoolExecutor(max_workers=2) as pool:
            approving = pool.submit(moderate, 0, a, "approve", {})
            rejecting = pool.submit(moderate, 1, b, "reject", {"reason": "doppelt"})
            statuses = list(zip(approving.result(), rejecting.result(), strict=True))
        assert all(sorted(pair) == [200, 409] for pair in statuses), statuses
        decisions = backend.rows("SELECT annotation_id, decision FROM decisions")
        assert sorted(d["annotation_id"] for d in decisions) == sorted(ids)  # one each
        approving_won = {aid for aid, (s, _) in zip(ids[1:], statuses, strict=True) if s == 200}
        approved = {ids[0]} | approving_won
        for base in (a, b):  # both servers serve exactly the approved set
            public = httpx.get(f"{base}/collections/annotations/items").json()["features"]
            assert {f["id"] for f in public} == approved
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert b"Traceback" not in Path(server.log.name).read_bytes()


def test_everything_survives_a_killed_server(backend, tmp_path, inside):
    store = backend.store()
    _, moderator = store.add_user("moderation", "moderator")
    _, planner = store.add_user("planning", "planner")
    mod = {"Authorization": f"Bearer {moderator}"}
    point = {"type": "Point", "coordinates": [inside.x, inside.y]}

    first = Server(backend, tmp_path)
    try:
        event = httpx.post(
            f"{first.base}/events",
            headers={"Authorization": f"Bearer {planner}"},
            json={
                "quartier": "lauf",
                "title": "Stadtteilspaziergang",
                "kind": "Stadtteilspaziergang",
                "start": "2026-12-05T10:00",
                "location": {"lon": inside.x, "lat": inside.y},
            },
        ).json()
        ids = [
            httpx.post(
                f"{first.base}/quartiers/lauf/annotations",
                json={
                    "geometry": point,
                    "kind": "idea",
                    "text": f"Idee {i}",
                    "event_id": event["id"],
                },
            ).json()["id"]
            for i in range(5)
        ]
        assert (
            httpx.post(
                f"{first.base}/moderation/annotations/{ids[0]}/approve", headers=mod
            ).status_code
            == 200
        )
        assert (
            httpx.post(
                f"{first.base}/moderation/annotations/{ids[1]}/reject",
                headers=mod,
                json={"reason": "doppelt"},
            ).status_code
            == 200
        )
    finally:
        first.stop(signal.SIGKILL)  # no clean shutdown: committed rows must still be there

    second = Server(backend, tmp_path)
    try:
        public = httpx.get(f"{second.base}/quartiers/lauf/annotations").json()
        assert [f["id"] for f in public["features"]] == [ids[0]]
        queue = httpx.get(
            f"{second.base}/moderation/annotations?status=pending", headers=mod
        ).json()
        assert [f["id"] for f in queue["features"]] == ids[2:]
        log = httpx.get(
            f"{second.base}/moderation/annotations/{ids[1]}/decisions", headers=mod
        ).json()["decisions"]
        assert [(d["decision"], d["reason"], d["user_name"]) for d in log] == [
            ("rejected", "doppelt", "moderation")
        ]
        assert [f["id"] for f in httpx.get(f"{second.base}/events").json()["features"]] == [
            event["id"]
        ]
        report = httpx.get(
            f"{second.base}/events/{event['id']}/report.geojson?include=pending,rejected",
            headers={"Authorization": f"Bearer {planner}"},
        )
        assert report.status_code == 200 and len(report.json()["features"]) == 5
        approved_only = httpx.get(
            f"{second.base}/events/{event['id']}/report.geojson",
            headers={"Authorization": f"Bearer {planner}"},
        ).json()
        assert [f["id"] for f in approved_only["features"]] == [ids[0]]
    finally:
        second.stop()


def test_run_it_for_a_city_as_the_readme_says(tmp_path, inside):
    """README, "Run it for a city": one database URL, ``geoquartier db upgrade``, a
    moderator account, two ``geoquartier serve`` processes; a contribution sent to one
    and approved through the other is public on both."""
    backend = new_backend("postgresql", tmp_path)
    env = {
        "GEOQUARTIER_DATABASE_URL": backend.url,
        "GEOQUARTIER_DATABASE_SCHEMA": backend.layers_schema,
        "GEOQUARTIER_PARTICIPATION_SCHEMA": backend.schema,
        "GEOQUARTIER_WORKSPACE": str(tmp_path / "unused.gpkg"),
    }

    def geoquartier(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "geoquartier", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    try:
        upgraded = geoquartier("db", "upgrade")
        assert f"schema {backend.layers_schema}): now at schema version" in upgraded
        assert f"schema {backend.schema}): upgraded from 0 to schema version" in upgraded
        token = geoquartier("users", "add", "moderation", "--role", "moderator").split()[-1]
        servers = [ServeCommand(env, tmp_path, ready_path="/events") for _ in range(2)]
        try:
            sent = httpx.post(
                f"{servers[0].base}/quartiers/lauf/annotations",
                json={
                    "geometry": {"type": "Point", "coordinates": [inside.x, inside.y]},
                    "kind": "idea",
                    "text": "Bank am Marktplatz",
                },
            )
            assert sent.status_code == 201, sent.text
            approved = httpx.post(
                f"{servers[1].base}/moderation/annotations/{sent.json()['id']}/approve",
                headers={"Authorization": f"Bearer {token}"},
                json={"expected_status": "pending"},
            )
            assert approved.status_code == 200, approved.text
            for server in servers:
                public = httpx.get(f"{server.base}/quartiers/lauf/annotations").json()
                assert [f["id"] for f in public["features"]] == [sent.json()["id"]]
        finally:
            for server in servers:
                server.stop()
    finally:
        backend.close()
