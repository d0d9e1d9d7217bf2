"""``geoquartier quartiers``: what the registry knows, and setting up new quartiers.

* ``geoquartier quartiers [--details]`` — list the quartiers of the registry;
* ``geoquartier quartiers add ID …`` — set up a quartier from a boundary and an OSM file;
* ``geoquartier quartiers show ID`` — a readable summary of one quartier;
* ``geoquartier quartiers remove ID [--yes]`` — take a quartier out of the registry.

The registry file is ``GEOQUARTIER_REGISTRY`` or ``data/quartiers.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import app, user_errors
from geoquartier.config import registry_path
from geoquartier.errors import GeoquartierError
from geoquartier.registry import load_registry

quartiers_app = typer.Typer(
    help=(
        "List the quartiers of the registry, or add, show and remove one.\n\n"
        "Without a subcommand: the list (city, state, programme, walking times, offices). "
        "The registry file is GEOQUARTIER_REGISTRY or data/quartiers.toml."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(quartiers_app, name="quartiers")

_BOUNDARY_QUALITIES = ("official", "enclosing_district", "planning_area")


@quartiers_app.callback(invoke_without_command=True)
def quartiers_command(
    ctx: typer.Context,
    details: bool = typer.Option(
        False, "--details", "-d", help="Also list the offices and data sources."
    ),
) -> None:
    """List the quartiers of the registry (data/quartiers.toml).

    Shows for each quartier its city, state (for public holidays), programme, how walking
    times are computed (network or estimate) and whether its offices have a location.
    Subcommands: add, show, remove (see 'geoquartier quartiers add --help').
    """
    if ctx.invoked_subcommand is not None:
        return
    for spec in load_registry().values():
        placed = sum(1 for o in spec.office_entries if o.get("location"))
        kind = " (demo)" if spec.demo else ""
        typer.echo(
            f"{spec.id:<16} {spec.name}{kind} — {spec.city}, {spec.state}; "
            f"programme: {spec.programme or '-'}; walking times: {spec.mode}; "
            f"offices: {len(spec.office_entries)} ({placed} located)"
        )
        if details:
            for office in spec.office_entries:
                where = office.get("address") or "no address in the source"
                typer.echo(
                    f"    office: {office['name']} — {where}; "
                    f"location: {office.get('location_quality', 'unknown')}"
                )
            for key, value in spec.sources.items():
                typer.echo(f"    source {key}: {value}")


@quartiers_app.command("add")
def add_command(
    quartier: Annotated[
        str, typer.Argument(help="Id of the new quartier: lower-case words joined by '-'.")
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the quartier, e.g. 'Marxloh'.")],
    city: Annotated[str, typer.Option("--city", help="City or town, e.g. 'Duisburg'.")],
    state: Annotated[
        str,
        typer.Option(
            "--state", help="German state as ISO 3166-2 (DE-NW, DE-BY, …); sets the holidays."
        ),
    ],
    osm: Annotated[
        Path,
        typer.Option(
            "--osm",
            help="OpenStreetMap file with the quartier (.osm.pbf from a download service, "
            ".osm, .osm.bz2): services, buildings, addresses.",
        ),
    ],
    boundary: Annotated[
        Path | None,
        typer.Option(
            "--boundary",
            help="Boundary as a GeoJSON or GeoPackage file (any declared CRS). The registry "
            "refers to the file where it is; keep it there.",
        ),
    ] = None,
    admin: Annotated[
        str | None,
        typer.Option(
            "--admin",
            help="Instead of --boundary: the name of a boundary in the OSM file "
            "(boundary=administrative or place=suburb/quarter/neighbourhood), e.g. 'Marxloh'.",
        ),
    ] = None,
    admin_level: Annotated[
        str | None,
        typer.Option("--admin-level", help="With --admin: only boundaries of this admin_level."),
    ] = None,
    admin_id: Annotated[
        str | None,
        typer.Option("--admin-id", help="With --admin: the OSM object, e.g. relation/1234."),
    ] = None,
    office: Annotated[
        list[str] | None,
        typer.Option(
            "--office",
            help="An office as 'Name; Address; Hours', e.g. 'Stadtteilbüro Marxloh; Weseler "
            "Straße 28, 47169 Duisburg; Mo-Fr 09:00-12:00'. Repeat for several. The address "
            "is looked up in the OSM addresses at import; hours in OSM opening_hours syntax.",
        ),
    ] = None,
    programme: Annotated[
        str | None, typer.Option("--programme", help="Funding programme, e.g. 'Soziale Stadt'.")
    ] = None,
    population: Annotated[
        int | None,
        typer.Option(
            "--population",
            help="Official number of residents; spread over residential buildings when no "
            "Zensus grid is given.",
        ),
    ] = None,
    zensus: Annotated[
        Path | None,
        typer.Option(
            "--zensus",
            help="Zensus 2022 100 m grid: the Destatis CSV (or its ZIP) or a grid GeoJSON/GPKG.",
        ),
    ] = None,
    boundary_quality: Annotated[
        str | None,
        typer.Option(
            "--boundary-quality",
            help="official, enclosing_district or planning_area (default: official for an "
            "administrative OSM boundary, else planning_area).",
        ),
    ] = None,
) -> None:
    """Add a quartier to the registry from the files a planner has.

    Checks everything first — id, state, OSM file, boundary, offices and their opening
    hours — and writes nothing if one is wrong. The new entry is appended to the registry
    file; its comments and order stay as they are. Then import it:
    'geoquartier import ID'.
    """
    from geoquartier.registry_edit import NewQuartier

    new = NewQuartier(
        id=quartier,
        name=name,
        city=city,
        state=state,
        osm=osm,
        boundary=boundary,
        admin=admin,
        admin_level=admin_level,
        admin_id=admin_id,
        offices=list(office or []),
        programme=programme,
        population=population,
        zensus=zensus,
        boundary_quality=boundary_quality,
    )
    with user_errors():
        _add(new)


def _add(new) -> None:
    from geoquartier.registry_edit import add_quartier, prepare_quartier

    if new.boundary_quality is not None and new.boundary_quality not in _BOUNDARY_QUALITIES:
        raise GeoquartierError(
            f"--boundary-quality {new.boundary_quality!r}: expected one of "
            + ", ".join(_BOUNDARY_QUALITIES)
        )
    target = registry_path()
    if new.admin is not None and new.boundary is None:
        typer.echo(f"looking for boundary {new.admin!r} in {Path(new.osm).name} ...", err=True)
    prepared = prepare_quartier(new, target)
    add_quartier(target, prepared)
    typer.echo(f"added to {target}:")
    for line in prepared.lines:
        typer.echo(line)
    typer.echo(f"next: geoquartier import {new.id}")


@quartiers_app.command("remove")
def remove_command(
    quartier: Annotated[str, typer.Argument(help="Id of the quartier to remove.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a quartier from the registry (only its tables; other entries and their
    comments stay). The workspace and the data files are not touched."""
    from geoquartier.registry_edit import remove_quartier

    target = registry_path()
    with user_errors():
        registry = load_registry(target)
        if quartier not in registry:
            raise GeoquartierError(f"unknown quartier {quartier!r}; known: {', '.join(registry)}")
    spec = registry[quartier]
    if not yes and not typer.confirm(
        f"remove {quartier} ({spec.name}, {spec.city}) from {target}?", default=False
    ):
        typer.echo("nothing removed")
        raise typer.Exit(1)
    with user_errors():
        remove_quartier(target, quartier)
    typer.echo(f"removed {quartier} ({spec.name}) from {target}")


@quartiers_app.command("show")
def show_command(
    quartier: Annotated[str, typer.Argument(help="Id of the quartier.")],
) -> None:
    """A readable summary of one quartier: facts, boundary, data files, offices and, if
    imported, what the workspace holds for it."""
    from geoquartier.cli.quartier_summary import summary_lines
    from geoquartier.registry import get_quartier

    with user_errors():
        lines = summary_lines(get_quartier(quartier))
    for line in lines:
        typer.echo(line)
