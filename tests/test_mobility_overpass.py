"""The Overpass path of the walk network, tested for real against a local Overpass server.

:meth:`WalkNetwork.from_polygon` and :func:`network_for` run OSMnx's real
``graph_from_polygon`` — its HTTP request, JSON parsing, graph building, truncation and
HTTP cache — against the server of ``tests/overpass_server.py``, which interprets the
network query OSMnx sends (the ``network_type="walk"`` tag filters and the polygon) and
answers with the ways of the real Lauf an der Pegnitz walk extract that pass the filters
and touch the polygon. The results are compared with the network built from the same
extract file (:meth:`WalkNetwork.from_osm_file`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS, data_dir
from geoquartier.errors import DataMissingError
from geoquartier.mobility import WalkNetwork, network_for, node_distances
from geoquartier.mobility.sources import clear_memo
from geoquartier.registry import get_quartier
from geoquartier.settings import reload_settings

try:
    from tests.overpass_server import local_overpass, osm_data, query_polygons
except ImportError:  # tests/ itself on sys.path (pytest's rootdir insertion)
    from overpass_server import local_overpass, osm_data, query_polygons

WALK = data_dir() / "lauf_an_der_pegnitz" / "lauf_an_der_pegnitz_walk_osm.osm.bz2"
BUFFER_M = 300.0
OSMNX_QUERY_MARGIN_M = 500.0  # graph_from_polygon asks Overpass for the polygon + 500 m


@pytest.fixture(scope="module")
def extract_network() -> WalkNetwork:
    """The walk network of the local extract (built before the cache folder is redirected)."""
    return WalkNetwork.from_osm_file(WALK)


@pytest.fixture
def overpass(monkeypatch, tmp_path):
    clear_memo()
    with local_overpass(osm_data(WALK), monkeypatch, tmp_path) as server:
        yield server
    clear_memo()


def _metric(geom):
    return gpd.GeoSeries([geom], crs=STORAGE_CRS).to_crs(ANALYSIS_CRS).iloc[0]


def _degrees(geom):
    return gpd.GeoSeries([geom], crs=ANALYSIS_CRS).to_crs(STORAGE_CRS).iloc[0]


def _points(network: WalkNetwork, mask) -> np.ndarray:
    return shapely.points(network.node_x[mask], network.node_y[mask])


def _inner_nodes(a: WalkNetwork, b: WalkNetwork, area_m) -> np.ndarray:
    """OSM ids of the nodes of both networks inside ``area_m`` (EPSG:25832)."""
    common = np.intersect1d(a.node_osmid, b.node_osmid)
    idx = a.node_index(common)
    inside = shapely.contains_xy(area_m, a.node_x[idx], a.node_y[idx])
    return common[inside]


def _distances(network: WalkNetwork, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Network distance (m) from each source node (rows) to each target node (columns)."""
    idx = network.node_index(sources)
    facilities = gpd.GeoDataFrame(
        {"id": [str(s) for s in sources], "category": [str(s) for s in sources]},
        geometry=gpd.points_from_xy(network.node_x[idx], network.node_y[idx]),
        crs=ANALYSIS_CRS,
    ).to_crs(STORAGE_CRS)
    table = node_distances(network, facilities)
    return table.loc[targets, [str(s) for s in sources]].to_numpy().T


def _assert_same_distances(online: WalkNetwork, offline: WalkNetwork, boundary_m, n_sources=6):
    """Distances between nodes well inside the quartier agree within 1e-6 m."""
    well_inside = boundary_m.buffer(-100.0)
    targets = _inner_nodes(online, offline, well_inside)
    assert len(targets) > 500, "too few shared nodes well inside the quartier"
    rng = np.random.default_rng(20261121)
    sources = rng.choice(targets, size=n_sources, replace=False)
    d_online = _distances(online, sources, targets)
    d_offline = _distances(offline, sources, targets)
    assert np.isfinite(d_offline).all()
    assert np.isfinite(d_online).all()
    assert (d_offline > 0).sum() >= n_sources * (len(targets) - 1)  # real, not trivial
    assert np.abs(d_online - d_offline).max() <= 1e-6, (
        f"max difference {np.abs(d_online - d_offline).max()} m"
    )
    return len(targets)


