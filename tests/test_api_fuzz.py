"""Property-based fuzzing of every operation in the app's OpenAPI schema (schemathesis):
no generated request — valid or not — may produce a server error (5xx), every error
answer is the API's JSON error body, and the core operations (OGC API – Features, maps,
walking queries) answer with documented statuses, content types and schemas.

Explicit cases add what random generation rarely reaches: integers with hundreds of
digits where numbers are expected and dates far outside 1900–2100.

Bounded: a few examples per operation (``GEOQUARTIER_FUZZ_EXAMPLES``, default 12) so the
whole run stays within about two minutes on two cores.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import app

try:
    from tests.api_fixtures import api_client, api_workspace
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_client, api_workspace  # noqa: F401

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("GEOQUARTIER_FUZZ_EXAMPLES", "12"))

schema = schemathesis.openapi.from_asgi("/openapi.json", app)

CORE = re.compile(
    r"^/(collections|conformance|quartiers$|quartiers/\{quartier_id\}/map|isochrone|route|services|$)"
)
"""Operations of the core API whose answers must also match their documented schema,
status codes and content types."""


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_no_server_error_on_any_input(case, api_client):
    response = case.call()
    checks = [not_a_server_error]
    if CORE.match(case.operation.path):
        checks += [response_schema_conformance, status_code_conformance, content_type_conformance]
    case.validate_response(response, checks=checks)
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert body.get("status") == response.status_code, body
        assert isinstance(body.get("detail"), str) and body["detail"], body


HUGE = "9" * 310
HUGER = "9" * 4000
FAR_DATES = (
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1899-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "275760-09-13T00:00:00Z",
    "-000001-01-01T00:00:00Z",
)


def _json_error(response) -> dict:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert response.status_code >= 400, response.text[:300]
    body = response.json()
    assert body["status"] == response.status_code and body["detail"], body
    return body


@pytest.mark.parametrize("number", [HUGE, "-" + HUGE, HUGER, HUGE + ".5", "1e309", HUGE + "e5"])
def test_huge_numbers_in_a_submission(api_client, number):
    for coordinates in (f"[{number}, 49.511]", f"[11.28, {number}]", f"[[{number}, 1], [2, 3]]"):
        kind = "LineString" if coordinates.startswith("[[") else "Point"
        body = (
            f'{{"geometry": {{"type": "{kind}", "coordinates": {coordinates}}},'
            ' "kind": "idea", "text": "x"}'
        )
        response = api_client.post(
            "/quartiers/lauf/annotations",
            content=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        _json_error(response)


@pytest.mark.parametrize(
    "url",
    [
        f"/isochrone?lon={HUGE}&lat=49.5",
        f"/isochrone?lon=11.28&lat=49.51&minutes={HUGE}",
        f"/route?from={HUGE},49.5&to=11.28,49.51",
        f"/services/nearest?lon=11.28&lat=49.51&limit={HUGE}",
        f"/collections/services/items?offset={HUGE}",
        f"/collections/services/items?bbox={HUGE},49,12,50",
        f"/collections/buildings/items?levels={HUGE}",
        f"/moderation/annotations?limit={HUGE}",
    ],
)
def test_huge_numbers_in_query_parameters(api_client, url):
    _json_error(api_client.get(url))


def test_huge_page_size_is_clamped(api_client):
    # OGC API – Features: a limit above the maximum is clamped, not refused
    body = api_client.get(f"/collections/buildings/items?limit={HUGE}").json()
    assert 0 < body["numberReturned"] <= 10_000


@pytest.fixture(scope="module")
def planner(api_workspace):
    _, token = api_workspace.store().add_user("fuzz-planner", "planner")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("when", FAR_DATES)
def test_dates_far_outside_1900_to_2100(api_client, planner, when):
    event = {
        "quartier": "lauf",
        "title": "Stadtteilspaziergang",
        "start": when,
        "location": {"lon": 11.2806, "lat": 49.5110},
    }
    body = _json_error(api_client.post("/events", headers=planner, json=event))
    assert body["status"] == 422 and "start" in body["detail"]
    body = _json_error(
        api_client.post(
            "/events", headers=planner, json={**event, "start": "2026-05-01T10:00", "end": when}
        )
    )
    assert body["status"] == 422 and "end" in body["detail"]
    _json_error(
        api_client.get("/services/nearest", params={"lon": 11.28, "lat": 49.51, "open_at": when})
    )
    for value in (when, f"{when}/..", f"../{when}", f"{when}/{when}"):
        response = api_client.get("/collections/events/items", params={"datetime": value})
        assert response.status_code in (200, 400), (value, response.status_code, response.text)
        if response.status_code == 400:
            _json_error(response)
    events = api_client.get("/collections/events/items", params={"limit": 10000}).json()
    for feature in events["features"]:
        assert "1900" <= feature["properties"]["start"][:4] <= "2100", feature
