"""``build_quartier_map``: one quartier's interactive map; ``save_map``: one standalone HTML.

The builder only draws: it takes a :class:`~geoquartier.maps.data.MapData` (or gathers one
for a registry quartier from the workspace store and the mobility functions) and returns
a :class:`folium.Map` whose root page inlines every asset. Layers: boundary, offices,
advisory services and daily needs (clustered), building measures, transit stops,
residents, walking time from the office (5/10/15 min), walking time from every home or
cell to the nearest office or service, approved contributions; a legend, a language switch
and a text list of all places beside the map. All coordinates are EPSG:4326.
"""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from geoquartier.errors import GeoquartierError
from geoquartier.layers.opening_hours import TIMEZONE
from geoquartier.layers.schema import POI_CATEGORIES, SERVICE_CATEGORIES
from geoquartier.maps import styles
from geoquartier.maps.data import MapData, check_category, check_profile, collect_map_data
from geoquartier.maps.elements import (
    DataLayer,
    OfflineMap,
    OfflineMarkerCluster,
    OfflinePage,
    PageStart,
    PointItems,
)
from geoquartier.maps.escape import is_missing, text
from geoquartier.maps.geojson import feature_collection
from geoquartier.maps.i18n import LANGUAGES, Translator, clock_config
from geoquartier.maps.legend import Legend
from geoquartier.maps.page import ListEntry, aside_html, attribution_html, head_html
from geoquartier.maps.popups import (
    HoursBook,
    annotation_popup,
    measure_popup,
    place_label,
    place_popup,
    stop_popup,
    walk_text,
)
from geoquartier.vocabulary import ANNOTATION_KINDS, TILE_URL, page_constants

OSM_TILE_URL = TILE_URL
"""Default tiles: the OpenStreetMap standard layer (needs the network; see the fallback)."""
OSM_TILE_ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright">'
                        "OpenStreetMap</a> contributors")
DEFAULT_LANGUAGE_HREF = "{lang}.html"

# msgids of the category labels (the schema's controlled vocabularies)
CATEGORY_MSGIDS = {c: c for c in SERVICE_CATEGORIES + POI_CATEGORIES}


def _resolve(quartier: Any, profile: str, category: str | None, store: Any, network: Any) -> MapData:
    if isinstance(quartier, MapData):
        return quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    if isinstance(quartier, str):
        registry = load_registry()
        if quartier not in registry:
            raise GeoquartierError(f"unknown quartier {quartier!r}; known: {', '.join(sorted(registry))}")
        spec = registry[quartier]
    else:
        spec = quartier
    if store is None:
        from geoquartier.config import workspace_path

        store = GeoPackageStore(workspace_path())
    if store.read("quartiers", quartier=spec.id).empty:
        from geoquartier.importer import import_quartier

        import_quartier(spec, store)
    return collect_map_data(spec, store, profile=profile, category=category, network=network)


def _center(data: MapData) -> tuple[list[float], list[list[float]] | None]:
    for name in ("quartiers", "population", "offices", "pois", "stops"):
        gdf = data.layer(name)
        if len(gdf):
            minx, miny, maxx, maxy = gdf.total_bounds
            return [(miny + maxy) / 2, (minx + maxx) / 2], [[miny, minx], [maxy, maxx]]
    raise GeoquartierError(f"quartier {data.quartier!r} has no geometry to show")


def _category_label(tr: Translator, category: Any) -> str:
    return tr(CATEGORY_MSGIDS[category]) if category in CATEGORY_MSGIDS else str(category or "")


def _point_xy(geom) -> tuple[float, float] | None:
    if geom is None or geom.is_empty:
        return None
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(point.y, 6), round(point.x, 6)


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


