"""JSON errors for the whole HTTP API.

Every error answer has the shape ``{"detail": "<clear message>", "status": <code>}``
(request validation errors add ``"errors"``: one entry per bad field). Bad input never
produces a 500:

* :func:`install_error_handlers` registers handlers for HTTP errors, request validation
  errors (422), :class:`geoquartier.errors.GeoquartierError` (422; ``DataMissingError``
  404) and, as a last resort, unexpected exceptions (500, logged, no internals leaked).
* :class:`BodySizeLimitMiddleware` answers 413 for request bodies above a limit, both
  when ``Content-Length`` announces it and when a chunked body grows past it, 408 when a
  body does not arrive completely within ``settings.request_timeout_s`` (a client that
  announces more than it sends no longer holds a worker) and 431 when the request
  headers exceed ``settings.max_header_bytes``.
* :func:`max_body_size` is a dependency for routes that want a tighter limit than the
  application-wide one (e.g. annotation submissions).
* :func:`answer_errors` turns named exceptions of a block into such answers.
* :func:`api_error` builds an ``HTTPException`` with one of the statuses the API uses
  (400, 401, 403, 404, 408, 413, 422, 429).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SettingsDep, settings_for_scope
from geoquartier.errors import DataMissingError, GeoquartierError, ValidationError
from geoquartier.settings import Settings

log = logging.getLogger("geoquartier.api")

DEFAULT_MAX_BODY_BYTES = 1_048_576
"""Application-wide request body limit (bytes) applied by :class:`BodySizeLimitMiddleware`."""

OGC_400_PREFIXES = ("/collections",)
"""Paths whose request validation errors answer 400 (OGC API – Features) instead of 422."""

STATUS_TITLES = {
    400: "bad request",
    401: "authentication required",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    406: "not acceptable",
    408: "request timeout",
    413: "request body too large",
    431: "request headers too large",
    415: "unsupported media type",
    422: "invalid input",
    429: "too many requests",
    500: "internal server error",
}


def error_body(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error answer: ``{"detail": ..., "status": ...}`` plus ``extra``."""
    body: dict[str, Any] = {"detail": detail, "status": status}
    body.update(extra)
    return body


