"""Routes to many destinations from one search (``routes_from`` / ``route_tree``) on the
real Lauf walk network: every route equals the single-destination ``route()``."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geoquartier.errors import GeoquartierError
from geoquartier.mobility import EstimateNetwork, route, route_tree, routes_from

pytest_plugins = ["mobility_fixtures"]

TO_DEG = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)


def _points(network, n: int, seed: int, jitter_m: float = 25.0) -> list[tuple[float, float]]:
    """``n`` points (lon, lat) near random places on the network's edges."""
    rng = np.random.default_rng(seed)
    edges = rng.choice(network.n_edges, n)
    pts = shapely.line_interpolate_point(
        network.edge_geometry[edges], rng.random(n), normalized=True
    )
    x = shapely.get_x(pts) + rng.normal(0, jitter_m, n)
    y = shapely.get_y(pts) + rng.normal(0, jitter_m, n)
    lon, lat = TO_DEG.transform(x, y)
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def _same_route(a, b) -> None:
    assert a.distance_m == b.distance_m
    assert a.walk_min == b.walk_min
    assert a.geometry.equals_exact(b.geometry, 0.0)
    assert a.street_names == b.street_names
    assert a.highways == b.highways
    assert a.profile == b.profile and a.method == b.method
    assert a.unknown_share == b.unknown_share or (
        math.isnan(a.unknown_share) and math.isnan(b.unknown_share)
    )


@pytest.mark.parametrize("profile", ["standard", "wheelchair"])
def test_routes_from_equal_route_for_many_pairs(lauf_network, profile):
    origins = _points(lauf_network, 8, seed=11)
    destinations = _points(lauf_network, 40, seed=12)
    compared = 0
    for origin in origins:
        routes = routes_from(lauf_network, origin, destinations, profile)
        assert len(routes) == len(destinations)
        for destination, got in zip(destinations, routes, strict=True):
            try:
                expected = route(lauf_network, origin, destination, profile)
            except GeoquartierError:
                assert got is None
                continue
            assert got is not None
            _same_route(got, expected)
            compared += 1
    assert compared >= 250  # 320 pairs; only unreachable ones may drop out


def test_route_tree_k_settles_the_nearest_exactly(lauf_network):
    origin = _points(lauf_network, 1, seed=21)[0]
    destinations = _points(lauf_network, 60, seed=22)
    full = route_tree(lauf_network, origin, destinations)
    assert np.isfinite(full.distance_m).sum() >= 55  # every destination searched
    for k in (1, 3, 5):
        tree = route_tree(lauf_network, origin, destinations, k=k)
        settled = np.flatnonzero(np.isfinite(tree.distance_m))
        assert len(settled) >= k
        # settled distances are exact, the k nearest are among them
        assert np.array_equal(tree.distance_m[settled], full.distance_m[settled])
        nearest = np.argsort(full.distance_m, kind="stable")[:k]
        assert set(nearest) <= set(settled)
        # destinations left out of the search lie beyond every settled one
        left_out = np.isnan(tree.distance_m)
        if left_out.any():
            assert full.distance_m[left_out].min() > full.distance_m[settled].max()
            assert tree.route(int(np.flatnonzero(left_out)[0])) is None
        for i in nearest:
            _same_route(tree.route(int(i)), full.route(int(i)))


def test_destinations_as_geodataframe_and_lonlat_agree(lauf_network):
    origin = _points(lauf_network, 1, seed=31)[0]
    destinations = _points(lauf_network, 10, seed=32)
    gdf = gpd.GeoDataFrame(
        {"id": range(10)}, geometry=[shapely.Point(p) for p in destinations], crs="EPSG:4326"
    ).to_crs("EPSG:25832")
    a = route_tree(lauf_network, origin, destinations)
    b = route_tree(lauf_network, origin, gdf)
    assert np.allclose(a.distance_m, b.distance_m, rtol=0, atol=1e-6)
    assert np.allclose(a.walk_min * 75.0, a.distance_m)  # standard: 4.5 km/h = 75 m/min


def test_off_network_destinations_and_origin(lauf_network):
    origin, near = _points(lauf_network, 2, seed=41)
    far = (origin[0] + 0.1, origin[1] + 0.1)  # ~ 13 km away from Lauf
    routes = routes_from(lauf_network, origin, [near, far])
    assert routes[0] is not None and routes[1] is None
    tree = route_tree(lauf_network, origin, [near, far])
    assert list(tree.off_network) == [False, True]
    assert math.isinf(tree.distance_m[1])
    with pytest.raises(GeoquartierError, match="start point"):
        routes_from(lauf_network, far, [near])
    with pytest.raises(GeoquartierError, match="destinations"):
        routes_from(lauf_network, origin, [(1.0, 2.0, 3.0)])
    with pytest.raises(GeoquartierError, match="destinations"):
        routes_from(lauf_network, origin, [(500.0, 49.5)])
    with pytest.raises(GeoquartierError, match="k must be"):
        route_tree(lauf_network, origin, [near], k=0)
    assert routes_from(lauf_network, origin, []) == []


def test_estimate_mode_equals_route():
    network = EstimateNetwork()
    origin = (11.5870, 52.1504)
    destinations = [(11.5800, 52.1450), (11.5900, 52.1520), (11.6000, 52.1400)]
    for got, destination in zip(
        routes_from(network, origin, destinations, "senior"), destinations, strict=True
    ):
        _same_route(got, route(network, origin, destination, "senior"))
