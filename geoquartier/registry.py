"""The quartier registry: which quartiers exist, their offices, and where their data comes from.

The registry is a readable TOML file (``data/quartiers.toml``; see
:func:`geoquartier.config.registry_path`). Loading it checks every entry and names the
quartier and key of any mistake. Office locations are resolved from real data only — a
GTFS stop, an OSM feature of the quartier's extract, surveyed coordinates, or a postal
address looked up in the quartier's OSM addresses at import — and carry their
``location_quality``; an office whose location is unknown stays listed but unplaced.

Source paths: ``boundaries/…`` is the project's ``data/boundaries/`` folder; an absolute
path is used as it is; ``./…`` and ``../…`` are relative to the folder of the registry
file; anything else is relative to the data directory (``GEOQUARTIER_DATA``).

All geometries are in EPSG:4326 (longitude, latitude in degrees).
"""

from __future__ import annotations

import csv
import io
import tomllib
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Point, Polygon

from geoquartier import config
from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.vocabulary import LOCATION_QUALITIES as PLACED_QUALITIES
from geoquartier.vocabulary import NETWORK_MODES

MODES = NETWORK_MODES
LOCATION_QUALITIES = (*PLACED_QUALITIES, "unknown")
OFFICE_FIELDS = (
    "id",
    "name",
    "kind",
    "operator",
    "address",
    "phone",
    "email",
    "opening_hours",
    "languages",
    "mediation_languages",
    "wheelchair",
    "location",
    "location_quality",
    "location_note",
)
SOURCE_KEYS = (
    "boundary",
    "osm_extract",
    "walk_network",
    "zensus",
    "zensus_csv",
    "gtfs",
    "amenity_points",
    "overpass",
)
LOCATION_FORMS = ("lon", "gtfs_stop", "osm", "address")
"""The ways an office location can be given (``lon`` comes with ``lat``)."""


class RegistryError(GeoquartierError):
    """The registry file is malformed; the message names the quartier and the key."""