class _Drawing:
    """State of one map being drawn (translator, hours, legend, list, counts)."""

    def __init__(self, data: MapData, tr: Translator, built_at: datetime):
        self.data = data
        self.tr = tr
        self.hours = HoursBook(state=data.state, start=built_at)
        self.legend = Legend(tr("Legend"))
        self.sections: list = []
        self.counts: dict[str, int] = {}

    # -- points --------------------------------------------------------------------------
    def place_items(self, layer: str, gdf: gpd.GeoDataFrame, glyph: str, colours: dict[str, str],
                    default_colour: str) -> tuple[list[dict], list[tuple[str, list[ListEntry]]]]:
        tr = self.tr
        items: list[dict] = []
        groups: dict[str, list[ListEntry]] = {}
        for _, row in gdf.iterrows():
            category = None if is_missing(row.get("category")) else row.get("category")
            cat_label = _capitalised(_category_label(tr, category)) if category else None
            label = _capitalised(place_label(tr, row, CATEGORY_MSGIDS))
            walk = self.data.walk_from_office.get((layer, str(row["id"])))
            popup = place_popup(tr, self.hours, layer, row, category_label=cat_label, walk_min=walk)
            xy = _point_xy(row.geometry)
            approximate = layer == "offices" and row.get("location_quality") == "approximate"
            if xy is not None:
                items.append({
                    "id": str(row["id"]), "lat": xy[0], "lon": xy[1], "t": label, "p": popup,
                    "g": glyph, "c": colours.get(category, default_colour), "a": approximate,
                })
            key = f"{layer}:{row['id']}"
            hours_html = ""
            if key in self.hours.entries:
                hours_html = (f'<span class="gq-status gq-st-u" data-hours="{text(key)}">'
                              f'{text(tr("Status unknown"))}</span>')
            lines = [str(row.get("address") or "") if not is_missing(row.get("address")) else "",
                     walk_text(tr, walk)]
            if layer == "offices":
                lines.insert(0, str(row.get("operator") or "") if not is_missing(row.get("operator")) else "")
                if not is_missing(row.get("phone")):
                    lines.insert(2, str(row.get("phone")))
                if approximate:
                    lines.append(tr("Approximate location"))
                elif xy is None:
                    lines.append(tr("Location not in the data"))
            if hours_html:
                from geoquartier.maps.hours import weekly_lines

                hours_obj, _ = self.hours.add(key, row.get("opening_hours"))
                week = "; ".join(f"{d}: {s}" if d else s for d, s in weekly_lines(hours_obj, tr))
                hours_html += f'<div class="gq-meta">{text(week)}</div>'
            entry = ListEntry(layer, str(row["id"]), label, lines, hours_html, has_marker=xy is not None)
            groups.setdefault(cat_label or "", []).append(entry)
        ordered = sorted(groups.items(), key=lambda kv: kv[0])
        for _, entries in ordered:
            entries.sort(key=lambda e: e.label.lower())
        return items, ordered


def _walk_class_labels(tr: Translator) -> list[str]:
    bounds = styles.WALK_CLASSES_MIN
    labels = [tr("up to {minutes} min", minutes=bounds[0])]
    labels += [tr("{low}–{high} min", low=lo, high=hi) for lo, hi in pairwise(bounds)]
    labels.append(tr("more than {minutes} min", minutes=bounds[-1]))
    return labels


