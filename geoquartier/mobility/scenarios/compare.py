"""Compare coverage before and after a scenario for every resident, category and profile."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.mobility.coverage import coverage
from geoquartier.mobility.inputs import minutes_list
from geoquartier.mobility.nearest import nearest_facilities
from geoquartier.mobility.profiles import PROFILES, get_profile
from geoquartier.mobility.scenarios.apply import EditedInputs, apply_scenario
from geoquartier.mobility.scenarios.model import Scenario
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M

_KEYS = ["profile", "category", "threshold_min"]


@dataclass
class Comparison:
    """Result of :func:`compare`.

    ``coverage``: one row per profile × category × threshold with ``residents_before``,
    ``residents_after``, ``difference``, ``residents_newly_within`` /
    ``residents_no_longer_within`` (residents crossing the threshold) and
    ``unknown_share_before``/``_after`` (wheelchair only). ``per_origin``: GeoDataFrame
    (EPSG:4326) per origin × category × profile with ``walk_min_before``,
    ``walk_min_after`` and ``gain_min`` (before − after; NaN→finite counts as inf gain).
    ``edited`` holds the edited inputs, ``recomputed`` says what was computed again.
    """

    coverage: pd.DataFrame
    per_origin: gpd.GeoDataFrame
    edited: EditedInputs
    recomputed: str


def nearest_all(network, population, facilities, profiles, categories=None, max_snap_m=None):
    """Nearest facility (k = 1) per profile for every origin, concatenated."""
    parts = [
        nearest_facilities(
            network,
            population,
            facilities,
            categories=categories,
            profile=get_profile(p),
            max_snap_m=max_snap_m or DEFAULT_MAX_SNAP_M,
        )
        for p in profiles
    ]
    return pd.concat(parts, ignore_index=True)


def compare(
    scenario: Scenario,
    network,
    population: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    thresholds_min=(5, 10, 15),
    profiles=tuple(PROFILES),
    *,
    before: pd.DataFrame | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Comparison:
    """Coverage before and after ``scenario`` (inputs as for
    :func:`geoquartier.mobility.coverage`, EPSG:4326; network a WalkNetwork in EPSG:25832).

    ``before`` may pass in :func:`nearest_all` of the base inputs for the same profiles
    (e.g. a base coverage run already made) so that only the "after" side is computed.
    The after side recomputes every category when the network or residents changed,
    otherwise only the categories whose facilities changed.
    """
    thresholds = minutes_list(thresholds_min)
    profiles = [
        get_profile(p).name for p in ([profiles] if isinstance(profiles, str) else profiles)
    ]
    edited = apply_scenario(scenario, network, facilities, population)
    if before is None:
        before = nearest_all(network, population, facilities, profiles, max_snap_m=max_snap_m)
    before = before[before["rank"] == 1]
    if edited.network_changed or edited.population_changed:
        after = nearest_all(
            edited.network, edited.population, edited.facilities, profiles, max_snap_m=max_snap_m
        )
        recomputed = "all categories (network or residents changed)"
    elif edited.categories_changed:
        cats = sorted(edited.categories_changed)
        changed = nearest_all(
            network, population, edited.facilities, profiles, cats, max_snap_m=max_snap_m
        )
        keep = before[~before["category"].astype(str).isin(cats)]
        after = pd.concat([keep, changed], ignore_index=True)
        recomputed = f"categories {', '.join(cats)} (facilities changed)"
    else:
        after, recomputed = before, "nothing (no edits)"
    table = _coverage_table(
        before,
        after,
        population,
        edited.population,
        facilities,
        network,
        edited.network,
        thresholds,
        profiles,
        max_snap_m,
    )
    return Comparison(table, _per_origin(before, after), edited, recomputed)


def _coverage_for(net, population, facilities, near, thresholds, profiles, max_snap_m):
    parts = [
        coverage(
            net,
            population,
            facilities,
            thresholds,
            [p],
            nearest=near[near["profile"] == p],
            max_snap_m=max_snap_m,
        )
        for p in profiles
    ]
    return pd.concat(parts, ignore_index=True)


def _coverage_table(before, after, pop_b, pop_a, fac, net_b, net_a, thresholds, profiles, snap):
    cov_b = _coverage_for(net_b, pop_b, fac, before, thresholds, profiles, snap)
    cov_a = _coverage_for(net_a, pop_a, fac, after, thresholds, profiles, snap)
    cols = ["residents_within", "residents_total", "unknown_share"]
    table = cov_b[_KEYS + cols].merge(
        cov_a[_KEYS + cols], on=_KEYS, how="outer", suffixes=("_before", "_after")
    )
    table = table.rename(
        columns={
            "residents_within_before": "residents_before",
            "residents_within_after": "residents_after",
        }
    )
    table[["residents_before", "residents_after"]] = table[
        ["residents_before", "residents_after"]
    ].fillna(0.0)
    table["difference"] = table["residents_after"] - table["residents_before"]
    crossing = _crossings(before, after, pop_b, pop_a, thresholds)
    table = table.merge(crossing, on=_KEYS, how="left")
    table[["residents_newly_within", "residents_no_longer_within"]] = table[
        ["residents_newly_within", "residents_no_longer_within"]
    ].fillna(0.0)
    return table.sort_values(_KEYS, ignore_index=True)


def _weights(population) -> pd.Series:
    ids = population["id"].to_numpy() if "id" in population else population.index.to_numpy()
    return pd.Series(population["residents"].to_numpy(dtype=float), index=pd.Index(ids))


def _pairs(before, after) -> pd.DataFrame:
    cols = ["origin_id", "category", "profile", "walk_min"]
    return before[cols].merge(
        after[cols],
        on=["origin_id", "category", "profile"],
        how="outer",
        suffixes=("_before", "_after"),
    )


def _crossings(before, after, pop_b, pop_a, thresholds) -> pd.DataFrame:
    pairs = _pairs(before, after)
    w_b = _weights(pop_b).reindex(pairs["origin_id"].to_numpy()).fillna(0).to_numpy()
    w_a = _weights(pop_a).reindex(pairs["origin_id"].to_numpy()).fillna(0).to_numpy()
    mb = pairs["walk_min_before"].to_numpy(dtype=float)
    ma = pairs["walk_min_after"].to_numpy(dtype=float)
    rows = []
    for t in thresholds:
        inside_b = np.isfinite(mb) & (mb <= t)
        inside_a = np.isfinite(ma) & (ma <= t)
        frame = pairs[["profile", "category"]].assign(
            newly=np.where(~inside_b & inside_a, w_a, 0.0),
            lost=np.where(inside_b & ~inside_a, w_b, 0.0),
        )
        sums = frame.groupby(["profile", "category"], as_index=False)[["newly", "lost"]].sum()
        sums["threshold_min"] = t
        rows.append(sums)
    out = pd.concat(rows, ignore_index=True)
    return out.rename(
        columns={"newly": "residents_newly_within", "lost": "residents_no_longer_within"}
    )


def _per_origin(before, after) -> gpd.GeoDataFrame:
    pairs = _pairs(before, after)
    mb = pairs["walk_min_before"].to_numpy(dtype=float)
    ma = pairs["walk_min_after"].to_numpy(dtype=float)
    fb, fa = np.isfinite(mb), np.isfinite(ma)
    gain = np.where(fb & fa, np.where(fb, mb, 0.0) - np.where(fa, ma, 0.0), 0.0)
    gain = np.where(~fb & fa, np.inf, np.where(fb & ~fa, -np.inf, gain))
    pairs["gain_min"] = gain
    geoms = pd.concat([after[["origin_id", "geometry"]], before[["origin_id", "geometry"]]])
    geoms = geoms.drop_duplicates("origin_id").set_index("origin_id")["geometry"]
    return gpd.GeoDataFrame(
        pairs, geometry=geoms.reindex(pairs["origin_id"].to_numpy()).values, crs="EPSG:4326"
    )
