"""The Verfügungsfonds in a real browser (Debian Chromium via Playwright): a resident on a
phone finds the fund from the participation page, places a project on the map with the
keyboard, sends it and is told what happens next; a jury member votes; a planner sees the
private contact, is refused a grant above the balance with the fund's clear answer, then
grants less and the balance on the staff page and on the public pages goes down. The
contact never shows on a public page; axe-core finds no serious violation. Screenshots go
to test-artifacts/fund/.

Shared test workspace (Lauf imported from the real data), real uvicorn server.
"""

from __future__ import annotations

import httpx
import pytest
from api_fixtures import api_workspace, live_server
from browser_support import (
    browser,
    open_page,
    screenshot,
    serious_axe_violations,
    sign_in,
    signed_in_card,
)
from test_participation_browser import PAYLOAD, Page

from api.participation import fund_store as fs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

__all__ = ["api_workspace", "browser", "live_server"]

SENTINEL = "fund-browser-contact-5150"
YEAR = fs.current_year()
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def accounts(api_workspace, live_server):
    from api.participation.store import open_store

    store = open_store(api_workspace.participation_db)
    tokens = {
        "planner": store.add_user("fund-browser-planner", "planner")[1],
        "jury": store.add_user("fund-browser-jury", "jury")[1],
    }
    r = httpx.put(
        f"{live_server}/quartiers/lauf/funds/{YEAR}",
        json={"amount_cents": 100_000},
        headers={"Authorization": f"Bearer {tokens['planner']}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["balance_cents"] == 100_000
    return tokens


def _phone(browser):
    # bypass_csp lets axe-core be injected; the pages' own scripts still carry nonces
    page, errors = open_page(
        browser, viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True
    )
    context = page.context
    return context, page, errors


def _propose_on_a_phone(base: str, page) -> str:
    """Fill and send the proposal form (English); returns the proposal id."""
    page.goto(f"{base}/participate/lauf?lang=en")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#fund-link")
    page.wait_for_selector("body.fund-propose[data-ready=true]")
    assert page.locator("#balance").text_content() == "€1,000.00"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert serious_axe_violations(page) == []
    page.click("#send")  # nothing filled in: the page says what to do
    assert page.locator("#message").text_content() == "Please give your project a title."
    assert page.evaluate("document.activeElement.id") == "title"
    page.fill("#title", PAYLOAD)
    page.fill("#description", "Hochbeete im Innenhof, für alle Nachbarn.")
    page.fill("#place", "Innenhof am Marktplatz")
    page.fill("#requested", "1200")
    page.fill("#own", "50,50")
    page.check("input[name=applicant_kind][value=initiative]")
    page.fill("#contact-name", f"Name {SENTINEL}")
    page.fill("#contact-email", f"{SENTINEL}@example.org")
    page.click("#send")
    assert page.locator("#message").text_content() == (
        "Please mark the place of your project on the map first."
    )
    page.locator("#map").focus()  # the keyboard way: Enter sets the pin at the crosshair
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-pinned=true]")
    screenshot(page, "fund", "propose-form-phone-en")
    assert page.locator("#drawing-note").text_content() == (
        "Place marked. Now describe your project."
    )
    page.click("#send")
    page.wait_for_selector("#thanks:not([hidden])")
    assert page.locator("#next-steps").text_content().startswith("What happens next:")
    assert page.locator("#thanks-balance").text_content() == "€1,000.00"
    assert page.evaluate("document.activeElement.className") == "thanks"
    assert serious_axe_violations(page) == []
    screenshot(page, "fund", "propose-thanks-phone-en")
    return page.get_attribute("body", "data-submitted")


def _jury_votes(staff: Page, base: str, token: str, pid: str) -> None:
    page = staff.page
    page.goto(f"{base}/quartiers/lauf/funds/{YEAR}/jury?lang=de")
    page.wait_for_selector("body[data-ready=true]")
    card = signed_in_card(page, token, pid)
    assert card.locator(".title").text_content() == PAYLOAD
    assert card.locator(".contact").count() == 0  # the jury does not see contacts
    assert SENTINEL not in page.content()
    assert card.locator(".decide").count() == 0  # deciding is the planners' job
    card.locator("button.vote-yes").click()
    page.wait_for_selector(f"body[data-voted='{pid}:yes']")
    page.wait_for_function(
        f"document.querySelector(\"li[data-id='{pid}'] .votes-line\").textContent.includes('Ja 1')"
    )
    page.click("#signout")


def _planner_decides(staff: Page, base: str, token: str, pid: str) -> None:
    page = staff.page
    card = signed_in_card(page, token, pid)
    assert SENTINEL in card.locator(".contact").text_content()  # staff see the contact
    assert page.locator("#balance").text_content() == "1.000,00\xa0€"
    assert card.locator(".granted-amount").input_value() == "1200"  # the requested sum
    card.locator(".decide").click()  # 1,200 € from a fund of 1,000 €
    page.wait_for_selector(f"body[data-refused='{pid}']")
    message = page.locator("#message")
    assert message.text_content().startswith(
        "Nicht bewilligt: Im Fonds sind nur noch 1.000,00\xa0€ übrig."
    )
    assert "more than the fund's balance of 100000 cents" in message.text_content()
    assert message.get_attribute("class") == "error"
    card.locator(".granted-amount").fill("600")
    card.locator(".decide").click()
    page.wait_for_selector(f"body[data-decided='{pid}:granted']")
    page.wait_for_selector("body[data-balance='40000']")
    assert page.locator("#balance").text_content() == "400,00\xa0€"
    assert page.locator("#granted").text_content() == "600,00\xa0€"
    assert message.text_content() == "Entscheidung gespeichert. Noch verfügbar: 400,00\xa0€"
    assert page.locator(f"li[data-id='{pid}'] .state").text_content() == "Bewilligt"
    staff.assert_payload_inert()
    screenshot(page, "fund", "jury-planner-de")


def test_proposal_through_the_jury_updates_the_balance(live_server, accounts, browser):
    base = live_server
    context, page, errors = _phone(browser)
    pid = _propose_on_a_phone(base, page)
    assert len(pid) == 32

    staff = Page(browser)
    _jury_votes(staff, base, accounts["jury"], pid)
    _planner_decides(staff, base, accounts["planner"], pid)

    # the resident's public pages: the balance went down, the project is listed, no contact
    page.goto(f"{base}/participate/lauf/fund?lang=en&year={YEAR}")
    assert page.locator("#balance").text_content() == "€400.00"
    page.click("#funded-link")
    page.wait_for_selector("#projects")
    row = page.locator(f"#projects tr[data-id='{pid}']")
    assert row.locator("strong").text_content() == PAYLOAD
    assert row.locator("td").nth(3).text_content() == "€600.00"
    assert page.locator("#balance").text_content() == "€400.00"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert serious_axe_violations(page) == []
    screenshot(page, "fund", "funded-list-phone-en")
    for lang in ("de", "en", "tr", "ro", "bg"):
        for path in (
            f"/participate/lauf/fund?lang={lang}&year={YEAR}",
            f"/quartiers/lauf/funds/{YEAR}.html?lang={lang}",
            f"/participate/lauf?lang={lang}",
        ):
            page.goto(base + path)
            assert SENTINEL not in page.content(), path
    assert page.evaluate("window.__pwned") is None
    # the staff page on the phone, signed in as planner: readable and accessible
    page.goto(f"{base}/quartiers/lauf/funds/{YEAR}/jury?lang=en")
    page.wait_for_selector("body[data-ready=true]")
    sign_in(page, accounts["planner"])
    page.wait_for_selector(f"li[data-id='{pid}']")
    assert page.locator("#balance").text_content() == "€400.00"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert serious_axe_violations(page) == []
    screenshot(page, "fund", "jury-planner-phone-en")
    assert errors == [] and staff.errors == [] and staff.dialogs == []
    staff.close()
    context.close()
