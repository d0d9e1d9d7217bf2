"""The participation API under load and across restarts, against real uvicorn servers
(``uvicorn api.main:app``) on 127.0.0.1 in their own processes.

* Concurrency: 50 clients × 20 submissions at once, spread over two server processes that
  share one database, plus one client that floods past the rate limit: exactly 1,000
  pending rows from the 50 clients, no answer other than 201 and the flooder's 429s.
* Persistence: annotations, decisions, events and staff tokens survive a server killed
  with SIGKILL and a new server on the same database.

Each client sends from its own loopback address (127.0.0.x), so the per-client rate limit
sees 51 different clients, as it would at an event.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from geoquartier.registry import load_registry

try:
    from tests.uvicorn_server import UvicornServer
except ImportError:  # plain ``pytest`` with tests/ on sys.path
    from uvicorn_server import UvicornServer

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 50, 20
PER_MINUTE = 60
FLOOD = 3 * PER_MINUTE  # > 2 x limit: refused even if a rate window turns over mid-test


class Server(UvicornServer):
    """The app with its own participation database and the test's rate limit."""

    def __init__(self, db: Path, workspace: Path):
        super().__init__(
            {
                "GEOQUARTIER_PARTICIPATION_DB": str(db),
                "GEOQUARTIER_WORKSPACE": str(workspace),
                "GEOQUARTIER_ANNOTATIONS_PER_MINUTE": str(PER_MINUTE),
            },
            log_dir=db.parent,
            ready_path="/events",
        )


@pytest.fixture()
def paths(tmp_path):
    return tmp_path / "participation.sqlite", tmp_path / "workspace.gpkg"


@pytest.fixture(scope="module")
def inside():
    return load_registry()["lauf"].boundary.representative_point()


def _client(n: int) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{n}", retries=0)
    return httpx.Client(transport=transport, timeout=60)


def test_fifty_concurrent_clients_lose_and_duplicate_nothing(paths, inside):
    db, workspace = paths
    servers = [Server(db, workspace), Server(db, workspace)]
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
                        f"{servers[0].base}/quartiers/lauf/annotations",
                        json={
                            "geometry": {"type": "Point", "coordinates": [inside.x, inside.y]},
                            "kind": "idea",
                            "text": f"flood {i}",
                        },
                    ).status_code
                    for i in range(FLOOD)
                ]

        with ThreadPoolExecutor(max_workers=CLIENTS + 1) as pool:
            residents = [pool.submit(resident, n) for n in range(CLIENTS)]
            flood = pool.submit(flooder)
            results = [f.result() for f in residents]
            flood_statuses = flood.result()

        answers = [a for per_client in results for a in per_client]
        assert [s for s, _ in answers if s != 201] == [], answers[:5]
        ids = [i for _, i in answers]
        assert len(ids) == CLIENTS * PER_CLIENT == len(set(ids))
        assert set(flood_statuses) <= {201, 429} and flood_statuses.count(429) >= 1
        flood_accepted = flood_statuses.count(201)
        assert flood_accepted <= 2 * PER_MINUTE

        with sqlite3.connect(db) as con:
            rows = con.execute("SELECT id, text, status FROM annotations").fetchall()
        resident_rows = [r for r in rows if r[1].startswith("client ")]
        assert len(resident_rows) == 1000
        assert {r[0] for r in resident_rows} == set(ids)
        assert {r[1] for r in resident_rows} == {
            f"client {n} submission {i}" for n in range(CLIENTS) for i in range(PER_CLIENT)
        }
        assert {r[2] for r in rows} == {"pending"}
        assert len(rows) == 1000 + flood_accepted
        # the servers still answer, and nothing of it is public
        for server in servers:
            assert httpx.get(f"{server.base}/quartiers/lauf/annotations").json()["features"] == []
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert b"Traceback" not in Path(server.log.name).read_bytes()


def test_everything_survives_a_killed_server(paths, inside):
    from api.participation.store import ParticipationStore

    db, workspace = paths
    _, moderator = ParticipationStore(db).add_user("moderation", "moderator")
    _, planner = ParticipationStore(db).add_user("planning", "planner")
    mod = {"Authorization": f"Bearer {moderator}"}
    point = {"type": "Point", "coordinates": [inside.x, inside.y]}

    first = Server(db, workspace)
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

    second = Server(db, workspace)
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
