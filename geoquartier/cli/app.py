"""The ``geoquartier`` command: one Typer app that every command module registers on.

User errors (:class:`geoquartier.errors.GeoquartierError`, bad files, bad options) print a
one-line message to stderr and exit with code 2; they never show a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

app = typer.Typer(
    name="geoquartier",
    help=(
        "Maps, walking access and participation for neighbourhood management "
        "(Quartiersmanagement).\n\n"
        "Start with 'geoquartier demo' to import the model quartiers, or "
        "'geoquartier quartiers' to list what the registry knows."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

USER_ERROR_EXIT = 2


def command_group(name: str, help: str) -> typer.Typer:
    """A group of subcommands ``geoquartier <name> ...`` with the root's settings (help on
    no arguments, plain help text, no tracebacks for the user)."""
    group = typer.Typer(
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.add_typer(group, name=name)
    return group


@app.callback()
def _root() -> None:
    """Maps, walking access and participation for neighbourhood management."""


def fail(message: str) -> None:
    """Print a one-line error for the user and exit with code 2."""
    typer.echo(f"error: {' '.join(str(message).split())}", err=True)
    raise typer.Exit(USER_ERROR_EXIT)


@contextmanager
def user_errors() -> Iterator[None]:
    """A user's mistake (:class:`~geoquartier.errors.GeoquartierError`) ends the command
    with one line on stderr and exit code 2 (also when the command runs inside Typer's test
    runner, without :func:`main`)."""
    from geoquartier.errors import GeoquartierError

    try:
        yield
    except GeoquartierError as exc:
        fail(str(exc))


def main() -> None:
    """Entry point of the ``geoquartier`` console script."""
    import geoquartier.cli  # noqa: F401  (registers every command)
    from geoquartier.errors import GeoquartierError

    try:
        app()
    except GeoquartierError as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        sys.exit(USER_ERROR_EXIT)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        typer.echo(f"error: {exc.strerror}: {exc.filename}", err=True)
        sys.exit(USER_ERROR_EXIT)
