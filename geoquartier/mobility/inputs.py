"""Checking and converting the GeoDataFrames given to the mobility functions.

Inputs are GeoDataFrames in EPSG:4326 (any CRS is accepted if it is set); points are used
as they are, polygons by their centroid (computed in EPSG:25832).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError

_GEOM_NAMES = {
    0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
    5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection",
}  # fmt: skip
"""shapely type ids → geometry type names as GeoPandas spells them."""


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
    values = np.asarray(geom.values, dtype=object)
    bad = shapely.is_missing(values) | shapely.is_empty(values)
    if bad.any():
        ids = (gdf[id_col] if id_col in gdf else pd.Series(gdf.index, index=gdf.index))[bad]
        raise GeoquartierError(
            f"{what}: {int(bad.sum())} feature(s) without geometry (ids {ids.tolist()[:10]})"
        )
    kinds = {_GEOM_NAMES.get(int(t), str(t)) for t in np.unique(shapely.get_type_id(values))}
    allowed = {"Point", "Polygon", "MultiPolygon"}
    if not kinds <= allowed:
        raise GeoquartierError(
            f"{what}: geometry must be Point, Polygon or MultiPolygon, "
            f"found {sorted(kinds - allowed)}"
        )
    frame = gdf.to_crs(STORAGE_CRS) if str(gdf.crs) != STORAGE_CRS else gdf
    x, y = _metric_xy(gdf.geometry, kinds)
    ids = gdf[id_col].to_numpy() if id_col in gdf else gdf.index.to_numpy()
    return Points(ids, x, y, frame)


def _metric_xy(geom: gpd.GeoSeries, kinds: set) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:25832 coordinates of points (transformed as arrays, no new geometries: the
    numbers ``to_crs`` gives) or of polygon centroids (computed in EPSG:25832)."""
    if kinds == {"Point"}:
        xy = shapely.get_coordinates(geom.values)
        transformer = _transformer(geom.crs.to_wkt())
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    metric = geom.to_crs(ANALYSIS_CRS).values
    pts = np.where(shapely.get_type_id(metric) == 0, metric, shapely.centroid(metric))
    return shapely.get_x(pts), shapely.get_y(pts)


@functools.lru_cache(maxsize=8)
def _transformer(crs_wkt: str):
    from pyproj import CRS, Transformer

    return Transformer.from_crs(CRS.from_wkt(crs_wkt), ANALYSIS_CRS, always_xy=True)


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
