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
import socket
import time
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
    saved = {k: os.environ.get(k) for k in ("GEOQUARTIER_WORKSPACE", "GEOQUARTIER_PARTICIPATION_DB")}
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(api_workspace):
    """``api.main:app`` served by uvicorn on 127.0.0.1 (a subprocess); yields the base URL.

    A separate process, as in production: clients in the test process (OWSLib, GDAL) can
    block the interpreter without blocking the server.
    """
    if "server" in _singletons:
        yield _singletons["server"]
        return
    import subprocess
    import sys

    import httpx

    port = _free_port()
    env = dict(os.environ)
    env["GEOQUARTIER_WORKSPACE"] = str(api_workspace.gpkg)
    env["GEOQUARTIER_PARTICIPATION_DB"] = str(api_workspace.participation_db)
    log = open(api_workspace.root / f"uvicorn-{port}.log", "wb")  # noqa: SIM115 (open for the server's lifetime)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/conformance", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            log.close()
            output = (api_workspace.root / f"uvicorn-{port}.log").read_text(errors="replace")
            raise RuntimeError(f"uvicorn did not start on {base}:\n{output[-3000:]}")
        time.sleep(0.1)
    _singletons["server"] = base
    yield base
    _singletons.pop("server", None)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
