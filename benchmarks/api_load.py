"""Load benchmark of the HTTP API on 127.0.0.1.

Starts ``uvicorn api.main:app`` as a subprocess on a fresh workspace (Lauf imported from
the real data; a temporary participation database), warms it up, then loads each scenario
with a bounded number of concurrent clients (asyncio) for a bounded time and
prints a markdown table: requests, errors, throughput (requests/s), p50/p95/p99 latency
(ms), the throughput ratio against the baseline scenario ``GET /conformance`` (a
static JSON answer) measured in the same run, and the CPU seconds each server process
spent on the scenario (psutil): a worker near zero got none of the connections.
Connections are opened one at a time, since connections opened at once all go to the
first worker process that wakes up.

The load client is a minimal HTTP/1.1 keep-alive client on asyncio streams (one
connection per concurrent client), so that the measurement is not bounded by the
client library's own cost on the same two cores.

Scenarios: the Lauf map (German), a page of 100 buildings (OGC API – Features items at a
random offset), ``/services/nearest`` from random building centroids in Lauf (with and
without a category), answer sets of a map survey (POST: a choice, a free text and a route)
and annotation submissions (POST, rate limit switched off for the run). After the run the
participation database is counted: every 201 answer must be exactly one pending row, and
every 201 survey answer exactly one answer set (zero lost or duplicated writes).

A second table (section "participation writes") loads the writes added with public
feedback, the Verfügungsfonds and map surveys side by side: fund proposals, survey
answers (both anonymous POSTs in Lauf) and feedback decisions (a moderator's POST on
approved contributions of Neu Olvenstedt, so the Lauf pending count above stays exact),
each with its ratio to the annotation submissions of the same run. Their rows are
counted after the run as well (proposals, survey answers, feedback log entries).

With ``--database postgres`` the script measures submissions only, on the participation
store's two backends side by side: one SQLite file (the baseline, 1 server) and
PostgreSQL (``--database-url``, default ``GEOQUARTIER_DATABASE_URL`` or
``GEOQUARTIER_TEST_DATABASE_URL``; fresh schemas, dropped afterwards), each with 1 and 2
app servers (separate uvicorn processes on their own ports, the clients spread over
them). Each client sends from its own loopback address with the rate limit switched on
but set out of reach, so every submission passes the limiter (in memory with SQLite, in
the database with PostgreSQL). After each run the rows are counted: every 201 must be
exactly one row.

Usage::

    python benchmarks/api_load.py [--workers 2] [--concurrency 8] [--seconds 8]
                                  [--workspace existing.gpkg]
    python benchmarks/api_load.py --database postgres [--database-url URL]
                                  [--concurrency 8] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from uvicorn_server import UvicornServer  # noqa: E402

GOAL_SUBMISSIONS_PER_S = 300.0
GOAL_NEAREST_P95_MS = 50.0
CONNECT_PAUSE_S = 0.005
"""Pause between opening the connections of a scenario (so every worker accepts some)."""


@dataclass
class Result:
    """Latencies (seconds) and statuses of one scenario."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed_s: float = 0.0
    cpu_s_by_process: list[float] = field(default_factory=list)
    """Server CPU seconds of each server process (workers) during the scenario."""

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed_s if self.elapsed_s else 0.0


def _loads(values) -> str:
    return " ".join(f"{v:.1f}" for v in values)


def _prepare_workspace(root: Path, existing: str | None) -> Path:
    if existing:
        return Path(existing).resolve()
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    gpkg = root / "geoquartier.gpkg"
    import_quartier(load_registry()["lauf"], GeoPackageStore(gpkg))
    return gpkg


def _origins(gpkg: Path, n: int, seed: int = 7) -> list[tuple[float, float]]:
    from geoquartier.layers.store import GeoPackageStore

    store = GeoPackageStore(gpkg)
    quartier = store.read("quartiers", quartier="lauf").geometry.iloc[0]
    buildings = store.read("buildings", quartier="lauf")
    centroids = buildings.to_crs("EPSG:25832").centroid.to_crs("EPSG:4326")
    inside = [p for p in centroids if quartier.contains(p)]
    rng = random.Random(seed)
    return [(p.x, p.y) for p in rng.sample(inside, min(n, len(inside)))]


