"""One drawer per map layer that is not a marker: basemap, boundary, residents, walking
areas and times, building measures, contributions; and the finishing touches (layer
control, legend).

Each drawer takes the folium map (or a group) it draws into, the GeoDataFrame it draws
(EPSG:4326) and the :class:`Sheet` of the map being drawn (translator, legend, opening
hours, marker counts, data sources), adds at most one layer and its legend section, and
draws nothing for an empty or missing frame. Colours and class styles come from
:mod:`geoquartier.maps.styles`; every text passes through the catalogs and
:func:`geoquartier.maps.escape.text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from geoquartier.maps import styles
from geoquartier.maps.elements import DataLayer, PageStart
from geoquartier.maps.escape import is_missing, text
from geoquartier.maps.geojson import feature_collection
from geoquartier.maps.i18n import Translator
from geoquartier.maps.legend import Legend
from geoquartier.maps.popups import (
    MEASURE_STATUS_LABELS,
    HoursBook,
    annotation_popup,
    category_label,
    measure_popup,
    walk_text,
)
from geoquartier.mobility.scenarios.effects import ACCESS_MINUTES
from geoquartier.vocabulary import ANNOTATION_KINDS

BASEMAP_SIMPLIFY_DEG = 1e-5
"""Simplification of the offline street map's buildings and streets (about 1 m)."""
ISOCHRONE_SIMPLIFY_DEG = 2e-5
"""Simplification of the walking areas (about 2 m)."""


@dataclass
class Sheet:
    """What the drawers of one map share: the translator, the legend being collected, the
    opening hours shown, the marker count per layer and the data sources to credit."""

    tr: Translator
    legend: Legend
    hours: HoursBook
    counts: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=lambda: ["osm"])
    estimate: bool = False
    """Walking times are estimates (straight line × detour factor): labels say "about"."""

    @classmethod
    def start(cls, tr: Translator, state: str, built_at: datetime) -> Sheet:
        """An empty sheet; ``state`` (holidays) and ``built_at`` (aware) for opening hours."""
        return cls(tr, Legend(tr("Legend")), HoursBook(state=state, start=built_at))

    def credit(self, source: str) -> None:
        """Name ``source`` (a key of :data:`geoquartier.maps.page.ATTRIBUTIONS`) once."""
        if source not in self.sources:
            self.sources.append(source)


def _present(gdf: gpd.GeoDataFrame | None) -> bool:
    return gdf is not None and len(gdf) > 0


# ---- basemap -----------------------------------------------------------------------------
def basemap_features(
    streets: gpd.GeoDataFrame | None,
    buildings: gpd.GeoDataFrame | None,
    population: gpd.GeoDataFrame,
) -> dict:
    """Offline street map as GeoJSON (EPSG:4326): buildings (class 0) and streets (1), or,
    without either, the inhabited cells (2) so that the map is not blank."""
    features: list[dict] = []
    for index, gdf in ((0, buildings), (1, streets)):
        if _present(gdf):
            features += feature_collection(
                gdf[["geometry"]], lambda r, c=index: {"_c": c}, simplify_deg=BASEMAP_SIMPLIFY_DEG
            )["features"]
    if not features:
        polys = population[population.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys):
            features += feature_collection(polys[["geometry"]], lambda r: {"_c": 2})["features"]
    return {"type": "FeatureCollection", "features": features}


def draw_basemap(
    m: folium.Map, features: dict, sheet: Sheet, tile_url: str | None, tile_attribution: str
) -> tuple[folium.TileLayer | None, DataLayer]:
    """Online tiles (when ``tile_url`` is given) and the offline street map under them;
    returns both layers for the page script's fallback."""
    tr = sheet.tr
    tiles = None
    if tile_url:
        tiles = folium.TileLayer(
            tiles=tile_url,
            attr=tile_attribution,
            name=tr("Map tiles"),
            max_zoom=19,
            overlay=False,
            control=True,
        )
        tiles.add_to(m)
    options = {
        "classes": list(styles.BASEMAP_CLASSES),
        "canvas": True,
        "pane": "gqBase",
        "interactive": False,
    }
    vector = DataLayer(
        "basemap", tr("Street map (offline)"), features, options, overlay=False, show=tiles is None
    )
    vector.add_to(m)
    return tiles, vector


