"""The printed map as vector SVG: geometries in EPSG:25832 scaled onto the page (millimetres).

:class:`MapFrame` fits the quartier into a map box of the page, keeps the true scale in both
directions and lays a grid of letters × numbers over it (A–H × 1–6), so that a resident can
write "C4: pavement too narrow". :func:`map_svg` draws the base map (walk network and
buildings, no tiles), the boundary, numbered symbols, the grid, a scale bar and a north
arrow.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from string import ascii_uppercase

import geopandas as gpd
import numpy as np
import shapely
from markupsafe import escape
from pyproj import Transformer

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError

GRID_COLUMNS = 8
"""Grid columns, lettered A–H from west to east."""
GRID_ROWS = 6
"""Grid rows, numbered 1–6 from north to south."""
MARGIN_SHARE = 0.06
"""Space left around the quartier's bounding box (share of its larger side)."""
SIMPLIFY_MM = 0.2
"""Geometries are simplified to this tolerance on paper (mm): finer detail does not print,
and fewer points keep the PDF small and fast to make."""
SCALE_STEPS_M = (25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000)

_TO_METRIC = Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)
_TO_STORAGE = Transformer.from_crs(ANALYSIS_CRS, STORAGE_CRS, always_xy=True)
GRID_CELL = re.compile(r"^([A-Z])([1-9][0-9]?)$")
"""A grid square as written on paper: a letter and a number, e.g. "C4"."""

STYLE = {
    "street": 'fill="none" stroke="#9a9a9a" stroke-width="0.25" stroke-linecap="round"',
    "building": 'fill="#d9d3c9" stroke="#b5ab9b" stroke-width="0.08"',
    "boundary": 'fill="none" stroke="#c0392b" stroke-width="0.8" stroke-dasharray="3 1.2"',
    "grid": 'fill="none" stroke="#2c3e50" stroke-width="0.2" stroke-opacity="0.55"',
}
SYMBOL_COLOURS = {"offices": "#c0392b", "services": "#1f5fa8"}
SYMBOL_GAP_MM = 5.4
"""Smallest distance between two numbered symbols; closer ones are moved apart."""

_FONT = 'font-family="DejaVu Sans"'
TEXT = {
    "num": f'{_FONT} font-size="3.2" font-weight="bold" fill="#fff" text-anchor="middle"',
    "grid": f'{_FONT} font-size="3.6" font-weight="bold" fill="#2c3e50" text-anchor="middle"',
    "small": f'{_FONT} font-size="3" fill="#222" text-anchor="middle"',
    "label": f'{_FONT} font-size="2.2" fill="#444"',
}
"""Text styles as SVG presentation attributes (WeasyPrint does not apply page CSS inside SVG)."""


