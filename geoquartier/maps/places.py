"""Drawers of the marker layers (offices, advisory services, daily needs, transit stops)
and the entries of the place list beside the map.

A place becomes a marker item (``{id, lat, lon, t, p, g, c, a}``, drawn by ``GQ.points`` in
``static/geoquartier-map.js``) when it has a location, and a :class:`ListEntry` in any case
(offices whose address is not in the data are listed, not drawn). Coordinates EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd

from geoquartier.maps import styles
from geoquartier.maps.draw import Sheet
from geoquartier.maps.elements import OfflineMarkerCluster, PointItems
from geoquartier.maps.escape import is_missing, text
from geoquartier.maps.hours import weekly_lines
from geoquartier.maps.i18n import Translator
from geoquartier.maps.nearby import nearby_names
from geoquartier.maps.page import ListEntry
from geoquartier.maps.popups import (
    PlaceFacts,
    category_label,
    place_label,
    place_popup,
    stop_popup,
    walk_text,
)

CLUSTER_OPTIONS = {"maxClusterRadius": 40, "showCoverageOnHover": False}
"""Leaflet.markercluster options of the services and daily-needs layers."""

PLACE_STYLES = {
    "offices": ("office", {}, styles.OFFICE_COLOUR),
    "services": ("service", styles.SERVICE_COLOURS, styles.PLACE_COLOUR),
    "pois": ("poi", styles.POI_COLOURS, styles.PLACE_COLOUR),
}
"""Per layer of places: marker glyph, colour per category, colour of other places."""

ListGroups = list[tuple[str, list[ListEntry]]]
"""A section of the place list: ``(subheading or "", entries)`` sorted by subheading."""


@dataclass
class PlaceContext:
    """What the place layers need besides their rows: minutes from the nearest office per
    ``(layer, id)``, whether those are estimates, where unnamed places are
    (``(layer, id)`` → ``("street" | "stop", name)``), the registry's location notes per
    office id and language, and the transit stops (EPSG:4326) for a generic note."""

    walk_from_office: dict[tuple[str, str], float] = field(default_factory=dict)
    estimate: bool = False
    nearby: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    location_notes: dict[str, dict[str, str]] = field(default_factory=dict)
    stops: gpd.GeoDataFrame | None = None

    def add_nearby(self, layer: str, gdf: gpd.GeoDataFrame, **sources: Any) -> None:
        """Find the street or stop of the unnamed places of ``layer`` (see
        :func:`geoquartier.maps.nearby.nearby_names`; ``sources`` its keyword frames)."""
        for pid, where in nearby_names(gdf, stops=self.stops, **sources).items():
            self.nearby[(layer, pid)] = where


@dataclass
class Places:
    """The markers and list entries of one layer of places."""

    layer: str
    items: list[dict] = field(default_factory=list)
    groups: ListGroups = field(default_factory=list)


def point_lat_lon(geom: Any) -> tuple[float, float] | None:
    """``(lat, lon)`` of a point (a polygon's representative point), rounded to 6 decimals
    (EPSG:4326); None without a geometry."""
    if geom is None or geom.is_empty:
        return None
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(point.y, 6), round(point.x, 6)


def _cell(row: Any, name: str) -> str:
    value = row.get(name)
    return "" if is_missing(value) else str(value or "")


def office_note(tr: Translator, row: Any, ctx: PlaceContext) -> str | None:
    """The location note of an office in the page language: the registry's text in that
    language, a catalog label if the note is a msgid, the plain (English) registry text on
    English pages; else the generic "shown at the stop …" (nearest stop), else None."""
    notes = ctx.location_notes.get(str(row.get("id")), {})
    if notes.get(tr.lang):
        return notes[tr.lang]
    stored = _cell(row, "location_note")
    if stored and tr.has(stored):
        return tr(stored)
    if stored and tr.lang == "en":
        return stored
    stop = _nearest_stop(row.geometry, ctx.stops)
    return tr("shown at the stop {stop}", stop=stop) if stop else None


def _nearest_stop(geom: Any, stops: gpd.GeoDataFrame | None) -> str | None:
    if geom is None or geom.is_empty or stops is None or not len(stops):
        return None
    point = gpd.GeoDataFrame({"id": ["o"]}, geometry=[geom], crs=stops.crs)
    found = nearby_names(point, stops=stops)
    where = found.get("o")
    return where[1] if where and where[1] and where[0] == "stop" else None


def _list_lines(
    tr: Translator, layer: str, row: Any, walk: str, located: bool, note: str | None
) -> list[str]:
    """Address and walking time; for offices also operator, phone and location notes."""
    lines = [_cell(row, "address"), walk]
    if layer != "offices":
        return lines
    lines.insert(0, _cell(row, "operator"))
    if not is_missing(row.get("phone")):
        lines.insert(2, str(row.get("phone")))
    if row.get("location_quality") == "approximate":
        approx = tr("Approximate location")
        lines.append(f"{approx}: {note}" if note else approx)
    elif not located:
        lines.append(tr("Location not in the data"))
    return lines


def _list_hours(sheet: Sheet, key: str, expression: Any) -> str:
    """Live status placeholder and the week, one line per group of days, if the hours
    could be parsed."""
    if key not in sheet.hours.entries:
        return ""
    tr = sheet.tr
    hours, _ = sheet.hours.add(key, expression)
    week = "".join(
        f'<li><span class="gq-days">{text(d)}</span> {text(s)}</li>' if d else f"<li>{text(s)}</li>"
        for d, s in weekly_lines(hours, tr)
    )
    label = text(tr("Opening hours"))
    return (
        f'<span class="gq-status gq-st-u" data-hours="{text(key)}">'
        f"{text(tr('Status unknown'))}</span>"
        f'<ul class="gq-week gq-meta" aria-label="{label}">{week}</ul>'
    )


def _add_place(
    places: Places,
    groups: dict[str, list[ListEntry]],
    row: Any,
    sheet: Sheet,
    ctx: PlaceContext,
) -> None:
    """One place: its popup (which registers its opening hours), marker and list entry."""
    tr, layer = sheet.tr, places.layer
    glyph, colours, default_colour = PLACE_STYLES[layer]
    category = None if is_missing(row.get("category")) else row.get("category")
    cat_label = tr.capitalise(category_label(tr, category)) if category else None
    label = tr.capitalise(place_label(tr, row, ctx.nearby.get((layer, str(row["id"])))))
    walk = ctx.walk_from_office.get((layer, str(row["id"])))
    note = office_note(tr, row, ctx) if layer == "offices" else None
    facts = PlaceFacts(cat_label, label, walk, ctx.estimate, note)
    popup = place_popup(tr, sheet.hours, layer, row, facts)
    xy = point_lat_lon(row.geometry)
    if xy is not None:
        places.items.append(
            {
                "id": str(row["id"]),
                "lat": xy[0],
                "lon": xy[1],
                "t": label,
                "k": cat_label or "",
                "p": popup,
                "g": glyph,
                "c": colours.get(category, default_colour),
                "a": layer == "offices" and row.get("location_quality") == "approximate",
            }
        )
    key = f"{layer}:{row['id']}"
    walk_line = walk_text(tr, walk, estimate=ctx.estimate)
    entry = ListEntry(
        layer,
        str(row["id"]),
        label,
        _list_lines(tr, layer, row, walk_line, xy is not None, note),
        _list_hours(sheet, key, row.get("opening_hours")),
        has_marker=xy is not None,
    )
    groups.setdefault(cat_label or "", []).append(entry)


def collect_places(
    layer: str, gdf: gpd.GeoDataFrame, sheet: Sheet, ctx: PlaceContext | None = None
) -> Places:
    """Markers and list entries of ``layer`` (offices, services or pois; EPSG:4326);
    ``ctx`` the walking times, labels of unnamed places and location notes."""
    ctx = ctx or PlaceContext()
    places = Places(layer)
    groups: dict[str, list[ListEntry]] = {}
    for _, row in gdf.iterrows():
        _add_place(places, groups, row, sheet, ctx)
    places.groups = sorted(groups.items(), key=lambda kv: kv[0])
    for _, entries in places.groups:
        entries.sort(key=lambda e: e.label.lower())
    return places


def add_office_legend(sheet: Sheet, offices: Places) -> None:
    """The legend section of the offices (with the approximate-location swatch if used)."""
    tr = sheet.tr
    entries = [("pin", styles.OFFICE_COLOUR, tr("Offices"))]
    if any(item["a"] for item in offices.items):
        entries.append(("pin", styles.APPROXIMATE_OFFICE_COLOUR, tr("approximate location")))
    sheet.legend.add(tr("Offices"), entries, layer="offices")


def draw_offices(m: folium.Map, offices: Places, sheet: Sheet) -> None:
    """The office markers; drawn last so that they lie on top of every other layer."""
    group = folium.FeatureGroup(name=sheet.tr("Offices"))
    group.add_child(PointItems("offices", offices.items))
    group.add_to(m)
    sheet.counts["offices"] = len(offices.items)


def draw_place_cluster(m: folium.Map, places: Places, gdf: gpd.GeoDataFrame, sheet: Sheet) -> str:
    """Services or daily-needs places as clustered markers coloured by category; returns
    the layer's title (the heading of its part of the place list)."""
    tr = sheet.tr
    layer = places.layer
    title = tr("Daily needs") if layer == "pois" else tr("Advisory services")
    colours = PLACE_STYLES[layer][1]
    if places.items:
        cluster = OfflineMarkerCluster(name=title, options=dict(CLUSTER_OPTIONS))
        cluster.add_child(PointItems(layer, places.items))
        cluster.add_to(m)
        present = [c for c in colours if (gdf["category"] == c).any()]
        entries = [("dot", colours[c], tr.capitalise(category_label(tr, c))) for c in present]
        sheet.legend.add(title, entries, layer=layer)
    sheet.counts[layer] = len(places.items)
    return title


def draw_stops(m: folium.Map, stops: gpd.GeoDataFrame, sheet: Sheet) -> None:
    """Transit stops (hidden until chosen in the layer control); credits GTFS if used."""
    if stops is None or not len(stops):
        return
    tr = sheet.tr
    items = []
    for _, row in stops.iterrows():
        xy = point_lat_lon(row.geometry)
        if xy is None:
            continue
        items.append(
            {
                "id": str(row["id"]),
                "lat": xy[0],
                "lon": xy[1],
                "t": str(row.get("name") or tr("Unnamed")),
                "p": stop_popup(tr, row),
                "g": "stop",
                "c": styles.STOP_COLOUR,
                "a": False,
            }
        )
    group = folium.FeatureGroup(name=tr("Transit stops"), show=False)
    group.add_child(PointItems("stops", items))
    group.add_to(m)
    sheet.counts["stops"] = len(items)
    sheet.legend.add(
        tr("Transit stops"), [("dot", styles.STOP_COLOUR, tr("Transit stops"))], layer="stops"
    )
    if stops["source"].astype(str).str.startswith("gtfs").any():
        sheet.credit("gtfs")
