"""The local-mobility report (Nahmobilitätsbericht) of a quartier, as HTML or PDF.

Quartier profile (area, residents and their source, density), walking access per category
× walking profile × time (:func:`geoquartier.mobility.coverage`), the worst-served places,
the barriers of the walk network, the published scenarios and stored location results
(:mod:`geoquartier.reports.sections`, each with source and date), the yearly budget by the
standards text (:mod:`geoquartier.reports.budget`, each rule quoted), the measures, and —
when the caller passes them — participation counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from babel.numbers import format_currency, format_percent
from markupsafe import Markup

from geoquartier.config import ANALYSIS_CRS
from geoquartier.reports.budget import LABELS, budget, budget_total_eur
from geoquartier.reports.data import DocumentData
from geoquartier.reports.i18n import DocTranslator
from geoquartier.reports.render import (
    BASE_CSS,
    attribution,
    figure_svg,
    template,
    today,
    uses_zensus,
)
from geoquartier.reports.render import write_pdf as _write_pdf
from geoquartier.reports.sections import WORST_PROFILE, section_values

THRESHOLDS_MIN = (5, 10, 15)
REPORT_PROFILES = ("standard", "senior", "wheelchair")


def quartier_profile(data: DocumentData) -> dict:
    """Area (km², from the boundary in EPSG:25832), residents, their source and density."""
    area_km2 = float(data.layers["quartiers"].to_crs(ANALYSIS_CRS).area.sum()) / 1e6
    residents = data.quartier.get("population")
    if residents is None and not data.layers["population"].empty:
        residents = int(data.layers["population"]["residents"].sum())
    density = residents / area_km2 if residents is not None and area_km2 > 0 else None
    return {
        "area_km2": area_km2,
        "residents": None if residents is None else int(residents),
        "source": data.quartier.get("population_source") or "",
        "density_per_km2": density,
    }


def walking_access(data: DocumentData) -> pd.DataFrame:
    """Residents within 5/10/15 min of the nearest service or daily-needs place of each
    category, for each walking profile (the rows of :func:`geoquartier.mobility.coverage`);
    empty without residents or places."""
    return access_analysis(data)[0]


def _facilities(data: DocumentData) -> gpd.GeoDataFrame | None:
    """The services and daily-needs places with a location (EPSG:4326), None if none."""
    parts = [data.placed(layer)[["id", "category", "geometry"]] for layer in ("services", "pois")]
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def access_analysis(data: DocumentData) -> tuple[pd.DataFrame, pd.DataFrame | None, Any]:
    """``(coverage rows, nearest place per origin for the standard profile, facilities)``
    — the walking access of :func:`walking_access` and what the worst-served places and
    scenario gains reuse (EPSG:4326 inputs); empty/None without residents or places."""
    from geoquartier.mobility import coverage, nearest_facilities

    population = data.layers["population"]
    facilities = _facilities(data)
    if population.empty or facilities is None or data.network is None:
        return pd.DataFrame(), None, None
    origins = population[["id", "residents", "geometry"]]
    nearest = nearest_facilities(data.network, origins, facilities, profile=WORST_PROFILE, k=1)
    cov = coverage(
        data.network, origins, facilities, THRESHOLDS_MIN, REPORT_PROFILES, nearest=nearest
    )
    return cov, nearest, facilities


def _access_tables(cov: pd.DataFrame, tr: DocTranslator) -> list[dict]:
    tables = []
    if cov.empty:
        return tables
    for profile, part in cov.groupby("profile", sort=False):
        wide = part.pivot_table(index="category", columns="threshold_min", values="share_within")
        rows = [
            {
                "category": tr(str(cat)),
                "shares": [
                    format_percent(wide.loc[cat, t], locale=tr.locale) for t in wide.columns
                ],
            }
            for cat in wide.index
        ]
        tables.append(
            {
                "profile": tr(str(profile)),
                "thresholds": [int(t) for t in wide.columns],
                "rows": rows,
            }
        )
    return tables


def _budget_rows(residents: int | None, tr: DocTranslator) -> tuple[list[dict], str]:
    if residents is None:
        return [], ""
    lines = budget(residents)

    def eur(value: float) -> str:
        return format_currency(value, "EUR", locale=tr.locale)

    rows = [
        {
            "item": tr(LABELS[line.key]),
            "quote": line.quote,
            "source": line.source,
            "amount": eur(line.amount_eur),
            "note": tr("minimum applies") if line.minimum_applied else "",
        }
        for line in lines
    ]
    return rows, eur(budget_total_eur(lines))


def report_html(
    data: DocumentData, *, lang: str = "de", participation_counts: dict[str, int] | None = None
) -> str:
    """The report as one HTML document (no external resources).

    ``data`` from :func:`geoquartier.reports.data.collect_document_data` with walking
    (layers in EPSG:4326; areas in EPSG:25832). ``participation_counts`` (e.g. ``{"idea":
    12, "problem": 4}``) adds a participation section; the reports package does not read
    the participation store itself.
    """
    tr = DocTranslator(lang)
    profile = quartier_profile(data)
    rows, total = _budget_rows(profile["residents"], tr)
    cov, nearest, facilities = access_analysis(data)
    return template("report.html").render(
        **section_values(data, nearest, facilities, tr),
        lang=lang,
        css=Markup(BASE_CSS),
        tr=tr,
        quartier=data.name,
        profile=profile,
        area=tr.number(round(profile["area_km2"], 2)),
        residents=tr.number(profile["residents"]) if profile["residents"] is not None else "–",
        density=tr("{value} residents per km²", value=tr.number(round(profile["density_per_km2"])))
        if profile["density_per_km2"]
        else "–",
        access=_access_tables(cov, tr),
        chart=Markup(access_chart_svg(cov, tr)),
        method_note=tr("estimate: straight line × detour factor, no footpath network")
        if data.method == "estimate"
        else tr("computed on the footpath network"),
        budget_rows=rows,
        budget_total=total,
        measures=_measures(data),
        participation=_participation(participation_counts, tr),
        trend=Markup(_trend_svg(data, tr)),
        built=tr("Report built on {date}.", date=tr.date(today(), "long")),
        credits=attribution(uses_zensus(profile["source"])),
    )


def _participation(counts: dict | None, tr: DocTranslator) -> dict | None:
    """Rows of the participation table: per kind the count by review status (a plain
    number stands alone); ``Events`` and ``Sources`` (online / paper) become lines of
    their own."""
    if not counts:
        return None
    from geoquartier.vocabulary import ANNOTATION_STATUSES

    rows, events, sources = [], None, None
    for kind, value in counts.items():
        if kind == "Events":
            events = int(value)
        elif kind == "Sources":
            sources = [{"label": tr(f"source-{k}"), "n": int(n)} for k, n in value.items()]
        elif isinstance(value, dict):
            cells = [int(value.get(s, 0)) for s in ANNOTATION_STATUSES]
            rows.append({"label": tr(kind), "cells": cells, "total": sum(cells)})
        else:
            rows.append({"label": tr(kind), "cells": None, "total": int(value)})
    statuses = [tr(s) for s in ANNOTATION_STATUSES]
    return {"rows": rows, "statuses": statuses, "events": events, "sources": sources}


def _trend_svg(data: DocumentData, tr: DocTranslator) -> str:
    """The monitoring trend chart when the workspace holds two or more snapshots."""
    from geoquartier.reports.monitor import read_snapshots, trend_chart_svg

    if data.store_path is None:
        return ""
    return trend_chart_svg(read_snapshots(data.store_path, data.spec.id), tr)


def _measures(data: DocumentData) -> list[dict]:
    measures = data.layers["measures"]
    return [
        {k: ("" if pd.isna(v) else v) for k, v in row.items() if k != "geometry"}
        for _, row in measures.iterrows()
    ]


def report_pdf(
    data: DocumentData,
    output: Path | str | None = None,
    *,
    lang: str = "de",
    participation_counts: dict[str, int] | None = None,
) -> bytes:
    """The report as PDF bytes, also written to ``output`` when given (arguments as for
    :func:`report_html`)."""
    html = report_html(data, lang=lang, participation_counts=participation_counts)
    return _write_pdf(html, output)


def write_report(
    data: DocumentData,
    output: Path | str,
    *,
    lang: str = "de",
    participation_counts: dict[str, int] | None = None,
) -> Path:
    """Write the report to ``output``: ``.html`` as HTML, else PDF. Returns the path."""
    path = Path(output)
    if path.suffix.lower() == ".html":
        html = report_html(data, lang=lang, participation_counts=participation_counts)
        path.write_text(html, encoding="utf-8")
    else:
        report_pdf(data, path, lang=lang, participation_counts=participation_counts)
    return path


CHART_THRESHOLD_MIN = 10
"""The walking time the report's chart shows."""


