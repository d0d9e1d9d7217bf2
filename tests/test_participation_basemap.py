"""The offline street map of the participation page comes from the real walk network."""

from __future__ import annotations

from shapely.geometry import shape

try:
    from tests.api_fixtures import api_client, api_workspace
except ImportError:  # plain ``pytest`` with tests/ on sys.path
    from api_fixtures import api_client, api_workspace  # noqa: F401

from geoquartier.registry import get_quartier


def test_streets_of_a_network_quartier_surround_its_boundary(api_client):
    response = api_client.get("/quartiers/lauf/streets.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    features = response.json()["features"]
    assert len(features) > 500  # Lauf's planning area holds hundreds of walkable ways
    boundary = get_quartier("lauf").boundary
    lines = [shape(f["geometry"]) for f in features]
    assert all(line.geom_type in ("LineString", "MultiLineString") for line in lines)
    inside = sum(1 for line in lines if line.intersects(boundary))
    assert inside / len(lines) > 0.5


def test_estimate_quartier_has_no_streets_and_unknown_quartier_is_404(api_client):
    assert api_client.get("/quartiers/neu-olvenstedt/streets.geojson").json()["features"] == []
    missing = api_client.get("/quartiers/nowhere/streets.geojson")
    assert missing.status_code == 404
    assert "nowhere" in missing.json()["detail"]


def test_participation_page_asks_for_the_street_map(api_client):
    page = api_client.get("/participate/lauf?lang=de").text
    assert "/quartiers/lauf/streets.geojson" in page