@pytest.mark.slow
def test_from_polygon_uses_the_buffer_matches_the_extract_and_is_cached(
    overpass, extract_network, tmp_path
):
    boundary = get_quartier("lauf").boundary
    boundary_m = _metric(boundary)
    buffered_m = boundary_m.buffer(BUFFER_M)

    online = WalkNetwork.from_polygon(boundary, buffer_m=BUFFER_M)
    assert not overpass.errors, "the server could not read a query OSMnx sent"
    queries = overpass.network_queries()
    assert len(queries) == 1 == len(overpass.interpreter_requests())
    assert online.source == "overpass"

    # The walk filter of the query is OSMnx's network_type="walk".
    assert '["highway"]' in queries[0] and '["foot"!~"no"]' in queries[0]
    # The request polygon covers the quartier widened by the buffer (and OSMnx's own
    # 500 m query margin around it) ...
    (requested,) = query_polygons(queries[0])
    requested_m = _metric(requested)
    assert requested_m.covers(buffered_m)
    assert requested_m.covers(boundary_m.buffer(BUFFER_M + OSMNX_QUERY_MARGIN_M - 10.0))
    # ... and the network reaches into the buffer but not beyond it (OSMnx truncates the
    # graph to the polygon it was given: the buffered one).
    nodes = _points(online, slice(None))
    outside = ~shapely.covers(boundary_m, nodes)
    assert outside.sum() > 100, "no node outside the quartier: buffer not applied"
    assert shapely.covers(boundary_m.buffer(BUFFER_M + 0.5), nodes).all()

    # Ways outside the quartier but well within the buffer are in the network, equal to
    # those of the extract (same end nodes, same length).
    ring = boundary_m.buffer(BUFFER_M - 100.0).difference(boundary_m.buffer(50.0))
    in_ring = shapely.covers(ring, extract_network.edge_geometry)
    assert in_ring.sum() > 30
    offline_pairs = {
        (min(u, v), max(u, v), round(length, 6))
        for u, v, length in zip(
            extract_network.node_osmid[extract_network.edge_u[in_ring]],
            extract_network.node_osmid[extract_network.edge_v[in_ring]],
            extract_network.edge_length_m[in_ring],
            strict=True,
        )
    }
    online_pairs = {
        (min(u, v), max(u, v), round(length, 6))
        for u, v, length in zip(
            online.node_osmid[online.edge_u],
            online.node_osmid[online.edge_v],
            online.edge_length_m,
            strict=True,
        )
    }
    assert offline_pairs <= online_pairs, sorted(offline_pairs - online_pairs)[:5]

    # Distances between nodes well inside equal those on the extract's network.
    _assert_same_distances(online, extract_network, boundary_m)

    # The Overpass answer was cached by OSMnx under the project's cache folder.
    assert any((tmp_path / "cache" / "osmnx").glob("*.json"))
    # A second call loads the arrays from the cache: no HTTP request, the same network.
    again = WalkNetwork.from_polygon(boundary, buffer_m=BUFFER_M)
    assert len(overpass.interpreter_requests()) == 1
    assert np.array_equal(again.node_osmid, online.node_osmid)
    assert np.array_equal(again.edge_length_m, online.edge_length_m)
    # Without the array cache OSMnx's HTTP cache answers: still no request.
    rebuilt = WalkNetwork.from_polygon(boundary, buffer_m=BUFFER_M, use_cache=False)
    assert len(overpass.interpreter_requests()) == 1
    assert np.array_equal(rebuilt.node_osmid, online.node_osmid)
    assert np.array_equal(rebuilt.edge_u, online.edge_u)
    assert np.array_equal(rebuilt.edge_length_m, online.edge_length_m)

    # Without a buffer the network stops at the quartier boundary: the ring's ways are gone.
    tight = WalkNetwork.from_polygon(boundary, buffer_m=0)
    assert len(overpass.network_queries()) == 2
    assert shapely.covers(boundary_m.buffer(0.5), _points(tight, slice(None))).all()
    tight_pairs = {
        (min(u, v), max(u, v))
        for u, v in zip(tight.node_osmid[tight.edge_u], tight.node_osmid[tight.edge_v], strict=True)
    }
    assert not {(u, v) for u, v, _ in offline_pairs} & tight_pairs


REGISTRY = """
[quartiers.lauf-online]
name = "Lauf an der Pegnitz – Innenstadt (online)"
city = "Lauf an der Pegnitz"
state = "DE-BY"
mode = "network"
boundary_quality = "planning_area"

[quartiers.lauf-online.sources]
boundary = "boundaries/lauf_an_der_pegnitz_planning_area.geojson"
overpass = true
"""


@pytest.mark.slow
def test_network_for_an_overpass_quartier(overpass, extract_network, monkeypatch, tmp_path):
    registry = tmp_path / "quartiers.toml"
    registry.write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("GEOQUARTIER_REGISTRY", str(registry))
    reload_settings()
    spec = get_quartier("lauf-online")
    assert spec.uses_overpass and spec.walk_network_path is None

    network = network_for(spec)
    assert isinstance(network, WalkNetwork) and network.source == "overpass"
    assert len(overpass.network_queries()) == 1 and not overpass.errors
    (requested,) = query_polygons(overpass.network_queries()[0])
    boundary_m = _metric(spec.boundary)
    assert _metric(requested).covers(boundary_m.buffer(500.0))  # network_for's default buffer
    _assert_same_distances(network, extract_network, boundary_m)

    # Memoised in the process: the same object, no new request.
    assert network_for(get_quartier("lauf-online")) is network
    assert len(overpass.interpreter_requests()) == 1
    # The memo is keyed by the area, not the quartier id: the same id with another
    # boundary (Dreieich's, where the server has no ways) asks Overpass again and fails
    # clearly instead of returning Lauf's network.
    registry.write_text(
        REGISTRY.replace("lauf_an_der_pegnitz_planning_area", "dreieich_planning_area"),
        encoding="utf-8",
    )
    moved = get_quartier("lauf-online")
    with pytest.raises(DataMissingError, match="no walk network from Overpass"):
        network_for(moved)
    assert len(overpass.network_queries()) == 2
    # A network quartier with neither a walk extract nor a boundary says what to add.
    registry.write_text(
        REGISTRY.replace('boundary = "boundaries/lauf_an_der_pegnitz_planning_area.geojson"\n', ""),
        encoding="utf-8",
    )
    with pytest.raises(DataMissingError, match="'boundary'"):
        network_for(get_quartier("lauf-online"))
    assert len(overpass.interpreter_requests()) == 2
