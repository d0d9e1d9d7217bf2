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
    for the standard, senior and wheelchair profiles, the homes or cells with the most
    residents beyond 10 minutes (with addresses), the barriers of the footpath network
    (steps, ways closed to wheelchairs, missing kerb/incline/surface information), the
    published scenarios and stored location results, the yearly budget by the standards
    (staff, material costs, project funds, neighbourhood fund, each rule quoted) and the
    building measures; with the participation database, the contributions per kind and
    review status and the number of events (counts only). Each figure names its source
    and date.
    """
    from geoquartier.reports.budget import budget, budget_total_eur
    from geoquartier.reports.i18n import check_language
    from geoquartier.reports.report import quartier_profile, write_report

    check_language(lang)
    _check_output(output, (".pdf", ".html"))
    data = _document_data(quartier)
    write_report(data, output, lang=lang, participation_counts=_report_counts(data.spec.id))
    profile = quartier_profile(data)
    residents = profile["residents"]
    total = f"{budget_total_eur(budget(residents)):,.0f} €/year" if residents is not None else "–"
    typer.echo(
        f"{output}: local-mobility report of {data.name}, {lang}; "
        f"{profile['area_km2']:.2f} km², {residents or 0:,} residents, budget {total} "
        f"(walking times: {data.method}){_barrier_note(data)}"
    )


def _barrier_note(data) -> str:
    """The barriers for the summary line, e.g. ``; 38 steps, 70 ways closed to
    wheelchairs``; "" without a footpath network."""
    from geoquartier.reports.sections import barrier_figures

    found = barrier_figures(data)
    if found is None:
        return ""
    return f"; {found.steps} steps, {found.wheelchair_blocked} ways closed to wheelchairs"


monitor_app = typer.Typer(
    help=(
        "Monitoring: dated snapshots of a quartier's indicators (residents, walking access, "
        "services, measures, contributions), kept in the workspace, and their trend."
    ),
    no_args_is_help=True,
)
app.add_typer(monitor_app, name="monitor")


def _report_counts(quartier: str) -> dict | None:
    """The report's participation counts (per kind and status, events) when the
    participation database exists, else None."""
    from api.documents import participation_counts
    from api.participation.store import existing_store

    store = existing_store()
    return participation_counts(store, quartier) if store is not None else None


def _annotation_counts(quartier: str) -> dict[str, int] | None:
    """Contributions of ``quartier`` per review status from the participation database, or
    None when there is no database (counts only, never texts)."""
    from api.participation.store import existing_store
    from geoquartier.vocabulary import ANNOTATION_STATUSES

    store = existing_store()
    if store is None:
        return None
    return {s: store.count_annotations(quartier=quartier, status=s) for s in ANNOTATION_STATUSES}


@monitor_app.command("snapshot")
def monitor_snapshot_command(quartier: QuartierArg) -> None:
    """Store today's indicators of QUARTIER as a dated snapshot in the workspace.

    Residents, number of advisory services, the share of residents within 5/10/15 minutes'
    walk of each category for the standard, senior and wheelchair profiles (as in the
    report), measures by status and — when the participation database exists —
    contributions by review status. Snapshots are only ever added (table 'monitoring').
    """
    from geoquartier.reports.monitor import append_snapshot, indicator_rows
    from geoquartier.reports.report import quartier_profile, walking_access

    data = _document_data(quartier)
    typer.echo(f"computing the walking access of {data.name} ...", err=True)
    residents = quartier_profile(data)["residents"]
    coverage = walking_access(data)
    counts = _annotation_counts(data.spec.id)
    rows = indicator_rows(data, residents, coverage, counts)
    stamp = append_snapshot(data.store_path, data.spec.id, rows)
    n_cov = int((rows["indicator"] == "coverage_share").sum())
    typer.echo(
        f"snapshot {stamp} of {data.name}: {residents or 0:,} residents, "
        f"{len(data.layers['services'])} advisory service(s), {n_cov} coverage shares, "
        f"{len(data.layers['measures'])} measure(s), "
        + ("contributions: " + ", ".join(f"{k} {v}" for k, v in counts.items())
           if counts is not None else "no participation database")
    )  # fmt: skip


@monitor_app.command("list")
def monitor_list_command(
    quartier: QuartierArg,
    category: Annotated[
        str | None,
        typer.Option(help="Show this category's shares for every profile and walking time."),
    ] = None,
) -> None:
    """Print the trend of QUARTIER's indicators: one row per indicator, one column per
    snapshot (shares in %)."""
    from geoquartier.config import workspace_path
    from geoquartier.registry import get_quartier
    from geoquartier.reports.monitor import read_snapshots, trend_table

    spec = get_quartier(quartier)
    table = trend_table(read_snapshots(workspace_path(), spec.id), category)
    if table.empty:
        typer.echo(f"no snapshots of {spec.id}; take one with 'geoquartier monitor snapshot'")
        return
    table.columns = [str(c)[:16].replace("T", " ") for c in table.columns]
    table.index.name = None
    typer.echo(f"{len(table.columns)} snapshot(s) of {spec.id} (UTC; coverage in %)")
    typer.echo(table.apply(_trend_cells, axis=1).to_string())


def _trend_cells(row):
    """A trend row as text: shares in % with one decimal, counts as whole numbers."""
    if str(row.name).startswith("coverage"):
        return row.map(lambda v: "–" if v != v else f"{100 * v:.1f}")
    return row.map(lambda v: "–" if v != v else f"{v:,.0f}")
