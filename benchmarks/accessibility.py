"""Benchmark of the walking accessibility engine against the tools a planner would use.

Runs on the real extracts of Lauf an der Pegnitz and Heidelberg (``data_dir()``) and
prints one markdown table with ratios, every baseline measured in the same run:

* network build from the full ``.osm.pbf`` (``WalkNetwork.from_osm_file`` →
  ``osmfile.build_walk_network``, no cache) vs. ``ox.graph_from_xml`` on the walk-only
  extract + kerbs + ``simplify_graph`` + conversion to arrays (the OSMnx path). Each side
  runs in a fresh subprocess: the time is measured inside it around the build alone, the
  peak RSS is the subprocess's own peak resident set (``VmHWM`` of ``/proc/self/status``;
  ``ru_maxrss`` would carry the parent's peak over fork/exec), which includes Python and
  the imported libraries (their share, the peak before the build, is given in brackets). A
  city-scale case tiles the Heidelberg extract into a SYNTHETIC file of ≥ 2 million nodes
  (shifted copies with new ids, written with pyosmium to a temporary folder, deleted
  afterwards) and builds it whole and clipped to a 2 × 2 km square;
* cached load: ``WalkNetwork.load`` from the array cache vs. ``ox.load_graphml``;
* nearest facility, 5 categories × 20 facilities, over all nodes (and all buildings in
  Lauf): ``nearest_facilities`` vs. networkx ``multi_source_dijkstra_path_length`` (one
  run per category; facilities and buildings node-snapped with ``ox.distance.nearest_nodes``,
  not timed) and pandana ``nearest_pois`` if pandana is installed (benchmark-only extra);
* isochrones, 20 facilities × 5/10/15 min: ``isochrones(dissolve=False)`` vs. OSMnx's
  isochrone recipe (``nx.ego_graph`` per facility and threshold + 25 m node and edge
  buffers, ``union_all``), with the accuracy of both measured by sampling every 10 m along
  every edge (share of points within the time inside the polygon; share of points more
  than a minute beyond it outside or within the buffer width of a reached edge).

Lauf facilities are its real amenities (restaurant, school, doctors, bank, kindergarten;
up to 20 each). The Heidelberg extract has no POIs, so its facilities are points at the
middle of 100 edges drawn with a fixed seed. Times are seconds, the engine's after one
warm-up call (the warm-up's one-time preparation is shown on its own row).

    python benchmarks/accessibility.py [--places lauf,heidelberg] [--skip-pandana]
    python benchmarks/accessibility.py --only network-build [--synthetic-nodes 2000000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from geoquartier.config import PROJECT_ROOT, data_dir
from geoquartier.mobility import (
    PROFILES,
    WalkNetwork,
    isochrones,
    nearest_facilities,
    node_distances,
    paths,
)
from geoquartier.mobility.isochrones import edge_cells
from geoquartier.mobility.network import buffered_area, graph_from_osm_file
from geoquartier.mobility.snapping import snap_points

PLACES = {
    "lauf": ("Lauf", "lauf_an_der_pegnitz"),
    "heidelberg": ("Heidelberg", "heidelberg"),
}
FULL_PBF = {
    "lauf": "lauf_an_der_pegnitz_osm.osm.pbf",
    "heidelberg": "heidelberg_ors_filtered_osm.osm.pbf",
}
SYNTHETIC_TILE_DEG = (0.35, 0.2)  # Heidelberg's walk network spans about 0.32° × 0.18°
SYNTHETIC_ID_STEP = 10**11  # copy k: id + k × step (OSM ids are below 2e10)
HEIDELBERG_SQUARE = (8.680, 49.403, 8.708, 49.421)  # about 2 × 2 km around the Altstadt
LAUF_CATEGORIES = ["restaurant", "school", "doctors", "bank", "kindergarten"]
MINUTES = (5, 10, 15)
SPEED = PROFILES["standard"].speed_m_per_min
BUFFER_M = 25.0


def timed(fn, repeat=1):
    best = None
    out = None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, out


def facilities_for(place, folder, net):
    if place == "lauf":
        import osmnx as ox

        raw = ox.features_from_xml(
            data_dir() / folder / f"{folder}_osm.osm.bz2", tags={"amenity": True}
        )
        raw = raw.reset_index()
        raw = raw[raw["amenity"].isin(LAUF_CATEGORIES)].sort_values("id")
        raw = raw.groupby("amenity", group_keys=False).head(20)
        pts = gpd.GeoSeries(
            raw.geometry.to_crs("EPSG:25832").representative_point(), crs="EPSG:25832"
        )
        return gpd.GeoDataFrame(
            {
                "id": [f"{e}/{i}" for e, i in zip(raw["element"], raw["id"], strict=True)],
                "category": raw["amenity"].to_numpy(),
            },
            geometry=pts.to_crs("EPSG:4326").values,
            crs="EPSG:4326",
        )
    rng = np.random.default_rng(2026)
    edges = rng.choice(net.n_edges, 100, replace=False)
    pts = shapely.line_interpolate_point(net.edge_geometry[edges], 0.5, normalized=True)
    return gpd.GeoDataFrame(
        {
            "id": [f"f{i}" for i in range(100)],
            "category": [f"category{i // 20 + 1}" for i in range(100)],
        },
        geometry=pts,
        crs="EPSG:25832",
    ).to_crs("EPSG:4326")


def buildings_for(place, folder):
    if place != "lauf":
        return None
    import osmnx as ox

    raw = ox.features_from_xml(
        data_dir() / folder / f"{folder}_osm.osm.bz2", tags={"building": True}
    )
    raw = raw[raw.geometry.geom_type.isin(["Polygon", "MultiPolygon"])].reset_index()
    return gpd.GeoDataFrame(
        {"id": [f"{e}/{i}" for e, i in zip(raw["element"], raw["id"], strict=True)]},
        geometry=raw.geometry.values,
        crs="EPSG:4326",
    )


def networkx_nearest(G, source_nodes_by_cat):
    out = {}
    for cat, nodes in source_nodes_by_cat.items():
        out[cat] = nx.multi_source_dijkstra_path_length(G, set(nodes), weight="length")
    return out


def osmnx_recipe(Gp, centers, budgets, buff=BUFFER_M):
    """OSMnx's isochrone example: ego_graph per centre and threshold, node and edge buffers."""
    from shapely.geometry import LineString, Point

    polys = []
    for center in centers:
        for budget in budgets:
            sub = nx.ego_graph(Gp, center, radius=budget, distance="length")
            node_points = [Point((d["x"], d["y"])) for _, d in sub.nodes(data=True)]
            nodes_gdf = gpd.GeoDataFrame({"id": list(sub.nodes)}, geometry=node_points).set_index(
                "id"
            )
            lines = []
            for u, v in sub.edges():
                f = nodes_gdf.loc[u].geometry
                t = nodes_gdf.loc[v].geometry
                lines.append(Gp.get_edge_data(u, v)[0].get("geometry", LineString([f, t])))
            n = nodes_gdf.buffer(buff).geometry
            e = gpd.GeoSeries(lines).buffer(buff).geometry
            polys.append(gpd.GeoSeries(list(n) + list(e)).union_all())
    return polys