class _LoadServer(UvicornServer):
    """``uvicorn api.main:app --workers N`` on the benchmark's workspace and database."""

    start_timeout_s = 120.0

    def __init__(self, gpkg: Path, db: Path, workers: int, log_dir: Path):
        self.workers = workers
        env = {
            "GEOQUARTIER_WORKSPACE": str(gpkg),
            "GEOQUARTIER_PARTICIPATION_DB": str(db),
            "GEOQUARTIER_ANNOTATIONS_PER_MINUTE": "0",  # load test on a closed machine
        }
        super().__init__(env, log_dir)

    def command(self) -> list[str]:
        return [*super().command(), "--workers", str(self.workers)]


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length or chunked answers)."""

    extra_headers = ""
    """Header lines (``Name: value\\r\\n``) sent with every request."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        """Connect (requests connect when needed)."""
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, int]:
        """Send one request; returns (status, body bytes). Reconnects once if closed."""
        for attempt in (0, 1):
            if self.writer is None:
                await self.open()
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Accept: */*\r\nContent-Type: application/json\r\n{self.extra_headers}"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode("ascii")
            try:
                self.writer.write(head + body)
                await self.writer.drain()
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")

    async def _response(self) -> tuple[int, int]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
            size = len(data)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            size = 0
            while True:
                n = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(n + 2)
                size += n
                if n == 0:
                    break
        else:
            size = 0
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, size


@dataclass
class _Budget:
    """Requests a scenario may still issue before ``stop_at`` (shared by its clients)."""

    stop_at: float
    left: int

    def take(self) -> bool:
        if time.perf_counter() >= self.stop_at or self.left <= 0:
            return False
        self.left -= 1
        return True


async def _drive(conn, make_request, rng, result: Result, budget: _Budget) -> None:
    """One client: requests on ``conn`` while the budget lasts, recorded into ``result``;
    the connection is closed at the end."""
    try:
        while budget.take():
            method, url, body = make_request(rng)
            t0 = time.perf_counter()
            try:
                status, _size = await conn.request(method, url, body)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                result.errors += 1
                continue
            result.latencies.append(time.perf_counter() - t0)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.errors += status >= 400
    finally:
        await conn.close()


async def _load(
    host: str,
    port: int,
    name: str,
    make_request,
    concurrency: int,
    seconds: float,
    max_requests: int,
    connection: type[Connection] = Connection,
) -> Result:
    result = Result(name)
    # connections opened one at a time: opened at once, they all wait in the listen queue
    # and the first worker process to wake accepts every one of them
    conns = []
    for _ in range(concurrency):
        conns.append(connection(host, port))
        await conns[-1].open()
        await asyncio.sleep(CONNECT_PAUSE_S)
    budget = _Budget(time.perf_counter() + seconds, max_requests)

    def worker(wid: int):
        return _drive(conns[wid], make_request, random.Random(wid), result, budget)

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result


def _new_survey(base: str, db: Path) -> str:
    """A survey of a choice, a free text and a route in Lauf (asked through the API)."""
    import httpx

    from api.participation.store import ParticipationStore

    store = ParticipationStore(db)
    token = store.add_user("bench-planner", "planner")[1]
    store.close()
    form = {
        "title": "Ihr Weg zur Pegnitz",
        "one_answer_per_session": False,
        "questions": [
            {"id": "how", "type": "single", "text": "Wie?", "options": ["zu Fuß", "Rad"]},
            {"id": "wish", "type": "text", "text": "Was wünschen Sie sich?"},
            {"id": "way", "type": "route", "text": "Ihr Weg"},
        ],
    }
    r = httpx.post(
        f"{base}/quartiers/lauf/surveys", json=form, headers={"Authorization": f"Bearer {token}"}
    )
    r.raise_for_status()
    return r.json()["id"]


def _scenarios(
    origins: list[tuple[float, float]],
    n_buildings: int,
    quartier_point,
    concurrency: int,
    workers: int,
    survey_id: str,
) -> list:
    """(name, request maker, concurrent clients) of every scenario; the baseline first."""

    def conformance(rng):
        return "GET", "/conformance", b""

    def map_page(rng):
        return "GET", "/quartiers/lauf/map?lang=de", b""

    def items(rng):
        offset = rng.randrange(0, max(1, n_buildings - 100))
        return "GET", f"/collections/buildings/items?limit=100&offset={offset}", b""

    def nearest_category(rng):
        lon, lat = rng.choice(origins)
        return "GET", f"/services/nearest?lon={lon}&lat={lat}&category=seniors&limit=3", b""

    def nearest_all(rng):
        lon, lat = rng.choice(origins)
        return "GET", f"/services/nearest?lon={lon}&lat={lat}&limit=5", b""

    def submit(rng):
        lon, lat = quartier_point
        body = {
            "geometry": {
                "type": "Point",
                "coordinates": [lon + rng.uniform(-5e-4, 5e-4), lat + rng.uniform(-5e-4, 5e-4)],
            },
            "kind": rng.choice(["idea", "problem", "praise", "question"]),
            "text": "Mehr Bänke am Weg zur Pegnitz – Lastprobe",
            "language": "de",
        }
        return "POST", "/quartiers/lauf/annotations", json.dumps(body).encode("utf-8")

    def answer(rng):
        lon, lat = quartier_point
        x, y = lon + rng.uniform(-5e-4, 5e-4), lat + rng.uniform(-5e-4, 5e-4)
        way = {"type": "LineString", "coordinates": [[x, y], [x + 3e-4, y + 2e-4]]}
        body = {"answers": {"how": rng.choice(["1", "2"]), "wish": "Mehr Licht", "way": way}}
        return "POST", f"/surveys/{survey_id}/answers", json.dumps(body).encode("utf-8")

    c, w = concurrency, workers
    return [
        (f"GET /conformance (baseline), {c} clients", conformance, c),
        (f"GET /quartiers/lauf/map?lang=de, {c} clients", map_page, c),
        (f"GET /collections/buildings/items?limit=100, {c} clients", items, c),
        (f"GET /services/nearest (category=seniors, limit=3), {c} clients", nearest_category, c),
        (f"GET /services/nearest (category=seniors, limit=3), {w} client(s)", nearest_category, w),
        (f"GET /services/nearest (all categories, limit=5), {c} clients", nearest_all, c),
        (f"POST /surveys/{{id}}/answers (choice, text, route), {c} clients", answer, c),
        (f"POST /quartiers/lauf/annotations, {c} clients", submit, c),
    ]


WARM_SLOWEST_S = 0.5
"""The warm-up is over when no answer of a whole pass took longer (seconds)."""
WARM_PASSES = 8


async def _warm_up(host: str, port: int, scenarios) -> dict[str, int]:
    """Every worker builds its caches (networks, map HTML, layer frames) before the timing.

    Eight fresh connections at once go through every scenario; the pass is repeated until
    no answer was slow (a worker that got no connection in one pass gets some in the next),
    at most :data:`WARM_PASSES` times. Returns how many answers were 201 per scenario name
    (the writes it made, counted with the scenario's own rows).
    """
    created = {name: 0 for name, _make, _c in scenarios}

    async def one_pass(i: int) -> float:
        nonlocal created
        conn, slowest_s = Connection(host, port), 0.0
        await asyncio.sleep(i * CONNECT_PAUSE_S)  # connect one at a time, see _load
        for name, make, _c in scenarios:
            for j in range(3):
                method, url, body = make(random.Random(1000 + 10 * i + j))
                t0 = time.perf_counter()
                status, _size = await conn.request(method, url, body)
                slowest_s = max(slowest_s, time.perf_counter() - t0)
                created[name] += status == 201
        await conn.close()
        return slowest_s

    for n in range(WARM_PASSES):
        slowest_s = max(await asyncio.gather(*(one_pass(i) for i in range(8))))
        if n and slowest_s < WARM_SLOWEST_S:
            break
    return created


def _cpu_s_by_process(server_pid: int) -> list[float]:
    """CPU seconds so far of each worker process of the server (or of the server itself)."""
    import psutil

    server = psutil.Process(server_pid)
    procs = sorted(server.children(recursive=True), key=lambda p: p.pid) or [server]
    return [sum(p.cpu_times()[:2]) for p in procs]


async def _run(
    base: str, scenarios, seconds: float, max_requests: int, server_pid: int
) -> tuple[list[Result], dict[str, int]]:
    """The results of every scenario, and the writes (201) of the warm-up per scenario."""
    host, port = base.removeprefix("http://").split(":")
    port = int(port)
    warm_created = await _warm_up(host, port, scenarios)
    results = []
    for name, make, clients in scenarios:
        before = _cpu_s_by_process(server_pid)
        result = await _load(host, port, name, make, clients, seconds, max_requests)
        after = _cpu_s_by_process(server_pid)
        result.cpu_s_by_process = [b - a for a, b in zip(before, after, strict=False)]
        results.append(result)
    return results, warm_created


def _table(results: list[Result]) -> str:
    baseline = results[0].throughput or float("nan")
    lines = [
        "| scenario | requests | errors | req/s | ratio to baseline | p50 ms | p95 ms | p99 ms "
        "| server CPU s by process |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cpu = " / ".join(f"{s:.2f}" for s in r.cpu_s_by_process)
        lines.append(
            f"| {r.name} | {len(r.latencies)} | {r.errors} | {r.throughput:.1f} | "
            f"{r.throughput / baseline:.3f} | {r.percentile_ms(50):.1f} | "
            f"{r.percentile_ms(95):.1f} | {r.percentile_ms(99):.1f} | {cpu} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Participation writes: fund proposals, survey answers, feedback decisions (own section)

WRITES_YEAR = 2030
"""Year of the benchmark's Verfügungsfonds (any year the API accepts)."""
FEEDBACK_ANNOTATIONS = 40
"""Approved contributions (Neu Olvenstedt) that the feedback decisions answer."""


@dataclass
class WriteSetup:
    """What the write scenarios need: a staff token, the survey and the approved ids."""

    moderator: str
    survey_id: str
    approved: list[str]


def _writes_setup(base: str, db: Path) -> WriteSetup:
    """Staff accounts, a fund (planner, via HTTP), a survey in Lauf and approved
    contributions in Neu Olvenstedt (boundary from the registry, EPSG:4326)."""
    import httpx

    from api.participation.store import open_store
    from geoquartier.registry import load_registry

    store = open_store(db)
    planner_user, planner = store.add_user("bench-writes-planner", "planner")
    moderator_user, moderator = store.add_user("bench-writes-moderator", "moderator")
    auth = {"Authorization": f"Bearer {planner}"}
    r = httpx.put(f"{base}/quartiers/lauf/funds/{WRITES_YEAR}", json={}, headers=auth)
    r.raise_for_status()
    r = httpx.post(
        f"{base}/quartiers/lauf/surveys",
        json={"question": "Wo fehlt eine Bank? (Lastprobe)", "choices": ["Bank", "Schatten"]},
        headers=auth,
    )
    r.raise_for_status()
    place = load_registry()["neu-olvenstedt"].boundary.representative_point()
    approved = []
    for i in range(FEEDBACK_ANNOTATIONS):
        a = store.add_annotation("neu-olvenstedt", place, "idea", f"Lastprobe {i}", "de")
        store.decide(a["id"], "approved", moderator_user)
        approved.append(a["id"])
    return WriteSetup(moderator=moderator, survey_id=r.json()["id"], approved=approved)


def _jitter(rng, point) -> list[float]:
    lon, lat = point
    return [lon + rng.uniform(-5e-4, 5e-4), lat + rng.uniform(-5e-4, 5e-4)]


def _write_scenarios(setup: WriteSetup, quartier_point, concurrency: int) -> list:
    """(name, request maker, clients, connection class) of each new write."""
    from geoquartier.vocabulary import APPLICANT_KINDS, FEEDBACK_STATUSES

    class StaffConnection(Connection):
        extra_headers = f"Authorization: Bearer {setup.moderator}\r\n"

    def proposal(rng):
        body = {
            "title": "Hochbeete im Innenhof (Lastprobe)",
            "description": "Drei Hochbeete für die Nachbarschaft.",
            "requested_cents": rng.randrange(10_000, 200_000),
            "own_cents": rng.randrange(0, 20_000),
            "applicant_kind": rng.choice(APPLICANT_KINDS),
            "contact": {"email": "lastprobe@example.org"},
            "geometry": {"type": "Point", "coordinates": _jitter(rng, quartier_point)},
        }
        url = f"/quartiers/lauf/funds/{WRITES_YEAR}/proposals"
        return "POST", url, json.dumps(body).encode("utf-8")

    def survey_answer(rng):
        body = {
            "geometry": {"type": "Point", "coordinates": _jitter(rng, quartier_point)},
            "choice": rng.choice(["Bank", "Schatten"]),
        }
        return "POST", f"/surveys/{setup.survey_id}/answers", json.dumps(body).encode("utf-8")

    def feedback(rng):
        body = {
            "status": rng.choice(FEEDBACK_STATUSES),
            "answer": "Wir prüfen das.",
            "answer_language": "de",
        }
        url = f"/moderation/annotations/{rng.choice(setup.approved)}/feedback"
        return "POST", url, json.dumps(body).encode("utf-8")

    c = concurrency
    return [
        (f"POST /quartiers/lauf/funds/{{year}}/proposals, {c} clients", proposal, c, Connection),
        (f"POST /surveys/{{id}}/answers, {c} clients", survey_answer, c, Connection),
        (
            f"POST /moderation/annotations/{{id}}/feedback, {c} clients",
            feedback,
            c,
            StaffConnection,
        ),
    ]


async def _run_writes(base: str, scenarios, seconds: float, max_requests: int) -> list[Result]:
    host, port = base.removeprefix("http://").split(":")
    results = []
    for name, make, clients, connection in scenarios:
        results.append(
            await _load(host, int(port), name, make, clients, seconds, max_requests, connection)
        )
    return results


def _write_rows(db: Path, setup: WriteSetup) -> list[int]:
    """Rows stored by each write scenario: proposals, survey answers, feedback log entries."""
    from api.participation import feedback_store, fund_store, surveys_store
    from api.participation.store import open_store

    store = open_store(db)
    log = sum(len(feedback_store.feedback_log(store, a)) for a in setup.approved)
    answers = surveys_store.results(store, setup.survey_id)["answers"]
    return [fund_store.count_proposals(store), answers, log]


def participation_writes(base: str, db: Path, quartier_point, args) -> dict:
    """Load the new participation writes on the running server; count their rows after."""
    setup = _writes_setup(base, db)
    scenarios = _write_scenarios(setup, quartier_point, args.concurrency)
    results = asyncio.run(_run_writes(base, scenarios, args.seconds, args.max_requests))
    return {"results": results, "rows": _write_rows(db, setup)}


def _writes_table(baseline: Result, writes: dict) -> str:
    """The section of the new writes: rates, p95, ratio to the annotation submissions of the
    same run, and answered vs stored rows."""
    lines = [
        "| write | requests | errors | req/s | ratio to annotation submissions | p50 ms "
        "| p95 ms | answered | rows | lost |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base_rate = baseline.throughput or float("nan")
    for r, rows in zip([baseline, *writes["results"]], [None, *writes["rows"]], strict=True):
        ok = r.statuses.get(201, 0) + r.statuses.get(200, 0)
        stored = "" if rows is None else str(rows)
        lost = "" if rows is None else str(ok - rows)
        lines.append(
            f"| {r.name}{' (baseline)' if rows is None else ''} | {len(r.latencies)} | "
            f"{r.errors} | {r.throughput:.1f} | {r.throughput / base_rate:.3f} | "
            f"{r.percentile_ms(50):.1f} | {r.percentile_ms(95):.1f} | "
            f"{ok} | {stored} | {lost} |"
        )
    return "\n".join(lines)


def print_writes(results: list[Result], writes: dict) -> None:
    """Print the participation-writes section against the annotation submissions."""
    baseline = next(r for r in results if r.name.startswith("POST /quartiers/lauf/annotations"))
    print("\nParticipation writes (same run, same server; baseline: annotation submissions)\n")
    print(_writes_table(baseline, writes))
    answered = [r.statuses.get(201, 0) + r.statuses.get(200, 0) for r in writes["results"]]
    exact = answered == writes["rows"]
    print(
        f"\nnew writes: answered {answered}, rows {writes['rows']} -> "
        f"{'zero lost or duplicated writes' if exact else 'MISMATCH'}"
    )
    for r in writes["results"]:
        other = {s: n for s, n in r.statuses.items() if s >= 400}
        if other:
            print(f"  {r.name}: error statuses {other}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (1..64)")
    parser.add_argument("--seconds", type=float, default=8.0, help="load time per scenario (s)")
    parser.add_argument("--max-requests", type=int, default=20000, help="cap per scenario")
    parser.add_argument("--workspace", help="use this GeoPackage (with Lauf) instead of importing")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: submissions on SQLite and PostgreSQL with 1 and 2 servers",
    )
    parser.add_argument("--database-url", help="PostgreSQL for --database postgres")
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 64 or not 0 < args.seconds <= 120:
        raise SystemExit("--concurrency must be 1..64 and --seconds 0..120")
    if args.database == "postgres":
        database_comparison(args)
        return

    start_load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="geoquartier-bench-") as tmp:
        root = Path(tmp)
        print("preparing the workspace (importing Lauf) ...", file=sys.stderr)
        gpkg = _prepare_workspace(root, args.workspace)
        db = root / "participation.sqlite"
        origins = _origins(gpkg, 200)
        from geoquartier.layers.store import GeoPackageStore

        store = GeoPackageStore(gpkg)
        n_buildings = len(store.read("buildings"))
        office = store.read("offices", quartier="lauf").geometry.iloc[0]
        try:
            server = _LoadServer(gpkg, db, args.workers, root)
        except RuntimeError as exc:
            raise SystemExit(f"the server did not start: {exc}") from None
        base = server.base
        try:
            survey_id = _new_survey(base, db)
            scenarios = _scenarios(
                origins,
                n_buildings,
                (office.x, office.y),
                args.concurrency,
                args.workers,
                survey_id,
            )
            run = _run(base, scenarios, args.seconds, args.max_requests, server.process.pid)
            try:
                import uvloop

                results, warm_created = uvloop.run(run)
            except ImportError:
                results, warm_created = asyncio.run(run)
            writes = participation_writes(base, db, (office.x, office.y), args)
        finally:
            server.stop()

        os.environ["GEOQUARTIER_PARTICIPATION_DB"] = str(db)
        from api.participation.store import open_store

        pstore = open_store(db)
        created = results[-1].statuses.get(201, 0) + warm_created[results[-1].name]
        load_average = os.getloadavg()
        rows = pstore.count_annotations(quartier="lauf", status="pending")
        ids = {a["id"] for a in pstore.list_annotations(quartier="lauf")}
        from api.participation.surveys_store import results as survey_results

        answered = results[-2].statuses.get(201, 0) + warm_created[results[-2].name]
        answer_sets = survey_results(pstore, survey_id)["answers"]

    print(
        f"\nAPI load on 127.0.0.1: {args.workers} uvicorn worker(s), {args.concurrency} concurrent "
        f"clients, {args.seconds:g} s per scenario, {os.cpu_count()} CPU cores; baseline: "
        f"GET /conformance in the same run; load average before/after the run "
        f"{_loads(start_load)} / {_loads(load_average)}\n"
    )
    print(_table(results))
    submissions = results[-1]
    nearest = results[3]
    nearest_light = results[4]
    print()
    print(
        f"writes: {created} submissions answered 201, {rows} pending rows, {len(ids)} distinct ids "
        f"-> {'zero lost or duplicated writes' if rows == created == len(ids) else 'MISMATCH'}"
    )
    print(
        f"survey writes: {answered} answer sets answered 201, {answer_sets} stored "
        f"-> {'zero lost or duplicated writes' if answered == answer_sets else 'MISMATCH'}"
    )
    print(
        f"goal >= {GOAL_SUBMISSIONS_PER_S:g} submissions/s: {submissions.throughput:.0f}/s "
        f"({'met' if submissions.throughput >= GOAL_SUBMISSIONS_PER_S else 'not met'})"
    )
    for r in (nearest, nearest_light):
        p95 = r.percentile_ms(95)
        print(
            f"goal /services/nearest p95 <= {GOAL_NEAREST_P95_MS:g} ms ({r.name}): {p95:.1f} ms "
            f"({'met' if p95 <= GOAL_NEAREST_P95_MS else 'not met'})"
        )
    for r in results:
        other = {s: n for s, n in r.statuses.items() if s >= 400}
        if other:
            print(f"  {r.name}: error statuses {other}")
    print_writes(results, writes)


