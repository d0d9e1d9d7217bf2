"""Colours, class styles and class breaks of the maps (colour-blind-aware palettes, fixed
per category).

Every colour a map draws is defined here; the colours of the contribution kinds come from
:data:`geoquartier.vocabulary.ANNOTATION_COLOURS` (the same on every map and page). The
``*_classes`` functions give the Leaflet path styles of a layer's classes (index = the
``_c`` property of a feature, see ``GQ.geojson`` in ``static/geoquartier-map.js``).
"""

from __future__ import annotations

import numpy as np

from geoquartier.vocabulary import ANNOTATION_COLOURS, ANNOTATION_KINDS

SERVICE_COLOURS = {
    "migration": "#6a3d9a",
    "debt": "#b15928",
    "family": "#e31a8c",
    "youth": "#1f78b4",
    "seniors": "#7b6f2a",
    "health": "#c0392b",
    "addiction": "#8e5ea2",
    "employment": "#0f7c6e",
    "housing": "#a65d00",
    "education": "#2b59c3",
    "disability": "#4d4d4d",
    "general": "#5b6770",
}
POI_COLOURS = {
    "grocery": "#2e7d32",
    "pharmacy": "#c62828",
    "doctors": "#ad1457",
    "healthcare": "#d84315",
    "school": "#00695c",
    "kindergarten": "#6a1b9a",
    "university": "#283593",
    "park": "#558b2f",
    "gym": "#00838f",
    "cafe": "#6d4c41",
}
PLACE_COLOUR = "#555555"
"""A service or daily-needs place whose category has no colour of its own."""
OFFICE_COLOUR = "#0b4f8a"
"""Offices: the only square markers (the house glyph), in the one colour no place has."""
APPROXIMATE_OFFICE_COLOUR = "#7a4d00"
"""Legend swatch of an office whose location is approximate (as ``.gq-approx`` in the CSS)."""
STOP_COLOUR = "#37474f"
BOUNDARY_STYLE = {"color": OFFICE_COLOUR, "weight": 3, "fill": False, "dashArray": "8 6"}
MEASURE_COLOURS = {"planned": "#1f78b4", "in_progress": "#e66101", "completed": "#1a9641"}

SCENARIO_COLOURS = {
    "added": "#00bfa5",
    "changed": "#f9a825",
    "closed": "#212121",
    "gain": "#542788",
    "loss": "#e08214",
}
"""A published scenario's layer: what its edits add (aqua), change (gold, e.g. a ramp
instead of steps) or close (black, dashed), and the homes whose walk gets shorter
(purple) or longer (orange) — a colour-blind-safe diverging pair that no other layer
uses (the walking areas are blue)."""
SCENARIO_CLASSES = ("added", "changed", "closed", "gain", "loss")
"""Class order of a scenario layer (index = the ``_c`` property of a feature)."""

