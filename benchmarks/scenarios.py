"""Benchmark: comparing one planning scenario next to one base coverage run, on Lauf.

Real data: Lauf an der Pegnitz's walk extract, its amenities (every category) and
residents spread over its residential buildings (26,000 in total, by floor area). The
scenario has 3 edits: a 3 m footway closing the network's largest detour gap, a ramp
instead of the steps with the largest wheelchair detour, and a new pharmacy.

Rows (seconds, best of ``--repeat`` rounds after one warm-up round, the three runs
interleaved in each round; ratio against the base run):

* base coverage: :func:`coverage` for all categories × 3 profiles × 3 thresholds;
* compare, base reused: :func:`compare` with ``before=`` the base run's nearest results
  — applies the edits, builds the edited network and searches again only what the edits
  can change: per profile, one search from the edited places on each network gives an
  exact bound (geoquartier/mobility/scenarios/reuse.py); categories it cannot rule out
  and those whose facilities changed get their multi-source search on the new arrays;
* compare, both sides: :func:`compare` computing "before" as well.

Snapping results are kept per network for the same points, so every row after the
warm-up reuses the homes' snapping on the base network (the baseline too).

    python benchmarks/scenarios.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from geoquartier.mobility import coverage, get_profile, residents_from_buildings
from geoquartier.mobility.scenarios import Scenario, compare, nearest_all

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from mobility_fixtures import _lauf_amenities, _lauf_buildings, _lauf_network  # noqa: E402
from test_scenarios import _deg_line, _deg_point, _gap, _steps_bridge  # noqa: E402

PROFILES = ("standard", "senior", "wheelchair")
MINUTES = (5, 10, 15)


def _scenario(net) -> Scenario:
    a, b, _ = _gap(net)
    e = _steps_bridge(net)
    geom = net.edge_geometry[e]
    p = geom.interpolate(0.5, normalized=True)
    q = geom.interpolate(min(0.5 + 1.0 / geom.length, 1.0), normalized=True)
    d = np.array([-(q.y - p.y), q.x - p.x]) / np.hypot(q.y - p.y, q.x - p.x) * 0.5
    s = Scenario("lauf", "Benchmark: Steg, Rampe, Apotheke (3 edits)")
    s.add("way_add", _deg_line([[net.node_x[a], net.node_y[a]], [net.node_x[b], net.node_y[b]]]))
    s.add(
        "way_tags",
        _deg_line([[p.x - d[0], p.y - d[1]], [p.x + d[0], p.y + d[1]]]),
        tags={"highway": "footway", "wheelchair": "yes"},
    )
    s.add("facility_add", _deg_point(net.node_x[a], net.node_y[a]), category="pharmacy")
    return s


def _best_interleaved(fns: list, repeat: int) -> tuple[list[float], list]:
    """Best time of each function over ``repeat`` rounds after one warm-up round; each
    round runs every function once, so that all of them meet the same load of a shared
    machine."""
    outs = [fn() for fn in fns]  # warm-up
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            outs[i] = fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best, outs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    net = _lauf_network()
    population = residents_from_buildings(_lauf_buildings(), 26000)
    facilities = _lauf_amenities()
    scenario = _scenario(net)
    for p in PROFILES:
        get_profile(p).allowed_edges(net)

    # the base run as a planner makes it: coverage for every profile (nearest inside)
    before = nearest_all(net, population, facilities, PROFILES)
    (t_base, t_reuse, t_both), (_, result, _) = _best_interleaved(
        [
            lambda: coverage(net, population, facilities, MINUTES, PROFILES),
            lambda: compare(
                scenario, net, population, facilities, MINUTES, PROFILES, before=before
            ),
            lambda: compare(scenario, net, population, facilities, MINUTES, PROFILES),
        ],
        args.repeat,
    )
    cats = facilities["category"].nunique()
    print(
        f"Lauf: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {len(population):,} homes, "
        f"{len(facilities):,} facilities in {cats} categories, {len(PROFILES)} profiles × "
        f"{len(MINUTES)} thresholds; best of {args.repeat}\n"
    )
    print("| run | seconds | × base coverage |")
    print("|---|---:|---:|")
    for name, t in (
        ("base coverage (baseline)", t_base),
        ("compare, base reused (after side only)", t_reuse),
        ("compare, both sides", t_both),
    ):
        print(f"| {name} | {t:.2f} | {t / t_base:.2f} |")
    print(f"\nrecomputed: {result.recomputed}")
    for line in result.edited.log:
        print(line)
    changed = result.coverage[result.coverage["difference"] != 0]
    print(f"{len(changed)} of {len(result.coverage)} rows change")


if __name__ == "__main__":
    main()
