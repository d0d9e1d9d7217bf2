"""The Verfügungsfonds under load against two real uvicorn servers (own processes) on one
participation database: 50 clients × 20 proposals at once give exactly 1,000 rows; 40
simultaneous grants of 1,000 cents from a fund of 10,000 cents grant exactly ten and
refuse the rest with 409, so the balance ends at zero, never below. On both backends: one
SQLite file, and PostgreSQL as a city runs it (``GEOQUARTIER_DATABASE_URL``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.participation import fund_store as fs

try:
    from tests.uvicorn_server import UvicornServer
except ImportError:  # plain ``pytest`` with tests/ on sys.path
    from uvicorn_server import UvicornServer

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT, YEAR = 50, 20, 2026


class Server(UvicornServer):
    def __init__(self, backend, folder: Path):
        super().__init__(
            {
                **backend.server_env(folder / "workspace.gpkg"),
                "GEOQUARTIER_ANNOTATIONS_PER_MINUTE": "60",
            },
            log_dir=folder,
            ready_path="/events",
        )


def _client(n: int) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{n}", retries=0)
    return httpx.Client(transport=transport, timeout=60)


def _setup(backend, amount_cents: int) -> str:
    store = backend.store()
    planner, token = store.add_user("planung", "planner")
    fs.set_fund(
        store, "lauf", YEAR, planner, amount_cents=amount_cents, basis="planner", residents=None
    )
    store.close()
    return token


def _run(servers, start, work, n_workers):
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = [pool.submit(work, n) for n in range(n_workers)]
        start.wait()
        return [f.result() for f in futures]


def test_thousand_proposals_and_grants_never_below_zero(participation_backend, tmp_path):
    backend = participation_backend
    token = _setup(backend, 10_000)
    servers = [Server(backend, tmp_path), Server(backend, tmp_path)]
    try:
        start = threading.Barrier(CLIENTS + 1)

        def applicant(n: int) -> list[tuple[int, str]]:
            base, out = servers[n % 2].base, []
            with _client(10 + n) as http:
                start.wait()
                for i in range(PER_CLIENT):
                    r = http.post(
                        f"{base}/quartiers/lauf/funds/{YEAR}/proposals",
                        json={
                            "title": f"client {n} proposal {i}",
                            "description": "Nachbarschaftsprojekt",
                            "requested_cents": 1_000,
                            "applicant_kind": "resident",
                            "contact": {"email": f"c{n}@example.org"},
                        },
                    )
                    out.append((r.status_code, r.json().get("id") or r.json().get("detail")))
            return out

        results = _run(servers, start, applicant, CLIENTS)
        answers = [a for per in results for a in per]
        assert [a for a in answers if a[0] != 201] == []
        ids = [i for _, i in answers]
        assert len(ids) == len(set(ids)) == CLIENTS * PER_CLIENT
        rows = backend.rows("SELECT id, title FROM fund_proposals")
        contacts = backend.rows("SELECT count(*) AS n FROM fund_contacts")[0]["n"]
        assert len(rows) == 1000 and {r["id"] for r in rows} == set(ids)
        assert {r["title"] for r in rows} == {
            f"client {n} proposal {i}" for n in range(CLIENTS) for i in range(PER_CLIENT)
        }
        assert contacts == 1000

        grants = 40
        start = threading.Barrier(grants + 1)

        def grant(n: int) -> int:
            with _client(100 + n) as http:
                start.wait()
                return http.post(
                    f"{servers[n % 2].base}/funds/proposals/{ids[n]}/decision",
                    json={"decision": "granted", "granted_cents": 1_000},
                    headers={"Authorization": f"Bearer {token}"},
                ).status_code

        statuses = _run(servers, start, grant, grants)
        assert statuses.count(200) == 10 and statuses.count(409) == grants - 10
        fund = httpx.get(f"{servers[0].base}/quartiers/lauf/funds/{YEAR}").json()
        assert fund["balance_cents"] == 0 and fund["granted_cents"] == 10_000
        assert len(fund["funded_projects"]) == 10
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert b"Traceback" not in Path(server.log.name).read_bytes()
