"""The geoquartier HTTP API: ``uvicorn api.main:app`` (or ``geoquartier serve``).

It serves the workspace layers as OGC API – Features (:mod:`api.ogc`), the interactive
quartier maps and their offline Leaflet assets (:mod:`api.maps`), the walking queries
(:mod:`api.queries`) and the participation workflow (:mod:`api.participation`). Errors are
JSON ``{"detail": ..., "status": ...}`` (:mod:`api.errors`). Configuration is read when a
request needs it (see :mod:`api.deps`), so the environment may be set after import.
"""

from __future__ import annotations

from fastapi import FastAPI

from api import maps, ogc, queries
from api.errors import DEFAULT_MAX_BODY_BYTES, BodySizeLimitMiddleware, install_error_handlers
from api.participation import router as participation_router


def create_app() -> FastAPI:
    """Build the FastAPI application with every router and the JSON error handlers."""
    application = FastAPI(
        title="geoquartier",
        version="0.1.0",
        summary="Maps, walking access and participation for neighbourhood management",
        description=(
            "Quartier layers as OGC API – Features (for QGIS), interactive maps, walking "
            "queries (isochrones, routes, the nearest advisory service that speaks your "
            "language and is open) and map-based participation. Coordinates are WGS84 "
            "longitude/latitude in degrees; distances in metres, times in minutes."
        ),
    )
    install_error_handlers(application)
    application.add_middleware(BodySizeLimitMiddleware, max_bytes=DEFAULT_MAX_BODY_BYTES)
    application.include_router(ogc.router)
    application.include_router(maps.router)
    application.include_router(queries.router)
    application.include_router(participation_router)
    maps.mount_assets(application)
    return application


app = create_app()