def access_chart_svg(cov: pd.DataFrame, tr: DocTranslator) -> str:
    """A bar chart (SVG, matplotlib) of the share of residents within
    :data:`CHART_THRESHOLD_MIN` minutes per category, one bar per walking profile;
    "" without data."""
    if cov.empty:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = cov[cov["threshold_min"] == CHART_THRESHOLD_MIN]
    wide = part.pivot_table(index="category", columns="profile", values="share_within")
    wide = wide[[p for p in REPORT_PROFILES if p in wide.columns]].sort_values(wide.columns[0])
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 8, "svg.fonttype": "path"}):
        fig, ax = plt.subplots(figsize=(6.8, 0.28 * len(wide) + 1.0))
        height = 0.8 / max(1, len(wide.columns))
        for i, profile in enumerate(wide.columns):
            ys = [y + i * height for y in range(len(wide))]
            ax.barh(ys, wide[profile] * 100, height=height, label=tr(profile))
        ax.set_yticks(
            [y + 0.4 - height / 2 for y in range(len(wide))], [tr(str(c)) for c in wide.index]
        )
        ax.set_xlim(0, 100)
        ax.set_xlabel(f"% · {tr('up to {minutes} min', minutes=CHART_THRESHOLD_MIN)}")
        ax.legend(loc="lower right", fontsize=7)
        fig.tight_layout()
        return figure_svg(fig)
