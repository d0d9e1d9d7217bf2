"""The busiest routes make one trip through the threadpool per request: their own.

FastAPI runs a plain ``def`` dependency in the threadpool. Every such trip hands the GIL
between the event loop and a worker thread; under concurrent clients these hand-overs,
not the routes' work, halved the throughput of the map and ``/services/nearest``
(README, "HTTP API"). The dependencies of :mod:`api.deps` are therefore ``async def``;
these tests count the calls of ``anyio.to_thread.run_sync`` during one request on the
real Lauf workspace, so a new sync dependency on these routes shows up here.
"""

from __future__ import annotations

import anyio.to_thread
import pytest

try:
    from tests.api_fixtures import api_client, api_workspace
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_client, api_workspace  # noqa: F401

pytestmark = pytest.mark.slow


def _name(func) -> str:
    """The function a threadpool call runs (FastAPI wraps it in partials)."""
    while hasattr(func, "func"):
        inner = func.keywords.get("function") if hasattr(func, "keywords") else None
        func = inner if inner is not None else func.func
    return getattr(func, "__qualname__", repr(func))


@pytest.fixture
def thread_trips(monkeypatch):
    """The names of the functions run in the threadpool, in order, while the test runs."""
    trips: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        trips.append(_name(func))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return trips


@pytest.fixture(scope="module")
def lauf_point(api_workspace):
    """The Lauf office (EPSG:4326 lon/lat), inside the quartier."""
    from geoquartier.layers.store import GeoPackageStore

    office = GeoPackageStore(api_workspace.gpkg).read("offices", quartier="lauf").geometry.iloc[0]
    return office.x, office.y


def _trips_of(api_client, thread_trips, url: str) -> list[str]:
    assert api_client.get(url).status_code == 200  # first answer builds caches
    thread_trips.clear()
    r = api_client.get(url)
    assert r.status_code == 200, r.text
    return list(thread_trips)


def test_nearest_services_run_only_the_route_in_the_threadpool(
    api_client, thread_trips, lauf_point
):
    lon, lat = lauf_point
    url = f"/services/nearest?lon={lon}&lat={lat}&category=seniors&limit=3"
    assert _trips_of(api_client, thread_trips, url) == ["services_nearest"]


def test_map_runs_only_the_route_in_the_threadpool(api_client, thread_trips):
    trips = _trips_of(api_client, thread_trips, "/quartiers/lauf/map?lang=de")
    assert trips == ["quartier_map"]


def test_collection_items_read_the_layer_list_and_the_page_in_the_threadpool(
    api_client, thread_trips
):
    # the collection list reads the store's layer names (file or database I/O): its own trip
    trips = _trips_of(api_client, thread_trips, "/collections/buildings/items?limit=100")
    assert trips == ["collection_sources", "items"]
