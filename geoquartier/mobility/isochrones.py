"""Walking isochrones drawn from the reached parts of the network (not convex hulls).

For a budget of ``minutes`` at the profile's speed, every edge is reached from its ends
(and from sources lying on it) as far as the remaining budget allows: edges reached in
full are kept whole, the others are cut at the remaining budget. The reached lines
(plus the access legs from the sources to the network) are buffered by ``buffer_m`` and
unioned per threshold (``union_all(buffer(lines))``, one small buffer per line).

Works in EPSG:25832 (metres); returns EPSG:4326.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.mobility import paths
from geoquartier.mobility.inputs import as_points, minutes_list
from geoquartier.mobility.profiles import Profile, get_profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M, Snapped, snap_points

DEFAULT_BUFFER_M = 25.0
"""Default half-width (metres) of the band drawn around reached ways."""

QUAD_SEGS = 2
"""Segments per quarter circle of the buffers' round ends (vertices lie on the circle, so
the polygon never reaches farther than ``buffer_m`` from a reached line)."""

CELL_M = 150.0
"""Side (metres) of the square cells whose fully reached edges enter an isochrone's union
as one precomputed polygon (see :func:`edge_cells`)."""

SIMPLIFY_M = 1.0
"""Tolerance (metres) by which lines are simplified before buffering (drawing only)."""


def isochrones(
    network,
    points: gpd.GeoDataFrame,
    minutes=(5, 10, 15),
    *,
    profile: str | Profile = "standard",
    buffer_m: float = DEFAULT_BUFFER_M,
    population: gpd.GeoDataFrame | None = None,
    dissolve: bool = True,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Areas reachable on foot from ``points`` within each of ``minutes``.

    ``points`` (GeoDataFrame in EPSG:4326; facilities or a home; polygons use their
    centroid) are snapped onto the nearest usable edge; points farther than
    ``max_snap_m`` metres from the network are left out (their ids are in
    ``result.attrs["off_network"]``). With ``dissolve=True`` (default) one polygon per
    threshold covers what is reachable from any point; with ``dissolve=False`` one
    polygon per point and threshold (column ``point_id``).

    Returns a GeoDataFrame in EPSG:4326 with ``minutes``, ``area_m2`` (EPSG:25832),
    ``residents`` (sum of ``population.residents`` whose own walking time to the nearest
    of the points is within ``minutes`` — the same snapping, access legs and shortest
    paths as :func:`~geoquartier.mobility.nearest.nearest_facilities`, so the figure equals
    :func:`~geoquartier.mobility.coverage.coverage`), ``residents_in_area`` (sum of those
    whose point or polygon centroid lies inside the drawn polygon; see docs/mobility.md
    for why the two differ), both NaN without ``population``, ``profile``, ``method`` and
    ``unknown_share`` (share of the reached way length with untagged
    kerb/incline/surface, for profiles that report it).
    """
    prof = get_profile(profile)
    mins = minutes_list(minutes)
    if not (isinstance(buffer_m, (int, float)) and 0 < buffer_m <= 500):
        raise GeoquartierError(f"buffer_m must lie in (0, 500] metres, got {buffer_m!r}")
    pts = as_points(points, "points")
    if len(pts) == 0:
        raise GeoquartierError("points: no points given")
    pop = _population_points(population)
    budgets = [m * prof.speed_m_per_min for m in mins]
    rows = []
    off_ids: list = []
    if getattr(network, "method", "network") == "estimate":
        groups = [np.arange(len(pts))] if dissolve else [np.array([i]) for i in range(len(pts))]
        for group in groups:
            pop_min = _estimate_walk_min(network, pts, group, pop, prof)
            for m, b in zip(mins, budgets, strict=True):
                radius = b / network.detour_factor
                geom = shapely.union_all(
                    shapely.buffer(shapely.points(pts.x[group], pts.y[group]), radius)
                )
                rows.append(
                    _row(
                        pts,
                        group,
                        dissolve,
                        m,
                        geom,
                        pop,
                        pop_min,
                        prof.name,
                        "estimate",
                        1.0 if prof.unknown_tags else np.nan,
                    )
                )
    else:
        pg = paths.profile_graph(network, prof)
        snap = snap_points(network, pts.x, pts.y, pg.allowed, max_snap_m)
        good = np.flatnonzero(~snap.off_network)
        off_ids = pts.ids[snap.off_network].tolist()
        if len(good) == 0:
            raise GeoquartierError(f"points: none lies within {max_snap_m} m of a usable way")
        seeds = snap.take(good)
        sx, sy = pts.x[good], pts.y[good]
        unknown = prof.unknown_edges(network) if prof.unknown_tags else None
        edge_cells(network, buffer_m)  # shared caches, built once before any thread starts
        network.edge_vertex_arrays()
        psnap = (
            None if pop is None else snap_points(network, pop[0], pop[1], pg.allowed, max_snap_m)
        )
        if dissolve:
            res = paths.search(pg, seeds, min_only=True, limit_m=budgets[-1])
            polys = nested_polygons(pg, res.dist, seeds, sx, sy, budgets, buffer_m, unknown)
            pop_min = _network_walk_min(pg, res, psnap, prof)
            for m, (geom, share) in zip(mins, polys, strict=True):
                rows.append(
                    _row(pts, good, True, m, geom, pop, pop_min, prof.name, "network", share)
                )
        else:
            res = paths.search(pg, seeds, min_only=False, limit_m=budgets[-1])
            pop_mins = _network_walk_min(pg, res, psnap, prof)

            def one(j):
                return nested_polygons(
                    pg,
                    res.dist[j],
                    seeds.take(np.array([j])),
                    sx[j : j + 1],
                    sy[j : j + 1],
                    budgets,
                    buffer_m,
                    unknown,
                )

            with ThreadPoolExecutor(max_workers=_workers(len(good))) as pool:
                results = list(pool.map(one, range(len(good))))
            for j, polys in enumerate(results):
                pop_min = None if pop_mins is None else pop_mins[j]
                for m, (geom, share) in zip(mins, polys, strict=True):
                    rows.append(
                        _row(
                            pts,
                            good[j : j + 1],
                            False,
                            m,
                            geom,
                            pop,
                            pop_min,
                            prof.name,
                            "network",
                            share,
                        )
                    )
    frame = pd.DataFrame(rows)
    result = gpd.GeoDataFrame(frame, geometry="geometry", crs=ANALYSIS_CRS).to_crs(STORAGE_CRS)
    result.attrs["off_network"] = off_ids
    return result


