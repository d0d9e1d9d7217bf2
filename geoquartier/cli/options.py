"""Command-line arguments and options that several ``geoquartier`` commands share.

Typer ``Annotated`` types: a command writes ``profile: ProfileOption = "standard"`` and gets
the same flag names and help text as every other command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

QuartierArgument = Annotated[
    str,
    typer.Argument(help="Quartier id from the registry, e.g. lauf, dreieich, neu-olvenstedt."),
]
"""The quartier a command works on (positional)."""

OptionalQuartierArgument = Annotated[
    str | None,
    typer.Argument(
        help="Quartier id from the registry, e.g. lauf, dreieich, neu-olvenstedt "
        "(leave out with --all)."
    ),
]
"""The quartier of a command that can also run on every quartier (``--all``)."""

ProfileOption = Annotated[
    str,
    typer.Option("--profile", "-p", help="Walking profile: standard, senior or wheelchair."),
]
"""One walking profile (``geoquartier.mobility.profiles``)."""

WalkMinutesOption = Annotated[
    float, typer.Option("--minutes", "-m", help="Walking time T in minutes.")
]
"""One walking time T in minutes."""

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace GeoPackage to write to (default: the PostGIS database of "
        "GEOQUARTIER_DATABASE_URL if set, else GEOQUARTIER_WORKSPACE or "
        "workspace/geoquartier.gpkg).",
    ),
]
"""The workspace GeoPackage an import writes to (None: the configured one)."""


def output_option(help_text: str):
    """``--output`` / ``-o`` with the command's own help (what is written, in which format)."""
    return typer.Option("--output", "-o", help=help_text)


def category_option(help_text: str):
    """``--category`` / ``-c`` with the command's own help (which categories it takes)."""
    return typer.Option("--category", "-c", help=help_text)
