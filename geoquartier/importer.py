"""The import pipeline: registry entry + real sources → validated layers → one store write.

:func:`import_quartier` reads every source a quartier's registry entry names, validates
every layer, and writes them all in ONE all-or-nothing call
(:meth:`GeoPackageStore.write_many`): if any layer is rejected, nothing of the quartier is
written and the previous workspace stays as it was.

Where each layer comes from (first source present wins):

* quartiers: the registry (name, city, state, programme, boundary_quality) + the
  boundary file;
* offices: the registry; ``address`` locations are looked up in the OSM addresses (and,
  opt-in, Nominatim); offices without a location are listed, not drawn;
* services, buildings, addresses: OSM: ``osm_extract`` (local file), else Overpass
  (``overpass = true``);
* pois: ``amenity_points`` file, plus OSM when there is OSM;
* stops: ``gtfs`` feed, else OSM;
* population: ``zensus`` grid (GeoJSON/GPKG) or ``zensus_csv`` (Destatis CSV), else
  estimated over OSM residential buildings.

All GeoDataFrames are EPSG:4326. See docs/import.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import DataMissingError
from geoquartier.layers.sources import amenity_points, gtfs, osm, population, zensus
from geoquartier.layers.sources._common import frame
from geoquartier.registry import note_text

LAYER_ORDER = (
    "quartiers",
    "offices",
    "services",
    "pois",
    "stops",
    "buildings",
    "addresses",
    "population",
)


@dataclass
class OfficeStatus:
    """An office as the import summary shows it."""

    name: str
    placed: bool
    location_quality: str
    open_now: bool | None
    opening_hours: str | None
    lookup: str | None = None
    """How an office given by address was placed (or why not), for the summary."""


@dataclass
class ImportSummary:
    """What one quartier's import wrote: features per layer, residents, offices."""

    quartier: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    residents: int | None = None
    population_source: str | None = None
    offices: list[OfficeStatus] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary as text lines for a terminal."""
        out = [f"{self.name} ({self.quartier})"]
        out.append(
            "  layers: "
            + ", ".join(
                f"{layer} {self.counts[layer]:,}" for layer in LAYER_ORDER if layer in self.counts
            )
        )
        if self.residents is not None:
            out.append(f"  residents: {self.residents:,} ({self.population_source})")
        else:
            out.append("  residents: unknown (no population source)")
        for office in self.offices:
            if office.open_now is None:
                state = "opening hours unknown"
            else:
                state = "open now" if office.open_now else "closed now"
            where = office.location_quality if office.placed else "not placed (location unknown)"
            lookup = f" ({office.lookup})" if office.lookup else ""
            out.append(f"  office: {office.name} — {state}; location {where}{lookup}")
        for layer, origin in self.sources.items():
            out.append(f"  source of {layer}: {origin}")
        out.extend(f"  note: {note}" for note in self.notes)
        return out


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", disable=not enabled, leave=False)


def import_quartier(
    spec: Any,
    store: Any,
    progress: bool = True,
    now: datetime | None = None,
    online: bool = True,
    geocoder: Any = None,
) -> ImportSummary:
    """Import one quartier (a :class:`geoquartier.registry.QuartierSpec`) into ``store``
    (a :class:`geoquartier.layers.store.GeoPackageStore`); returns the summary.

    Offices given by ``address`` are placed on the quartier's OSM addresses; ``geocoder``
    (a :class:`geoquartier.layers.sources.nominatim.NominatimGeocoder`, only when the
    user opted in) is asked for those the OSM data does not hold exactly.

    Every layer is read, validated and written in one all-or-nothing ``write_many``.
    ``now`` (naive = Europe/Berlin local time; default: the current time) is the moment
    for "open now". Raises DataMissingError when a named source file is missing or
    OpenStreetMap is needed but unreachable (with a boundary, the quartier is then imported
    without its OSM layers and the summary says so); ValidationError when a layer is
    rejected. With ``online=False`` Overpass is not asked: a quartier whose OSM layers
    come only from Overpass is handled as if OpenStreetMap could not be reached.
    """
    summary = ImportSummary(quartier=spec.id, name=spec.name)
    frames: dict[str, gpd.GeoDataFrame] = {}
    steps = ["boundary", "osm", "stops", "pois", "population", "offices", "write"]
    with _progress(len(steps), spec.id, progress) as bar:
        bar.set_postfix_str("boundary")
        boundary = spec.boundary
        bar.update()

        bar.set_postfix_str("OpenStreetMap")
        try:
            osm_layers = _read_osm(spec, boundary, online)
        except DataMissingError as exc:
            if spec.source_path("osm_extract") is not None or boundary is None:
                raise  # a named file is missing, or there would be nothing to write
            osm_layers = None  # offline: boundary and offices are still worth writing
            summary.notes.append(f"OpenStreetMap layers not imported: {exc}")
        if osm_layers is not None:
            for layer in ("services", "buildings", "addresses"):
                frames[layer] = osm_layers.as_dict()[layer]
                summary.sources[layer] = osm_layers.origin
            if osm_layers.skipped.get("opening_hours_invalid"):
                summary.notes.append(
                    f"{osm_layers.skipped['opening_hours_invalid']} OSM opening_hours values "
                    "did not parse and were left out"
                )
        bar.update()

        bar.set_postfix_str("stops")
        gtfs_path = spec.source_path("gtfs")
        if gtfs_path is not None:
            frames["stops"] = gtfs.read_gtfs_stops(spec.require_source("gtfs"), spec.id, boundary)
            summary.sources["stops"] = f"GTFS {gtfs_path.name}"
        elif osm_layers is not None:
            frames["stops"] = osm_layers.stops
            summary.sources["stops"] = osm_layers.origin
        bar.update()

        bar.set_postfix_str("daily needs")
        pois = []
        if spec.source_path("amenity_points") is not None:
            path = spec.require_source("amenity_points")
            pois.append(amenity_points.read_amenity_points(path, spec.id, boundary))
            summary.sources["pois"] = f"{path.name}"
        if osm_layers is not None:
            pois.append(osm_layers.pois)
            summary.sources["pois"] = ", ".join(
                p for p in (summary.sources.get("pois"), osm_layers.origin) if p
            )
        if pois:
            frames["pois"] = _concat(pois, "pois")
        bar.update()

        bar.set_postfix_str("population")
        frames_population, source = _read_population(
            spec, boundary, frames.get("buildings"), progress
        )
        if frames_population is not None:
            frames["population"] = frames_population
            summary.residents = int(frames_population["residents"].sum())
            summary.population_source = source
        bar.update()

        bar.set_postfix_str("offices")
        frames["offices"], summary.offices = _offices(spec, now, frames.get("addresses"), geocoder)
        if boundary is not None:
            frames["quartiers"] = _quartier_row(spec, boundary, summary)
        else:
            summary.notes.append("no boundary in the data: the quartiers layer has no row for it")
        bar.update()

        bar.set_postfix_str("writing")
        summary.counts = store.write_many(frames, quartier=spec.id)
        bar.update()
    return summary


def import_all(
    specs: dict[str, Any],
    store: Any,
    progress: bool = True,
    now: datetime | None = None,
    online: bool = True,
    geocoder: Any = None,
) -> tuple[list[ImportSummary], dict[str, str]]:
    """Import every quartier of ``specs``; returns the summaries and, per quartier that
    could not be imported for lack of data or network, the reason. A quartier whose
    OpenStreetMap layers need the network is imported without them when offline (its
    boundary and offices; the summary notes what is missing). Raises
    DataMissingError (one message) when not a single quartier could be imported."""
    done: list[ImportSummary] = []
    missing: dict[str, str] = {}
    for spec in specs.values():
        try:
            done.append(
                import_quartier(
                    spec, store, progress=progress, now=now, online=online, geocoder=geocoder
                )
            )
        except DataMissingError as exc:
            missing[spec.id] = str(exc)
    if not done and missing:
        reasons = "; ".join(f"{q}: {m}" for q, m in missing.items())
        raise DataMissingError(
            "no quartier could be imported. Provide the data folder (set GEOQUARTIER_DATA to "
            f"the folder with the files named in data/quartiers.toml) or network access. {reasons}"
        )
    return done, missing


# ----------------------------------------------------------------------------------------
def _read_osm(spec: Any, boundary: Any, online: bool = True) -> osm.OsmLayers | None:
    extract = spec.source_path("osm_extract")
    if extract is not None:
        return osm.read_extract(
            spec.require_source("osm_extract"), spec.id, polygon=boundary, state=spec.state
        )
    if spec.sources.get("overpass") is True:
        if not online:
            raise DataMissingError(
                f"quartier {spec.id!r} gets its OpenStreetMap data from Overpass; run online "
                "('geoquartier demo --online' or 'geoquartier import') or import a local extract "
                "(geoquartier import-osm --extract FILE)"
            )
        if boundary is not None:
            return osm.read_overpass(spec.id, polygon=boundary, state=spec.state)
        return osm.read_overpass(spec.id, place=f"{spec.name}, {spec.city}", state=spec.state)
    return None


def _read_population(
    spec: Any, boundary: Any, buildings: gpd.GeoDataFrame | None, progress: bool = False
) -> tuple[gpd.GeoDataFrame | None, str | None]:
    key = next((k for k in ("zensus", "zensus_csv") if spec.source_path(k) is not None), None)
    if key is not None:
        path = spec.require_source(key)
        if boundary is None:
            raise DataMissingError(
                f"quartier {spec.id!r}: a Zensus grid needs a boundary to clip it; "
                "the registry names none"
            )
        cells = zensus.read_zensus(path, spec.id, boundary, progress=progress)
        how = f"Zensus 2022, 100 m grid ({len(cells)} cells"
        if cells.attrs.get("suppressed_cells"):
            how += f"; {cells.attrs['suppressed_cells']} cells not published"
        return cells, how + ")"
    if buildings is not None and len(buildings):
        total = getattr(spec, "population", None)
        points = population.estimate_from_buildings(buildings, spec.id, total)
        if total is None:
            how = (
                f"estimate from residential floor area, "
                f"{population.LIVING_AREA_PER_RESIDENT_M2} m² living area per resident"
            )
        else:
            how = "registry total spread over residential floor area"
        return points, how
    return None, None


def _offices(
    spec: Any, now: datetime | None, addresses: Any = None, geocoder: Any = None
) -> tuple[gpd.GeoDataFrame, list[OfficeStatus]]:
    from geoquartier.layers.opening_hours import OpeningHours

    records, statuses = [], []
    for office in spec.resolve_offices(addresses=addresses, geocoder=geocoder):
        placed = office.get("lon") is not None and office.get("lat") is not None
        hours = office.get("opening_hours")
        open_now = None
        if hours:
            try:
                open_now = OpeningHours(hours, state=spec.state).is_open(now or datetime.now())
            except ValueError:
                open_now = None  # validation of the offices layer names the problem
        statuses.append(
            OfficeStatus(
                name=office["name"],
                placed=placed,
                location_quality=office.get("location_quality", "unknown"),
                open_now=open_now,
                opening_hours=hours,
                lookup=office.get("location_lookup"),
            )
        )
        if not placed:
            continue
        records.append(
            {
                "id": office["id"],
                "quartier": spec.id,
                "name": office["name"],
                "kind": office.get("kind"),
                "operator": office.get("operator"),
                "address": office.get("address"),
                "phone": office.get("phone"),
                "email": office.get("email"),
                "opening_hours": hours,
                "languages": list(office.get("languages") or []),
                "wheelchair": office.get("wheelchair"),
                "location_quality": office.get("location_quality"),
                "location_note": note_text(office.get("location_note")),
                "geometry": Point(float(office["lon"]), float(office["lat"])),
            }
        )
    return frame(records, "offices"), statuses


def _quartier_row(spec: Any, boundary: Any, summary: ImportSummary) -> gpd.GeoDataFrame:
    return frame(
        [
            {
                "id": spec.id,
                "quartier": spec.id,
                "name": spec.name,
                "city": spec.city,
                "state": spec.state,
                "population": summary.residents,
                "population_source": summary.population_source,
                "programme": spec.programme or None,
                "boundary_quality": spec.boundary_quality,
                "geometry": boundary,
            }
        ],
        "quartiers",
    )


def _concat(frames: list[gpd.GeoDataFrame], layer: str) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return frame([], layer)
    joined = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=STORAGE_CRS)
