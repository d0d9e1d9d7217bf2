"""The planning endpoints (api/planning.py) of the app, bound to the Lauf planning
workspace through ``app.dependency_overrides``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytest_plugins = ["planning_fixtures"]


@pytest.fixture()
def client(lauf_planning):
    from api.main import app
    from tests.api_fixtures import settings_changed

    with (
        settings_changed(workspace=lauf_planning.gpkg),
        TestClient(app, raise_server_exceptions=False) as c,
    ):
        yield c


def test_locate_get_and_post(client, lauf_planning):
    r = client.get("/quartiers/lauf/planning/locate", params={"profile": "senior", "sites": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 2
    assert body["summary"]["gap"] == 0 and body["summary"]["residents_newly_within"] > 0
    assert body["text"].startswith("2 sites: ")
    cand = lauf_planning.candidates.iloc[:4][["id", "geometry"]]
    r = client.post(
        "/quartiers/lauf/planning/locate",
        params={"model": "pmedian"},
        json=cand.__geo_interface__,
    )
    assert r.status_code == 200, r.text
    assert r.json()["features"][0]["properties"]["candidate_id"] in set(cand["id"])


def test_supply_get(client):
    r = client.get(
        "/quartiers/lauf/planning/supply", params={"category": "doctors", "week": "2026-W49"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["facilities_unknown"] == len(body["unknown"]) > 0
    assert "cells" not in body


@pytest.mark.parametrize(
    "path, params, status, message",
    [
        ("/quartiers/nowhere/planning/locate", {}, 404, "unknown quartier"),
        ("/quartiers/lauf/planning/locate", {"category": "bakery"}, 422, "unknown category"),
        ("/quartiers/lauf/planning/locate", {"model": "pcenter"}, 422, "unknown model"),
        ("/quartiers/lauf/planning/supply", {"category": "debt", "language": "xx"}, 422,
         "unknown language"),
    ],
)  # fmt: skip
def test_bad_input(client, path, params, status, message):
    r = client.get(path, params=params)
    assert r.status_code == status
    assert message in r.json()["detail"]


def test_bad_candidate_body(client):
    r = client.post("/quartiers/lauf/planning/locate", json={"type": "Feature"})
    assert r.status_code == 422 and "FeatureCollection" in r.json()["detail"]


def test_answers_link_to_the_map_showing_them(client, lauf_planning):
    r = client.get(
        "/quartiers/lauf/planning/locate",
        params={"profile": "senior", "sites": 2, "name": "api-test"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "api-test" and body["run_id"] == body["summary"]["run_id"]
    url = body["map_url"]
    assert f"/quartiers/lauf/map?lang=de&profile=senior&sites={body['run_id']}" in url
    page = client.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.count('"g":"site"') == 2  # the two numbered markers
    assert "Vorgeschlagene neue Standorte" in html
    for feature in body["features"]:
        assert feature["properties"]["address"] in html
    r = client.get(
        "/quartiers/lauf/planning/supply",
        params={"category": "grocery", "week": "2026-W49", "name": "api-test"},
    )
    assert r.status_code == 200, r.text
    page = client.get(r.json()["map_url"])
    assert page.status_code == 200
    assert "Öffnungsstunden pro Woche je 1.000 Einwohner" in page.text
    assert client.get("/quartiers/lauf/map", params={"sites": "never-run"}).status_code == 404
    assert client.get("/quartiers/lauf/map", params={"supply": "bad name"}).status_code == 422
