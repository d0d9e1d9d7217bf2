"""The workshop map (Werkstattkarte): a vector PDF to print and write on at a workshop.

Base map from the walk network and the building footprints (no tiles), the boundary, the
offices and advisory services as numbered symbols with a numbered list (name, hours,
languages, grid square), a grid A–H × 1–6, scale bar, north arrow, title, date, data
credits and a QR code to the participation page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geoquartier.errors import GeoquartierError
from geoquartier.reports.data import DocumentData
from geoquartier.reports.i18n import DocTranslator
from geoquartier.reports.render import (
    BASE_CSS,
    attribution,
    participation_url,
    qr_svg,
    template,
    today,
    uses_zensus,
    write_pdf,
)
from geoquartier.reports.svgmap import MapFrame, quartier_map_svg
from geoquartier.reports.texts import numbered_places

PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""Portrait width × height of the paper sizes (mm)."""
ORIENTATIONS = ("landscape", "portrait")
PAGE_MARGIN_MM = 10.0
HEADER_MM = 21.0
FOOTER_MM = 9.0
PORTRAIT_MAP_SHARE = {"A3": 0.64, "A4": 0.55}
"""Share of the page height the map takes in portrait (the list fills the rest)."""
GRID_BAND_MM = 5.0
"""Band around the map that holds the grid letters and numbers (see svgmap.map_svg)."""


@dataclass(frozen=True)
class PageLayout:
    """Page and map box sizes in millimetres."""

    size: str
    orientation: str
    page_w: float
    page_h: float
    map_w: float
    map_h: float
    side_w: float


def page_layout(size: str = "A3", orientation: str = "landscape") -> PageLayout:
    """The layout of the workshop map on ``size`` (A3, A4) paper in ``orientation``:
    landscape puts the list beside the map, portrait below it."""
    if size not in PAGE_SIZES_MM:
        raise GeoquartierError(f"unknown paper size {size!r}; choose one of A3, A4")
    if orientation not in ORIENTATIONS:
        raise GeoquartierError(
            f"unknown orientation {orientation!r}; choose one of {', '.join(ORIENTATIONS)}"
        )
    w, h = PAGE_SIZES_MM[size]
    if orientation == "landscape":
        w, h = h, w
    inner_w, inner_h = w - 2 * PAGE_MARGIN_MM, h - 2 * PAGE_MARGIN_MM - HEADER_MM - FOOTER_MM
    if orientation == "landscape":
        side_w = round(0.30 * inner_w)
        map_w, map_h = inner_w - side_w - 4 - 2 * GRID_BAND_MM, inner_h - 2 * GRID_BAND_MM
    else:
        side_w = inner_w
        map_share = PORTRAIT_MAP_SHARE[size]
        map_w, map_h = inner_w - 2 * GRID_BAND_MM, map_share * inner_h - 2 * GRID_BAND_MM
    return PageLayout(size, orientation, w, h, map_w, map_h, side_w)


def print_frame(
    boundary: gpd.GeoDataFrame, size: str = "A3", orientation: str = "landscape"
) -> MapFrame:
    """The map frame (and so the grid A–H × 1–6) of the workshop map of ``boundary``
    (the quartier's row of the ``quartiers`` layer, EPSG:4326) printed on ``size`` paper in
    ``orientation``: :meth:`MapFrame.grid_cell` and :meth:`MapFrame.cell_centre` turn
    points into the squares written on that sheet and back."""
    layout = page_layout(size, orientation)
    return MapFrame.fit(boundary, layout.map_w, layout.map_h)


def workshop_map_html(
    data: DocumentData,
    *,
    lang: str = "de",
    size: str = "A3",
    orientation: str = "landscape",
    event_id: str | None = None,
    event_title: str | None = None,
    base_url: str | None = None,
) -> str:
    """The workshop map as one HTML page (inline SVG, no external resources).

    ``data`` from :func:`geoquartier.reports.data.collect_document_data` (EPSG:4326 layers;
    drawn in EPSG:25832). ``base_url`` overrides the public URL of the QR code.
    """
    tr = DocTranslator(lang)
    layout = page_layout(size, orientation)
    frame = print_frame(data.layers["quartiers"], size, orientation)
    places = numbered_places(data, tr, frame)
    url = participation_url(data.spec.id, event_id, base_url)
    landmarks = None if _has_base(data) else _stops_without_city(data)
    svg = quartier_map_svg(frame, data, places, tr, landmarks=landmarks)
    qrblock = template("qr_block.html").render(
        qr=qr_svg(url), t_scan=tr("Scan to take part online"), url=url
    )
    return template("workshop.html").render(
        qrblock=_markup(qrblock),
        lang=lang,
        css=_markup(BASE_CSS),
        HEADER=HEADER_MM,
        L=layout,
        margin=PAGE_MARGIN_MM,
        title=tr("Workshop map: {quartier}", quartier=data.name),
        printed=tr("Printed on {date}", date=tr.date(today(), "long")),
        event=tr("Event: {event}", event=event_title or data.event_title(event_id) or event_id)
        if event_id
        else None,
        base_note=tr("Base map: footpaths and buildings")
        if _has_base(data)
        else tr("Transit stops"),
        svg=_markup(svg),
        hint=tr("Write where you mean with the grid square, e.g. “C4: pavement too narrow”."),
        t_places=tr("Offices and advisory services"),
        places=places,
        t_languages=tr("Languages"),
        t_data=tr("Map data"),
        credits=attribution(uses_zensus(data.quartier.get("population_source"))),
    )


def _stops_without_city(data: DocumentData):
    """The transit stops (EPSG:4326) with a leading "City, " dropped from their names."""
    stops = data.placed("stops").copy()
    prefix = f"{data.quartier.get('city') or ''}, "
    stops["name"] = [
        n[len(prefix) :] if n.startswith(prefix) else n for n in stops["name"].astype(str)
    ]
    return stops


def _has_base(data: DocumentData) -> bool:
    """Whether there are footpaths or buildings to draw as base map."""
    return bool((data.streets is not None and len(data.streets)) or len(data.buildings))


def _markup(svg: str):
    from markupsafe import Markup

    return Markup(svg)


def workshop_map_pdf(data: DocumentData, output: Path | str | None = None, **options) -> bytes:
    """The workshop map as PDF bytes, also written to ``output`` when given; ``options``
    are the keyword arguments of :func:`workshop_map_html` (``lang``, ``size``,
    ``orientation``, ``event_id``, ``event_title``, ``base_url``)."""
    return write_pdf(workshop_map_html(data, **options), output)
