"""A map survey of every question type answered in a real browser (Debian Chromium via
Playwright) by three separate browser sessions — a desktop with the mouse, a desktop
with the keyboard only, a phone with touch — on the real Lauf data and a real uvicorn
server; then a moderator decides the free texts and the event report shows the aggregate.
Each page passes axe-core (no serious or critical violations)."""

from __future__ import annotations

import json

import httpx
import pytest
from api_fixtures import api_workspace, live_server
from browser_support import browser, open_page, screenshot, serious_axe_violations
from shapely.geometry import Point

pytestmark = [pytest.mark.browser, pytest.mark.slow]

__all__ = ["api_workspace", "browser", "live_server"]

PAYLOAD = '<b>fett</b><img src=x onerror="window.__pwned=1">'

FORM = {
    "title": {"de": "Ihr Weg zum Markt", "en": "Your way to the market", "tr": "Pazara yolunuz"},
    "questions": [
        {
            "id": "how",
            "type": "single",
            "text": {"de": "Wie kommen Sie?", "en": "How do you come?"},
            "options": [
                {"id": "foot", "text": {"de": "zu Fuß", "en": "on foot"}},
                {"id": "bike", "text": {"de": "Rad", "en": "bike"}},
            ],
        },
        {
            "id": "missing",
            "type": "multiple",
            "text": {"de": "Was fehlt?", "en": "What is missing?"},
            "options": [
                {"id": "light", "text": "Licht"},
                {"id": "bench", "text": "Bank"},
                {"id": "signal", "text": "Ampel"},
            ],
            "max_choices": 2,
        },
        {"id": "wish", "type": "text", "text": "Was wünschen Sie sich?", "max_chars": 300},
        {"id": "danger", "type": "point", "text": "Wo ist es gefährlich?"},
        {"id": "way", "type": "route", "text": "Zeichnen Sie Ihren Weg.", "required": True},
    ],
}

DECISIONS = {
    "Mehr Bänke " + PAYLOAD: "approved",
    "Eine Ampel am Markt": "approved",
    "Schatten am Spielplatz": "rejected",
}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def staff(api_workspace):
    from api.participation.store import open_store

    store = open_store(api_workspace.participation_db)
    return {
        role: {"Authorization": f"Bearer {store.add_user(f'survey-browser-{role}', role)[1]}"}
        for role in ("planner", "moderator")
    }


@pytest.fixture(scope="module")
def survey(live_server, staff):
    from geoquartier.registry import load_registry

    inside: Point = load_registry()["lauf"].boundary.representative_point()
    event = httpx.post(
        f"{live_server}/events",
        json={
            "quartier": "lauf",
            "title": "Marktspaziergang",
            "start": "2026-12-05T10:00",
            "location": {"lon": inside.x, "lat": inside.y},
        },
        headers=staff["planner"],
    )
    assert event.status_code == 201, event.text
    r = httpx.post(
        f"{live_server}/quartiers/lauf/surveys",
        json=FORM | {"event_id": event.json()["id"]},
        headers=staff["planner"],
    )
    assert r.status_code == 201, r.text
    return {"event": event.json(), "survey": r.json()}


class Session:
    """One browser context (its own cookies: a separate browser session)."""

    def __init__(self, browser, **options):
        # bypass_csp only lets the test inject axe-core; the page's own scripts carry nonces
        self.page, self.errors = open_page(browser, **options, bypass_csp=True)
        self.context = self.page.context
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]")

    def close(self) -> None:
        assert self.errors == [] and self.dialogs == []
        assert self.page.evaluate("window.__pwned") is None
        self.context.close()


def _shot(page, name: str) -> None:
    screenshot(page, "survey", name)


def _answer_with_mouse(page) -> None:
    page.check("#q-how input[value=foot]")
    page.check("#q-missing input[value=light]")
    page.check("#q-missing input[value=bench]")
    page.fill("#text-wish", "Mehr Bänke " + PAYLOAD)
    page.click("#q-danger button[data-action=add]")  # the cross: the map's centre
    box = page.locator("#map-way").bounding_box()
    for dx, dy in ((-120, 40), (0, 0), (140, -30)):
        page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
    page.wait_for_selector("#q-way[data-points='3']")


