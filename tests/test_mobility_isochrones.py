"""Isochrone polygons: drawn from reached (and cut) edges, checked by sampling every 10 m."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.ops import substring

from geoquartier.errors import GeoquartierError
from geoquartier.mobility import isochrones, nearest_facilities, residents_from_buildings
from geoquartier.mobility.isochrones import SIMPLIFY_M

SPEED_M_PER_MIN = 4.5 * 1000 / 60
BUFFER_M = 25.0

pytest_plugins = ["mobility_fixtures"]


def _reference_distances(net, graph, points_25832):
    """Network distance (m) of every node from the nearest point, computed with networkx on
    the OSMnx graph with one virtual source joined to both ends of each point's edge."""
    g = graph.copy()
    on_edge = []
    for p in points_25832:
        dist = shapely.distance(net.edge_geometry, p)
        e = int(np.argmin(dist))
        frac = float(shapely.line_locate_point(net.edge_geometry[e], p, normalized=True))
        length = net.edge_length_m[e]
        access = float(dist[e])
        g.add_edge("S", int(net.node_osmid[net.edge_u[e]]), length=access + frac * length)
        g.add_edge("S", int(net.node_osmid[net.edge_v[e]]), length=access + (1 - frac) * length)
        on_edge.append((e, frac, access))
    d = nx.single_source_dijkstra_path_length(g, "S", weight="length")
    node_dist = np.array([d.get(int(o), np.inf) for o in net.node_osmid])
    return node_dist, on_edge