# -- submissions on both participation backends (--database postgres) --------------------

PG_SERVERS = (1, 2)
"""Numbers of app servers (separate processes) measured per backend."""


class _BoundConnection(Connection):
    """A keep-alive connection from its own loopback address (its own rate-limit client)."""

    def __init__(self, host: str, port: int, local_host: str):
        super().__init__(host, port)
        self.local_host = local_host

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, local_addr=(self.local_host, 0)
        )


async def _load_servers(
    bases: list[str], make_request, concurrency: int, seconds: float, max_requests: int
) -> Result:
    """Like :func:`_load`, client ``i`` on server ``i mod len(bases)``."""
    result = Result(f"{len(bases)} server(s)")
    budget = _Budget(time.perf_counter() + seconds, max_requests)

    def worker(wid: int):
        host, port = bases[wid % len(bases)].removeprefix("http://").split(":")
        conn = _BoundConnection(host, int(port), f"127.0.0.{10 + wid}")
        return _drive(conn, make_request, random.Random(wid), result, budget)

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result


def _submission_request(quartier_point):
    lon, lat = quartier_point

    def submit(rng):
        body = {
            "geometry": {
                "type": "Point",
                "coordinates": [lon + rng.uniform(-5e-4, 5e-4), lat + rng.uniform(-5e-4, 5e-4)],
            },
            "kind": rng.choice(["idea", "problem", "praise", "question"]),
            "text": "Mehr Bänke am Weg zur Pegnitz – Lastprobe",
            "language": "de",
        }
        return "POST", "/quartiers/lauf/annotations", json.dumps(body).encode("utf-8")

    return submit


