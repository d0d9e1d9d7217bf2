"""Documentation of a participation event: GeoJSON, CSV and an HTML report.

The report is what an office hands to its funders: where residents pinned what, a table
of the approved contributions (each with its source, online or paper, the grid square
of a paper contribution and the staff translations beside the original text), and
counts by kind and review state and by kind and source.

Each row handed to the exports may carry ``translations`` (a list of ``{language, text,
…}`` from :meth:`ParticipationStore.translations`); who typed a paper contribution in
(``entered_by``) is never exported.

What an export holds:

* by default only **approved** contributions (their public text, which is the redacted
  text when a moderator edited it); pending and rejected ones are only counted;
* with ``include=pending,rejected`` (staff only, asked for explicitly) also those, with
  the moderators' reasons;
* never the original of a redacted text (it lives only in the database's private
  ``redactions`` table).

The CSV opens in German spreadsheet programs as it is: UTF-8 with a byte order mark,
``;`` between cells, headings and labels in the page language, times in local time.
All texts of the HTML report are escaped (Jinja2 autoescape; data for the map goes
through ``script_json``). Coordinates are EPSG:4326 (longitude, latitude in degrees).

A report link for a browser: :func:`sign_link` makes a short-lived signed query
(``uid``, ``exp``, ``sig``: HMAC-SHA256 with a random key of the participation
database) that :func:`check_link` accepts in place of the bearer token, for the account
that asked for it while that account stays active.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import time
from collections import Counter
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import shape

from api.geojson import annotation_feature, event_feature, feature_collection
from api.participation.i18n import (
    SOURCE_MSGIDS,
    Translator,
    page_config,
    page_language,
    render,
    script_json,
)
from api.participation.settings import KINDS, STATUSES
from api.participation.survey_forms import MAP_TYPES, localized
from api.participation.surveys_store import cell_features
from geoquartier.vocabulary import ANNOTATION_SOURCES, TIME_ZONE

INCLUDABLE = ("pending", "rejected")
"""Review states whose texts an export holds only when asked for (``include=``)."""

REPORT_LINK_TTL_S = 15 * 60
"""How long a signed report link works (seconds)."""

GEOMETRY_LABELS = {"Point": "Pin", "LineString": "Line", "Polygon": "Area"}
"""msgid of each geometry type (the same labels as on the pages)."""

_CSV_COLUMNS = (
    ("number", "No."),
    ("kind", "Kind"),
    ("text", "Text"),
    ("language", "Language"),
    ("status", "Status"),
    ("created_at", "Submitted"),
    ("decided_at", "Decided"),
    ("redacted", "Edited by moderation"),
    ("source", "Source"),
    ("grid_cell", "Grid square"),
    ("translations", "Translations"),
    ("geometry_type", "Geometry"),
    ("lon", "Longitude"),
    ("lat", "Latitude"),
    ("wkt", "Geometry (WKT)"),
    ("id", "ID"),
)
"""CSV columns and the msgids of their headings (``reason`` follows with ``include``)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_include(value: str | None) -> tuple[str, ...]:
    """``"pending,rejected"`` → ``("pending", "rejected")``; ValueError naming a wrong state."""
    states = tuple(dict.fromkeys(s.strip() for s in (value or "").split(",") if s.strip()))
    wrong = [s for s in states if s not in INCLUDABLE]
    if wrong:
        raise ValueError(f"include: unknown state {wrong[0]!r}; expected pending and/or rejected")
    return states


def export_rows(rows: list[dict], include: tuple[str, ...] = ()) -> list[dict]:
    """The rows an export shows: approved ones, plus those of the ``include`` states."""
    shown = {"approved", *include}
    return [r for r in rows if r["status"] in shown]


def geojson_text(
    event: dict, rows: list[dict], include: tuple[str, ...] = (), lang: str = "de"
) -> str:
    """The event's contributions as a GeoJSON FeatureCollection with the event as a member.

    Each feature has ``number`` (as in the report), ``kind_label`` in ``lang`` and
    ``redacted`` (the text was edited by a moderator); ``reason`` only with ``include``.
    """
    tr = Translator(lang)
    features = []
    for number, row in enumerate(export_rows(rows, include), start=1):
        feature = annotation_feature(row, staff=True)
        props = feature["properties"]
        for private in ("decided_by", "redacted_at", "entered_by"):
            props.pop(private, None)
        props["translations"] = [
            {"language": t["language"], "text": t["text"]} for t in row.get("translations", [])
        ]
        if not include:
            props.pop("reason", None)
        props.update(
            number=number, kind_label=tr(row["kind"].capitalize()), redacted=_redacted(row)
        )
        features.append(feature)
    doc = feature_collection(
        features,
        event=event_feature(event),
        counts=counts_by_kind_and_status(rows),
        counts_by_source=counts_by_kind_and_source(rows),
        included=["approved", *include],
    )
    return json.dumps(doc, ensure_ascii=False)