@dataclass(frozen=True)
class QuartierSpec:
    """One quartier of the registry.

    ``state`` is the ISO 3166-2 code of the German state (``DE-NW``), used for public
    holidays. ``sources`` maps a source key to a path relative to the data directory
    (``boundaries/…`` paths are relative to the project's ``data/`` folder) or to ``True``
    for ``overpass``. ``mode`` is ``network`` or ``estimate`` (no walk network: straight
    line × detour factor).
    """

    id: str
    name: str
    city: str
    state: str
    programme: str = ""
    funding: tuple[str, ...] = ()
    mode: str = "network"
    boundary_quality: str = "official"
    demo: bool = False
    notes: str = ""
    period: str = ""
    population: int | None = None
    sources: dict[str, Any] = field(default_factory=dict)
    office_entries: tuple[dict[str, Any], ...] = ()
    registry_dir: Path | None = field(default=None, compare=False, repr=False)
    """Folder of the registry file the entry came from (for ``./…`` source paths)."""

    @property
    def state_code(self) -> str:
        """The state part of ``state`` (``NW`` for ``DE-NW``), as the holidays package wants it."""
        return self.state.split("-", 1)[-1]

    def source_path(self, key: str) -> Path | None:
        """Absolute path of a file source, or ``None`` when the registry names none."""
        value = self.sources.get(key)
        if not value or value is True:
            return None
        return resolve_source_path(str(value), self.registry_dir)

    def require_source(self, key: str) -> Path:
        """Absolute path of a file source that must exist; raises :class:`DataMissingError`."""
        path = self.source_path(key)
        if path is None:
            raise DataMissingError(f"quartier {self.id!r} names no {key!r} source in the registry")
        if not path.exists():
            raise DataMissingError(
                f"quartier {self.id!r}: {key} file {path} not found; put the data there or set "
                "GEOQUARTIER_DATA to the folder that holds it"
            )
        return path

    @property
    def walk_network_path(self) -> Path | None:
        """The local walk-network file (any OSM file, walk-only or full) or ``None``."""
        return self.source_path("walk_network")

    @property
    def uses_overpass(self) -> bool:
        """True when the OSM layers of this quartier come from Overpass (online)."""
        return self.sources.get("overpass") is True

    @cached_property
    def boundary(self) -> Polygon | MultiPolygon | None:
        """The quartier boundary (EPSG:4326), or ``None`` when the data has none.

        Read from a GeoJSON or GeoPackage file (reprojected to EPSG:4326 if the file
        declares another CRS)."""
        path = self.source_path("boundary")
        if path is None:
            return None
        if not path.exists():
            raise DataMissingError(
                f"quartier {self.id!r}: boundary file {path} not found; set GEOQUARTIER_DATA"
            )
        from geoquartier.layers.sources.boundary import read_boundary

        return read_boundary(path)

    @cached_property
    def offices(self) -> tuple[dict[str, Any], ...]:
        """The offices with ``lon``/``lat`` (EPSG:4326) resolved from real data, or ``None``.

        Offices placed by ``address`` are not looked up here (that needs the quartier's
        OSM addresses): they come back unplaced; the import places them
        (:meth:`resolve_offices`)."""
        return self.resolve_offices()

    def resolve_offices(
        self, addresses: Any = None, geocoder: Any = None
    ) -> tuple[dict[str, Any], ...]:
        """The offices with ``lon``/``lat`` (EPSG:4326, or ``None``) and their
        ``location_quality``.

        ``addresses`` (the quartier's OSM ``addresses`` layer, EPSG:4326) places offices
        given by ``location = { address = "…" }``
        (:func:`geoquartier.layers.sources.addresses.locate_address`); ``geocoder`` (a
        :class:`geoquartier.layers.sources.nominatim.NominatimGeocoder`, opt-in) is asked
        where the OSM data has no exact match. The quality found replaces the declared one;
        the lookup's note is added to ``location_note``."""
        resolved = []
        for entry in self.office_entries:
            office = {k: v for k, v in entry.items() if k != "location"}
            office.setdefault("languages", [])
            location = entry.get("location") or {}
            if "address" in location:
                match = self._locate_address(str(location["address"]), addresses, geocoder)
                office["lon"], office["lat"] = match.lon, match.lat
                office["location_quality"] = match.quality
                notes = (note_text(entry.get("location_note")), match.note)
                office["location_note"] = "; ".join(n for n in notes if n) or None
                office["location_lookup"] = match.note
            else:
                lonlat = _resolve_location(self, location)
                office["lon"], office["lat"] = lonlat if lonlat else (None, None)
            resolved.append(office)
        return tuple(resolved)

    def _locate_address(self, text: str, addresses: Any, geocoder: Any):
        from geoquartier.layers.sources.addresses import AddressMatch, locate_address

        if addresses is None and geocoder is None:
            return AddressMatch(
                "unknown", note=f"address {text!r} is looked up at import (geoquartier import)"
            )
        area = self.boundary if geocoder is not None else None
        return locate_address(text, addresses, geocoder=geocoder, area=area)


def resolve_source_path(value: str, registry_dir: Path | None = None) -> Path:
    """Absolute path of a registry source path (see the module notes for the forms)."""
    if value.startswith("boundaries/"):
        return config.boundaries_dir() / value.removeprefix("boundaries/")
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    if value.startswith(("./", "../")):
        base = registry_dir or config.registry_path().parent
        return (base / path).resolve()
    return config.data_dir() / value


def registry_value_for(path: Path, registry_file: Path) -> str:
    """How the registry ``registry_file`` names the file ``path``: ``boundaries/…`` in the
    project's boundaries folder, relative to the data directory when inside it, ``./…``
    when beside or below the registry file, else the absolute path."""
    path = Path(path).expanduser().resolve()
    bases = (
        (config.boundaries_dir().resolve(), "boundaries/"),
        (config.data_dir().resolve(), ""),
        (Path(registry_file).expanduser().resolve().parent, "./"),
    )
    for base, prefix in bases:
        if path.is_relative_to(base):
            return prefix + path.relative_to(base).as_posix()
    return path.as_posix()


