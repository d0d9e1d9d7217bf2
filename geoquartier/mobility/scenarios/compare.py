"""Compare coverage before and after a scenario for every resident, category and profile."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

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
    ``residents_no_longer_within`` (residents crossing the threshold),
    ``residents_total_before``/``_after`` and ``unknown_share_before``/``_after``
    (resident-weighted share of the walk on ways with untagged kerb/incline/surface, among
    residents within; wheelchair only) — the same sums as :func:`coverage`.
    ``per_origin``: GeoDataFrame (EPSG:4326) per origin × category × profile with
    ``walk_min_before``,
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
        # a category whose last facility closed has no "after" rows: nobody reaches it
        left = sorted(set(cats) & set(edited.facilities["category"].astype(str)))
        keep = before[~before["category"].astype(str).isin(cats)]
        if left:
            changed = nearest_all(
                network, population, edited.facilities, profiles, left, max_snap_m=max_snap_m
            )
            keep = pd.concat([keep, changed], ignore_index=True)
        after = keep
        recomputed = f"categories {', '.join(cats)} (facilities changed)"
    else:
        after, recomputed = before, "nothing (no edits)"
    pairs = _pairs(before, after, _weights(population), _weights(edited.population))
    table = _coverage_table(
        pairs,
        thresholds,
        float(population["residents"].sum()),
        float(edited.population["residents"].sum()),
    )
    return Comparison(table, _per_origin(pairs, before, after), edited, recomputed)


def _weights(population) -> pd.Series:
    ids = population["id"].to_numpy() if "id" in population else population.index.to_numpy()
    return pd.Series(population["residents"].to_numpy(dtype=float), index=pd.Index(ids))


_PAIR_KEYS = ["origin_id", "category", "profile"]
_PAIR_VALUES = ["walk_min", "unknown_share"]


def _pairs(before, after, w_before: pd.Series, w_after: pd.Series) -> pd.DataFrame:
    """Before and after side by side, one row per origin × category × profile. Both sides
    come from the same origins in the same order unless residents or categories changed;
    then they are joined on the keys."""
    same = len(before) == len(after) and all(
        np.array_equal(before[k].to_numpy(), after[k].to_numpy()) for k in _PAIR_KEYS
    )
    if same:
        pairs = before[_PAIR_KEYS].reset_index(drop=True)
        for k in _PAIR_VALUES:
            pairs[f"{k}_before"] = before[k].to_numpy(dtype=float)
            pairs[f"{k}_after"] = after[k].to_numpy(dtype=float)
    else:
        pairs = before[_PAIR_KEYS + _PAIR_VALUES].merge(
            after[_PAIR_KEYS + _PAIR_VALUES],
            on=_PAIR_KEYS,
            how="outer",
            suffixes=("_before", "_after"),
        )
    origins = pairs["origin_id"].to_numpy()
    pairs["residents_before"] = w_before.reindex(origins).fillna(0.0).to_numpy()
    pairs["residents_after"] = w_after.reindex(origins).fillna(0.0).to_numpy()
    return pairs


def _coverage_table(pairs, thresholds, total_before: float, total_after: float) -> pd.DataFrame:
    """Residents within each threshold before/after and those crossing it, per profile ×
    category (the sums :func:`coverage` makes, on both sides at once)."""
    p_code, p_names = pd.factorize(pairs["profile"])
    c_code, c_names = pd.factorize(pairs["category"])
    used, codes = np.unique(p_code * len(c_names) + c_code, return_inverse=True)
    n = len(used)
    rows = []
    for t in thresholds:
        part = {
            "profile": np.asarray(p_names)[used // len(c_names)],
            "category": np.asarray(c_names)[used % len(c_names)],
        }
        inside = {}
        for side in ("before", "after"):
            minutes = pairs[f"walk_min_{side}"].to_numpy(dtype=float)
            w = pairs[f"residents_{side}"].to_numpy()
            within = np.isfinite(minutes) & (minutes <= t)
            inside[side] = within
            part[f"residents_{side}"] = np.bincount(codes, w * within, minlength=n)
            unk = pairs[f"unknown_share_{side}"].to_numpy(dtype=float)
            ok = within & np.isfinite(unk)
            num = np.bincount(codes, np.where(ok, w * np.nan_to_num(unk), 0.0), minlength=n)
            den = np.bincount(codes, np.where(ok, w, 0.0), minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                part[f"unknown_share_{side}"] = np.where(den > 0, num / den, np.nan)
        w_a, w_b = pairs["residents_after"].to_numpy(), pairs["residents_before"].to_numpy()
        part["residents_newly_within"] = np.bincount(
            codes, w_a * (inside["after"] & ~inside["before"]), minlength=n
        )
        part["residents_no_longer_within"] = np.bincount(
            codes, w_b * (inside["before"] & ~inside["after"]), minlength=n
        )
        rows.append(pd.DataFrame(part).assign(threshold_min=t))
    table = pd.concat(rows, ignore_index=True)
    table["difference"] = table["residents_after"] - table["residents_before"]
    table["residents_total_before"] = total_before
    table["residents_total_after"] = total_after
    cols = _KEYS + [
        "residents_before",
        "residents_after",
        "difference",
        "residents_newly_within",
        "residents_no_longer_within",
        "residents_total_before",
        "residents_total_after",
        "unknown_share_before",
        "unknown_share_after",
    ]
    return table[cols].sort_values(_KEYS, ignore_index=True)


def _per_origin(pairs, before, after) -> gpd.GeoDataFrame:
    out = pairs[_PAIR_KEYS + ["walk_min_before", "walk_min_after"]].copy()
    mb = out["walk_min_before"].to_numpy(dtype=float)
    ma = out["walk_min_after"].to_numpy(dtype=float)
    fb, fa = np.isfinite(mb), np.isfinite(ma)
    gain = np.where(fb & fa, np.where(fb, mb, 0.0) - np.where(fa, ma, 0.0), 0.0)
    out["gain_min"] = np.where(~fb & fa, np.inf, np.where(fb & ~fa, -np.inf, gain))
    first = pd.concat([after[["origin_id", "geometry"]], before[["origin_id", "geometry"]]])
    first = first.drop_duplicates("origin_id").set_index("origin_id")["geometry"]
    geometry = first.reindex(out["origin_id"].to_numpy()).values
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")
