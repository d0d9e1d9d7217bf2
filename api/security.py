"""Security of the HTTP answers: headers, Content-Security-Policy, host names, proxies.

* :class:`SecurityHeadersMiddleware` — ``X-Content-Type-Options: nosniff`` on every answer;
  every HTML answer also gets ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``
  and a Content-Security-Policy with ``frame-ancestors 'none'`` (a strict one without any
  script when the route set none).
* :func:`content_security_policy`, :func:`new_nonce`, :func:`html_response` — what the
  HTML routes use: only scripts carrying the answer's nonce run.
* :class:`NoncedPage` — a large page (the quartier map) whose ``<script>`` tags get a fresh
  nonce on every answer while its gzip compression is done once.
* :class:`AllowedHostsMiddleware` — refuses a ``Host`` header outside
  ``settings.allowed_hosts`` (400); :func:`public_base_url` and :func:`public_request_url`
  give the addresses used in links (``settings.public_url`` when set).
* :func:`client_address` — the client a request comes from: ``X-Forwarded-For`` counts
  only when the connection comes from one of ``settings.trusted_proxies`` (the rule of
  uvicorn's proxy-header handling, which ``geoquartier serve`` configures the same way).
"""

from __future__ import annotations

import re
import secrets
import struct
import zlib
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import settings_for_scope
from api.errors import error_response
from geoquartier.settings import Settings

SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)
"""Where a ``nonce`` attribute goes: right after the name of every ``<script`` tag."""

NOSNIFF = {"X-Content-Type-Options": "nosniff"}

HTML_HEADERS = {"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
"""Headers of every HTML answer besides its Content-Security-Policy."""


# ---- Content-Security-Policy -----------------------------------------------------------------


def new_nonce() -> str:
    """A fresh CSP nonce (128 random bits, URL-safe base64): one per answer."""
    return secrets.token_urlsafe(16)


def content_security_policy(
    nonce: str | None = None,
    *,
    script_src: tuple[str, ...] = (),
    style_src: tuple[str, ...] = ("'unsafe-inline'",),
    img_src: tuple[str, ...] = ("'self'", "data:"),
    connect_src: tuple[str, ...] = (),
    worker_src: tuple[str, ...] = (),
) -> str:
    """A Content-Security-Policy that allows nothing but the sources named.

    Scripts run only when they carry ``nonce`` (or come from ``script_src``); styles may be
    inline (Leaflet positions its elements with style attributes); framing, ``<base>`` and
    form submissions are forbidden.
    """
    scripts = ((f"'nonce-{nonce}'",) if nonce else ()) + script_src
    directives = [
        ("default-src", ("'none'",)),
        ("script-src", scripts),
        ("style-src", style_src),
        ("img-src", img_src),
        ("connect-src", connect_src),
        ("worker-src", worker_src),
        ("base-uri", ("'none'",)),
        ("form-action", ("'none'",)),
        ("frame-ancestors", ("'none'",)),
    ]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives if values)