def build_quartier_map(
    quartier: Any,
    lang: str = "de",
    profile: str = "standard",
    category: str | None = None,
    *,
    store: Any = None,
    network: Any = None,
    annotations: gpd.GeoDataFrame | None = None,
    tile_url: str | None = OSM_TILE_URL,
    tile_attribution: str = OSM_TILE_ATTRIBUTION,
    language_href: str | dict[str, str] = DEFAULT_LANGUAGE_HREF,
    built_at: datetime | None = None,
) -> folium.Map:
    """The interactive map of one quartier as a :class:`folium.Map` (root page included).

    ``quartier`` is a registry id, a :class:`~geoquartier.registry.QuartierSpec` (read from
    ``store``, default the workspace; imported first if missing) or a ready
    :class:`~geoquartier.maps.data.MapData` (layers in EPSG:4326). ``lang`` one of de, en,
    tr, ro, bg; ``profile`` standard/senior/wheelchair; ``category`` the target of the
    walking-access layer (None: the office). ``annotations`` (EPSG:4326, the annotations
    schema) replaces the store's contributions; only ``status == "approved"`` are drawn.
    ``tile_url`` is a Leaflet URL template (None: only the offline street map);
    ``language_href`` a pattern with ``{lang}`` (and optionally ``{quartier}``) for the
    language switch links, or a dict language → link;
    ``built_at`` (aware) the start of the embedded 12 months of opening intervals.
    """
    tr = Translator(lang)
    check_profile(profile)
    check_category(category)
    data = _resolve(quartier, profile, category, store, network)
    if annotations is not None:
        data.layers["annotations"] = annotations
    built_at = (built_at or datetime.now(TIMEZONE)).astimezone(TIMEZONE)
    d = _Drawing(data, tr, built_at)
    center, _bounds = _center(data)

    m = OfflineMap(location=center, zoom_start=15, tiles=None, control_scale=True)
    m.options["max_zoom"] = 19  # the map's own limit (no tile layer may set one)
    m.options["zoom_snap"] = 0.25  # fit the quartier closely beside the legend
    # the view is fitted to the quartier in the browser (GQ.fit), once the page layout is known

    # -- basemap: tiles (optional) and the offline street map -----------------------------
    tiles = None
    if tile_url:
        tiles = folium.TileLayer(tiles=tile_url, attr=tile_attribution, name=tr("Map tiles"),
                                 max_zoom=19, overlay=False, control=True)
        tiles.add_to(m)
    vector = DataLayer("basemap", tr("Street map (offline)"), _basemap(data),
                       {"classes": [styles.BASEMAP_BUILDING_STYLE, styles.BASEMAP_STREET_STYLE,
                                    styles.BASEMAP_AREA_STYLE],
                        "canvas": True, "pane": "gqBase", "interactive": False},
                       overlay=False, show=tiles is None)
    vector.add_to(m)

    legend = d.legend
    # -- boundary ---------------------------------------------------------------------------
    boundary = data.layer("quartiers")
    if len(boundary):
        DataLayer("boundary", tr("Quartier boundary"), feature_collection(boundary),
                  {"style": styles.BOUNDARY_STYLE, "interactive": False}).add_to(m)
        legend.add(tr("Quartier boundary"), [("line", styles.BOUNDARY_STYLE["color"], data.name)])

    # -- residents ----------------------------------------------------------------------------
    population = data.layer("population")
    sources = ["osm"]
    if len(population):
        residents = population["residents"].astype(float).to_numpy()
        pbounds = styles.population_breaks(residents)
        colours = styles.POPULATION_COLOURS[-len(pbounds):] if pbounds else ()
        classes = [{"color": "#7f7f7f", "weight": 0.4, "fillColor": c, "fillOpacity": 0.65,
                    "radius": 4} for c in colours]

        def pop_props(row):
            return {"_c": styles.class_index(float(row["residents"]), pbounds),
                    "_t": text(tr("{count} residents", count=tr.number(int(row["residents"]))))}

        DataLayer("population", tr("Residents"), feature_collection(population, pop_props),
                  {"classes": classes, "radius": 4}, show=False).add_to(m)
        lows = [1] + [b + 1 for b in pbounds[:-1]]
        entries = [("fill", c, f"{tr.number(lo)}–{tr.number(hi)}" if hi > lo else tr.number(hi))
                   for c, lo, hi in zip(colours, lows, pbounds)]
        zensus = "zensus" in data.population_source.lower() or population["source"].astype(str).str.contains(
            "zensus", case=False).any()
        note = tr("Residents: {source}", source=tr("Zensus 2022, 100 m grid") if zensus
                  else tr("estimated from residential floor area"))
        legend.add(tr("Residents per 100 m cell") if zensus else tr("Residents"), entries, note)
        if zensus:
            sources.append("zensus")

    # -- walking: isochrones around the office ---------------------------------------------
    method_note = (tr("estimate: straight line × detour factor, no footpath network")
                   if data.method == "estimate" else tr("computed on the footpath network"))
    profile_note = tr("Walking profile: {profile}", profile=tr(profile))
    if data.isochrones is not None and len(data.isochrones):
        iso = data.isochrones.sort_values("minutes", ascending=False)
        mins = [int(v) for v in iso["minutes"]]
        classes = [{"color": styles.ISOCHRONE_COLOURS.get(v, "#9ecae1"), "weight": 1,
                    "fillColor": styles.ISOCHRONE_COLOURS.get(v, "#9ecae1"), "fillOpacity": 0.22}
                   for v in mins]
        feats = feature_collection(iso.assign(_i=range(len(iso))), lambda r: {
            "_c": int(r["_i"]), "_t": text(tr("up to {minutes} min", minutes=int(r["minutes"])))},
            simplify_deg=2e-5)
        DataLayer("isochrones", tr("Walking distance from the office"), feats,
                  {"classes": classes, "interactive": True}).add_to(m)
        legend.add(tr("Walking distance from the office"),
                   [("fill", styles.ISOCHRONE_COLOURS.get(v, "#9ecae1"), tr("up to {minutes} min", minutes=v))
                    for v in sorted(set(mins))],
                   f"{method_note}. {profile_note}.")

    # -- walking: every home / cell to the nearest target ----------------------------------
    if data.access is not None and len(data.access):
        target = tr("office") if data.access_category is None else _category_label(tr, data.access_category)
        title = tr("Walking time to the nearest {target}", target=target)
        wb = styles.WALK_CLASSES_MIN
        classes = [{"color": c, "weight": 0.3, "fillColor": c, "fillOpacity": 0.7, "radius": 4}
                   for c in styles.WALK_COLOURS]
        classes.append({"color": styles.UNREACHABLE_COLOUR, "weight": 0.3,
                        "fillColor": styles.UNREACHABLE_COLOUR, "fillOpacity": 0.6, "radius": 4})

        def access_props(row):
            minutes = row["walk_min"]
            if minutes is None or not np.isfinite(minutes):
                return {"_c": len(classes) - 1, "_t": text(tr("not reachable"))}
            label = tr("{minutes} min walk", minutes=tr.number(max(1, int(np.ceil(minutes)))))
            if "residents" in row and not is_missing(row["residents"]):
                label += " · " + tr("{count} residents", count=tr.number(int(row["residents"])))
            return {"_c": styles.class_index(float(minutes), wb), "_t": text(label)}

        # shown at once when a category was asked for; otherwise one click in the layer control
        DataLayer("access", title, feature_collection(data.access, access_props),
                  {"classes": classes, "radius": 4}, show=data.access_category is not None).add_to(m)
        entries = [("fill", c, lab) for c, lab in zip(styles.WALK_COLOURS, _walk_class_labels(tr))]
        if not data.access["walk_min"].map(lambda v: v is not None and np.isfinite(v)).all():
            entries.append(("fill", styles.UNREACHABLE_COLOUR, tr("not reachable")))
        legend.add(title, entries, f"{method_note}. {profile_note}.")

    # -- measures -----------------------------------------------------------------------------
    measures = data.layer("measures")
    if len(measures):
        statuses = list(styles.MEASURE_COLOURS)
        classes = [{"color": styles.MEASURE_COLOURS[s], "weight": 3, "fillColor": styles.MEASURE_COLOURS[s],
                    "fillOpacity": 0.35, "radius": 7} for s in statuses]
        feats = feature_collection(measures, lambda r: {
            "_c": statuses.index(r["status"]) if r["status"] in statuses else 0,
            "_p": measure_popup(tr, r), "_t": text(r.get("name") or "")})
        DataLayer("measures", tr("Building measures"), feats, {"classes": classes, "radius": 7}).add_to(m)
        legend.add(tr("Building measures"), [
            ("fill", styles.MEASURE_COLOURS[s], tr({"in_progress": "in progress"}.get(s, s)))
            for s in statuses if (measures["status"] == s).any()])

    # -- transit stops --------------------------------------------------------------------------
    stops = data.layer("stops")
    if len(stops):
        group = folium.FeatureGroup(name=tr("Transit stops"), show=False)
        items = []
        for _, row in stops.iterrows():
            xy = _point_xy(row.geometry)
            if xy is None:
                continue
            items.append({"id": str(row["id"]), "lat": xy[0], "lon": xy[1],
                          "t": str(row.get("name") or tr("Unnamed")), "p": stop_popup(tr, row),
                          "g": "stop", "c": styles.STOP_COLOUR, "a": False})
        group.add_child(PointItems("stops", items))
        group.add_to(m)
        d.counts["stops"] = len(items)
        legend.add(tr("Transit stops"), [("dot", styles.STOP_COLOUR, tr("Transit stops"))])
        if stops["source"].astype(str).str.startswith("gtfs").any():
            sources.append("gtfs")

    # -- daily needs and advisory services (clustered) -----------------------------------------
    list_sections = []
    office_items, office_groups = d.place_items("offices", data.layer("offices"), "office", {},
                                                styles.OFFICE_COLOUR)
    for layer, title, colours in (("pois", tr("Daily needs"), styles.POI_COLOURS),
                                  ("services", tr("Advisory services"), styles.SERVICE_COLOURS)):
        gdf = data.layer(layer)
        items, groups = d.place_items(layer, gdf, "poi" if layer == "pois" else "service", colours, "#555555")
        if items:
            cluster = OfflineMarkerCluster(name=title, options={"maxClusterRadius": 40,
                                                                "showCoverageOnHover": False})
            cluster.add_child(PointItems(layer, items))
            cluster.add_to(m)
            present = [c for c in colours if (gdf["category"] == c).any()]
            legend.add(title, [("dot", colours[c], _capitalised(_category_label(tr, c))) for c in present])
        d.counts[layer] = len(items)
        list_sections.append((layer, title, groups))

    # -- approved contributions ----------------------------------------------------------------
    notes = data.layer("annotations")
    if len(notes) and "status" in notes:
        approved = notes[notes["status"] == "approved"]
        if len(approved):
            kinds = list(styles.ANNOTATION_COLOURS)
            classes = [{"color": styles.ANNOTATION_COLOURS[k], "weight": 3, "fillColor": styles.ANNOTATION_COLOURS[k],
                        "fillOpacity": 0.8, "radius": 7} for k in kinds]
            feats = feature_collection(approved, lambda r: {
                "_c": kinds.index(r["kind"]) if r["kind"] in kinds else 0, "_p": annotation_popup(tr, r)})
            DataLayer("annotations", tr("Approved contributions"), feats, {"classes": classes, "radius": 7}).add_to(m)
            legend.add(tr("Approved contributions"),
                       [("dot", styles.ANNOTATION_COLOURS[k], tr(k)) for k in kinds if (approved["kind"] == k).any()])

    # -- offices last: on top -----------------------------------------------------------------
    offices_group = folium.FeatureGroup(name=tr("Offices"))
    offices_group.add_child(PointItems("offices", office_items))
    offices_group.add_to(m)
    d.counts["offices"] = len(office_items)
    office_entries = [("pin", styles.OFFICE_COLOUR, tr("Offices"))]
    if any(i["a"] for i in office_items):
        office_entries.append(("pin", "#7a4d00", tr("approximate location")))
    legend.sections.insert(1 if len(boundary) else 0, (tr("Offices"), office_entries, ""))

    folium.LayerControl(collapsed=True).add_to(m)
    m.add_child(PageStart(legend.html(), tiles, vector))

    # -- the page around the map ------------------------------------------------------------
    title = tr("Map of {quartier}", quartier=data.name)
    if isinstance(language_href, dict):
        hrefs = {lg: language_href[lg] for lg in LANGUAGES}
    else:
        hrefs = {lg: language_href.format(lang=lg, quartier=data.quartier) for lg in LANGUAGES}
    sections = [(tr("Offices"), office_groups)]
    for layer, section_title, groups in list_sections[::-1]:
        sections.append((section_title, groups))
    footer = [
        tr("The opening status is calculated when you open the map."),
        tr("Walking times from the office assume the profile: {profile}.", profile=tr(profile)) + " " + method_note + ".",
        tr("Map built on {date}.", date=tr.date(built_at.date())),
    ]
    attribution = attribution_html(sources)
    page = OfflinePage(
        lang=tr.lang, title=title, map_label=tr("Interactive map"),
        head_html=head_html(tr, title, hrefs), aside_html=aside_html(tr, sections, footer, attribution),
        config=_page_config(tr, d, data, built_at, attribution_html(sources, short=True), tile_url),
    )
    page.add_child(m, name="map")
    m.gq_counts = d.counts
    m.gq_data = data
    return m


