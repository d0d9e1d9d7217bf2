"""Benchmark of the planning models against the tools a planner would otherwise combine.

Lauf an der Pegnitz (the registry quartier ``lauf``: real walk network, OSM extract,
1,957 population points with residents estimated over residential floor area), imported
into a temporary workspace (not timed). Demand: every population point, weighted by
residents; T = 10 minutes for the ``senior`` profile (3 km/h); the Stadtbüro is the
existing office, so the models count residents *newly* within T.

1. Location choice (MCLP), k = 1..5, on two candidate sets: the default candidates
   (buildings and addresses with a public, community, religious, educational, retail or
   office use, and the other facilities) and every building of the quartier (as a
   planner's candidate file would list them).

   * geoquartier: coverage sets from bounded multi-source searches (``travel_times``,
     snapping included) + the exact MILP (HiGHS via ``scipy.optimize.milp``);
   * baseline: the same network as a networkx graph (CSR edges plus every candidate and
     demand point as a node on its edge, with the same snapped positions; snapping not
     timed, building the graph timed on its own row and shown both left out of and
     added to the end-to-end figure), ``nx.single_source_dijkstra_path_length`` with
     ``cutoff`` per candidate, then spopt ``MCLP.from_cost_matrix`` solved with CBC.

   The inputs are built once per candidate set and the solves for k = 1..5 (every
   building: k = 1, 2 by default, ``--building-ks``; CBC takes minutes per k there) added
   up; the objectives must be identical (asserted).

2. Supply (E2SFCA) of grocery and doctors' hours (OSM ``opening_hours``, week 2026-W49,
   Bavarian holidays) within 10 minutes, against networkx per facility (the same graph as
   above) + the PySAL ``access`` library's E2SFCA with the same step weights; per-home
   values must agree within 1e-9 (asserted). Rows, each pairing like with like:

   * the computation itself: walking times within T from the counted facilities
     (``travel_times``) + the two steps (``e2sfca``) — with the homes already snapped
     (a repeated question) against the networkx graph given, and with the snapping
     against the graph built (which snaps the same homes);
   * ``supply()`` end to end (inputs checked, weekly hours, result GeoDataFrames and
     figures): repeated — snapped points and weekly hours remembered — against the
     baseline with graph and hours given; first call against graph built + hours
     computed (the same hours function).

   Every E2SFCA figure is the best of 5 runs, on both sides (first calls: what is
   remembered is forgotten before each run).

    python benchmarks/planning.py [--skip-buildings] [--skip-mclp]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pulp

from geoquartier.importer import import_quartier
from geoquartier.layers.store import GeoPackageStore
from geoquartier.mobility import network_for, paths
from geoquartier.mobility.catchment import nearest_minutes, travel_times
from geoquartier.mobility.inputs import as_points
from geoquartier.mobility.locate import demand_of, mclp_inputs
from geoquartier.mobility.optimize import mclp_milp
from geoquartier.mobility.planning_inputs import default_candidates, planning_facilities
from geoquartier.mobility.profiles import get_profile
from geoquartier.mobility.snapping import snap_points
from geoquartier.mobility.supply import (
    e2sfca,
    facility_supply,
    hours_in_week,
    reference_week,
    supply,
)
from geoquartier.registry import load_registry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from planning_fixtures import access_e2sfca  # noqa: E402

NX_NAME = "networkx cutoff Dijkstra per candidate"
NX_ACCESS = "networkx + access E2SFCA"
T_MIN = 10.0
PROFILE = "senior"
KS = (1, 2, 3, 4, 5)
WEEK = "2026-W49"


def load():
    """Lauf in a temporary workspace: network, population, facilities, candidates."""
    spec = load_registry()["lauf"]
    folder = Path(tempfile.mkdtemp(prefix="bench-planning-"))
    store = GeoPackageStore(folder / "ws.gpkg")
    import_quartier(spec, store, progress=False)
    facilities = planning_facilities(store, spec.id)
    buildings = store.read("buildings", quartier=spec.id)
    every_building = buildings[["id", "geometry"]].copy()
    return {
        "spec": spec,
        "network": network_for(spec),
        "population": store.read("population", quartier=spec.id),
        "facilities": facilities,
        "office": facilities[facilities["category"] == "office"],
        "candidates": default_candidates(spec, store, facilities, "office"),
        "buildings": every_building,
    }


# ------------------------------------------------------------------ networkx baseline
def nx_graph(network, prof, cand_pts, dem_pts):
    """The profile's graph in networkx with every candidate ("c", j) and demand point
    ("d", i) as a node on its snapped edge (the engine's own snapping)."""
    pg = paths.profile_graph(network, prof)
    G = nx.Graph()
    rows = np.repeat(np.arange(pg.n), np.diff(pg.indptr))
    G.add_weighted_edges_from(
        zip(rows.tolist(), pg.indices.tolist(), pg.data.tolist(), strict=True), weight="w"
    )
    cs = snap_points(network, cand_pts.x, cand_pts.y, pg.allowed)
    ds = snap_points(network, dem_pts.x, dem_pts.y, pg.allowed)
    for tag, snap in (("c", cs), ("d", ds)):
        for i in np.flatnonzero(snap.edge >= 0):
            e = snap.edge[i]
            u, v = int(network.edge_u[e]), int(network.edge_v[e])
            acc, off, length = snap.access_m[i], snap.offset_m[i], network.edge_length_m[e]
            wu, wv = max(acc + off, paths.EPSILON_M), max(acc + length - off, paths.EPSILON_M)
            if u == v:  # a loop: its end is reached the shorter way round
                wu = wv = min(wu, wv)
            G.add_edge((tag, int(i)), u, w=wu)
            G.add_edge((tag, int(i)), v, w=wv)
    p, s, d = paths.same_edge_pairs(ds, cs.take(np.flatnonzero(cs.edge >= 0)))
    on_c = np.flatnonzero(cs.edge >= 0)
    for pi, si, di in zip(p.tolist(), s.tolist(), d.tolist(), strict=True):
        G.add_edge(("c", int(on_c[si])), ("d", pi), w=di + ds.access_m[pi])
    return G


def nx_minutes(G, n_cand, n_dem, limit_m, speed):
    """(demand × candidates) minutes by one cutoff Dijkstra per candidate; 1e6 beyond."""
    cost = np.full((n_dem, n_cand), 1e6)
    for j in range(n_cand):
        if ("c", j) not in G:
            continue
        lengths = nx.single_source_dijkstra_path_length(G, ("c", j), cutoff=limit_m, weight="w")
        for node, d in lengths.items():
            if isinstance(node, tuple) and node[0] == "d":
                cost[node[1], j] = d / speed
    return cost


# ---------------------------------------------------------------------------- MCLP
def bench_mclp(data, cand_gdf, label, rows, ks=KS):
    net, prof = data["network"], get_profile(PROFILE)
    demand = demand_of(data["population"])
    cand = as_points(cand_gdf, "candidates")
    start = time.perf_counter()
    base = nearest_minutes(net, as_points(data["office"], "office"), demand.points, prof)
    times = travel_times(net, cand, demand.points, prof, T_MIN)
    cover, w = mclp_inputs(times, demand.weight, base, T_MIN)
    ours_build = time.perf_counter() - start
    useful = np.flatnonzero(w > 0)

    start = time.perf_counter()
    G = nx_graph(net, prof, cand, demand.points)
    graph_s = time.perf_counter() - start
    start = time.perf_counter()
    cost = nx_minutes(
        G, len(cand), len(demand.weight), T_MIN * prof.speed_m_per_min, prof.speed_m_per_min
    )
    base_build = time.perf_counter() - start

    ours_solve = base_solve = 0.0
    for k in ks:
        start = time.perf_counter()
        sol = mclp_milp(cover[:, useful], w[useful], k)
        ours_solve += time.perf_counter() - start
        from spopt.locate import MCLP

        start = time.perf_counter()
        model = MCLP.from_cost_matrix(cost[useful], w[useful], service_radius=T_MIN, p_facilities=k)
        model.solve(pulp.PULP_CBC_CMD(msg=False))
        base_solve += time.perf_counter() - start
        theirs = model.problem.objective.value()
        assert abs(sol.objective - theirs) < 1e-6, (k, sol.objective, theirs)
        print(f"  {label} k={k}: {sol.objective:,.0f} residents newly within {T_MIN:g} min "
              f"(spopt: {theirs:,.0f}; gap {sol.gap:g})", flush=True)  # fmt: skip
    n = f"{len(cand):,} candidates × {len(useful):,} demand points"
    rows += [
        (f"MCLP {label} ({n}): coverage sets", ours_build, NX_NAME, base_build),
        (f"MCLP {label}: networkx graph with the points on their edges", None, "", graph_s),
        (f"MCLP {label}: exact solves k={_ks(ks)}", ours_solve, "spopt MCLP + CBC", base_solve),
        (
            f"MCLP {label}: end to end (graph given to networkx)",
            ours_build + ours_solve,
            "networkx + spopt",
            base_build + base_solve,
        ),
        (
            f"MCLP {label}: end to end (networkx graph built)",
            ours_build + ours_solve,
            "networkx + spopt",
            graph_s + base_build + base_solve,
        ),
    ]


def _ks(ks) -> str:
    return f"{ks[0]}..{ks[-1]}" if len(ks) > 2 else ",".join(map(str, ks))


# -------------------------------------------------------------------------- E2SFCA
def _cold(network) -> None:
    """Forget what a repeated question reuses: snapped points and weekly hours."""
    network._cache.pop("snap_memo", None)
    hours_in_week.cache_clear()


def _clock(fn, repeat: int = 1, setup=None) -> tuple[float, object]:
    """Best of ``repeat`` timings of ``fn()`` (seconds; ``setup()`` before each, untimed)
    and its last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench_e2sfca(data, category, rows, repeat=5):
    import access  # noqa: F401  (imported before the clock starts)

    net, prof, state = data["network"], get_profile(PROFILE), data["spec"].state
    fac = data["facilities"][data["facilities"]["category"] == category].reset_index(drop=True)
    monday = reference_week(WEEK)

    def ours_supply():
        return supply(net, data["population"], fac, minutes=T_MIN, profile=PROFILE, state=state,
                      week=WEEK)  # fmt: skip

    def cold():
        _cold(net)

    supply_cold, result = _clock(ours_supply, repeat, cold)
    supply_warm, _ = _clock(ours_supply, repeat)
    counted = (result.facilities["status"] == "counted").to_numpy()
    hours = result.facilities.loc[counted, "supply"].to_numpy()
    demand = demand_of(data["population"])
    pts = as_points(fac[counted], "f")

    def ours_core():  # the walking times within T from the facilities + the two steps
        times = travel_times(net, pts, demand.points, prof, T_MIN)
        return e2sfca(times, demand.weight, hours, T_MIN)[0]

    core_cold, ours = _clock(ours_core, repeat, cold)
    core_warm, _ = _clock(ours_core, repeat)
    graph_s, G = _clock(lambda: nx_graph(net, prof, pts, demand.points), repeat)
    hours_s, _ = _clock(lambda: facility_supply(fac, state=state, monday=monday), repeat, cold)
    limit_m, speed = T_MIN * prof.speed_m_per_min, prof.speed_m_per_min

    def baseline():
        cost = nx_minutes(G, len(pts), len(demand.weight), limit_m, speed)
        dem, sit = np.nonzero(cost < 1e6)
        return access_e2sfca(demand.weight, hours, dem, sit, cost[dem, sit], T_MIN)

    base_s, theirs = _clock(baseline, repeat)
    diff = max(
        np.abs(result.cells["hours_per_1000"].to_numpy() / 1000 - theirs).max(),
        np.abs(ours - theirs).max(),
    )
    assert diff <= 1e-9, diff
    print(f"  E2SFCA {category}: {int(counted.sum())} facilities counted, "
          f"max difference to access {diff:.1e}", flush=True)  # fmt: skip
    task = f"E2SFCA {category} ({int(counted.sum())} of {len(fac)} facilities)"
    rows += [
        (f"{task}: times within T + two steps, points snapped / graph given", core_warm,
         NX_ACCESS, base_s),
        (f"{task}: times within T + two steps, snapping / graph built", core_cold, NX_ACCESS,
         graph_s + base_s),
        (f"{task}: supply() end to end, repeated (snaps and hours remembered) / graph and "
         "hours given", supply_warm, NX_ACCESS, base_s),
        (f"{task}: supply() end to end, first call / graph built, hours computed", supply_cold,
         NX_ACCESS, graph_s + hours_s + base_s),
    ]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-buildings", action="store_true", help="only the default candidates")
    parser.add_argument(
        "--building-ks",
        default="1,2",
        help="k for the every-building set (spopt + CBC needs minutes per k there)",
    )
    parser.add_argument("--skip-mclp", action="store_true", help="only the E2SFCA rows")
    args = parser.parse_args()
    print("# importing Lauf into a temporary workspace ...", flush=True)
    data = load()
    # warm-up: the profile graph and snapping indexes are built once per network
    office = as_points(data["office"], "o")
    travel_times(data["network"], office, office, get_profile(PROFILE), T_MIN)
    rows: list[tuple] = []
    if not args.skip_mclp:
        print("# MCLP, default candidates ...", flush=True)
        bench_mclp(data, data["candidates"], "default candidates", rows)
    if not (args.skip_buildings or args.skip_mclp):
        print("# MCLP, every building ...", flush=True)
        ks = tuple(int(k) for k in args.building_ks.split(","))
        bench_mclp(data, data["buildings"], "every building", rows, ks)
    print("# E2SFCA ...", flush=True)
    for category in ("grocery", "doctors"):
        bench_e2sfca(data, category, rows)
    print()
    print(
        f"Lauf, T = {T_MIN:g} min, profile {PROFILE}, {len(data['population']):,} population points"
    )
    print()
    print("| task | geoquartier (s) | baseline | baseline (s) | speed-up |")
    print("|---|---:|---|---:|---:|")
    for task, ours, name, base in rows:
        if ours is None:
            print(f"| {task} |  | {name} | {_s(base)} |  |")
        else:
            print(f"| {task} | {_s(ours)} | {name} | {_s(base)} | {base / ours:.1f}× |")


def _s(seconds: float) -> str:
    """Seconds with three significant decimals below 0.1 s (a 1 ms task is not 0.001)."""
    return f"{seconds:.3f}" if seconds >= 0.1 else f"{seconds:.4f}"


if __name__ == "__main__":
    main()
