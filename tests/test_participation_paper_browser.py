"""Typing in contributions from paper on the moderation page, in a real browser (Debian
Chromium driven by Playwright) on a phone screen, with the keyboard:

* staff sign in, open "Enter a contribution from paper", move through the form with Tab,
  type "C4: Gehweg zu schmal" (the grid of the printed A3 map is drawn over the map, C4
  marked) and press Enter: the contribution appears in the list of approved ones, marked
  as from paper with its square and who typed it in;
* a Turkish note is placed by a click on the map, then translated into German on its card;
* the residents' page shows the pin's source ("Papier (Planquadrat C4)") in its popup;
* axe-core finds no serious or critical accessibility violation with the form open.

Screenshots go to test-artifacts/participation-paper/. Uses the shared test workspace
(Lauf imported from the real data) and a real uvicorn server on 127.0.0.1.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from api_fixtures import api_workspace, create_event, live_server
from browser_support import annotation_popup, browser, open_page, screenshot, serious_axe_violations

from geoquartier.registry import load_registry

__all__ = ["api_workspace", "live_server", "browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
FORM_ORDER = [
    "paper-quartier",
    "paper-event",
    "paper-kind",
    "paper-language",
    "paper-text",
]


@pytest.fixture(scope="module")
def staff(api_workspace):
    store = api_workspace.store()
    tag = uuid.uuid4().hex[:6]
    moderator, token = store.add_user(f"Frau Papier {tag}", "moderator")
    _, planner = store.add_user(f"browser-paper-planning-{tag}", "planner")
    return {"moderator": token, "name": moderator.name, "planner": planner}


def _event(base: str, staff, tag: str) -> str:
    c = load_registry()["lauf"].boundary.representative_point()
    title, location = f"Stadtteilwerkstatt {tag}", {"lon": c.x, "lat": c.y}
    event = create_event(
        httpx, staff["planner"], title, base=base, kind="Stadtteilwerkstatt", location=location
    )
    return event["id"]


def _axe(page) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in serious_axe_violations(page)]


def _active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_staff_type_in_c4_gehweg_zu_schmal_from_paper_on_a_phone(live_server, staff, browser):
    base, tag = live_server, uuid.uuid4().hex[:6]
    eid = _event(base, staff, tag)
    page, errors = open_page(browser, viewport=PHONE, bypass_csp=True)  # bypass: axe-core only
    page.goto(f"{base}/moderate?lang=de")
    page.wait_for_selector("body[data-ready=true]")

    # sign in and open the form with the keyboard
    page.focus("#token")
    page.keyboard.type(staff["moderator"])
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-loaded=pending]")
    page.select_option("#quartier", "lauf")
    page.focus("#paper-section summary")
    page.keyboard.press("Enter")
    assert page.locator("#paper-section").get_attribute("open") is not None
    page.wait_for_selector(f"#paper-event option[value='{eid}']", state="attached")
    page.wait_for_selector("body[data-grid='lauf A3 landscape']")
    assert page.locator(".gq-grid-label").count() == 48
    for expected in FORM_ORDER:
        page.keyboard.press("Tab")
        assert _active_id(page) == expected
    page.select_option("#paper-event", eid)
    page.select_option("#paper-kind", "problem")
    page.focus("#paper-text")
    page.keyboard.type(f"Gehweg zu schmal ({tag})")
    page.keyboard.press("Tab")  # the place: by grid square, the default
    assert page.evaluate("document.activeElement.value") == "grid"
    page.keyboard.press("Tab")
    assert _active_id(page) == "paper-cell"
    page.keyboard.type("c4")
    marked = page.locator("#map path.leaflet-interactive, #map path").evaluate_all(
        "paths => paths.filter(p => p.getAttribute('stroke-width') === '3').length"
    )
    assert marked == 1  # the square C4 is marked on the map
    screenshot(page, "participation-paper", "paper-form-de-phone")
    assert _axe(page) == []
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-entered]")
    entered = page.get_attribute("body", "data-entered")
    card = page.locator(f"li[data-id='{entered}']")
    card.wait_for()
    assert card.locator("p.text").text_content() == f"Gehweg zu schmal ({tag})"
    facts = card.locator("dl").text_content()
    assert "Papier (Planquadrat C4)" in facts and staff["name"] in facts
    assert f"Stadtteilwerkstatt {tag}" in facts
    assert page.input_value("#status") == "approved" and page.input_value("#event") == eid
    assert "Von Papier eingetragen" in page.text_content("#message")
    assert _active_id(page) == "paper-text"  # ready for the next sheet
    assert page.input_value("#paper-text") == "" and page.input_value("#paper-cell") == ""
    screenshot(page, "participation-paper", "paper-entered-de-phone")

    # a Turkish note placed by a click on the map, then translated on its card
    page.check("input[name=paper-place][value=map]")
    assert page.locator("#paper-grid").is_hidden()
    page.select_option("#paper-language", "tr")
    page.fill("#paper-text", f"Kaldırım çok dar ({tag})")
    page.locator("#map").scroll_into_view_if_needed()
    page.locator("#map").click()
    assert page.text_content("#message") == "Ort in der Karte gesetzt."
    page.click("#paper-save")
    page.wait_for_function(f"document.body.getAttribute('data-entered') !== '{entered}'")
    turkish = page.get_attribute("body", "data-entered")
    card = page.locator(f"li[data-id='{turkish}']")
    card.wait_for()
    assert "Papier" in card.locator("dl").text_content()
    assert "Planquadrat" not in card.locator("dl").text_content()
    card.locator("textarea.translation").fill(f"Gehweg sehr schmal ({tag})")
    card.locator("button.save-translation").click()
    page.wait_for_selector(f"body[data-translated='{turkish}']")
    assert f"Übersetzung (Deutsch)Gehweg sehr schmal ({tag})" in card.locator("dl").text_content()
    public = httpx.get(f"{base}/quartiers/lauf/annotations", params={"event_id": eid}).json()
    assert {f["properties"]["source"] for f in public["features"]} == {"paper"}

    # the residents' page shows where the pin came from, never who typed it in
    popup = annotation_popup(page, f"{base}/participate/lauf?lang=de&event={eid}", entered)
    assert popup.locator(".source").text_content() == "Papier (Planquadrat C4)"
    assert staff["name"] not in popup.text_content()
    assert errors == []
    page.context.close()