def _page_config(
    tr: Translator,
    d: _Drawing,
    data: MapData,
    built_at: datetime,
    attribution: str,
    tile_url: str | None,
) -> dict:
    """The map's ``#gq-config``: the shared vocabulary (:func:`page_constants`), the tile URL
    in use, dates in the page language, opening hours, counts and the labels of the script."""
    from geoquartier.maps.hours import utc_offsets

    return {
        **page_constants(),
        **clock_config(tr.lang),
        "tileUrl": tile_url,
        "kindLabels": {kind: tr(kind) for kind in ANNOTATION_KINDS},
        "lang": tr.lang,
        "quartier": data.quartier,
        "method": data.method,
        "tz": utc_offsets(built_at),
        "hours": d.hours.entries,
        "counts": d.counts,
        "attribution": attribution,
        "strings": {
            "openNow": tr("Open now"), "closedNow": tr("Closed now"), "closes": tr("closes {when}"),
            "opens": tr("opens {when}"), "today": tr("today {time}"), "tomorrow": tr("tomorrow {time}"),
            "weekdayTime": tr("{weekday} {time}"), "dateTime": tr("{date} {time}"),
            "noOpening": tr("no opening within the next 12 months"), "statusUnknown": tr("Status unknown"),
            "layers": tr("Layers"), "zoomIn": tr("Zoom in"), "zoomOut": tr("Zoom out"),
        },
    }


def _basemap(data: MapData) -> dict:
    """Offline street map: buildings (class 0), streets (1), inhabited cells (2) as GeoJSON."""
    features: list[dict] = []
    if data.buildings is not None and len(data.buildings):
        features += feature_collection(data.buildings[["geometry"]], lambda r: {"_c": 0},
                                       simplify_deg=1e-5)["features"]
    if data.streets is not None and len(data.streets):
        features += feature_collection(data.streets[["geometry"]], lambda r: {"_c": 1},
                                       simplify_deg=1e-5)["features"]
    if not features:
        population = data.layer("population")
        polys = population[population.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys):
            features += feature_collection(polys[["geometry"]], lambda r: {"_c": 2})["features"]
    return {"type": "FeatureCollection", "features": features}


_EXTERNAL = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


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
