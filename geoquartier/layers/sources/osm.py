"""OpenStreetMap features as geoquartier layers: from a local extract or from Overpass.

Two ways in, one way out:

* :func:`read_extract` reads a local extract (``.osm``, ``.osm.bz2``, ``.osm.gz``,
  ``.osm.pbf``) with ``osmnx.features_from_xml``. OSMnx reads XML only, so a ``.pbf`` is
  first converted to XML with pyosmium and kept in the cache
  (``<cache_dir>/osm_xml/``), keyed by the file's name, size and modification time.
* :func:`read_overpass` asks the Overpass API through ``osmnx.features_from_polygon`` /
  ``features_from_place``; OSMnx caches every answer on disk in
  ``<cache_dir>/osmnx/`` (``ox.settings.cache_folder``), so asking again costs no request.

Both return :class:`OsmLayers`: the layers ``services``, ``pois``, ``stops``,
``buildings`` and ``addresses`` as GeoDataFrames in EPSG:4326, with the schema's columns,
ready for :func:`geoquartier.layers.validate`. Categories come from the one table in
:mod:`geoquartier.layers.sources.osm_tags`. Every feature keeps its OSM id: ``source`` is
``osm:node/123`` / ``osm:way/45`` / ``osm:relation/6`` and ``id`` is ``<quartier>:osm-node-123`` (a
stable id: the same OSM object always gets the same id).

Values that the schemas reject but OSM data contains (misspelt ``opening_hours``,
``wheelchair=unknown``) are dropped from that feature, not the feature itself: one typo
in OSM must not stop a quartier's import.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geoquartier.config import cache_dir
from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.layers.sources import osm_tags
from geoquartier.layers.sources._common import (
    address_text,
    frame,
    iso_languages,
    opening_hours,
    point_of,
    require_file,
    text,
    wheelchair,
)

log = logging.getLogger(__name__)

OSM_LAYERS = ("services", "pois", "stops", "buildings", "addresses")
"""The layers an OSM import yields."""

XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml", ".xml.bz2", ".xml.gz")
PBF_SUFFIXES = (".osm.pbf", ".pbf")
_CONVERSION = "pbf2xml-v2"  # part of the cache key: change when the conversion changes


@dataclass
class OsmLayers:
    """The layers read from OSM (each a GeoDataFrame in EPSG:4326) and where they came from."""

    services: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    addresses: gpd.GeoDataFrame
    origin: str = ""
    skipped: dict[str, int] = field(default_factory=dict)
    geometries: dict[str, BaseGeometry] = field(default_factory=dict, repr=False)
    """Geometry of every feature read, by ``osm:<element>/<id>`` (to place offices)."""

    def as_dict(self) -> dict[str, gpd.GeoDataFrame]:
        """``{layer name: GeoDataFrame}`` for the five layers."""
        return {name: getattr(self, name) for name in OSM_LAYERS}

    def counts(self) -> dict[str, int]:
        """Number of features per layer."""
        return {name: len(gdf) for name, gdf in self.as_dict().items()}

    def locate(self, source: str) -> BaseGeometry | None:
        """A point (EPSG:4326) for the OSM object ``way/123`` / ``osm:node/45``, or None
        if the import did not read it."""
        wanted = source if source.startswith("osm:") else f"osm:{source}"
        geometry = self.geometries.get(wanted)
        return None if geometry is None else point_of(geometry)


# ----------------------------------------------------------------------------------------
# Reading raw OSM features
# ----------------------------------------------------------------------------------------
def _suffix_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(PBF_SUFFIXES):
        return "pbf"
    if name.endswith(XML_SUFFIXES):
        return "xml"
    raise GeoquartierError(
        f"{path}: unknown OSM file type; expected one of {', '.join(XML_SUFFIXES + PBF_SUFFIXES)}"
    )


def xml_for_extract(path: str | Path) -> Path:
    """The OSM XML file for an extract: the file itself, or a cached XML copy of a ``.pbf``.

    The conversion (pyosmium) copies every object with one referential clean-up, because
    OSMnx cannot build a geometry from a way whose nodes are missing and fails on a
    relation that contains such a way: ways that reference nodes not in the file (cut at
    the extract's border) are dropped, relation members not in the file are dropped, and
    relations left without members are dropped. (The shared ``*.osm.bz2`` files had the
    same clean-up applied, so a ``.pbf`` and its ``.osm.bz2`` give the same features.)
    The copy is written to ``<cache_dir>/osm_xml/`` under a key made of the file's
    resolved path, size and modification time, atomically (temporary name, then rename).
    """
    path = require_file(path, "OSM extract")
    if _suffix_kind(path) == "xml":
        return path
    stat = path.stat()
    key = hashlib.sha1(
        f"{_CONVERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    ).hexdigest()[:16]
    stem = path.name.split(".")[0]
    target = cache_dir() / "osm_xml" / f"{stem}-{key}.osm"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.stem}.tmp{os.getpid()}.osm")
    try:
        _pbf_to_xml(path, tmp)
        os.replace(tmp, target)
    except RuntimeError as exc:
        tmp.unlink(missing_ok=True)
        raise GeoquartierError(f"{path}: not a readable OSM PBF file ({exc})") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _pbf_to_xml(source: Path, target: Path) -> None:
    """Copy ``source`` (any format pyosmium reads) to OSM XML ``target`` with the
    referential clean-up described in :func:`xml_for_extract`."""
    import osmium

    nodes: set[int] = set()
    ways: set[int] = set()
    relations: set[int] = set()
    for obj in osmium.FileProcessor(str(source)):
        if obj.is_node():
            nodes.add(obj.id)
        elif obj.is_way():
            if all(n.ref in nodes for n in obj.nodes):
                ways.add(obj.id)
        elif obj.is_relation():
            relations.add(obj.id)
    present = {"n": nodes, "w": ways, "r": relations}
    writer = osmium.SimpleWriter(str(target), overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(source)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                if obj.id in ways:
                    writer.add_way(obj)
            elif obj.is_relation():
                members = [(m.type, m.ref, m.role) for m in obj.members if m.ref in present[m.type]]
                if not members:
                    continue
                if len(members) == len(obj.members):
                    writer.add_relation(obj)
                else:
                    writer.add_relation(obj.replace(members=members))
    finally:
        writer.close()


def _features_from_xml(path: Path, polygon: BaseGeometry | None) -> gpd.GeoDataFrame:
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    xml = xml_for_extract(path)
    try:
        return ox.features_from_xml(xml, polygon=polygon, tags=osm_tags.QUERY_TAGS)
    except InsufficientResponseError:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    except (OSError, ValueError, SyntaxError) as exc:  # xml.etree ParseError is a SyntaxError
        raise GeoquartierError(f"{path}: not a readable OSM XML file ({exc})") from exc


def configure_osmnx_cache() -> Path:
    """Point OSMnx's on-disk cache at ``<cache_dir>/osmnx`` and switch it on; returns it."""
    import osmnx as ox

    folder = cache_dir() / "osmnx"
    folder.mkdir(parents=True, exist_ok=True)
    ox.settings.cache_folder = folder
    ox.settings.use_cache = True
    return folder


def _check_polygon(polygon: BaseGeometry) -> Polygon | MultiPolygon:
    if not isinstance(polygon, (Polygon, MultiPolygon)) or polygon.is_empty:
        raise GeoquartierError(
            f"the area to import must be a Polygon or MultiPolygon in EPSG:4326, "
            f"got {getattr(polygon, 'geom_type', type(polygon).__name__)}"
        )
    if not polygon.is_valid:
        raise GeoquartierError("the area to import is not a valid polygon (self-intersecting?)")
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeoquartierError(
            f"the area to import has coordinates outside longitude/latitude range "
            f"({polygon.bounds}); give it in EPSG:4326"
        )
    return polygon


def _features_from_overpass(polygon: BaseGeometry | None, place: str | None) -> gpd.GeoDataFrame:
    import osmnx as ox
    import requests
    from osmnx._errors import InsufficientResponseError

    configure_osmnx_cache()
    saved = (ox.settings.doh_url_template, ox.settings.overpass_rate_limit)
    if not _host_resolves(ox.settings.overpass_url):
        # Offline: a cached answer is still used; otherwise fail at once instead of
        # asking a DNS-over-HTTPS server and pausing for the rate limit first.
        ox.settings.doh_url_template, ox.settings.overpass_rate_limit = None, False
    try:
        if polygon is not None:
            return ox.features_from_polygon(_check_polygon(polygon), tags=osm_tags.QUERY_TAGS)
        return ox.features_from_place(place, tags=osm_tags.QUERY_TAGS)
    except InsufficientResponseError as exc:
        if polygon is None and "nominatim" in str(exc).lower():
            raise GeoquartierError(f"place {place!r} not found by the geocoder") from exc
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    except requests.exceptions.RequestException as exc:
        raise DataMissingError(
            f"OpenStreetMap could not be reached ({ox.settings.overpass_url}: "
            f"{exc.__class__.__name__}). Without network, import from a local extract "
            "instead (geoquartier import-osm --extract FILE.osm.pbf) or set GEOQUARTIER_DATA "
            "to a data folder that holds one."
        ) from exc
    except TypeError as exc:  # a place that geocodes to a point, not an area
        if polygon is not None:
            raise
        raise GeoquartierError(f"place {place!r}: {exc}") from exc
    finally:
        ox.settings.doh_url_template, ox.settings.overpass_rate_limit = saved


def _host_resolves(url: str) -> bool:
    """True if the host name of ``url`` resolves (DNS works for it)."""
    import socket
    from urllib.parse import urlparse

    host = urlparse(url).hostname
    if not host:
        return False
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------------------------
# From raw OSM features to layers
# ----------------------------------------------------------------------------------------
def _rows(features: gpd.GeoDataFrame) -> Iterator[tuple[str, int, dict[str, Any], BaseGeometry]]:
    if len(features) == 0:
        return
    columns = [c for c in features.columns if c != "geometry"]
    values = features[columns].to_numpy(dtype=object)
    for (element, osmid), row, geometry in zip(
        features.index, values, features.geometry, strict=True
    ):
        if geometry is None or geometry.is_empty:
            continue
        tags = {c: v for c, v in zip(columns, row, strict=True) if text(v) is not None}
        yield str(element), int(osmid), tags, geometry


def layers_from_features(
    features: gpd.GeoDataFrame, quartier: str, state: str = "DE-NW", origin: str = ""
) -> OsmLayers:
    """Classify OSMnx features (EPSG:4326, indexed by element and id) into the five layers.

    ``state`` (ISO 3166-2) is used to check ``opening_hours`` against that state's
    holidays; values that do not parse are dropped from the feature.
    """
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in OSM_LAYERS}
    skipped = {"building_not_polygon": 0, "opening_hours_invalid": 0}
    geometries: dict[str, BaseGeometry] = {}
    for element, osmid, tags, geometry in _rows(features):
        geometries[f"osm:{element}/{osmid}"] = geometry
        base = {
            "id": f"{quartier}:osm-{element}-{osmid}",
            "quartier": quartier,
            "source": f"osm:{element}/{osmid}",
        }
        name = text(tags.get("name"))
        hours = opening_hours(tags.get("opening_hours"))
        if hours is None and text(tags.get("opening_hours")) is not None:
            skipped["opening_hours_invalid"] += 1
        chair = wheelchair(tags.get("wheelchair"))

        category = osm_tags.service_category(tags)
        if category is not None:
            records["services"].append(
                {
                    **base,
                    "geometry": point_of(geometry),
                    "name": name or _fallback_name(tags, category),
                    "category": category,
                    "operator": text(tags.get("operator")),
                    "address": address_text(tags),
                    "phone": text(tags.get("phone")) or text(tags.get("contact:phone")),
                    "opening_hours": hours,
                    "languages": iso_languages(osm_tags.languages(tags)),
                    "wheelchair": chair,
                }
            )
        category = osm_tags.poi_category(tags)
        if category is not None:
            records["pois"].append(
                {
                    **base,
                    "geometry": point_of(geometry),
                    "name": name,
                    "category": category,
                    "opening_hours": hours,
                    "wheelchair": chair,
                }
            )
        if osm_tags.is_stop(tags):
            records["stops"].append(
                {
                    **base,
                    "geometry": point_of(geometry),
                    "name": name or text(tags.get("ref")) or "Haltestelle",
                    "wheelchair": chair,
                }
            )
        building = osm_tags.building_value(tags)
        if building is not None:
            if geometry.geom_type in ("Polygon", "MultiPolygon"):
                records["buildings"].append(
                    {
                        **base,
                        "geometry": geometry,
                        "building": building,
                        "levels": osm_tags.levels(tags),
                        "residential": osm_tags.is_residential(tags),
                        "address": address_text(tags),
                        "_tags": tags,
                    }
                )
            else:
                skipped["building_not_polygon"] += 1
        number = text(tags.get("addr:housenumber"))
        if number is not None:
            records["addresses"].append(
                {
                    **base,
                    "geometry": point_of(geometry),
                    "street": text(tags.get("addr:street")) or text(tags.get("addr:place")),
                    "housenumber": number,
                    "postcode": text(tags.get("addr:postcode")),
                    "city": text(tags.get("addr:city")),
                }
            )
    _flag_buildings_with_address_points(records["buildings"], records["addresses"])
    layers = {name: frame(rows, name) for name, rows in records.items()}
    return OsmLayers(**layers, origin=origin, skipped=skipped, geometries=geometries)