def _tab_to(page, selector: str, most: int = 40) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with the Tab key")


def _answer_with_keyboard(page) -> None:
    """Only the keyboard: Tab through the form, Space on options, type the text, on the
    maps Enter sets a point at the cross, arrow keys move the map."""
    page.focus("#q-how input[value=bike]")
    page.keyboard.press("Space")
    _tab_to(page, "#text-wish")  # checkboxes are passed; the text comes next
    page.keyboard.type("Eine Ampel am Markt")
    _tab_to(page, "#map-danger")
    page.keyboard.press("Enter")
    page.wait_for_selector("#q-danger[data-points='1']")
    _tab_to(page, "#map-way")
    page.keyboard.press("Enter")
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
        page.wait_for_timeout(300)  # the pan animation
        page.keyboard.press("Enter")
    page.wait_for_selector("#q-way[data-points='4']")
    assert page.locator("#state-way").text_content() == "Route: 4 points."
    _tab_to(page, "#q-way button[data-action=undo]", most=6)  # past the zoom buttons
    page.keyboard.press("Enter")
    page.wait_for_selector("#q-way[data-points='3']")
    page.focus("#send")
    page.keyboard.press("Enter")


def _answer_on_phone(page) -> None:
    page.tap("#q-how input[value=foot]")
    page.tap("#q-missing input[value=signal]")
    page.fill("#text-wish", "Schatten am Spielplatz")
    page.tap("#q-danger button[data-action=add]")
    page.locator("#map-way").scroll_into_view_if_needed()
    box = page.locator("#map-way").bounding_box()
    for dx in (-60, 60):
        page.touchscreen.tap(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2)
    page.wait_for_selector("#q-way[data-points='2']")


def test_three_sessions_answer_and_the_report_aggregates(live_server, browser, staff, survey):
    sid = survey["survey"]["id"]
    url = f"{live_server}/surveys/{sid}"

    mouse = Session(browser, **DESKTOP)
    mouse.open(url + "?lang=en")
    page = mouse.page
    assert page.locator("#question").text_content() == "Your way to the market"
    assert page.locator("#q-how legend").text_content().startswith("1. How do you come?")
    assert "Wo ist es gefährlich?" in page.locator("#q-danger legend").text_content()  # de
    page.click("#send")  # the route is required
    assert page.locator("#message").text_content() == "Question 5: please answer this question."
    page.check("#q-missing input[value=signal]")
    _answer_with_mouse(page)  # now three options chosen: one too many
    page.click("#send")
    assert page.locator("#message").text_content() == "Question 2: choose at most 2 options."
    page.uncheck("#q-missing input[value=signal]")
    assert serious_axe_violations(page) == []
    _shot(page, "survey-desktop-en")
    page.click("#send")
    page.wait_for_selector("body[data-answered=true]")
    assert page.locator("#again").is_hidden()  # one answer set per browser session
    mouse.open(url + "?lang=en")
    assert page.locator("#answered").is_visible() and page.locator("#survey-form").count() == 0
    mouse.close()

    keys = Session(browser, **DESKTOP)
    keys.open(url + "?lang=en")
    _answer_with_keyboard(keys.page)
    keys.page.wait_for_selector("body[data-answered=true]")
    keys.close()

    phone = Session(browser, **PHONE)
    phone.open(url + "?lang=tr")
    assert phone.page.locator("#question").text_content() == "Pazara yolunuz"
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page scrolls sideways ({width} px)"
    assert serious_axe_violations(phone.page) == []
    _answer_on_phone(phone.page)
    _shot(phone.page, "survey-phone-tr")
    phone.page.tap("#send")
    phone.page.wait_for_selector("body[data-answered=true]")
    _shot(phone.page, "survey-phone-tr-thanks")
    phone.close()

    public = httpx.get(f"{live_server}/surveys/{sid}/results").json()
    assert public["answers"] == 3
    questions = {q["id"]: q for q in public["questions"]}
    assert {o["id"]: o["count"] for o in questions["how"]["options"]} == {"foot": 2, "bike": 1}
    missing = {o["id"]: o["count"] for o in questions["missing"]["options"]}
    assert missing == {"light": 1, "bench": 1, "signal": 1}
    assert questions["wish"]["approved"] == [] and questions["wish"]["pending"] == 3
    danger = [f for f in public["features"] if f["properties"]["question"] == "danger"]
    assert [f["properties"]["answers"] for f in danger] == [3]  # all at the map's centre

    _moderator_decides_the_texts(live_server, browser, staff)
    _report_shows_the_aggregate(live_server, browser, staff, survey)


