"""The text of ``geoquartier quartiers show ID``: one quartier, readable for a planner."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from geoquartier.errors import GeoquartierError

_LAYERS = ("offices", "services", "pois", "stops", "buildings", "addresses", "population")


def _location_text(office: dict[str, Any]) -> str:
    location = office.get("location") or {}
    if "address" in location:
        return f"by address {location['address']!r} (looked up at import)"
    if "osm" in location:
        return f"OSM {location['osm']} ({office.get('location_quality')})"
    if "gtfs_stop" in location:
        return f"at GTFS stop {location['gtfs_stop']} ({office.get('location_quality')})"
    if "lon" in location:
        return f"{location['lon']}, {location['lat']} ({office.get('location_quality')})"
    return "none: listed, not drawn"


def _sources(spec) -> list[str]:
    lines = []
    for key, value in spec.sources.items():
        path = spec.source_path(key)
        if path is None:
            lines.append(f"    {key}: {value}")
            continue
        state = "found" if path.exists() else "MISSING"
        shown = str(value) if str(path) == str(value) else f"{value} → {path}"
        lines.append(f"    {key}: {shown} ({state})")
    return lines


def _boundary_line(spec) -> str:
    from geoquartier.layers.sources.boundary import area_km2

    try:
        boundary = spec.boundary
    except GeoquartierError as exc:
        return f"  boundary: not readable — {exc}"
    if boundary is None:
        return "  boundary: none in the data"
    return f"  boundary: {area_km2(boundary):.2f} km² ({spec.boundary_quality})"


def _workspace_counts(store, quartier: str) -> dict[str, int]:
    from geoquartier.layers.store import GeoPackageStore

    if not isinstance(store, GeoPackageStore):
        present = set(store.layers())
        return {
            layer: len(store.read(layer, quartier=quartier))
            for layer in _LAYERS
            if layer in present
        }
    counts = {}
    path = store.path
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = {r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")}
        for layer in _LAYERS:
            if layer in tables:
                query = f'SELECT count(*) FROM "{layer}" WHERE quartier = ?'
                counts[layer] = int(db.execute(query, (quartier,)).fetchone()[0])
    return counts


def _workspace_lines(spec) -> list[str]:
    from geoquartier.layers.backend import get_layer_store

    store = get_layer_store()
    if not store.exists() or store.read("quartiers", quartier=spec.id).empty:
        return [f"  workspace: not imported yet — geoquartier import {spec.id}"]
    row = store.read("quartiers", quartier=spec.id).iloc[0]
    counts = _workspace_counts(store, spec.id)
    name = store.path.name if isinstance(store.path, Path) else store.path
    lines = [
        f"  workspace ({name}): " + ", ".join(f"{layer} {n:,}" for layer, n in counts.items() if n)
    ]
    if row.get("population") is not None and row["population"] == row["population"]:
        lines.append(f"  residents: {int(row['population']):,} ({row['population_source']})")
    offices = store.read("offices", quartier=spec.id)
    for _, office in offices.iterrows():
        point = office.geometry
        lines.append(
            f"  placed office: {office['name']} — {office['location_quality']} at "
            f"{point.x:.5f} E, {point.y:.5f} N"
        )
    return lines


def summary_lines(spec) -> list[str]:
    """The summary of a :class:`geoquartier.registry.QuartierSpec` as text lines."""
    demo = " (demo)" if spec.demo else ""
    lines = [
        f"{spec.id} — {spec.name}{demo}",
        f"  {spec.city}, {spec.state}; programme: {spec.programme or '-'}; "
        f"walking times: {spec.mode}",
        _boundary_line(spec),
    ]
    if spec.population is not None:
        lines.append(f"  official residents (registry): {spec.population:,}")
    lines.append("  sources:")
    lines.extend(_sources(spec))
    lines.append(f"  offices: {len(spec.office_entries)}")
    for office in spec.office_entries:
        facts = [office.get("address") or "no address", office.get("opening_hours")]
        lines.append(f"    {office['name']} — {'; '.join(f for f in facts if f)}")
        lines.append(f"      location: {_location_text(office)}")
    lines.extend(_workspace_lines(spec))
    return lines
