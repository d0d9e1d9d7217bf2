"""The page around the map: title, language switch, the text list of places, attribution.

The list gives a screen-reader or keyboard user the same information as the markers:
every office, advisory service and daily-needs place with address, opening hours (the
same live "open now" status as the popups) and walking time from the office. Each entry's
button opens the marker's popup on the map. All data values are escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass

from geoquartier.maps.escape import text
from geoquartier.maps.i18n import LANGUAGES, Translator

OSM_LINK = '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
OSM_CONTRIBUTORS = "© {osm} contributors"
"""msgid of the OpenStreetMap credit (``{osm}`` becomes :data:`OSM_LINK`)."""
ODBL = '(<a href="https://opendatacommons.org/licenses/odbl/">ODbL</a>)'
ATTRIBUTIONS = {
    "osm": f"{OSM_CONTRIBUTORS} {ODBL}",
    "zensus": (
        "Zensus 2022: © Statistisches Bundesamt (Destatis) "
        '(<a href="https://www.govdata.de/dl-de/by-2-0">dl-de/by-2.0</a>)'
    ),
    "gtfs": (
        "GTFS: NASA GmbH, Magdeburger Verkehrsbetriebe "
        '(<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>)'
    ),
}
"""Attribution HTML per data source (fixed text; shown below the place list)."""

SHORT_ATTRIBUTIONS = {
    "osm": f"{OSM_CONTRIBUTORS} {ODBL}",
    "zensus": 'Zensus 2022 (<a href="https://www.govdata.de/dl-de/by-2-0">dl-de/by-2.0</a>)',
    "gtfs": 'GTFS (<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>)',
}
"""The same, short, for the map's attribution control (fits a phone screen)."""


@dataclass
class ListEntry:
    """One place in the list: ``layer``/``id`` address the marker; texts are plain text."""

    layer: str
    id: str
    label: str
    lines: list[str]
    hours_html: str = ""
    has_marker: bool = True


def attribution_html(tr: Translator, sources: list[str], short: bool = False) -> str:
    """The attribution line for the ``sources`` used (keys of :data:`ATTRIBUTIONS`), the
    OpenStreetMap credit in the page language."""
    table = SHORT_ATTRIBUTIONS if short else ATTRIBUTIONS
    osm = text(tr(OSM_CONTRIBUTORS)).replace("{osm}", OSM_LINK)
    return " · ".join(table[s].replace(OSM_CONTRIBUTORS, osm) for s in sources if s in table)


def _office_now(tr: Translator, offices: list[tuple[str, list[ListEntry]]]) -> str:
    """One line per office: its name (opens its popup) and the live status (or "opening
    hours unknown"), so that a phone shows it above the map."""
    lines = []
    for _, entries in offices:
        for e in entries:
            key = text(f"{e.layer}:{e.id}")
            name = (
                f'<button type="button" class="gq-linkish" data-gq-layer="{text(e.layer)}"'
                f' data-gq-show="{text(e.id)}">{text(e.label)}</button>'
                if e.has_marker
                else f"<strong>{text(e.label)}</strong>"
            )
            status = (
                f'<span class="gq-status gq-st-u" data-hours="{key}">'
                f"{text(tr('Status unknown'))}</span>"
                if e.hours_html
                else f'<span class="gq-status gq-st-u">{text(tr("Opening hours unknown"))}</span>'
            )
            lines.append(f'<p class="gq-office-now">{name} {status}</p>')
    return "".join(lines)


def head_html(
    tr: Translator,
    title: str,
    language_hrefs: dict[str, str],
    offices: list[tuple[str, list[ListEntry]]] = (),
) -> str:
    """Skip link, title, language switch (links to the sibling maps), the offices' live
    status and the tile notice."""
    links = []
    for lang in LANGUAGES:
        other = Translator(lang)
        current = ' aria-current="page"' if lang == tr.lang else ""
        links.append(
            f'<li><a href="{text(language_hrefs[lang])}" hreflang="{lang}" lang="{lang}"'
            f' data-lang="{lang}"{current}>{text(other.autonym())}</a></li>'
        )
    return (
        f'<header class="gq-head">'
        f'<a class="gq-skip" href="#gq-list">{text(tr("Skip to the list of places"))}</a>'
        f"<h1>{text(title)}</h1>"
        f'<nav aria-label="{text(tr("Language"))}"><ul class="gq-lang">{"".join(links)}</ul></nav>'
        f"{_office_now(tr, list(offices))}"
        f'<p id="gq-tile-notice" class="gq-notice" role="status" hidden>'
        f"{text(tr('Map tiles could not be loaded: showing the offline street map.'))}</p>"
        f"</header>"
    )


