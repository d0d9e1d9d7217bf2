"""The paper documents of a quartier over HTTP (see docs/documents.md).

* ``GET /quartiers/{quartier}/print.pdf?size=A3|A4&orientation=landscape|portrait&lang=&event=``
  — the workshop map;
* ``GET /quartiers/{quartier}/flyer.pdf?lang=`` — the offer overview flyer;
* ``GET /quartiers/{quartier}/report.pdf?lang=`` and ``report.html`` — the local-mobility
  report with the participation counts (contributions per kind and review status, number
  of events — counts only, never a text).

The QR codes point to ``settings.public_url`` or, when it is not set, to the address the
request came to. Documents are made offline from the workspace: a quartier must have been
imported (404 otherwise); bad options answer 422.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api import deps
from api.errors import api_error
from api.security import content_security_policy, html_response, public_base_url

router = APIRouter(tags=["documents"])

Lang = Annotated[
    Literal["de", "en", "tr", "ro", "bg"], Query(description="language of the document")
]
PDF_RESPONSES = {200: {"content": {"application/pdf": {}}, "description": "a PDF document"}}


def document_links(base: str, quartier: str) -> list:
    """Links to the quartier's documents (for the ``/quartiers`` list)."""
    from api.schemas import Link

    pdf = "application/pdf"
    return [
        Link(href=f"{base}/quartiers/{quartier}/print.pdf", rel="print", type=pdf,
             title="workshop map (A3)"),
        Link(href=f"{base}/quartiers/{quartier}/flyer.pdf?lang=de", rel="flyer", type=pdf,
             title="offer flyer (de)"),
        Link(href=f"{base}/quartiers/{quartier}/report.pdf", rel="report", type=pdf,
             title="local-mobility report"),
    ]  # fmt: skip


def _data(quartier: str, registry: dict, workspace: deps.Workspace, *, walking: bool = True):
    from geoquartier.errors import DataMissingError
    from geoquartier.reports.data import collect_document_data

    spec = registry.get(quartier)
    if spec is None:
        raise api_error(404, f"unknown quartier {quartier!r}")
    if quartier not in set(workspace.frame("quartiers")["id"].astype(str)):
        raise DataMissingError(f"quartier {quartier!r} is not imported into the workspace")
    return collect_document_data(spec, workspace.store, walking=walking)


def _pdf(pdf: bytes, name: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


def participation_counts(store, quartier: str) -> dict:
    """Contributions of ``quartier`` per kind and review status, per source (online or
    entered from paper) and its number of events, for the report:
    ``{kind: {status: n}, ..., "Sources": {source: n}, "Events": n}`` (counts only, no
    texts)."""
    from geoquartier.vocabulary import ANNOTATION_KINDS, ANNOTATION_SOURCES, ANNOTATION_STATUSES

    counts: dict = {k: dict.fromkeys(ANNOTATION_STATUSES, 0) for k in ANNOTATION_KINDS}
    sources = dict.fromkeys(ANNOTATION_SOURCES, 0)
    for row in store.list_annotations(quartier=quartier):
        counts.setdefault(row["kind"], dict.fromkeys(ANNOTATION_STATUSES, 0))
        counts[row["kind"]][row["status"]] = counts[row["kind"]].get(row["status"], 0) + 1
        source = row.get("source") or "online"
        sources[source] = sources.get(source, 0) + 1
    counts["Sources"] = sources
    counts["Events"] = len(store.list_events(quartier=quartier))
    return counts


@router.get(
    "/quartiers/{quartier}/print.pdf",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="Workshop map (PDF, A3/A4)",
)
def print_pdf(
    quartier: str,
    request: Request,
    settings: deps.SettingsDep,
    registry: deps.RegistryDep,
    workspace: deps.WorkspaceDep,
    size: Annotated[Literal["A3", "A4"], Query(description="paper size")] = "A3",
    orientation: Annotated[
        Literal["landscape", "portrait"], Query(description="list beside or below the map")
    ] = "landscape",
    lang: Lang = "de",
    event: Annotated[
        str | None, Query(max_length=64, description="event id: the QR code opens its page")
    ] = None,
) -> Response:
    """The workshop map to print and write on: base map, numbered offices and services
    with their list, grid, scale bar and a QR code to the participation page."""
    from geoquartier.reports.workshop import workshop_map_pdf

    data = _data(quartier, registry, workspace)
    pdf = workshop_map_pdf(
        data,
        lang=lang,
        size=size,
        orientation=orientation,
        event_id=event,
        base_url=public_base_url(request, settings),
    )
    return _pdf(pdf, f"werkstatt-{quartier}-{size}-{lang}.pdf")


@router.get(
    "/quartiers/{quartier}/flyer.pdf",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="Offer overview flyer (PDF, A4)",
)
def flyer_pdf_route(
    quartier: str,
    request: Request,
    settings: deps.SettingsDep,
    registry: deps.RegistryDep,
    workspace: deps.WorkspaceDep,
    lang: Lang = "de",
) -> Response:
    """The office and the advisory services with hours, languages and walking minutes."""
    from geoquartier.reports.flyer import flyer_pdf

    data = _data(quartier, registry, workspace)
    pdf = flyer_pdf(data, lang=lang, base_url=public_base_url(request, settings))
    return _pdf(pdf, f"angebote-{quartier}-{lang}.pdf")


@router.get(
    "/quartiers/{quartier}/report.pdf",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="Local-mobility report (PDF)",
)
def report_pdf_route(
    quartier: str,
    registry: deps.RegistryDep,
    workspace: deps.WorkspaceDep,
    participation: deps.ParticipationStoreDep,
    lang: Lang = "de",
) -> Response:
    """Profile, walking access, budget by the standards, measures, participation counts
    and, with two or more monitoring snapshots, the trend of the indicators."""
    from geoquartier.reports.report import report_pdf

    data, counts = _report_inputs(quartier, registry, workspace, participation)
    return _pdf(
        report_pdf(data, lang=lang, participation_counts=counts),
        f"nahmobilitaet-{quartier}-{lang}.pdf",
    )


@router.get(
    "/quartiers/{quartier}/report.html",
    response_class=HTMLResponse,
    summary="Local-mobility report (HTML)",
)
def report_html_route(
    quartier: str,
    registry: deps.RegistryDep,
    workspace: deps.WorkspaceDep,
    participation: deps.ParticipationStoreDep,
    lang: Lang = "de",
) -> HTMLResponse:
    """The report as one self-contained HTML page (the same content as the PDF)."""
    from geoquartier.reports.report import report_html

    data, counts = _report_inputs(quartier, registry, workspace, participation)
    page = report_html(data, lang=lang, participation_counts=counts)
    return html_response(page, content_security_policy())


def _report_inputs(quartier: str, registry, workspace, participation) -> tuple:
    """The quartier's report data and its participation counts (404 for an unknown
    quartier, as :func:`_data`)."""
    return _data(quartier, registry, workspace), participation_counts(participation, quartier)
