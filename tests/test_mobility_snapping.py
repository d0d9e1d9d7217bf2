"""Snapping to the nearest point on an edge, access legs and off-network points."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from geoquartier.mobility import nearest_facilities

pytest_plugins = ["mobility_fixtures"]


def _points(xy, ids):
    return gpd.GeoDataFrame(
        {"id": ids}, geometry=gpd.points_from_xy(*np.asarray(xy).T), crs="EPSG:25832"
    ).to_crs("EPSG:4326")


def _longest_straightish_edge(net):
    ok = (net.edge_u != net.edge_v) & (net.edge_length_m > 300)
    candidates = np.flatnonzero(ok)
    return int(candidates[np.argmax(net.edge_length_m[candidates])])


def test_point_in_the_middle_of_a_long_edge(lauf_network, lauf_graph):
    net = lauf_network
    e = _longest_straightish_edge(net)
    length = net.edge_length_m[e]
    geom = net.edge_geometry[e]
    home = shapely.line_interpolate_point(geom, 0.45, normalized=True)
    office = shapely.line_interpolate_point(geom, 0.55, normalized=True)
    res = nearest_facilities(
        net,
        _points([[home.x, home.y]], ["home"]),
        _points([[office.x, office.y]], ["office"]),
        category_col=None,
    )
    got = float(res["distance_m"].iloc[0])
    expected = 0.10 * length  # along the edge, no access legs (both lie on it)
    assert got == pytest.approx(expected, abs=1e-6)

    # node snapping: both points to their nearest node, straight legs plus the node path
    nodes = np.column_stack([net.node_x, net.node_y])

    def nearest_node(p):
        d = np.hypot(nodes[:, 0] - p.x, nodes[:, 1] - p.y)
        return int(np.argmin(d)), float(d.min())

    (nh, dh), (no, do) = nearest_node(home), nearest_node(office)
    between = nx.shortest_path_length(
        lauf_graph, int(net.node_osmid[nh]), int(net.node_osmid[no]), weight="length"
    )
    node_snapped = dh + between + do
    assert got < node_snapped - 50


def test_access_leg_counts(lauf_network):
    net = lauf_network
    e = _longest_straightish_edge(net)
    geom = net.edge_geometry[e]
    p = shapely.line_interpolate_point(geom, 0.5, normalized=True)
    q = shapely.line_interpolate_point(geom, 0.5 + 1e-3, normalized=True)
    # 40 m to the side of the edge, perpendicular to it
    dx, dy = q.x - p.x, q.y - p.y
    norm = np.hypot(dx, dy)
    side = np.array([p.x - dy / norm * 40, p.y + dx / norm * 40])
    office = shapely.line_interpolate_point(geom, 0.6, normalized=True)
    res = nearest_facilities(
        net,
        _points([side], ["home"]),
        _points([[office.x, office.y]], ["office"]),
        category_col=None,
    )
    expected = 40 + 0.1 * net.edge_length_m[e]
    # the nearest point of the edge to `side` may not be exactly at 0.5 if another edge is closer
    assert float(res["distance_m"].iloc[0]) == pytest.approx(expected, abs=1.0)
    assert not res["off_network"].iloc[0]


def test_points_far_from_the_network_are_reported_off_network(lauf_network, lauf_graph):
    net = lauf_network
    far = [net.node_x.max() + 2000, net.node_y.max() + 2000]
    near = [net.node_x[0], net.node_y[0]]
    office = [net.node_x[10], net.node_y[10]]
    res = nearest_facilities(
        net, _points([far, near], ["far", "near"]), _points([office], ["o"]), category_col=None
    )
    res = res.set_index("origin_id")
    assert bool(res.loc["far", "off_network"]) is True
    assert np.isnan(res.loc["far", "distance_m"]) and res.loc["far", "facility_id"] is None
    assert bool(res.loc["near", "off_network"]) is False
    assert np.isfinite(res.loc["near", "distance_m"])
    # with a larger snap distance the far point is attached, with its long access leg
    res2 = nearest_facilities(
        net, _points([far], ["far"]), _points([office], ["o"]), category_col=None, max_snap_m=10_000
    ).iloc[0]
    assert not res2["off_network"] and res2["distance_m"] > 2000
    # an office off the network is skipped and named
    res3 = nearest_facilities(
        net,
        _points([near], ["near"]),
        _points([far, office], ["far-office", "o"]),
        category_col=None,
    )
    assert res3.attrs["off_network_facilities"] == ["far-office"]
    assert res3["facility_id"].iloc[0] == "o"


@pytest.mark.parametrize("max_snap_m", [300.0, 40.0])
@pytest.mark.parametrize("profile", ["standard", "wheelchair"])
def test_snapping_finds_the_nearest_edge_as_geos_does(lauf_network, profile, max_snap_m):
    """Random points around Lauf (many of them away from the ways, where the k nearest
    samples do not settle the nearest segment): the snapped distance is GEOS's distance to
    the nearest allowed edge, the snapped point lies on the chosen edge, and the same
    points are off-network."""
    from geoquartier.mobility import paths
    from geoquartier.mobility.profiles import get_profile
    from geoquartier.mobility.snapping import snap_points

    net = lauf_network
    allowed = paths.profile_graph(net, get_profile(profile)).allowed
    rng = np.random.default_rng(7)
    x = rng.uniform(net.node_x.min() - 400, net.node_x.max() + 400, 4000)
    y = rng.uniform(net.node_y.min() - 400, net.node_y.max() + 400, 4000)
    snap = snap_points(net, x, y, allowed, max_snap_m)
    positions = np.flatnonzero(allowed)
    tree = shapely.STRtree(net.edge_geometry[positions])
    pts = shapely.points(x, y)
    (src, _), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    geos = np.full(len(x), np.inf)
    geos[src] = dist
    within = geos <= max_snap_m
    assert 0 < within.sum() < len(x)
    assert np.array_equal(~snap.off_network, within)
    np.testing.assert_allclose(snap.access_m[within], geos[within], rtol=0, atol=1e-9)
    assert allowed[snap.edge[within]].all()
    on_edge = shapely.distance(
        net.edge_geometry[snap.edge[within]], shapely.points(snap.x[within], snap.y[within])
    )
    assert on_edge.max() < 1e-6
