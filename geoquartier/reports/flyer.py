"""The offer overview flyer: A4, the office on the first page, the advisory services on the
second (continuing on further pages when the list is long), in one language.

Page 1: the office (address, phone, opening hours in words, the next opening, languages),
a small map and the QR code to the participation page. Page 2: the advisory services
grouped by category with languages, wheelchair access and walking minutes from the office
("about" when the quartier has no footpath network and the times are estimates).
"""

from __future__ import annotations

import math
from datetime import datetime
from itertools import groupby
from pathlib import Path

from markupsafe import Markup

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
from geoquartier.reports.texts import next_opening_text, numbered_places

FLYER_MAP_MM = (125.0, 120.0)
"""Width × height of the small map on the flyer (mm)."""


def walk_text(walk_min: float | None, method: str, tr: DocTranslator) -> str:
    """Walking minutes from the office in words; "about" for estimates; "" when unknown."""
    if walk_min is None or not math.isfinite(walk_min):
        return ""
    minutes = max(1, round(walk_min))
    if method == "estimate":
        return tr("about {minutes} min walk from the office", minutes=minutes)
    return tr("{minutes} min walk from the office", minutes=minutes)


def _office_block(data: DocumentData, place: dict, tr: DocTranslator, now=None) -> dict:
    state = data.quartier.get("state") or data.spec.state
    row = data.layers["offices"].set_index("id").loc[place["id"]]
    expression = row.get("opening_hours")
    expression = expression if isinstance(expression, str) else None
    nxt = next_opening_text(expression, state, tr, now)
    return {**place, "next": tr("Next opening: {when}", when=nxt) if nxt else ""}


def flyer_html(
    data: DocumentData, *, lang: str = "de", base_url: str | None = None, now=None
) -> str:
    """The flyer as one HTML document (inline SVG, no external resources).

    ``data`` from :func:`geoquartier.reports.data.collect_document_data` with walking
    (EPSG:4326 layers; the map is drawn in EPSG:25832). ``now`` (aware datetime) fixes the
    moment of "next opening" (default: now, Europe/Berlin).
    """
    tr = DocTranslator(lang)
    places = numbered_places(data, tr)
    offices = [_office_block(data, p, tr, now) for p in places if p["layer"] == "offices"]
    services = [p for p in places if p["layer"] == "services"]
    for p in services:
        p["walk"] = walk_text(p["walk_min"], data.method, tr)
    groups = [(cat, list(rows)) for cat, rows in groupby(services, key=lambda p: p["category"])]
    boundary = data.layers["quartiers"]
    frame = MapFrame.fit(boundary, *FLYER_MAP_MM)
    svg = quartier_map_svg(frame, data, places, tr, grid=False)
    url = participation_url(data.spec.id, None, base_url)
    return template("flyer.html").render(
        lang=lang,
        css=Markup(BASE_CSS),
        tr=tr,
        quartier=data.name,
        offices=offices,
        groups=groups,
        svg=Markup(svg),
        qr=qr_svg(url),
        url=url,
        estimate_note=tr("Walking times are estimates (straight line × detour factor).")
        if data.method == "estimate" and services
        else "",
        printed=tr("Printed on {date}", date=tr.date(today(), "long")),
        credits=attribution(uses_zensus(data.quartier.get("population_source"))),
    )


def flyer_pdf(
    data: DocumentData,
    output: Path | str | None = None,
    *,
    lang: str = "de",
    base_url: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The flyer as PDF bytes, also written to ``output`` when given (arguments as for
    :func:`flyer_html`)."""
    return write_pdf(flyer_html(data, lang=lang, base_url=base_url, now=now), output)
