"""The streaming OSM-file builder against OSMnx, on the real extracts of ../shared/data.

:func:`geoquartier.mobility.osmfile.build_walk_network` reads the *full* extracts (the
original ``.osm.pbf``/``.osm.gz`` with buildings, relations and every highway) and must
give the network OSMnx builds from the *walk-only* extracts
(``ox.graph_from_xml(walk file, bidirectional=True)`` + kerbs + ``simplify_graph``, i.e.
:func:`geoquartier.mobility.network.graph_from_osm_file`).

What the walk extracts contain (SOURCES.md, checked here by the equality itself): the ways
of the full file that pass OSMnx 2.1.1's walk filter, with every node of the file they
reference — no bounding box or polygon cut. A way cut at the extract's border is split
into its runs of nodes present in the file (the builder keeps the same runs), so the full
file and the walk file cover the same area and are compared whole, without a common
clip. The clipped builds are compared with OSMnx's own truncation of the same data:
``truncate_graph_polygon`` on the walk graph, and ``graph_from_polygon`` against a local
Overpass server.

Compared: the node set, the edge set (end nodes, length within 1e-6 m, tags as sets of
values, geometry within 1e-6 m), and network distances between 1,000 random node pairs
(scipy Dijkstra on both networks, within 1e-6 m). No difference remains.
"""

from __future__ import annotations

import bz2
import gzip
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from typer.testing import CliRunner

from geoquartier.config import data_dir
from geoquartier.errors import DataMissingError
from geoquartier.mobility import WalkNetwork, network_for, storage
from geoquartier.mobility.coverage import CSV_OPTIONS
from geoquartier.mobility.network import (
    _node_kerbs_to_edges,
    _osmnx_tags,
    buffered_area,
    graph_from_osm_file,
)
from geoquartier.mobility.osmfile import (
    OSMNX_POLYGON_MARGIN_M,
    WALK_FILTER,
    OsmFileError,
    build_walk_network,
    is_walkable,
    overpass_walk_filter,
)
from geoquartier.mobility.sources import clear_memo
from geoquartier.registry import get_quartier
from geoquartier.settings import reload_settings

try:
    from tests.overpass_server import TAG_FILTER, _passes, _unquote, local_overpass, osm_data
except ImportError:  # tests/ itself on sys.path (pytest's rootdir insertion)
    from overpass_server import TAG_FILTER, _passes, _unquote, local_overpass, osm_data

LAUF = data_dir() / "lauf_an_der_pegnitz"
DREIEICH = data_dir() / "dreieich"
HEIDELBERG = data_dir() / "heidelberg"
LAUF_PBF = LAUF / "lauf_an_der_pegnitz_osm.osm.pbf"
LAUF_WALK = LAUF / "lauf_an_der_pegnitz_walk_osm.osm.bz2"
HEIDELBERG_PBF = HEIDELBERG / "heidelberg_ors_filtered_osm.osm.pbf"
HEIDELBERG_WALK = HEIDELBERG / "heidelberg_walk_osm.osm.bz2"
TOLERANCE_M = 1e-6


# ---------------------------------------------------------------------- references
@cache
def _network_of(path, area=None) -> WalkNetwork:
    """The streamed builder's network of ``path`` (clipped to ``area``, EPSG:4326)."""
    return WalkNetwork(**build_walk_network(path, area))


def _osmnx_network(walk_file) -> WalkNetwork:
    """OSMnx's network of a walk extract (graph_from_xml + kerbs + simplify_graph)."""
    return WalkNetwork.from_graph(graph_from_osm_file(walk_file))


@cache
def _osmnx_clipped(walk_file, quartier: str, buffer_m: float) -> WalkNetwork:
    """OSMnx's truncation of the walk graph, as ``graph_from_polygon(area,
    truncate_by_edge=False, retain_all=False, simplify=False)`` does it, then kerbs and
    ``simplify_graph``."""
    import osmnx as ox

    area = buffered_area(get_quartier(quartier).boundary, buffer_m)
    outer = buffered_area(area, OSMNX_POLYGON_MARGIN_M)
    with _osmnx_tags():
        G = ox.graph_from_xml(walk_file, bidirectional=True, simplify=False, retain_all=True)
        G = ox.truncate.largest_component(ox.truncate.truncate_graph_polygon(G, outer))
        G = ox.truncate.largest_component(ox.truncate.truncate_graph_polygon(G, area))
        _node_kerbs_to_edges(G)
        return WalkNetwork.from_graph(ox.simplify_graph(G))


