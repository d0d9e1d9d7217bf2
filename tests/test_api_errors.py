"""Errors of the HTTP API: JSON ``{"detail", "status"}``, the right status, never a 500 on
bad input, and the server keeps serving."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from api.errors import (
    BodySizeLimitMiddleware,
    api_error,
    install_error_handlers,
    max_body_size,
)
from geoquartier.errors import DataMissingError, GeoquartierError

try:
    from tests.api_fixtures import api_client, api_workspace, live_server
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_client, api_workspace, live_server  # noqa: F401

pytestmark = pytest.mark.slow


def _assert_error(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    for word in words:
        assert word in body["detail"], (word, body["detail"])
    return body


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/collections/no-such-layer", 404, ("no-such-layer", "available collections")),
        ("/collections/no-such-layer/items", 404, ("no-such-layer",)),
        ("/collections/services/items/no-such-id", 404, ("no-such-id",)),
        ("/collections/services/items?bbox=1,2,3", 400, ("bbox",)),
        ("/collections/services/items?bbox=a,b,c,d", 400, ("bbox",)),
        ("/collections/services/items?bbox=11,49,10,50", 400, ("antimeridian",)),
        ("/collections/services/items?bbox=0,95,1,96", 400, ("bbox",)),
        ("/collections/services/items?bbox=nan,49,11,50", 400, ("finite",)),
        ("/collections/services/items?limit=0", 400, ("limit",)),
        ("/collections/services/items?limit=abc", 400, ("limit",)),
        ("/collections/services/items?offset=-1", 400, ("offset",)),
        ("/collections/services/items?colour=red", 400, ("colour", "filterable properties")),
        ("/collections/services/items?datetime=yesterday", 400, ("datetime",)),
        ("/collections/services/items?f=xml", 400, ("f",)),
        ("/collections/buildings/items?levels=many", 400, ("levels",)),
        ("/isochrone?lon=abc&lat=49.5", 422, ("lon",)),
        ("/isochrone?lon=nan&lat=49.5", 422, ("lon",)),
        ("/isochrone?lon=1e400&lat=49.5", 422, ("lon",)),
        ("/isochrone?lon=11.28&lat=49.51&minutes=0", 422, ("minutes",)),
        ("/isochrone?lon=11.28&lat=49.51&minutes=1000", 422, ("minutes",)),
        ("/isochrone?lon=11.28&lat=49.51&profile=rollerblade", 422, ("rollerblade", "standard")),
        ("/isochrone?lon=0&lat=0", 422, ("outside every quartier",)),
        ("/route?from=11.28&to=11.28,49.51", 422, ("from",)),
        ("/route?from=x,y&to=11.28,49.51", 422, ("from",)),
        ("/route?from=11.28,49.51&to=200,49.51", 422, ("to",)),
        ("/route?from=11.28,49.51&to=13.4,52.5", 422, ("destination", "outside every quartier")),
        ("/services/nearest?lon=11.28&lat=49.51&category=astrology", 422, ("astrology", "debt")),
        ("/services/nearest?lon=11.28&lat=49.51&language=turkish", 422, ("language",)),
        ("/services/nearest?lon=11.28&lat=49.51&open_at=soon", 422, ("open_at",)),
        ("/services/nearest?lon=11.28&lat=49.51&limit=1000", 422, ("limit",)),
        ("/services/nearest?lon=6.0&lat=51.0", 422, ("outside every quartier",)),
        ("/quartiers/atlantis/map", 404, ("atlantis", "lauf")),
        ("/quartiers/lauf/map?lang=xx", 422, ("xx", "de")),
        ("/quartiers/lauf/map?profile=fast", 422, ("fast",)),
        ("/no/such/page", 404, ()),
    ],
)
def test_bad_input_gets_json_error(api_client, url, status, words):
    _assert_error(api_client.get(url), status, *words)


def test_validation_error_lists_each_field(api_client):
    body = _assert_error(api_client.get("/isochrone?lon=abc&lat=xyz"), 422, "lon", "lat")
    assert {tuple(e["loc"]) for e in body["errors"]} == {("query", "lon"), ("query", "lat")}


def test_method_not_allowed_is_json(api_client):
    _assert_error(api_client.delete("/collections"), 405)


def test_announced_large_body_is_refused_before_reading(api_client):
    big = b"x" * (2 * 1024 * 1024)
    _assert_error(api_client.post("/collections", content=big), 413, "too large")


def test_chunked_body_over_the_limit_is_refused():
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=1000)

    @app.post("/echo")
    async def echo(payload: dict) -> dict:
        return {"keys": len(payload)}

    client = TestClient(app)

    def chunks():
        yield b'{"a": "'
        for _ in range(20):
            yield b"y" * 100
        yield b'"}'

    _assert_error(
        client.post("/echo", content=chunks(), headers={"content-type": "application/json"}),
        413,
        "1000 bytes",
    )
    small = client.post("/echo", json={"a": 1, "b": 2})
    assert small.status_code == 200 and small.json() == {"keys": 2}


def test_route_level_body_limit_and_handlers():
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/small", dependencies=[Depends(max_body_size(64))])
    async def small(payload: dict) -> dict:
        return payload

    @app.get("/fail/{kind}")
    def fail(kind: str):
        if kind == "missing":
            raise DataMissingError("the walk network file is missing")
        if kind == "user":
            raise GeoquartierError("the quartier has no boundary")
        if kind == "limit":
            raise api_error(429, "too many requests; try again later", headers={"Retry-After": "7"})
        raise RuntimeError("secret internal state")

    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/small", json={"a": 1}).json() == {"a": 1}
    _assert_error(client.post("/small", json={"a": "z" * 100}), 413, "64 bytes")
    _assert_error(
        client.post("/small", content=b"{not json", headers={"content-type": "application/json"}),
        422,
    )
    _assert_error(client.get("/fail/missing"), 404, "walk network")
    _assert_error(client.get("/fail/user"), 422, "boundary")
    limited = _assert_error(client.get("/fail/limit"), 429, "too many")
    assert limited
    assert client.get("/fail/limit").headers["retry-after"] == "7"
    crash = _assert_error(client.get("/fail/bug"), 500)
    assert "secret" not in crash["detail"]


def test_server_keeps_serving_after_bad_requests(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        bad = [
            "/collections/services/items?bbox=%00%ff",
            "/isochrone?lon=%F0%9F%98%80&lat=1",
            "/collections/" + "x" * 5000,
            "/services/nearest?lon=11.28&lat=49.51&open_at=99999-01-01T00:00",
            "/route?from=%2C&to=%2C",
        ]
        for url in bad:
            response = client.get(url)
            assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
            assert response.json()["status"] == response.status_code
        big = client.post("/collections", content=b"z" * (3 * 1024 * 1024))
        assert big.status_code == 413
        assert client.get("/conformance").status_code == 200
        assert client.get("/collections/services/items?limit=1").status_code == 200