def _moderator_decides_the_texts(base: str, browser, staff: dict) -> None:
    """On the moderation page of written survey answers: approve two, reject one."""
    moderator = Session(browser, **DESKTOP)
    moderator.open(f"{base}/moderate/surveys?lang=de")
    page = moderator.page
    page.fill("#token", staff["moderator"]["Authorization"].removeprefix("Bearer "))
    page.click("#signin-button")
    page.select_option("#quartier", "lauf")
    page.wait_for_selector("body[data-loaded=true]")
    page.wait_for_function("document.querySelectorAll('#texts li').length === 3")
    shown = page.locator("#texts blockquote").all_text_contents()
    assert sorted(shown) == sorted(DECISIONS)  # the payload as text
    assert page.locator("b:text-is('fett')").count() == 0
    assert serious_axe_violations(page) == []
    _shot(page, "moderate-survey-texts-de")
    for text, verdict in DECISIONS.items():
        card = page.locator("#texts li", has=page.locator("blockquote", has_text=text))
        card.locator(f"button[data-verdict={verdict}]").click()
        card.wait_for(state="detached")
    assert page.locator("#count").text_content() == "0"
    page.select_option("#status", "approved")
    page.wait_for_function("document.querySelectorAll('#texts li').length === 2")
    moderator.close()


def _report_shows_the_aggregate(base: str, browser, staff: dict, survey: dict) -> None:
    event_id = survey["event"]["id"]
    link = httpx.get(f"{base}/events/{event_id}/report-link?lang=de", headers=staff["planner"])
    reader = Session(browser, **DESKTOP)
    reader.open(base + link.json()["url"])
    page = reader.page
    section = page.locator(f"section.survey-result[data-survey='{survey['survey']['id']}']")
    assert section.locator(".answer-sets").text_content() == "Ausgefüllte Umfragen: 3"
    counts = section.locator("[data-question=how] td.count").all_text_contents()
    assert counts == ["2", "1"]
    assert section.locator("[data-question=how] td.percent").all_text_contents() == ["67 %", "33 %"]
    assert section.locator("[data-question=missing] td.count").all_text_contents() == ["1"] * 3
    assert section.locator("[data-question=wish] li.text").all_text_contents() == [
        "Mehr Bänke " + PAYLOAD,
        "Eine Ampel am Markt",
    ]  # the approved texts, as text; the rejected one nowhere
    assert "Schatten am Spielplatz" not in page.content()
    assert (
        page.locator("b:text-is('fett')").count() == 0 and page.locator("img[src=x]").count() == 0
    )
    # the streets the routes follow, walked along the Lauf walk network
    streets = section.locator("[data-question=way] table.streets tbody tr")
    assert streets.count() >= 1
    per_street = [
        int(n)
        for n in section.locator("[data-question=way] table.streets td.count").all_text_contents()
    ]
    assert all(1 <= n <= 3 for n in per_street) and per_street == sorted(per_street, reverse=True)
    config = json.loads(page.locator("#gq-config").text_content())
    layers = [f["properties"]["layer"] for f in config["surveys"]["features"]]
    assert layers.count("point") == 3 and layers.count("route") == 3
    # the map draws them: 3 places, 3 routes, and the cells
    drawn = page.evaluate(
        "document.querySelectorAll('#map path.leaflet-interactive, #map path').length"
    )
    assert drawn >= 3 + 3 + layers.count("cell")
    assert serious_axe_violations(page) == []
    _shot(page, "report-with-survey-de")
    reader.close()
