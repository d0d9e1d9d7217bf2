"""Colours and class breaks of the maps (colour-blind-aware palettes, fixed per category)."""

from __future__ import annotations

from geoquartier.vocabulary import ANNOTATION_COLOURS  # noqa: F401  (re-exported)

import math

import numpy as np

SERVICE_COLOURS = {
    "migration": "#6a3d9a", "debt": "#b15928", "family": "#e31a8c", "youth": "#1f78b4",
    "seniors": "#7b6f2a", "health": "#c0392b", "addiction": "#8e5ea2", "employment": "#0f7c6e",
    "housing": "#a65d00", "education": "#2b59c3", "disability": "#4d4d4d", "general": "#5b6770",
}
POI_COLOURS = {
    "grocery": "#2e7d32", "pharmacy": "#c62828", "doctors": "#ad1457", "healthcare": "#d84315",
    "school": "#1565c0", "kindergarten": "#6a1b9a", "university": "#283593", "park": "#558b2f",
    "gym": "#00838f", "cafe": "#6d4c41",
}
OFFICE_COLOUR = "#0b4f8a"
STOP_COLOUR = "#37474f"
BOUNDARY_STYLE = {"color": "#0b4f8a", "weight": 3, "fill": False, "dashArray": "8 6"}
MEASURE_COLOURS = {"planned": "#1f78b4", "in_progress": "#e66101", "completed": "#1a9641"}

POPULATION_COLOURS = ("#fff5d6", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000")
"""Five classes of residents per cell, light to dark."""

WALK_CLASSES_MIN = (5, 10, 15, 20)
"""Upper bounds (minutes) of the walking-time classes; a last class holds longer times."""
WALK_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
UNREACHABLE_COLOUR = "#9e9e9e"

ISOCHRONE_MINUTES = (5, 10, 15)
ISOCHRONE_COLOURS = {5: "#08519c", 10: "#4292c6", 15: "#9ecae1"}

BASEMAP_STREET_STYLE = {"color": "#9a9a9a", "weight": 1.5, "opacity": 0.9}
BASEMAP_BUILDING_STYLE = {"color": "#b9b0a3", "weight": 0.5, "fillColor": "#ddd6cb", "fillOpacity": 0.9}
BASEMAP_AREA_STYLE = {"color": "#cfcfcf", "weight": 0.3, "fillColor": "#ececec", "fillOpacity": 0.8}


def _nice(value: float) -> int:
    """Round a class break up to a readable number: whole numbers up to 20, above that
    1, 1.5, 2, 2.5, 5 or 7.5 × a power of ten (at least 1)."""
    if value <= 1:
        return 1
    if value <= 20:
        return math.ceil(value)
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 5, 7.5, 10):
        if value <= step * exp:
            return int(step * exp)
    return int(10 * exp)


def population_breaks(residents: np.ndarray, classes: int = 5) -> list[int]:
    """Upper bounds of ``classes`` classes of residents per cell (quantiles, rounded nicely).

    The last bound is the maximum. Duplicate bounds after rounding are merged, so fewer
    classes may result for very uniform data.
    """
    values = np.asarray(residents, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return []
    top = math.ceil(values.max())
    qs = np.quantile(values, [i / classes for i in range(1, classes)])
    bounds = sorted({min(_nice(q), top) for q in qs} | {top})
    return [b for b in bounds if b > 0] or [top]


def class_index(value: float, bounds: list[int] | tuple[int, ...]) -> int:
    """Index of the first class whose upper bound is ≥ ``value``; ``len(bounds)`` beyond."""
    for i, bound in enumerate(bounds):
        if value <= bound:
            return i
    return len(bounds)
