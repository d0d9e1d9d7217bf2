"""Checks on a resident's submission: geometry, text, kind and language.

Every check raises :class:`SubmissionError` with a message naming the field and what would
be accepted; nothing is stored unless all checks pass. Geometries arrive as GeoJSON in
EPSG:4326 (longitude, latitude in degrees); distances, lengths and areas are checked in
EPSG:25832 (metres).
"""

from __future__ import annotations

import math
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from api.errors import api_error
from api.participation.settings import KINDS, Limits
from geoquartier.errors import GeoquartierError
from geoquartier.layers.validate import clean_text
from geoquartier.vocabulary import ANALYSIS_CRS, STORAGE_CRS

GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
"""Geometry types a resident can draw: a pin, a line, an area."""

_NESTING = {"Point": 0, "LineString": 1, "Polygon": 2}
"""Depth of the position arrays of each geometry type."""

_TO_METRIC = pyproj.Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)


class SubmissionError(GeoquartierError):
    """A submission was refused; ``field`` names the part that is wrong.

    ``code`` (one of :data:`ERROR_CODES`) and ``params`` (numbers in the units of their
    names) let a page say the same in the resident's language; the English message stays
    the ``detail`` of the answer.
    """

    def __init__(
        self,
        field: str,
        message: str,
        status: int = 422,
        code: str = "invalid_submission",
        params: dict[str, Any] | None = None,
    ):
        self.field = field
        self.status = status
        self.code = code
        self.params = {"field": field, **(params or {})}
        super().__init__(f"{field}: {message}")


ERROR_CODES = (
    "invalid_submission",
    "invalid_geometry",
    "too_many_vertices",
    "line_too_long",
    "area_too_large",
    "outside_quartier",
    "text_empty",
    "text_too_long",
    "unknown_kind",
    "unknown_language",
    "unknown_event",
    "idempotency_conflict",
    "too_many_submissions",
    "unknown_quartier",
    "body_too_large",
    "unknown_option",
    "too_many_choices",
    "answer_required",
    "route_too_short",
    "implausible_route",
    "already_answered",
)
"""Machine-readable codes of refused submissions (``code`` beside ``detail``)."""


class UnknownQuartier(GeoquartierError):
    """The quartier id is not in the registry (or has no boundary)."""


@dataclass(frozen=True)
class QuartierArea:
    """A quartier's boundary in EPSG:4326 and, buffered by the margin, in EPSG:25832."""

    id: str
    boundary: BaseGeometry
    allowed_metric: BaseGeometry