def _workers(n_tasks: int) -> int:
    return max(1, min(n_tasks, os.cpu_count() or 1, 8))


def nested_polygons(pg, dist, seeds: Snapped, seed_x, seed_y, budgets, buffer_m, unknown=None):
    """Isochrone polygons (EPSG:25832) for increasing ``budgets`` (metres) from one search.

    Each polygon is built on the previous one: only the edges newly reached in full and
    the cut edges of this budget are buffered and unioned with it (exact, since a smaller
    budget's area lies inside a larger one's). Returns ``[(polygon, unknown_share), ...]``.
    """
    net = pg.network
    full_buffers = edge_buffers(net, buffer_m)
    cells = edge_cells(net, buffer_m)
    done = np.zeros(net.n_edges, dtype=bool)
    cell_done = np.zeros(len(cells.polygons), dtype=bool)
    previous = []
    out = []
    for budget in budgets:
        full, edge, f0, f1 = reached_parts(pg, dist, seeds, budget)
        # cells whose edges are all reached in full enter as one ready-made union
        whole = np.bincount(cells.cell[full], minlength=len(cells.polygons)) == cells.count
        new_cells = np.flatnonzero(whole & ~cell_done)
        new_full = full[~done[full] & ~whole[cells.cell[full]]]
        cut = shapely.simplify(substrings(net, edge, f0, f1), SIMPLIFY_M)
        legs = access_legs(seeds, seed_x, seed_y, budget)
        parts = np.concatenate([cut, legs])
        polygons = np.concatenate(
            [
                previous,
                cells.polygons[new_cells],
                full_buffers[new_full],
                shapely.buffer(parts, buffer_m, quad_segs=QUAD_SEGS),
            ]
        )
        geom = shapely.union_all(polygons) if len(polygons) else shapely.Polygon()
        done[full] = True
        cell_done |= whole
        previous = [geom]
        share = np.nan
        if unknown is not None:
            lengths = np.concatenate([net.edge_length_m[full], net.edge_length_m[edge] * (f1 - f0)])
            flags = np.concatenate([unknown[full], unknown[edge]])
            total = lengths.sum()
            share = float((lengths * flags).sum() / total) if total > 0 else 0.0
        out.append((geom, share))
    return out


def edge_buffers(network, buffer_m: float) -> np.ndarray:
    """Buffer polygons (EPSG:25832) of every edge, simplified by :data:`SIMPLIFY_M`;
    computed once per network and width, then reused by every isochrone."""

    def build():
        simple = shapely.simplify(network.edge_geometry, SIMPLIFY_M)
        return shapely.buffer(simple, float(buffer_m), quad_segs=QUAD_SEGS)

    return network._cached(("edge_buffers", float(buffer_m), SIMPLIFY_M, QUAD_SEGS), build)