@dataclass
class _BackendRun:
    """One measured configuration: backend, servers, the load result and the row count."""

    backend: str
    servers: int
    result: Result
    warm_created: int = 0
    rows: int = 0
    distinct: int = 0

    @property
    def created(self) -> int:
        """Submissions answered 201 (warm-up included): each must be one row."""
        return self.result.statuses.get(201, 0) + self.warm_created


def _backend_env(backend: str, root: Path, url: str | None, schema: str) -> dict[str, str]:
    env = {
        "GEOQUARTIER_WORKSPACE": str(root / "no-workspace.gpkg"),
        "GEOQUARTIER_ANNOTATIONS_PER_MINUTE": "10000000",  # on, out of reach
    }
    if backend == "sqlite":
        return env | {"GEOQUARTIER_PARTICIPATION_DB": str(root / f"{schema}.sqlite")}
    return env | {
        "GEOQUARTIER_DATABASE_URL": url,
        "GEOQUARTIER_DATABASE_SCHEMA": f"{schema}_layers",
        "GEOQUARTIER_PARTICIPATION_SCHEMA": schema,
    }


def _count_rows(backend: str, root: Path, url: str | None, schema: str) -> tuple[int, int]:
    """(rows, distinct ids) of the run's participation database."""
    from api.participation.db import PostgresDatabase
    from api.participation.store import ParticipationStore

    if backend == "sqlite":
        store = ParticipationStore(root / f"{schema}.sqlite")
    else:
        store = ParticipationStore(database=PostgresDatabase(url, schema))
    try:
        ids = [a["id"] for a in store.list_annotations(quartier="lauf")]
    finally:
        store.close()
    return len(ids), len(set(ids))


