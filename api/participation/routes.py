"""Every route of the participation workflow as one router (included by :mod:`api.main`)."""

from fastapi import APIRouter

from api.participation import (
    annotations,
    basemap,
    event_documentation,
    events,
    feedback,
    fund,
    fund_pages,
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
    event_documentation.router,
    pages.router,
    basemap.router,
    feedback.router,
    fund.router,
    fund_pages.router,
    ics.router,
    kiosk.router,
    surveys.router,
):
    router.include_router(_routes)

__all__ = ["router"]
