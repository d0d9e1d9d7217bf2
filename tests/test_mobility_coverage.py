"""Nearest facilities per category, k nearest and resident-weighted coverage on Lauf."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from mobility_fixtures import node_points

from geoquartier.mobility import coverage, nearest_facilities, residents_from_buildings

CATEGORIES = ["school", "doctors", "pharmacy", "kindergarten", "bank"]

pytest_plugins = ["mobility_fixtures"]


def test_k_nearest_equals_networkx(lauf_network, lauf_graph):
    net = lauf_network
    rng = np.random.default_rng(3)
    facilities = node_points(net, rng.choice(net.n_nodes, 6, replace=False))
    origins = node_points(net, rng.choice(net.n_nodes, 40, replace=False))
    res = nearest_facilities(net, origins, facilities, category_col=None, k=3)
    assert len(res) == 120 and list(res["rank"][:3]) == [1, 2, 3]
    for oid, group in res.groupby("origin_id"):
        lengths = nx.single_source_dijkstra_path_length(lauf_graph, int(oid), weight="length")
        expected = sorted(lengths[int(f)] for f in facilities["id"])[:3]
        assert np.allclose(group.sort_values("rank")["distance_m"], expected, atol=1e-6)
        assert all(
            lengths[int(f)] == pytest.approx(d, abs=1e-6)
            for f, d in zip(group["facility_id"], group["distance_m"], strict=True)
        )


def test_coverage_weighted_by_residents(lauf_network, lauf_amenities, lauf_buildings):
    net = lauf_network
    facilities = lauf_amenities[lauf_amenities["category"].isin(CATEGORIES)]
    # Lauf has no resident count in the data: weights are floor-area shares of 100
    population = residents_from_buildings(lauf_buildings, 100.0)
    assert population["residents"].sum() == pytest.approx(100.0)
    near = nearest_facilities(net, population, facilities, profile="standard")
    table = coverage(
        net,
        population,
        facilities,
        thresholds_min=(5, 10, 15),
        profiles=("standard", "senior"),
        nearest=near,
    )
    assert set(table["category"]) == set(CATEGORIES)
    assert len(table) == 2 * 5 * 3
    std = table[(table["profile"] == "standard") & (table["category"] == "school")].set_index(
        "threshold_min"
    )
    # recomputed by hand from the per-origin result
    school = near[near["category"] == "school"].set_index("origin_id")
    weights = population.set_index("id")["residents"]
    for t in (5, 10, 15):
        within = school["walk_min"] <= t
        assert std.loc[t, "residents_within"] == pytest.approx(weights[school.index[within]].sum())
    assert std["residents_within"].is_monotonic_increasing
    both = table.pivot_table(
        index=["category", "threshold_min"], columns="profile", values="residents_within"
    )
    assert (both["senior"] <= both["standard"] + 1e-9).all()
    assert (both["senior"] < both["standard"]).any()
    assert (table["method"] == "network").all()
