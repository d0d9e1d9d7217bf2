"""The form "Documentation for the funder" on the planners' events page in a real browser
(Debian Chromium driven by Playwright): a planner enters organiser, attendance, ..., a
negative attendance is refused on the page, the saved fields come back from the API, and
the PDF opens through a signed link. axe-core finds no serious violation.

Screenshots go to test-artifacts/participation-staff/. Uses the shared test workspace
(Lauf imported from the real data) and a real uvicorn server on 127.0.0.1.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from api_fixtures import api_workspace, live_server
from browser_support import browser, open_page, screenshot, serious_axe_violations, sign_in
from shapely.geometry import Point

from api.participation.i18n import Translator

__all__ = ["api_workspace", "live_server", "browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_planner_writes_the_documentation_and_opens_the_pdf(live_server, api_workspace, browser):
    base, tag = live_server, uuid.uuid4().hex[:6]
    store = api_workspace.store()
    _, token = store.add_user(f"browser-doc-{tag}", "planner")
    event = store.add_event(
        "lauf", f"Werkstatt {tag}", "2026-12-05T10:00:00+01:00", Point(11.2790, 49.5105)
    )
    page, errors = open_page(browser, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page.goto(f"{base}/events/manage?lang=de")
    page.wait_for_selector("body[data-ready=true]")
    sign_in(page, token)
    page.wait_for_selector("#manage:not([hidden])")
    page.select_option("#quartier", "lauf")
    item = page.locator(f"#event-list li[data-id='{event['id']}']")
    item.wait_for()
    item.locator("button.edit").click()
    page.wait_for_selector("#event-documentation:not([hidden])")

    page.fill("#doc-organiser", "Stadtteilbüro Lauf")
    page.fill("#doc-attendance", "-3")
    page.click("#save-doc")
    tr = Translator("de")
    assert page.locator("#message").text_content() == tr(
        "Attendance and duration must be whole numbers of 0 or more."
    )
    page.fill("#doc-attendance", "23")
    page.fill("#doc-duration", "90")
    page.fill("#doc-summary", "Viele Hinweise <b>zu</b> Gehwegen.")
    page.click("#save-doc")
    page.wait_for_selector(f"body[data-documented='{event['id']}']")
    auth = {"Authorization": f"Bearer {token}"}
    saved = httpx.get(f"{base}/events/{event['id']}/documentation", headers=auth).json()
    assert saved["attendance"] == 23 and saved["duration_min"] == 90
    assert saved["summary"] == "Viele Hinweise <b>zu</b> Gehwegen."
    assert saved["organiser"] == "Stadtteilbüro Lauf"
    assert serious_axe_violations(page) == []
    screenshot(page, "participation-staff", "events-documentation-de")

    page.evaluate("window.open = function () { return null; }")  # a blocked pop-up
    page.click("#open-pdf")
    page.wait_for_selector("#message a")
    url = page.get_attribute("#message a", "href")
    assert url.startswith(f"/events/{event['id']}/report.pdf?lang=de&uid=")
    pdf = httpx.get(base + url, timeout=60)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert errors == []
    page.context.close()
