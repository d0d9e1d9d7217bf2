"""Popup and list HTML for offices, services, daily needs, stops, measures, contributions.

Every value from the data passes through :func:`geoquartier.maps.escape.text`; labels come
from the catalogs. Opening hours are written out per weekday (Babel) and carry a
``data-hours`` key whose "open now / opens Tuesday 10:00" text the page script fills in
at view time from the intervals collected in :class:`HoursBook`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from babel.numbers import format_currency

from geoquartier.layers.opening_hours import OpeningHours
from geoquartier.layers.schema import POI_CATEGORIES, SERVICE_CATEGORIES
from geoquartier.maps.escape import is_missing, text
from geoquartier.maps.hours import encode_intervals, weekly_lines
from geoquartier.maps.i18n import Translator
from geoquartier.vocabulary import ANNOTATION_KINDS, TIME_ZONE_NAME

OFFICE_KINDS = ("stadtteilbuero", "stadtteilagentur", "anlaufstelle")
WHEELCHAIR_LABELS = {
    "yes": "accessible",
    "limited": "partly accessible",
    "no": "not accessible",
    "designated": "designed for wheelchair users",
}
MEASURE_STATUS_LABELS = {
    "planned": "planned",
    "in_progress": "in progress",
    "completed": "completed",
}
"""msgids of the measure statuses (:data:`geoquartier.layers.schema.MEASURE_STATUS`)."""
WALK_MSGIDS = {
    (True, False): "{minutes} min walk from the office",
    (False, False): "{minutes} min walk",
    (True, True): "about {minutes} min walk from the office, estimated",
    (False, True): "about {minutes} min walk, estimated",
}
"""msgids of a walking time: ``(from the office, estimated)``."""
SOURCE_LABELS = {
    "osm": "OpenStreetMap",
    "osm-derived": "OpenStreetMap",
    "overpass": "OpenStreetMap",
    "gtfs": "GTFS (NASA GmbH, MVB)",
    "zensus2022": "Zensus 2022",
    "zensus": "Zensus 2022",
    "registry": "geoquartier",
}
"""Source names shown to residents, by the prefix of a record's ``source``."""
CATEGORIES = frozenset(SERVICE_CATEGORIES + POI_CATEGORIES)
"""Categories whose label is a catalog msgid (the schema's controlled vocabularies)."""


@dataclass
class HoursBook:
    """Collects the encoded opening intervals of every place shown (for the page config).

    ``state`` is the quartier's state (holidays); ``start`` the aware build time from which
    twelve months of intervals are computed.
    """

    state: str
    start: datetime
    entries: dict[str, dict] = field(default_factory=dict)
    _cache: dict[str, tuple] = field(default_factory=dict)

    def add(self, key: str, expression: Any) -> tuple[OpeningHours | None, str | None]:
        """Parse ``expression``; store its intervals under ``key``.

        Returns ``(hours, key)``, or ``(None, None)`` if the expression is empty or invalid.
        """
        if is_missing(expression):
            return None, None
        expression = str(expression).strip()
        if expression not in self._cache:
            try:
                hours = OpeningHours(expression, state=self.state)
                encoded = encode_intervals(hours, self.start)
            except ValueError:
                hours, encoded = None, None
            self._cache[expression] = (hours, encoded)
        hours, encoded = self._cache[expression]
        if hours is None:
            return None, None
        self.entries[key] = encoded
        return hours, key


def _value(row: Any, name: str) -> Any:
    try:
        value = row[name]
    except (KeyError, IndexError):
        return None
    if isinstance(value, (list, tuple)):
        return value
    return None if is_missing(value) else value


def hours_html(tr: Translator, book: HoursBook, key: str, expression: Any) -> str:
    """Status placeholder plus the weekly table, or the raw text if it cannot be parsed."""
    hours, hkey = book.add(key, expression)
    if hours is None:
        if is_missing(expression):
            return f'<span class="gq-status gq-st-u">{text(tr("Opening hours unknown"))}</span>'
        unknown = f'<span class="gq-status gq-st-u">{text(tr("Status unknown"))}</span>'
        return f"{unknown} <span>{text(expression)}</span>"
    rows = "".join(
        f'<tr><th scope="row">{text(day)}</th><td>{text(span)}</td></tr>'
        if day
        else f'<tr><td colspan="2">{text(span)}</td></tr>'
        for day, span in weekly_lines(hours, tr)
    )
    return (
        f'<span class="gq-status gq-st-u" role="status" data-hours="{text(hkey)}">'
        f"{text(tr('Status unknown'))}</span>"
        f'<table class="gq-hours"><caption class="gq-meta">{text(tr("Opening hours"))}</caption>'
        f"<tbody>{rows}</tbody></table>"
    )


