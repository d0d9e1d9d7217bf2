"""``build_quartier_map``: one quartier's interactive map; ``save_map``: one standalone HTML.

The builder only draws: it takes a :class:`~geoquartier.maps.data.MapData` (gathered by
:func:`geoquartier.maps.data.gather_map_data` or :func:`~geoquartier.maps.data.collect_map_data`)
and returns a :class:`folium.Map` whose root page inlines every asset. It reads no file
and imports nothing into the workspace. Layers, each drawn by one function of
:mod:`geoquartier.maps.draw` or :mod:`geoquartier.maps.places`: basemap, boundary,
offices, advisory services and daily needs (clustered), building measures, transit stops,
residents, walking time from the office (5/10/15 min), walking time from every home or
cell to the nearest office or service, approved contributions, one layer per published
planning scenario (its edits and the homes walking more or less); a legend, a language switch
and a text list of all places beside the map. All coordinates are EPSG:4326.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path

import folium
import geopandas as gpd

from geoquartier.errors import GeoquartierError
from geoquartier.maps.data import NETWORK_FAILED, NETWORK_MISSING, MapData
from geoquartier.maps.draw import (
    Sheet,
    basemap_features,
    draw_access,
    draw_annotations,
    draw_basemap,
    draw_boundary,
    draw_controls,
    draw_isochrones,
    draw_measures,
    draw_population,
    draw_scenarios,
)
from geoquartier.maps.elements import OfflineMap, OfflinePage
from geoquartier.maps.hours import utc_offsets
from geoquartier.maps.i18n import LANGUAGES, Translator, clock_config
from geoquartier.maps.page import aside_html, attribution_html, head_html
from geoquartier.maps.places import (
    PlaceContext,
    add_office_legend,
    collect_places,
    draw_offices,
    draw_place_cluster,
    draw_stops,
)
from geoquartier.maps.planning import draw_planning
from geoquartier.mobility import DEFAULT_DETOUR_FACTOR
from geoquartier.mobility.profiles import PROFILES
from geoquartier.vocabulary import ANNOTATION_KINDS, TILE_URL, TIME_ZONE, page_constants

OSM_TILE_URL = TILE_URL
"""Default tiles: the OpenStreetMap standard layer (needs the network; see the fallback)."""
OSM_TILE_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
DEFAULT_LANGUAGE_HREF = "{lang}.html"
MAX_EMBEDDED_ADDRESSES = 8000
"""Address points embedded for the address search (about 40 bytes each)."""
MAX_ZOOM = 19
"""Closest zoom of the map (OpenStreetMap's tiles go no further)."""
CENTER_LAYERS = ("quartiers", "population", "offices", "pois", "stops")
"""Layers whose extent centres the map, first non-empty wins."""
NETWORK_NOTICES = {
    NETWORK_MISSING: (
        "Walking times are estimates: there is no footpath network for this quartier."
    ),
    NETWORK_FAILED: (
        "Walking times are estimates: the footpath network could not be built "
        "when this map was made."
    ),
}
"""msgids of the notice (legend and place list) saying why a network quartier's map shows
estimated walking times (keys: ``MapData.network_issue``)."""


def build_quartier_map(
    data: MapData,
    lang: str = "de",
    *,
    annotations: gpd.GeoDataFrame | None = None,
    tile_url: str | None = OSM_TILE_URL,
    tile_attribution: str = OSM_TILE_ATTRIBUTION,
    language_href: str | dict[str, str] = DEFAULT_LANGUAGE_HREF,
    built_at: datetime | None = None,
) -> folium.Map:
    """The interactive map of one quartier as a :class:`folium.Map` (root page included).

    ``data`` is a :class:`~geoquartier.maps.data.MapData` (layers in EPSG:4326; its
    ``profile`` and ``access_category`` are the walking profile and the target of the
    walking-access layer); ``lang`` one of de, en, tr, ro, bg. ``annotations``
    (EPSG:4326, the annotations schema) replaces the data's contributions; only
    ``status == "approved"`` are drawn. ``tile_url`` is a Leaflet URL template (None: only
    the offline street map); ``language_href`` a pattern with ``{lang}`` (and optionally
    ``{quartier}``) for the language switch links, or a dict language → link;
    ``built_at`` (aware) the start of the embedded 12 months of opening intervals.
    The map's ``gq_counts`` gives the markers per layer, ``gq_data`` the data drawn.
    """
    if not isinstance(data, MapData):
        raise TypeError(
            "build_quartier_map draws a MapData; gather one with "
            f"geoquartier.maps.data.gather_map_data (got {type(data).__name__})"
        )
    tr = Translator(lang)
    if annotations is not None:
        data = dataclasses.replace(data, layers={**data.layers, "annotations": annotations})
    built_at = (built_at or datetime.now(TIME_ZONE)).astimezone(TIME_ZONE)
    sheet = Sheet.start(tr, data.state, built_at)
    sheet.estimate = data.method == "estimate"
    sheet.legend.note(estimate_notice(tr, data))
    m = _new_map(data)
    features = basemap_features(data.streets, data.buildings, data.layer("population"))
    tiles, vector = draw_basemap(m, features, sheet, tile_url, tile_attribution)
    if not any(f["properties"].get("_c") == 1 for f in features["features"]):
        sheet.legend.note(tr("Street map only online: the data of this map hold no streets."))
    sections = _draw_layers(m, data, sheet)
    draw_controls(m, sheet, tiles, vector)
    page = _page(data, sheet, sections, language_href, built_at, tile_url)
    page.add_child(m, name="map")
    m.gq_counts = sheet.counts
    m.gq_data = data
    return m


def _new_map(data: MapData) -> OfflineMap:
    """An empty map centred on the quartier; the view is fitted to the quartier in the
    browser (``GQ.fit``), once the page layout is known."""
    m = OfflineMap(location=_center(data), zoom_start=15, tiles=None, control_scale=True)
    m.options["max_zoom"] = MAX_ZOOM  # the map's own limit (no tile layer may set one)
    m.options["zoom_snap"] = 0.25  # fit the quartier closely beside the legend
    return m


def _center(data: MapData) -> list[float]:
    """``[lat, lon]`` of the middle of the first non-empty layer of :data:`CENTER_LAYERS`."""
    for name in CENTER_LAYERS:
        gdf = data.layer(name)
        if len(gdf):
            minx, miny, maxx, maxy = gdf.total_bounds
            return [(miny + maxy) / 2, (minx + maxx) / 2]
    raise GeoquartierError(f"quartier {data.quartier!r} has no geometry to show")


def _draw_layers(m: folium.Map, data: MapData, sheet: Sheet) -> list[tuple[str, list]]:
    """Every layer, bottom to top (the legend follows the same order, offices second);
    returns the sections of the place list."""
    draw_boundary(m, data.layer("quartiers"), data.name, sheet)
    ctx = place_context(data, sheet.estimate)
    offices = collect_places("offices", data.layer("offices"), sheet, ctx)
    add_office_legend(sheet, offices)
    draw_population(m, data.layer("population"), data.population_source, sheet)
    note = walking_note(sheet.tr, data)
    draw_isochrones(m, data.isochrones, sheet, note)
    draw_access(m, data.access, data.access_category, sheet, note)
    draw_measures(m, data.layer("measures"), sheet)
    draw_stops(m, data.layer("stops"), sheet)
    sections = [(sheet.tr("Offices"), offices.groups)]
    for layer in ("pois", "services"):
        gdf = data.layer(layer)
        places = collect_places(layer, gdf, sheet, ctx)
        title = draw_place_cluster(m, places, gdf, sheet)
        sections.insert(1, (title, places.groups))
    draw_annotations(m, data.layer("annotations"), sheet)
    draw_planning(m, data.planning, sheet)
    draw_scenarios(m, data.scenarios, sheet)
    draw_offices(m, offices, sheet)  # last: on top
    return sections


def place_context(data: MapData, estimate: bool) -> PlaceContext:
    """Walking times, location notes and the street or stop of every unnamed place."""
    stops = data.layer("stops")
    ctx = PlaceContext(
        walk_from_office=data.walk_from_office,
        estimate=estimate,
        location_notes=data.location_notes,
        stops=stops if len(stops) else None,
    )
    for layer in ("pois", "services"):
        ctx.add_nearby(layer, data.layer(layer), streets=data.streets, addresses=data.addresses)
    return ctx


def estimate_notice(tr: Translator, data: MapData) -> str:
    """The notice at the top of the legend and the place list when walking times are
    estimates ("" otherwise)."""
    if data.method != "estimate":
        return ""
    why = network_notice(tr, data) or tr(
        "estimate: straight line × detour factor, no footpath network"
    )
    return tr.sentences(tr("Walking times marked “about” are estimates"), why)


def _method_note(tr: Translator, data: MapData) -> str:
    if data.method == "estimate":
        return tr("estimate: straight line × detour factor, no footpath network")
    return tr("computed on the footpath network")


def network_notice(tr: Translator, data: MapData) -> str:
    """Why a network quartier's walking times are estimates ("" when they are not)."""
    msgid = NETWORK_NOTICES.get(data.network_issue)
    return tr(msgid) if msgid else ""


def walking_note(tr: Translator, data: MapData) -> str:
    """The legend note of the walking layers: method, profile and, for estimates in a
    network quartier, why."""
    profile = tr("Walking profile: {profile}", profile=tr(data.profile))
    return tr.sentences(_method_note(tr, data), profile, network_notice(tr, data))


def _language_hrefs(language_href: str | dict[str, str], quartier: str) -> dict[str, str]:
    if isinstance(language_href, dict):
        return {lang: language_href[lang] for lang in LANGUAGES}
    return {lang: language_href.format(lang=lang, quartier=quartier) for lang in LANGUAGES}


def _page(
    data: MapData,
    sheet: Sheet,
    sections: list[tuple[str, list]],
    language_href: str | dict[str, str],
    built_at: datetime,
    tile_url: str | None,
) -> OfflinePage:
    """The page around the map: header with the language switch, the place list with its
    footer (opening status, walking method, build date, network notice, attribution)."""
    tr = sheet.tr
    title = tr("Map of {quartier}", quartier=data.name)
    walking = tr(
        "Walking times from the office assume the profile: {profile}.", profile=tr(data.profile)
    )
    footer = [
        tr("The opening status is calculated when you open the map."),
        tr.sentences(walking, _method_note(tr, data)),
        network_notice(tr, data),
        tr("Map built on {date}.", date=tr.date(built_at.date())),
    ]
    short_attribution = attribution_html(tr, sheet.sources, short=True)
    offices = sections[0][1]
    return OfflinePage(
        lang=tr.lang,
        title=title,
        map_label=tr("Interactive map"),
        head_html=head_html(tr, title, _language_hrefs(language_href, data.quartier), offices),
        aside_html=aside_html(
            tr,
            sections,
            footer,
            attribution_html(tr, sheet.sources),
            top_notes=sheet.legend.notes,
        ),
        config=_page_config(data, sheet, built_at, short_attribution, tile_url),
    )


def _page_config(
    data: MapData, sheet: Sheet, built_at: datetime, attribution: str, tile_url: str | None
) -> dict:
    """The map's ``#gq-config``: the shared vocabulary (:func:`page_constants`), the tile URL
    in use, dates in the page language, opening intervals, counts and the script's texts."""
    tr = sheet.tr
    return {
        **page_constants(),
        **clock_config(tr.lang),
        "tileUrl": tile_url,
        "kindLabels": {kind: tr(kind) for kind in ANNOTATION_KINDS},
        "lang": tr.lang,
        "quartier": data.quartier,
        "method": data.method,
        "tz": utc_offsets(built_at),
        "hours": sheet.hours.entries,
        "counts": sheet.counts,
        "attribution": attribution,
        "strings": _page_strings(tr),
        "walkFrom": walk_from_config(data),
    }


def walk_from_config(data: MapData) -> dict:
    """What the page script needs for walking times from another place, computed in the
    browser without any network: the profile's speed, the detour factor of the estimate,
    and the quartier's addresses (``[label, lat, lon]``, EPSG:4326, at most
    :data:`MAX_EMBEDDED_ADDRESSES`)."""
    return {
        "speedKmh": PROFILES[data.profile].speed_kmh,
        "detour": DEFAULT_DETOUR_FACTOR,
        "addresses": embedded_addresses(data.addresses),
    }


def embedded_addresses(addresses: gpd.GeoDataFrame | None) -> list[list]:
    """``[["Street 12", lat, lon], ...]`` of the address points (EPSG:4326), sorted, unique."""
    if addresses is None or not len(addresses) or "housenumber" not in addresses:
        return []
    rows = {}
    for street, number, geom in zip(
        addresses.get("street", [None] * len(addresses)),
        addresses["housenumber"],
        addresses.geometry,
        strict=True,
    ):
        if not street or not isinstance(street, str) or geom is None or geom.is_empty:
            continue
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        rows.setdefault(f"{street} {number}", [round(point.y, 6), round(point.x, 6)])
    return [[label, *xy] for label, xy in sorted(rows.items())[:MAX_EMBEDDED_ADDRESSES]]


def _page_strings(tr: Translator) -> dict[str, str]:
    return {
        "openNow": tr("Open now"),
        "closedNow": tr("Closed now"),
        "closes": tr("closes {when}"),
        "opens": tr("opens {when}"),
        "today": tr("today {time}"),
        "tomorrow": tr("tomorrow {time}"),
        "weekdayTime": tr("{weekday} {time}"),
        "dateTime": tr("{date} {time}"),
        "noOpening": tr("no opening within the next 12 months"),
        "statusUnknown": tr("Status unknown"),
        "layers": tr("Layers"),
        "zoomIn": tr("Zoom in"),
        "zoomOut": tr("Zoom out"),
        "cluster": tr("{count} places: {kinds}"),
        "fromPlace": tr("about {minutes} min walk (start: {place}), estimated"),
        "yourLocation": tr("your location"),
        "chosenPoint": tr("the chosen point"),
        "pickPoint": tr("Click or tap the map to choose the point."),
        "noLocation": tr("Your location could not be found."),
        "noAddress": tr("Address not found in this quartier."),
        "startingPoint": tr("Starting point"),
    }


_EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE
)


def map_html(m: folium.Map) -> str:
    """The standalone page of ``m`` as text (what :func:`save_map` writes; for serving).

    Raises :class:`GeoquartierError` if the page would load anything from the network
    (a script, stylesheet, image or frame with an http(s) address).
    """
    html = m.get_root().render()
    found = _EXTERNAL.search(html)
    if found:
        raise GeoquartierError(f"the map would load an external resource: {found.group(0)[:120]}")
    return html


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write ``m``'s page as ONE standalone HTML file (UTF-8) and return its path.

    Raises :class:`GeoquartierError` if the page would load anything from the network.
    """
    html = map_html(m)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