@dataclass(frozen=True)
class MapFrame:
    """The ground area a printed map shows, in EPSG:25832 metres, and its page size in mm.

    ``scale`` is page millimetres per ground metre; x grows east, page y grows south.
    """

    minx: float
    miny: float
    maxx: float
    maxy: float
    width_mm: float
    height_mm: float

    @classmethod
    def fit(cls, boundary: gpd.GeoDataFrame, width_mm: float, height_mm: float) -> MapFrame:
        """The frame that shows ``boundary`` (EPSG:4326) with a margin in a box of the given
        page size, widened in one direction to keep the box's aspect ratio."""
        minx, miny, maxx, maxy = boundary.to_crs(ANALYSIS_CRS).total_bounds
        pad_m = MARGIN_SHARE * max(maxx - minx, maxy - miny)
        minx, miny, maxx, maxy = minx - pad_m, miny - pad_m, maxx + pad_m, maxy + pad_m
        ground_w, ground_h = maxx - minx, maxy - miny
        if ground_w / ground_h < width_mm / height_mm:
            extra = (ground_h * width_mm / height_mm - ground_w) / 2
            minx, maxx = minx - extra, maxx + extra
        else:
            extra = (ground_w * height_mm / width_mm - ground_h) / 2
            miny, maxy = miny - extra, maxy + extra
        return cls(minx, miny, maxx, maxy, width_mm, height_mm)

    @property
    def scale(self) -> float:
        return self.width_mm / (self.maxx - self.minx)

    def page_xy(self, x_m, y_m):
        """Page millimetres of EPSG:25832 coordinates (arrays or scalars)."""
        return (np.asarray(x_m) - self.minx) * self.scale, (
            self.maxy - np.asarray(y_m)
        ) * self.scale

    def grid_cell(self, lon: float, lat: float) -> str | None:
        """The grid square ("C4") of a point given in EPSG:4326, None outside the frame."""
        x_m, y_m = _TO_METRIC.transform(lon, lat)
        col = math.floor((x_m - self.minx) / (self.maxx - self.minx) * GRID_COLUMNS)
        row = math.floor((self.maxy - y_m) / (self.maxy - self.miny) * GRID_ROWS)
        if not (0 <= col < GRID_COLUMNS and 0 <= row < GRID_ROWS):
            return None
        return f"{ascii_uppercase[col]}{row + 1}"

    def cell_bounds(self, cell: str) -> tuple[float, float, float, float]:
        """The ground extent (minx, miny, maxx, maxy in EPSG:25832 metres) of the grid
        square ``cell`` ("C4", case and blanks ignored); the inverse of :meth:`grid_cell`.

        Raises ``GeoquartierError`` naming the cells that exist for anything else.
        """
        col, row = parse_grid_cell(cell)
        cell_w = (self.maxx - self.minx) / GRID_COLUMNS
        cell_h = (self.maxy - self.miny) / GRID_ROWS
        maxy = self.maxy - row * cell_h
        minx = self.minx + col * cell_w
        return minx, maxy - cell_h, minx + cell_w, maxy

    def cell_polygon(self, cell: str) -> shapely.Polygon:
        """The grid square ``cell`` as a polygon in EPSG:4326 (its four corners)."""
        minx, miny, maxx, maxy = self.cell_bounds(cell)
        lon, lat = _TO_STORAGE.transform([minx, maxx, maxx, minx], [miny, miny, maxy, maxy])
        return shapely.Polygon(list(zip(lon, lat, strict=True)))

    def cell_centre(self, cell: str) -> tuple[float, float]:
        """The centre (lon, lat in EPSG:4326) of the grid square ``cell``."""
        minx, miny, maxx, maxy = self.cell_bounds(cell)
        return _TO_STORAGE.transform((minx + maxx) / 2, (miny + maxy) / 2)

    def clip(self, gdf: gpd.GeoDataFrame) -> np.ndarray:
        """Geometries of ``gdf`` (any CRS) in EPSG:25832, clipped to the frame."""
        if gdf is None or gdf.empty:
            return np.array([], dtype=object)
        geoms = gdf.to_crs(ANALYSIS_CRS).geometry.values
        clipped = shapely.clip_by_rect(geoms, self.minx, self.miny, self.maxx, self.maxy)
        clipped = shapely.simplify(clipped, SIMPLIFY_MM / self.scale, preserve_topology=True)
        return clipped[~shapely.is_empty(clipped)]


def grid_cells() -> list[str]:
    """Every grid square, row by row: A1, B1, …, H6."""
    return [f"{ascii_uppercase[c]}{r + 1}" for r in range(GRID_ROWS) for c in range(GRID_COLUMNS)]


def parse_grid_cell(cell: str) -> tuple[int, int]:
    """``"C4"`` → (column 2, row 3), both counted from 0; ``GeoquartierError`` naming the
    squares of the grid (A–H × 1–6) for anything else."""
    match = GRID_CELL.match("".join(str(cell).split()).upper())
    col = ascii_uppercase.index(match.group(1)) if match else GRID_COLUMNS
    row = int(match.group(2)) - 1 if match else GRID_ROWS
    if not (0 <= col < GRID_COLUMNS and 0 <= row < GRID_ROWS):
        last = f"{ascii_uppercase[GRID_COLUMNS - 1]}{GRID_ROWS}"
        raise GeoquartierError(
            f"unknown grid square {str(cell)[:20]!r}; the printed map has A1 to {last} "
            f"(letters A–{ascii_uppercase[GRID_COLUMNS - 1]}, numbers 1–{GRID_ROWS})"
        )
    return col, row