@dataclass
class EdgeCells:
    """Edges grouped by the square cell (:data:`CELL_M`) holding their midpoint, with the
    union of each cell's edge buffers (EPSG:25832)."""

    cell: np.ndarray  # cell of every edge
    count: np.ndarray  # edges per cell
    polygons: np.ndarray  # union of the cell's edge buffers


def edge_cells(network, buffer_m: float) -> EdgeCells:
    """The :class:`EdgeCells` of a network for a buffer width (metres); computed once per
    network and width (in parallel threads), then reused by every isochrone.

    An isochrone takes a cell's union instead of its edges' buffers when it reaches every
    edge of the cell in full: the same area, but far fewer pieces for the final union.
    """

    def build():
        buffers = edge_buffers(network, buffer_m)
        coords, offsets, _ = network.edge_vertex_arrays()
        mx = (coords[offsets[:-1], 0] + coords[offsets[1:] - 1, 0]) / 2
        my = (coords[offsets[:-1], 1] + coords[offsets[1:] - 1, 1]) / 2
        ix = (
            np.floor((mx - mx.min()) / CELL_M).astype(np.int64)
            if len(mx)
            else np.empty(0, np.int64)
        )
        iy = (
            np.floor((my - my.min()) / CELL_M).astype(np.int64)
            if len(my)
            else np.empty(0, np.int64)
        )
        keys, cell = np.unique(ix * (int(iy.max(initial=0)) + 1) + iy, return_inverse=True)
        count = np.bincount(cell, minlength=len(keys))
        order = np.argsort(cell, kind="stable")
        starts = np.concatenate([[0], np.cumsum(count)])
        groups = [buffers[order[starts[c] : starts[c + 1]]] for c in range(len(keys))]
        chunks = np.array_split(np.arange(len(groups)), max(1, _workers(len(groups))))

        def union_chunk(idx):
            return [shapely.union_all(groups[c]) for c in idx]

        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            unions = [u for part in pool.map(union_chunk, chunks) for u in part]
        polygons = np.empty(len(unions), dtype=object)
        polygons[:] = unions
        return EdgeCells(cell.reshape(-1), count, polygons)

    return network._cached(("edge_cells", float(buffer_m), SIMPLIFY_M, QUAD_SEGS, CELL_M), build)


def reached_parts(pg, dist: np.ndarray, seeds: Snapped, budget_m: float):
    """Reached parts of edges within ``budget_m`` metres.

    ``dist`` are node distances (metres) from the seeds. Returns ``(full, edge, f0, f1)``:
    positions of fully reached edges and, for partly reached ones, the edge and the
    reached interval as fractions of its geometry.
    """
    net = pg.network
    allowed = np.flatnonzero(pg.allowed)
    a, b = net.edge_u[allowed], net.edge_v[allowed]
    length = net.edge_length_m[allowed]
    ra = budget_m - dist[a]
    rb = budget_m - dist[b]
    full_mask = (ra >= 0) & (rb >= 0) & (ra + rb >= length)
    full_mask |= (ra >= length) | (rb >= length)
    full = allowed[full_mask]
    part = ~full_mask
    safe = np.where(length > 0, length, 1.0)
    from_a = part & (ra > 0)
    from_b = part & (rb > 0)
    edges = [allowed[from_a], allowed[from_b]]
    f0 = [np.zeros(from_a.sum()), 1.0 - rb[from_b] / safe[from_b]]
    f1 = [ra[from_a] / safe[from_a], np.ones(from_b.sum())]
    # sources on an edge reach along it in both directions
    r = budget_m - seeds.access_m
    on = r > 0
    if on.any():
        e = seeds.edge[on]
        le = net.edge_length_m[e]
        se = np.where(le > 0, le, 1.0)
        edges.append(e)
        f0.append(np.maximum(0.0, seeds.offset_m[on] - r[on]) / se)
        f1.append(np.minimum(le, seeds.offset_m[on] + r[on]) / se)
    edge = np.concatenate(edges)
    f0 = np.clip(np.concatenate(f0), 0.0, 1.0)
    f1 = np.clip(np.concatenate(f1), 0.0, 1.0)
    keep = f1 > f0
    return full, edge[keep], f0[keep], f1[keep]


