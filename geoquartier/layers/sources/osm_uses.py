"""The use of OSM objects as candidate sites for a new office or service.

The ``buildings`` layer keeps the ``building`` value only; whether a building houses a
shop, an office, a school or a church is in its other tags (``amenity``, ``shop``,
``office``, ...) or on a point inside it. :func:`read_uses` reads those tags from the
quartier's local OSM extract with pyosmium (one pass, nothing written) and classifies
every object into one of :data:`USE_CLASSES` with :data:`USE_RULES` (first match wins;
conditions as in :mod:`geoquartier.layers.sources.osm_tags`).

Returns EPSG:4326. Closed ways with a use (a school ground, a church yard) come with
their polygon, so that the buildings inside can take that use; nodes come as points.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.sources._common import address_text, require_file, text
from geoquartier.layers.sources.osm_tags import Rule, matches

USE_CLASSES = ("public", "community", "religious", "educational", "retail", "office")
"""The uses that make a building or address a candidate site (in this order of rules)."""

USE_RULES: tuple[Rule, ...] = (
    # public administration and public services
    (
        {
            "amenity": (
                "townhall",
                "courthouse",
                "police",
                "fire_station",
                "post_office",
                "public_building",
                "administration",
            )
        },
        "public",
    ),
    ({"office": "government"}, "public"),
    ({"government": True}, "public"),
    ({"building": ("public", "civic", "government", "townhall", "fire_station")}, "public"),
    # community and social
    (
        {
            "amenity": (
                "community_centre",
                "social_centre",
                "social_facility",
                "nursing_home",
                "arts_centre",
                "theatre",
                "social_club",
                "youth_centre",
                "events_venue",
            )
        },
        "community",
    ),
    ({"office": ("ngo", "association", "charity", "foundation")}, "community"),
    # religious
    ({"amenity": ("place_of_worship", "monastery")}, "religious"),
    ({"office": ("parish", "religion")}, "religious"),
    (
        {
            "building": (
                "church",
                "chapel",
                "cathedral",
                "mosque",
                "synagogue",
                "temple",
                "religious",
                "monastery",
            )
        },
        "religious",
    ),
    # educational
    (
        {
            "amenity": (
                "school",
                "kindergarten",
                "childcare",
                "college",
                "university",
                "library",
                "language_school",
                "music_school",
                "training",
                "prep_school",
            )
        },
        "educational",
    ),
    ({"office": "educational_institution"}, "educational"),
    ({"building": ("school", "kindergarten", "university", "college")}, "educational"),
    # retail
    ({"shop": True}, "retail"),
    ({"amenity": "marketplace"}, "retail"),
    ({"building": ("retail", "shop", "supermarket", "kiosk")}, "retail"),
    # offices
    ({"office": True}, "office"),
    ({"amenity": "bank"}, "office"),
    ({"building": ("office", "commercial")}, "office"),
)
"""OSM tags → use class; first match wins."""

_KEYS = ("amenity", "shop", "office", "government", "building")


def use_class(tags) -> str | None:
    """The use class (one of :data:`USE_CLASSES`) of an OSM tag mapping, or None."""
    for conditions, use in USE_RULES:
        if matches(tags, conditions):
            return use
    return None


def read_uses(path: str | Path, polygon: BaseGeometry | None = None) -> gpd.GeoDataFrame:
    """Every OSM object of the extract at ``path`` with a use in :data:`USE_CLASSES`.

    ``polygon`` (EPSG:4326) keeps only objects whose geometry meets it. Returns a
    GeoDataFrame in EPSG:4326 with ``source`` (``osm:node/1``, ``osm:way/2``,
    ``osm:relation/3``), ``use``, ``name``, ``address`` and the geometry: a point for
    nodes, a polygon for closed ways, ``None`` for relations and open ways (joined to
    the buildings layer by ``source``).
    """
    path = require_file(path, "OSM extract")
    rows = []
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter(*_KEYS))
        )
        for obj in processor:
            tags = dict(obj.tags)
            use = use_class(tags)
            if use is None:
                continue
            rows.append(
                {
                    "source": f"osm:{_ELEMENT[obj.type_str()]}/{obj.id}",
                    "use": use,
                    "name": text(tags.get("name")),
                    "address": address_text(tags),
                    "geometry": _geometry(obj),
                }
            )
    except RuntimeError as exc:
        raise GeoquartierError(f"{path}: not a readable OSM file ({exc})") from exc
    gdf = gpd.GeoDataFrame(rows or None, columns=["source", "use", "name", "address", "geometry"])
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=STORAGE_CRS)
    if polygon is not None and len(gdf):
        has = gdf.geometry.notna()
        keep = ~has | gdf.geometry.intersects(polygon)
        gdf = gdf[keep].reset_index(drop=True)
    return gdf


_ELEMENT = {"n": "node", "w": "way", "r": "relation"}


def _geometry(obj) -> BaseGeometry | None:
    """A point for a node, a polygon for a closed way with valid locations, else None."""
    if obj.is_node():
        loc = obj.location
        return shapely.Point(loc.lon, loc.lat) if loc.valid() else None
    if obj.is_way() and obj.is_closed() and len(obj.nodes) >= 4:
        try:
            coords = [(n.lon, n.lat) for n in obj.nodes]
        except osmium.InvalidLocationError:
            return None
        poly = shapely.Polygon(coords)
        return poly if poly.is_valid else shapely.make_valid(poly)
    return None