# ---- areas -------------------------------------------------------------------------------
def draw_boundary(m: folium.Map, boundary: gpd.GeoDataFrame, name: str, sheet: Sheet) -> None:
    """The quartier boundary (dashed line), labelled ``name`` in the legend."""
    if not _present(boundary):
        return
    tr = sheet.tr
    options = {"style": styles.BOUNDARY_STYLE, "interactive": False}
    DataLayer("boundary", tr("Quartier boundary"), feature_collection(boundary), options).add_to(m)
    entries = [("line", styles.BOUNDARY_STYLE["color"], name)]
    sheet.legend.add(tr("Quartier boundary"), entries, layer="boundary")


def _is_zensus(population: gpd.GeoDataFrame, population_source: str) -> bool:
    if "zensus" in population_source.lower():
        return True
    return bool(population["source"].astype(str).str.contains("zensus", case=False).any())


def draw_population(
    m: folium.Map, population: gpd.GeoDataFrame, population_source: str, sheet: Sheet
) -> None:
    """Residents per cell or home in classes (hidden until chosen in the layer control)."""
    if not _present(population):
        return
    tr = sheet.tr
    bounds = styles.population_breaks(population["residents"].astype(float).to_numpy())
    colours = styles.POPULATION_COLOURS[-(len(bounds) + 1) :]

    def props(row: Any) -> dict:
        residents = tr("{count} residents", count=tr.number(int(row["residents"])))
        return {"_c": styles.class_index(float(row["residents"]), bounds), "_t": text(residents)}

    options = {"classes": styles.population_classes(colours), "radius": styles.CELL_RADIUS_PX}
    features = feature_collection(population, props)
    DataLayer("population", tr("Residents"), features, options, show=False).add_to(m)
    entries = [
        ("fill", c, label)
        for c, label in zip(colours, population_class_labels(tr, bounds), strict=True)
    ]
    zensus = _is_zensus(population, population_source)
    source = (
        tr("Zensus 2022, 100 m grid") if zensus else tr("estimated from residential floor area")
    )
    heading = tr("Residents per 100 m cell") if zensus else tr("Residents")
    sheet.legend.add(heading, entries, tr("Residents: {source}", source=source), layer="population")
    if zensus:
        sheet.credit("zensus")


def population_class_labels(tr: Translator, bounds: list[int]) -> list[str]:
    """Legend labels of the residents classes: "1–5", "6–10", …, "more than 50"."""
    if not bounds:
        return [tr("all cells")]
    lows = [1] + [b + 1 for b in bounds[:-1]]
    labels = [f"{tr.number(lo)}–{tr.number(hi)}" for lo, hi in zip(lows, bounds, strict=True)]
    return labels + [tr("more than {count}", count=tr.number(bounds[-1]))]


def _up_to(tr: Translator, minutes: int, estimate: bool) -> str:
    msgid = "up to about {minutes} min, estimated" if estimate else "up to {minutes} min"
    return tr(msgid, minutes=minutes)


def draw_isochrones(
    m: folium.Map, isochrones: gpd.GeoDataFrame | None, sheet: Sheet, note: str
) -> None:
    """Areas within 5/10/15 min walk of the offices, largest first; ``note`` says how the
    times were computed."""
    if not _present(isochrones):
        return
    tr = sheet.tr
    iso = isochrones.sort_values("minutes", ascending=False)
    minutes = [int(v) for v in iso["minutes"]]

    def props(row: Any) -> dict:
        label = _up_to(tr, int(row["minutes"]), sheet.estimate)
        return {"_c": int(row["_i"]), "_t": text(label)}

    features = feature_collection(
        iso.assign(_i=range(len(iso))), props, simplify_deg=ISOCHRONE_SIMPLIFY_DEG
    )
    title = tr("Walking distance from the office")
    options = {"classes": styles.isochrone_classes(minutes), "interactive": True}
    DataLayer("isochrones", title, features, options).add_to(m)
    entries = [
        ("fill", styles.isochrone_colour(v), _up_to(tr, v, sheet.estimate))
        for v in sorted(set(minutes))
    ]
    sheet.legend.add(title, entries, note, layer="isochrones")


def walk_class_labels(tr: Translator, estimate: bool = False) -> list[str]:
    """Legend labels of the walking-time classes of :data:`styles.WALK_CLASSES_MIN`
    ("about …, estimated" when the times are estimates)."""
    bounds = styles.WALK_CLASSES_MIN
    between = "about {low}–{high} min, estimated" if estimate else "{low}–{high} min"
    beyond = "more than about {minutes} min, estimated" if estimate else "more than {minutes} min"
    labels = [_up_to(tr, bounds[0], estimate)]
    labels += [tr(between, low=lo, high=hi) for lo, hi in pairwise(bounds)]
    labels.append(tr(beyond, minutes=bounds[-1]))
    return labels


