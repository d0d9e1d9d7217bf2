"""Nearest facility per category for every origin (homes, buildings, population cells).

One multi-source shortest-path run per category gives every origin its nearest facility
(k = 1); with ``k > 1`` one run per facility of the category (a distance matrix) gives the
k nearest. Origins and facilities are snapped to the nearest point on an edge usable by
the profile; both access legs count in ``distance_m``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.mobility import paths
from geoquartier.mobility.inputs import Points, as_points, categories_of
from geoquartier.mobility.profiles import Profile, get_profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M, node_snaps, snap_points

RESULT_COLUMNS = [
    "origin_id",
    "category",
    "rank",
    "facility_id",
    "facility_name",
    "distance_m",
    "walk_min",
    "profile",
    "method",
    "off_network",
    "unknown_share",
]


def nearest_facilities(
    network,
    origins: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame,
    *,
    category_col: str | None = "category",
    categories=None,
    profile: str | Profile = "standard",
    k: int = 1,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """The nearest facility of each category for every origin.

    ``origins`` (points or polygons → centroids) and ``facilities`` (points) are
    GeoDataFrames in EPSG:4326 with an ``id`` column (else the index is used);
    ``origins=None`` takes every node of a :class:`WalkNetwork` (ids = OSM node ids) without
    snapping — the accessibility surface of the whole network;
    ``category_col`` groups the facilities (None: one group ``"all"``). ``network`` is a
    :class:`WalkNetwork` or an :class:`EstimateNetwork`.

    Returns a GeoDataFrame in EPSG:4326, one row per origin × category × rank (1..k), with
    the origin's geometry and the columns ``origin_id, category, rank, facility_id,
    facility_name, distance_m`` (metres, access legs included), ``walk_min`` (minutes at
    the profile's speed), ``profile, method`` (``network``/``estimate``), ``off_network``
    (origin farther than ``max_snap_m`` from any usable way) and ``unknown_share`` (share of
    the walked network distance on ways with untagged kerb/incline/surface; NaN for
    profiles without such rules and for ranks > 1). Unreachable results have NaN
    distances and no facility. Facilities off the network are skipped; their ids are in
    ``result.attrs["off_network_facilities"]``.
    """
    prof = get_profile(profile)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise GeoquartierError(f"k must be a positive integer, got {k!r}")
    estimate = getattr(network, "method", "network") == "estimate"
    node_mode = origins is None
    if node_mode:
        if estimate:
            raise GeoquartierError("origins=None (every network node) needs a WalkNetwork")
        org = Points(network.node_osmid, network.node_x, network.node_y, network.nodes_gdf())
    else:
        org = as_points(origins, "origins")
    fac = as_points(facilities, "facilities")
    cats = categories_of(facilities, category_col, categories)
    names = facilities["name"].to_numpy() if "name" in facilities else np.full(len(fac), None)
    speed = prof.speed_m_per_min

    if not estimate:
        pg = paths.profile_graph(network, prof)
        if node_mode:
            osnap = node_snaps(network, pg.allowed)
        else:
            osnap = snap_points(network, org.x, org.y, pg.allowed, max_snap_m)
        off = osnap.off_network
        fsnap_all = snap_points(
            network, fac.x, fac.y, pg.allowed, max_snap_m
        )  # once, all categories
        unknown = prof.unknown_edges(network).astype(np.float64) if prof.unknown_tags else None
    else:
        off = np.zeros(len(org), dtype=bool)

    parts = []
    off_facilities: list = []
    cat_values = None if category_col is None else facilities[category_col].astype(str).to_numpy()
    for cat in cats:
        mask = np.ones(len(fac), dtype=bool) if cat_values is None else cat_values == cat
        fpos = np.flatnonzero(mask)
        share = np.full((len(org), k), np.nan)
        if estimate:
            sel, dist = network.nearest(org.x, org.y, fac.x[fpos], fac.y[fpos], k)
            fidx = np.where(sel >= 0, fpos[np.maximum(sel, 0)], -1)
            if prof.unknown_tags:
                share[:, 0] = np.where(np.isfinite(dist[:, 0]), 1.0, np.nan)
        else:
            fsnap = fsnap_all.take(fpos)
            good = ~fsnap.off_network
            off_facilities.extend(fac.ids[fpos[~good]].tolist())
            fpos = fpos[good]
            seeds = fsnap.take(good)
            fidx, dist = _network_nearest(pg, osnap, seeds, fpos, k, unknown, share, node_mode)
        parts.append((fidx, dist, share))
    result = _assemble(org, cats, parts, fac.ids, names, speed, prof.name, network.method, off, k)
    result.attrs["off_network_facilities"] = off_facilities
    return result


def _network_nearest(pg, osnap, seeds, fpos, k, unknown, share, node_mode=False):
    n_o = len(osnap)
    fidx = np.full((n_o, k), -1, dtype=np.int64)
    dist = np.full((n_o, k), np.inf)
    if len(seeds) == 0:
        return fidx, dist
    access = np.where(osnap.off_network, np.inf, osnap.access_m)
    if k == 1:
        res = paths.search(pg, seeds, min_only=True)
        if node_mode:
            d, s, via = paths.node_point_distances(pg, res, osnap)
        else:
            d, s, via = paths.point_distances(pg, res, osnap)
        d = d + access
        ok = np.isfinite(d)
        dist[:, 0] = d
        fidx[ok, 0] = fpos[s[ok]]
        if unknown is not None:
            share[:, 0] = _unknown_share(pg, res, osnap, s, via, d - access, unknown)
        return fidx, dist
    res = paths.search(pg, seeds, min_only=False)
    mat = paths.point_distance_matrix(pg, res, osnap) + access[None, :]  # (F, origins)
    kk = min(k, mat.shape[0])
    order = np.argsort(mat, axis=0, kind="stable")[:kk]  # (kk, origins)
    top = np.take_along_axis(mat, order, axis=0)
    dist[:, :kk] = top.T
    fidx[:, :kk] = np.where(np.isfinite(top.T), fpos[order.T], -1)
    return fidx, dist


def _unknown_share(pg, res, osnap, seed, via, network_m, unknown):
    """Share of the network distance (without access legs) walked on unknown edges."""
    net = pg.network
    acc = paths.tree_sums(pg, res, unknown)
    out = np.full(len(osnap), np.nan)
    on = np.flatnonzero((osnap.edge >= 0) & (seed >= 0))
    if not len(on):
        return out
    e = osnap.edge[on]
    off = osnap.offset_m[on]
    length = net.edge_length_m[e]
    v = via[on]
    unk = np.where(
        v == 0,
        acc[net.edge_u[e]] + unknown[e] * off,
        acc[net.edge_v[e]] + unknown[e] * (length - off),
    )
    along = v == 2
    if along.any():
        s_off = res.seeds.offset_m[seed[on][along]]
        unk[along] = unknown[e[along]] * np.abs(off[along] - s_off)
    total = network_m[on]
    out[on] = np.where(total > 0, np.clip(unk / np.where(total > 0, total, 1.0), 0.0, 1.0), 0.0)
    return out


def _assemble(org, cats, parts, fac_ids, names, speed, profile_name, method, off, k):
    """One GeoDataFrame (EPSG:4326) from the per-category arrays, built in one go."""
    n, c = len(org), len(parts)
    rows = n * k
    rep = np.tile(np.repeat(np.arange(n), k), c)
    fi = np.concatenate([p[0].reshape(-1) for p in parts]) if parts else np.empty(0, dtype=np.int64)
    d = np.concatenate([p[1].reshape(-1) for p in parts]) if parts else np.empty(0)
    share = np.concatenate([p[2].reshape(-1) for p in parts]) if parts else np.empty(0)
    d = np.where(np.isfinite(d), d, np.nan)
    ids = np.append(np.asarray(fac_ids, dtype=object), None)  # position -1 → None
    labels = np.append(np.asarray(names, dtype=object), None)

    total = rows * c
    cat_values = np.empty(c, dtype=object)
    cat_values[:] = list(cats)
    data = {
        "origin_id": org.ids[rep],
        "category": np.repeat(cat_values, rows),
        "rank": np.tile(np.arange(1, k + 1), n * c),
        "facility_id": ids[fi],  # None where nothing is reachable
        "facility_name": labels[fi]
        if any(v is not None for v in names)
        else _constant(None, total),
        "distance_m": d,
        "walk_min": d / speed,
        "profile": _constant(profile_name, total),
        "method": _constant(method, total),
        "off_network": off[rep],
        "unknown_share": share,
    }
    for col in ("category", "facility_id", "facility_name", "profile", "method"):
        # object columns as they are (no scan for a string dtype, no copy)
        data[col] = pd.Series(data[col], dtype=object, copy=False)
    frame = pd.DataFrame(data, copy=False)
    geometry = org.frame.geometry.values.take(rep)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=STORAGE_CRS, copy=False)


def _constant(value, n: int) -> np.ndarray:
    """An object array of ``n`` references to ``value``."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def node_distances(
    network,
    facilities: gpd.GeoDataFrame,
    *,
    category_col: str | None = "category",
    categories=None,
    profile: str | Profile = "standard",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> pd.DataFrame:
    """Walking distance (metres) from every node of a :class:`WalkNetwork` to the nearest
    facility of each category — the accessibility surface of the whole network, e.g. to
    colour the ways of a map.

    ``facilities`` as for :func:`nearest_facilities` (EPSG:4326). One multi-source run per
    category. Returns a DataFrame indexed by OSM node id with one float column per
    category (NaN where unreachable or where the profile may not reach the node).
    """
    if getattr(network, "method", "network") == "estimate":
        raise GeoquartierError("node_distances needs a WalkNetwork (estimate mode has no nodes)")
    prof = get_profile(profile)
    fac = as_points(facilities, "facilities")
    cats = categories_of(facilities, category_col, categories)
    cat_values = None if category_col is None else facilities[category_col].astype(str).to_numpy()
    pg = paths.profile_graph(network, prof)
    out = np.empty((network.n_nodes, len(cats)))
    for j, cat in enumerate(cats):
        fpos = np.flatnonzero(
            np.ones(len(fac), dtype=bool) if cat_values is None else cat_values == cat
        )
        fsnap = snap_points(network, fac.x[fpos], fac.y[fpos], pg.allowed, max_snap_m)
        seeds = fsnap.take(~fsnap.off_network)
        dist = paths.search(pg, seeds, min_only=True, sources=False).dist
        out[:, j] = np.where(np.isfinite(dist), dist, np.nan)
    return pd.DataFrame(out, index=pd.Index(network.node_osmid, name="osmid"), columns=list(cats))
