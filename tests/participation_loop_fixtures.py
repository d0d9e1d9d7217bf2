"""Fixtures shared by the feedback, receipt and Verfügungsfonds tests: a fresh
participation database per test module on ``api.main:app`` — each module runs once on
SQLite and once on PostgreSQL (``participation_backends``) —, staff tokens of every role,
a point inside the real Lauf boundary (registry)."""

from __future__ import annotations

import itertools

import pytest
from api_fixtures import bearer, settings_override
from fastapi.testclient import TestClient
from participation_backends import BACKENDS, new_backend
from shapely.geometry import Point

from api.participation.store import store_for
from geoquartier.registry import load_registry
from geoquartier.settings import Settings

PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp; "quoted"'
_addresses = itertools.count(10)


@pytest.fixture(scope="module", params=BACKENDS)
def db(request, tmp_path_factory):
    """A fresh participation database for this module (the app's settings name it), on
    each backend; yields its :class:`participation_backends.Backend`."""
    root = tmp_path_factory.mktemp("participation-loop")
    backend = new_backend(request.param, root)
    settings = Settings(workspace=root / "no-workspace.gpkg", **backend.settings_changes())
    with settings_override(settings):
        yield backend
    backend.close()


def app_store():
    """The module's participation database (what the app uses while ``db`` is active)."""
    from api.main import app
    from geoquartier.settings import get_settings

    return store_for(app.dependency_overrides[get_settings]())


def new_client() -> TestClient:
    """A client with its own address (each has its own rate-limit budget)."""
    from api.main import app

    return TestClient(
        app, raise_server_exceptions=False, client=(f"203.0.113.{next(_addresses)}", 40000)
    )


@pytest.fixture(scope="module")
def client(db):
    with new_client() as c:
        yield c


@pytest.fixture(scope="module")
def tokens(db):
    store = app_store()
    return {
        role: store.add_user(f"{role}-account", role)[1]
        for role in ("moderator", "planner", "jury")
    }


@pytest.fixture(scope="module")
def inside() -> Point:
    return load_registry()["lauf"].boundary.representative_point()


def open_fund(client, tokens, year: int, amount_cents: int) -> dict:
    """Set Lauf's Verfügungsfonds of ``year`` to ``amount_cents`` (as the planner)."""
    r = client.put(
        f"/quartiers/lauf/funds/{year}",
        json={"amount_cents": amount_cents},
        headers=bearer(tokens["planner"]),
    )
    assert r.status_code == 200, r.text
    return r.json()


def submit(client, inside: Point, text: str = "Mehr Bänke am Marktplatz", **fields):
    body = {"geometry": {"type": "Point", "coordinates": [inside.x, inside.y]}, "kind": "idea"}
    body |= {"text": text, "language": "de"} | fields
    r = client.post("/quartiers/lauf/annotations", json=body)
    assert r.status_code == 201, r.text
    return r.json()


__all__ = ["bearer", "settings_override"]