def _flag_buildings_with_address_points(
    buildings: list[dict[str, Any]], addresses: list[dict[str, Any]]
) -> None:
    """Set ``residential`` on ``building=yes`` footprints that contain an address node
    (see :func:`osm_tags.is_residential`); fill their missing ``address`` from it."""
    points = [a for a in addresses if a["source"].startswith("osm:node/")]
    candidates = [b for b in buildings if not b["residential"] and b["building"] == "yes"]
    if points and candidates:
        from shapely import STRtree

        tree = STRtree([b["geometry"] for b in candidates])
        hits = tree.query([a["geometry"] for a in points], predicate="within")
        for point_index, building_index in zip(hits[0], hits[1], strict=True):
            building = candidates[building_index]
            if osm_tags.is_residential(building["_tags"], has_address_point=True):
                building["residential"] = True
            if building["address"] is None:
                point = points[point_index]
                building["address"] = (
                    " ".join(p for p in (point["street"], point["housenumber"]) if p) or None
                )
    for building in buildings:
        building.pop("_tags", None)


_FALLBACK_NAMES = {
    "migration": "Migrationsberatung",
    "debt": "Schuldnerberatung",
    "family": "Familienberatung",
    "youth": "Jugendeinrichtung",
    "seniors": "Senioreneinrichtung",
    "health": "Gesundheitsberatung",
    "addiction": "Suchtberatung",
    "employment": "Arbeitsvermittlung",
    "housing": "Wohnungshilfe",
    "education": "Bildungsberatung",
    "disability": "Einrichtung für Menschen mit Behinderung",
    "general": "Soziale Einrichtung",
}