def _resolve_location(
    spec: QuartierSpec, location: dict[str, Any] | None
) -> tuple[float, float] | None:
    if not location:
        return None
    if "lon" in location and "lat" in location:
        return float(location["lon"]), float(location["lat"])
    if "gtfs_stop" in location:
        return _gtfs_stop_location(spec.require_source("gtfs"), str(location["gtfs_stop"]))
    if "osm" in location:
        return _osm_feature_location(spec.require_source("osm_extract"), str(location["osm"]))
    if "address" in location:
        return None
    raise RegistryError(f"quartier {spec.id!r}: office location {location!r} has no known form")


def _gtfs_stop_location(gtfs: Path, stop_id: str) -> tuple[float, float]:
    """Longitude and latitude of a stop in a GTFS feed (zip or folder)."""
    if gtfs.is_dir():
        text = (gtfs / "stops.txt").read_text(encoding="utf-8-sig")
    else:
        with zipfile.ZipFile(gtfs) as archive:
            text = archive.read("stops.txt").decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("stop_id") == stop_id:
            return float(row["stop_lon"]), float(row["stop_lat"])
    raise DataMissingError(f"GTFS stop {stop_id!r} not found in {gtfs}")


def _osm_feature_location(extract: Path, ref: str) -> tuple[float, float]:
    """Point on an OSM node or way (``node/123``, ``way/45``) of a local extract."""
    import osmium

    kind, _, osm_id = ref.partition("/")
    if kind not in ("node", "way") or not osm_id.isdigit():
        raise RegistryError(f"OSM reference {ref!r} must look like 'node/123' or 'way/45'")
    wanted = int(osm_id)
    processor = osmium.FileProcessor(str(extract)).with_locations()
    processor = processor.with_filter(
        osmium.filter.IdFilter([wanted]).enable_for(
            osmium.osm.NODE if kind == "node" else osmium.osm.WAY
        )
    )
    for obj in processor:
        if kind == "node" and obj.is_node() and obj.id == wanted:
            return obj.location.lon, obj.location.lat
        if kind == "way" and obj.is_way() and obj.id == wanted:
            coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            ring = Polygon(coords) if len(coords) >= 4 and coords[0] == coords[-1] else None
            point = ring.representative_point() if ring is not None and ring.is_valid else None
            if point is None:
                point = Point(coords[len(coords) // 2])
            return point.x, point.y
    raise DataMissingError(f"OSM feature {ref} not found in {extract}")


def _bad(qid: str, key: str, expected: str) -> RegistryError:
    return RegistryError(f"registry: quartier {qid!r}, key {key!r}: expected {expected}")


def _check_office(qid: str, i: int, office: dict[str, Any]) -> dict[str, Any]:
    """One ``[[quartiers.<id>.offices]]`` entry, checked; ``location_quality`` filled in."""
    for key in office:
        if key not in OFFICE_FIELDS:
            raise _bad(qid, f"offices[{i}].{key}", f"one of {', '.join(OFFICE_FIELDS)}")
    if not office.get("id") or not office.get("name"):
        raise _bad(qid, f"offices[{i}]", "an 'id' and a 'name'")
    location = office.get("location")
    if location is not None and not (
        isinstance(location, dict) and any(k in location for k in LOCATION_FORMS)
    ):
        raise _bad(
            qid,
            f"offices[{i}].location",
            '{ address = "…" }, { osm = "way/…" }, { gtfs_stop = "…" } or { lon = …, lat = … }',
        )
    quality = office.get("location_quality", "unknown")
    if quality not in LOCATION_QUALITIES:
        raise _bad(qid, f"offices[{i}].location_quality", f"one of {', '.join(LOCATION_QUALITIES)}")
    if quality != "unknown" and not location:
        raise _bad(qid, f"offices[{i}].location", f"a location for location_quality {quality!r}")
    if location and "address" in location and not str(location["address"]).strip():
        raise _bad(qid, f"offices[{i}].location.address", "a postal address: 'Street 1, City'")
    _check_note(qid, i, office.get("location_note"))
    return dict(office, location_quality=quality)


def _check_note(qid: str, i: int, note: Any) -> None:
    """``location_note``: a text (English) or a table language → text."""
    if note is None or isinstance(note, str):
        return
    if not (
        isinstance(note, dict)
        and note
        and all(isinstance(k, str) and isinstance(v, str) for k, v in note.items())
    ):
        raise _bad(
            qid,
            f"offices[{i}].location_note",
            'a text, or one text per language: { de = "…", en = "…", tr = "…" }',
        )


def note_text(note: Any, lang: str = "en") -> str | None:
    """The text of a ``location_note`` in ``lang`` (a plain-text note is English); for a
    table without ``lang`` its English, else its first text; None without a note."""
    if note is None:
        return None
    if isinstance(note, dict):
        return note.get(lang) or note.get("en") or next(iter(note.values()), None)
    return str(note)


def note_translations(note: Any) -> dict[str, str]:
    """The texts of a ``location_note`` by language (a plain-text note is English)."""
    if note is None:
        return {}
    if isinstance(note, dict):
        return {str(k): str(v) for k, v in note.items()}
    return {"en": str(note)}


def _check_facts(qid: str, entry: dict[str, Any]) -> None:
    from geoquartier.layers.schema import GERMAN_STATES

    for key in ("name", "city", "state"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _bad(qid, key, "a non-empty text")
    if entry["state"] not in GERMAN_STATES:
        raise _bad(qid, "state", "an ISO 3166-2 code of a German state such as 'DE-NW'")
    if entry.get("mode", "network") not in MODES:
        raise _bad(qid, "mode", f"one of {', '.join(MODES)}")
    known = set(QuartierSpec.__dataclass_fields__) - {"id", "office_entries", "registry_dir"}
    known |= {"offices"}
    for key in entry:
        if key not in known:
            raise _bad(qid, key, f"one of {', '.join(sorted(known))}")
    if "population" in entry and not (
        isinstance(entry["population"], int) and entry["population"] >= 0
    ):
        raise _bad(qid, "population", "a whole number of residents")
    for key in entry.get("sources", {}):
        if key not in SOURCE_KEYS:
            raise _bad(qid, f"sources.{key}", f"one of {', '.join(SOURCE_KEYS)}")


def _check_entry(qid: str, entry: dict[str, Any], registry_dir: Path | None = None) -> QuartierSpec:
    _check_facts(qid, entry)
    offices = [_check_office(qid, i, o) for i, o in enumerate(entry.get("offices", []))]
    extra = {k: v for k, v in entry.items() if k not in ("sources", "funding", "offices")}
    return QuartierSpec(
        id=qid,
        funding=tuple(entry.get("funding", ())),
        sources=dict(entry.get("sources", {})),
        office_entries=tuple(offices),
        registry_dir=registry_dir,
        **extra,
    )


def load_registry(path: Path | str | None = None) -> dict[str, QuartierSpec]:
    """Read and check the registry; returns the quartiers by id, in file order."""
    path = Path(path) if path is not None else config.registry_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataMissingError(f"quartier registry {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"registry {path} is not valid TOML: {exc}") from None
    quartiers = data.get("quartiers")
    if not isinstance(quartiers, dict) or not quartiers:
        raise RegistryError(f"registry {path} has no [quartiers.<id>] tables")
    folder = path.expanduser().resolve().parent
    return {qid: _check_entry(qid, entry, folder) for qid, entry in quartiers.items()}


def get_quartier(quartier_id: str, path: Path | str | None = None) -> QuartierSpec:
    """One quartier by id; an unknown id raises an error that lists the known ones."""
    registry = load_registry(path)
    try:
        return registry[quartier_id]
    except KeyError:
        raise GeoquartierError(
            f"unknown quartier {quartier_id!r}; known: {', '.join(registry)}"
        ) from None
