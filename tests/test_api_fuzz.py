"""Property-based fuzzing of every operation in the app's OpenAPI schema (schemathesis):
no generated request — valid or not — may produce a server error (5xx), and every error
answer is the API's JSON error body.

Bounded: a few examples per operation (``GEOQUARTIER_FUZZ_EXAMPLES``, default 12) so the
whole run stays within about two minutes on two cores.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.main import app

try:
    from tests.api_fixtures import api_workspace  # noqa: F401
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_workspace  # noqa: F401

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("GEOQUARTIER_FUZZ_EXAMPLES", "12"))

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_on_any_input(case, api_workspace):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert body.get("status") == response.status_code, body
        assert isinstance(body.get("detail"), str) and body["detail"], body