def _samples(net, node_dist, on_edge):
    """Points every 10 m along every edge with their network distance (m)."""
    xs, ys, ds, es, fs = [], [], [], [], []
    for e, geom in enumerate(net.edge_geometry):
        n = max(int(geom.length // 10), 1)
        fr = np.linspace(0, 1, n + 1)
        length = net.edge_length_m[e]
        d = np.minimum(
            node_dist[net.edge_u[e]] + fr * length, node_dist[net.edge_v[e]] + (1 - fr) * length
        )
        for se, sf, sa in on_edge:
            if se == e:
                d = np.minimum(d, sa + np.abs(fr - sf) * length)
        pts = shapely.line_interpolate_point(geom, fr, normalized=True)
        xs.append(shapely.get_x(pts))
        ys.append(shapely.get_y(pts))
        ds.append(d)
        es.append(np.full(len(fr), e))
        fs.append(fr)
    return (
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate(ds),
        np.concatenate(es),
        np.concatenate(fs),
    )


def _reached_lines(net, node_dist, on_edge, budget):
    lines = []
    for e, geom in enumerate(net.edge_geometry):
        length = net.edge_length_m[e]
        ra = budget - node_dist[net.edge_u[e]]
        rb = budget - node_dist[net.edge_v[e]]
        intervals = []
        if ra > 0:
            intervals.append((0.0, min(1.0, ra / length) if length else 1.0))
        if rb > 0:
            intervals.append((max(0.0, 1 - rb / length) if length else 0.0, 1.0))
        for se, sf, sa in on_edge:
            if se == e and budget > sa:
                r = (budget - sa) / length
                intervals.append((max(0.0, sf - r), min(1.0, sf + r)))
        for f0, f1 in intervals:
            lines.append(substring(geom, f0, f1, normalized=True))
    return lines


def test_isochrones_match_network_times_sampled_every_10_m(
    lauf_network, lauf_graph, lauf_amenities
):
    net = lauf_network
    schools = lauf_amenities[lauf_amenities["category"] == "school"].sort_values("id").head(3)
    result = isochrones(net, schools, minutes=(5, 10), buffer_m=BUFFER_M)
    assert list(result["minutes"]) == [5, 10]
    assert (result["method"] == "network").all()
    polys = result.to_crs("EPSG:25832").geometry.values
    points = schools.to_crs("EPSG:25832").geometry.values
    node_dist, on_edge = _reference_distances(net, lauf_graph, points)
    x, y, d, _, _ = _samples(net, node_dist, on_edge)
    assert len(x) > 10_000
    for minutes, poly in zip((5, 10), polys, strict=True):
        budget = minutes * SPEED_M_PER_MIN
        inside = shapely.contains_xy(poly, x, y)
        within = d <= budget
        assert within.sum() > 100
        assert inside[within].mean() >= 0.99
        beyond = d > budget + SPEED_M_PER_MIN  # more than one minute beyond the threshold
        tree = shapely.STRtree(_reached_lines(net, node_dist, on_edge, budget))
        pts = shapely.points(x[beyond & inside], y[beyond & inside])
        near = tree.query(pts, predicate="dwithin", distance=BUFFER_M + SIMPLIFY_M)
        excused = np.zeros(len(pts), dtype=bool)
        excused[near[0]] = True
        ok = (~inside[beyond]).sum() + excused.sum()
        assert ok / beyond.sum() >= 0.99
        # not a convex hull: the band along the ways leaves gaps
        assert poly.area < 0.8 * poly.convex_hull.area
    assert polys[0].area < polys[1].area
    assert result["area_m2"].iloc[1] == pytest.approx(polys[1].area, rel=1e-3)


def test_isochrone_per_point_and_residents(lauf_network, lauf_amenities, lauf_buildings):
    net = lauf_network
    doctors = lauf_amenities[lauf_amenities["category"] == "doctors"].sort_values("id").head(2)
    population = residents_from_buildings(lauf_buildings, 1000.0)  # shares of 1000 (no count known)
    result = isochrones(net, doctors, minutes=[10], population=population, dissolve=False)
    assert list(result["point_id"]) == list(doctors["id"])
    assert len(result) == 2
    for _, row in result.iterrows():
        inside = (
            population.geometry.to_crs("EPSG:25832")
            .centroid.to_crs("EPSG:4326")
            .within(row.geometry)
        )
        assert row["residents_in_area"] == pytest.approx(
            population.loc[inside.to_numpy(), "residents"].sum()
        )
        assert 0 < row["residents"] < 1000
        # residents counts homes by their own walking time, as nearest_facilities does
        one = doctors[doctors["id"] == row["point_id"]]
        near = nearest_facilities(net, population, one, category_col=None)
        within = near.loc[near["walk_min"] <= 10, "origin_id"]
        expected = population.set_index("id").loc[within, "residents"].sum()
        assert row["residents"] == pytest.approx(expected)


def test_isochrone_input_errors(lauf_network, lauf_amenities):
    pts = lauf_amenities.head(1)
    with pytest.raises(GeoquartierError, match="minutes"):
        isochrones(lauf_network, pts, minutes=[-5])
    with pytest.raises(GeoquartierError, match="CRS"):
        isochrones(
            lauf_network,
            gpd.GeoDataFrame(pts.drop(columns="geometry"), geometry=list(pts.geometry)),
        )


def test_edge_cells_partition_the_edges_and_keep_the_isochrone_area(lauf_network, lauf_amenities):
    """The per-cell unions used to speed up the final union cover exactly the cell's edge
    buffers, and isochrones built with them equal the plain union of the reached parts."""
    from geoquartier.mobility import PROFILES, paths
    from geoquartier.mobility.inputs import as_points
    from geoquartier.mobility.isochrones import (
        QUAD_SEGS,
        access_legs,
        edge_buffers,
        edge_cells,
        nested_polygons,
        reached_parts,
        substrings,
    )
    from geoquartier.mobility.snapping import snap_points

    net = lauf_network
    cells = edge_cells(net, BUFFER_M)
    assert len(cells.cell) == net.n_edges and cells.count.sum() == net.n_edges
    assert np.array_equal(np.bincount(cells.cell, minlength=len(cells.polygons)), cells.count)
    buffers = edge_buffers(net, BUFFER_M)
    for c in np.flatnonzero(cells.count > 3)[:5]:
        plain = shapely.union_all(buffers[cells.cell == c])
        assert shapely.symmetric_difference(plain, cells.polygons[c]).area < 1e-6 * plain.area

    prof = PROFILES["standard"]
    pg = paths.profile_graph(net, prof)
    schools = lauf_amenities[lauf_amenities["category"] == "school"].head(3)
    pts = as_points(schools, "schools")
    seeds = snap_points(net, pts.x, pts.y, pg.allowed)
    budgets = [m * SPEED_M_PER_MIN for m in (5, 10, 15)]
    res = paths.search(pg, seeds, min_only=True, limit_m=budgets[-1])
    got = nested_polygons(pg, res.dist, seeds, pts.x, pts.y, budgets, BUFFER_M)
    used_cells = 0
    previous = []
    for budget, (geom, _) in zip(budgets, got, strict=True):
        # the plain construction: each threshold on the previous one plus the reached parts
        full, edge, f0, f1 = reached_parts(pg, res.dist, seeds, budget)
        whole = np.bincount(cells.cell[full], minlength=len(cells.polygons)) == cells.count
        used_cells += int(whole.sum())
        parts = np.concatenate(
            [
                shapely.simplify(substrings(net, edge, f0, f1), 1.0),
                access_legs(seeds, pts.x, pts.y, budget),
            ]
        )
        plain = shapely.union_all(
            np.concatenate(
                [previous, buffers[full], shapely.buffer(parts, BUFFER_M, quad_segs=QUAD_SEGS)]
            )
        )
        previous = [plain]
        assert shapely.symmetric_difference(plain, geom).area < 1e-6 * plain.area
    assert used_cells > 0  # the shortcut was taken
