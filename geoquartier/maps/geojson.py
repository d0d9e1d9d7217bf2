"""GeoDataFrames (EPSG:4326) to compact GeoJSON for the page: rounded, with chosen properties."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import shapely

PRECISION_DEG = 1e-5
"""Coordinate grid of embedded geometries in degrees (about 1 m)."""


def feature_collection(
    gdf: gpd.GeoDataFrame,
    properties: Callable[[Any], dict] | None = None,
    precision_deg: float = PRECISION_DEG,
    simplify_deg: float = 0.0,
) -> dict:
    """A GeoJSON FeatureCollection of ``gdf`` (EPSG:4326, degrees).

    ``properties(row)`` gives each feature's properties (default: none); geometries are
    optionally simplified by ``simplify_deg`` and snapped to ``precision_deg``. Empty and
    missing geometries are left out.
    """
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        raise ValueError(f"expected EPSG:4326, got {gdf.crs}")
    geoms = gdf.geometry.to_numpy()
    if simplify_deg:
        geoms = shapely.simplify(geoms, simplify_deg, preserve_topology=True)
    geoms = shapely.set_precision(geoms, precision_deg, mode="pointwise")
    texts = shapely.to_geojson(geoms)
    features = []
    for (_, row), geom, geom_json in zip(gdf.iterrows(), geoms, texts, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        features.append(
            {
                "type": "Feature",
                "properties": properties(row) if properties else {},
                "geometry": json.loads(geom_json),
            }
        )
    return {"type": "FeatureCollection", "features": features}
