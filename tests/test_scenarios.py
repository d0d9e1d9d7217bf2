"""Planning scenarios on Lauf's real walk network: edits are exact against networkx."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geoquartier.errors import GeoquartierError
from geoquartier.mobility import coverage, get_profile, node_distances, residents_from_buildings
from geoquartier.mobility.scenarios import Scenario, apply_scenario, compare, nearest_all

pytest_plugins = ["mobility_fixtures"]

TO_DEG = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
EMPTY = gpd.GeoDataFrame({"id": [], "category": []}, geometry=[], crs="EPSG:4326")


def _deg_line(xy) -> shapely.LineString:
    xy = np.asarray(xy, dtype=float)
    lon, lat = TO_DEG.transform(xy[:, 0], xy[:, 1])
    return shapely.LineString(np.column_stack([lon, lat]))


def _deg_point(x, y) -> shapely.Point:
    return shapely.Point(*TO_DEG.transform(x, y))


def _matrix(net, mask=None):
    mask = np.ones(net.n_edges, dtype=bool) if mask is None else mask
    u, v, w = net.edge_u[mask], net.edge_v[mask], net.edge_length_m[mask]
    return csr_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(net.n_nodes,) * 2)


def _gap(net):
    """Two nodes a few metres apart in a straight line but far apart on the network."""
    pairs = cKDTree(np.c_[net.node_x, net.node_y]).query_pairs(15, output_type="ndarray")
    d = dijkstra(_matrix(net), indices=pairs[:, 0], limit=5000)
    nd = d[np.arange(len(pairs)), pairs[:, 1]]
    sl = np.hypot(
        *(np.c_[net.node_x, net.node_y][pairs[:, 0]] - np.c_[net.node_x, net.node_y][pairs[:, 1]]).T
    )
    ratio = np.where(np.isfinite(nd), nd / sl, 0.0)
    a, b = pairs[int(np.argmax(ratio))]
    return int(a), int(b), float(nd[int(np.argmax(ratio))])


def _undirected(G) -> nx.Graph:
    """The OSMnx graph as a simple graph keeping the shortest parallel edge."""
    H = nx.Graph()
    for u, v, data in G.edges(data=True):
        w = float(data["length"])
        if not H.has_edge(u, v) or H[u][v]["length"] > w:
            H.add_edge(u, v, length=w)
    return H


def _facility_at(net, node):
    return gpd.GeoDataFrame(
        {"id": ["f"], "category": ["test"]},
        geometry=[_deg_point(net.node_x[node], net.node_y[node])],
        crs="EPSG:4326",
    )


def _compare_nodes(edited, H, source_osmid, base_net):
    ours = node_distances(edited, _facility_at_osmid(edited, source_osmid))["test"]
    ref = nx.single_source_dijkstra_path_length(H, source_osmid, weight="length")
    ids = base_net.node_osmid
    mine = ours.reindex(ids).to_numpy()
    theirs = np.array([ref.get(int(i), np.nan) for i in ids])
    assert np.array_equal(np.isfinite(mine), np.isfinite(theirs))
    ok = np.isfinite(theirs)
    assert np.max(np.abs(mine[ok] - theirs[ok])) < 1e-6
    return mine


def _facility_at_osmid(net, osmid):
    return _facility_at(net, int(net.node_index([osmid])[0]))


def test_new_footway_closes_a_real_gap_exactly(lauf_network, lauf_graph):
    net = lauf_network
    a, b, before_m = _gap(net)
    scenario = Scenario("lauf", "Steg")
    scenario.add(
        "way_add", _deg_line([[net.node_x[a], net.node_y[a]], [net.node_x[b], net.node_y[b]]])
    )
    edited = apply_scenario(scenario, net, EMPTY, EMPTY).network
    assert edited.n_edges == net.n_edges + 1 and edited.n_nodes == net.n_nodes
    H = _undirected(lauf_graph)
    oa, ob = int(net.node_osmid[a]), int(net.node_osmid[b])
    gap_m = float(np.hypot(net.node_x[a] - net.node_x[b], net.node_y[a] - net.node_y[b]))
    H.add_edge(oa, ob, length=gap_m)
    after = _compare_nodes(edited, H, oa, net)
    base = node_distances(net, _facility_at(net, a))["test"].reindex(net.node_osmid).to_numpy()
    assert after[b] == pytest.approx(gap_m, abs=1e-6) and before_m > 20 * gap_m
    assert base[b] - after[b] > 1000  # the gap was a real detour
    assert np.all(after <= base + 1e-6)


def test_new_way_ending_mid_edge_splits_it_exactly(lauf_network, lauf_graph):
    net = lauf_network
    a, b, _ = _gap(net)
    # the longest edge at b: the new way ends 2 m beside its middle
    inc = np.flatnonzero((net.edge_u == b) | (net.edge_v == b))
    e = int(inc[np.argmax(net.edge_length_m[inc])])
    geom = net.edge_geometry[e]
    mid = geom.interpolate(0.5, normalized=True)
    end = (mid.x + 2.0, mid.y)
    scenario = Scenario("lauf", "Steg zur Mitte")
    scenario.add("way_add", _deg_line([[net.node_x[a], net.node_y[a]], end]))
    edited = apply_scenario(scenario, net, EMPTY, EMPTY).network
    assert edited.n_edges == net.n_edges + 2 and edited.n_nodes == net.n_nodes + 1
    # the same edit on the OSMnx graph, derived independently with shapely
    f = geom.project(shapely.Point(end), normalized=True)
    s = geom.interpolate(f, normalized=True)
    u, v, length = (
        int(net.node_osmid[net.edge_u[e]]),
        int(net.node_osmid[net.edge_v[e]]),
        net.edge_length_m[e],
    )
    G = lauf_graph.copy()
    for x, y in ((u, v), (v, u)):
        for key in [k for k, d in G[x][y].items() if abs(d["length"] - length) < 1e-6]:
            G.remove_edge(x, y, key)
    H = _undirected(G)
    H.add_edge(u, "s", length=f * length)
    H.add_edge("s", v, length=(1 - f) * length)
    oa = int(net.node_osmid[a])
    H.add_edge(oa, "s", length=float(np.hypot(s.x - net.node_x[a], s.y - net.node_y[a])))
    _compare_nodes(edited, H, oa, net)


def test_closing_a_way_matches_networkx(lauf_network, lauf_graph):
    net = lauf_network
    a, b, _ = _gap(net)
    # close an edge in the middle of the shortest path from a to b
    d, pred = dijkstra(_matrix(net), indices=a, return_predecessors=True)
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    node, prev = path[len(path) // 2], path[len(path) // 2 + 1]
    e = int(
        np.flatnonzero(
            ((net.edge_u == prev) & (net.edge_v == node))
            | ((net.edge_v == prev) & (net.edge_u == node))
        )[0]
    )
    geom = net.edge_geometry[e]
    p, q = (
        geom.interpolate(0.5, normalized=True),
        geom.interpolate(0.5 + 0.5 / max(geom.length, 1), normalized=True),
    )
    nx_, ny_ = -(q.y - p.y), q.x - p.x
    norm = np.hypot(nx_, ny_)
    cut = [[p.x - nx_ / norm, p.y - ny_ / norm], [p.x + nx_ / norm, p.y + ny_ / norm]]
    scenario = Scenario("lauf", "Sperrung")
    scenario.add("way_close", _deg_line(cut))
    edited = apply_scenario(scenario, net, EMPTY, EMPTY).network
    closed = net.n_edges - edited.n_edges
    assert closed >= 1
    G = lauf_graph.copy()
    H = _undirected(G)
    removed = set()
    for ee in range(net.n_edges):
        if net.edge_geometry[ee].intersects(shapely.LineString(cut)):
            removed.add((int(net.node_osmid[net.edge_u[ee]]), int(net.node_osmid[net.edge_v[ee]])))
    assert len(removed) == closed == 1
    H.remove_edges_from(removed)
    oa = int(net.node_osmid[a])
    after = _compare_nodes(edited, H, oa, net)
    assert after[node] > d[node] + 1e-3


def _steps_bridge(net):
    """The steps edge whose ends are farthest apart for the wheelchair profile otherwise
    (both ends on usable ways)."""
    allowed = get_profile("wheelchair").allowed_edges(net)
    m = _matrix(net, allowed)
    degree = np.diff(m.indptr)
    steps = np.array(
        [
            e
            for e in np.flatnonzero(~allowed)
            if "steps" in str(net.tags["highway"][e]).split(";")
            and net.edge_geometry[e].length > 4
            and degree[net.edge_u[e]] > 0
            and degree[net.edge_v[e]] > 0
        ]
    )
    d = dijkstra(m, indices=net.edge_u[steps])[np.arange(len(steps)), net.edge_v[steps]]
    return int(steps[np.argmax(d / net.edge_length_m[steps])])


def test_ramp_instead_of_steps_makes_a_wheelchair_route_appear(lauf_network):
    net = lauf_network
    e = _steps_bridge(net)
    geom = net.edge_geometry[e]
    p = geom.interpolate(0.5, normalized=True)
    q = geom.interpolate(min(0.5 + 1.0 / geom.length, 1.0), normalized=True)
    nx_, ny_ = -(q.y - p.y), q.x - p.x
    norm = np.hypot(nx_, ny_)
    cut = [
        [p.x - 0.5 * nx_ / norm, p.y - 0.5 * ny_ / norm],
        [p.x + 0.5 * nx_ / norm, p.y + 0.5 * ny_ / norm],
    ]
    scenario = Scenario("lauf", "Rampe")
    scenario.add(
        "way_tags",
        _deg_line(cut),
        tags={"highway": "footway", "kerb": "lowered", "wheelchair": "yes"},
    )
    edited = apply_scenario(scenario, net, EMPTY, EMPTY).network
    u, v = net.edge_u[e], net.edge_v[e]
    fac = _facility_at(net, u)
    before = node_distances(net, fac, profile="wheelchair")["test"]
    after = node_distances(edited, fac, profile="wheelchair")["test"]
    osm_v = int(net.node_osmid[v])
    assert before.loc[osm_v] > net.edge_length_m[e] + 100  # a long detour or none at all
    assert after.loc[osm_v] == pytest.approx(net.edge_length_m[e], abs=1e-6)
    assert (
        get_profile("wheelchair").allowed_edges(edited).sum()
        > get_profile("wheelchair").allowed_edges(net).sum()
    )


def test_compare_counts_residents_for_every_category_and_profile(
    lauf_network, lauf_buildings, lauf_amenities
):
    net = lauf_network
    population = residents_from_buildings(lauf_buildings, 26000)
    facilities = lauf_amenities[lauf_amenities["category"].isin(["pharmacy", "kindergarten"])]
    a, b, _ = _gap(net)
    scenario = Scenario("lauf", "Drei Maßnahmen")
    scenario.add(
        "way_add", _deg_line([[net.node_x[a], net.node_y[a]], [net.node_x[b], net.node_y[b]]])
    )
    pharmacy = facilities[facilities["category"] == "pharmacy"].iloc[0]
    scenario.add("facility_close", facility_id=pharmacy["id"])
    scenario.add(
        "facility_add",
        _deg_point(net.node_x[a], net.node_y[a]),
        category="pharmacy",
        name="Neue Apotheke",
    )
    result = compare(scenario, net, population, facilities, (5, 10), ("standard", "wheelchair"))
    table = result.coverage
    assert len(table) == 2 * 2 * 2
    assert np.allclose(table["difference"], table["residents_after"] - table["residents_before"])
    assert np.allclose(
        table["difference"], table["residents_newly_within"] - table["residents_no_longer_within"]
    )
    keys = ["profile", "category", "threshold_min"]
    edited = result.edited
    for side, args in (
        ("before", (net, population, facilities)),
        ("after", (edited.network, edited.population, edited.facilities)),
    ):
        ref = coverage(*args, (5, 10), ("standard", "wheelchair")).set_index(keys)
        mine = table.set_index(keys).loc[ref.index]
        assert np.allclose(mine[f"residents_{side}"], ref["residents_within"])
        assert np.allclose(
            mine[f"unknown_share_{side}"], ref["unknown_share"], equal_nan=True, atol=1e-12
        )
    assert table["difference"].abs().sum() > 0
    po = result.per_origin
    assert set(po["profile"]) == {"standard", "wheelchair"}
    assert (po["gain_min"].abs() > 0).any()
    assert table["unknown_share_after"][table["profile"] == "wheelchair"].notna().any()


def test_bad_edits_name_the_edit_and_field_and_change_nothing(lauf_network):
    scenario = Scenario("lauf", "Fehler")
    with pytest.raises(GeoquartierError, match=r"edit 1 \(way_add\): field 'geometry'"):
        scenario.add("way_add", shapely.Point(11.28, 49.51))
    with pytest.raises(GeoquartierError, match=r"edit 1 \(residents_add\): field 'residents'"):
        scenario.add("residents_add", shapely.Point(11.28, 49.51), residents=-3)
    with pytest.raises(GeoquartierError, match=r"field 'tags' has unknown tag"):
        scenario.add(
            "way_tags", shapely.LineString([(11.28, 49.51), (11.29, 49.51)]), tags={"colour": "red"}
        )
    with pytest.raises(GeoquartierError, match="kind 'bridge'"):
        scenario.add("bridge")
    assert scenario.edits == []
    scenario.add("facility_close", facility_id="node/1")
    with pytest.raises(GeoquartierError, match=r"edit 1 \(facility_close\): field 'facility_id'"):
        apply_scenario(scenario, lauf_network, EMPTY, EMPTY)
    far = Scenario("lauf", "weit weg")
    far.add("way_add", shapely.LineString([(0.0, 0.0), (0.001, 0.0)]))
    with pytest.raises(GeoquartierError, match="does not come within 5 m"):
        apply_scenario(far, lauf_network, EMPTY, EMPTY)


def test_scenarios_round_trip_through_the_geopackage_without_touching_base_layers(tmp_path):
    from geoquartier.mobility.scenarios import (
        delete_scenario,
        list_scenarios,
        load_scenario,
        save_scenario,
    )

    gpkg = tmp_path / "workspace.gpkg"
    base = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(11.28, 49.51)], crs=4326)
    base.to_file(gpkg, layer="services", driver="GPKG")
    scenario = Scenario("lauf", "Neue Wege", description="Steg", author="Planerin")
    scenario.add(
        "way_add", shapely.LineString([(11.28, 49.51), (11.2801, 49.5101)]), surface="asphalt"
    )
    scenario.add("facility_close", facility_id="node/1")
    scenario.add("residents_add", shapely.Point(11.28, 49.51), residents=12)
    save_scenario(gpkg, scenario)
    other = Scenario("other", "Anderes Quartier")
    save_scenario(gpkg, other)
    back = load_scenario(gpkg, scenario.id)
    assert [e.kind for e in back.edits] == ["way_add", "facility_close", "residents_add"]
    assert back.edits[0].params == {"surface": "asphalt", "highway": "footway"}
    assert back.edits[0].geometry.equals(scenario.edits[0].geometry)
    assert back.edits[1].geometry is None and back.edits[2].params["residents"] == 12
    assert (back.title, back.author, back.created) == ("Neue Wege", "Planerin", scenario.created)
    listed = list_scenarios(gpkg, "lauf")
    assert listed["id"].tolist() == [scenario.id] and listed["edits"].tolist() == [3]
    back.publish()
    save_scenario(gpkg, back)
    assert load_scenario(gpkg, scenario.id).status == "published"
    with pytest.raises(GeoquartierError, match="published"):
        back.add("facility_close", facility_id="x")
    delete_scenario(gpkg, scenario.id)
    assert list_scenarios(gpkg)["id"].tolist() == [other.id]
    assert gpd.read_file(gpkg, layer="services")["id"].tolist() == ["a"]


def test_cli_new_add_compare_publish_delete_on_lauf(tmp_path, monkeypatch, lauf_network):
    from typer.testing import CliRunner

    import geoquartier.cli  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app
    from geoquartier.mobility.coverage import CSV_OPTIONS
    from geoquartier.settings import reload_settings

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "ws.gpkg"))
    reload_settings()
    run = CliRunner().invoke
    res = run(app, ["scenario", "new", "lauf", "--title", "Steg", "--author", "Planerin"])
    assert res.exit_code == 0, res.output
    sid = res.output.strip()
    net = lauf_network
    a, b, _ = _gap(net)
    line = _deg_line([[net.node_x[a], net.node_y[a]], [net.node_x[b], net.node_y[b]]])
    res = run(app, ["scenario", "add", sid, "way_add", "--geometry", line.wkt])
    assert res.exit_code == 0, res.output
    res = run(app, ["scenario", "add", sid, "residents_add", "--geometry", "POINT (11.28 49.51)"])
    # main() turns this error into a one-line message and exit code 2
    assert isinstance(res.exception, GeoquartierError)
    assert "field 'residents' is required" in str(res.exception)
    res = run(app, ["scenario", "list"])
    assert sid in res.output and "draft" in res.output
    csv = tmp_path / "cmp.csv"
    res = run(
        app,
        [
            "scenario",
            "compare",
            sid,
            "--out",
            str(csv),
            "--minutes",
            "5,10",
            "--gpkg",
            str(tmp_path / "cmp.gpkg"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "edit 1 (way_add): 1 new edge(s)" in res.output
    table = pd.read_csv(csv, **CSV_OPTIONS)
    assert set(table["profile"]) == {"standard", "senior", "wheelchair"}
    assert set(table["threshold_min"]) == {5.0, 10.0}
    per_origin = gpd.read_file(tmp_path / "cmp.gpkg", layer="scenario_per_origin")
    assert {"walk_min_before", "walk_min_after", "gain_min"} <= set(per_origin.columns)
    assert run(app, ["scenario", "publish", sid]).exit_code == 0
    res = run(app, ["scenario", "add", sid, "way_close", "--geometry", line.wkt])
    assert isinstance(res.exception, GeoquartierError) and "published" in str(res.exception)
    assert run(app, ["scenario", "delete", sid]).exit_code == 0
    assert "no scenarios" in run(app, ["scenario", "list"]).output


def test_facility_and_residents_edits_recompute_only_what_changed(
    lauf_network, lauf_buildings, lauf_amenities
):
    net = lauf_network
    population = residents_from_buildings(lauf_buildings, 26000)
    facilities = lauf_amenities[lauf_amenities["category"].isin(["pharmacy", "kindergarten"])]
    kita = facilities[facilities["category"] == "kindergarten"].iloc[0]
    moved = Scenario("lauf", "Kita zieht um")
    moved.add("facility_move", _deg_point(net.node_x[0], net.node_y[0]), facility_id=kita["id"])
    result = compare(moved, net, population, facilities, (10,), ("standard",))
    assert result.recomputed == "categories kindergarten (facilities changed)"
    table = result.coverage.set_index("category")
    assert table.loc["pharmacy", "difference"] == 0
    edited = result.edited
    ref = coverage(net, population, edited.facilities, (10,), ("standard",)).set_index("category")
    assert np.allclose(table["residents_after"], ref.loc[table.index, "residents_within"])
    homes = Scenario("lauf", "Neubaugebiet")
    homes.add("residents_add", _deg_point(net.node_x[0], net.node_y[0]), residents=250)
    result = compare(homes, net, population, facilities, (10,), ("standard",))
    table = result.coverage
    assert np.allclose(table["residents_total_after"] - table["residents_total_before"], 250)
    ref = coverage(net, result.edited.population, facilities, (10,), ("standard",))
    assert np.allclose(
        table.set_index("category")["residents_after"],
        ref.set_index("category").loc[table["category"], "residents_within"],
    )


def test_closing_the_last_facility_of_a_category_leaves_nobody_within(
    lauf_network, lauf_buildings, lauf_amenities
):
    net = lauf_network
    population = residents_from_buildings(lauf_buildings, 26000)
    facilities = lauf_amenities[lauf_amenities["category"].isin(["pharmacy", "kindergarten"])]
    closed = Scenario("lauf", "Keine Apotheke mehr")
    for fid in facilities.loc[facilities["category"] == "pharmacy", "id"]:
        closed.add("facility_close", facility_id=fid)
    result = compare(closed, net, population, facilities, (10, 15), ("standard",))
    assert result.recomputed == "categories pharmacy (facilities changed)"
    table = result.coverage.set_index(["category", "threshold_min"])
    pharmacy = table.loc["pharmacy"]
    assert (pharmacy["residents_after"] == 0).all() and (pharmacy["residents_before"] > 0).all()
    assert np.allclose(pharmacy["residents_no_longer_within"], pharmacy["residents_before"])
    assert (table.loc["kindergarten", "difference"] == 0).all()
    per = result.per_origin[result.per_origin["category"] == "pharmacy"]
    assert np.isneginf(per["gain_min"]).all()


def test_residents_remove_takes_from_the_nearest_home_and_refuses_more(lauf_buildings):
    population = residents_from_buildings(lauf_buildings, 26000)
    home = population.iloc[10]
    at = home.geometry.centroid
    scenario = Scenario("lauf", "Abriss")
    scenario.add("residents_remove", at, residents=float(home["residents"]) / 2)
    edited = apply_scenario(scenario, None, EMPTY, population).population
    assert edited["residents"].sum() == pytest.approx(26000 - home["residents"] / 2)
    assert population["residents"].sum() == pytest.approx(26000)  # the base is untouched
    too_many = Scenario("lauf", "zu viel")
    too_many.add("residents_remove", at, residents=float(home["residents"]) + 1)
    with pytest.raises(GeoquartierError, match=r"edit 1 \(residents_remove\): field 'residents'"):
        apply_scenario(too_many, None, EMPTY, population)


def _cut_across(net, e, half_m=0.5):
    """A short line (EPSG:4326) drawn across the middle of edge ``e``."""
    geom = net.edge_geometry[e]
    p = geom.interpolate(0.5, normalized=True)
    q = geom.interpolate(min(0.5 + 1.0 / geom.length, 1.0), normalized=True)
    d = np.array([-(q.y - p.y), q.x - p.x]) / np.hypot(q.y - p.y, q.x - p.x) * half_m
    return _deg_line([[p.x - d[0], p.y - d[1]], [p.x + d[0], p.y + d[1]]])


def _reuse_scenario(net, kind):
    a, b, _ = _gap(net)
    s = Scenario("lauf", kind)
    if kind == "gap, ramp, pharmacy":
        s.add(
            "way_add", _deg_line([[net.node_x[a], net.node_y[a]], [net.node_x[b], net.node_y[b]]])
        )
        s.add("way_tags", _cut_across(net, _steps_bridge(net)), tags={"highway": "footway"})
        s.add("facility_add", _deg_point(net.node_x[a], net.node_y[a]), category="pharmacy")
    elif kind == "closure":
        _, pred = dijkstra(_matrix(net), indices=a, return_predecessors=True)
        path = [b]
        while path[-1] != a:
            path.append(int(pred[path[-1]]))
        x, y = path[len(path) // 2], path[len(path) // 2 + 1]
        on = ((net.edge_u == x) & (net.edge_v == y)) | ((net.edge_u == y) & (net.edge_v == x))
        s.add("way_close", _cut_across(net, int(np.flatnonzero(on)[0])))
    else:  # a new way from a to 2 m beside the middle of the longest edge at b (a split)
        inc = np.flatnonzero((net.edge_u == b) | (net.edge_v == b))
        mid = net.edge_geometry[int(inc[np.argmax(net.edge_length_m[inc])])].interpolate(
            0.5, normalized=True
        )
        s.add("way_add", _deg_line([[net.node_x[a], net.node_y[a]], [mid.x + 2.0, mid.y]]))
    return s


@pytest.mark.parametrize("kind", ["gap, ramp, pharmacy", "closure", "split"])
def test_after_side_searches_only_what_can_change_and_equals_a_full_search(
    kind, lauf_network, lauf_buildings, lauf_amenities
):
    """The after side keeps the base rows the exact bounds allow and equals a full search
    on the edited inputs for every origin, category and profile."""
    net = lauf_network
    population = residents_from_buildings(lauf_buildings, 26000)
    profiles = ("standard", "senior", "wheelchair")
    result = compare(_reuse_scenario(net, kind), net, population, lauf_amenities, (5, 10, 15),
                     profiles)  # fmt: skip
    edited = result.edited
    full = nearest_all(edited.network, edited.population, edited.facilities, profiles)
    po = result.per_origin
    assert np.array_equal(po["origin_id"].to_numpy(), full["origin_id"].to_numpy())
    mine, ref = po["walk_min_after"].to_numpy(), full["walk_min"].to_numpy()
    assert np.array_equal(np.isfinite(mine), np.isfinite(ref))
    ok = np.isfinite(ref)
    assert np.abs(mine[ok] - ref[ok]).max() <= 1e-9  # minutes: rounding only
    n_cats = lauf_amenities["category"].nunique()
    searched = {
        part.split(":")[0].strip(): int(part.split(":")[1].split(" of ")[0])
        for part in result.recomputed.split(": ", 1)[1].split(";")
    }
    assert set(searched) == set(profiles)
    if kind == "gap, ramp, pharmacy":
        assert searched["standard"] < n_cats // 4  # the new footway changes few categories
    assert min(searched.values()) < n_cats
