"""``geoquartier db``: schema version, upgrades and backups of the layer store.

The layer store is the workspace GeoPackage (``GEOQUARTIER_WORKSPACE``) or, when
``GEOQUARTIER_DATABASE_URL`` is set, PostgreSQL/PostGIS. Every command works on both;
docs/deployment.md describes running geoquartier for a city on PostGIS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import command_group, fail, user_errors

db_app = command_group(
    "db",
    (
        "The layer store (workspace GeoPackage, or PostGIS when GEOQUARTIER_DATABASE_URL "
        "is set): schema version, upgrade, dump and restore."
    ),
)


def _store():
    from geoquartier.layers.backend import get_layer_store

    return get_layer_store(upgrade=False)


def _echo_counts(counts: dict[str, int]) -> None:
    for layer, n in counts.items():
        typer.echo(f"  {layer}: {n:,} features")
    typer.echo(f"  total: {sum(counts.values()):,} features in {len(counts)} layers")


@db_app.command("current")
def current() -> None:
    """Show where the layers and the participation tables are, their schema versions and
    the versions this program writes."""
    _current_layers()
    _current_participation()


def _state(version: int, latest: int) -> str:
    if version > latest:
        return "newer than this geoquartier: update it"
    return "up to date" if version == latest else "run 'geoquartier db upgrade'"


def _current_participation() -> None:
    from api.participation.store import SCHEMA_VERSION, existing_store

    with user_errors():
        store = existing_store()
        if store is None:
            typer.echo(
                f"participation database: none yet (created at schema version {SCHEMA_VERSION}"
                " on the first contribution or 'geoquartier db upgrade')"
            )
            return
        version = store.stored_schema_version()
    typer.echo(
        f"participation database {store.path}: schema version {version} "
        f"(this geoquartier: {SCHEMA_VERSION}; {_state(version, SCHEMA_VERSION)})"
    )


def _current_layers() -> None:
    from geoquartier.layers.migrations import LATEST_VERSION

    store = _store()
    typer.echo(f"layer store: {store.path}")
    if isinstance(store.path, Path) and not store.path.exists():
        typer.echo(f"no file yet; the first import writes it at schema version {LATEST_VERSION}")
        return
    with user_errors():
        version = store.schema_version()
    state = _state(version, LATEST_VERSION)
    typer.echo(f"schema version: {version} (this geoquartier: {LATEST_VERSION}; {state})")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply pending schema migrations (each store also does this when a command starts).

    On PostGIS the first upgrade creates one table per layer (and the postgis extension,
    if the role may). A GeoPackage is upgraded in a copy swapped in atomically. The
    participation database (its tables in schema 'participation' when a database URL is
    set) is created or migrated as well.
    """
    from geoquartier.layers.migrations import LATEST_VERSION

    with user_errors():
        store = _store()
        applied = store.upgrade()
    for migration in applied:
        typer.echo(f"applied {migration.version}: {migration.name}")
    if not applied:
        typer.echo(f"{store.path}: already at schema version {store.schema_version()}")
    else:
        typer.echo(f"{store.path}: now at schema version {LATEST_VERSION}")
    _upgrade_participation()


def _upgrade_participation() -> None:
    """Create or migrate the participation tables (SQLite file, or the PostgreSQL schema
    when a database URL is set) and say so."""
    from api.participation.store import default_store

    with user_errors():
        participation = default_store()
        before, after = participation.upgrade()
    state = "already at" if before == after else f"upgraded from {before} to"
    typer.echo(f"participation database {participation.path}: {state} schema version {after}")


@db_app.command("dump")
def dump(
    output: Annotated[Path, typer.Argument(help="GeoPackage to write (*.gpkg), e.g. backup.gpkg")],
) -> None:
    """Write every layer of the store to one GeoPackage (opens in QGIS; restores anywhere)."""
    from geoquartier.layers.backup import dump_store

    with user_errors():
        store = _store()
        store.upgrade()
        counts = dump_store(store, output)
    typer.echo(f"dumped {store.path} to {output}:")
    _echo_counts(counts)


@db_app.command("backup-participation")
def backup_participation(
    output: Annotated[Path, typer.Argument(help="SQLite file to write, e.g. participation.bak")],
) -> None:
    """Copy the participation database (SQLite) consistently, also while the server runs.

    Uses SQLite's online backup; the copy is written beside OUTPUT and renamed when
    complete. Restore by stopping the server and putting the copy in its place.
    """
    from geoquartier.config import participation_db_path
    from geoquartier.layers.backup import backup_sqlite
    from geoquartier.settings import get_settings

    settings = get_settings()
    if settings.participation_url:
        fail(
            "the participation database is PostgreSQL (GEOQUARTIER_DATABASE_URL): back it up "
            f"with the database's tools, e.g. pg_dump -n {settings.participation_schema}"
        )
    source = participation_db_path()
    with user_errors():
        tables = backup_sqlite(source, output)
    typer.echo(f"copied {source} to {output}:")
    for table, n in tables.items():
        typer.echo(f"  {table}: {n:,} rows")


@db_app.command("restore")
def restore(
    dump_file: Annotated[
        Path, typer.Argument(help="A GeoPackage written by 'geoquartier db dump'")
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the store's layers without asking.")
    ] = False,
) -> None:
    """Replace every layer of the store with the dump's, all at once (atomic)."""
    from geoquartier.layers.backup import restore_store

    store = _store()
    if not yes:
        typer.confirm(f"replace every layer in {store.path} with {dump_file}?", abort=True)
    with user_errors():
        store.upgrade()
        counts = restore_store(store, dump_file)
    typer.echo(f"restored {dump_file} into {store.path}:")
    _echo_counts(counts)
