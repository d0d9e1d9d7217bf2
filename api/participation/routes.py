"""Every route of the participation workflow as one router (included by :mod:`api.main`)."""

from fastapi import APIRouter

from api.participation import (
    annotations,
    basemap,
    events,
    feedback,
    fund,
    ics,
    kiosk,
    pages,
    surveys,
)

router = APIRouter()
router.include_router(annotations.submissions)
router.include_router(annotations.router)
router.include_router(events.router)
router.include_router(pages.router)
router.include_router(basemap.router)
router.include_router(feedback.router)
router.include_router(fund.router)
router.include_router(ics.router)
router.include_router(kiosk.router)
router.include_router(surveys.router)

__all__ = ["router"]
