"""The geoquartier HTTP API: ``uvicorn api.main:app`` (or ``geoquartier serve``).

It serves the workspace layers as OGC API – Features (:mod:`api.ogc`), the interactive
quartier maps and their offline Leaflet assets (:mod:`api.maps`), the walking queries
(:mod:`api.queries`), planning (:mod:`api.planning`), what-if scenarios
(:mod:`api.scenarios`), the paper documents (:mod:`api.documents`) and the participation
workflow (:mod:`api.participation`). Errors are
JSON ``{"detail": ..., "status": ...}`` (:mod:`api.errors`). Configuration is read when a
request needs it (see :mod:`api.deps`), so the environment may be set after import.

Every answer passes :class:`api.security.SecurityHeadersMiddleware` (``nosniff``; HTML
answers also a Content-Security-Policy that forbids framing) and
:class:`api.security.AllowedHostsMiddleware` (``settings.allowed_hosts``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api import documents, maps, ogc, planning, queries, scenario_page, scenarios
from api.errors import DEFAULT_MAX_BODY_BYTES, BodySizeLimitMiddleware, install_error_handlers
from api.participation.routes import router as participation_router
from api.security import (
    AllowedHostsMiddleware,
    SecurityHeadersMiddleware,
    content_security_policy,
    html_response,
    new_nonce,
    nonce_script_tags,
)
from geoquartier.vocabulary import VERSION

DOCS_ASSETS = "https://cdn.jsdelivr.net"
"""Where FastAPI's documentation pages load Swagger UI and ReDoc from."""


def docs_policy(nonce: str) -> str:
    """Content-Security-Policy of the API documentation pages (Swagger UI, ReDoc)."""
    return content_security_policy(
        nonce,
        script_src=(DOCS_ASSETS,),
        style_src=("'unsafe-inline'", DOCS_ASSETS),
        img_src=("'self'", "data:", "https://fastapi.tiangolo.com", "https://cdn.redoc.ly"),
        connect_src=("'self'",),
        worker_src=("blob:",),
    )


def _add_docs(application: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` with a nonce on their scripts and a CSP."""
    title = f"{application.title} – API"

    @application.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def swagger_ui() -> HTMLResponse:
        nonce = new_nonce()
        page = get_swagger_ui_html(openapi_url=application.openapi_url, title=title)
        return html_response(nonce_script_tags(page.body.decode(), nonce), docs_policy(nonce))

    @application.get("/redoc", include_in_schema=False, response_class=HTMLResponse)
    def redoc() -> HTMLResponse:
        nonce = new_nonce()
        page = get_redoc_html(
            openapi_url=application.openapi_url, title=title, with_google_fonts=False
        )
        return html_response(nonce_script_tags(page.body.decode(), nonce), docs_policy(nonce))


def create_app() -> FastAPI:
    """Build the FastAPI application with every router, the JSON error handlers and the
    security middleware."""
    application = FastAPI(
        title="geoquartier",
        version=VERSION,
        summary="Maps, walking access and participation for neighbourhood management",
        description=(
            "Quartier layers as OGC API – Features (for QGIS), interactive maps, walking "
            "queries (isochrones, routes, the nearest advisory service that speaks your "
            "language and is open) and map-based participation. Coordinates are WGS84 "
            "longitude/latitude in degrees; distances in metres, times in minutes."
        ),
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(application)
    # added innermost first: hosts are checked before anything else; every answer, also
    # a refusal, gets the security headers
    application.add_middleware(BodySizeLimitMiddleware, max_bytes=DEFAULT_MAX_BODY_BYTES)
    application.add_middleware(AllowedHostsMiddleware)
    application.add_middleware(SecurityHeadersMiddleware)
    _add_docs(application)
    for module in (ogc, maps, queries, planning, scenarios, scenario_page, documents):
        application.include_router(module.router)
    application.include_router(participation_router)
    maps.mount_assets(application)
    return application


app = create_app()
