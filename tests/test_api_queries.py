"""Walking queries and maps of the API on the real Lauf network and Neu Olvenstedt
(estimate mode): isochrones, routes, the referral query ``/services/nearest``, the
quartier list, the interactive maps and the Leaflet assets.

Advisory services with language tags are rare in OSM (Lauf's seven services have none),
so the referral tests add two debt-advice services through the store API — one offering
Turkish, one German only — at the locations of two real Lauf services, and remove them
afterwards.
"""

from __future__ import annotations

import re
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape

from geoquartier.errors import GeoquartierError
from geoquartier.mobility import PROFILES, network_for, route
from geoquartier.registry import load_registry

try:
    from tests.api_fixtures import api_client, api_workspace
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_client, api_workspace  # noqa: F401

pytestmark = pytest.mark.slow

GEOD = Geod(ellps="WGS84")
TURKISH_HOURS = "Mo-Fr 09:00-12:00; PH off"


@pytest.fixture(scope="module")
def store(api_workspace):
    from geoquartier.layers.store import GeoPackageStore

    return GeoPackageStore(api_workspace.gpkg)


@pytest.fixture(scope="module")
def office(store):
    offices = store.read("offices", quartier="lauf")
    return offices.geometry.iloc[0]


@pytest.fixture(scope="module")
def debt_services(store):
    """Two debt-advice services in Lauf (tr+de / de only), written through the store API."""
    original = store.read("services", quartier="lauf")
    assert len(original) >= 2
    anchors = original.sort_values("id").geometry.iloc[:2].tolist()
    added = gpd.GeoDataFrame(
        {
            "id": ["lauf:test-debt-tr", "lauf:test-debt-de"],
            "quartier": ["lauf", "lauf"],
            "name": ["Schuldnerberatung <b>Türkçe</b>", "Schuldnerberatung Deutsch"],
            "category": ["debt", "debt"],
            "opening_hours": [TURKISH_HOURS, "Mo-Fr 08:00-18:00"],
            "languages": [["de", "tr"], ["de"]],
            "source": ["test", "test"],
        },
        geometry=anchors,
        crs="EPSG:4326",
    )
    store.write("services", pd.concat([original, added], ignore_index=True), quartier="lauf")
    yield added
    store.write("services", original, quartier="lauf")


def _lauf_network():
    return network_for(load_registry()["lauf"])