_areas: dict[tuple[int, str, float], tuple[object, QuartierArea]] = {}
_areas_lock = threading.Lock()


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` from EPSG:4326 (degrees) to EPSG:25832 (metres)."""

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_METRIC.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, project)


def quartier_area(quartier: str, registry: dict[str, Any], limits: Limits) -> QuartierArea:
    """The boundary of ``quartier`` (EPSG:4326) from ``registry``, with its allowed area
    (boundary + ``limits.margin_m`` metres, EPSG:25832).

    Raises :class:`UnknownQuartier` for an unknown id or a quartier without a boundary.
    """
    key = (id(registry), quartier, limits.margin_m)
    cached = _areas.get(key)
    if cached is not None and cached[0] is registry:
        return cached[1]
    spec = registry.get(quartier)
    if spec is None:
        raise UnknownQuartier(f"unknown quartier {quartier!r}; known: {', '.join(registry)}")
    boundary = spec.boundary
    if boundary is None:
        raise UnknownQuartier(
            f"quartier {quartier!r} has no boundary in the data; annotations need one"
        )
    area = QuartierArea(quartier, boundary, to_metric(boundary).buffer(limits.margin_m))
    shapely.prepare(area.allowed_metric)
    with _areas_lock:
        if len(_areas) > 256:  # registries replaced many times (tests): start afresh
            _areas.clear()
        _areas[key] = (registry, area)
    return area


def area_or_404(quartier: str, registry: dict[str, Any], limits: Limits) -> QuartierArea:
    """:func:`quartier_area` for a route: an unknown quartier answers 404."""
    try:
        return quartier_area(quartier, registry, limits)
    except UnknownQuartier as exc:
        raise api_error(404, str(exc)) from None


def check_geometry(geojson: Any, area: QuartierArea, limits: Limits) -> BaseGeometry:
    """A GeoJSON geometry (EPSG:4326) checked and returned as a shapely geometry (EPSG:4326).

    Accepts Point, LineString and Polygon that are valid, have finite coordinates in
    degree range, at most ``limits.max_vertices`` vertices, at most ``max_length_m``
    metres of line, ``max_area_m2`` square metres of area (measured in EPSG:25832), and
    lie inside the quartier boundary of ``area`` widened by ``margin_m`` metres.
    """
    gtype, coords = _type_and_coordinates(geojson)
    _check_positions(coords, gtype, limits)
    geom = _shape(gtype, coords, limits)
    metric = to_metric(geom)
    _check_size(gtype, metric, limits)
    _check_inside(area, metric, limits)
    return geom


def _type_and_coordinates(geojson: Any) -> tuple[str, list]:
    if not isinstance(geojson, dict):
        raise SubmissionError(
            "geometry", "expected a GeoJSON geometry object", code="invalid_geometry"
        )
    gtype = geojson.get("type")
    if gtype not in GEOMETRY_TYPES:
        raise SubmissionError(
            "geometry",
            f"type {gtype!r} is not accepted; expected one of {GEOMETRY_TYPES}",
            code="invalid_geometry",
        )
    coords = geojson.get("coordinates")
    if not isinstance(coords, list):
        raise SubmissionError("geometry", "'coordinates' must be a list", code="invalid_geometry")
    return gtype, coords


def _check_positions(coords: list, gtype: str, limits: Limits) -> None:
    """Count and range-check the positions before building anything (a huge list or a
    huge number is refused cheaply)."""
    flat = _flatten_positions(coords, depth=_NESTING[gtype], max_positions=limits.max_vertices + 2)
    if len(flat) > limits.max_vertices + 1:
        raise SubmissionError(
            "geometry",
            f"too many vertices (more than {limits.max_vertices}); draw a simpler shape",
            code="too_many_vertices",
            params={"max_vertices": limits.max_vertices},
        )
    for lon, lat in flat:
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise SubmissionError(
                "geometry", "coordinates must be finite numbers", code="invalid_geometry"
            )
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise SubmissionError(
                "geometry",
                f"coordinate ({lon}, {lat}) is not longitude/latitude in degrees "
                "(EPSG:4326, longitude first)",
                code="invalid_geometry",
            )


def _shape(gtype: str, coords: list, limits: Limits) -> BaseGeometry:
    try:
        geom = shape({"type": gtype, "coordinates": coords})
    except (ValueError, TypeError, IndexError, shapely.errors.GEOSException) as exc:
        raise SubmissionError(
            "geometry", f"malformed {gtype}: {str(exc).strip()}", code="invalid_geometry"
        ) from None
    if geom.is_empty:
        raise SubmissionError("geometry", "the geometry is empty", code="invalid_geometry")
    if shapely.get_coordinate_dimension(geom) != 2:
        geom = shapely.force_2d(geom)
    vertices = int(shapely.get_num_coordinates(geom))
    if vertices > limits.max_vertices:
        raise SubmissionError(
            "geometry",
            f"{vertices} vertices; at most {limits.max_vertices} are accepted",
            code="too_many_vertices",
            params={"max_vertices": limits.max_vertices},
        )
    if not geom.is_valid:
        raise SubmissionError(
            "geometry", f"invalid {gtype}: {explain_validity(geom)}", code="invalid_geometry"
        )
    return geom


def _check_size(gtype: str, metric: BaseGeometry, limits: Limits) -> None:
    if gtype == "LineString" and metric.length > limits.max_length_m:
        raise SubmissionError(
            "geometry",
            f"the line is {metric.length:.0f} m long; at most "
            f"{limits.max_length_m:.0f} m are accepted",
            code="line_too_long",
            params={"length_m": round(metric.length), "max_length_m": round(limits.max_length_m)},
        )
    if gtype == "Polygon" and metric.area > limits.max_area_m2:
        raise SubmissionError(
            "geometry",
            f"the area is {metric.area:.0f} m²; at most {limits.max_area_m2:.0f} m² are accepted",
            code="area_too_large",
            params={"area_m2": round(metric.area), "max_area_m2": round(limits.max_area_m2)},
        )


def _check_inside(area: QuartierArea, metric: BaseGeometry, limits: Limits) -> None:
    if area.allowed_metric.covers(metric):
        return
    distance_m = to_metric(area.boundary).distance(metric)
    where = f"{distance_m:.0f} m outside" if distance_m > 0 else "partly outside"
    raise SubmissionError(
        "geometry",
        f"the geometry lies {where} quartier {area.id!r}; it must be within "
        f"{limits.margin_m:.0f} m of the quartier boundary",
        code="outside_quartier",
        params={"distance_m": round(distance_m), "margin_m": round(limits.margin_m)},
    )


def _position(node: Any) -> tuple[float, float]:
    """One GeoJSON position as (longitude, latitude) floats."""
    if (
        not isinstance(node, list)
        or len(node) not in (2, 3)
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in node)
    ):
        raise SubmissionError(
            "geometry",
            "each position must be [longitude, latitude] in degrees",
            code="invalid_geometry",
        )
    try:
        return float(node[0]), float(node[1])
    except OverflowError:  # an integer with hundreds of digits
        raise SubmissionError(
            "geometry",
            "a coordinate is far too large for longitude/latitude in degrees (EPSG:4326)",
            code="invalid_geometry",
        ) from None


def _flatten_positions(coords: Any, depth: int, max_positions: int) -> list[tuple[float, float]]:
    """Positions of a GeoJSON coordinates array of nesting ``depth`` (0 = one position)."""
    out: list[tuple[float, float]] = []

    def walk(node: Any, level: int) -> None:
        if len(out) > max_positions:
            return
        if level == 0:
            out.append(_position(node))
            return
        if not isinstance(node, list) or not node:
            raise SubmissionError(
                "geometry",
                "coordinates are nested wrongly for this type",
                code="invalid_geometry",
            )
        for child in node:
            walk(child, level - 1)

    walk(coords, depth)
    return out


def check_text(text: Any, limits: Limits) -> str:
    """The resident's text, NFC-normalised, without control characters, trimmed (blanks
    and zero-width characters at the ends); 1 to ``max_text_chars`` characters."""
    if not isinstance(text, str):
        raise SubmissionError("text", "expected a string", code="text_empty")
    text = clean_text(unicodedata.normalize("NFC", text).replace("\r\n", "\n"))
    if not text:
        raise SubmissionError(
            "text",
            "the text is empty (only blanks, control or zero-width characters)",
            code="text_empty",
        )
    if len(text) > limits.max_text_chars:
        raise SubmissionError(
            "text",
            f"{len(text)} characters; at most {limits.max_text_chars} are accepted",
            code="text_too_long",
            params={"chars": len(text), "max_chars": limits.max_text_chars},
        )
    return text


def check_kind(kind: Any) -> str:
    """The annotation kind: one of idea, problem, praise, question."""
    if kind not in KINDS:
        raise SubmissionError(
            "kind", f"unknown kind {kind!r}; expected one of {list(KINDS)}", code="unknown_kind"
        )
    return kind


_ISO_639_1: frozenset[str] | None = None


def iso_639_1_codes() -> frozenset[str]:
    """The two-letter ISO 639-1 language codes (from Babel's CLDR data)."""
    global _ISO_639_1
    if _ISO_639_1 is None:
        from babel import Locale

        _ISO_639_1 = frozenset(
            code for code in Locale("en").languages if len(code) == 2 and code.isalpha()
        )
    return _ISO_639_1


def check_language(language: Any) -> str | None:
    """An ISO 639-1 language code (lower case), or None when not given."""
    if language is None or language == "":
        return None
    if not isinstance(language, str):
        raise SubmissionError(
            "language",
            "expected an ISO 639-1 code such as 'de' or 'tr'",
            code="unknown_language",
        )
    code = language.strip().lower()
    if code not in iso_639_1_codes():
        raise SubmissionError(
            "language",
            f"{language!r} is not an ISO 639-1 code (two letters, e.g. 'de', 'tr')",
            code="unknown_language",
        )
    return code