def _reachable(minutes: Any) -> bool:
    return minutes is not None and bool(np.isfinite(minutes))


def draw_access(
    m: folium.Map, access: gpd.GeoDataFrame | None, category: str | None, sheet: Sheet, note: str
) -> None:
    """Every cell or home coloured by its walking time to the nearest office (``category``
    None) or place of ``category``; ``note`` says how the times were computed."""
    if not _present(access):
        return
    tr = sheet.tr
    target = tr("office") if category is None else category_label(tr, category)
    title = tr("Walking time to the nearest {target}", target=target)
    classes = styles.walk_classes()

    def props(row: Any) -> dict:
        minutes = row["walk_min"]
        if not _reachable(minutes):
            return {"_c": len(classes) - 1, "_t": text(tr("not reachable"))}
        label = walk_text(tr, minutes, from_office=False, estimate=sheet.estimate)
        if "residents" in row and not is_missing(row["residents"]):
            label += " · " + tr("{count} residents", count=tr.number(int(row["residents"])))
        return {
            "_c": styles.class_index(float(minutes), styles.WALK_CLASSES_MIN),
            "_t": text(label),
        }

    # shown at once when a category was asked for; otherwise one click in the layer control
    options = {"classes": classes, "radius": styles.CELL_RADIUS_PX}
    features = feature_collection(access, props)
    DataLayer("access", title, features, options, show=category is not None).add_to(m)
    entries = [
        ("fill", c, label)
        for c, label in zip(styles.WALK_COLOURS, walk_class_labels(tr, sheet.estimate), strict=True)
    ]
    if not access["walk_min"].map(_reachable).all():
        entries.append(("fill", styles.UNREACHABLE_COLOUR, tr("not reachable")))
    sheet.legend.add(title, entries, note, layer="access")


def draw_measures(m: folium.Map, measures: gpd.GeoDataFrame, sheet: Sheet) -> None:
    """Building measures coloured by status, with their popups."""
    if not _present(measures):
        return
    tr = sheet.tr
    statuses = list(styles.MEASURE_COLOURS)

    def props(row: Any) -> dict:
        index = statuses.index(row["status"]) if row["status"] in statuses else 0
        return {"_c": index, "_p": measure_popup(tr, row), "_t": text(row.get("name") or "")}

    options = {"classes": styles.measure_classes(), "radius": styles.FEATURE_RADIUS_PX}
    features = feature_collection(measures, props)
    DataLayer("measures", tr("Building measures"), features, options).add_to(m)
    entries = [
        ("fill", styles.MEASURE_COLOURS[s], tr(MEASURE_STATUS_LABELS[s]))
        for s in statuses
        if (measures["status"] == s).any()
    ]
    sheet.legend.add(tr("Building measures"), entries, layer="measures")


def draw_annotations(m: folium.Map, annotations: gpd.GeoDataFrame, sheet: Sheet) -> None:
    """Approved contributions of residents, coloured by kind (others are never drawn)."""
    if not _present(annotations) or "status" not in annotations:
        return
    approved = annotations[annotations["status"] == "approved"]
    if not len(approved):
        return
    tr = sheet.tr
    kinds = list(ANNOTATION_KINDS)

    def props(row: Any) -> dict:
        index = kinds.index(row["kind"]) if row["kind"] in kinds else 0
        return {"_c": index, "_p": annotation_popup(tr, row)}

    options = {"classes": styles.annotation_classes(), "radius": styles.FEATURE_RADIUS_PX}
    features = feature_collection(approved, props)
    DataLayer("annotations", tr("Approved contributions"), features, options).add_to(m)
    entries = [
        ("dot", styles.ANNOTATION_COLOURS[k], tr(k)) for k in kinds if (approved["kind"] == k).any()
    ]
    sheet.legend.add(tr("Approved contributions"), entries, layer="annotations")


# ---- finishing ---------------------------------------------------------------------------
def draw_controls(
    m: folium.Map, sheet: Sheet, tiles: folium.TileLayer | None, vector: DataLayer
) -> None:
    """The layer control and the start of the page script (legend, fit, basemap fallback);
    call after every layer is drawn."""
    folium.LayerControl(collapsed=True).add_to(m)
    m.add_child(PageStart(sheet.legend.html(), tiles, vector))


