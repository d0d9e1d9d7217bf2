"""Categorised OSM-derived points without names (``category`` per point) as ``pois``.

Made for files like Magdeburg's ``magdeburg_amenity_points_osm.geojson`` (categories
grocery, pharmacy, healthcare, school, university, park, gym, cafe, transit; no names,
no tags). Categories that are ``pois`` categories are kept as they are; ``transit`` is
skipped because stops come from GTFS with names (:mod:`.gtfs`); any other category is
an error naming it. ``id`` is ``<quartier>:pt-<category>-<lon>-<lat>`` (stable: the file's
coordinates are unique per category) and ``source`` ``osm-derived:<file name>``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.schema import POI_CATEGORIES
from geoquartier.layers.sources._common import frame, require_file

SKIPPED_CATEGORIES = ("transit",)


def read_amenity_points(
    path: str | Path, quartier: str, boundary: BaseGeometry | None = None
) -> gpd.GeoDataFrame:
    """The ``pois`` layer (points, EPSG:4326) from a file of points with a ``category``
    property; ``boundary`` (EPSG:4326) keeps the points inside it."""
    path = require_file(path, "amenity points file")
    try:
        points = gpd.read_file(path)
    except Exception as exc:
        raise GeoquartierError(f"{path}: not a readable GeoJSON/GeoPackage ({exc})") from exc
    if "category" not in points.columns:
        raise GeoquartierError(f"{path}: no 'category' column")
    points = points.to_crs(STORAGE_CRS) if points.crs is not None else points.set_crs(STORAGE_CRS)
    points = points[~points["category"].isin(SKIPPED_CATEGORIES)]
    unknown = sorted(set(points["category"]) - set(POI_CATEGORIES))
    if unknown:
        raise GeoquartierError(
            f"{path}: unknown categories {', '.join(map(str, unknown))}; "
            f"expected {', '.join(POI_CATEGORIES + SKIPPED_CATEGORIES)}"
        )
    if boundary is not None:
        points = points[points.within(boundary)]
    records = [
        {
            "id": f"{quartier}:pt-{cat}-{geom.x:.5f}-{geom.y:.5f}",
            "quartier": quartier,
            "name": None,
            "category": cat,
            "source": f"osm-derived:{path.name}",
            "geometry": geom,
        }
        for cat, geom in zip(points["category"], points.geometry, strict=True)
    ]
    return frame(records, "pois")
