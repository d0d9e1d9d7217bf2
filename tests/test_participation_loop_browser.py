"""Closing the loop in a real browser (Debian Chromium via Playwright): a resident sends a
contribution, follows the receipt link (waiting for review), a moderator approves it and
answers "planned" on the public answers page, and the resident's receipt page then shows
the status and the answer — texts as text, no script of a payload runs.

Shared test workspace (Lauf imported from the real data), real uvicorn server.
"""

from __future__ import annotations

import httpx
import pytest
from api_fixtures import api_workspace, live_server
from browser_support import annotation_popup, browser, open_page, signed_in_card
from test_participation_browser import PAYLOAD, Page, _screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

__all__ = ["api_workspace", "browser", "live_server"]


@pytest.fixture(scope="module")
def moderator(api_workspace):
    from api.participation.store import open_store

    return open_store(api_workspace.participation_db).add_user("loop-moderation", "moderator")[1]


def test_receipt_follows_the_answer(live_server, moderator, browser):
    base = live_server
    resident = Page(browser)
    page = resident.page
    page.goto(f"{base}/participate/lauf?lang=en")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#draw-point")
    page.locator("#map").click()
    page.wait_for_selector("body[data-drawn=Point]")
    page.fill("#text", PAYLOAD)
    page.click("#send")
    page.wait_for_selector("#thanks:not([hidden])")
    annotation_id = page.get_attribute("body", "data-submitted")
    link = page.locator("#receipt-link")
    assert link.is_visible() and link.text_content() == "Follow your contribution"
    href = link.get_attribute("href")
    assert href.startswith("/receipts/") and href.endswith("?lang=en")
    link.click()
    page.wait_for_url(f"**{href}")
    assert page.locator("#receipt-status").text_content() == "Waiting for review"
    assert page.locator("dd.text").text_content() == PAYLOAD
    resident.assert_payload_inert()
    _screenshot(page, "receipt-pending-en")

    r = httpx.post(
        f"{base}/moderation/annotations/{annotation_id}/approve",
        headers={"Authorization": f"Bearer {moderator}"},
    )
    assert r.status_code == 200

    staff = Page(browser)
    spage = staff.page
    spage.goto(f"{base}/feedback/lauf?lang=de")
    spage.wait_for_selector("body[data-ready=true]")
    card = signed_in_card(spage, moderator, annotation_id)
    assert card.locator(".text").text_content() == PAYLOAD
    assert card.locator(".state").text_content() == "Eingegangen"
    card.locator("select.feedback-status").select_option("planned")
    languages = card.locator("select.answer-language option")
    assert languages.evaluate_all("os => os.map(o => o.value)") == ["de", "en"]
    card.locator("select.answer-language").select_option("de")
    card.locator("textarea.answer").fill("Die Bank kommt im Frühjahr. <b>fett</b>")
    card.locator("button.save").click()
    spage.wait_for_selector(f"body[data-answered='{annotation_id}:planned']")
    assert card.locator(".state").text_content() == "Eingeplant"
    staff.assert_payload_inert()
    _screenshot(spage, "answers-de")

    page.reload()
    assert page.locator("#receipt-status").text_content() == "Planned"
    assert page.locator("#receipt-answer").text_content() == (
        "Die Bank kommt im Frühjahr. <b>fett</b>"
    )
    assert page.locator("#receipt-answer").get_attribute("lang") == "de"
    # the public map of the participation page shows the answer in the popup
    popup = annotation_popup(page, f"{base}/participate/lauf?lang=en", annotation_id)
    assert popup.locator(".feedback-status").text_content() == "Planned"
    assert popup.locator(".answer").text_content() == "Die Bank kommt im Frühjahr. <b>fett</b>"
    resident.assert_payload_inert()
    page.goto(f"{base}{href.split('?')[0]}?lang=tr")
    assert page.locator("#receipt-status").text_content() == "Planlandı"
    resident.assert_payload_inert()
    _screenshot(page, "receipt-planned-tr")
    assert resident.errors == [] and staff.errors == []
    resident.close()
    staff.close()


def test_kiosk_on_a_touch_screen_resets_itself(live_server, browser):
    base = live_server
    page, errors = open_page(
        browser, viewport={"width": 800, "height": 1280}, has_touch=True, is_mobile=True
    )
    page.goto(f"{base}/participate/lauf/kiosk?lang=de")
    page.wait_for_selector("body[data-ready=true][data-count]")
    before = int(page.get_attribute("body", "data-count"))
    assert page.locator("#count").text_content() == f"Beiträge bisher: {before}"
    assert page.locator("button.kind").all_text_contents() == ["Idee", "Problem", "Lob"]
    box = page.locator("#map").bounding_box()
    assert box["width"] > 700 and box["height"] > 300  # the map fills the screen's width
    for button in page.locator("button.kind, #send").all():
        assert button.bounding_box()["height"] >= 64  # big touch targets

    # a contribution without text: the kind is enough
    page.locator("#map").tap()
    page.wait_for_selector("body[data-pinned=true]")
    page.locator("button.kind[data-kind=praise]").tap()
    page.locator("#send").tap()
    page.wait_for_selector("body[data-state=thanks]")
    assert page.locator("#thanks .thanks").text_content() == "Vielen Dank!"
    assert page.locator("a[href^='/receipts/']").count() == 0  # no receipt on a shared screen
    page.wait_for_selector(f"body[data-count='{before + 1}']")
    page.wait_for_selector("body[data-reset=sent]", timeout=15_000)
    assert page.locator("#kiosk-form").is_visible()
    assert page.locator("button.kind[aria-pressed=true]").count() == 0
    assert (
        page.locator(".leaflet-interactive.leaflet-marker-icon, path.leaflet-interactive").count()
        == 0
    )
    sent = httpx.get(f"{base}/participate/lauf/kiosk/count").json()["count"]
    assert sent == before + 1

    # a half-filled form is cleared after the idle time (shortened through the clock)
    page.clock.install()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.locator("button.kind[data-kind=idea]").tap()
    page.locator("#text").fill("halb fertig")
    page.clock.run_for(61_000)
    page.wait_for_selector("body[data-reset=idle]")
    assert page.locator("#text").input_value() == ""
    assert page.locator("button.kind[aria-pressed=true]").count() == 0
    _screenshot(page, "kiosk-touch-de")
    assert errors == []
    page.context.close()


def test_survey_answered_on_the_map(live_server, api_workspace, browser):
    from api.participation.store import open_store

    token = open_store(api_workspace.participation_db).add_user("loop-survey", "planner")[1]
    survey = httpx.post(
        f"{live_server}/quartiers/lauf/surveys",
        json={"question": "Wo fehlt eine Bank?", "choices": ["Bank", "Schatten"]},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    resident = Page(browser)
    page = resident.page
    page.goto(f"{live_server}/surveys/{survey['id']}?lang=de")
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#question").text_content() == "Wo fehlt eine Bank?"
    page.click("#send")
    assert page.locator("#message").text_content() == (
        "Frage 1: Bitte beantworten Sie diese Frage."
    )
    page.locator("#map-place").click()
    page.wait_for_selector("#q-place[data-points='1']")
    page.check("input[name=choice][value=Schatten]")
    page.click("#send")
    page.wait_for_selector("body[data-answered=true]")
    results = httpx.get(f"{live_server}/surveys/{survey['id']}/results").json()
    assert results["answers"] == 1 and results["per_choice"] == {"Bank": 0, "Schatten": 1}
    assert results["features"] == []  # one answer never shows as a cell
    assert resident.errors == []
    resident.close()
