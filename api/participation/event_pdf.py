"""The event documentation for the funder as a printable PDF (A4 portrait).

What the office hands to its funder after a Stadtteilwerkstatt or Stadtteilspaziergang:
the quartier's name, the event (local dates in Europe/Berlin, kind, organiser, programme,
funding, attendance, method, duration), the planner's summary and next steps, a vector map
(footpaths and buildings as base map, no tiles, the quartier boundary, the event's place and
the approved contributions numbered as in the table), a legend, the counts by kind and
review state, the table of approved contributions with the staff translations of
non-German ones, the export date and the data credits.

Built from participation data (read by the caller from the store) with the rendering
helpers of :mod:`geoquartier.reports` (map frame and SVG, WeasyPrint offline, DejaVu fonts
for Turkish, Romanian and Cyrillic text). Every text is escaped by Jinja2's autoescape;
numbers drawn on the map are integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
from babel import Locale
from babel.dates import format_date, format_time
from markupsafe import Markup
from shapely.geometry import shape

from api.participation.i18n import page_language, render
from api.participation.report import GEOMETRY_LABELS, counts_by_kind_and_status, export_rows
from api.participation.settings import KINDS, STATUSES
from geoquartier.config import STORAGE_CRS
from geoquartier.reports.render import BASE_CSS, OSM_ATTRIBUTION, write_pdf
from geoquartier.reports.svgmap import (
    MapFrame,
    map_svg,
    metric_geometry,
    numbered_marks_svg,
    shape_svg,
)
from geoquartier.vocabulary import ANNOTATION_COLOURS, TIME_ZONE

MAP_W_MM, MAP_H_MM = 170.0, 118.0
"""The map box on the A4 page (the SVG adds a 5 mm band on each side: 180 × 128 mm)."""
EVENT_PLACE_STYLE = (
    'fill="#000" fill-opacity="0.05" stroke="#000" stroke-width="0.9" stroke-dasharray="1 1.6"'
)
EVENT_POINT_MM = 3.2
"""Radius of the ring that marks an event held at a point (mm on paper)."""
SOURCE_LANGUAGE = "de"
"""The offices' working language: contributions in other languages show a translation."""


def local_datetime(iso: str | None, lang: str) -> str:
    """An ISO 8601 time as local time (Europe/Berlin) in ``lang``: the date in full
    digits and the clock time ("05.12.2026, 10:00"); '' if none."""
    if not iso:
        return ""
    value = datetime.fromisoformat(iso).astimezone(TIME_ZONE)
    return local_text(value, lang)


def local_text(value: datetime, lang: str) -> str:
    """An aware time as date and clock time in Europe/Berlin, in ``lang``'s formats."""
    value = value.astimezone(TIME_ZONE)
    day = format_date(value.date(), "medium", locale=lang)
    return f"{day}, {format_time(value, 'short', tzinfo=TIME_ZONE, locale=lang)}"


def _language_name(code: str | None, lang: str) -> str:
    if not code:
        return ""
    return Locale.parse(lang).languages.get(code, code)


def _translation(row: dict, translations: Mapping[str, Mapping[str, str]], lang: str) -> dict:
    """The translation shown under a non-German contribution: into ``lang`` when that is
    another language than the contribution's, else into German; {} when there is none."""
    if (row.get("language") or SOURCE_LANGUAGE) == SOURCE_LANGUAGE:
        return {}
    mine = translations.get(row["id"]) or {}
    for target in (lang, SOURCE_LANGUAGE):
        if target != row.get("language") and mine.get(target):
            return {"language": _language_name(target, lang), "text": mine[target]}
    return {}


def _frame_area(base: Any, event: dict) -> gpd.GeoDataFrame:
    """What the map must show (EPSG:4326): the boundary and the event's place."""
    boundary = base.layers["quartiers"][["geometry"]]
    place = gpd.GeoDataFrame(geometry=[shape(event["geometry"])], crs=STORAGE_CRS)
    return gpd.GeoDataFrame(geometry=[*boundary.geometry, *place.geometry], crs=STORAGE_CRS)


def _event_place_svg(frame: MapFrame, event: dict) -> str:
    geom = shape(event["geometry"])
    if geom.geom_type != "Point":
        return shape_svg(frame, geom, EVENT_PLACE_STYLE)
    x, y = frame.page_xy(*metric_geometry(geom).coords[0])
    return (
        f'<circle cx="{float(x):.2f}" cy="{float(y):.2f}" r="{EVENT_POINT_MM}" fill="#fff" '
        'fill-opacity="0.6" stroke="#000" stroke-width="0.9"/>'
    )


