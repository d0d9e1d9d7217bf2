"""Property-based fuzzing of every operation in the app's OpenAPI schema (schemathesis):
no generated request — valid or not — may produce a server error (5xx), every error
answer is the API's JSON error body, and the core operations (OGC API – Features, maps,
walking queries) answer with documented statuses, content types and schemas.

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
    from tests.api_fixtures import api_workspace
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_workspace  # noqa: F401

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
def test_no_server_error_on_any_input(case, api_workspace):
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
