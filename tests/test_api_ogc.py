"""OGC API – Features on the real workspace (Lauf and Neu Olvenstedt imported from the data):
the protocol read with TestClient, with OWSLib and with GDAL's OAPIF driver (QGIS's client)."""

from __future__ import annotations

import os

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from api.ogc import PUBLIC_LAYERS

try:
    from tests.api_fixtures import api_client, api_workspace, live_server, settings_changed
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import (  # noqa: F401
        api_client,
        api_workspace,
        live_server,
        settings_changed,
    )

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(api_workspace):
    from geoquartier.layers.store import GeoPackageStore

    return GeoPackageStore(api_workspace.gpkg)


def _published(store) -> list[str]:
    return [layer for layer in PUBLIC_LAYERS if layer in store.layers()]


def test_landing_page_and_conformance(api_client):
    landing = api_client.get("/").json()
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert api_client.get(rels["service-desc"]["href"]).json()["openapi"].startswith("3.")
    classes = api_client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes


def test_collections_are_the_public_layers_of_the_store(api_client, store):
    body = api_client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    published = _published(store)
    assert {"quartiers", "services", "buildings"} <= set(published)
    assert ids[: len(published)] == published
    assert "addresses" not in ids
    quartiers = next(c for c in body["collections"] if c["id"] == "quartiers")
    west, south, east, north = quartiers["extent"]["spatial"]["bbox"][0]
    expected = store.read("quartiers").total_bounds
    assert (west, south, east, north) == pytest.approx(tuple(expected))
    item_links = [link for link in quartiers["links"] if link["rel"] == "items"]
    assert {link["type"] for link in item_links} == {"application/geo+json", "application/json"}


def test_items_page_matches_the_store(api_client, store):
    services = store.read("services")
    response = api_client.get("/collections/services/items?limit=5")
    assert response.headers["content-type"].startswith("application/geo+json")
    page = response.json()
    assert page["type"] == "FeatureCollection"
    assert page["numberMatched"] == len(services)
    assert page["numberReturned"] == min(5, len(services)) == len(page["features"])
    assert page["timeStamp"].endswith("Z")
    first = page["features"][0]
    row = services[services["id"] == first["id"]].iloc[0]
    assert first["properties"]["name"] == row["name"]
    assert first["properties"]["category"] == row["category"]
    assert first["geometry"]["coordinates"] == pytest.approx([row.geometry.x, row.geometry.y])