def documentation_map_svg(base: Any, event: dict, approved: list[dict], tr: Any) -> str:
    """The map: base map of ``base`` (a ``DocumentData`` from
    :func:`geoquartier.reports.data.base_map_data`, EPSG:4326 layers, drawn in EPSG:25832),
    the event's place and the ``approved`` contributions numbered 1..n (their table rows)."""
    frame = MapFrame.fit(_frame_area(base, event), MAP_W_MM, MAP_H_MM)
    marks = [
        {"number": n, "colour": ANNOTATION_COLOURS[r["kind"]], "geometry": shape(r["geometry"])}
        for n, r in enumerate(approved, start=1)
    ]
    return map_svg(
        frame,
        streets=base.streets,
        buildings=base.buildings,
        boundary=base.layers["quartiers"],
        places=[],
        north_letter=tr("N"),
        scale_label=lambda m: f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m",
        grid=False,
        overlay=_event_place_svg(frame, event) + numbered_marks_svg(frame, marks),
    )


def _facts(event: dict, doc: Mapping[str, Any], lang: str, tr: Any) -> list[tuple[str, str]]:
    """The event's facts as (label, value) rows, empty values left out."""
    when = local_datetime(event["start"], lang)
    if event.get("end"):
        when += " – " + local_datetime(event["end"], lang)
    duration = doc.get("duration_min")
    attendance = doc.get("attendance")
    rows = [
        (tr("Date"), when),
        (tr("Kind of event"), event.get("kind") or ""),
        (tr("Organiser"), doc.get("organiser") or ""),
        (tr("Funding"), doc.get("funding") or ""),
        (tr("Attendance"), tr("{n} people", n=attendance) if attendance is not None else ""),
        (tr("Method"), doc.get("method") or ""),
        (tr("Duration"), tr("{n} minutes", n=duration) if duration is not None else ""),
    ]
    return [(label, value) for label, value in rows if value]


def _approved_rows(
    approved: list[dict], translations: Mapping[str, Mapping[str, str]], lang: str, tr: Any
) -> list[dict]:
    return [
        {
            "number": n,
            "kind": tr(r["kind"].capitalize()),
            "colour": ANNOTATION_COLOURS[r["kind"]],
            "text": r["text"],
            "language": _language_name(r.get("language"), lang),
            "translation": _translation(r, translations, lang),
            "geometry": tr(GEOMETRY_LABELS[r["geometry"]["type"]]),
            "paper": r.get("source") == "paper",
            "grid_cell": r.get("grid_cell") or "",
            "submitted": local_datetime(r.get("created_at"), lang),
        }
        for n, r in enumerate(approved, start=1)
    ]


def event_documentation_html(
    event: dict,
    rows: list[dict],
    base: Any,
    *,
    documentation: Mapping[str, Any] | None = None,
    translations: Mapping[str, Mapping[str, str]] | None = None,
    quartier_name: str | None = None,
    lang: str = "de",
    now: datetime | None = None,
) -> str:
    """The documentation of ``event`` (a store row) as one HTML page for WeasyPrint.

    ``rows`` are the event's contributions (store rows, EPSG:4326); only approved ones are
    listed and drawn, all are counted. ``base`` gives the base map (see
    :func:`documentation_map_svg`). ``documentation`` holds the staff's fields
    (:data:`api.participation.documentation_store.DOCUMENTATION_FIELDS`), ``translations``
    ``{annotation id: {language: text}}``. ``now`` is the export time (default: now).
    """
    from api.participation.i18n import Translator

    lang = page_language(lang)
    tr = Translator(lang)
    doc = dict(documentation or {})
    approved = export_rows(rows)
    counts = counts_by_kind_and_status(rows)
    exported = (now or datetime.now(TIME_ZONE)).astimezone(TIME_ZONE)
    return render(
        "event_documentation.html",
        lang,
        css=Markup(BASE_CSS),
        event=event,
        quartier_name=quartier_name or event["quartier"],
        facts=_facts(event, doc, lang, tr),
        doc=doc,
        svg=Markup(documentation_map_svg(base, event, approved, tr)),
        has_streets=base.streets is not None and len(base.streets) > 0,
        kinds=KINDS,
        colours=ANNOTATION_COLOURS,
        statuses=STATUSES,
        counts=counts,
        status_totals={s: sum(counts[k][s] for k in KINDS) for s in STATUSES},
        total=len(rows),
        paper=sum(1 for r in rows if r.get("source") == "paper"),
        approved=_approved_rows(approved, translations or {}, lang, tr),
        exported=format_date(exported.date(), "long", locale=lang),
        exported_time=local_text(exported, lang),
        credits=OSM_ATTRIBUTION,
    )


def event_documentation_pdf(
    event: dict, rows: list[dict], base: Any, output: Path | str | None = None, **options: Any
) -> bytes:
    """The documentation as PDF bytes (A4), also written to ``output`` when given;
    ``options`` are the keyword arguments of :func:`event_documentation_html`."""
    return write_pdf(event_documentation_html(event, rows, base, **options), output)
