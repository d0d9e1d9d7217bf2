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
    paper,
    surveys,
)

router = APIRouter()
for _routes in (
    annotations.submissions,
    annotations.router,
    paper.router,
    events.router,
    pages.router,
    basemap.router,
    feedback.router,
    fund.router,
    ics.router,
    kiosk.router,
    surveys.router,
):
    router.include_router(_routes)

__all__ = ["router"]
