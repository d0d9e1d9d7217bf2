"""The participation store on both backends, for tests that touch it.

``participation_backend`` (a fixture parametrised ``sqlite`` / ``postgresql``) yields a
:class:`Backend`: a fresh SQLite file in the test's temporary folder, or a fresh
PostgreSQL schema in the database of ``GEOQUARTIER_TEST_DATABASE_URL`` (dropped after
the test). The PostgreSQL variant is skipped only when that variable is unset;
``.ci/run`` sets it (``.ci/postgis start``), so CI runs both.

The fixture is registered for every test module in ``conftest.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TEST_URL = os.environ.get("GEOQUARTIER_TEST_DATABASE_URL")
NO_DATABASE = "GEOQUARTIER_TEST_DATABASE_URL is not set (a PostgreSQL database for the tests)"
BACKENDS = ("sqlite", "postgresql")


@dataclass
class Backend:
    """One participation database of a test: ``name`` is ``sqlite`` or ``postgresql``."""

    name: str
    path: Path | None = None
    url: str | None = None
    schema: str | None = None
    _stores: list[Any] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """``GEOQUARTIER_*`` variables that point settings and servers at this database."""
        if self.name == "sqlite":
            return {"GEOQUARTIER_PARTICIPATION_DB": str(self.path)}
        return {
            "GEOQUARTIER_PARTICIPATION_DATABASE_URL": self.url,
            "GEOQUARTIER_PARTICIPATION_SCHEMA": self.schema,
        }

    @property
    def layers_schema(self) -> str | None:
        """PostgreSQL schema of the layer store of :meth:`server_env` (None on SQLite)."""
        return f"{self.schema}_layers" if self.schema else None

    def server_env(self, workspace: Path) -> dict[str, str]:
        """Environment of an app server as a city runs it: on PostgreSQL only the database
        URL (layers and participation both there, each in this test's own schemas); on
        SQLite the participation file and the GeoPackage ``workspace``."""
        if self.name == "sqlite":
            return {**self.env, "GEOQUARTIER_WORKSPACE": str(workspace)}
        return {
            "GEOQUARTIER_DATABASE_URL": self.url,
            "GEOQUARTIER_DATABASE_SCHEMA": self.layers_schema,
            "GEOQUARTIER_PARTICIPATION_SCHEMA": self.schema,
            "GEOQUARTIER_WORKSPACE": str(workspace),
        }

    def settings_changes(self) -> dict[str, Any]:
        """The same as changes of :class:`geoquartier.settings.Settings` fields."""
        if self.name == "sqlite":
            return {"participation_db": self.path}
        return {"participation_database_url": self.url, "participation_schema": self.schema}

    def store(self):
        """A new :class:`ParticipationStore` on this database (closed after the test)."""
        from api.participation.db import PostgresDatabase
        from api.participation.store import ParticipationStore

        if self.name == "sqlite":
            store = ParticipationStore(self.path)
        else:
            store = ParticipationStore(database=PostgresDatabase(self.url, self.schema))
        self._stores.append(store)
        return store

    def rows(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        """Run one portable SQL statement (``?`` placeholders) in its own transaction;
        the rows it returns."""
        store = self._stores[0] if self._stores else self.store()
        store._connect()  # tables created
        with store.db.write() as con:
            cursor = con.execute(sql, params)
            return cursor.fetchall() if sql.lstrip().upper().startswith("SELECT") else []

    def close(self) -> None:
        from api.participation.store import close_stores

        for store in self._stores:
            store.close()
        close_stores()
        if self.name == "postgresql":
            drop_schema(self.schema)
            drop_schema(self.layers_schema)


def drop_schema(schema: str) -> None:
    """Drop a PostgreSQL schema of the test database with everything in it."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(TEST_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def new_backend(name: str, folder: Path) -> Backend:
    """A fresh database of backend ``name`` (skips the test when PostgreSQL is missing)."""
    if name == "sqlite":
        return Backend("sqlite", path=folder / "participation.sqlite")
    if TEST_URL is None:
        pytest.skip(NO_DATABASE)
    return Backend("postgresql", url=TEST_URL, schema=f"p_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=BACKENDS)
def participation_backend(request, tmp_path) -> Iterator[Backend]:
    """A fresh participation database on each backend (see the module docstring)."""
    backend = new_backend(request.param, tmp_path)
    yield backend
    backend.close()