def _entry_html(tr: Translator, entry: ListEntry) -> str:
    if entry.has_marker:
        show = text(tr("Show on the map"))
        head = (
            f'<button type="button" data-gq-layer="{text(entry.layer)}"'
            f' data-gq-show="{text(entry.id)}"'
            f' aria-label="{text(entry.label)}: {show}">{text(entry.label)}</button>'
        )
    else:
        head = f"<strong>{text(entry.label)}</strong>"
    lines = "".join(f'<div class="gq-meta">{text(line)}</div>' for line in entry.lines if line)
    hours = f"<div>{entry.hours_html}</div>" if entry.hours_html else ""
    return f"<li>{head}{lines}{hours}</li>"


def _filter_html(tr: Translator) -> str:
    """The search box of the place list (the page script hides entries that do not match)."""
    label = text(tr("Search the list (name, street, category)"))
    return (
        f'<div class="gq-filter" role="search"><label for="gq-filter">{label}</label>'
        f'<input id="gq-filter" type="search" autocomplete="off">'
        f'<p id="gq-filter-none" class="gq-meta" role="status" hidden>'
        f"{text(tr('No place matches the search.'))}</p></div>"
    )


def _walk_from_html(tr: Translator) -> str:
    """The form for walking times from an address, the device's location or a point on the
    map (computed by the page script, offline; hidden until the script runs)."""
    return (
        f'<details id="gq-from" class="gq-from" hidden><summary>'
        f"{text(tr('Walking times from another place'))}</summary>"
        f'<form id="gq-from-form"><label for="gq-from-address">{text(tr("Your address"))}'
        f'</label><input id="gq-from-address" list="gq-from-list" autocomplete="off">'
        f'<datalist id="gq-from-list"></datalist>'
        f'<button type="submit">{text(tr("Show walking times"))}</button></form>'
        f'<p><button type="button" id="gq-from-here">{text(tr("Use my location"))}</button> '
        f'<button type="button" id="gq-from-pick">{text(tr("Choose a point on the map"))}'
        f"</button></p>"
        f'<p id="gq-from-status" class="gq-meta" role="status"></p>'
        f'<p class="gq-meta">{text(tr("Estimates (straight line × detour factor), computed in your browser; nothing is sent."))}</p>'  # noqa: E501
        f'<p><button type="button" id="gq-from-reset" hidden>'
        f"{text(tr('Walking times from the office again'))}</button></p></details>"
    )


def _section_html(tr: Translator, heading: str, groups: list[tuple[str, list[ListEntry]]]) -> str:
    """One section of the list; each category a ``<details>`` block with its count."""
    parts = [f"<section><h2>{text(heading)}</h2>"]
    if not any(entries for _, entries in groups):
        parts.append(f'<p class="gq-meta">{text(tr("No entries in the data."))}</p>')
    for sub, entries in groups:
        if not entries:
            continue
        items = "<ul>" + "".join(_entry_html(tr, e) for e in entries) + "</ul>"
        if sub:
            parts.append(
                f'<details class="gq-cat" open><summary><h3>{text(sub)}'
                f' <span class="gq-count">({tr.number(len(entries))})</span></h3></summary>'
                f"{items}</details>"
            )
        else:
            parts.append(items)
    parts.append("</section>")
    return "".join(parts)


def aside_html(
    tr: Translator,
    sections: list[tuple[str, list[tuple[str, list[ListEntry]]]]],
    footer_lines: list[str],
    attribution: str,
    top_notes: list[str] = (),
) -> str:
    """The place list: ``sections`` are ``(heading, [(subheading or "", entries), ...])``.

    ``top_notes`` (plain text, e.g. "walking times are estimates") stand above the list,
    ``footer_lines`` (plain text) below it; ``attribution`` is trusted HTML from
    :func:`attribution_html`.
    """
    parts = [
        (
            f'<aside class="gq-list" aria-labelledby="gq-list">'
            f'<h2 id="gq-list" tabindex="-1">{text(tr("Places in the quartier"))}</h2>'
        )
    ]
    parts += [f'<p class="gq-notice gq-top-note">{text(n)}</p>' for n in top_notes if n]
    parts.append(_walk_from_html(tr))
    parts.append(_filter_html(tr))
    parts += [_section_html(tr, heading, groups) for heading, groups in sections]
    foot = "".join(f"<p>{text(line)}</p>" for line in footer_lines if line)
    parts.append(
        f'<footer class="gq-foot">{foot}<p>{text(tr("Map data"))}: {attribution}</p></footer>'
    )
    parts.append("</aside>")
    return "".join(parts)
