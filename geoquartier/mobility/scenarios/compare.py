"""Compare coverage before and after a scenario for every resident, category and profile."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.mobility.inputs import as_points, categories_of, minutes_list
from geoquartier.mobility.nearest import nearest_facilities
from geoquartier.mobility.profiles import PROFILES, get_profile
from geoquartier.mobility.scenarios.apply import EditedInputs, apply_scenario
from geoquartier.mobility.scenarios.model import Scenario
from geoquartier.mobility.scenarios.reuse import changed_categories
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
    The after side searches again only what the edits can change: after way edits, the
    categories whose result an exact bound cannot rule out (:mod:`.reuse`) and those whose
    facilities changed; after facility edits only, the categories whose facilities
    changed; every category when residents or the set of categories changed.
    """
    thresholds = minutes_list(thresholds_min)
    profiles = [
        get_profile(p).name for p in ([profiles] if isinstance(profiles, str) else profiles)
    ]
    edited = apply_scenario(scenario, network, facilities, population)
    if before is None:
        before = nearest_all(network, population, facilities, profiles, max_snap_m=max_snap_m)
    if not (before["rank"] == 1).all():
        before = before[before["rank"] == 1]
    after, recomputed = _after_side(edited, network, population, facilities, before, profiles,
                                    max_snap_m)  # fmt: skip
    pairs = _pairs(before, after, _weights(population), _weights(edited.population))
    table = _coverage_table(
        pairs,
        thresholds,
        float(population["residents"].sum()),
        float(edited.population["residents"].sum()),
    )
    return Comparison(table, _per_origin(pairs, before, after), edited, recomputed)


def _after_side(edited, network, population, facilities, before, profiles, max_snap_m):
    """The nearest results after the edits and a line saying what was searched again."""
    cats_before = categories_of(facilities, "category")
    cats_after = categories_of(edited.facilities, "category")
    only_closed = set(cats_after) <= set(cats_before) and not edited.network_changed
    if edited.population_changed or (cats_after != cats_before and not only_closed):
        after = nearest_all(
            edited.network, edited.population, edited.facilities, profiles, max_snap_m=max_snap_m
        )
        return after, "all categories (residents or the set of categories changed)"
    if edited.network_changed:
        blocks = _profile_blocks(before, population, cats_before, profiles)
        if blocks is not None:
            return _after_network(edited, network, population, before, blocks, max_snap_m)
        after = nearest_all(
            edited.network, edited.population, edited.facilities, profiles, max_snap_m=max_snap_m
        )
        return after, "all categories (network changed)"
    if edited.categories_changed:
        cats = sorted(edited.categories_changed)
        after = before[~before["category"].astype(str).isin(cats)]
        # a category whose last facility closed has no "after" rows: nobody reaches it
        left = sorted(set(cats) & set(cats_after))
        if left:
            changed = nearest_all(
                network, population, edited.facilities, profiles, left, max_snap_m=max_snap_m
            )
            after = pd.concat([after, changed], ignore_index=True)
        return after, f"categories {', '.join(cats)} (facilities changed)"
    return before, "nothing (no edits)"


def _profile_blocks(before, population, cats, profiles) -> dict | None:
    """Where each profile's rows start in ``before`` when it is laid out as
    :func:`nearest_all` makes it (per profile, per category in ``cats`` order, every
    origin of ``population`` in order); None otherwise."""
    n = len(population)
    if len(before) != n * len(cats) * len(profiles):
        return None
    ids = population["id"].to_numpy() if "id" in population else population.index.to_numpy()
    blocks = {}
    for i, p in enumerate(profiles):
        start = i * n * len(cats)
        heads = before.iloc[start : start + n * len(cats) : n]
        if (
            list(heads["profile"]) != [p] * len(cats)
            or list(heads["category"].astype(str)) != list(cats)
            or not np.array_equal(before["origin_id"].to_numpy()[start : start + n], ids)
        ):
            return None
        blocks[p] = start
    return blocks


def _after_network(edited, network, population, before, blocks, max_snap_m):
    """After way edits: the base rows of every category and profile the exact bounds of
    :func:`changed_categories` keep, the others searched again on the edited network."""
    cats = categories_of(edited.facilities, "category")
    n = len(population)
    origins = as_points(population, "origins")
    fac = as_points(edited.facilities, "facilities")
    fac_cats = edited.facilities["category"].astype(str).to_numpy()
    base_m = before["distance_m"].to_numpy(dtype=float)
    values = {k: before[k].to_numpy(dtype=float).copy() for k in _PAIR_VALUES}
    searched = []
    for p, start in blocks.items():
        per_cat = {c: base_m[start + j * n : start + (j + 1) * n] for j, c in enumerate(cats)}
        todo = changed_categories(network, edited.network, origins, fac, fac_cats, per_cat,
                                  get_profile(p), max_snap_m)  # fmt: skip
        todo = cats if todo is None else sorted(set(todo) | edited.categories_changed)
        searched.append(f"{p}: {len(todo)} of {len(cats)}")
        if not todo:
            continue
        new = nearest_facilities(edited.network, population, edited.facilities,
                                 categories=todo, profile=p, max_snap_m=max_snap_m)  # fmt: skip
        for j, c in enumerate(todo):
            at = start + cats.index(c) * n
            for k in _PAIR_VALUES:
                values[k][at : at + n] = new[k].to_numpy(dtype=float)[j * n : (j + 1) * n]
    after = _frame(before, _PAIR_KEYS)
    for k, v in values.items():
        after[k] = v
    return after, "categories searched again (network changed): " + "; ".join(searched)