# ---------------------------------------------------------------------- comparison
def _edge_order(net: WalkNetwork) -> np.ndarray:
    """Edges sorted by (smaller end id, larger end id, length, shape): parallel edges of
    equal length are told apart by their number of vertices and centroid."""
    u, v = net.node_osmid[net.edge_u], net.node_osmid[net.edge_v]
    centroid_x = np.round(shapely.get_x(shapely.centroid(net.edge_geometry)), 2)
    vertices = shapely.get_num_coordinates(net.edge_geometry)
    length = np.round(net.edge_length_m, 6)
    return np.lexsort((centroid_x, vertices, length, np.maximum(u, v), np.minimum(u, v)))


def _values(text) -> frozenset:
    return frozenset() if text is None else frozenset(str(text).split(";"))


def assert_same_network(ours: WalkNetwork, ref: WalkNetwork, seed: int = 20261201) -> None:
    """Same nodes, edges, lengths, tags, geometries and distances (see the module doc)."""
    assert np.array_equal(np.sort(ours.node_osmid), np.sort(ref.node_osmid))
    assert ours.n_edges == ref.n_edges
    a, b = _edge_order(ours), _edge_order(ref)
    ends = [
        (np.minimum(n.node_osmid[n.edge_u[o]], n.node_osmid[n.edge_v[o]]),
         np.maximum(n.node_osmid[n.edge_u[o]], n.node_osmid[n.edge_v[o]]))
        for n, o in ((ours, a), (ref, b))
    ]  # fmt: skip
    assert np.array_equal(ends[0][0], ends[1][0]) and np.array_equal(ends[0][1], ends[1][1])
    assert np.abs(ours.edge_length_m[a] - ref.edge_length_m[b]).max() < TOLERANCE_M
    for tag in ours.tags:
        mine, theirs = ours.tags[tag][a], ref.tags[tag][b]
        differ = np.flatnonzero(mine != theirs)  # joined values may differ in order only
        assert [_values(x) for x in mine[differ]] == [_values(x) for x in theirs[differ]], tag
    same = shapely.equals_exact(ours.edge_geometry[a], ref.edge_geometry[b], TOLERANCE_M)
    flipped = shapely.equals_exact(
        ours.edge_geometry[a], shapely.reverse(ref.edge_geometry[b]), TOLERANCE_M
    )
    loops = ends[0][0] == ends[0][1]
    assert (same | (flipped & loops)).all()  # only a loop may run the other way round
    _assert_same_distances(ours, ref, seed)


def _graph(net: WalkNetwork) -> csr_matrix:
    """Symmetric CSR matrix holding the shortest edge per node pair (zero → 1e-9 m)."""
    u = np.concatenate([net.edge_u, net.edge_v])
    v = np.concatenate([net.edge_v, net.edge_u])
    w = np.tile(net.edge_length_m, 2)
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return csr_matrix(
        (np.maximum(w[first], 1e-9), (u[first], v[first])), shape=(net.n_nodes, net.n_nodes)
    )


def _pair_distances(net: WalkNetwork, origins, targets) -> np.ndarray:
    """Network distance (m) for each pair of OSM node ids (scipy Dijkstra, 100 at a time)."""
    graph = _graph(net)
    o, t = net.node_index(origins), net.node_index(targets)
    sources, inverse = np.unique(o, return_inverse=True)
    out = np.empty(len(o))
    for start in range(0, len(sources), 100):
        dist = dijkstra(graph, indices=sources[start : start + 100])
        rows = (inverse >= start) & (inverse < start + 100)
        out[rows] = dist[inverse[rows] - start, t[rows]]
    return out


def _assert_same_distances(ours: WalkNetwork, ref: WalkNetwork, seed: int) -> None:
    rng = np.random.default_rng(seed)
    origins = rng.choice(ref.node_osmid, 1000)
    targets = rng.choice(ref.node_osmid, 1000)
    d_ours = _pair_distances(ours, origins, targets)
    d_ref = _pair_distances(ref, origins, targets)
    assert np.isfinite(d_ref).all()  # one connected component
    assert (d_ref > 0).sum() > 990
    assert np.abs(d_ours - d_ref).max() < TOLERANCE_M