def _path_data(frame: MapFrame, geoms: np.ndarray, close: bool) -> str:
    """SVG path data of lines or polygon rings (EPSG:25832) on the page."""
    parts = []
    rings = shapely.get_rings(geoms) if close else _lines(geoms)
    for ring in rings:
        coords = shapely.get_coordinates(ring)
        if len(coords) < 2:
            continue
        px, py = frame.page_xy(coords[:, 0], coords[:, 1])
        pts = "L".join(f"{x:.1f} {y:.1f}" for x, y in zip(px, py, strict=True))
        parts.append(f"M{pts}{'Z' if close else ''}")
    return "".join(parts)


def _lines(geoms: np.ndarray) -> np.ndarray:
    parts = shapely.get_parts(geoms)
    return parts[shapely.get_type_id(parts) == 1]  # LineString


def base_layers_svg(frame: MapFrame, streets, buildings, boundary) -> str:
    """Buildings, walk network and boundary (all GeoDataFrames, any CRS) as SVG paths."""
    out = []
    if buildings is not None and len(buildings):
        polys = frame.clip(buildings)
        polys = shapely.get_parts(polys[np.isin(shapely.get_type_id(polys), (3, 6, 7))])
        out.append(f'<path {STYLE["building"]} d="{_path_data(frame, polys, True)}"/>')
    if streets is not None and len(streets):
        out.append(f'<path {STYLE["street"]} d="{_path_data(frame, frame.clip(streets), False)}"/>')
    rings = shapely.get_parts(frame.clip(boundary.boundary.to_frame("geometry")))
    out.append(f'<path {STYLE["boundary"]} d="{_path_data(frame, rings, False)}"/>')
    return "\n".join(out)


def symbols_svg(frame: MapFrame, places: list[dict]) -> str:
    """Numbered symbols: ``places`` rows with ``number``, ``layer`` and ``lon``/``lat``
    (EPSG:4326); offices as squares, services as circles."""
    out = []
    taken: list[tuple[float, float]] = []
    for place in places:
        x_m, y_m = _TO_METRIC.transform(place["lon"], place["lat"])
        x, y = frame.page_xy(x_m, y_m)
        if not (0 <= x <= frame.width_mm and 0 <= y <= frame.height_mm):
            continue
        x, y = _free_spot(float(x), float(y), taken)
        taken.append((x, y))
        colour = SYMBOL_COLOURS[place["layer"]]
        shape = (
            f'<rect x="{x - 2.6:.2f}" y="{y - 2.6:.2f}" width="5.2" height="5.2" rx="0.6"'
            if place["layer"] == "offices"
            else f'<circle cx="{x:.2f}" cy="{y:.2f}" r="2.5"'
        )
        out.append(
            f'{shape} fill="{colour}" stroke="#fff" stroke-width="0.4"/>'
            f'<text x="{x:.2f}" y="{y + 1.1:.2f}" {TEXT["num"]}>{place["number"]}</text>'
        )
    return "\n".join(out)


def _free_spot(x: float, y: float, taken: list[tuple[float, float]]) -> tuple[float, float]:
    """(x, y), or the nearest spot on rings around it that keeps :data:`SYMBOL_GAP_MM` from
    every symbol already placed (page mm)."""

    def free(px: float, py: float) -> bool:
        return all(math.hypot(px - tx, py - ty) >= SYMBOL_GAP_MM for tx, ty in taken)

    if free(x, y):
        return x, y
    for ring in range(1, 6):
        for step in range(8 * ring):
            angle = 2 * math.pi * step / (8 * ring)
            px = x + ring * SYMBOL_GAP_MM * math.cos(angle)
            py = y + ring * SYMBOL_GAP_MM * math.sin(angle)
            if free(px, py):
                return px, py
    return x, y


def landmarks_svg(frame: MapFrame, landmarks: gpd.GeoDataFrame | None) -> str:
    """Small grey dots with their names (one label per name) for points given in EPSG:4326."""
    if landmarks is None or landmarks.empty:
        return ""
    pts = landmarks.to_crs(ANALYSIS_CRS)
    x, y = frame.page_xy(pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())
    out, named = [], set()
    for px, py, name in zip(x, y, landmarks["name"].astype(str), strict=True):
        if not (0 <= px <= frame.width_mm and 0 <= py <= frame.height_mm):
            continue
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="0.7" fill="#555"/>')
        if name not in named:
            named.add(name)
            out.append(
                f'<text x="{px + 1.2:.1f}" y="{py + 0.8:.1f}" {TEXT["label"]}>{escape(name)}</text>'
            )
    return "\n".join(out)


