"""Command-line arguments and options that several ``geoquartier`` commands share.

Typer ``Annotated`` types: a command writes ``profile: ProfileOption = "standard"`` and gets
the same flag names and help text as every other command.
"""

from __future__ import annotations

from typing import Annotated

import typer

QuartierArgument = Annotated[
    str,
    typer.Argument(help="Quartier id from the registry, e.g. lauf, dreieich, neu-olvenstedt."),
]
"""The quartier a command works on (positional)."""

ProfileOption = Annotated[
    str,
    typer.Option("--profile", "-p", help="Walking profile: standard, senior or wheelchair."),
]
"""One walking profile (``geoquartier.mobility.profiles``)."""

WalkMinutesOption = Annotated[
    float, typer.Option("--minutes", "-m", help="Walking time T in minutes.")
]
"""One walking time T in minutes."""