# ---------------------------------------------------------------------- the filter
def test_walk_filter_is_the_one_osmnx_sends():
    import osmnx as ox
    from osmnx import _overpass

    assert overpass_walk_filter() == _overpass._get_network_filter("walk")
    assert ox.settings.default_access == '["access"!~"private"]'
    assert ox.settings.bidirectional_network_types == ["walk"]  # walk graphs: both ways


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "oneway": "yes"}, True),  # oneway ignored for walking
        ({"building": "yes"}, False),  # no highway tag
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "pedestrian", "area": "no"}, True),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private;customers"}, False),  # unanchored regex
        ({"highway": "service", "access": "Private"}, True),  # case-sensitive, as Overpass
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "service", "service": "driveway"}, True),
        ({"highway": "motorway_link"}, False),  # "motor" anywhere in the value
        ({"highway": "unknown"}, False),  # "no" anywhere in the value, as in OSMnx
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "yes"}, False),  # OSMnx drops cycleways anyway
        ({"highway": "path", "foot": "no"}, False),
        ({"highway": "path", "foot": "designated"}, True),
        ({"highway": "rest_area"}, False),
        ({"highway": "primary", "sidewalk": "separate"}, False),
        ({"highway": "primary", "sidewalk:left": "separate"}, False),
        ({"highway": "primary", "sidewalk": "both"}, True),
    ],
)
def test_walk_filter_examples(tags, walkable):
    assert is_walkable(tags) is walkable


def test_walk_filter_equals_overpass_semantics_on_every_real_way():
    """Every way of the Lauf and Heidelberg extracts: our filter agrees with OSMnx's own
    query read by the test Overpass server's interpreter."""
    from osmnx import _overpass

    query = _overpass._get_network_filter("walk")
    filters = [
        (_unquote(k), op or None, _unquote(v) if op else None)
        for k, op, v in TAG_FILTER.findall(query)
    ]
    assert len(filters) == 1 + len(WALK_FILTER)
    import osmium

    checked = kept = 0
    for path in (LAUF_PBF, HEIDELBERG_PBF):
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
            tags = dict(way.tags)
            expected = all(_passes(tags, k, op, v) for k, op, v in filters)
            assert is_walkable(tags) is expected, (way.id, tags)
            checked += 1
            kept += expected
    assert checked > 40_000 and 0.3 * 28_000 < kept < 28_000


# ---------------------------------------------------------------------- whole files
@pytest.mark.parametrize(
    ("full", "walk"),
    [
        (LAUF_PBF, LAUF_WALK),
        (DREIEICH / "dreieich_osm.osm.gz", DREIEICH / "dreieich_walk_osm.osm.bz2"),
        (DREIEICH / "dreieich_osm.osm.bz2", DREIEICH / "dreieich_walk_osm.osm.bz2"),
    ],
    ids=["lauf-pbf", "dreieich-gz", "dreieich-bz2"],
)
def test_full_extract_equals_osmnx_on_the_walk_extract(full, walk):
    ours = _network_of(full)
    ref = _osmnx_network(walk)
    assert_same_network(ours, ref)
    assert ours.source == str(full)
    # geometries run from u to v in EPSG:25832
    starts = shapely.get_coordinates(shapely.get_point(ours.edge_geometry, 0))
    assert np.allclose(starts, np.column_stack([ours.node_x, ours.node_y])[ours.edge_u])


def test_the_walk_extract_itself_gives_the_same_network():
    """A walk-only extract through the builder is OSMnx's network too (the registry's
    ``walk_network`` files)."""
    assert_same_network(_network_of(LAUF_WALK), _osmnx_network(LAUF_WALK), seed=3)


