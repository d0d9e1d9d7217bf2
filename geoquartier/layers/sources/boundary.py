"""Quartier boundaries: from a planner's GeoJSON/GeoPackage file, or from the boundary
polygons of an OpenStreetMap file.

* :func:`read_boundary` reads a GeoJSON or GeoPackage file (any CRS the file declares; a
  file without CRS is taken as EPSG:4326) and returns the union of its (multi)polygons in
  EPSG:4326, after checking that it is a valid polygon in longitude/latitude range.
* :func:`find_osm_areas` lists the named areas of an OSM file (``.osm.pbf``, ``.osm``,
  ``.osm.bz2`` …) that can be a quartier: ``boundary=administrative`` or
  ``place=suburb|quarter|neighbourhood``, as multipolygon/boundary relations or closed
  ways. The polygons are assembled by pyosmium's area handler (``with_areas``), which
  needs every member way and node in the file: a relation cut at the extract's border
  gives no area.
* :func:`choose_osm_area` picks the one meant by a name, optionally narrowed by
  ``admin_level`` or the OSM id, and says which others there are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.ops import unary_union
from shapely.validation import explain_validity

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import DataMissingError, GeoquartierError

BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg")
PLACE_VALUES = ("suburb", "quarter", "neighbourhood")
"""``place=*`` values whose areas can be a quartier (besides ``boundary=administrative``)."""


def read_boundary(path: str | Path) -> Polygon | MultiPolygon:
    """The boundary in a GeoJSON/GeoPackage file: the union of its (multi)polygons,
    EPSG:4326. Raises :class:`GeoquartierError` naming the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise DataMissingError(f"boundary file {path} not found")
    if path.suffix.lower() not in BOUNDARY_SUFFIXES:
        raise GeoquartierError(
            f"boundary file {path}: expected one of {', '.join(BOUNDARY_SUFFIXES)}"
        )
    frame = _read_single_layer(path)
    if frame.crs is None:
        frame = frame.set_crs(STORAGE_CRS)
    elif not frame.crs.equals(STORAGE_CRS):
        frame = frame.to_crs(STORAGE_CRS)
    geoms = [g for g in frame.geometry if g is not None and not g.is_empty]
    polygons = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        kinds = sorted({g.geom_type for g in geoms}) or ["nothing"]
        raise GeoquartierError(
            f"boundary file {path}: holds no Polygon or MultiPolygon (found {', '.join(kinds)})"
        )
    invalid = next((g for g in polygons if not g.is_valid), None)
    if invalid is not None:
        raise GeoquartierError(
            f"boundary file {path}: not a valid polygon ({explain_validity(invalid)})"
        )
    boundary = unary_union(polygons)
    minx, miny, maxx, maxy = boundary.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeoquartierError(
            f"boundary file {path}: coordinates {tuple(round(v) for v in boundary.bounds)} are "
            "not longitude/latitude; give EPSG:4326 or declare the file's CRS"
        )
    return boundary


def _read_single_layer(path: Path) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
        if len(layers) > 1:
            names = ", ".join(str(name) for name, _ in layers)
            raise GeoquartierError(
                f"boundary file {path}: holds {len(layers)} layers ({names}); "
                "save the boundary as a file with one layer"
            )
        return gpd.read_file(path)
    except GeoquartierError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        message = " ".join(str(exc).split())[:160]
        raise GeoquartierError(
            f"boundary file {path}: not a readable GeoJSON/GeoPackage ({message})"
        ) from exc


def area_km2(geometry: Polygon | MultiPolygon) -> float:
    """Area of a (multi)polygon given in EPSG:4326, in km² (measured in EPSG:25832)."""
    return float(gpd.GeoSeries([geometry], crs=STORAGE_CRS).to_crs(ANALYSIS_CRS).area.iloc[0]) / 1e6