def _fallback_name(tags: dict[str, Any], category: str) -> str:
    """A name for an unnamed service (the layer requires one): operator, else the category."""
    return text(tags.get("operator")) or _FALLBACK_NAMES[category]


# ----------------------------------------------------------------------------------------
# Public readers
# ----------------------------------------------------------------------------------------
def read_extract(
    path: str | Path,
    quartier: str,
    polygon: BaseGeometry | None = None,
    state: str = "DE-NW",
) -> OsmLayers:
    """Read the five OSM layers from a local extract (``.osm``, ``.osm.bz2``, ``.osm.gz``,
    ``.osm.pbf``).

    ``polygon`` (Polygon/MultiPolygon, EPSG:4326) keeps features that intersect it, as an
    Overpass query for that polygon would; None keeps the whole extract. Returns layers
    in EPSG:4326. Raises DataMissingError if the file does not exist and GeoquartierError
    if it cannot be read.
    """
    path = require_file(path, "OSM extract")
    if polygon is not None:
        polygon = _check_polygon(polygon)
    features = _features_from_xml(path, polygon)
    return layers_from_features(features, quartier, state, origin=f"OSM extract {path.name}")


def read_overpass(
    quartier: str,
    polygon: BaseGeometry | None = None,
    place: str | None = None,
    state: str = "DE-NW",
) -> OsmLayers:
    """Read the five OSM layers from the Overpass API (through OSMnx) for a polygon
    (EPSG:4326) or a place name (geocoded by Nominatim).

    Answers are cached on disk in ``<cache_dir>/osmnx``: the same query a second time
    makes no HTTP request. Returns layers in EPSG:4326. Without network: DataMissingError.
    """
    if (polygon is None) == (place is None):
        raise GeoquartierError("give either a polygon or a place name for the Overpass import")
    features = _features_from_overpass(polygon, place)
    where = f"place {place!r}" if place else "polygon"
    return layers_from_features(features, quartier, state, origin=f"Overpass API ({where})")


def read_features(path: str | Path, polygon: BaseGeometry | None = None) -> gpd.GeoDataFrame:
    """The raw OSMnx features (every tag a column, EPSG:4326) of an extract, for inspection."""
    path = require_file(path, "OSM extract")
    return _features_from_xml(path, None if polygon is None else _check_polygon(polygon))