def test_plain_xml_gives_the_same_arrays_as_its_bz2(tmp_path):
    plain = tmp_path / "dreieich_osm.osm"
    plain.write_bytes(bz2.decompress((DREIEICH / "dreieich_osm.osm.bz2").read_bytes()))
    a = _network_of(plain)
    b = _network_of(DREIEICH / "dreieich_osm.osm.bz2")
    for name in ("node_osmid", "node_x", "node_y", "edge_u", "edge_v", "edge_length_m"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.slow
def test_heidelberg_equals_osmnx_and_moves_kerbs():
    ours = _network_of(HEIDELBERG_PBF)
    ref = _osmnx_network(HEIDELBERG_WALK)
    assert ours.n_nodes == 23_531 and 2 * ours.n_edges == 65_584
    assert_same_network(ours, ref)
    # kerbs tagged only on nodes (the ways carry none) arrived on the edges, as in OSMnx
    with_kerb = np.flatnonzero([k is not None for k in ours.tags["kerb:height"]])
    assert len(with_kerb) >= 2
    assert {"0.06", "3 cm"} & set(ours.tags["kerb:height"][with_kerb])


# ---------------------------------------------------------------------- clipping
def test_clipped_to_a_quartier_equals_osmnx_truncation():
    area = buffered_area(get_quartier("lauf").boundary, 500.0)
    ours = _network_of(LAUF_PBF, area)
    ref = _osmnx_clipped(LAUF_WALK, "lauf", 500.0)
    assert_same_network(ours, ref, seed=11)
    whole = _osmnx_network(LAUF_WALK)
    assert 0.5 * whole.n_nodes < ours.n_nodes < whole.n_nodes  # really clipped
    lon, lat = shapely.get_coordinates(ours.nodes_gdf().geometry.values).T
    assert shapely.intersects_xy(area, lon, lat).all()  # no node outside the area


@pytest.mark.slow
def test_clipped_extract_equals_the_overpass_path(monkeypatch, tmp_path):
    """``from_osm_file(pbf, boundary=…)`` equals ``from_polygon(boundary)``: OSMnx's real
    ``graph_from_polygon`` against a local Overpass server holding the walk extract."""
    boundary = get_quartier("lauf").boundary
    clear_memo()
    with local_overpass(osm_data(LAUF_WALK), monkeypatch, tmp_path) as server:
        online = WalkNetwork.from_polygon(boundary, buffer_m=300.0, use_cache=False)
        assert len(server.network_queries()) == 1 and not server.errors
    offline = WalkNetwork.from_osm_file(LAUF_PBF, boundary=boundary, buffer_m=300.0)
    assert_same_network(offline, online, seed=5)


# ---------------------------------------------------------------------- cache
def test_cache_is_keyed_by_file_boundary_and_buffer(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    boundary = get_quartier("lauf").boundary
    folder = tmp_path / "cache" / storage.SUBDIR
    first = WalkNetwork.from_osm_file(LAUF_PBF, boundary=boundary)
    files = sorted(folder.glob("*.npz"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    again = WalkNetwork.from_osm_file(LAUF_PBF, boundary=boundary)  # from the cache
    assert files[0].stat().st_mtime_ns == stamp
    assert np.array_equal(again.edge_length_m, first.edge_length_m)
    narrower = WalkNetwork.from_osm_file(LAUF_PBF, boundary=boundary, buffer_m=100.0)
    assert narrower.n_nodes < first.n_nodes
    whole = WalkNetwork.from_osm_file(LAUF_PBF)
    assert whole.n_nodes == 2952 > first.n_nodes
    assert len(list(folder.glob("*.npz"))) == 3


# ---------------------------------------------------------------------- errors
def _truncated_pbf(tmp_path):
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(LAUF_PBF.read_bytes()[:400_000])
    return path


def _truncated_bz2(tmp_path):
    path = tmp_path / "cut.osm.bz2"
    path.write_bytes((DREIEICH / "dreieich_osm.osm.bz2").read_bytes()[:100_000])
    return path


def _html(tmp_path):
    path = tmp_path / "download.osm"
    path.write_text("<html><body>Too many requests</body></html>", encoding="utf-8")
    return path


def _gzip_named_pbf(tmp_path):
    path = tmp_path / "wrong.osm.pbf"
    path.write_bytes(gzip.compress(b"<osm version='0.6'></osm>"))
    return path


def _text_in_bz2(tmp_path):
    path = tmp_path / "notes.osm.bz2"
    path.write_bytes(bz2.compress(b"just some notes"))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_truncated_pbf, "PBF error"),
        (_truncated_bz2, "bzip2 error"),
        (_html, "html"),
        (_gzip_named_pbf, "PBF error"),
        (_text_in_bz2, "XML parsing error"),
    ],
    ids=["truncated-pbf", "truncated-bz2", "html", "gzip-named-pbf", "text-in-bz2"],
)
def test_unreadable_files_are_one_line_errors(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(OsmFileError) as info:
        WalkNetwork.from_osm_file(path, use_cache=False)
    message = str(info.value)
    assert str(path) in message and reason in message and "\n" not in message
    assert "not a readable OSM file" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_unknown_type_missing_file_and_no_walkable_way(tmp_path):
    text = tmp_path / "network.txt"
    text.write_text("nothing", encoding="utf-8")
    with pytest.raises(OsmFileError, match="unknown OSM file type"):
        _network_of(text)
    with pytest.raises(DataMissingError, match="not found"):
        WalkNetwork.from_osm_file(tmp_path / "nowhere.osm.pbf")
    empty = tmp_path / "empty.osm"
    empty.write_text("<?xml version='1.0'?><osm version='0.6'></osm>", encoding="utf-8")
    with pytest.raises(DataMissingError, match="no walkable way"):
        _network_of(empty)
    # Dreieich's planning area lies 170 km from Lauf: nothing of the Lauf file inside it
    with pytest.raises(DataMissingError, match=r"lauf_an_der_pegnitz_osm\.osm\.pbf.*no walkable"):
        WalkNetwork.from_osm_file(
            LAUF_PBF, boundary=get_quartier("dreieich").boundary, use_cache=False
        )


# ---------------------------------------------------------------------- registry and CLI
REGISTRY = """
[quartiers.lauf-pbf]
name = "Lauf an der Pegnitz – Innenstadt (from the .osm.pbf only)"
city = "Lauf an der Pegnitz"
state = "DE-BY"
mode = "network"
boundary_quality = "planning_area"
population = 9000

[quartiers.lauf-pbf.sources]
boundary = "boundaries/lauf_an_der_pegnitz_planning_area.geojson"
osm_extract = "{extract}"
"""


@pytest.mark.slow
def test_access_for_a_quartier_with_only_a_pbf(tmp_path, monkeypatch):
    import pandas as pd

    import geoquartier.cli  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app

    registry = tmp_path / "quartiers.toml"
    registry.write_text(
        REGISTRY.format(extract="lauf_an_der_pegnitz/lauf_an_der_pegnitz_osm.osm.pbf"),
        encoding="utf-8",
    )
    monkeypatch.setenv("GEOQUARTIER_REGISTRY", str(registry))
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "ws.gpkg"))
    reload_settings()
    clear_memo()
    spec = get_quartier("lauf-pbf")
    assert spec.walk_network_path is None and not spec.uses_overpass
    network = network_for(spec)
    assert isinstance(network, WalkNetwork)
    assert Path(network.source).resolve() == LAUF_PBF.resolve()
    assert network_for(spec) is network  # memoised
    area = buffered_area(spec.boundary, 500.0)
    lon, lat = shapely.get_coordinates(network.nodes_gdf().geometry.values).T
    assert shapely.intersects_xy(area, lon, lat).all() and network.n_nodes > 1000

    csv = tmp_path / "access.csv"
    result = CliRunner().invoke(
        app, ["access", "lauf-pbf", "-o", str(csv), "-m", "5,10", "-p", "standard"]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(csv, **CSV_OPTIONS)
    assert (table["method"] == "network").all()
    assert table["residents_total"].iloc[0] == pytest.approx(9000)
    assert (table["share_within_pct"] > 0).any() and (table["residents_off_network"] < 9000).all()
    clear_memo()


def test_a_broken_extract_in_the_registry_is_one_line(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "lauf").mkdir(parents=True)
    (data / "lauf" / "cut.osm.pbf").write_bytes(LAUF_PBF.read_bytes()[:300_000])
    registry = tmp_path / "quartiers.toml"
    registry.write_text(REGISTRY.format(extract="lauf/cut.osm.pbf"), encoding="utf-8")
    monkeypatch.setenv("GEOQUARTIER_REGISTRY", str(registry))
    monkeypatch.setenv("GEOQUARTIER_DATA", str(data))
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    clear_memo()
    with pytest.raises(OsmFileError, match=r"cut\.osm\.pbf: not a readable OSM file"):
        network_for(get_quartier("lauf-pbf"))
    clear_memo()
