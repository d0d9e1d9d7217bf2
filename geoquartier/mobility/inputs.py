"""Checking and converting the GeoDataFrames given to the mobility functions.

Inputs are GeoDataFrames in EPSG:4326 (any CRS is accepted if it is set); points are used
as they are, polygons by their centroid (computed in EPSG:25832).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError


@dataclass
class Points:
    """Points of an input layer in EPSG:25832 (metres) with their ids."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    frame: gpd.GeoDataFrame  # the input rows, in EPSG:4326

    def __len__(self) -> int:
        return len(self.ids)


def as_points(gdf, what: str, id_col: str = "id") -> Points:
    """Points (EPSG:25832) of a GeoDataFrame of points or polygons; ``what`` names the input
    in error messages. Ids come from ``id_col`` or else the index."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise GeoquartierError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise GeoquartierError(f"{what}: the GeoDataFrame has no CRS (expected EPSG:4326)")
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty
    if bad.any():
        ids = (gdf[id_col] if id_col in gdf else pd.Series(gdf.index, index=gdf.index))[bad]
        raise GeoquartierError(
            f"{what}: {int(bad.sum())} feature(s) without geometry (ids {ids.tolist()[:10]})"
        )
    kinds = set(geom.geom_type.unique())
    allowed = {"Point", "Polygon", "MultiPolygon"}
    if not kinds <= allowed:
        raise GeoquartierError(
            f"{what}: geometry must be Point, Polygon or MultiPolygon, "
            f"found {sorted(kinds - allowed)}"
        )
    frame = gdf.to_crs(STORAGE_CRS) if str(gdf.crs) != STORAGE_CRS else gdf
    metric = gdf.geometry.to_crs(ANALYSIS_CRS).values
    pts = np.where(shapely.get_type_id(metric) == 0, metric, shapely.centroid(metric))
    ids = gdf[id_col].to_numpy() if id_col in gdf else gdf.index.to_numpy()
    return Points(ids, shapely.get_x(pts), shapely.get_y(pts), frame)


def categories_of(facilities: gpd.GeoDataFrame, category_col: str | None, categories=None) -> list:
    """The categories to analyse: all values of ``category_col`` (or one pseudo-category
    ``"all"`` if ``category_col`` is None), filtered to ``categories`` when given."""
    if category_col is None:
        found = ["all"]
    else:
        if category_col not in facilities:
            raise GeoquartierError(
                f"facilities: no column {category_col!r} (columns: {list(facilities.columns)})"
            )
        found = sorted(facilities[category_col].dropna().astype(str).unique())
    if categories is not None:
        wanted = [categories] if isinstance(categories, str) else list(categories)
        missing = [c for c in wanted if c not in found]
        if missing:
            raise GeoquartierError(f"no facilities of category {missing} (present: {found})")
        found = wanted
    return found


def minutes_list(minutes) -> list[float]:
    """Validated, sorted list of positive minutes."""
    if isinstance(minutes, (int, float)):
        minutes = [minutes]
    try:
        values = sorted({float(m) for m in minutes})
    except (TypeError, ValueError):
        raise GeoquartierError(f"minutes must be numbers, got {minutes!r}") from None
    if not values or values[0] <= 0 or values[-1] > 240:
        raise GeoquartierError(f"minutes must lie in (0, 240], got {minutes!r}")
    return values
