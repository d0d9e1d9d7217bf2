"""Versioned schema migrations of the layer store, one list for both backends.

Each store records the migrations applied to it in a table
``geoquartier_schema_migrations`` (version, name, applied_at); its schema version is the
highest version recorded there, 0 for a store written before versioning existed (a
GeoPackage of geoquartier 0.1 without that table). :data:`MIGRATIONS` lists every
version with a name; each backend implements each step
(:func:`upgrade_geopackage` here, :mod:`geoquartier.layers.postgis` for PostgreSQL).

Adding a field to a layer in :mod:`geoquartier.layers.schema` needs a new migration: the
PostGIS tables have fixed columns. GeoPackage layers are rewritten whole on every write
and get new columns by themselves; their step may be empty.

Controlled vocabularies are never put into the database (no CHECK constraints): they are
checked in Python, in :mod:`geoquartier.layers.validate`, before anything is written, so
a value the code knows and an older database does not cannot fail a write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from geoquartier.errors import GeoquartierError

MIGRATIONS_TABLE = "geoquartier_schema_migrations"
"""The table, in either backend, that lists the applied migrations."""


@dataclass(frozen=True)
class Migration:
    """One schema version: its number (1, 2, ...) and what it does, in a few words."""

    version: int
    name: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "versioned layer store: migrations table; PostGIS: one table per layer"),
    Migration(2, "measures.scenario_id: a measure may name a published planning scenario"),
)
LATEST_VERSION = MIGRATIONS[-1].version
"""The schema version this code reads and writes."""


def pending(current: int) -> list[Migration]:
    """The migrations still to apply to a store at version ``current`` (oldest first).

    Raises ``GeoquartierError`` when the store is newer than this code.
    """
    if current > LATEST_VERSION:
        raise GeoquartierError(
            f"the layer store is at schema version {current}, newer than this geoquartier "
            f"knows ({LATEST_VERSION}); update geoquartier before using it"
        )
    return [m for m in MIGRATIONS if m.version > current]


def now_text() -> str:
    """The current UTC time as ISO 8601 text (``applied_at`` of a migration)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- GeoPackage ---------------------------------------------------------------------------


def geopackage_version(path: Path) -> int:
    """Schema version of the GeoPackage at ``path`` (0: unversioned; the file must exist)."""
    with _sqlite(path) as db:
        return _sqlite_version(db)


def upgrade_geopackage(path: Path) -> list[Migration]:
    """Apply the pending migrations to the GeoPackage at ``path`` in place; returns them.

    Call on a private copy of the file (the store does this under its lock and swaps the
    copy in): the steps of one call run in one SQLite transaction.
    """
    with _sqlite(path) as db:
        todo = pending(_sqlite_version(db))
        for migration in todo:
            _GEOPACKAGE_STEPS[migration.version](db)
            db.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, now_text()),
            )
        db.commit()
    return todo


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    if not path.is_file():
        raise GeoquartierError(f"no GeoPackage at {path}")
    db = sqlite3.connect(path)
    try:
        yield db
    except sqlite3.DatabaseError as exc:
        raise GeoquartierError(
            f"{path} is not a readable GeoPackage ({exc}); move it away and import again"
        ) from None
    finally:
        db.close()


def _sqlite_version(db: sqlite3.Connection) -> int:
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if not exists:
        return 0
    (version,) = db.execute(f"SELECT max(version) FROM {MIGRATIONS_TABLE}").fetchone()
    return int(version or 0)


def _geopackage_v1(db: sqlite3.Connection) -> None:
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )


def _geopackage_nothing(db: sqlite3.Connection) -> None:
    """GeoPackage layers are rewritten whole and get new columns by themselves."""


_GEOPACKAGE_STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _geopackage_v1,
    2: _geopackage_nothing,
}