def grid_svg(frame: MapFrame) -> str:
    """Grid lines and their letters (top, bottom) and numbers (left, right)."""
    w, h = frame.width_mm, frame.height_mm
    cw, ch = w / GRID_COLUMNS, h / GRID_ROWS
    lines = [f"M{i * cw:.2f} 0V{h:.2f}" for i in range(1, GRID_COLUMNS)]
    lines += [f"M0 {j * ch:.2f}H{w:.2f}" for j in range(1, GRID_ROWS)]
    out = [f'<path {STYLE["grid"]} d="{"".join(lines)}"/>']
    for i in range(GRID_COLUMNS):
        x = (i + 0.5) * cw
        for y in (-1.6, h + 4.2):
            out.append(f'<text x="{x:.2f}" y="{y:.2f}" {TEXT["grid"]}>{ascii_uppercase[i]}</text>')
    for j in range(GRID_ROWS):
        y = (j + 0.5) * ch + 1.3
        for x in (-2.6, w + 2.6):
            out.append(f'<text x="{x:.2f}" y="{y:.2f}" {TEXT["grid"]}>{j + 1}</text>')
    return "\n".join(out)


def scale_bar_svg(frame: MapFrame, scale_label) -> str:
    """A scale bar of a round length, about a fifth of the map width, bottom left."""
    target_m = (frame.maxx - frame.minx) / 5
    length_m = max(s for s in SCALE_STEPS_M if s <= target_m) if target_m >= 25 else 25
    bar_mm = length_m * frame.scale
    x0, y0 = 4.0, frame.height_mm - 6.0
    half = bar_mm / 2
    return (
        f'<g class="scalebar"><rect x="{x0 - 2}" y="{y0 - 6}" width="{bar_mm + 16:.2f}" '
        f'height="9.5" fill="#fff" fill-opacity="0.85"/>'
        f'<rect x="{x0}" y="{y0}" width="{half:.2f}" height="1.6" fill="#222"/>'
        f'<rect x="{x0 + half:.2f}" y="{y0}" width="{half:.2f}" height="1.6" fill="#fff" '
        f'stroke="#222" stroke-width="0.25"/>'
        f'<text x="{x0}" y="{y0 - 1.2}" {TEXT["small"]}>0</text>'
        f'<text x="{x0 + bar_mm:.2f}" y="{y0 - 1.2}" {TEXT["small"]}>'
        f"{escape(scale_label(length_m))}</text>"
        "</g>"
    )


def north_arrow_svg(frame: MapFrame, letter: str) -> str:
    """A north arrow in the top right corner (EPSG:25832 grid north, within 1° of true north
    in Germany), labelled with ``letter``."""
    x, y = frame.width_mm - 9.0, 5.0
    return (
        f'<g class="north"><circle cx="{x}" cy="{y + 6}" r="7" fill="#fff" fill-opacity="0.85"/>'
        f'<path d="M{x} {y + 1}L{x + 3.2} {y + 10}L{x} {y + 8}L{x - 3.2} {y + 10}Z" fill="#222"/>'
        f'<text x="{x}" y="{y + 14.5}" {TEXT["small"]}>{escape(letter)}</text></g>'
    )