def _drop_schemas(url: str, schemas: list[str]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        for name in schemas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _measure_backend(backend, servers, root, url, args, submit) -> _BackendRun:
    """Start ``servers`` app servers on a fresh database of ``backend``, load them with
    submissions, stop them and count the rows."""
    schema = f"bench_{backend}_{servers}_{os.getpid()}"
    env = _backend_env(backend, root, url, schema)
    started = [UvicornServer(env, root, ready_path="/events") for _ in range(servers)]
    try:
        bases = [s.base for s in started]
        warm = _load_servers(bases, submit, 2 * servers, 1.0, 8 * servers)
        warmed = asyncio.run(warm)
        load = _load_servers(bases, submit, args.concurrency, args.seconds, args.max_requests)
        result = asyncio.run(load)
    finally:
        for server in started:
            server.stop()
    rows, distinct = _count_rows(backend, root, url, schema)
    return _BackendRun(backend, servers, result, warmed.statuses.get(201, 0), rows, distinct)


def _comparison_table(runs: list[_BackendRun]) -> str:
    baseline = runs[0].result.throughput or float("nan")
    lines = [
        "| participation store | app servers | submissions | errors | submissions/s "
        "| ratio to SQLite, 1 server | p50 ms | p95 ms | p99 ms | rows counted "
        "| lost or duplicated |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        r = run.result
        lost = abs(run.created - run.rows) + (run.rows - run.distinct)
        lines.append(
            f"| {run.backend} | {run.servers} | {len(r.latencies)} | {r.errors} | "
            f"{r.throughput:.1f} | {r.throughput / baseline:.2f} | {r.percentile_ms(50):.1f} | "
            f"{r.percentile_ms(95):.1f} | {r.percentile_ms(99):.1f} | {run.rows} | {lost} |"
        )
    return "\n".join(lines)


def database_comparison(args) -> None:
    """``--database postgres``: submissions/s and p95 on SQLite and PostgreSQL, 1 and 2
    servers, zero lost writes checked by counting rows; prints a markdown table."""
    url = (
        args.database_url
        or os.environ.get("GEOQUARTIER_DATABASE_URL")
        or os.environ.get("GEOQUARTIER_TEST_DATABASE_URL")
    )
    if not url:
        raise SystemExit(
            "--database postgres needs a PostgreSQL database: --database-url URL (or "
            'GEOQUARTIER_DATABASE_URL); a throw-away one: eval "$(.ci/postgis start)"'
        )
    from geoquartier.registry import load_registry

    inside = load_registry()["lauf"].boundary.representative_point()
    submit = _submission_request((inside.x, inside.y))
    start_load = os.getloadavg()
    runs: list[_BackendRun] = []
    with tempfile.TemporaryDirectory(prefix="geoquartier-bench-") as tmp:
        root = Path(tmp)
        try:
            for backend in ("sqlite", "postgres"):
                for servers in PG_SERVERS:
                    print(f"measuring {backend}, {servers} server(s) ...", file=sys.stderr)
                    runs.append(_measure_backend(backend, servers, root, url, args, submit))
        finally:
            _drop_schemas(
                url,
                [
                    f"bench_postgres_{n}_{os.getpid()}{tail}"
                    for n in PG_SERVERS
                    for tail in ("", "_layers")
                ],
            )
    print(
        f"\nSubmissions (POST /quartiers/lauf/annotations) on 127.0.0.1: {args.concurrency} "
        f"concurrent clients (each its own address, rate limit on but out of reach), "
        f"{args.seconds:g} s per run, {os.cpu_count()} CPU cores, 1 uvicorn process per "
        f"server; baseline: SQLite with 1 server in the same run; load average before/after "
        f"{_loads(start_load)} / {_loads(os.getloadavg())}\n"
    )
    print(_comparison_table(runs))
    print()
    for run in runs:
        verdict = "zero lost or duplicated writes"
        if not run.created == run.rows == run.distinct:
            verdict = "MISMATCH"
        print(
            f"{run.backend}, {run.servers} server(s): {run.created} answered 201 (warm-up "
            f"included), {run.rows} rows, {run.distinct} distinct ids -> {verdict}"
        )
    for run in runs:
        if run.backend == "postgres":
            rate = run.result.throughput
            print(
                f"goal >= {GOAL_SUBMISSIONS_PER_S:g} submissions/s on PostgreSQL with "
                f"{run.servers} server(s): {rate:.0f}/s "
                f"({'met' if rate >= GOAL_SUBMISSIONS_PER_S else 'not met'})"
            )


if __name__ == "__main__":
    main()