def error_response(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A JSON error response with the given HTTP status and message."""
    return JSONResponse(error_body(status, detail, **extra), status_code=status, headers=headers)


def api_error(status: int, detail: str, headers: dict[str, str] | None = None) -> HTTPException:
    """An ``HTTPException`` to ``raise``; rendered as ``{"detail", "status"}`` JSON.

    Use 400 for malformed parameters, 401 for a missing/wrong token, 403 for a token
    without the needed role, 404 for unknown resources, 408 for a body that did not
    arrive in time, 413 for bodies that are too big, 422 for well-formed but invalid
    input, 429 for rate limits (add ``Retry-After``).
    """
    return HTTPException(status_code=status, detail=detail, headers=headers)


@contextmanager
def answer_errors(
    statuses: dict[type[Exception] | tuple[type[Exception], ...], int],
) -> Iterator[None]:
    """Turn the exceptions raised inside the ``with`` block into JSON errors: the first
    entry of ``statuses`` (exception type or tuple of types → HTTP status) that matches
    answers with that status and the exception's message, e.g.
    ``with answer_errors({NotFound: 404, GeoquartierError: 422}): ...``."""
    try:
        yield
    except Exception as exc:
        for types, status in statuses.items():
            if isinstance(exc, types):
                raise api_error(status, str(exc)) from None
        raise


class BodyTooLarge(HTTPException):
    """Raised while reading a request body that exceeds the allowed size (HTTP 413)."""

    def __init__(self, max_bytes: int):
        super().__init__(
            status_code=413,
            detail=f"request body too large: the limit is {max_bytes} bytes",
        )


class BodyTimeout(HTTPException):
    """Raised while reading a request body that does not arrive in time (HTTP 408).

    The answer closes the connection: the rest of the body is never read.
    """

    def __init__(self, timeout_s: float):
        super().__init__(
            status_code=408,
            detail=f"the request body did not arrive within {timeout_s:g} s",
            headers={"Connection": "close"},
        )


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"query", "path", "body", "header", "cookie"}:
        kind = {
            "query": "query parameter",
            "path": "path parameter",
            "header": "header",
            "cookie": "cookie",
            "body": "body",
        }[parts[0]]
        rest = ".".join(parts[1:])
        return f"{kind} {rest!r}" if rest else kind
    return ".".join(parts) or "request"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append(
            {
                "loc": [p if isinstance(p, (str, int)) else str(p) for p in err.get("loc", ())],
                "msg": str(err.get("msg", "invalid value")),
                "type": str(err.get("type", "value_error")),
            }
        )
    return out


async def _http_exception_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail
    if not isinstance(detail, str):
        detail = str(detail) if detail else STATUS_TITLES.get(exc.status_code, "error")
    headers = getattr(exc, "headers", None)
    return error_response(exc.status_code, detail, headers=headers)


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _validation_errors(exc)
    message = "; ".join(f"{_location(e['loc'])}: {e['msg']}" for e in errors[:10])
    if len(errors) > 10:
        message += f"; ... and {len(errors) - 10} more"
    # OGC API – Features asks for 400 on an invalid query parameter of its routes.
    status = 400 if request.url.path.startswith(OGC_400_PREFIXES) else 422
    return error_response(status, message or "invalid request", errors=errors)


async def _geoquartier_handler(request: Request, exc: GeoquartierError) -> JSONResponse:
    status = 404 if isinstance(exc, DataMissingError) else 422
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationError):
        extra["problems"] = [str(p) for p in exc.problems[:50]]
    return error_response(status, " ".join(str(exc).split()), **extra)


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal server error; the request was not completed")


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app`` (idempotent per app)."""
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(GeoquartierError, _geoquartier_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


class BodySizeLimitMiddleware:
    """ASGI middleware: refuse request bodies larger than ``max_bytes`` with HTTP 413,
    bodies that take longer than ``settings.request_timeout_s`` to arrive with HTTP 408 and
    request headers above ``settings.max_header_bytes`` with HTTP 431.

    A ``Content-Length`` above the limit is refused before the body is read; a chunked
    body is counted while the application reads it and refused as soon as it passes the
    limit. The time runs from the first read of the body to its last part (0 = no limit).
    ``exempt_prefixes`` lists path prefixes that are not limited.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        exempt_prefixes: tuple[str, ...] = (),
    ):
        self.app = app
        self.max_bytes = int(max_bytes)
        self.exempt_prefixes = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(
            self.exempt_prefixes or ("\0",)
        ):
            await self.app(scope, receive, send)
            return
        settings = settings_for_scope(scope)
        refusal = self._refuse_declared_length(scope) or _refuse_large_headers(
            scope, settings.max_header_bytes
        )
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        timeout_s = settings.request_timeout_s
        try:
            await self.app(scope, _LimitedBody(receive, self.max_bytes, timeout_s), tracking_send)
        except (BodyTooLarge, BodyTimeout) as exc:
            if started:
                raise
            await error_response(exc.status_code, exc.detail, headers=exc.headers)(
                scope, receive, send
            )

    def _refuse_declared_length(self, scope: Scope) -> JSONResponse | None:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return error_response(400, "invalid Content-Length header")
                if length > self.max_bytes:
                    return error_response(413, BodyTooLarge(self.max_bytes).detail)
        return None


def _refuse_large_headers(scope: Scope, max_header_bytes: int) -> JSONResponse | None:
    """431 when the request line and headers take more than ``max_header_bytes`` (0 = no
    limit). ``geoquartier serve`` also has the server stop reading headers at that size."""
    if not max_header_bytes:
        return None
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    size += sum(len(name) + len(value) + 4 for name, value in scope.get("headers", ()))
    if size <= max_header_bytes:
        return None
    return error_response(431, f"request headers too large: the limit is {max_header_bytes} bytes")


class _LimitedBody:
    """An ASGI ``receive`` that counts the body (413 past ``max_bytes``) and gives its
    parts ``timeout_s`` seconds in all (408); after the body it passes messages through."""

    def __init__(self, receive: Receive, max_bytes: int, timeout_s: float):
        self.receive = receive
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.received = 0
        self.complete = False
        self.deadline: float | None = None

    async def __call__(self) -> Message:
        if self.complete or not self.timeout_s:
            message = await self.receive()
        else:
            loop = asyncio.get_running_loop()
            if self.deadline is None:
                self.deadline = loop.time() + self.timeout_s
            try:
                message = await asyncio.wait_for(self.receive(), self.deadline - loop.time())
            except TimeoutError:
                raise BodyTimeout(self.timeout_s) from None
        if message["type"] != "http.request":
            self.complete = True
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.max_bytes:
            raise BodyTooLarge(self.max_bytes)
        if not message.get("more_body", False):
            self.complete = True
        return message


def max_body_size(limit_bytes: int | Callable[[Settings], int]):
    """A FastAPI dependency refusing bodies above a limit (413) on one route.

    ``limit_bytes`` is a number of bytes or a function of the settings returning it (read
    per request, so the limit follows the settings). Usage:
    ``@router.post(..., dependencies=[Depends(max_body_size(16_384))])``.
    """

    async def _check(request: Request, settings: SettingsDep) -> None:
        max_bytes = limit_bytes(settings) if callable(limit_bytes) else limit_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > max_bytes:
                    raise BodyTooLarge(max_bytes)
            except ValueError:
                raise api_error(400, "invalid Content-Length header") from None
        body = await request.body()
        if len(body) > max_bytes:
            raise BodyTooLarge(max_bytes)

    return _check
