"""Texts the documents share: opening hours in words, languages, the numbered place list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from geoquartier.layers.opening_hours import TIMEZONE, OpeningHours
from geoquartier.maps.hours import weekly_lines
from geoquartier.reports.i18n import DocTranslator


def _value(row: Any, key: str) -> Any:
    value = row.get(key) if hasattr(row, "get") else None
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    return value


def hours_text(expression: str | None, state: str, tr: DocTranslator) -> str:
    """The open days of an ``opening_hours`` expression in words ("Dienstag 10:00–13:00 ·
    ..."), or "Opening hours unknown"."""
    if not expression:
        return tr("Opening hours unknown")
    lines = weekly_lines(OpeningHours(expression, state), tr)
    parts = [f"{day} {text}".strip() for day, text in lines if text != tr("closed")]
    return " · ".join(parts) if parts else tr("closed")


def next_opening_text(
    expression: str | None, state: str, tr: DocTranslator, now: datetime | None = None
) -> str | None:
    """When the place opens next after ``now`` ("Mittwoch, 02.12.2026 15:00"; when it is
    open at ``now``, the opening after this one), None if unknown; Europe/Berlin time."""
    if not expression:
        return None
    hours = OpeningHours(expression, state)
    now = now or datetime.now(TIMEZONE)
    at = hours.next_change(now)
    if at is not None and hours.state_at(now) == "open":  # printed: the opening after this
        at = hours.next_change(at)
    if at is None:
        return None
    weekday = tr.weekday_names()[at.weekday()]
    return f"{weekday}, {tr.date(at)} {tr.time(at)}"


def languages_text(codes: Any, tr: DocTranslator) -> str:
    """Language codes (ISO 639-1 list) as names in ``tr``'s language, "" when none."""
    if codes is None or isinstance(codes, float):
        return ""
    return ", ".join(tr.language_name(str(c)) for c in codes)


def wheelchair_text(value: Any, tr: DocTranslator) -> str:
    """The wheelchair value (yes/limited/no/designated) in words."""
    words = {
        "yes": "accessible",
        "limited": "partly accessible",
        "no": "not accessible",
        "designated": "designed for wheelchair users",
    }
    return tr(words.get(str(value), "unknown")) if value is not None else tr("unknown")


def numbered_places(data: Any, tr: DocTranslator, frame: Any = None) -> list[dict]:
    """Offices (first) and advisory services, numbered 1..n, as dicts with ``number, layer,
    name, category, hours, languages, wheelchair, address, phone, walk_min, lon, lat``
    (EPSG:4326; None when unplaced) and ``cell`` (grid square when ``frame`` is given)."""
    state = data.quartier.get("state") or data.spec.state
    offices = data.layers["offices"]
    services = data.layers["services"].sort_values(["category", "name"], kind="stable")
    places = []
    for layer, gdf in (("offices", offices), ("services", services)):
        for _, row in gdf.iterrows():
            geom = row.geometry
            placed = geom is not None and not geom.is_empty
            lon, lat = (geom.x, geom.y) if placed else (None, None)
            places.append(
                {
                    "number": len(places) + 1,
                    "layer": layer,
                    "id": str(row["id"]),
                    "name": str(_value(row, "name") or tr("Unnamed")),
                    "category": tr(str(row["category"])) if layer == "services" else "",
                    "hours": hours_text(_value(row, "opening_hours"), state, tr),
                    "hours_known": _value(row, "opening_hours") is not None,
                    "languages": languages_text(_value(row, "languages"), tr),
                    "wheelchair": wheelchair_text(_value(row, "wheelchair"), tr),
                    "address": _value(row, "address") or "",
                    "phone": _value(row, "phone") or "",
                    "walk_min": data.office_walk_min.get(str(row["id"])),
                    "lon": lon,
                    "lat": lat,
                    "cell": frame.grid_cell(lon, lat) if (frame is not None and placed) else None,
                }
            )
    return places
