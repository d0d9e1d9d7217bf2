"""``geoquartier quartiers``: what the registry knows about each quartier."""

from __future__ import annotations

import typer

from geoquartier.cli.app import app
from geoquartier.registry import load_registry


@app.command("quartiers")
def quartiers_command(
    details: bool = typer.Option(
        False, "--details", "-d", help="Also list the offices and data sources."
    ),
) -> None:
    """List the quartiers of the registry (data/quartiers.toml).

    Shows for each quartier its city, state (for public holidays), programme, how walking
    times are computed (network or estimate) and whether its offices have a location.
    """
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
