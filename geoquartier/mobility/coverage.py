"""Coverage: how many residents reach each category of facility within a walking time.

Residents come from the population layer (Zensus grid cells: each cell's centroid is its
origin) or, where no grid exists, from :func:`residents_from_buildings`, which spreads a
known total over the residential buildings by floor area.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.sources import population as population_source
from geoquartier.layers.sources import zensus
from geoquartier.mobility.inputs import minutes_list
from geoquartier.mobility.nearest import nearest_facilities
from geoquartier.mobility.profiles import PROFILES, get_profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M

RESIDENTIAL_BUILDINGS = frozenset(
    {
        "residential",
        "house",
        "apartments",
        "detached",
        "semidetached_house",
        "terrace",
        "farm",
        "bungalow",
        "dormitory",
        "static_caravan",
        "yes",
    }
)
"""OSM ``building`` values counted as homes when no ``residential`` column says otherwise."""

RESIDENTS_SOURCES = {
    zensus.SOURCE: "Zensus 2022 100 m grid cells",
    population_source.SOURCE_FLOOR_AREA_SHARE: (
        "estimate: the registry's resident total spread over residential buildings by floor area"
    ),
    population_source.SOURCE_FLOOR_AREA: (
        "estimate from residential building floor area "
        f"({population_source.LIVING_AREA_PER_RESIDENT_M2} m² living area per resident)"
    ),
}
"""Codes of the ``residents_source`` column (prefixes of the population layer's ``source``)
and what they mean; any other source is reported by the part before its first ``:``."""

ESTIMATED_SOURCES = frozenset(
    {population_source.SOURCE_FLOOR_AREA, population_source.SOURCE_FLOOR_AREA_SHARE}
)
"""Residents sources that are estimates, not counts."""

COVERAGE_COLUMNS = {
    "profile": ("Profil", "", "Gehprofil: standard 4,5 km/h, senior 3,0 km/h, wheelchair 4,0 km/h"),
    "category": ("Kategorie", "", "Art der Einrichtung (office = Stadtteilbüro)"),
    "threshold_min": ("Gehzeit", "min", "Schwelle der Gehzeit"),
    "residents_within": (
        "Einwohner in Gehzeit",
        "Personen",
        "Einwohner, die die nächste Einrichtung der Kategorie in dieser Zeit erreichen",
    ),
    "residents_total": ("Einwohner gesamt", "Personen", "alle Einwohner des Quartiers"),
    "share_within_pct": ("Anteil in Gehzeit", "%", "residents_within / residents_total"),
    "residents_off_network": (
        "Einwohner ohne Wegenetz",
        "Personen",
        "wohnen mehr als 300 m vom nächsten nutzbaren Weg; zählen nie als erreicht",
    ),
    "unknown_share_pct": (
        "Anteil ohne Rollstuhl-Angaben",
        "%",
        "Anteil der Wege ohne Angaben zu Bordstein, Steigung oder Belag (nur wheelchair)",
    ),
    "method": (
        "Methode",
        "",
        "network = Fußwegenetz (OSM); estimate = Luftlinie × 1,3 (Schätzung)",
    ),
    "residents_source": ("Herkunft der Einwohnerzahlen", "", "siehe docs/mobility.md"),
}
"""Columns of the coverage CSV: code → (German label, unit, German description); written
next to the CSV as ``<name>.columns.csv``."""

CSV_OPTIONS = {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"}
"""The CSV dialect German spreadsheet programs open without an import dialog: UTF-8 with
BOM, ``;`` between fields, decimal comma (``2.5`` would become 2 May in German Excel)."""


def coverage(
    network,
    population: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    thresholds_min=(5, 10, 15),
    profiles=tuple(PROFILES),
    *,
    category_col: str | None = "category",
    categories=None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    nearest: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Residents within each walking time of the nearest facility, per category and profile.

    ``population`` (GeoDataFrame, EPSG:4326, column ``residents``; points or polygons →
    centroids) and ``facilities`` (points with ``category_col``) as for
    :func:`nearest_facilities`. ``nearest`` may pass in that function's result for the
    same population to avoid computing it again.

    Returns a DataFrame with one row per profile × category × threshold: ``profile,
    category, threshold_min, residents_within, residents_total, share_within`` (0..1),
    ``residents_off_network`` (residents farther than ``max_snap_m`` from a usable way,
    never counted as within), ``unknown_share`` (resident-weighted mean share of the route
    on ways with untagged kerb/incline/surface, where the profile reports it),
    ``method`` and ``residents_source`` (see :func:`residents_source`).
    """
    if "residents" not in population:
        raise GeoquartierError("population: no column 'residents'")
    residents = pd.to_numeric(population["residents"], errors="coerce")
    if residents.isna().any() or (residents < 0).any():
        raise GeoquartierError("population: 'residents' must be numbers >= 0")
    thresholds = minutes_list(thresholds_min)
    profiles = [profiles] if isinstance(profiles, str) else list(profiles)
    ids = population["id"].to_numpy() if "id" in population else population.index.to_numpy()
    weight = pd.Series(residents.to_numpy(dtype=float), index=pd.Index(ids))
    if weight.index.has_duplicates:
        raise GeoquartierError("population: ids are not unique")
    total = float(weight.sum())
    source = residents_source(population)
    rows = []
    for profile in profiles:
        prof = get_profile(profile)
        if nearest is not None and set(nearest["profile"]) == {prof.name}:
            near = nearest
        else:
            near = nearest_facilities(
                network,
                population,
                facilities,
                category_col=category_col,
                categories=categories,
                profile=prof,
                k=1,
                max_snap_m=max_snap_m,
            )
        near = near[near["rank"] == 1]
        for category, group in near.groupby("category", sort=True):
            w = weight.reindex(group["origin_id"].to_numpy()).to_numpy()
            minutes = group["walk_min"].to_numpy(dtype=float)
            off = group["off_network"].to_numpy(dtype=bool)
            share_unknown = group["unknown_share"].to_numpy(dtype=float)
            for t in thresholds:
                within = np.isfinite(minutes) & (minutes <= t)
                unk = np.nan
                if np.isfinite(share_unknown).any() and w[within].sum() > 0:
                    ok = within & np.isfinite(share_unknown)
                    unk = (
                        float(np.average(share_unknown[ok], weights=w[ok]))
                        if w[ok].sum() > 0
                        else np.nan
                    )
                rows.append(
                    {
                        "profile": prof.name,
                        "category": category,
                        "threshold_min": t,
                        "residents_within": float(w[within].sum()),
                        "residents_total": total,
                        "share_within": float(w[within].sum() / total) if total > 0 else np.nan,
                        "residents_off_network": float(w[off].sum()),
                        "unknown_share": unk,
                        "method": network.method,
                        "residents_source": source,
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "profile",
            "category",
            "threshold_min",
            "residents_within",
            "residents_total",
            "share_within",
            "residents_off_network",
            "unknown_share",
            "method",
            "residents_source",
        ],
    )


def residents_from_buildings(
    buildings: gpd.GeoDataFrame, total_residents: float
) -> gpd.GeoDataFrame:
    """Spread ``total_residents`` over residential buildings in proportion to floor area.

    Floor area = footprint area (EPSG:25832, m²) × ``levels`` (column ``levels`` or
    ``building:levels``; 1 where missing). Residential buildings are those with
    ``residential == True`` if that column exists, else those whose ``building`` value is
    in :data:`RESIDENTIAL_BUILDINGS`. Returns a population GeoDataFrame (EPSG:4326; ``id``,
    ``residents`` as floats, the building polygons).
    """
    if not (isinstance(total_residents, (int, float)) and total_residents >= 0):
        raise GeoquartierError(f"total_residents must be a number >= 0, got {total_residents!r}")
    if buildings.crs is None:
        raise GeoquartierError("buildings: the GeoDataFrame has no CRS (expected EPSG:4326)")
    if "residential" in buildings:
        homes = buildings[buildings["residential"].fillna(False).astype(bool)]
    elif "building" in buildings:
        homes = buildings[buildings["building"].astype(str).isin(RESIDENTIAL_BUILDINGS)]
    else:
        raise GeoquartierError("buildings: need a 'residential' or 'building' column")
    homes = homes[homes.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if homes.empty:
        raise GeoquartierError("buildings: no residential building polygons")
    area = homes.geometry.to_crs(ANALYSIS_CRS).area.to_numpy()
    col = (
        "levels" if "levels" in homes else "building:levels" if "building:levels" in homes else None
    )
    levels = np.ones(len(homes))
    if col is not None:
        parsed = pd.to_numeric(homes[col], errors="coerce").to_numpy(dtype=float)
        levels = np.where(np.isfinite(parsed) & (parsed > 0), parsed, 1.0)
    floor = area * levels
    residents = total_residents * floor / floor.sum() if floor.sum() > 0 else np.zeros(len(homes))
    ids = (
        homes["id"].astype(str).to_numpy()
        if "id" in homes
        else np.array([str(i) for i in homes.index])
    )
    return gpd.GeoDataFrame(
        {"id": ids, "residents": residents}, geometry=homes.geometry.values, crs=homes.crs
    ).to_crs("EPSG:4326")


def residents_source(population: pd.DataFrame) -> str:
    """Where the residents of a population layer come from, as a code: a key of
    :data:`RESIDENTS_SOURCES` (e.g. ``zensus2022``), else the part of ``source`` before its
    first ``:``; several joined by ``+``; ``unknown`` without a ``source`` column."""
    if "source" not in population or population["source"].isna().all():
        return "unknown"
    prefixes = sorted(RESIDENTS_SOURCES, key=len, reverse=True)

    def code(value: str) -> str:
        for prefix in prefixes:
            if value == prefix or value.startswith(prefix + ":"):
                return prefix
        return value.split(":", 1)[0] or "unknown"

    codes = {code(str(v)) for v in population["source"].dropna().unique()}
    return "+".join(sorted(codes))


def describe_residents_source(code: str) -> str:
    """A planner's sentence for a :func:`residents_source` code."""
    return "; ".join(RESIDENTS_SOURCES.get(c, f"source {c!r}") for c in code.split("+"))


def is_estimated(code: str) -> bool:
    """Whether any part of a :func:`residents_source` code is an estimate."""
    return any(c in ESTIMATED_SOURCES for c in code.split("+"))


def rounded_coverage(table: pd.DataFrame) -> pd.DataFrame:
    """The :func:`coverage` table as a planner reads it: residents as whole persons,
    shares as percentages with one decimal (``share_within_pct``, ``unknown_share_pct``),
    minutes with one decimal."""
    out = pd.DataFrame(
        {
            "profile": table["profile"],
            "category": table["category"],
            "threshold_min": table["threshold_min"].astype(float).round(1),
        }
    )
    for col in ("residents_within", "residents_total"):
        out[col] = table[col].astype(float).round().astype("Int64")
    out["share_within_pct"] = (table["share_within"].astype(float) * 100).round(1)
    out["residents_off_network"] = table["residents_off_network"].astype(float).round()
    out["residents_off_network"] = out["residents_off_network"].astype("Int64")
    out["unknown_share_pct"] = (table["unknown_share"].astype(float) * 100).round(1)
    out["method"] = table["method"]
    out["residents_source"] = table["residents_source"]
    return out[list(COVERAGE_COLUMNS)]


def write_coverage_csv(table: pd.DataFrame, path: str | Path) -> list[Path]:
    """Write the :func:`coverage` table, rounded (:func:`rounded_coverage`), as
    ``path`` in :data:`CSV_OPTIONS` and the German column descriptions
    (:data:`COVERAGE_COLUMNS`) as ``<stem>.columns.csv`` next to it. Each file is written to
    a temporary name first and then moved into place. Returns both paths."""
    return write_table_with_legend(rounded_coverage(table), COVERAGE_COLUMNS, path)


def write_table_with_legend(
    table: pd.DataFrame, labels: dict[str, tuple[str, str, str]], path: str | Path
) -> list[Path]:
    """Write ``table`` as ``path`` in :data:`CSV_OPTIONS` and its column descriptions
    (``labels``: column → German label, unit, description) as ``<stem>.columns.csv``;
    each file goes to a temporary name first. Returns both paths."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise GeoquartierError(f"cannot write {path.name}: the coverage table needs a .csv file")
    columns = pd.DataFrame(
        [(code, *label) for code, label in labels.items()],
        columns=["column", "label_de", "unit", "description_de"],
    )
    legend = path.with_name(f"{path.stem}.columns.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    for frame, target in ((table, path), (columns, legend)):
        tmp = target.with_name(f".{target.name}.tmp")
        frame.to_csv(tmp, index=False, **CSV_OPTIONS)
        os.replace(tmp, target)
    return [path, legend]


def read_coverage_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_coverage_csv` back into a DataFrame."""
    return pd.read_csv(path, **CSV_OPTIONS)


def column_key(text: str) -> str:
    """``text`` as part of a column name: lower-case letters, digits and ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", str(text).lower()).strip("_") or "x"


def walk_minutes_per_home(nearest: pd.DataFrame, population: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per home or population cell with its residents and one column
    ``walk_min_<category>_<profile>`` (minutes to the nearest facility, rounded up to one
    decimal so that ``<= t`` selects exactly the homes :func:`coverage` counts within
    ``t``; NaN where unreachable or off-network) per category and profile of ``nearest`` (results of
    :func:`nearest_facilities` for ``population``, concatenated).

    ``population`` is the layer the results were computed for (EPSG:4326, ``id``,
    ``residents``); the result keeps its geometry (EPSG:4326), ``id``, ``residents`` and
    ``source``.
    """
    near = nearest[nearest["rank"] == 1]
    profiles = list(dict.fromkeys(near["profile"]))
    categories = sorted(near["category"].astype(str).unique())
    keys = (
        "walk_min_"
        + near["category"].astype(str).map(column_key)
        + "_"
        + near["profile"].astype(str).map(column_key)
    )
    wide = pd.DataFrame(
        {"origin_id": near["origin_id"].astype(str).to_numpy(), "key": keys.to_numpy()}
    )
    # rounded up to 0.1 min: "at most t minutes" selects exactly the homes counted within t
    wide["walk_min"] = np.ceil(near["walk_min"].astype(float).to_numpy() * 10) / 10
    wide = wide.pivot(index="origin_id", columns="key", values="walk_min")
    order = [
        f"walk_min_{column_key(c)}_{column_key(p)}"
        for c in categories
        for p in profiles
        if f"walk_min_{column_key(c)}_{column_key(p)}" in wide
    ]
    keep = [c for c in ("id", "residents", "source") if c in population]
    homes = population[keep + [population.geometry.name]].copy()
    homes["id"] = homes["id"].astype(str)
    homes["residents"] = pd.to_numeric(homes["residents"], errors="coerce")
    walk = wide.reindex(homes["id"].to_numpy())[order]
    for col in order:
        homes[col] = walk[col].to_numpy()
    return gpd.GeoDataFrame(homes, geometry=population.geometry.name, crs=population.crs).to_crs(
        STORAGE_CRS
    )
