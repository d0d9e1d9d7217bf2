"""``geoquartier serve`` probed from outside, as an attacker would: real servers in their
own processes on 127.0.0.1, real HTTP clients from several loopback addresses, raw sockets.

* ``X-Forwarded-For`` is honoured only from the proxies in ``trusted_proxies``; anyone
  else cannot pick a new rate-limit identity per request.
* A request whose body never arrives is answered 408 after ``request_timeout_s``; the
  worker is free again.
* Request headers above ``max_header_bytes`` are refused, also while they still arrive.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from geoquartier.registry import load_registry

try:
    from tests.uvicorn_server import ServeCommand
except ImportError:  # plain ``pytest`` with tests/ on sys.path
    from uvicorn_server import ServeCommand

pytestmark = pytest.mark.slow

PER_MINUTE = 3
REQUEST_TIMEOUT_S = 1
MAX_HEADER_BYTES = 4096


@pytest.fixture(scope="module")
def inside():
    return load_registry()["lauf"].boundary.representative_point()


def _serve(root: Path, **settings: str) -> ServeCommand:
    env = {
        "GEOQUARTIER_PARTICIPATION_DB": str(root / "participation.sqlite"),
        "GEOQUARTIER_WORKSPACE": str(root / "workspace.gpkg"),
        "GEOQUARTIER_ANNOTATIONS_PER_MINUTE": str(PER_MINUTE),
        "GEOQUARTIER_REQUEST_TIMEOUT_S": str(REQUEST_TIMEOUT_S),
        "GEOQUARTIER_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        "GEOQUARTIER_TRUSTED_PROXIES": "",
    }
    env.update({f"GEOQUARTIER_{name.upper()}": value for name, value in settings.items()})
    return ServeCommand(env, log_dir=root, ready_path="/events")


@pytest.fixture()
def server(tmp_path):
    """A fresh server per test: its rate-limit window starts with the test's first request."""
    process = _serve(tmp_path)
    yield process
    process.stop()
    assert b"Traceback" not in process.log_path.read_bytes()


@pytest.fixture()
def proxied(tmp_path):
    """A server behind a (simulated) reverse proxy on 127.0.0.1."""
    process = _serve(tmp_path, trusted_proxies="127.0.0.1")
    yield process
    process.stop()


def _client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def _submit(http: httpx.Client, base: str, inside, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {
        "geometry": {"type": "Point", "coordinates": [inside.x, inside.y]},
        "kind": "question",
        "text": "Wann kommt der Bus?",
    }
    return http.post(f"{base}/quartiers/lauf/annotations", json=body, headers=headers).status_code


def _until_refused(http: httpx.Client, base: str, inside, forwarded_for: str | None = None):
    statuses = []
    while len(statuses) <= 2 * PER_MINUTE and 429 not in statuses:
        statuses.append(_submit(http, base, inside, forwarded_for))
    assert statuses[-1] == 429 and set(statuses[:-1]) == {201}, statuses


def test_forwarded_for_from_a_direct_client_is_ignored(server, inside):
    # 127.0.0.1: the address uvicorn trusts by default (and a local proxy or tunnel uses)
    with _client("127.0.0.1") as http:
        _until_refused(http, server.base, inside)
        spoofed = [
            _submit(http, server.base, inside, forwarded_for=f"203.0.113.{n}") for n in range(30)
        ]
    assert set(spoofed) == {429}, spoofed
    with _client("127.0.0.8") as other:  # another client still has its own budget
        assert _submit(other, server.base, inside) == 201


def test_forwarded_for_is_honoured_only_from_a_trusted_proxy(proxied, inside):
    with _client("127.0.0.1") as proxy:
        _until_refused(proxy, proxied.base, inside, forwarded_for="203.0.113.5")
        assert _submit(proxy, proxied.base, inside, forwarded_for="203.0.113.6") == 201
        assert _submit(proxy, proxied.base, inside, forwarded_for="203.0.113.5") == 429
    with _client("127.0.0.9") as direct:  # not a trusted proxy: its own address counts
        _until_refused(direct, proxied.base, inside, forwarded_for="203.0.113.10")
        spoofed = [
            _submit(direct, proxied.base, inside, forwarded_for=f"198.51.100.{n}")
            for n in range(10)
        ]
    assert set(spoofed) == {429}, spoofed


def _raw(port: int, request: bytes, timeout_s: float = 10) -> bytes:
    """Send ``request`` and read until the server closes the connection."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(request)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return answer
            answer += chunk


def test_a_body_that_never_arrives_is_answered_408(server):
    head = (
        b"POST /quartiers/lauf/annotations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    answer = _raw(server.port, head + b'{"kind": "idea", ')  # 83 bytes short, then silence
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"status":408' in answer and str(REQUEST_TIMEOUT_S).encode() in answer
    assert httpx.get(f"{server.base}/conformance").status_code == 200  # still serving


def test_oversized_request_headers_are_refused(server):
    small = b"GET /conformance HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    fitting = _raw(server.port, small + b"X-Filler: " + b"a" * 2000 + b"\r\n\r\n")
    assert fitting.startswith(b"HTTP/1.1 200"), fitting[:200]
    # complete but too large: refused by the app, naming the limit
    oversized = _raw(server.port, small + b"X-Filler: " + b"a" * 8000 + b"\r\n\r\n")
    assert oversized.startswith(b"HTTP/1.1 431"), oversized[:200]
    assert str(MAX_HEADER_BYTES).encode() in oversized
    # still arriving and already too large: the server stops reading and refuses
    unfinished = _raw(server.port, small + b"X-Filler: " + b"a" * 6000)
    assert unfinished.startswith(b"HTTP/1.1 4"), unfinished[:200]
    assert httpx.get(f"{server.base}/conformance").status_code == 200
