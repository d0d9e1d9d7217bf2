"""Shared fixtures of the API tests: a real workspace, the app, a real server.

Import the names you need into a test module (``from tests.api_fixtures import
api_client, api_workspace, live_server``). The workspace and the server are built once
per test run even when several modules import the fixtures (module-level singletons).

* ``api_workspace`` (session): imports the quartiers in :data:`API_QUARTIERS` (Lauf with
  its walk network, Neu Olvenstedt without one) from the real data into a temporary
  GeoPackage, and points ``GEOQUARTIER_WORKSPACE`` and ``GEOQUARTIER_PARTICIPATION_DB``
  at temporary paths before the app reads its configuration. Returns an
  :class:`ApiWorkspace`.
* ``api_client`` (session): a ``fastapi.testclient.TestClient`` on ``api.main:app``.
* ``live_server`` (session): ``api.main:app`` served by uvicorn on 127.0.0.1 in a
  subprocess bound to the same workspace; its value is the base URL
  (``http://127.0.0.1:<port>``).
"""

from __future__ import annotations

import os
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


def _import(workspace: Path) -> None:
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    registry = load_registry()
    store = GeoPackageStore(workspace)
    for qid in API_QUARTIERS:
        import_quartier(registry[qid], store)


_singletons: dict[str, object] = {}


@pytest.fixture(scope="session")
def api_workspace(tmp_path_factory) -> ApiWorkspace:
    """A workspace with Lauf and Neu Olvenstedt imported from the real data."""
    if "workspace" in _singletons:
        yield _singletons["workspace"]
        return
    root = tmp_path_factory.mktemp("api-workspace")
    gpkg = root / "geoquartier.gpkg"
    db = root / "participation.sqlite"
    saved = {
        k: os.environ.get(k) for k in ("GEOQUARTIER_WORKSPACE", "GEOQUARTIER_PARTICIPATION_DB")
    }
    os.environ["GEOQUARTIER_WORKSPACE"] = str(gpkg)
    os.environ["GEOQUARTIER_PARTICIPATION_DB"] = str(db)
    from api import deps

    deps.clear_caches()
    _import(gpkg)
    workspace = ApiWorkspace(root=root, gpkg=gpkg, participation_db=db, quartiers=API_QUARTIERS)
    _singletons["workspace"] = workspace
    yield workspace
    _singletons.pop("workspace", None)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    deps.clear_caches()


@pytest.fixture(scope="session")
def api_client(api_workspace):
    """A TestClient on the app, bound to the test workspace."""
    from fastapi.testclient import TestClient

    from api.main import app

    with TestClient(app, raise_server_exceptions=False) as client:
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