def access_legs(seeds: Snapped, x, y, budget_m: float) -> np.ndarray:
    """Straight legs from the points to their snapped positions, cut at ``budget_m``."""
    ok = (seeds.access_m > 0) & (budget_m > 0)
    if not ok.any():
        return np.empty(0, dtype=object)
    t = np.minimum(1.0, budget_m / seeds.access_m[ok])
    ex = x[ok] + (seeds.x[ok] - x[ok]) * t
    ey = y[ok] + (seeds.y[ok] - y[ok]) * t
    coords = np.column_stack([x[ok], y[ok], ex, ey]).reshape(-1, 2)
    offsets = np.arange(0, 2 * ok.sum() + 1, 2)
    return shapely.from_ragged_array(shapely.GeometryType.LINESTRING, coords, (offsets,))


def substrings(network, edge: np.ndarray, f0: np.ndarray, f1: np.ndarray) -> np.ndarray:
    """Parts of edge geometries between fractions ``f0`` and ``f1`` (vectorised; EPSG:25832)."""
    if len(edge) == 0:
        return np.empty(0, dtype=object)
    coords, offsets, cumfrac = network.edge_vertex_arrays()
    start = offsets[edge]
    nv = offsets[edge + 1] - start
    piece = np.repeat(np.arange(len(edge)), nv)
    within = np.arange(nv.sum()) - np.repeat(np.cumsum(nv) - nv, nv)
    vidx = start[piece] + within
    cf = cumfrac[vidx]
    inner = (cf > f0[piece]) & (cf < f1[piece])
    geoms = network.edge_geometry[edge]
    p0 = shapely.line_interpolate_point(geoms, f0, normalized=True)
    p1 = shapely.line_interpolate_point(geoms, f1, normalized=True)
    n = len(edge)
    all_xy = np.concatenate(
        [shapely.get_coordinates(p0), coords[vidx[inner]], shapely.get_coordinates(p1)]
    )
    key_piece = np.concatenate([np.arange(n), piece[inner], np.arange(n)])
    key_pos = np.concatenate([np.full(n, -1), within[inner], np.full(n, np.iinfo(np.int64).max)])
    order = np.lexsort((key_pos, key_piece))
    counts = np.bincount(key_piece, minlength=n)
    out_offsets = np.concatenate([[0], np.cumsum(counts)])
    return shapely.from_ragged_array(shapely.GeometryType.LINESTRING, all_xy[order], (out_offsets,))


def _population_points(population):
    if population is None:
        return None
    if "residents" not in population:
        raise GeoquartierError("population: no column 'residents'")
    pts = as_points(population, "population")
    residents = (
        pd.to_numeric(population["residents"], errors="coerce").fillna(0).to_numpy(dtype=float)
    )
    return pts.x, pts.y, residents


def _network_walk_min(pg, res: paths.Search, psnap: Snapped | None, prof: Profile):
    """Walking minutes of every population point to the nearest seed of ``res`` (a
    ``min_only`` search: shape (points,)) or to each seed (shape (seeds, points)), computed
    exactly as :func:`~geoquartier.mobility.nearest.nearest_facilities` does: network
    distance plus the point's own access leg, inf off-network or beyond the search."""
    if psnap is None:
        return None
    access = np.where(psnap.off_network, np.inf, psnap.access_m)
    if res.source is not None:
        dist, _, _ = paths.point_distances(pg, res, psnap)
        return (dist + access) / prof.speed_m_per_min
    return (paths.point_distance_matrix(pg, res, psnap) + access[None, :]) / prof.speed_m_per_min


def _estimate_walk_min(network, pts, group, pop, prof: Profile):
    """Estimate mode: minutes of every population point to the nearest point of ``group``
    (straight line × detour factor, as in ``nearest_facilities``)."""
    if pop is None:
        return None
    _, dist = network.nearest(pop[0], pop[1], pts.x[group], pts.y[group], 1)
    return dist[:, 0] / prof.speed_m_per_min


def _row(pts, group, dissolve, minutes, geom, pop, pop_min, profile_name, method, share):
    residents = residents_in_area = np.nan
    if pop is not None:
        x, y, r = pop
        inside = (
            shapely.contains_xy(geom, x, y) if not geom.is_empty else np.zeros(len(x), dtype=bool)
        )
        residents_in_area = float(r[inside].sum())
        residents = float(r[np.isfinite(pop_min) & (pop_min <= minutes)].sum())
    row = {
        "minutes": minutes,
        "area_m2": float(geom.area),
        "residents": residents,
        "residents_in_area": residents_in_area,
        "profile": profile_name,
        "method": method,
        "unknown_share": share,
        "geometry": geom,
    }
    if not dissolve:
        row = {"point_id": pts.ids[group[0]], **row}
    return row