POPULATION_COLOURS = ("#fff5d6", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000")
"""Five classes of residents per cell, light to dark."""
POPULATION_OUTLINE_COLOUR = "#7f7f7f"

WALK_CLASSES_MIN = (5, 10, 15, 20)
"""Upper bounds (minutes) of the walking-time classes; a last class holds longer times."""
WALK_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
UNREACHABLE_COLOUR = "#9e9e9e"

ISOCHRONE_MINUTES = (5, 10, 15)
"""Walking times (minutes) of the areas drawn around the offices."""
ISOCHRONE_COLOURS = {5: "#08519c", 10: "#4292c6", 15: "#9ecae1"}

BASEMAP_STREET_STYLE = {"color": "#9a9a9a", "weight": 1.5, "opacity": 0.9}
BASEMAP_BUILDING_STYLE = {
    "color": "#b9b0a3",
    "weight": 0.5,
    "fillColor": "#ddd6cb",
    "fillOpacity": 0.9,
}
BASEMAP_AREA_STYLE = {"color": "#cfcfcf", "weight": 0.3, "fillColor": "#ececec", "fillOpacity": 0.8}
BASEMAP_CLASSES = (BASEMAP_BUILDING_STYLE, BASEMAP_STREET_STYLE, BASEMAP_AREA_STYLE)
"""Classes of the offline street map: buildings (0), streets (1), inhabited cells (2)."""

CELL_RADIUS_PX = 4
"""Radius of a population cell or home drawn as a point."""
FEATURE_RADIUS_PX = 7
"""Radius of a measure or contribution drawn as a point."""


def _filled(
    colour: str,
    weight: float,
    opacity: float,
    radius_px: int | None = None,
    outline: str | None = None,
) -> dict:
    style: dict = {
        "color": outline or colour,
        "weight": weight,
        "fillColor": colour,
        "fillOpacity": opacity,
    }
    if radius_px is not None:
        style["radius"] = radius_px
    return style


def population_classes(colours: tuple[str, ...] | list[str]) -> list[dict]:
    """Styles of the residents classes drawn in ``colours`` (light to dark)."""
    return [_filled(c, 0.4, 0.65, CELL_RADIUS_PX, POPULATION_OUTLINE_COLOUR) for c in colours]


def walk_classes() -> list[dict]:
    """Styles of the walking-time classes (:data:`WALK_COLOURS`), then "not reachable"."""
    classes = [_filled(c, 0.3, 0.7, CELL_RADIUS_PX) for c in WALK_COLOURS]
    classes.append(_filled(UNREACHABLE_COLOUR, 0.3, 0.6, CELL_RADIUS_PX))
    return classes


def isochrone_colour(minutes: int) -> str:
    """Colour of the area reached within ``minutes`` (the palest for unlisted times)."""
    return ISOCHRONE_COLOURS.get(minutes, ISOCHRONE_COLOURS[max(ISOCHRONE_COLOURS)])


def isochrone_classes(minutes: list[int]) -> list[dict]:
    """Styles of the isochrones, one per entry of ``minutes`` (in drawing order)."""
    return [_filled(isochrone_colour(v), 1, 0.22) for v in minutes]


def measure_classes() -> list[dict]:
    """Styles of the building measures, one per status of :data:`MEASURE_COLOURS`."""
    return [_filled(c, 3, 0.35, FEATURE_RADIUS_PX) for c in MEASURE_COLOURS.values()]


def scenario_classes() -> list[dict]:
    """Styles of a scenario layer, one per :data:`SCENARIO_CLASSES`: edits drawn thick
    (closed ones dashed), homes as filled cells or points."""
    out = []
    for name in SCENARIO_CLASSES:
        if name in ("gain", "loss"):  # white ring: stands out on the walking areas
            out.append(_filled(SCENARIO_COLOURS[name], 1.5, 0.9, CELL_RADIUS_PX + 1, "#ffffff"))
            continue
        style = _filled(SCENARIO_COLOURS[name], 5, 0.6, FEATURE_RADIUS_PX)
        if name == "closed":
            style["dashArray"] = "6 4"
        out.append(style)
    return out


def annotation_classes() -> list[dict]:
    """Styles of the contributions, one per kind of :data:`ANNOTATION_KINDS`."""
    return [_filled(ANNOTATION_COLOURS[k], 3, 0.8, FEATURE_RADIUS_PX) for k in ANNOTATION_KINDS]


READABLE_BREAKS = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
"""Class bounds of residents a reader takes in at a glance (1–5, 6–10, 11–20, …)."""


def population_breaks(residents: np.ndarray, classes: int = 5) -> list[int]:
    """Upper bounds of at most ``classes - 1`` classes of residents per cell or home; a
    last class holds everything above the last bound ("more than 50").

    The bounds are quantiles rounded up to :data:`READABLE_BREAKS` (duplicates merged,
    bounds at or above the maximum dropped), so classes read "1–5, 6–10, 11–20, 21–50,
    more than 50" rather than "1–3, 4, 5, 6–8, 9–240". Empty for no values or when every
    value is at most the smallest bound.
    """
    values = np.asarray(residents, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return []
    top = values.max()
    qs = np.quantile(values, [i / classes for i in range(1, classes)])
    bounds = set()
    for q in qs:
        bound = next((b for b in READABLE_BREAKS if b >= q), READABLE_BREAKS[-1])
        if bound < top:
            bounds.add(bound)
    return sorted(bounds)[: classes - 1]


def class_index(value: float, bounds: list[int] | tuple[int, ...]) -> int:
    """Index of the first class whose upper bound is ≥ ``value``; ``len(bounds)`` beyond."""
    for i, bound in enumerate(bounds):
        if value <= bound:
            return i
    return len(bounds)


# ---- planning results (geoquartier.maps.planning) ----------------------------------------
SITE_COLOUR = "#1b1b1b"
"""Proposed new sites of a location run (numbered markers; no place has this colour)."""
SUPPLY_NONE_COLOUR = "#b2182b"
"""A home that reaches no counted place within T."""
SUPPLY_BELOW_COLOUR = "#f4a582"
"""A home below the planner's level (but reaching something)."""
SUPPLY_BELOW_OUTLINE = "#3b0000"
"""Dark outline marking the homes below the planner's level (both classes above)."""
SUPPLY_COLOURS = ("#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061")
"""Ranges at or above the planner's level, light (just enough) to dark (the most)."""


def supply_colours(ranges: int) -> list[str]:
    """Fill colours of the supply classes: none, below the level, then ``ranges`` ranges."""
    ranges = max(1, min(ranges, len(SUPPLY_COLOURS)))
    spread = np.linspace(0, len(SUPPLY_COLOURS) - 1, ranges).round().astype(int)
    return [SUPPLY_NONE_COLOUR, SUPPLY_BELOW_COLOUR] + [SUPPLY_COLOURS[i] for i in spread]


def supply_classes(ranges: int) -> list[dict]:
    """Styles of :func:`supply_colours`; the two classes below the level are outlined."""
    colours = supply_colours(ranges)
    below = [_filled(c, 1.5, 0.85, CELL_RADIUS_PX, SUPPLY_BELOW_OUTLINE) for c in colours[:2]]
    return below + [_filled(c, 0.4, 0.75, CELL_RADIUS_PX) for c in colours[2:]]