def _weights(population) -> pd.Series:
    ids = population["id"].to_numpy() if "id" in population else population.index.to_numpy()
    return pd.Series(population["residents"].to_numpy(dtype=float), index=pd.Index(ids))


_PAIR_KEYS = ["origin_id", "category", "profile"]


def _frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of ``frame`` as a new DataFrame sharing their arrays (object columns
    as they are: no scan for a string dtype, no copy)."""
    data = {}
    for k in columns:
        values = frame[k].to_numpy()
        data[k] = pd.Series(values, dtype=values.dtype, copy=False)
    return pd.DataFrame(data, copy=False)


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    return a is b or np.array_equal(a, b)


def run_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pandas.factorize` for columns made of long runs of one value (the category
    and profile columns of :func:`nearest_all`): only the first value of each run is
    hashed."""
    values = np.asarray(values, dtype=object)
    if len(values) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    head_codes, uniques = pd.factorize(values[starts])
    return np.repeat(head_codes, np.diff(np.r_[starts, len(values)])), uniques


_PAIR_VALUES = ["walk_min", "unknown_share"]


def _pairs(before, after, w_before: pd.Series, w_after: pd.Series) -> pd.DataFrame:
    """Before and after side by side, one row per origin × category × profile. Both sides
    come from the same origins in the same order unless residents or categories changed;
    then they are joined on the keys. ``attrs["same_rows"]``: rows are those of
    ``before`` in order (its geometries apply)."""
    same = len(before) == len(after) and all(
        _same_array(before[k].to_numpy(), after[k].to_numpy()) for k in _PAIR_KEYS
    )
    if same:
        pairs = _frame(before, _PAIR_KEYS)
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
    # one hash per row, then one lookup per distinct origin (not per row)
    codes, origins = pd.factorize(pairs["origin_id"].to_numpy())
    pairs["residents_before"] = w_before.reindex(origins).fillna(0.0).to_numpy()[codes]
    pairs["residents_after"] = w_after.reindex(origins).fillna(0.0).to_numpy()[codes]
    pairs.attrs["same_rows"] = same
    return pairs