def samples(net):
    coords = []
    edge = []
    frac = []
    for e, geom in enumerate(net.edge_geometry):
        n = max(int(geom.length // 10), 1)
        fr = np.linspace(0, 1, n + 1)
        edge.append(np.full(n + 1, e))
        frac.append(fr)
    edge = np.concatenate(edge)
    frac = np.concatenate(frac)
    pts = shapely.line_interpolate_point(net.edge_geometry[edge], frac, normalized=True)
    coords = shapely.get_coordinates(pts)
    return coords[:, 0], coords[:, 1], edge, frac


def accuracy(net, facilities, polygons_25832):
    """Shares of correct sample points (criterion 1, criterion 2) over all polygons."""
    pg = paths.profile_graph(net, PROFILES["standard"])
    pts = facilities.to_crs("EPSG:25832")
    seeds = snap_points(net, pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy(), pg.allowed)
    res = paths.search(pg, seeds, min_only=False)
    x, y, edge, frac = samples(net)
    length = net.edge_length_m[edge]
    u, v = net.edge_u[edge], net.edge_v[edge]
    ok1 = tot1 = ok2 = tot2 = 0
    k = 0
    for j in range(len(seeds)):
        d = np.minimum(res.dist[j, u] + frac * length, res.dist[j, v] + (1 - frac) * length)
        same = edge == seeds.edge[j]
        d[same] = np.minimum(
            d[same], seeds.access_m[j] + np.abs(frac[same] - seeds.fraction[j]) * length[same]
        )
        for minutes in MINUTES:
            poly = polygons_25832[k]
            k += 1
            budget = minutes * SPEED
            box = shapely.box(*poly.bounds).buffer(10)
            inbox = shapely.contains_xy(box, x, y)
            inside = np.zeros(len(x), dtype=bool)
            inside[inbox] = shapely.contains_xy(poly, x[inbox], y[inbox])
            within = d <= budget
            ok1 += int(inside[within].sum())
            tot1 += int(within.sum())
            beyond = d > budget + SPEED
            suspects = np.flatnonzero(beyond & inside)
            if len(suspects):
                # excused when within the buffer width of a part of a way reached in time
                reached = d <= budget
                tree = shapely.STRtree(shapely.points(x[reached], y[reached]))
                hit = tree.query(
                    shapely.points(x[suspects], y[suspects]),
                    predicate="dwithin",
                    distance=BUFFER_M + 10.0,
                )
                excused = np.zeros(len(suspects), dtype=bool)
                excused[hit[0]] = True
                bad = int((~excused).sum())
            else:
                bad = 0
            ok2 += int(beyond.sum()) - bad
            tot2 += int(beyond.sum())
    return ok1 / max(tot1, 1), ok2 / max(tot2, 1)


def run_place(key, skip_pandana, rows):
    label, folder = PLACES[key]
    walk = data_dir() / folder / f"{folder}_walk_osm.osm.bz2"
    print(f"# {label}: building the OSMnx graph ...", flush=True)
    G = graph_from_osm_file(walk)  # the baselines' graph (build timed in network_build)
    net = WalkNetwork.from_graph(G, source=str(walk))
    with tempfile.TemporaryDirectory() as tmp:
        npz = net.save(Path(tmp) / "net.npz")
        graphml = Path(tmp) / "net.graphml"
        import osmnx as ox

        ox.save_graphml(G, graphml)
        t_load, _ = timed(lambda: WalkNetwork.load(npz), repeat=3)
        t_gml, _ = timed(lambda: ox.load_graphml(graphml))
    rows.append((label, "cached network load", t_load, "ox.load_graphml", t_gml))

    facilities = facilities_for(key, folder, net)
    cats = sorted(facilities["category"].unique())
    origins = gpd.GeoDataFrame(
        {"id": net.node_osmid},
        geometry=gpd.points_from_xy(net.node_x, net.node_y),
        crs="EPSG:25832",
    ).to_crs("EPSG:4326")
    fac_nodes = ox.distance.nearest_nodes(
        G, facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy()
    )
    by_cat = {
        c: [fac_nodes[i] for i in np.flatnonzero(facilities["category"].to_numpy() == c)]
        for c in cats
    }

    t_prep, _ = timed(lambda: nearest_facilities(net, origins.head(10), facilities))
    rows.append((label, "one-time preparation (routable graph, spatial index)", t_prep, "", None))
    t_nd, _ = timed(lambda: node_distances(net, facilities), repeat=3)
    t_ours, _ = timed(lambda: nearest_facilities(net, None, facilities), repeat=3)
    t_nx, _ = timed(lambda: networkx_nearest(G, by_cat))
    task = f"nearest facility, {len(cats)} categories, {len(facilities)} facilities, all nodes"
    rows.append(
        (
            label,
            task + ": node_distances (distance per node, as networkx gives)",
            t_nd,
            "networkx multi_source_dijkstra_path_length",
            t_nx,
        )
    )
    rows.append(
        (
            label,
            task + ": nearest_facilities(origins=None) (GeoDataFrame, facility ids)",
            t_ours,
            "networkx multi_source_dijkstra_path_length",
            t_nx,
        )
    )
    t_pts, _ = timed(lambda: nearest_facilities(net, origins, facilities), repeat=3)
    rows.append(
        (
            label,
            task + ": nearest_facilities, nodes given as points (snapped)",
            t_pts,
            "networkx multi_source_dijkstra_path_length",
            t_nx,
        )
    )
    if not skip_pandana:
        try:
            import pandana  # noqa: F401

            t_pd_prep, pnet = timed(lambda: pandana_network(G))
            maxd = 20_000

            def pd_run():
                out = {}
                for c in cats:
                    sel = facilities[facilities["category"] == c]
                    pnet.set_pois(c, maxd, 1, sel.geometry.x, sel.geometry.y)
                    out[c] = pnet.nearest_pois(maxd, c, num_pois=1)
                return out

            t_pd, _ = timed(pd_run)
            rows.append(
                (
                    label,
                    task + ": node_distances",
                    t_nd,
                    f"pandana nearest_pois (+{t_pd_prep:.2f} s preprocessing)",
                    t_pd,
                )
            )
        except ImportError:
            rows.append((label, task, t_ours, "pandana not installed", None))

    buildings = buildings_for(key, folder)
    if buildings is not None:
        t_b, _ = timed(lambda: nearest_facilities(net, buildings, facilities), repeat=3)
        cent = buildings.to_crs("EPSG:25832").centroid.to_crs("EPSG:4326")
        b_nodes = ox.distance.nearest_nodes(G, cent.x.to_numpy(), cent.y.to_numpy())

        def nx_buildings():
            d = networkx_nearest(G, by_cat)
            return {c: [d[c].get(n) for n in b_nodes] for c in cats}

        t_bnx, _ = timed(nx_buildings)
        rows.append(
            (
                label,
                f"nearest facility, all {len(buildings):,} buildings",
                t_b,
                "networkx multi_source_dijkstra_path_length (node-snapped)",
                t_bnx,
            )
        )

    # isochrones: 20 facilities × 5/10/15 min
    iso_fac = facilities.iloc[np.linspace(0, len(facilities) - 1, 20).astype(int)]
    edge_cells(net, BUFFER_M)  # warm the caches (shown in the one-time rows)

    def prepare():
        for cache_key in [
            k for k in net._cache if isinstance(k, tuple) and k[0] in ("edge_buffers", "edge_cells")
        ]:
            del net._cache[cache_key]
        return edge_cells(net, BUFFER_M)

    t_pre, _ = timed(prepare)
    rows.append(
        (
            label,
            "one-time preparation (edge buffers and their unions per 150 m cell, for isochrones)",
            t_pre,
            "",
            None,
        )
    )
    isochrones(net, iso_fac.head(2), MINUTES, dissolve=False)
    t_iso, iso = timed(lambda: isochrones(net, iso_fac, MINUTES, dissolve=False), repeat=3)
    print(f"# {label}: OSMnx isochrone recipe ...", flush=True)
    Gp = ox.project_graph(G, to_crs="EPSG:25832")
    iso_m = iso_fac.to_crs("EPSG:25832")
    centers = ox.distance.nearest_nodes(
        Gp, iso_m.geometry.x.to_numpy(), iso_m.geometry.y.to_numpy()
    )
    budgets = [m * SPEED for m in MINUTES]
    t_recipe, recipe = timed(lambda: osmnx_recipe(Gp, centers, budgets))
    ours_acc = accuracy(net, iso_fac, list(iso.to_crs("EPSG:25832").geometry.values))
    base_acc = accuracy(net, iso_fac, recipe)
    rows.append(
        (
            label,
            "isochrones 20 facilities × 5/10/15 min; "
            f"accuracy {ours_acc[0]:.1%} / {ours_acc[1]:.1%}",
            t_iso,
            f"OSMnx recipe (ego_graph + buffers); accuracy {base_acc[0]:.1%} / {base_acc[1]:.1%}",
            t_recipe,
        )
    )
    t_diss, _ = timed(lambda: isochrones(net, iso_fac, MINUTES, dissolve=True), repeat=3)
    rows.append(
        (label, "isochrones 20 facilities × 5/10/15 min, dissolved per threshold", t_diss, "", None)
    )


# ---------------------------------------------------------------------- network build
_CHILD_PEAK = """
def peak_kb():
    # VmHWM: the peak resident set of this process's own address space. (ru_maxrss of a
    # child started with fork/exec also carries the parent's peak, so it is not used.)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
"""

_CHILD_BUILD = (
    _CHILD_PEAK
    + """
import json, sys, time
import shapely
from geoquartier.mobility.network import WalkNetwork
from geoquartier.mobility.osmfile import build_walk_network
area = shapely.from_wkt(sys.argv[2]) if sys.argv[2] else None
before = peak_kb()
start, cpu = time.perf_counter(), time.process_time()
net = WalkNetwork(**build_walk_network(sys.argv[1], area))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "nodes": net.n_nodes, "edges": net.n_edges,
                  "imports_kb": before, "peak_kb": peak_kb()}))
"""
)

_CHILD_OSMNX = (
    _CHILD_PEAK
    + """
import json, sys, time
import osmnx
from geoquartier.mobility.network import WalkNetwork, graph_from_osm_file
before = peak_kb()
start, cpu = time.perf_counter(), time.process_time()
net = WalkNetwork.from_graph(graph_from_osm_file(sys.argv[1]))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "nodes": net.n_nodes, "edges": net.n_edges,
                  "imports_kb": before, "peak_kb": peak_kb()}))
"""
)


def in_child(code: str, *args) -> dict:
    """Run ``code`` in a fresh Python process; its JSON answer (last line of output) with
    ``peak_mb`` (the process's peak resident set, VmHWM) and ``imports_mb`` (its peak
    before the measured step)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stdout}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["peak_mb"] = result.pop("peak_kb") / 1024
    result["imports_mb"] = result.pop("imports_kb") / 1024
    return result


def _rss(result: dict) -> str:
    """CPU time and peak RSS of a child's measured step, for the row text."""
    return (
        f"CPU {result['cpu']:.2f} s, peak RSS {result['peak_mb']:,.0f} MB "
        f"({result['imports_mb']:,.0f} MB imports)"
    )


def write_synthetic(source: Path, target: Path, min_nodes: int) -> tuple[int, int]:
    """SYNTHETIC test file: shifted copies of ``source`` (ids + k × SYNTHETIC_ID_STEP,
    tiles SYNTHETIC_TILE_DEG apart) until it holds ``min_nodes`` nodes, written with
    pyosmium in OSM order (nodes, ways, relations). Returns (copies, nodes)."""
    import osmium

    per_copy = sum(1 for _ in osmium.FileProcessor(str(source), osmium.osm.NODE))
    copies = -(-min_nodes // per_copy)
    columns = int(np.ceil(np.sqrt(copies)))
    writer = osmium.SimpleWriter(str(target), overwrite=True)
    try:
        for kind in (osmium.osm.NODE, osmium.osm.WAY, osmium.osm.RELATION):
            for k in range(copies):
                dx = (k % columns) * SYNTHETIC_TILE_DEG[0]
                dy = (k // columns) * SYNTHETIC_TILE_DEG[1]
                _write_copy(writer, source, kind, k * SYNTHETIC_ID_STEP, dx, dy)
    finally:
        writer.close()
    return copies, copies * per_copy


def _write_copy(writer, source: Path, kind, offset: int, dx: float, dy: float) -> None:
    import osmium

    for obj in osmium.FileProcessor(str(source), kind):
        if obj.is_node():
            loc = (obj.location.lon + dx, obj.location.lat + dy)
            writer.add_node(obj.replace(id=obj.id + offset, location=loc))
        elif obj.is_way():
            refs = [n.ref + offset for n in obj.nodes]
            writer.add_way(obj.replace(id=obj.id + offset, nodes=refs))
        else:
            members = [(m.type, m.ref + offset, m.role) for m in obj.members]
            writer.add_relation(obj.replace(id=obj.id + offset, members=members))


def network_build(places, rows, synthetic_nodes: int) -> None:
    """Rows "network build from .osm.pbf" (see the module docstring)."""
    from geoquartier.registry import get_quartier

    for key in places:
        label, folder = PLACES[key]
        print(f"# {label}: network build from the .osm.pbf and with OSMnx ...", flush=True)
        ours = in_child(_CHILD_BUILD, data_dir() / folder / FULL_PBF[key], "")
        base = in_child(_CHILD_OSMNX, data_dir() / folder / f"{folder}_walk_osm.osm.bz2")
        assert (ours["nodes"], ours["edges"]) == (base["nodes"], base["edges"])
        rows.append(
            (
                label,
                f"network build from .osm.pbf ({ours['nodes']:,} nodes, {2 * ours['edges']:,} "
                f"directed edges); {_rss(ours)}",
                ours["seconds"],
                f"ox.graph_from_xml on the walk extract + simplify_graph + arrays; {_rss(base)}",
                base["seconds"],
            )
        )
        if key == "lauf":
            area = buffered_area(get_quartier("lauf").boundary, 500.0)
            clipped = in_child(_CHILD_BUILD, data_dir() / folder / FULL_PBF[key], area.wkt)
            rows.append(
                (
                    label,
                    f"network build from .osm.pbf, quartier + 500 m ({clipped['nodes']:,} "
                    f"nodes); {_rss(clipped)}",
                    clipped["seconds"],
                    "",
                    None,
                )
            )
    if synthetic_nodes > 0:
        synthetic_rows(rows, synthetic_nodes)


def synthetic_rows(rows, min_nodes: int) -> None:
    """Build the SYNTHETIC tiled Heidelberg file whole and clipped to a 2 × 2 km square."""
    source = data_dir() / "heidelberg" / FULL_PBF["heidelberg"]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "synthetic_heidelberg_tiles.osm.pbf"
        print(f"# writing the SYNTHETIC file (>= {min_nodes:,} nodes) ...", flush=True)
        copies, nodes = write_synthetic(source, target, min_nodes)
        size_mb = target.stat().st_size / 2**20
        label = f"SYNTHETIC: Heidelberg × {copies} ({nodes:,} nodes, {size_mb:.0f} MB pbf)"
        whole = in_child(_CHILD_BUILD, target, "")
        rows.append(
            (
                label,
                f"network build, whole file (largest component {whole['nodes']:,} nodes; "
                f"targets 30 s, 4 GB); {_rss(whole)}",
                whole["seconds"],
                "",
                None,
            )
        )
        square = buffered_area(shapely.box(*HEIDELBERG_SQUARE), 500.0)
        clipped = in_child(_CHILD_BUILD, target, square.wkt)
        rows.append(
            (
                label,
                f"network build, 2 × 2 km square + 500 m ({clipped['nodes']:,} nodes); "
                f"{_rss(clipped)}",
                clipped["seconds"],
                "",
                None,
            )
        )


def pandana_network(G):
    import pandana
    import pandas as pd

    nodes = pd.DataFrame(
        {
            "x": [d["x"] for _, d in G.nodes(data=True)],
            "y": [d["y"] for _, d in G.nodes(data=True)],
        },
        index=list(G.nodes),
    )
    u, v, w = zip(*[(a, b, d["length"]) for a, b, d in G.edges(data=True)], strict=True)
    edges = pd.DataFrame({"from": u, "to": v, "length": w})
    return pandana.Network(
        nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["length"]], twoway=False
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", default="lauf,heidelberg")
    parser.add_argument("--skip-pandana", action="store_true")
    parser.add_argument(
        "--only",
        choices=["network-build"],
        help="run only these rows (network-build: the .osm.pbf builder against OSMnx)",
    )
    parser.add_argument(
        "--synthetic-nodes",
        type=int,
        default=2_000_000,
        help="nodes of the SYNTHETIC tiled Heidelberg file (0: skip it)",
    )
    args = parser.parse_args()
    places = [key.strip() for key in args.places.split(",")]
    rows = []
    network_build(places, rows, args.synthetic_nodes)
    if args.only != "network-build":
        for key in places:
            run_place(key, args.skip_pandana, rows)
    print()
    print("| place | task | geoquartier (s) | baseline | baseline (s) | speed-up |")
    print("|---|---|---:|---|---:|---:|")
    for place, task, ours, base_name, base in rows:
        ratio = f"{base / ours:.1f}×" if base else ""
        base_s = f"{base:.3f}" if base is not None else ""
        print(f"| {place} | {task} | {ours:.3f} | {base_name} | {base_s} | {ratio} |")
    print()
    print(
        "Accuracy: share of 10 m samples within the time that lie inside the polygon / share of "
        "samples more than one minute beyond it that lie outside (or within 25 m + 10 m sample "
        "spacing of a reached point). Network build: time inside a fresh process around the "
        "build alone (CPU: its process time, all threads); peak RSS: that process's VmHWM, "
        "imports included."
    )


if __name__ == "__main__":
    main()
