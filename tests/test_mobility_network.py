"""Walk network arrays: size, exact distances against networkx, disk cache."""

from __future__ import annotations

import os
import shutil

import networkx as nx
import numpy as np
import pytest
from mobility_fixtures import node_points

from geoquartier.config import data_dir
from geoquartier.mobility import PROFILES, WalkNetwork, nearest_facilities, node_distances, storage
from geoquartier.mobility.paths import profile_graph, search
from geoquartier.mobility.snapping import snap_points
from geoquartier.settings import reload_settings

pytest_plugins = ["mobility_fixtures"]


def test_lauf_network_matches_the_osmnx_graph(lauf_network, lauf_graph):
    assert lauf_network.n_nodes == len(lauf_graph) == 2952
    # every way is two directed edges in the OSMnx graph and one physical edge here
    assert 2 * lauf_network.n_edges == len(lauf_graph.edges) == 7566
    total_km = lauf_network.edge_length_m.sum() / 1000
    assert total_km == pytest.approx(232.6, abs=0.1)
    # geometries run from u to v in EPSG:25832
    starts = np.array([g.coords[0] for g in lauf_network.edge_geometry[:200]])
    u = lauf_network.edge_u[:200]
    assert np.allclose(starts, np.column_stack([lauf_network.node_x[u], lauf_network.node_y[u]]))
    assert 600_000 < lauf_network.node_x.mean() < 700_000  # UTM 32N easting around Lauf


def test_distances_equal_networkx_for_1000_random_node_pairs(lauf_network, lauf_graph):
    net = lauf_network
    rng = np.random.default_rng(20260601)
    a = rng.integers(0, net.n_nodes, 1000)
    b = rng.integers(0, net.n_nodes, 1000)
    sources, inverse = np.unique(a, return_inverse=True)
    pg = profile_graph(net, PROFILES["standard"])
    seeds = snap_points(net, net.node_x[sources], net.node_y[sources], pg.allowed)
    assert np.all(seeds.access_m < 1e-6)
    res = search(pg, seeds, min_only=False)
    engine = res.dist[inverse, b]
    reference = np.empty(1000)
    for i, (s, t) in enumerate(zip(a, b, strict=True)):
        reference[i] = nx.shortest_path_length(
            lauf_graph, int(net.node_osmid[s]), int(net.node_osmid[t]), weight="length"
        )
    assert np.isfinite(reference).all()
    assert np.max(np.abs(engine - reference)) < 1e-6


def test_all_nodes_multi_source_equals_networkx(lauf_network, lauf_graph):
    net = lauf_network
    rng = np.random.default_rng(7)
    sources = rng.choice(net.n_nodes, 20, replace=False)
    facilities = node_points(net, sources)
    origins = node_points(net, np.arange(net.n_nodes))
    result = nearest_facilities(net, None, facilities, category_col=None)  # every node
    assert len(result) == net.n_nodes
    as_points = nearest_facilities(net, origins, facilities, category_col=None)  # snapped points
    assert (
        np.max(np.abs(as_points["distance_m"].to_numpy() - result["distance_m"].to_numpy())) < 1e-6
    )
    reference = nx.multi_source_dijkstra_path_length(
        lauf_graph, [int(net.node_osmid[s]) for s in sources], weight="length"
    )
    expected = np.array([reference[int(o)] for o in result["origin_id"]])
    assert np.max(np.abs(result["distance_m"].to_numpy() - expected)) < 1e-6
    surface = node_distances(net, facilities, category_col=None)
    assert np.max(np.abs(surface.loc[result["origin_id"], "all"].to_numpy() - expected)) < 1e-6
    # the facility found is one at that distance
    fac_pos = {int(o): i for i, o in enumerate(net.node_osmid[sources])}
    chosen = result["facility_id"].astype(np.int64).to_numpy()
    assert set(chosen) <= set(fac_pos)
    assert (result["method"] == "network").all()
    assert np.allclose(result["walk_min"], result["distance_m"] / (4.5 * 1000 / 60))


def test_cache_round_trip(lauf_network, tmp_path):
    path = lauf_network.save(tmp_path / "lauf.npz")
    loaded = WalkNetwork.load(path)
    for name in ("node_x", "node_y", "node_osmid", "edge_u", "edge_v", "edge_length_m"):
        assert np.array_equal(getattr(loaded, name), getattr(lauf_network, name)), name
    assert all(
        a.equals_exact(b, 0)
        for a, b in zip(loaded.edge_geometry, lauf_network.edge_geometry, strict=True)
    )
    for name, values in lauf_network.tags.items():
        assert list(loaded.tags[name]) == list(values), name
    assert sum(v is not None for v in loaded.tags["name"]) > 1000


def test_cache_is_keyed_by_file_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    source = data_dir() / "dreieich" / "dreieich_walk_osm.osm.bz2"
    local = tmp_path / "dreieich_walk_osm.osm.bz2"
    shutil.copyfile(source, local)
    first = WalkNetwork.from_osm_file(local)
    files = sorted((tmp_path / "cache" / storage.SUBDIR).glob("*.npz"))
    assert len(files) == 1 and first.n_nodes == 604 and 2 * first.n_edges == 1590
    stamp = files[0].stat().st_mtime_ns
    again = WalkNetwork.from_osm_file(local)  # from the cache: the file is not rewritten
    assert files[0].stat().st_mtime_ns == stamp
    assert np.array_equal(again.edge_length_m, first.edge_length_m)
    os.utime(local, ns=(stamp + 10**9, stamp + 10**9))  # the source changed: new key
    WalkNetwork.from_osm_file(local)
    assert len(list((tmp_path / "cache" / storage.SUBDIR).glob("*.npz"))) == 2


def test_missing_file_is_a_clear_error(tmp_path):
    from geoquartier.errors import DataMissingError

    with pytest.raises(DataMissingError, match="not found"):
        WalkNetwork.from_osm_file(tmp_path / "nowhere_walk_osm.osm.bz2")


def test_network_for_registry_quartiers():
    from geoquartier.mobility import EstimateNetwork, network_for
    from geoquartier.registry import get_quartier

    lauf = network_for(get_quartier("lauf"))
    assert isinstance(lauf, WalkNetwork) and lauf.n_nodes == 2952
    assert network_for(get_quartier("lauf")) is lauf  # memoised in the process
    olvenstedt = network_for(get_quartier("neu-olvenstedt"))
    assert isinstance(olvenstedt, EstimateNetwork) and olvenstedt.method == "estimate"


def test_overpass_area_is_checked_before_any_request():
    import shapely

    from geoquartier.errors import GeoquartierError

    with pytest.raises(GeoquartierError, match="Polygon"):
        WalkNetwork.from_polygon(shapely.Point(11.27, 49.51))
    with pytest.raises(GeoquartierError, match="EPSG:4326"):
        WalkNetwork.from_polygon(shapely.box(650_000, 5_480_000, 651_000, 5_481_000))
