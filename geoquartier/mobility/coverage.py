"""Coverage: how many residents reach each category of facility within a walking time.

Residents come from the population layer (Zensus grid cells: each cell's centroid is its
origin) or, where no grid exists, from :func:`residents_from_buildings`, which spreads a
known total over the residential buildings by floor area.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import ANALYSIS_CRS
from geoquartier.errors import GeoquartierError
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
    on ways with untagged kerb/incline/surface, where the profile reports it) and
    ``method``.
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