def _languages(tr: Translator, codes: Any) -> str:
    if codes is None or isinstance(codes, float):
        return ""
    if isinstance(codes, str):
        codes = [c.strip() for c in re.split(r"[;,\s]+", codes) if c.strip()]
    return ", ".join(tr.language_name(str(c)) for c in codes)


def wheelchair_text(tr: Translator, value: Any) -> str:
    """The wheelchair value in words ("unknown" when not tagged)."""
    label = WHEELCHAIR_LABELS.get(str(value)) if not is_missing(value) else None
    return tr(label) if label else tr("unknown")


def walk_text(
    tr: Translator, walk_min: Any, from_office: bool = True, estimate: bool = False
) -> str:
    """ "7 min walk from the office" (rounded up), or "" when unknown; an ``estimate``
    says so where the number stands ("about 7 min walk from the office, estimated")."""
    if walk_min is None or is_missing(walk_min):
        return ""
    minutes = max(1, int(-(-float(walk_min) // 1)))
    msg = WALK_MSGIDS[(from_office, estimate)]
    return tr(msg, minutes=tr.number(minutes))


def source_label(value: Any) -> str:
    """A data source in words for residents ("OpenStreetMap", "GTFS", "Zensus 2022"), not
    the file or record it was read from; other sources as their name before the first ":"."""
    if is_missing(value) or not str(value).strip():
        return ""
    prefix = str(value).split(":", 1)[0].strip().lower()
    return SOURCE_LABELS.get(prefix, prefix)


def _dl(pairs: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{text(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f"<dl>{items}</dl>" if items else ""


def _phone(value: Any) -> str:
    if is_missing(value):
        return ""
    digits = re.sub(r"[^0-9+]", "", str(value))
    return f'<a href="tel:{digits}">{text(value)}</a>' if digits else text(value)


def _email(value: Any) -> str:
    if is_missing(value):
        return ""
    value = str(value).strip()
    if re.fullmatch(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}", value):
        return f'<a href="mailto:{text(value)}">{text(value)}</a>'
    return text(value)


def category_label(tr: Translator, category: Any) -> str:
    """A service or daily-needs category in words (other values as they are)."""
    return tr(category) if category in CATEGORIES else str(category or "")


def place_label(tr: Translator, row: Any, nearby: tuple[str, str] | None = None) -> str:
    """A plain-text label: the name; unnamed places (OSM points often lack names) get their
    category with the street ("Pharmacy, Scharnhorstring") or the nearest stop ("Pharmacy
    near the stop Bruno-Taut-Ring"); ``nearby`` is ``("street" | "stop", name)``."""
    name = _value(row, "name")
    if name:
        return str(name)
    category = _value(row, "category")
    label = tr.capitalise(category_label(tr, category)) if category else tr("Unnamed")
    if nearby is None:
        return label
    kind, where = nearby
    msgid = "{place}, {street}" if kind == "street" else "{place} near the stop {stop}"
    return tr(msgid, place=label, street=where, stop=where)


@dataclass
class PlaceFacts:
    """What a popup says beyond the row: the category and label in words, the walking
    time from the office (minutes, estimated or not) and the office's location note in
    the page language."""

    category_label: str | None = None
    label: str | None = None
    walk_min: Any = None
    estimate: bool = False
    location_note: str | None = None


def _approximate_html(tr: Translator, note: str | None) -> str:
    flag = f'<span class="gq-approx">{text(tr("Approximate location"))}</span>'
    return flag + (f": {text(note)}" if note else "")


def place_popup(
    tr: Translator, book: HoursBook, layer: str, row: Any, facts: PlaceFacts | None = None
) -> str:
    """Popup HTML of an office, service or daily-needs place (all values escaped)."""
    facts = facts or PlaceFacts()
    name = _value(row, "name") or facts.label or facts.category_label or tr("Unnamed")
    head = f"<h3>{text(name)}</h3>"
    sub: list[str] = []
    kind = _value(row, "kind")
    if layer == "offices" and kind:
        sub.append(text(tr(kind)) if kind in OFFICE_KINDS else text(kind))
    if facts.category_label and _value(row, "name"):
        sub.append(text(facts.category_label))
    if layer == "offices" and _value(row, "location_quality") == "approximate":
        sub.append(_approximate_html(tr, facts.location_note))
    subline = f'<p class="gq-meta">{" · ".join(sub)}</p>' if sub else ""
    walk = walk_text(tr, facts.walk_min, estimate=facts.estimate)
    pairs = [
        (tr("Operator"), text(_value(row, "operator"))),
        (tr("Address"), text(_value(row, "address"))),
        (tr("Phone"), _phone(_value(row, "phone"))),
        (tr("Email"), _email(_value(row, "email"))),
        (tr("Languages spoken"), text(_languages(tr, _value(row, "languages")))),
        (tr("Wheelchair access"), text(wheelchair_text(tr, _value(row, "wheelchair")))),
        (tr("Walking time"), text(walk)),
        (tr("Source"), text(source_label(_value(row, "source")))),
    ]
    hours = hours_html(tr, book, f"{layer}:{row['id']}", _value(row, "opening_hours"))
    return f'<div class="gq-pop" lang="{tr.lang}">{head}{subline}{hours}{_dl(pairs)}</div>'


def stop_popup(tr: Translator, row: Any) -> str:
    """Popup HTML of a transit stop."""
    pairs = [
        (tr("Wheelchair access"), text(wheelchair_text(tr, _value(row, "wheelchair")))),
        (tr("Source"), text(source_label(_value(row, "source")))),
    ]
    name = _value(row, "name") or tr("Unnamed")
    kind = f'<p class="gq-meta">{text(tr("Transit stops"))}</p>'
    return f'<div class="gq-pop"><h3>{text(name)}</h3>{kind}{_dl(pairs)}</div>'


def _date(tr: Translator, value: Any) -> str:
    if value is None or is_missing(value):
        return ""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(stamp):
        return ""
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(TIME_ZONE_NAME)
    return tr.date(stamp.to_pydatetime().date())


def measure_popup(tr: Translator, row: Any) -> str:
    """Popup HTML of a building measure: status, kind, period, cost, funding, description
    and, when it names a published scenario, the residents gaining access."""
    status = _value(row, "status")
    period = " – ".join(
        p for p in (_date(tr, _value(row, "start")), _date(tr, _value(row, "end"))) if p
    )
    cost = _value(row, "cost_eur")
    cost_text = format_currency(float(cost), "EUR", locale=tr.locale) if cost is not None else ""
    pairs = [
        (
            tr("Status"),
            text(tr(MEASURE_STATUS_LABELS[status]))
            if status in MEASURE_STATUS_LABELS
            else text(status),
        ),
        (tr("Kind"), text(_value(row, "kind"))),
        (tr("Period"), text(period)),
        (tr("Cost"), text(cost_text)),
        (tr("Funding"), text(_value(row, "funding"))),
        (tr("Description"), text(_value(row, "description"))),
        (tr("Residents gaining access"), text(_gaining_access(tr, row))),
    ]
    name = _value(row, "name") or tr("Unnamed")
    return f'<div class="gq-pop"><h3>{text(name)}</h3>{_dl(pairs)}</div>'


def _gaining_access(tr: Translator, row: Any) -> str:
    """ "120 newly within 10 min (scenario: Rampe)" for a measure that names a published
    scenario (columns ``scenario_title``, ``scenario_gaining_access`` and
    ``scenario_access_min`` added by :func:`geoquartier.maps.data.link_measures`)."""
    title = _value(row, "scenario_title")
    count = _value(row, "scenario_gaining_access")
    if not title or count is None:
        return ""
    return tr(
        "{count} newly within {minutes} min (scenario: {title})",
        count=tr.number(int(round(float(count)))),
        minutes=tr.number(int(float(_value(row, "scenario_access_min") or 0))),
        title=title,
    )


def annotation_popup(tr: Translator, row: Any) -> str:
    """Popup HTML of an approved contribution (kind, text, date)."""
    kind = _value(row, "kind")
    kind_label = tr(kind) if kind in ANNOTATION_KINDS else tr("Contribution")
    pairs = [(tr("Date"), text(_date(tr, _value(row, "created_at"))))]
    body = _value(row, "text")
    lang = _value(row, "language")
    lang_attr = f' lang="{text(lang)}"' if lang and re.fullmatch(r"[a-z]{2,3}", str(lang)) else ""
    return (
        f'<div class="gq-pop"><h3>{text(kind_label)}</h3>'
        f"<p{lang_attr}>{text(body)}</p>{_dl(pairs)}</div>"
    )
