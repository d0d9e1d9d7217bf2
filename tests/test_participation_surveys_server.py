"""Survey answers under load against two real uvicorn servers (own processes) on one
participation database: 50 clients × 20 answer sets at once give exactly 1,000 sets
(and every value of them); 20 simultaneous sends of one browser session to a
one-per-session survey store exactly one set and refuse the rest with 409."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from test_participation_fund_server import Server, _client

from geoquartier.registry import load_registry

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 50, 20

FORM = {
    "title": "Ihr Weg zum Markt",
    "questions": [
        {"id": "missing", "type": "multiple", "text": "Was fehlt?", "options": ["Licht", "Bank"]},
        {"id": "wish", "type": "text", "text": "Was wünschen Sie sich?"},
        {"id": "way", "type": "route", "text": "Zeichnen Sie Ihren Weg.", "required": True},
    ],
}


def _survey(base: str, token: str, **changes) -> str:
    r = httpx.post(
        f"{base}/quartiers/lauf/surveys",
        json=FORM | changes,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _run(work, n_workers: int, start: threading.Barrier) -> list:
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = [pool.submit(work, n) for n in range(n_workers)]
        start.wait()
        return [f.result() for f in futures]


def test_thousand_answer_sets_and_one_per_session(participation_backend, tmp_path):
    backend = participation_backend
    store = backend.store()
    token = store.add_user("planung", "planner")[1]
    store.close()
    inside = load_registry()["lauf"].boundary.representative_point()
    way = {"type": "LineString", "coordinates": [[inside.x, inside.y], [inside.x + 5e-4, inside.y]]}
    servers = [Server(backend, tmp_path), Server(backend, tmp_path)]
    try:
        sid = _survey(servers[0].base, token, one_answer_per_session=False)
        start = threading.Barrier(CLIENTS + 1)

        def resident(n: int) -> list[int]:
            base, out = servers[n % 2].base, []
            with _client(10 + n) as http:
                start.wait()
                for i in range(PER_CLIENT):
                    answers = {"missing": ["1", "2"], "wish": f"client {n} set {i}", "way": way}
                    r = http.post(f"{base}/surveys/{sid}/answers", json={"answers": answers})
                    out.append(r.status_code)
            return out

        statuses = [s for per in _run(resident, CLIENTS, start) for s in per]
        assert statuses == [201] * (CLIENTS * PER_CLIENT)
        sets = backend.rows(
            "SELECT count(*) AS n FROM survey_answer_sets WHERE survey_id = ?", (sid,)
        )[0]["n"]
        per_question = {
            r["question"]: r["n"]
            for r in backend.rows(
                "SELECT question, count(*) AS n FROM survey_items WHERE survey_id = ?"
                " GROUP BY question",
                (sid,),
            )
        }
        texts = {
            r["value"]
            for r in backend.rows("SELECT value FROM survey_items WHERE question = 'wish'")
        }
        assert sets == 1000
        assert per_question == {"missing": 2000, "wish": 1000, "way": 1000}
        assert texts == {f"client {n} set {i}" for n in range(CLIENTS) for i in range(PER_CLIENT)}
        results = httpx.get(f"{servers[1].base}/surveys/{sid}/results").json()
        assert results["answers"] == 1000

        once = _survey(servers[0].base, token)
        sends = 20
        start = threading.Barrier(sends + 1)

        def same_session(n: int) -> int:
            with _client(100 + n) as http:
                http.cookies.set("gq_survey_session", "one-browser-session")
                start.wait()
                return http.post(
                    f"{servers[n % 2].base}/surveys/{once}/answers",
                    json={"answers": {"way": way}},
                ).status_code

        codes = _run(same_session, sends, start)
        assert codes.count(201) == 1 and codes.count(409) == sends - 1
        assert httpx.get(f"{servers[0].base}/surveys/{once}/results").json()["answers"] == 1
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert b"Traceback" not in Path(server.log.name).read_bytes()