_TABLE_COLUMNS = _KEYS + [
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


def _classes(pairs, side: str, thresholds: np.ndarray) -> np.ndarray:
    """Per row, how many thresholds lie below its walking time (0: within all of them;
    ``len(thresholds)``: beyond all, or unreachable)."""
    minutes = pairs[f"walk_min_{side}"].to_numpy(dtype=float)
    minutes = np.where(np.isnan(minutes), np.inf, minutes)
    return np.searchsorted(thresholds, minutes, side="left")


def _within_sums(key: np.ndarray, weights: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Sums of ``weights`` per group × threshold of the rows within it: one pass over the
    rows (``key`` = group × class), then a running sum over the classes."""
    n_groups, n_classes = shape
    sums = np.bincount(key, weights, minlength=n_groups * n_classes)
    return np.cumsum(sums.reshape(n_groups, n_classes), axis=1)[:, :-1]


def _side(pairs, side: str, thresholds: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of one side: its class, residents and residents × unknown share (0 where
    the share is unknown) and residents with a known share."""
    w = pairs[f"residents_{side}"].to_numpy(dtype=float)
    unk = pairs[f"unknown_share_{side}"].to_numpy(dtype=float)
    known = np.isfinite(unk)
    return {
        "cls": _classes(pairs, side, thresholds),
        "residents": w,
        "num": np.where(known, w * np.where(known, unk, 0.0), 0.0),
        "den": np.where(known, w, 0.0),
    }


def _differences(codes, b: dict, a: dict, shape) -> dict[str, np.ndarray]:
    """Per group × threshold, after minus before of each sum, and the residents crossing
    each threshold — summed over the rows that differ only, row by row, so that rows that
    did not change (or moved inside a threshold) add exactly nothing."""
    n_groups, n_classes = shape
    rows = np.flatnonzero(
        (a["cls"] != b["cls"])
        | (a["residents"] != b["residents"])
        | (a["num"] != b["num"])
        | (a["den"] != b["den"])
    )
    g = codes[rows]
    out = {k: np.zeros((n_groups, n_classes - 1)) for k in ("residents", "num", "den")}
    out["newly"], out["no_longer"] = np.zeros_like(out["num"]), np.zeros_like(out["num"])
    for j in range(n_classes - 1):
        in_b, in_a = b["cls"][rows] <= j, a["cls"][rows] <= j
        for k in ("residents", "num", "den"):
            delta = np.where(in_a, a[k][rows], 0.0) - np.where(in_b, b[k][rows], 0.0)
            out[k][:, j] = np.bincount(g, delta, minlength=n_groups)
        out["newly"][:, j] = np.bincount(g, np.where(in_a & ~in_b, a["residents"][rows], 0.0),
                                         minlength=n_groups)  # fmt: skip
        out["no_longer"][:, j] = np.bincount(g, np.where(in_b & ~in_a, b["residents"][rows], 0.0),
                                             minlength=n_groups)  # fmt: skip
    return out


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _coverage_table(pairs, thresholds, total_before: float, total_after: float) -> pd.DataFrame:
    """Residents within each threshold before/after and those crossing it, per profile ×
    category (the sums :func:`coverage` makes, on both sides at once).

    The before side reads every row once for all thresholds: its class (how many
    thresholds lie below its time), weights summed per group × class and running sums over
    the classes. The after side adds the differences of the rows that changed."""
    p_code, p_names = run_codes(pairs["profile"].to_numpy())
    c_code, c_names = run_codes(pairs["category"].to_numpy())
    codes = p_code * len(c_names) + c_code  # dense group number (no sort)
    n = len(p_names) * len(c_names)
    order = np.argsort(np.asarray(thresholds, dtype=float), kind="stable")
    shape = (n, len(order) + 1)
    b = _side(pairs, "before", np.asarray(thresholds, dtype=float)[order])
    a = _side(pairs, "after", np.asarray(thresholds, dtype=float)[order])
    key = codes * shape[1] + b["cls"]
    sums = {k: _within_sums(key, b[k], shape) for k in ("residents", "num", "den")}
    diff = _differences(codes, b, a, shape)
    out = {
        "residents_before": sums["residents"],
        "residents_after": _snap_zero(sums["residents"] + diff["residents"], total_after),
        "difference": diff["residents"],
        "residents_newly_within": diff["newly"],
        "residents_no_longer_within": diff["no_longer"],
        "unknown_share_before": _share(sums["num"], sums["den"]),
        "unknown_share_after": _share(sums["num"] + diff["num"], sums["den"] + diff["den"]),
    }
    used = np.flatnonzero(np.bincount(codes, minlength=n))
    rows = []
    for j, i in enumerate(order):
        part = {
            "profile": np.asarray(p_names, dtype=object)[used // len(c_names)],
            "category": np.asarray(c_names, dtype=object)[used % len(c_names)],
        }
        part.update({k: v[used, j] for k, v in out.items()})
        rows.append(pd.DataFrame(part).assign(threshold_min=thresholds[i]))
    table = pd.concat(rows, ignore_index=True)
    table["residents_total_before"] = total_before
    table["residents_total_after"] = total_after
    return table[_TABLE_COLUMNS].sort_values(_KEYS, ignore_index=True)


def _snap_zero(values: np.ndarray, total: float) -> np.ndarray:
    """Sums reached as before + differences: what rounding leaves of an exact zero (below
    1e-9 of all residents) is zero again, so "nobody" never reads -0.000000000004."""
    return np.where(np.abs(values) < 1e-9 * max(float(total), 1.0), 0.0, values)


def _per_origin(pairs, before, after) -> gpd.GeoDataFrame:
    """Per origin × category × profile: minutes before and after and ``gain_min``, with
    the origin's geometry (EPSG:4326)."""
    cols = _PAIR_KEYS + ["walk_min_before", "walk_min_after"]
    out = _frame(pairs, cols)
    mb = out["walk_min_before"].to_numpy(dtype=float)
    ma = out["walk_min_after"].to_numpy(dtype=float)
    fb, fa = np.isfinite(mb), np.isfinite(ma)
    gain = np.where(fb & fa, np.where(fb, mb, 0.0) - np.where(fa, ma, 0.0), 0.0)
    out["gain_min"] = np.where(~fb & fa, np.inf, np.where(fb & ~fa, -np.inf, gain))
    if pairs.attrs.get("same_rows"):
        geometry = before.geometry.values
    else:
        first = pd.concat([after[["origin_id", "geometry"]], before[["origin_id", "geometry"]]])
        first = first.drop_duplicates("origin_id").set_index("origin_id")["geometry"]
        geometry = first.reindex(out["origin_id"].to_numpy()).values
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326", copy=False)
