"""Walking times from many sites to many homes, bounded by a time budget.

The planning models (:mod:`geoquartier.mobility.locate`, :mod:`geoquartier.mobility.supply`)
need, for every candidate site or facility, the homes or population cells it reaches
within T minutes — never a full all-pairs matrix when T bounds the search. Sites and
demand points snap to the network as every facility does
(:func:`geoquartier.mobility.snapping.snap_points`, nearest point on a usable edge, access
legs counted); the sites are searched in chunks, each one bounded
:func:`scipy.sparse.csgraph.dijkstra` run (``limit`` = T × speed) on the profile's CSR
graph, and only pairs within the budget are kept (:class:`TravelTimes`, sparse).

In estimate mode (:class:`~geoquartier.mobility.estimate.EstimateNetwork`) the pairs come
from a KD-tree within the straight-line radius budget ÷ detour factor.

Coordinates: inputs in EPSG:4326, analysis in EPSG:25832 (metres).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from geoquartier.mobility import paths
from geoquartier.mobility.inputs import Points
from geoquartier.mobility.profiles import Profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M, Snapped, snap_points

CHUNK_SITES = 256
"""Sites searched together in one bounded Dijkstra call (memory: chunk × network nodes)."""
SNAP_MEMO = 16
"""Point sets whose snapping :func:`snapped` remembers per network (oldest dropped)."""
_MEMO_LOCK = threading.Lock()


@dataclass
class TravelTimes:
    """Walking times (minutes) between sites (rows) and demand points (columns) that lie
    within ``limit_min``; pairs beyond are absent (not stored, not computed).

    ``site``, ``demand``, ``minutes`` are parallel arrays (one entry per pair, sorted by
    site); ``site_off_network`` / ``demand_off_network`` mark points farther than the
    snapping distance from a usable way (they have no pairs).
    """

    site: np.ndarray
    demand: np.ndarray
    minutes: np.ndarray
    n_sites: int
    n_demand: int
    limit_min: float
    site_off_network: np.ndarray
    demand_off_network: np.ndarray
    method: str = "network"

    def __len__(self) -> int:
        return len(self.minutes)

    def within(self, minutes: float) -> csr_matrix:
        """Boolean (sites × demand) CSR matrix: pair walk time ≤ ``minutes``."""
        keep = self.minutes <= minutes
        data = np.ones(int(keep.sum()), dtype=bool)
        return csr_matrix(
            (data, (self.site[keep], self.demand[keep])), shape=(self.n_sites, self.n_demand)
        )

    def dense(self, fill: float = np.inf) -> np.ndarray:
        """(sites × demand) array of minutes, ``fill`` where no pair was kept — for
        comparisons with libraries that need a full matrix; the engine itself never
        builds it."""
        out = np.full((self.n_sites, self.n_demand), fill)
        out[self.site, self.demand] = self.minutes
        return out


def travel_times(
    network,
    sites: Points,
    demand: Points,
    profile: Profile,
    limit_min: float,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    progress=None,
) -> TravelTimes:
    """Walking minutes from every site to every demand point within ``limit_min``.

    ``sites`` and ``demand`` are :class:`~geoquartier.mobility.inputs.Points` (EPSG:25832).
    ``limit_min`` may be ``inf`` (unbounded searches, e.g. p-median without existing
    facilities). ``progress`` is an optional callable taking the number of sites done
    (e.g. ``tqdm.update``).
    """
    speed = profile.speed_m_per_min
    limit_m = float(limit_min) * speed
    if getattr(network, "method", "network") == "estimate":
        return _estimate_times(network, sites, demand, speed, limit_min, progress)
    pg = paths.profile_graph(network, profile)
    ssnap = snapped(network, sites, pg.allowed, max_snap_m)
    dsnap = snapped(network, demand, pg.allowed, max_snap_m)
    d_access = np.where(dsnap.off_network, np.inf, dsnap.access_m)
    on_sites = np.flatnonzero(~ssnap.off_network)
    parts_s, parts_d, parts_m = [], [], []
    for start in range(0, len(on_sites), CHUNK_SITES):
        chunk = on_sites[start : start + CHUNK_SITES]
        seeds = ssnap.take(chunk)
        res = paths.search(pg, seeds, min_only=False, limit_m=limit_m)
        dist = paths.point_distance_matrix(pg, res, dsnap) + d_access[None, :]
        r, c = np.nonzero(dist <= limit_m)
        parts_s.append(chunk[r])
        parts_d.append(c)
        parts_m.append(dist[r, c] / speed)
        if progress is not None:
            progress(len(chunk))
    return TravelTimes(
        _cat(parts_s, np.int64),
        _cat(parts_d, np.int64),
        _cat(parts_m, np.float64),
        len(sites),
        len(demand),
        float(limit_min),
        ssnap.off_network.copy(),
        dsnap.off_network.copy(),
    )


def snapped(network, points: Points, allowed: np.ndarray, max_snap_m: float) -> Snapped:
    """:func:`snap_points` of ``points`` (EPSG:25832), remembered on the network for the
    last :data:`SNAP_MEMO` point sets per edge mask: the same homes or facilities asked
    about again (another category, language or week) are not snapped again."""
    key = hashlib.blake2b(
        b"".join(
            (
                np.ascontiguousarray(points.x, dtype=np.float64).tobytes(),
                np.ascontiguousarray(points.y, dtype=np.float64).tobytes(),
                allowed.tobytes(),
                np.float64(max_snap_m).tobytes(),
            )
        ),
        digest_size=16,
    ).digest()
    memo = network._cached("snap_memo", OrderedDict)
    with _MEMO_LOCK:
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
    snap = snap_points(network, points.x, points.y, allowed, max_snap_m)
    with _MEMO_LOCK:
        memo[key] = snap
        while len(memo) > SNAP_MEMO:
            memo.popitem(last=False)
    return snap


def nearest_minutes(
    network,
    facilities: Points,
    demand: Points,
    profile: Profile,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> np.ndarray:
    """Walking minutes from every demand point to its nearest facility (one multi-source
    search; ``inf`` where none is reachable or the point is off-network)."""
    speed = profile.speed_m_per_min
    if len(facilities) == 0:
        return np.full(len(demand), np.inf)
    if getattr(network, "method", "network") == "estimate":
        _, dist = network.nearest(demand.x, demand.y, facilities.x, facilities.y, 1)
        return dist[:, 0] / speed
    pg = paths.profile_graph(network, profile)
    fsnap = snap_points(network, facilities.x, facilities.y, pg.allowed, max_snap_m)
    seeds = fsnap.take(~fsnap.off_network)
    dsnap = snap_points(network, demand.x, demand.y, pg.allowed, max_snap_m)
    if len(seeds) == 0:
        return np.full(len(demand), np.inf)
    res = paths.search(pg, seeds, min_only=True)
    d, _, _ = paths.point_distances(pg, res, dsnap)
    d = d + np.where(dsnap.off_network, np.inf, dsnap.access_m)
    return d / speed


def _estimate_times(network, sites, demand, speed, limit_min, progress) -> TravelTimes:
    """:func:`travel_times` in estimate mode: straight line × detour factor."""
    from scipy.spatial import cKDTree

    factor = network.detour_factor
    radius_m = float(limit_min) * speed / factor
    s_xy = np.column_stack([sites.x, sites.y])
    d_xy = np.column_stack([demand.x, demand.y])
    if np.isfinite(radius_m):
        pairs = cKDTree(s_xy).sparse_distance_matrix(cKDTree(d_xy), radius_m, output_type="ndarray")
        s, d, m = pairs["i"], pairs["j"], pairs["v"] * factor / speed
    else:
        s, d = (a.ravel() for a in np.indices((len(sites), len(demand))))
        m = np.hypot(s_xy[s, 0] - d_xy[d, 0], s_xy[s, 1] - d_xy[d, 1]) * factor / speed
    order = np.lexsort((d, s))
    if progress is not None:
        progress(len(sites))
    return TravelTimes(
        s[order].astype(np.int64),
        d[order].astype(np.int64),
        m[order].astype(np.float64),
        len(sites),
        len(demand),
        float(limit_min),
        np.zeros(len(sites), dtype=bool),
        np.zeros(len(demand), dtype=bool),
        method="estimate",
    )


def _cat(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)