def html_response(
    html: str | bytes, csp: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """An HTML answer with its Content-Security-Policy and the HTML security headers."""
    return HTMLResponse(
        html,
        headers={"Content-Security-Policy": csp, **NOSNIFF, **HTML_HEADERS, **(headers or {})},
    )


def nonce_script_tags(html: str, nonce: str) -> str:
    """``html`` with ``nonce`` on every ``<script`` tag. Only for HTML that holds no user
    text (e.g. the API documentation pages of FastAPI)."""
    attribute = f' nonce="{nonce}"'.encode()
    return SCRIPT_TAG.sub(lambda m: m.group(0) + attribute, html.encode()).decode()


# ---- a large page with a fresh nonce per answer -------------------------------------------

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0
_FINAL_EMPTY_BLOCK = b"\x03\x00"


def _deflate_piece(data: bytes, level: int) -> bytes:
    """``data`` as raw deflate blocks that end on a byte boundary and refer to nothing
    before them, so that such pieces can be concatenated into one stream."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


class NoncedPage:
    """An HTML page whose ``<script>`` tags carry a fresh nonce on every answer.

    The page is cut after the name of each ``<script`` tag; the pieces are deflated once.
    An answer joins them with the deflated ``nonce`` attribute: a valid gzip stream
    without compressing the whole page (megabytes for a map) per request.
    """

    def __init__(self, html: str, compress_level: int = 6):
        raw = html.encode("utf-8")
        cuts = [m.end() for m in SCRIPT_TAG.finditer(raw)]
        bounds = [0, *cuts, len(raw)]
        self.pieces = [raw[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        self.compress_level = compress_level
        self._deflated = [_deflate_piece(p, compress_level) for p in self.pieces]
        self._raw_size = len(raw)

    @property
    def script_tags(self) -> int:
        """How many ``<script>`` tags get the nonce."""
        return len(self.pieces) - 1

    def _attribute(self, nonce: str) -> bytes:
        if not re.fullmatch(r"[A-Za-z0-9_\-+/=]+", nonce):
            raise ValueError("a nonce is base64 text")
        return f' nonce="{nonce}"'.encode("ascii")

    def html(self, nonce: str) -> bytes:
        """The page (UTF-8) with ``nonce`` on every script tag."""
        return self._attribute(nonce).join(self.pieces)

    def gzip(self, nonce: str) -> bytes:
        """:meth:`html` gzip-compressed (RFC 1952)."""
        attribute = self._attribute(nonce)
        crc = 0
        for i, piece in enumerate(self.pieces):
            if i:
                crc = zlib.crc32(attribute, crc)
            crc = zlib.crc32(piece, crc)
        size = self._raw_size + len(attribute) * self.script_tags
        stream = _deflate_piece(attribute, self.compress_level).join(self._deflated)
        trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
        return _GZIP_HEADER + stream + _FINAL_EMPTY_BLOCK + trailer


# ---- headers on every answer ------------------------------------------------------------------


class SecurityHeadersMiddleware:
    """ASGI middleware: ``nosniff`` everywhere; HTML answers get the HTML security headers
    and, when the route set none, a Content-Security-Policy that runs no script."""

    default_html_policy = content_security_policy()

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(MutableHeaders(scope=message), self.default_html_policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add_headers(headers: MutableHeaders, default_policy: str) -> None:
    for name, value in NOSNIFF.items():
        headers.setdefault(name, value)
    if not headers.get("content-type", "").startswith("text/html"):
        return
    for name, value in HTML_HEADERS.items():
        headers.setdefault(name, value)
    policy = headers.get("content-security-policy")
    if policy is None:
        headers["Content-Security-Policy"] = default_policy
    elif "frame-ancestors" not in policy:
        headers["Content-Security-Policy"] = policy + "; frame-ancestors 'none'"


# ---- host names and public addresses -----------------------------------------------------------


def _host_name(host_header: str) -> str:
    """The host name of a ``Host`` header without port (IPv6 without brackets), lower case."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host_header: str, allowed: list[str]) -> bool:
    """Whether ``host_header`` names one of ``allowed`` (``*`` any, ``*.example.org`` any
    subdomain of example.org, else the exact name)."""
    host = _host_name(host_header)
    for pattern in allowed:
        pattern = pattern.strip().lower()
        if pattern == "*" or pattern == host:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class AllowedHostsMiddleware:
    """ASGI middleware: a request whose ``Host`` is not in ``settings.allowed_hosts`` is
    refused with 400 (the settings are read per request; ``*`` lets every host through)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        allowed = settings_for_scope(scope).allowed_hosts
        host = Headers(scope=scope).get("host", "")
        if "*" in allowed or host_allowed(host, allowed):
            await self.app(scope, receive, send)
            return
        response = error_response(
            400, "invalid Host header: this server answers only to its configured host names"
        )
        await response(scope, receive, send)


def public_base_url(request: Request, settings: Settings) -> str:
    """The address of the API root for links: ``settings.public_url`` when set, else the
    request's own (its host was checked against ``settings.allowed_hosts``)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def public_request_url(request: Request, settings: Settings) -> URL:
    """The request's address (path and query) under :func:`public_base_url`."""
    if not settings.public_url:
        return request.url
    path = request.url.path
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    query = request.url.query
    return URL(public_base_url(request, settings) + path + (f"?{query}" if query else ""))


# ---- the client behind proxies --------------------------------------------------------------


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
    raise RuntimeError("only the trusted-host rule of this middleware is used")


@lru_cache(maxsize=16)
def _trusted_proxies(proxies: tuple[str, ...]) -> Any:
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    return ProxyHeadersMiddleware(_no_app, trusted_hosts=list(proxies)).trusted_hosts


def client_address(request: Request, settings: Settings) -> str:
    """The address of the client: the connection's peer, or, when the peer is one of
    ``settings.trusted_proxies``, the nearest untrusted address in ``X-Forwarded-For``.

    The same rule as uvicorn's proxy headers with ``forwarded_allow_ips`` set to the
    trusted proxies (what ``geoquartier serve`` passes), so applying it after uvicorn
    changes nothing.
    """
    peer = request.client.host if request.client and request.client.host else ""
    if not settings.trusted_proxies or not peer:
        return peer or "unknown"
    trusted = _trusted_proxies(tuple(settings.trusted_proxies))
    forwarded = ", ".join(request.headers.getlist("x-forwarded-for"))
    if peer not in trusted or not forwarded:
        return peer
    host, _port = trusted.get_trusted_client_address(forwarded)
    return host or peer
