"""The local-mobility report (Nahmobilitätsbericht) of a quartier, as HTML or PDF.

Quartier profile (area, residents and their source, density), walking access per category
× walking profile × time (:func:`geoquartier.mobility.coverage`), the yearly budget by the
standards text (:mod:`geoquartier.reports.budget`, each rule quoted), the measures, and —
when the caller passes them — participation counts.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from babel.numbers import format_currency, format_percent
from markupsafe import Markup

from geoquartier.config import ANALYSIS_CRS
from geoquartier.reports.budget import LABELS, budget, budget_total_eur
from geoquartier.reports.data import DocumentData
from geoquartier.reports.i18n import DocTranslator
from geoquartier.reports.render import BASE_CSS, attribution, template, today, uses_zensus
from geoquartier.reports.render import write_pdf as _write_pdf

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
    from geoquartier.mobility import coverage

    population = data.layers["population"]
    parts = [data.placed(layer)[["id", "category", "geometry"]] for layer in ("services", "pois")]
    parts = [p for p in parts if len(p)]
    if population.empty or not parts or data.network is None:
        return pd.DataFrame()
    facilities = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    return coverage(
        data.network,
        population[["id", "residents", "geometry"]],
        facilities,
        THRESHOLDS_MIN,
        REPORT_PROFILES,
    )


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
    return template("report.html").render(
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
        access=_access_tables(walking_access(data), tr),
        method_note=tr("estimate: straight line × detour factor, no footpath network")
        if data.method == "estimate"
        else tr("computed on the footpath network"),
        budget_rows=rows,
        budget_total=total,
        measures=_measures(data),
        participation=participation_counts,
        built=tr("Report built on {date}.", date=tr.date(today(), "long")),
        credits=attribution(uses_zensus(profile["source"])),
    )


def _measures(data: DocumentData) -> list[dict]:
    measures = data.layers["measures"]
    return [
        {k: ("" if pd.isna(v) else v) for k, v in row.items() if k != "geometry"}
        for _, row in measures.iterrows()
    ]


def write_report(data: DocumentData, output: Path | str, **options) -> Path:
    """Write the report to ``output``: ``.html`` as HTML, ``.pdf`` as PDF; ``options`` as
    for :func:`report_html` (lang, participation_counts). Returns the path."""
    path = Path(output)
    html = report_html(data, **options)
    if path.suffix.lower() == ".html":
        path.write_text(html, encoding="utf-8")
    else:
        _write_pdf(html, path)
    return path