# ---- published scenarios -----------------------------------------------------------------
SHORT_EDIT_M = 25.0
"""Drawn edits shorter than this (metres; a line across a way to close or re-tag it) are
shown as a dot at their middle, so that they can be seen at the quartier's zoom."""


def draw_scenarios(m: folium.Map, overlays: list, sheet: Sheet) -> None:
    """One layer per published scenario (off until chosen in the layer control): its edits
    and the homes whose walk gets shorter or longer, with a legend section."""
    for overlay in overlays:
        _draw_scenario(m, overlay, sheet)


def _edit_labels(tr: Translator) -> dict[str, str]:
    return {
        "added": tr("New way or place"),
        "changed": tr("Changed way, e.g. a ramp instead of steps"),
        "closed": tr("Closed way or place"),
    }


def _minutes_text(tr: Translator, minutes: Any) -> str:
    if not _reachable(minutes):
        return tr("not reachable")
    return tr("{minutes} min", minutes=tr.number(round(float(minutes), 1)))


def _draw_scenario(m: folium.Map, overlay: Any, sheet: Sheet) -> None:
    tr = sheet.tr
    classes = list(styles.SCENARIO_CLASSES)
    labels = _edit_labels(tr)
    edits = overlay.edits
    if _present(edits):
        lines = edits.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
        short = lines & (edits["length_m"].to_numpy() < SHORT_EDIT_M)
        edits = edits.set_geometry(
            [
                g.interpolate(0.5, normalized=True) if s else g
                for g, s in zip(edits.geometry, short, strict=True)
            ],
            crs=edits.crs,
        )
    features: list[dict] = []
    if _present(overlay.homes):

        def home(row: Any) -> dict:
            label = tr(
                "Walk now: {before} – with the scenario: {after}",
                before=_minutes_text(tr, row["walk_min_before"]),
                after=_minutes_text(tr, row["walk_min_after"]),
            )
            return {
                "_c": classes.index("gain" if row["gain_min"] > 0 else "loss"),
                "_t": text(label),
            }

        features += feature_collection(overlay.homes, home)["features"]
    if _present(edits):
        features += feature_collection(
            edits, lambda r: {"_c": classes.index(r["change"]), "_t": text(labels[r["change"]])}
        )["features"]
    key = f"scenario-{overlay.id}"
    title = tr("Scenario: {title}", title=overlay.title)
    options = {"classes": styles.scenario_classes(), "radius": styles.FEATURE_RADIUS_PX}
    data = {"type": "FeatureCollection", "features": features}
    DataLayer(key, title, data, options, show=False).add_to(m)
    sheet.legend.add(
        title, _scenario_entries(tr, overlay, edits, labels), _scenario_note(tr, overlay), layer=key
    )


def _scenario_entries(tr: Translator, overlay: Any, edits: Any, labels: dict) -> list:
    colours = styles.SCENARIO_COLOURS
    present = set(edits["change"]) if _present(edits) else set()
    entries = [
        ("line", colours[c], labels[c]) for c in ("added", "changed", "closed") if c in present
    ]
    if _present(overlay.homes):
        target = tr("office") if overlay.category is None else category_label(tr, overlay.category)
        gains = overlay.homes["gain_min"].to_numpy(dtype=float)
        if (gains > 0).any():
            entries.append(
                (
                    "fill",
                    colours["gain"],
                    tr("Homes with a shorter walk to: {target}", target=target),
                )
            )
        if (gains < 0).any():
            entries.append(
                (
                    "fill",
                    colours["loss"],
                    tr("Homes with a longer walk to: {target}", target=target),
                )
            )
    return entries


def _scenario_note(tr: Translator, overlay: Any) -> str:
    parts = [
        tr("A plan, not built yet: what would change if it were carried out."),
        overlay.description,
    ]
    if _present(overlay.homes):
        parts.append(tr("Walking profile: {profile}", profile=tr(overlay.profile)))
    elif not overlay.error:
        parts.append(tr("No home walks longer or shorter with this scenario."))
    count = tr.number(int(round(overlay.residents_gaining_access)))
    gaining = tr("{count} newly within {minutes} min (scenario: {title})", count=count,
                 minutes=tr.number(int(ACCESS_MINUTES)), title=overlay.title)  # fmt: skip
    parts.append(f"{tr('Residents gaining access')}: {gaining}")
    return tr.sentences(*[p for p in parts if p])
