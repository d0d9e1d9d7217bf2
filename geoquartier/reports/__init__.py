"""Paper documents of a quartier, made offline: the workshop map, the offer flyer and the
local-mobility report (see docs/documents.md).

Sits at the maps level: imports :mod:`geoquartier.layers`, :mod:`geoquartier.mobility`
and :mod:`geoquartier.maps` (catalog, opening-hours text), never ``api`` or the CLI.

* :func:`collect_document_data` — a quartier's layers and walking minutes (EPSG:4326);
* :func:`workshop_map_pdf` / :func:`workshop_map_html` — the workshop map (A3/A4);
* :func:`flyer_pdf` / :func:`flyer_html` — the offer overview flyer (A4);
* :func:`report_html` / :func:`report_pdf` / :func:`write_report` — the local-mobility report;
* :func:`budget` — the yearly budget by the standards;
* :func:`write_pdf` — HTML to PDF bytes with the offline URL fetcher.
"""

from geoquartier.reports.budget import budget, budget_total_eur
from geoquartier.reports.data import DocumentData, collect_document_data
from geoquartier.reports.flyer import flyer_html, flyer_pdf
from geoquartier.reports.render import participation_url, write_pdf
from geoquartier.reports.report import report_html, report_pdf, write_report
from geoquartier.reports.svgmap import MapFrame
from geoquartier.reports.workshop import page_layout, workshop_map_html, workshop_map_pdf

__all__ = [
    "DocumentData",
    "MapFrame",
    "budget",
    "budget_total_eur",
    "collect_document_data",
    "flyer_html",
    "flyer_pdf",
    "page_layout",
    "participation_url",
    "report_html",
    "report_pdf",
    "workshop_map_html",
    "workshop_map_pdf",
    "write_pdf",
    "write_report",
]
