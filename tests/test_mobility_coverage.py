"""Nearest facilities per category, k nearest, resident-weighted coverage (and the same
residents counted by isochrones) on Lauf."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from mobility_fixtures import node_points

from geoquartier.mobility import (
    coverage,
    isochrones,
    nearest_facilities,
    paths,
    residents_from_buildings,
)
from geoquartier.mobility.coverage import describe_residents_source, is_estimated, residents_source
from geoquartier.mobility.inputs import as_points
from geoquartier.mobility.isochrones import DEFAULT_BUFFER_M, SIMPLIFY_M
from geoquartier.mobility.profiles import get_profile
from geoquartier.mobility.snapping import snap_points

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


def test_isochrones_count_residents_like_coverage_and_why_the_area_differs(
    lauf_network, lauf_amenities, lauf_buildings
):
    net = lauf_network
    pharmacies = lauf_amenities[lauf_amenities["category"] == "pharmacy"]
    population = residents_from_buildings(lauf_buildings, 1000.0)  # shares (no count known)
    for profile in ("standard", "senior"):
        table = coverage(net, population, pharmacies, (5, 10), profiles=[profile])
        areas = isochrones(net, pharmacies, (5, 10), profile=profile, population=population)
        assert np.allclose(areas["residents"], table["residents_within"], rtol=0, atol=1e-9)
        assert (areas["residents_in_area"] != areas["residents"]).any()
        # the documented reason: a home reached in time lies outside the drawn band only
        # when its own access leg to the way is longer than the band is wide
        near = nearest_facilities(net, population, pharmacies, profile=profile)
        prof = get_profile(profile)
        pts = as_points(population, "population")
        snap = snap_points(net, pts.x, pts.y, paths.profile_graph(net, prof).allowed, 300)
        # (GEOS draws round corners with chords of up to 90°: at a sharp corner of a way the
        # band is only cos(45°) of its width wide; lines are simplified by SIMPLIFY_M)
        band_m = DEFAULT_BUFFER_M * np.cos(np.pi / 4) - SIMPLIFY_M
        polygons = areas.to_crs("EPSG:25832").geometry
        for minutes, polygon in zip(areas["minutes"], polygons, strict=True):
            inside = shapely.contains_xy(polygon, pts.x, pts.y)
            within = near["walk_min"].to_numpy() <= minutes
            outside = within & ~inside
            assert (snap.access_m[outside] > band_m).all()


def test_residents_source_codes():
    def frame(*sources):
        return pd.DataFrame({"source": list(sources)})

    assert residents_source(frame("zensus2022:E1N2", "zensus2022:E1N3")) == "zensus2022"
    assert residents_source(frame("estimate:floor-area:osm:way/1")) == "estimate:floor-area"
    share = residents_source(frame("estimate:floor-area-share:osm:way/1"))
    assert share == "estimate:floor-area-share" and is_estimated(share)
    mixed = residents_source(frame("zensus2022:E1N2", "file:counts.csv"))
    assert mixed == "file+zensus2022" and not is_estimated(mixed)
    assert residents_source(pd.DataFrame({"residents": [3]})) == "unknown"
    assert "Zensus 2022" in describe_residents_source("zensus2022")
