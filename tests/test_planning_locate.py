"""Location choice on Lauf's walk network: MCLP and p-median against spopt, coverage
sets against networkx, the command line and its errors (real data)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pulp
import pyogrio
import pytest
from mobility_fixtures import node_points
from planning_fixtures import assert_cli_refuses, run_cli
from spopt.locate import MCLP, PMedian

from geoquartier.errors import GeoquartierError
from geoquartier.mobility.catchment import travel_times
from geoquartier.mobility.inputs import as_points
from geoquartier.mobility.locate import (
    UNSERVED_MIN,
    demand_of,
    locate,
    mclp_inputs,
)
from geoquartier.mobility.profiles import get_profile

pytest_plugins = ["planning_fixtures", "mobility_fixtures"]

CBC = pulp.PULP_CBC_CMD(msg=False)


def _office(ws):
    return ws.facilities[ws.facilities["category"] == "office"]


def _locate_office(ws, **options):
    """``locate`` on Lauf's population and default candidates, beside its office."""
    return locate(ws.network, ws.population, ws.candidates, _office(ws), **options)


def _base_minutes(ws, population, profile):
    from geoquartier.mobility.catchment import nearest_minutes

    demand = demand_of(population)
    return nearest_minutes(
        ws.network, as_points(_office(ws), "office"), demand.points, get_profile(profile)
    )


def test_default_candidates_have_a_use_and_a_point(lauf_planning):
    cand = lauf_planning.candidates
    assert len(cand) > 200
    assert cand["id"].is_unique
    assert cand.geometry.geom_type.eq("Point").all()
    uses = set(";".join(cand["use"]).split(";"))
    assert {"retail", "office", "educational", "religious", "public", "community"} <= uses
    # existing facilities of the other categories are candidates, the office itself is not
    assert any(u.startswith("existing ") for u in uses)
    assert "existing office" not in uses
    assert cand["address"].notna().mean() > 0.8


def test_coverage_sets_equal_networkx(lauf_network, lauf_graph):
    net = lauf_network
    rng = np.random.default_rng(7)
    sites = node_points(net, rng.choice(net.n_nodes, 6, replace=False))
    homes = node_points(net, rng.choice(net.n_nodes, 300, replace=False))
    prof = get_profile("senior")
    t = 10.0
    times = travel_times(net, as_points(sites, "s"), as_points(homes, "h"), prof, t)
    limit_m = t * prof.speed_m_per_min
    for j, sid in enumerate(sites["id"]):
        lengths = nx.single_source_dijkstra_path_length(
            lauf_graph, int(sid), cutoff=limit_m, weight="length"
        )
        expected = {i for i, hid in enumerate(homes["id"]) if int(hid) in lengths}
        mine = times.site == j
        assert set(times.demand[mine].tolist()) == expected
        for i, minutes in zip(times.demand[mine], times.minutes[mine], strict=True):
            assert minutes * prof.speed_m_per_min == pytest.approx(
                lengths[int(homes["id"].iloc[i])], abs=1e-6
            )


@pytest.mark.parametrize("k", [1, 2, 3])
def test_mclp_equals_spopt(lauf_planning, k):
    ws = lauf_planning
    prof = get_profile("senior")
    demand = demand_of(ws.population)
    base = _base_minutes(ws, ws.population, "senior")
    cand = as_points(ws.candidates, "candidates")
    times = travel_times(ws.network, cand, demand.points, prof, 10.0)
    cover, w = mclp_inputs(times, demand.weight, base, 10.0)
    result = _locate_office(ws, minutes=10, profile="senior", sites=k, model="mclp")
    s = result.summary
    assert s["gap"] == 0 and s["solver"] == ("enumeration" if k == 1 else "milp")
    # spopt on the same coverage sets: demand still uncovered, cost in minutes
    rows = np.flatnonzero(w > 0)
    cost = times.dense(fill=1e6).T[rows]
    model = MCLP.from_cost_matrix(cost, w[rows], service_radius=10.0, p_facilities=k)
    model.solve(CBC)
    assert s["objective"] == pytest.approx(model.problem.objective.value(), rel=1e-12)
    assert s["residents_newly_within"] == pytest.approx(s["objective"])
    assert result.sites["residents_new"].sum() == pytest.approx(s["objective"])
    assert len(result.sites) == k and result.sites["address"].notna().all()


def test_mclp_counts_only_residents_newly_within(lauf_planning):
    from geoquartier.mobility import coverage

    ws = lauf_planning
    result = _locate_office(ws, minutes=10, profile="senior")
    table = coverage(ws.network, ws.population, _office(ws), 10, profiles=["senior"])
    assert result.summary["residents_within_before"] == pytest.approx(
        float(table["residents_within"].iloc[0])
    )
    assert result.summary["residents_within_before"] > 0
    # the chosen site's catchment without the office's residents
    alone = locate(ws.network, ws.population, ws.candidates, None, minutes=10, profile="senior")
    assert alone.summary["residents_within_before"] == 0
    assert alone.summary["objective"] >= result.summary["objective"]


