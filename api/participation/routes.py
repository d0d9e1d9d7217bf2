"""Every route of the participation workflow as one router (included by :mod:`api.main`)."""

from fastapi import APIRouter

from api.participation import annotations, basemap, events, pages

router = APIRouter()
router.include_router(annotations.submissions)
router.include_router(annotations.router)
router.include_router(events.router)
router.include_router(pages.router)
router.include_router(basemap.router)

__all__ = ["router"]