def test_paging_through_buildings_returns_every_building_once(api_client, store):
    expected = set(store.read("buildings")["id"])
    assert len(expected) > 1000
    seen: list[str] = []
    url = "/collections/buildings/items?limit=1000"
    pages = 0
    while url:
        page = api_client.get(url).json()
        assert page["numberMatched"] == len(expected)
        seen.extend(f["id"] for f in page["features"])
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        prev = [link for link in page["links"] if link["rel"] == "prev"]
        assert bool(prev) == (pages > 0)
        url = nxt[0] if nxt else None
        pages += 1
    assert pages == -(-len(expected) // 1000)
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def test_bbox_filter_equals_geopandas_intersects(api_client, store):
    buildings = store.read("buildings", quartier="lauf")
    minx, miny, maxx, maxy = buildings.total_bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    bbox = (cx - 0.004, cy - 0.003, cx + 0.004, cy + 0.003)
    expected = set(buildings[buildings.intersects(box(*bbox))]["id"])
    assert 0 < len(expected) < len(buildings)
    body = api_client.get(
        "/collections/buildings/items", params={"bbox": ",".join(map(str, bbox)), "limit": 10000}
    ).json()
    assert body["numberMatched"] == len(expected)
    assert {f["id"] for f in body["features"]} == expected


def test_property_filters(api_client, store):
    services = store.read("services")
    for category in sorted(set(services["category"]))[:3]:
        body = api_client.get(
            "/collections/services/items", params={"category": category, "limit": 10000}
        ).json()
        assert body["numberMatched"] == int((services["category"] == category).sum())
        assert {f["properties"]["category"] for f in body["features"]} == {category}
    pois = store.read("pois")
    for quartier in ("lauf", "neu-olvenstedt"):
        body = api_client.get(
            "/collections/pois/items", params={"quartier": quartier, "limit": 1}
        ).json()
        assert body["numberMatched"] == int((pois["quartier"] == quartier).sum()) > 0
    both = api_client.get(
        "/collections/pois/items", params={"quartier": "lauf,neu-olvenstedt", "limit": 1}
    ).json()
    assert both["numberMatched"] == len(pois[pois["quartier"].isin(["lauf", "neu-olvenstedt"])])
    none = api_client.get("/collections/pois/items", params={"quartier": "atlantis"}).json()
    assert none["numberMatched"] == 0 and none["features"] == []


SYNTHETIC_ROWS = 60


@pytest.fixture()
def language_after_many_unknown(store):
    """Lauf's services replaced by SYNTHETIC test services (labelled so in id, name and
    source): 60 without language data (null, as from a file import without a language
    column), then one offering Turkish. The 7 real services are too few to show the
    filter's behaviour past the first rows; they are written back afterwards."""
    original = store.read("services", quartier="lauf")
    anchor = original.geometry.iloc[0]
    n = SYNTHETIC_ROWS
    synthetic = gpd.GeoDataFrame(
        {
            "id": [f"lauf:synthetic-test-{i:02d}" for i in range(n)] + ["lauf:synthetic-test-tr"],
            "quartier": ["lauf"] * (n + 1),
            "name": [f"synthetic test service {i}" for i in range(n)]
            + ["synthetic test service (Türkçe)"],
            "category": ["debt"] * (n + 1),
            "languages": [None] * n + [["de", "tr"]],
            "source": ["synthetic test data"] * (n + 1),
        },
        geometry=[anchor] * (n + 1),
        crs="EPSG:4326",
    )
    store.write("services", synthetic, quartier="lauf")
    yield synthetic
    store.write("services", original, quartier="lauf")


def test_list_filter_looks_past_the_first_rows(api_client, store, language_after_many_unknown):
    services = store.read("services")
    assert services["languages"].head(50).isna().all()  # the situation of the defect
    body = api_client.get("/collections/services/items", params={"languages": "tr"}).json()
    assert body["numberMatched"] == 1
    assert [f["id"] for f in body["features"]] == ["lauf:synthetic-test-tr"]
    # the walking query finds the same service
    office = store.read("offices", quartier="lauf").geometry.iloc[0]
    nearest = api_client.get(
        "/services/nearest", params={"lon": office.x, "lat": office.y, "language": "tr"}
    ).json()
    assert [f["id"] for f in nearest["features"]] == ["lauf:synthetic-test-tr"]


def _hrefs(body: dict) -> list[str]:
    hrefs = [link["href"] for link in body.get("links", [])]
    for collection in body.get("collections", []):
        hrefs += [link["href"] for link in collection["links"]]
    return hrefs


def test_links_use_the_public_url_never_the_request_host(api_client):
    public = "https://geo.example.org/quartier"
    evil = {"Host": "evil.example"}
    with settings_changed(public_url=public):
        for url in ("/", "/collections", "/collections/services", "/quartiers"):
            body = api_client.get(url, headers=evil).json()
            hrefs = _hrefs(body) + [
                link["href"] for q in body.get("quartiers", []) for link in q["links"]
            ]
            assert hrefs and all(h.startswith(public + "/") for h in hrefs), (url, hrefs)
        page = api_client.get("/collections/buildings/items?limit=2&offset=2", headers=evil).json()
        rels = {link["rel"]: link["href"] for link in page["links"]}
        assert set(rels) >= {"self", "next", "prev", "alternate", "collection"}
        assert all(h.startswith(public + "/collections/buildings") for h in rels.values()), rels
        assert "offset=4" in rels["next"] and "limit=2" in rels["next"]
        office = api_client.get("/collections/offices/items?limit=1").json()["features"][0]
        one = api_client.get(f"/collections/offices/items/{office['id']}", headers=evil).json()
        assert all(link["href"].startswith(public + "/") for link in one["links"])


def test_unknown_hosts_are_refused_when_hosts_are_configured(api_client):
    with settings_changed(allowed_hosts=["geo.example.org", "*.quartier.example"]):
        refused = api_client.get("/collections", headers={"Host": "evil.example"})
        assert refused.status_code == 400
        assert refused.json()["status"] == 400 and "host" in refused.json()["detail"].lower()
        ok = api_client.get("/collections", headers={"Host": "geo.example.org"})
        assert ok.status_code == 200
        assert all(h.startswith("http://geo.example.org/") for h in _hrefs(ok.json()))
        sub = api_client.get("/conformance", headers={"Host": "lauf.quartier.example:8000"})
        assert sub.status_code == 200
    # the default (any host) is for local use: the request's host is used in links
    local = api_client.get("/collections", headers={"Host": "127.0.0.1:8000"}).json()
    assert all(h.startswith("http://127.0.0.1:8000/") for h in _hrefs(local))


def test_single_feature_and_formats(api_client, store):
    offices = store.read("offices")
    office = offices.iloc[0]
    response = api_client.get(f"/collections/offices/items/{office['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["id"] == office["id"]
    assert feature["properties"]["name"] == office["name"]
    assert {link["rel"] for link in feature["links"]} == {"self", "collection"}
    as_json = api_client.get("/collections/offices/items?f=json")
    assert as_json.headers["content-type"].startswith("application/json")
    accept = api_client.get("/collections/offices/items", headers={"Accept": "application/json"})
    assert accept.headers["content-type"].startswith("application/json")
    assert as_json.json()["numberMatched"] == len(offices)


def test_only_approved_annotations_are_published(api_client, api_workspace):
    pstore = api_workspace.store()
    quartiers = gpd.read_file(api_workspace.gpkg, layer="quartiers")
    lauf = quartiers[quartiers["id"] == "lauf"].geometry.iloc[0]
    where = lauf.representative_point()
    pending = pstore.add_annotation(
        "lauf", Point(where.x, where.y), "idea", "Bank am Spielplatz", "de"
    )
    approved = pstore.add_annotation(
        "lauf",
        Point(where.x, where.y),
        "problem",
        "<script>alert(1)</script> Gehweg zugeparkt",
        "de",
    )
    rejected = pstore.add_annotation(
        "lauf", Point(where.x, where.y), "praise", "rejected text", "de"
    )
    user, _token = pstore.add_user("ogc-test-moderator", "moderator")
    pstore.decide(approved["id"], "approved", user)
    pstore.decide(rejected["id"], "rejected", user, reason="off topic")

    ids = [c["id"] for c in api_client.get("/collections").json()["collections"]]
    assert "annotations" in ids
    body = api_client.get("/collections/annotations/items?limit=10000").json()
    published = {f["id"]: f for f in body["features"]}
    assert approved["id"] in published
    assert pending["id"] not in published and rejected["id"] not in published
    assert {f["properties"]["status"] for f in body["features"]} == {"approved"}
    assert published[approved["id"]]["properties"]["text"].startswith("<script>")
    assert api_client.get(f"/collections/annotations/items/{pending['id']}").status_code == 404
    assert api_client.get(f"/collections/annotations/items/{approved['id']}").status_code == 200


def test_owslib_lists_collections_and_pages_through_every_collection(live_server, store):
    from owslib.ogcapi.features import Features

    client = Features(live_server)
    assert client.conformance()["conformsTo"]
    listed = client.feature_collections()
    assert set(_published(store)) <= set(listed)
    for collection_id in listed:
        meta = client.collection(collection_id)
        assert meta["id"] == collection_id
        first = client.collection_items(collection_id, limit=1)
        total = first["numberMatched"]
        page_size = max(1, -(-total // 4)) if collection_id != "buildings" else 2000
        seen = []
        offset = 0
        while offset < total:
            page = client.collection_items(collection_id, limit=page_size, offset=offset)
            assert page["numberReturned"] == len(page["features"]) > 0
            seen.extend(f["id"] for f in page["features"])
            offset += page_size
        assert len(seen) == len(set(seen)) == total, collection_id
        if collection_id in store.layers():
            assert total == len(store.read(collection_id))


def test_gdal_oapif_driver_reads_the_layers(live_server, store):
    pyogrio = pytest.importorskip("pyogrio")
    if "OAPIF" not in pyogrio.list_drivers():
        pytest.skip("GDAL was built without the OAPIF driver")
    layers = {str(name) for name, _ in pyogrio.list_layers(f"OAPIF:{live_server}/")}
    assert set(_published(store)) <= layers
    for layer in ("services", "quartiers", "buildings"):
        expected = store.read(layer)
        got = pyogrio.read_dataframe(f"OAPIF:{live_server}/", layer=layer)
        assert len(got) == len(expected), layer
        assert got.crs.to_epsg() == 4326
        got_ids = set(got["id"]) if "id" in got.columns else set(got.index)
        assert got_ids == set(expected["id"]), layer


def test_serve_command_prints_the_addresses_and_serves(api_workspace, tmp_path):
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(
        os.environ,
        GEOQUARTIER_WORKSPACE=str(api_workspace.gpkg),
        GEOQUARTIER_PARTICIPATION_DB=str(api_workspace.participation_db),
    )
    code = "import geoquartier.cli.serve; from geoquartier.cli.app import main; main()"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/docs", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert httpx.get(f"{base}/collections", timeout=10).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=20)
    text = log.read_text()
    assert f"{base}/quartiers/lauf/map?lang=de" in text
    assert f"{base}/participate/neu-olvenstedt" in text
    assert f"{base}/docs" in text


def test_serve_refuses_a_busy_port(api_workspace):
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = "import geoquartier.cli.serve; from geoquartier.cli.app import main; main()"
        done = subprocess.run(
            [sys.executable, "-c", code, "serve", "--port", str(port)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert "cannot listen" in done.stderr and str(port) in done.stderr


def test_events_collection_and_datetime_filter(api_client, api_workspace):
    pstore = api_workspace.store()
    walk = pstore.add_event(
        "lauf",
        "Stadtteilspaziergang Altstadt",
        "2026-05-09T10:00:00+02:00",
        Point(11.2799, 49.5142),
        kind="Stadtteilspaziergang",
        end="2026-05-09T12:00:00+02:00",
    )
    workshop = pstore.add_event(
        "lauf",
        "Stadtteilwerkstatt Pegnitzufer",
        "2026-09-15T18:00:00+02:00",
        Point(11.2820, 49.5130),
        kind="Stadtteilwerkstatt",
    )
    body = api_client.get("/collections/events/items?limit=10000").json()
    ids = {f["id"] for f in body["features"]}
    assert {walk["id"], workshop["id"]} <= ids
    may = api_client.get(
        "/collections/events/items", params={"datetime": "2026-05-09T09:00:00Z", "limit": 10000}
    ).json()
    may_ids = {f["id"] for f in may["features"]}
    assert walk["id"] in may_ids and workshop["id"] not in may_ids
    autumn = api_client.get(
        "/collections/events/items", params={"datetime": "2026-09-01T00:00:00Z/..", "limit": 10000}
    ).json()
    autumn_ids = {f["id"] for f in autumn["features"]}
    assert workshop["id"] in autumn_ids and walk["id"] not in autumn_ids
    kind = api_client.get("/collections/events/items", params={"kind": "Stadtteilwerkstatt"}).json()
    assert {f["properties"]["kind"] for f in kind["features"]} == {"Stadtteilwerkstatt"}