def test_pmedian_equals_spopt(lauf_planning):
    ws = lauf_planning
    population = ws.population.iloc[::4].reset_index(drop=True)
    candidates = ws.candidates.iloc[::8].reset_index(drop=True)
    k = 2
    result = locate(
        ws.network,
        population,
        candidates,
        _office(ws),
        minutes=10,
        profile="standard",
        sites=k,
        model="pmedian",
    )
    s = result.summary
    assert s["gap"] == 0
    # the full cost matrix (unbounded searches), each entry capped at the walk to the
    # existing office: min over sites of min(cost, current) is the cost with the office
    prof = get_profile("standard")
    demand = demand_of(population)
    base = _base_minutes(ws, population, "standard")
    times = travel_times(
        ws.network, as_points(candidates, "c"), demand.points, prof, UNSERVED_MIN * 10
    )
    rows = np.flatnonzero(np.isfinite(base))
    current = np.minimum(base, UNSERVED_MIN)[rows]
    cost = np.minimum(times.dense().T[rows], current[:, None])
    model = PMedian.from_cost_matrix(cost, demand.weight[rows], p_facilities=k)
    model.solve(CBC)
    assert s["objective"] == pytest.approx(model.problem.objective.value(), rel=1e-9)
    assert s["mean_min_after"] < s["mean_min_before"]
    assert s["mean_min_after"] == pytest.approx(s["objective"] / demand.weight[rows].sum())


def test_greedy_is_no_better_than_exact(lauf_planning):
    ws = lauf_planning
    candidates = ws.candidates.iloc[::3]  # a third of them keeps the exact p-median quick
    for model in ("mclp", "pmedian"):
        kwargs = dict(minutes=10, profile="senior", sites=3, model=model)
        exact = locate(ws.network, ws.population, candidates, _office(ws), **kwargs)
        greedy = locate(ws.network, ws.population, candidates, _office(ws), greedy=True, **kwargs)
        assert greedy.summary["solver"] == "greedy"
        if model == "mclp":
            assert greedy.summary["objective"] <= exact.summary["objective"] + 1e-9
            assert 0 <= greedy.summary["gap"] < 0.5
        else:
            assert greedy.summary["objective"] >= exact.summary["objective"] - 1e-6


def test_more_sites_never_cover_fewer(lauf_planning):
    ws = lauf_planning
    values = [
        _locate_office(ws, minutes=5, profile="wheelchair", sites=k).summary["objective"]
        for k in (1, 2, 3)
    ]
    assert values[0] > 0 and values[0] <= values[1] <= values[2]


def test_bad_arguments_raise_clear_errors(lauf_planning):
    ws = lauf_planning
    args = (ws.network, ws.population, ws.candidates, _office(ws))
    with pytest.raises(GeoquartierError, match="unknown profile 'runner'"):
        locate(*args, profile="runner")
    with pytest.raises(GeoquartierError, match="unknown model"):
        locate(*args, model="pcenter")
    with pytest.raises(GeoquartierError, match="sites must be"):
        locate(*args, sites=0)
    with pytest.raises(GeoquartierError, match="minutes must lie"):
        locate(*args, minutes=-5)
    with pytest.raises(GeoquartierError, match="only 2 candidate"):
        locate(ws.network, ws.population, ws.candidates.iloc[:2], None, sites=3)


# ------------------------------------------------------------------------------ CLI
def test_locate_command_writes_sites_and_prints_a_summary(planning_env, tmp_path):
    out = tmp_path / "sites.gpkg"
    res = run_cli(
        ["locate", "lauf", "--category", "office", "--minutes", "10", "--profile", "senior",
         "--sites", "2", "-o", str(out)]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "2 sites: " in res.output
    assert "residents newly within 10 min for seniors: " in res.output
    sites = pyogrio.read_dataframe(out, layer="locate_sites")
    runs = pyogrio.read_dataframe(out, layer="locate_runs")
    assert len(sites) == 2 and len(runs) == 1
    assert set(sites["run_id"]) == set(runs["run_id"])
    assert runs["gap"].iloc[0] == 0
    assert sites["residents_new"].sum() == pytest.approx(runs["objective"].iloc[0])
    csv = pd.read_csv(tmp_path / "sites.csv")
    assert len(csv) == 2 and "run_objective" in csv
    # the printed figure is the stored one
    assert f"{runs['residents_newly_within'].iloc[0]:,.0f}" in res.output


def test_locate_command_with_a_candidate_file(planning_env, tmp_path):
    cand = planning_env.candidates.iloc[:5]
    csv = tmp_path / "cand.csv"
    pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(5)],
            "name": [f"Ort {i}" for i in range(5)],
            "lon": cand.geometry.x,
            "lat": cand.geometry.y,
        }
    ).to_csv(csv, index=False)
    out = tmp_path / "s.gpkg"
    res = run_cli(
        ["locate", "lauf", "--candidates", str(csv), "--model", "pmedian", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    sites = gpd.read_file(out, layer="locate_sites")
    assert sites["candidate_id"].iloc[0] in {f"c{i}" for i in range(5)}
    assert "mean walk to the nearest office" in res.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--category", "bakery"], "unknown category 'bakery'"),
        (["--profile", "runner"], "unknown profile 'runner'"),
        (["--model", "pcenter"], "unknown model 'pcenter'"),
        (["--candidates", "missing.csv"], "candidate file not found"),
    ],
)
def test_locate_command_bad_input(planning_env, tmp_path, args, message):
    assert_cli_refuses("locate", args, message, tmp_path / "x.gpkg")


def test_candidate_file_without_coordinates_is_refused(planning_env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,street\nA,Hauptstraße\n")
    res = run_cli(["locate", "lauf", "--candidates", str(bad), "-o", str(tmp_path / "x.gpkg")])
    assert res.exit_code == 2
    assert "bad.csv: no coordinate columns; expected one of the pairs lon+lat" in res.output
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("lon,lat\n49.5,11.28\n")
    res = run_cli(["locate", "lauf", "--candidates", str(swapped), "-o", str(tmp_path / "x.gpkg")])
    assert res.exit_code == 2 and "outside Germany" in res.output
