"""Documentation of a participation event: GeoJSON, CSV and an HTML report.

The report is what an office hands to its funders: where residents pinned what, a table
of the approved contributions, and counts by kind and review state. Pending and rejected
contributions are counted but their texts are not printed in the HTML report. All texts
are escaped (Jinja2 autoescape; data for the map goes through ``script_json``).
Coordinates are EPSG:4326 (longitude, latitude in degrees).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

import shapely
from shapely.geometry import shape

from api.geojson import annotation_feature, event_feature, feature_collection
from api.participation.i18n import Translator, page_config, page_language, render, script_json
from api.participation.settings import KINDS, STATUSES

EXPORT_FIELDS = (
    "id",
    "quartier",
    "event_id",
    "kind",
    "text",
    "language",
    "status",
    "created_at",
    "decided_at",
    "reason",
)
"""Columns of the CSV export (plus ``lon``, ``lat``, ``geometry_type``, ``wkt``)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def geojson_text(event: dict, rows: list[dict]) -> str:
    """The event's annotations as a GeoJSON FeatureCollection with the event as a member."""
    features = []
    for row in rows:
        feature = annotation_feature(row, staff=True)
        feature["properties"].pop("decided_by", None)
        features.append(feature)
    doc = feature_collection(
        features, event=event_feature(event), counts=counts_by_kind_and_status(rows)
    )
    return json.dumps(doc, ensure_ascii=False)


def _csv_cell(value: Any) -> Any:
    # Spreadsheet programs run cells starting with these characters as formulas.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(rows: list[dict]) -> str:
    """One CSV row per annotation: its fields, a representative lon/lat and its WKT."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*EXPORT_FIELDS, "geometry_type", "lon", "lat", "wkt"])
    for row in rows:
        geom = shape(row["geometry"])
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        writer.writerow(
            [_csv_cell(row.get(f)) for f in EXPORT_FIELDS]
            + [
                geom.geom_type,
                f"{point.x:.6f}",
                f"{point.y:.6f}",
                shapely.to_wkt(geom, rounding_precision=6),
            ]
        )
    return buf.getvalue()


def counts_by_kind_and_status(rows: list[dict]) -> dict[str, dict[str, int]]:
    """``{kind: {status: n}}`` for every kind and status (zeros included)."""
    counter = Counter((r["kind"], r["status"]) for r in rows)
    return {k: {s: counter.get((k, s), 0) for s in STATUSES} for k in KINDS}


def html_text(event: dict, rows: list[dict], lang: str = "de", csp_nonce: str = "") -> str:
    """The event report as one standalone HTML page (Leaflet inlined, no network needed).

    ``csp_nonce`` is put on every ``<script>`` tag (the page's Content-Security-Policy).
    """
    lang = page_language(lang)
    counts = counts_by_kind_and_status(rows)
    approved = [r for r in rows if r["status"] == "approved"]
    status_totals = {s: sum(counts[k][s] for k in KINDS) for s in STATUSES}
    config = page_config(
        lang,
        event=event_feature(event),
        annotations=feature_collection([annotation_feature(r) for r in approved]),
    )
    return render(
        "report.html",
        lang,
        csp_nonce=csp_nonce,
        event=event,
        counts=counts,
        kinds=KINDS,
        statuses=STATUSES,
        status_totals=status_totals,
        total=len(rows),
        approved=approved,
        config_json=script_json(config),
    )


__all__ = [
    "Translator",
    "counts_by_kind_and_status",
    "csv_text",
    "geojson_text",
    "html_text",
]
