"""``geoquartier print``, ``flyer`` and ``report``: the paper documents the office hands out.

All three work offline from the workspace (the quartier is imported first when missing) and
write one file; they print a short summary of what the document contains.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import app

QuartierArg = Annotated[
    str, typer.Argument(help="Quartier id from the registry, e.g. lauf or neu-olvenstedt.")
]
LangOpt = Annotated[str, typer.Option("--lang", "-l", help="Language: de, en, tr, ro or bg.")]


def _document_data(quartier: str, *, walking: bool = True):
    """The quartier's document data from the workspace (imported first when missing)."""
    from geoquartier.importer import import_quartier
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.registry import get_quartier
    from geoquartier.reports.data import collect_document_data

    spec = get_quartier(quartier)
    store = get_layer_store()
    if store.read("quartiers", quartier=spec.id).empty:
        typer.echo(f"importing {spec.id} into {store.path} ...", err=True)
        import_quartier(spec, store)
    return collect_document_data(spec, store, walking=walking)


def _check_output(output: Path, suffixes: tuple[str, ...]) -> Path:
    if output.suffix.lower() not in suffixes:
        raise typer.BadParameter(
            f"{output.name}: the file must end in {' or '.join(suffixes)}", param_hint="--output"
        )
    if not output.parent.exists():
        raise typer.BadParameter(f"folder {output.parent} does not exist", param_hint="--output")
    return output


def _warn_local_url() -> None:
    from geoquartier.reports.render import LocalPublicUrlWarning

    warnings.simplefilter("ignore", LocalPublicUrlWarning)
    from geoquartier.settings import get_settings

    if not get_settings().public_url:
        typer.echo(
            "warning: GEOQUARTIER_PUBLIC_URL is not set; the QR code points to "
            "http://127.0.0.1:8000, which works only on this computer",
            err=True,
        )


@app.command("print")
def print_command(
    quartier: QuartierArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="PDF file to write, e.g. werkstatt.pdf.")
    ] = Path("werkstatt.pdf"),
    size: Annotated[str, typer.Option("--size", help="Paper size: A3 or A4.")] = "A3",
    orientation: Annotated[
        str, typer.Option("--orientation", help="landscape (list beside the map) or portrait.")
    ] = "landscape",
    lang: LangOpt = "de",
    event: Annotated[
        str | None,
        typer.Option("--event", help="Event id: the QR code opens the participation page for it."),
    ] = None,
) -> None:
    """Write the workshop map of QUARTIER as a vector PDF to print and write on.

    Footpaths and buildings as base map (no internet needed), the boundary, the office and
    the advisory services as numbered symbols with a numbered list (name, hours,
    languages), a grid A–H × 1–6 so that people can write "C4: pavement too narrow", scale
    bar, north arrow, date, data credits and a QR code to the participation page.
    """
    from geoquartier.reports.i18n import check_language
    from geoquartier.reports.workshop import page_layout, workshop_map_pdf

    check_language(lang)
    page_layout(size.upper(), orientation)
    _check_output(output, (".pdf",))
    _warn_local_url()
    data = _document_data(quartier)
    pdf = workshop_map_pdf(
        data, output, lang=lang, size=size.upper(), orientation=orientation, event_id=event
    )
    n_services = len(data.layers["services"])
    typer.echo(
        f"{output}: workshop map of {data.name}, {size.upper()} {orientation}, {lang}; "
        f"{len(data.layers['offices'])} office(s), {n_services} advisory service(s), "
        f"{len(data.buildings):,} buildings; {len(pdf) / 1024:.0f} KB"
    )


@app.command("flyer")
def flyer_command(
    quartier: QuartierArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="PDF file to write, e.g. angebote-ro.pdf.")
    ] = Path("angebote.pdf"),
    lang: LangOpt = "de",
) -> None:
    """Write the offer overview flyer of QUARTIER (A4 PDF, one language).

    Page 1: the office with address, phone, opening hours in words and the next opening, a
    small map and a QR code to the participation page. Page 2 (and more when the list is
    long): the advisory services by category with languages, wheelchair access and the
    walking minutes from the office ("about" where the times are estimates).
    """
    from geoquartier.reports.flyer import flyer_pdf
    from geoquartier.reports.i18n import check_language

    check_language(lang)
    _check_output(output, (".pdf",))
    _warn_local_url()
    data = _document_data(quartier)
    pdf = flyer_pdf(data, output, lang=lang)
    walked = len(data.office_walk_min)
    typer.echo(
        f"{output}: offer flyer of {data.name}, {lang}; {len(data.layers['offices'])} office(s), "
        f"{len(data.layers['services'])} advisory service(s) ({walked} with walking time, "
        f"{data.method}); {len(pdf) / 1024:.0f} KB"
    )


@app.command("report")
def report_command(
    quartier: QuartierArg,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="File to write: .pdf or .html (nahmobilitaet.pdf)."),
    ] = Path("nahmobilitaet.pdf"),
    lang: LangOpt = "de",
) -> None:
    """Write the local-mobility report of QUARTIER as PDF or HTML.

    Quartier profile (area, residents and where the figure comes from, density), the share
    of residents within 5/10/15 minutes' walk of each kind of service and daily-needs place
    for the standard, senior and wheelchair profiles, the yearly budget by the standards
    (staff, material costs, project funds, neighbourhood fund, each rule quoted) and the
    building measures.
    """
    from geoquartier.reports.budget import budget, budget_total_eur
    from geoquartier.reports.i18n import check_language
    from geoquartier.reports.report import quartier_profile, write_report

    check_language(lang)
    _check_output(output, (".pdf", ".html"))
    data = _document_data(quartier)
    write_report(data, output, lang=lang)
    profile = quartier_profile(data)
    residents = profile["residents"]
    total = f"{budget_total_eur(budget(residents)):,.0f} €/year" if residents is not None else "–"
    typer.echo(
        f"{output}: local-mobility report of {data.name}, {lang}; "
        f"{profile['area_km2']:.2f} km², {residents or 0:,} residents, budget {total} "
        f"(walking times: {data.method})"
    )
