"""Profiles: the wheelchair profile avoids steps, at the price of a detour."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geoquartier.errors import GeoquartierError
from geoquartier.mobility import PROFILES, nearest_facilities, route
from geoquartier.mobility.profiles import get_profile, incline_percent, kerb_height_m

TO_DEG = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)

pytest_plugins = ["mobility_fixtures"]


def _is_steps(value) -> bool:
    return value is not None and "steps" in str(value).split(";")


def _steps_mask(net):
    return np.array([_is_steps(h) for h in net.tags["highway"]])


def _point_near(net, node, exclude_edge, metres=5.0):
    """A point ``metres`` along a non-steps edge that leaves ``node``, and that edge."""
    incident = np.flatnonzero(
        ((net.edge_u == node) | (net.edge_v == node)) & (net.edge_u != net.edge_v)
    )
    for e in incident:
        if (
            e == exclude_edge
            or _is_steps(net.tags["highway"][e])
            or net.edge_length_m[e] < 4 * metres
        ):
            continue
        geom = net.edge_geometry[e]
        frac = metres / geom.length
        p = shapely.line_interpolate_point(
            geom, frac if net.edge_u[e] == node else 1 - frac, normalized=True
        )
        return TO_DEG.transform(p.x, p.y), int(e)
    return None, None


def _steps_case(net):
    """The first flight of steps in Lauf (by OSM node ids) that a standard route between
    points just beyond its two ends takes, and a wheelchair route must avoid."""
    steps = [e for e in range(net.n_edges) if _is_steps(net.tags["highway"][e])]
    steps.sort(
        key=lambda e: (int(net.node_osmid[net.edge_u[e]]), int(net.node_osmid[net.edge_v[e]]))
    )
    for e in steps:
        a, ea = _point_near(net, net.edge_u[e], e)
        b, eb = _point_near(net, net.edge_v[e], e)
        if a is None or b is None or ea == eb:
            continue
        standard = route(net, a, b, "standard")
        if not any(_is_steps(h) for h in standard.highways):
            continue
        try:
            wheelchair = route(net, a, b, "wheelchair")
        except GeoquartierError:
            continue
        if wheelchair.distance_m > standard.distance_m + 50:
            return e, a, b, standard, wheelchair
    raise AssertionError("no flight of steps with a step-free detour found in Lauf")


def test_wheelchair_route_takes_a_step_free_detour(lauf_network, lauf_graph):
    net = lauf_network
    _, a, b, standard, wheelchair = _steps_case(net)
    assert any(_is_steps(h) for h in standard.highways)
    assert not any(_is_steps(h) for h in wheelchair.highways)
    assert wheelchair.distance_m > standard.distance_m
    assert wheelchair.walk_min == pytest.approx(wheelchair.distance_m / (4.0 * 1000 / 60))
    assert 0.0 <= wheelchair.unknown_share <= 1.0
    assert np.isnan(standard.unknown_share)

    # independent check on the OSMnx graph with the two points as extra nodes on their edges
    def with_points(graph):
        g = graph.copy()
        for label, point in (("a", a), ("b", b)):
            x, y = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True).transform(*point)
            dist = shapely.distance(net.edge_geometry, shapely.Point(x, y))
            edge = int(np.argmin(np.where(_steps_mask(net), np.inf, dist)))
            frac = shapely.line_locate_point(
                net.edge_geometry[edge], shapely.Point(x, y), normalized=True
            )
            length = net.edge_length_m[edge]
            for node, w in (
                (net.edge_u[edge], frac * length),
                (net.edge_v[edge], (1 - frac) * length),
            ):
                g.add_edge(label, int(net.node_osmid[node]), length=w)
                g.add_edge(int(net.node_osmid[node]), label, length=w)
        return g

    no_steps = lauf_graph.copy()
    no_steps.remove_edges_from(
        [
            (x, y, k)
            for x, y, k, d in lauf_graph.edges(keys=True, data=True)
            if _is_steps(";".join(d["highway"]) if isinstance(d["highway"], list) else d["highway"])
        ]
    )
    step_free = nx.shortest_path_length(with_points(no_steps), "a", "b", weight="length")
    assert wheelchair.distance_m >= step_free - 1e-6  # the wheelchair profile excludes more
    assert standard.distance_m == pytest.approx(
        nx.shortest_path_length(with_points(lauf_graph), "a", "b", weight="length"), abs=1e-6
    )
    # the route geometry runs from start to end
    assert standard.geometry.coords[0] == pytest.approx(a)
    assert wheelchair.geometry.coords[-1] == pytest.approx(b)


def test_wheelchair_results_report_unknown_share(lauf_network, lauf_amenities):
    schools = lauf_amenities[lauf_amenities["category"] == "school"]
    homes = lauf_amenities[lauf_amenities["category"] == "post_box"]
    res = nearest_facilities(lauf_network, homes, schools, profile="wheelchair")
    ok = res["distance_m"].notna()
    assert ok.sum() > 10
    share = res.loc[ok, "unknown_share"]
    assert share.between(0, 1).all() and share.mean() > 0
    std = nearest_facilities(lauf_network, homes, schools, profile="standard")
    assert std["unknown_share"].isna().all()
    # slower and never shorter on the same graph: senior minutes are 1.5 × standard
    senior = nearest_facilities(lauf_network, homes, schools, profile="senior")
    assert np.allclose(senior["walk_min"], std["walk_min"] * 1.5, equal_nan=True)


def test_profile_rules():
    wc = PROFILES["wheelchair"]
    assert (
        wc.speed_kmh == 4.0
        and PROFILES["senior"].speed_kmh == 3.0
        and PROFILES["standard"].speed_kmh == 4.5
    )
    assert (
        incline_percent("8%") == 8 and incline_percent("-5%") == 5 and incline_percent("up") is None
    )
    assert incline_percent("3°") == pytest.approx(5.24, abs=0.01)
    assert kerb_height_m("3 cm") == pytest.approx(0.03) and kerb_height_m("0.05") == 0.05
    with pytest.raises(GeoquartierError, match="unknown profile"):
        get_profile("jogger")
    with pytest.raises(GeoquartierError, match="speed_kmh"):
        type(wc)("bad", -1.0)


def test_wheelchair_excludes_steps_steep_and_no(lauf_network):
    net = lauf_network
    allowed = PROFILES["wheelchair"].allowed_edges(net)
    hw = net.tags["highway"]
    for i in np.flatnonzero(allowed):
        assert not _is_steps(hw[i])
        assert net.tags["wheelchair"][i] != "no"
        p = incline_percent(net.tags["incline"][i])
        assert p is None or p <= 6.0
    assert (~allowed).sum() >= sum(_is_steps(h) for h in hw)
    assert PROFILES["standard"].allowed_edges(net).all()