def _redacted(row: dict) -> bool:
    return bool(row.get("redacted_at"))


def _csv_cell(value: Any) -> Any:
    # Spreadsheet programs run cells starting with these characters as formulas.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def local_time(iso: str | None) -> str:
    """An ISO 8601 time as local time (Europe/Berlin) ``YYYY-MM-DD HH:MM``; '' if none."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def _csv_values(row: dict, number: int, tr: Translator) -> dict[str, Any]:
    geom = shape(row["geometry"])
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return {
        "number": number,
        "kind": tr(row["kind"].capitalize()),
        "text": row["text"],
        "language": row.get("language"),
        "status": tr(row["status"].capitalize()),
        "created_at": local_time(row.get("created_at")),
        "decided_at": local_time(row.get("decided_at")),
        "redacted": tr("yes") if _redacted(row) else "",
        "source": tr(SOURCE_MSGIDS[_source(row)]),
        "grid_cell": row.get("grid_cell"),
        "translations": " | ".join(
            f"{t['language']}: {t['text']}" for t in row.get("translations", [])
        ),
        "geometry_type": tr(GEOMETRY_LABELS[geom.geom_type]),
        # decimal comma: German spreadsheets read "49,511" as a number
        "lon": f"{point.x:.6f}".replace(".", ","),
        "lat": f"{point.y:.6f}".replace(".", ","),
        "wkt": shapely.to_wkt(geom, rounding_precision=6),
        "id": row["id"],
        "reason": row.get("reason"),
    }


def csv_text(rows: list[dict], lang: str = "de", include: tuple[str, ...] = ()) -> str:
    """One CSV row per exported contribution (see :func:`export_rows`), for spreadsheets.

    UTF-8 with byte order mark, ``;`` as separator, headings, kinds, states and geometry
    types in ``lang``, times in local time, lon/lat (EPSG:4326) with decimal comma, the
    geometry as WKT. The reason of a decision only with ``include``.
    """
    tr = Translator(lang)
    columns = list(_CSV_COLUMNS) + ([("reason", "Reason")] if include else [])
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([tr(msgid) for _, msgid in columns])
    for number, row in enumerate(export_rows(rows, include), start=1):
        values = _csv_values(row, number, tr)
        writer.writerow([_csv_cell(values[key]) for key, _ in columns])
    return buf.getvalue()


def _source(row: dict) -> str:
    return row.get("source") or "online"


def counts_by_kind_and_source(rows: list[dict]) -> dict[str, dict[str, int]]:
    """``{kind: {source: n}}`` for every kind and source, online and paper (zeros
    included), counting contributions in every review state."""
    counter = Counter((r["kind"], _source(r)) for r in rows)
    return {k: {s: counter.get((k, s), 0) for s in ANNOTATION_SOURCES} for k in KINDS}


def translation_rows(row: dict, lang: str) -> list[dict]:
    """The staff translations of a contribution with the name of their language in
    ``lang`` (``language_name``), for the report."""
    from babel import Locale

    names = Locale.parse(lang).languages
    return [
        {**t, "language_name": names.get(t["language"], t["language"])}
        for t in row.get("translations", [])
    ]


def counts_by_kind_and_status(rows: list[dict]) -> dict[str, dict[str, int]]:
    """``{kind: {status: n}}`` for every kind and status (zeros included)."""
    counter = Counter((r["kind"], r["status"]) for r in rows)
    return {k: {s: counter.get((k, s), 0) for s in STATUSES} for k in KINDS}


def html_text(
    event: dict,
    rows: list[dict],
    lang: str = "de",
    csp_nonce: str = "",
    *,
    quartier_name: str | None = None,
    boundary: dict | None = None,
    link_query: str = "",
    surveys: list[dict] | None = None,
) -> str:
    """The event report as one standalone HTML page (Leaflet inlined).

    The map shows the quartier's streets (from this server) and ``boundary`` (GeoJSON,
    EPSG:4326) under the contributions, each numbered like its table row, and a legend.
    ``link_query`` (a signed query) is added to the CSV and GeoJSON download links.
    ``csp_nonce`` is put on every ``<script>`` tag (the page's Content-Security-Policy).
    ``surveys``: the staff results of the event's surveys
    (:func:`api.participation.surveys_store.results`), shown as tables of counts, the
    approved free texts, and on the map as points, routes and 100 m cells.
    """
    lang = page_language(lang)
    shown_surveys = [survey_in_language(found, lang) for found in surveys or []]
    counts = counts_by_kind_and_status(rows)
    approved = export_rows(rows)
    status_totals = {s: sum(counts[k][s] for k in KINDS) for s in STATUSES}
    by_source = counts_by_kind_and_source(rows)
    features = []
    for number, row in enumerate(approved, start=1):
        feature = annotation_feature(row)
        feature["properties"]["number"] = number
        features.append(feature)
    config = page_config(
        lang,
        event=event_feature(event),
        annotations=feature_collection(features),
        boundary=boundary,
        streetsUrl=f"/quartiers/{event['quartier']}/streets.geojson",
        surveys=survey_layer(surveys or []),
    )
    return render(
        "report.html",
        lang,
        csp_nonce=csp_nonce,
        event=event,
        quartier_name=quartier_name or event["quartier"],
        counts=counts,
        kinds=KINDS,
        statuses=STATUSES,
        status_totals=status_totals,
        total=len(rows),
        by_source=by_source,
        sources=ANNOTATION_SOURCES,
        source_labels=SOURCE_MSGIDS,
        source_totals={s: sum(by_source[k][s] for k in KINDS) for s in ANNOTATION_SOURCES},
        approved=approved,
        translations={r["id"]: translation_rows(r, lang) for r in approved},
        geometry_labels=GEOMETRY_LABELS,
        link_query=link_query,
        config_json=script_json(config),
        surveys=shown_surveys,
    )


def survey_in_language(found: dict, lang: str) -> dict[str, Any]:
    """A survey's results with its title, questions and options in ``lang`` (German
    where missing); percentages rounded to whole numbers for the table."""
    questions = []
    for q in found["questions"]:
        shown = {**q, "text": localized(q["text"], lang)}
        if "options" in q:
            shown["options"] = [
                {**o, "text": localized(o["text"], lang), "percent": round(o["percent"])}
                for o in q["options"]
            ]
        questions.append(shown)
    survey = found["survey"]
    return {
        "id": survey["id"],
        "title": localized(survey["title"], lang),
        "answers": found["answers"],
        "questions": questions,
    }


def survey_layer(surveys: list[dict]) -> dict[str, Any]:
    """The map answers of the surveys' staff results as one FeatureCollection (EPSG:4326):
    every point and route (``layer``: point / route) and every 100 m cell (``layer``:
    cell, ``answers``: points in it or routes crossing it)."""
    features = []
    for found in surveys:
        for q in found["questions"]:
            if q["type"] not in MAP_TYPES:
                continue
            for geometry in q.get("geometries", []):
                props = {"layer": q["type"], "survey": found["survey"]["id"], "question": q["id"]}
                features.append({"type": "Feature", "geometry": geometry, "properties": props})
        for cell in cell_features(found["questions"]):
            cell["properties"]["layer"] = "cell"
            features.append(cell)
    return feature_collection(features)


# -- signed report links -------------------------------------------------------------------
def _signature(key: bytes, event_id: str, user_id: str, expires: int) -> str:
    message = f"report|{event_id}|{user_id}|{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_link(key: bytes, event_id: str, user_id: str, now_s: float | None = None) -> dict:
    """``{"uid", "exp", "sig"}``: a query that opens the event's report until ``exp``."""
    expires = int((now_s if now_s is not None else time.time()) + REPORT_LINK_TTL_S)
    return {"uid": user_id, "exp": expires, "sig": _signature(key, event_id, user_id, expires)}


def check_link(
    key: bytes, event_id: str, user_id: str, expires: int, sig: str, now_s: float | None = None
) -> bool:
    """True if ``sig`` signs this event, account and expiry, and the link has not expired."""
    now = now_s if now_s is not None else time.time()
    if not (now <= expires <= now + REPORT_LINK_TTL_S + 60):
        return False
    return hmac.compare_digest(_signature(key, event_id, user_id, expires), sig)


__all__ = [
    "INCLUDABLE",
    "Translator",
    "check_link",
    "counts_by_kind_and_source",
    "counts_by_kind_and_status",
    "csv_text",
    "export_rows",
    "geojson_text",
    "html_text",
    "parse_include",
    "sign_link",
]