def test_isochrone_grows_with_time_and_shrinks_for_slower_profiles(api_client, office):
    def area(minutes, profile="standard"):
        response = api_client.get(
            "/isochrone",
            params={"lon": office.x, "lat": office.y, "minutes": minutes, "profile": profile},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/geo+json")
        body = response.json()
        assert body["quartier"] == "lauf" and body["estimate"] is False
        assert len(body["features"]) == 1
        feature = body["features"][0]
        assert shape(feature["geometry"]).buffer(1e-6).contains(Point(office.x, office.y))
        return feature["properties"]["area_m2"]

    five, ten = area(5), area(10)
    assert 0 < five < ten
    assert area(10, "senior") < ten


def test_route_follows_streets_and_matches_the_mobility_engine(api_client, office):
    destination = (11.28423, 49.50713)
    response = api_client.get(
        "/route",
        params={"from": f"{office.x},{office.y}", "to": f"{destination[0]},{destination[1]}"},
    )
    assert response.status_code == 200, response.text
    feature = response.json()
    props = feature["properties"]
    straight = GEOD.inv(office.x, office.y, *destination)[2]
    assert props["distance_m"] > straight
    assert props["walk_min"] == pytest.approx(
        props["distance_m"] / PROFILES["standard"].speed_m_per_min, rel=1e-3
    )
    assert props["streets"] and all(isinstance(s, str) and s for s in props["streets"])
    assert props["estimate"] is False and props["quartier"] == "lauf"
    coords = feature["geometry"]["coordinates"]
    assert coords[0] == pytest.approx([office.x, office.y], abs=1e-6)
    assert coords[-1] == pytest.approx(list(destination), abs=1e-6)
    expected = route(_lauf_network(), (office.x, office.y), destination, "standard")
    assert props["distance_m"] == pytest.approx(expected.distance_m, abs=0.1)
    assert props["streets"] == [s for s in expected.street_names if s]


def test_route_in_estimate_quartier_says_estimate(api_client):
    response = api_client.get("/route", params={"from": "11.5870,52.1504", "to": "11.5800,52.1450"})
    assert response.status_code == 200, response.text
    props = response.json()["properties"]
    straight = GEOD.inv(11.5870, 52.1504, 11.5800, 52.1450)[2]
    assert props["estimate"] is True and props["quartier"] == "neu-olvenstedt"
    assert props["distance_m"] == pytest.approx(straight * 1.3, rel=0.01)


def test_nearest_services_are_ranked_by_walking_time_with_routes(api_client, office, store):
    services = store.read("services", quartier="lauf")
    response = api_client.get(
        "/services/nearest", params={"lon": office.x, "lat": office.y, "limit": 20}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    features = body["features"]
    assert body["numberReturned"] == len(features) == len(services)
    times = [f["properties"]["walk_min"] for f in features]
    assert times == sorted(times)
    assert [f["properties"]["rank"] for f in features] == list(range(1, len(features) + 1))
    for feature in features:
        walk = feature["properties"]["route"]
        assert walk["properties"]["distance_m"] == feature["properties"]["distance_m"]
        assert walk["geometry"]["coordinates"][-1] == pytest.approx(
            feature["geometry"]["coordinates"], abs=1e-6
        )
    three = api_client.get(
        "/services/nearest", params={"lon": office.x, "lat": office.y, "limit": 3}
    ).json()
    assert [f["id"] for f in three["features"]] == [f["id"] for f in features[:3]]


@pytest.mark.parametrize("profile", ["standard", "wheelchair"])
def test_nearest_services_equal_one_route_per_service(api_client, store, profile):
    """The one-search ranking gives every service the distance, time and route geometry of
    a separate ``route()`` to it, and the ranking by walking time (then id)."""
    services = store.read("services", quartier="lauf").sort_values("id")
    origin = services.geometry.iloc[len(services) // 2]
    lon, lat = origin.x + 0.0021, origin.y - 0.0013  # ~ 200 m away, not on a service
    network = _lauf_network()
    expected = []
    for sid, geom in zip(services["id"], services.geometry, strict=True):
        try:
            walk = route(network, (lon, lat), (geom.x, geom.y), profile)
        except GeoquartierError:
            continue
        expected.append((round(walk.walk_min, 2), str(sid), walk))
    expected.sort(key=lambda e: (e[0], e[1]))
    for limit in (1, 4, 20):
        body = api_client.get(
            "/services/nearest", params={"lon": lon, "lat": lat, "limit": limit, "profile": profile}
        ).json()
        features = body["features"]
        assert [f["id"] for f in features] == [e[1] for e in expected[:limit]]
        for feature, (walk_min, _, walk) in zip(features, expected[:limit], strict=True):
            props = feature["properties"]
            assert props["walk_min"] == walk_min
            assert props["distance_m"] == round(walk.distance_m, 1)
            coords = np.array(props["route"]["geometry"]["coordinates"])
            assert coords.shape == np.array(walk.geometry.coords).shape
            assert np.abs(coords - np.array(walk.geometry.coords)).max() < 1e-9


def _nearest_at(api_client, params: dict, open_at: str) -> dict:
    """``GET /services/nearest`` with ``params`` at the local time ``open_at``."""
    return api_client.get("/services/nearest", params={**params, "open_at": open_at}).json()


def _same_instant(text: str, expected: str) -> bool:
    return datetime.fromisoformat(text) == datetime.fromisoformat(expected)


def _assert_opening(props: dict, open_at_time: bool, next_opening: str) -> None:
    assert props["open_at_time"] is open_at_time
    assert _same_instant(props["next_opening"], next_opening)


def test_language_filter_and_opening_hours_with_bavarian_holidays(
    api_client, office, debt_services
):
    params = {"lon": office.x, "lat": office.y, "category": "debt"}
    both = api_client.get("/services/nearest", params=params).json()
    assert {f["id"] for f in both["features"]} == set(debt_services["id"])

    params["language"] = "tr"
    # Tuesday 24 November 2026, 10:00 in Lauf: open
    open_now = _nearest_at(api_client, params, "2026-11-24T10:00")
    assert [f["id"] for f in open_now["features"]] == ["lauf:test-debt-tr"]
    service = open_now["features"][0]["properties"]
    assert service["languages"] == ["de", "tr"]
    assert service["name"] == "Schuldnerberatung <b>Türkçe</b>"
    _assert_opening(service, True, "2026-11-24T10:00:00+01:00")
    assert _same_instant(service["closes_at"], "2026-11-24T12:00:00+01:00")

    # the same Tuesday at 13:00: closed, opens Wednesday 09:00
    later = _nearest_at(api_client, params, "2026-11-24T13:00")
    _assert_opening(later["features"][0]["properties"], False, "2026-11-25T09:00:00+01:00")

    # Tuesday 6 January 2026 is Epiphany, a public holiday in Bavaria (DE-BY): closed all day
    holiday = _nearest_at(api_client, params, "2026-01-06T10:00")
    _assert_opening(holiday["features"][0]["properties"], False, "2026-01-07T09:00:00+01:00")

    # an aware open_at in UTC is the same instant
    utc = _nearest_at(api_client, params, "2026-11-24T09:30:00Z")
    assert utc["features"][0]["properties"]["open_at_time"] is True

    nobody = api_client.get("/services/nearest", params={**params, "language": "ro"}).json()
    assert nobody["features"] == [] and nobody["numberReturned"] == 0


def test_nearest_service_without_hours_says_unknown(api_client, office, store):
    services = store.read("services", quartier="lauf")
    unknown = services[services["opening_hours"].isna()]
    assert len(unknown)
    category = unknown["category"].iloc[0]
    body = api_client.get(
        "/services/nearest", params={"lon": office.x, "lat": office.y, "category": category}
    ).json()
    assert body["features"]
    for feature in body["features"]:
        if feature["properties"]["opening_hours"] is None:
            assert feature["properties"]["open_at_time"] is None
            assert feature["properties"]["next_opening"] is None


def test_estimate_quartier_answers_isochrones_as_estimates(api_client):
    body = api_client.get(
        "/isochrone", params={"lon": 11.5870, "lat": 52.1504, "minutes": 10}
    ).json()
    assert body["quartier"] == "neu-olvenstedt" and body["estimate"] is True
    radius_m = 10 * PROFILES["standard"].speed_m_per_min / 1.3
    area = body["features"][0]["properties"]["area_m2"]
    assert area == pytest.approx(3.14159 * radius_m**2, rel=0.02)


# -- maps -------------------------------------------------------------------------------


def test_quartier_list_links_maps_and_participation(api_client):
    body = api_client.get("/quartiers").json()
    by_id = {q["id"]: q for q in body["quartiers"]}
    assert set(by_id) == {"lauf", "neu-olvenstedt"}
    assert by_id["neu-olvenstedt"]["mode"] == "estimate" and by_id["lauf"]["mode"] == "network"
    rels = {(link["rel"], link["href"].split("/", 3)[-1]) for link in by_id["lauf"]["links"]}
    assert ("map", "quartiers/lauf/map?lang=tr") in rels
    assert ("participate", "participate/lauf") in rels
    west, south, east, north = by_id["lauf"]["bbox"]
    assert 11.2 < west < east < 11.35 and 49.4 < south < north < 49.6


def test_map_is_served_in_the_language_with_approved_annotations_escaped(api_client, api_workspace):
    first = api_client.get("/quartiers/neu-olvenstedt/map", params={"lang": "en"})
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in first.text
    assert "https://unpkg" not in first.text and "cdn.jsdelivr" not in first.text
    assert first.headers["content-encoding"] == "gzip"  # the client accepts gzip
    plain = api_client.get(
        "/quartiers/neu-olvenstedt/map",
        params={"lang": "en"},
        headers={"Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in plain.headers
    # the same page; only the nonce of its scripts is new on every answer
    nonces = [_nonce(r.headers["content-security-policy"]) for r in (first, plain)]
    assert plain.content == first.text.replace(*nonces).encode("utf-8")

    pstore = api_workspace.store()
    marker = "Spielplatz-Marker-7f3a"
    row = pstore.add_annotation(
        "neu-olvenstedt",
        Point(11.5870, 52.1504),
        "idea",
        f"<img src=x onerror=alert(1)> {marker}",
        "de",
    )
    assert marker not in api_client.get("/quartiers/neu-olvenstedt/map?lang=en").text
    user, _token = pstore.add_user("map-test-moderator", "moderator")
    pstore.decide(row["id"], "approved", user)
    html = api_client.get("/quartiers/neu-olvenstedt/map?lang=en").text
    assert marker in html
    assert "<img src=x onerror=alert(1)>" not in html


def test_leaflet_assets_are_served(api_client):
    from geoquartier.maps.assets import node_modules_dir

    if not (node_modules_dir() / "leaflet" / "dist" / "leaflet.js").is_file():
        pytest.fail("node_modules/leaflet is missing: run 'npm ci' in the project root")
    response = api_client.get("/assets/leaflet/leaflet.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "Leaflet" in response.text[:2000]
    assert (
        api_client.get("/assets/leaflet/images/marker-icon.png").headers["content-type"]
        == "image/png"
    )


def _nonce(csp: str) -> str:
    found = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{16,})'", csp)
    assert found, csp
    return found.group(1)


def test_map_carries_security_headers_and_a_fresh_nonce_per_answer(api_client):
    url = "/quartiers/lauf/map?lang=de"
    plain = api_client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    csp = plain.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["script-src"]
    assert "https://tile.openstreetmap.org" in directives["img-src"]
    assert plain.headers["x-content-type-options"] == "nosniff"
    nonce = _nonce(csp)
    tags = re.findall(r"<script\b[^>]*>", plain.text)
    assert len(tags) >= 3 and all(f'nonce="{nonce}"' in tag for tag in tags), tags
    zipped = api_client.get(url)  # gzip, decoded by the client
    assert zipped.headers["content-encoding"] == "gzip"
    other = _nonce(zipped.headers["content-security-policy"])
    assert other != nonce
    assert zipped.text.replace(other, nonce) == plain.text


def test_every_answer_says_nosniff_and_html_answers_forbid_framing(api_client):
    for url in ("/docs", "/redoc", "/participate/lauf", "/moderate", "/quartiers/lauf/map"):
        r = api_client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), url
        assert r.headers["x-content-type-options"] == "nosniff", url
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp, (url, csp)
        nonce = _nonce(csp)
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)
        assert all(f'nonce="{nonce}"' in tag for tag in inline), (url, inline)
    for url in ("/collections", "/quartiers/lauf/annotations", "/no/such/page"):
        assert api_client.get(url).headers["x-content-type-options"] == "nosniff", url
