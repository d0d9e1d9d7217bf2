"""The area a walk network may cover and the OSM tags it keeps.

Shared by the network arrays (:mod:`geoquartier.mobility.network`) and the file reader
(:mod:`geoquartier.mobility.osmfile`), which must agree on both.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

from geoquartier.errors import GeoquartierError
from geoquartier.vocabulary import ANALYSIS_CRS, STORAGE_CRS

EDGE_TAGS: tuple[str, ...] = (
    "highway",
    "name",
    "wheelchair",
    "kerb",
    "kerb:height",
    "incline",
    "surface",
    "footway",
    "crossing",
)
"""OSM way tags kept on every edge (the profiles' rules and the route's street names)."""

NODE_KERB_TAGS: tuple[str, ...] = ("kerb", "kerb:height", "barrier")
"""OSM node tags read before simplification so that kerbs on nodes reach the edges."""


def buffered_area(polygon_4326, buffer_m: float):
    """A (Multi)Polygon in EPSG:4326 widened by ``buffer_m`` metres (buffered in
    EPSG:25832, vertices transformed back): the area a quartier's network may use."""
    polygon = as_polygon(polygon_4326)
    to_m = Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)
    to_deg = Transformer.from_crs(ANALYSIS_CRS, STORAGE_CRS, always_xy=True)
    widened = shapely.transform(
        polygon, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))
    )
    widened = widened.buffer(float(buffer_m))
    return shapely.transform(widened, lambda c: np.column_stack(to_deg.transform(c[:, 0], c[:, 1])))


def as_polygon(geom):
    """``geom`` (a shapely geometry, GeoSeries or GeoDataFrame) as one (Multi)Polygon in
    EPSG:4326; a clear error for anything else."""
    if hasattr(geom, "geometry") and hasattr(geom, "crs"):  # GeoSeries / GeoDataFrame
        gs = geom.geometry if hasattr(geom, "to_crs") else geom
        if gs.crs is not None:
            gs = gs.to_crs(STORAGE_CRS)
        geom = shapely.union_all(np.asarray(gs.values))
    if not isinstance(geom, shapely.Geometry) or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeoquartierError(
            "the area for the walk network must be a Polygon or MultiPolygon in EPSG:4326"
        )
    if geom.is_empty:
        raise GeoquartierError("the area for the walk network is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= 180 and -90 <= miny <= 90 and maxx <= 180 and maxy <= 90):
        raise GeoquartierError(
            "the area for the walk network must be in EPSG:4326 (longitude/latitude)"
        )
    return geom