def map_svg(
    frame: MapFrame,
    *,
    streets,
    buildings,
    boundary,
    places,
    north_letter,
    scale_label,
    grid: bool = True,
    landmarks: gpd.GeoDataFrame | None = None,
    overlay: str = "",
) -> str:
    """The whole map as one ``<svg>`` element sized in millimetres (inputs as above).

    The grid labels sit in a 5 mm band around the map, so the element is 10 mm larger than
    the frame in both directions. ``landmarks`` (points with ``name``, EPSG:4326), e.g. the
    transit stops, are drawn as small labelled dots for orientation. ``overlay`` is SVG
    drawn over the base map inside the frame (e.g. :func:`numbered_marks_svg`).
    """
    pad = 5.0
    w, h = frame.width_mm + 2 * pad, frame.height_mm + 2 * pad
    body = "\n".join(
        [
            f'<clipPath id="frame"><rect x="0" y="0" width="{frame.width_mm:.2f}" '
            f'height="{frame.height_mm:.2f}"/></clipPath>',
            '<g clip-path="url(#frame)">',
            base_layers_svg(frame, streets, buildings, boundary),
            overlay,
            "</g>",
            landmarks_svg(frame, landmarks),
            grid_svg(frame) if grid else "",
            symbols_svg(frame, places),
            scale_bar_svg(frame, scale_label),
            north_arrow_svg(frame, north_letter),
            f'<rect x="0" y="0" width="{frame.width_mm:.2f}" height="{frame.height_mm:.2f}" '
            'fill="none" stroke="#222" stroke-width="0.35"/>',
        ]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.2f}mm" height="{h:.2f}mm" '
        f'viewBox="{-pad} {-pad} {w:.2f} {h:.2f}" class="map">{body}</svg>'
    )


def quartier_map_svg(frame: MapFrame, data, places, tr, **options) -> str:
    """The quartier of ``data`` (a ``DocumentData``, EPSG:4326 layers; drawn in EPSG:25832)
    as :func:`map_svg`: its streets, buildings and boundary, the numbered ``places`` that
    have a position, the north arrow and a scale bar in ``tr``'s language. ``options``:
    the other keyword arguments of :func:`map_svg` (``grid``, ``landmarks``)."""
    return map_svg(
        frame,
        streets=data.streets,
        buildings=data.buildings,
        boundary=data.layers["quartiers"],
        places=[p for p in places if p["lon"] is not None],
        north_letter=tr("N"),
        scale_label=lambda m: f"{tr.number(m / 1000)} km" if m >= 1000 else f"{tr.number(m)} m",
        **options,
    )


def metric_geometry(geom):
    """A shapely geometry from EPSG:4326 to EPSG:25832."""
    return shapely.transform(
        geom, lambda xy: np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1]))
    )


def shape_svg(frame: MapFrame, geom, style: str) -> str:
    """One line or area (shapely, EPSG:4326) as an SVG path with the presentation attributes
    ``style``; "" for points and empty geometries."""
    if geom is None or geom.is_empty or geom.geom_type in ("Point", "MultiPoint"):
        return ""
    metric = np.array([metric_geometry(geom)], dtype=object)
    close = geom.geom_type in ("Polygon", "MultiPolygon")
    return f'<path {style} d="{_path_data(frame, metric, close)}"/>'


def mark_point(geom):
    """Where a numbered mark sits on a geometry (EPSG:4326): the point itself, the middle
    of a line, a point inside an area."""
    if geom.geom_type == "Point":
        return geom
    if geom.geom_type in ("LineString", "MultiLineString"):
        return shapely.line_interpolate_point(geom, 0.5, normalized=True)
    return geom.representative_point()


def numbered_marks_svg(frame: MapFrame, marks: list[dict]) -> str:
    """Numbered circles in their colour: ``marks`` rows with ``number``, ``colour`` and
    ``geometry`` (shapely, EPSG:4326). Lines and areas are drawn in the colour under their
    circle; circles that would overlap are moved apart (see :func:`_free_spot`)."""
    shapes, circles = [], []
    taken: list[tuple[float, float]] = []
    for mark in marks:
        geom, colour = mark["geometry"], escape(mark["colour"])
        shapes.append(
            shape_svg(
                frame,
                geom,
                f'fill="{colour}" fill-opacity="0.18" stroke="{colour}" stroke-width="0.7"',
            )
        )
        point = metric_geometry(mark_point(geom))
        x, y = frame.page_xy(point.x, point.y)
        if not (0 <= x <= frame.width_mm and 0 <= y <= frame.height_mm):
            continue
        x, y = _free_spot(float(x), float(y), taken)
        taken.append((x, y))
        circles.append(
            f'<circle cx="{x:.2f}" cy="{y:.2f}" r="2.5" fill="{colour}" stroke="#000" '
            f'stroke-width="0.3"/><text x="{x:.2f}" y="{y + 1.1:.2f}" {TEXT["num"]}>'
            f"{int(mark['number'])}</text>"
        )
    return "\n".join(shapes + circles)