def write_boundary(geometry: Polygon | MultiPolygon, path: Path, properties: dict) -> None:
    """Write one boundary feature (EPSG:4326) with ``properties`` as GeoJSON to ``path``."""
    feature = {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}
    collection = {"type": "FeatureCollection", "features": [feature]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


# ----------------------------------------------------------------------------------------
# Boundaries from an OSM file
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OsmArea:
    """A named area of an OSM file: ``ref`` (``relation/62456``), ``name``, ``kind``
    (``admin_level 10`` or ``place=suburb``), ``admin_level`` (text or None) and the
    polygon in EPSG:4326."""

    ref: str
    name: str
    kind: str
    admin_level: str | None
    geometry: Polygon | MultiPolygon

    @property
    def area_km2(self) -> float:
        """Area in km² (EPSG:25832)."""
        return area_km2(self.geometry)

    def describe(self) -> str:
        """``relation/62456 (admin_level 10, 3.36 km²)``."""
        return f"{self.ref} ({self.kind}, {self.area_km2:.2f} km²)"


def _normal_name(name: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _quartier_kind(tags) -> str | None:
    if tags.get("boundary") == "administrative":
        level = tags.get("admin_level")
        return f"admin_level {level}" if level else "boundary=administrative"
    if tags.get("place") in PLACE_VALUES:
        return f"place={tags.get('place')}"
    return None


def osm_file_bounds(path: str | Path) -> tuple[float, float, float, float] | None:
    """The bounding box (lon/lat, EPSG:4326) an OSM file declares in its header, or None.
    Raises :class:`GeoquartierError` when the file cannot be read as OSM data."""
    import osmium

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except RuntimeError as exc:
        raise GeoquartierError(f"OSM file {path}: not readable ({exc})") from exc
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def find_osm_areas(path: str | Path, name: str) -> list[OsmArea]:
    """Every area of the OSM file named ``name`` (``name`` or ``name:de``, case and
    spacing ignored) that is ``boundary=administrative`` or ``place=suburb|quarter|
    neighbourhood``; polygons in EPSG:4326, assembled by pyosmium."""
    import osmium
    from shapely import wkb

    wanted = _normal_name(name)
    factory = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(str(path))
        .with_areas(osmium.filter.KeyFilter("name"))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
    )
    found = []
    try:
        for area in processor:
            tags = area.tags
            names = (tags.get("name"), tags.get("name:de"))
            if not any(n and _normal_name(n) == wanted for n in names):
                continue
            kind = _quartier_kind(tags)
            if kind is None:
                continue
            try:
                geometry = wkb.loads(factory.create_multipolygon(area), hex=True)
            except RuntimeError:
                continue  # an area osmium could not close (broken ring)
            element = "way" if area.from_way() else "relation"
            found.append(
                OsmArea(
                    f"{element}/{area.orig_id()}",
                    tags.get("name") or name,
                    kind,
                    tags.get("admin_level"),
                    geometry.buffer(0) if not geometry.is_valid else geometry,
                )
            )
    except RuntimeError as exc:
        raise GeoquartierError(f"OSM file {path}: not readable ({exc})") from exc
    return found


def choose_osm_area(
    areas: list[OsmArea],
    name: str,
    path: str | Path,
    admin_level: str | None = None,
    ref: str | None = None,
) -> OsmArea:
    """The one area meant by ``name``: narrowed by ``admin_level`` (``"10"``) or ``ref``
    (``relation/123``). Raises :class:`GeoquartierError` listing the candidates when
    there is none or more than one."""
    if not areas:
        raise GeoquartierError(
            f"no area named {name!r} (boundary=administrative or place="
            f"{'|'.join(PLACE_VALUES)}) with a complete polygon in {path}; check the spelling, "
            "or give --boundary FILE"
        )
    chosen = areas
    if admin_level is not None:
        chosen = [a for a in chosen if a.admin_level == str(admin_level)]
    if ref is not None:
        chosen = [a for a in chosen if a.ref == ref.strip().lower()]
    listing = "; ".join(a.describe() for a in areas)
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        raise GeoquartierError(
            f"none of the areas named {name!r} matches the --admin-level/--admin-id given; "
            f"found: {listing}"
        )
    raise GeoquartierError(
        f"{len(chosen)} areas named {name!r} in {path}: {listing}; "
        "choose one with --admin-level N or --admin-id relation/ID"
    )
