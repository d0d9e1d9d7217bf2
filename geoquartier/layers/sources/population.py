"""Residents spread over residential buildings, where no Zensus grid exists.

Each residential building (``buildings.residential``) gets a share of the quartier's
residents proportional to its floor area:

    floor_area_m2 = footprint area (EPSG:25832) × levels

with ``levels`` = ``building:levels`` where tagged, else
:data:`geoquartier.layers.sources.osm_tags.DEFAULT_LEVELS`. Shares are rounded by the
largest-remainder method, so the building counts add up exactly to the total; buildings
that get 0 residents are left out. Each row is a point (inside the footprint) in
EPSG:4326 with ``residents`` (persons).

The total is the registry's resident figure for the quartier when there is one
(``source`` = ``estimate:floor-area-share``). Without one it is estimated from the floor
area itself (``source`` = ``estimate:floor-area``):

    residents = Σ floor_area_m2 × LIVING_AREA_SHARE / LIVING_AREA_PER_RESIDENT_M2

Both are estimates, and the ``source`` of every row says so.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from geoquartier.config import ANALYSIS_CRS
from geoquartier.layers.sources._common import frame
from geoquartier.layers.sources.osm_tags import DEFAULT_LEVELS

SOURCE_FLOOR_AREA = "estimate:floor-area"
"""``source`` prefix of residents estimated from the floor area alone (no known total)."""

SOURCE_FLOOR_AREA_SHARE = "estimate:floor-area-share"
"""``source`` prefix of a known total (the registry's) spread over the floor area."""

LIVING_AREA_PER_RESIDENT_M2 = 47.4
"""Living area per resident in Germany at the end of 2022, m² (Statistisches Bundesamt,
Fortschreibung des Wohngebäude- und Wohnungsbestandes, press release of July 2023:
"die Wohnfläche je Einwohnerin und Einwohner beträgt 47,4 Quadratmeter")."""

LIVING_AREA_SHARE = 0.75
"""Living area (Wohnfläche) per m² of gross floor area (footprint × storeys). Walls,
stairwells, cellars and technical rooms take the rest; 0.75 is the lower end of the usual
planning range of 0.75-0.8, chosen because OSM footprints include outer walls."""


def floor_area_m2(buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Gross floor area in m² of each building (EPSG:4326 in): footprint area in
    EPSG:25832 × levels (``DEFAULT_LEVELS`` where ``levels`` is missing)."""
    footprint = buildings.geometry.to_crs(ANALYSIS_CRS).area.to_numpy(dtype=float)
    levels = buildings["levels"].astype("Float64").fillna(DEFAULT_LEVELS).to_numpy(dtype=float)
    return footprint * levels


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    rest = int(total - counts.sum())
    if rest:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:rest]] += 1
    return counts


def estimate_from_buildings(
    buildings: gpd.GeoDataFrame, quartier: str, total_residents: int | None = None
) -> gpd.GeoDataFrame:
    """The population layer from the ``buildings`` layer (EPSG:4326): points with
    ``residents`` (persons) on residential buildings, in EPSG:4326.

    ``total_residents`` (persons) is spread by floor area; None estimates the total from
    the floor area (see the module notes). ``gdf.attrs["estimated_total"]`` tells which.
    """
    homes = buildings[buildings["residential"].fillna(False).astype(bool)]
    area = floor_area_m2(homes) if len(homes) else np.zeros(0)
    if total_residents is None:
        total = round(float(area.sum()) * LIVING_AREA_SHARE / LIVING_AREA_PER_RESIDENT_M2)
        source = SOURCE_FLOOR_AREA
    else:
        total = int(total_residents)
        source = SOURCE_FLOOR_AREA_SHARE
    counts = largest_remainder(area, total)
    records = [
        {
            "id": f"{bid}-residents",
            "quartier": quartier,
            "residents": int(n),
            "source": f"{source}:{bsource}",
            "geometry": geom.representative_point(),
        }
        for bid, bsource, n, geom in zip(
            homes["id"], homes["source"], counts, homes.geometry, strict=True
        )
        if n > 0
    ]
    out = frame(records, "population")
    out.attrs["estimated_total"] = total_residents is None
    out.attrs["floor_area_m2"] = float(area.sum())
    return out
