"""Shared fixtures of the API tests: a real workspace, the app, a real server.

Import the names you need into a test module (``from tests.api_fixtures import
api_client, api_workspace, live_server``). The workspace and the server are built once
per test run even when several modules import the fixtures (module-level singletons).

* ``api_workspace`` (session): imports the quartiers in :data:`API_QUARTIERS` (Lauf with
  its walk network, Neu Olvenstedt without one) from the real data into a temporary
  GeoPackage beside a temporary participation database. Returns an
  :class:`ApiWorkspace`; :meth:`ApiWorkspace.settings` are the settings that use them.
* ``api_client`` (session): a ``fastapi.testclient.TestClient`` on ``api.main:app`` with
  those settings (``app.dependency_overrides[get_settings]``, see
  :func:`settings_override`; :func:`settings_changed` varies them inside a test).
* ``live_server`` (session): ``api.main:app`` served by uvicorn on 127.0.0.1 in a
  subprocess bound to the same workspace (through ``GEOQUARTIER_*`` variables); its value
  is the base URL (``http://127.0.0.1:<port>``).
* ``store`` (module): the participation database of ``api_workspace``; ``lauf`` (module):
  Lauf's boundary from the registry (EPSG:4326).

Helpers: :func:`bearer` (the header of a staff token), :func:`create_event` (an event
posted through the API) and :func:`workspace_copy` (a copy of the workspace to write
into, with its own database).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

API_QUARTIERS = ("lauf", "neu-olvenstedt")
"""Quartiers imported into the test workspace: one with a walk network, one without."""


@dataclass(frozen=True)
class ApiWorkspace:
    """The temporary workspace of the API tests."""

    root: Path
    gpkg: Path
    participation_db: Path
    quartiers: tuple[str, ...]

    def settings(self):
        """The settings that point the app at this workspace and database."""
        from geoquartier.settings import Settings

        return Settings(workspace=self.gpkg, participation_db=self.participation_db)

    def store(self):
        """The participation database of this workspace."""
        from api.participation.store import open_store

        return open_store(self.participation_db)


def _import(workspace: Path) -> None:
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    registry = load_registry()
    store = GeoPackageStore(workspace)
    for qid in API_QUARTIERS:
        import_quartier(registry[qid], store)


_singletons: dict[str, object] = {}

EVENT_START = "2026-11-28T15:00"
"""Start of the events the tests create (a Saturday afternoon, local time)."""


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header of the staff ``token``."""
    return {"Authorization": f"Bearer {token}"}


def workspace_copy(api_workspace: ApiWorkspace, root: Path) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the test workspace under ``root`` (for tests that write into it) beside a
    new participation database with a planner and a moderator account: the GeoPackage,
    the database and role → token."""
    from api.participation.store import open_store

    gpkg = root / "geoquartier.gpkg"
    shutil.copyfile(api_workspace.gpkg, gpkg)
    db = root / "participation.sqlite"
    store = open_store(db)
    tokens = {
        "planner": store.add_user("planerin", "planner")[1],
        "moderator": store.add_user("moderation", "moderator")[1],
    }
    return gpkg, db, tokens


def create_event(http, token: str, title: str, *, base: str = "", **fields) -> dict:
    """Post an event in Lauf (``fields`` change or add to the body, e.g. ``location`` or
    ``geometry`` in EPSG:4326) with the planner ``token``; the created event.

    ``http`` is anything with ``post(url, json=, headers=)``: a TestClient, or the
    ``httpx`` module with the server's ``base`` URL.
    """
    body = {"quartier": "lauf", "title": title, "start": EVENT_START} | fields
    r = http.post(f"{base}/events", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()


@contextmanager
def settings_override(settings) -> Iterator[object]:
    """Serve ``settings`` to ``api.main:app`` (``app.dependency_overrides``) in the block.

    The override in place before is restored afterwards, so overrides nest.
    """
    from api.main import app
    from geoquartier.settings import get_settings

    missing = object()
    previous = app.dependency_overrides.get(get_settings, missing)
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        yield settings
    finally:
        if previous is missing:
            app.dependency_overrides.pop(get_settings, None)
        else:
            app.dependency_overrides[get_settings] = previous


@contextmanager
def settings_changed(**changes) -> Iterator[object]:
    """The app's current settings with ``changes`` (e.g. ``public_url=...``) in the block."""
    from api.main import app
    from geoquartier.settings import get_settings

    current = app.dependency_overrides.get(get_settings, get_settings)()
    with settings_override(current.model_copy(update=changes)) as settings:
        yield settings


@pytest.fixture(scope="session")
def api_workspace(tmp_path_factory) -> ApiWorkspace:
    """A workspace with Lauf and Neu Olvenstedt imported from the real data."""
    if "workspace" in _singletons:
        yield _singletons["workspace"]
        return
    root = tmp_path_factory.mktemp("api-workspace")
    gpkg = root / "geoquartier.gpkg"
    db = root / "participation.sqlite"
    _import(gpkg)
    workspace = ApiWorkspace(root=root, gpkg=gpkg, participation_db=db, quartiers=API_QUARTIERS)
    _singletons["workspace"] = workspace
    yield workspace
    _singletons.pop("workspace", None)


@pytest.fixture(scope="module")
def store(api_workspace):
    """The participation database of the test workspace."""
    return api_workspace.store()


@pytest.fixture(scope="module")
def lauf():
    """Lauf's boundary (EPSG:4326) from the registry."""
    from geoquartier.registry import load_registry

    return load_registry()["lauf"].boundary


@pytest.fixture(scope="session")
def api_client(api_workspace):
    """A TestClient on the app, whose settings point at the test workspace."""
    from fastapi.testclient import TestClient

    from api.main import app

    with (
        settings_override(api_workspace.settings()),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def live_server(api_workspace):
    """``api.main:app`` served by uvicorn on 127.0.0.1 (a subprocess); yields the base URL.

    A separate process, as in production: clients in the test process (OWSLib, GDAL) can
    block the interpreter without blocking the server.
    """
    if "server" in _singletons:
        yield _singletons["server"]
        return
    try:
        from tests.uvicorn_server import UvicornServer
    except ImportError:  # plain ``pytest`` with tests/ on sys.path
        from uvicorn_server import UvicornServer

    server = UvicornServer(
        {
            "GEOQUARTIER_WORKSPACE": str(api_workspace.gpkg),
            "GEOQUARTIER_PARTICIPATION_DB": str(api_workspace.participation_db),
        },
        log_dir=api_workspace.root,
    )
    base = server.base
    _singletons["server"] = base
    yield base
    _singletons.pop("server", None)
    server.stop()
