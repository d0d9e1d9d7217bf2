"""The participation page as residents meet it, in Debian Chromium (Playwright): on a phone
(390×844, touch) and on a desktop (1280×900), in German and Turkish.

* a contribution placed with the mouse (a line replacing the pin is announced), by touch
  and with the keyboard only (crosshair, arrow keys, Enter), each sent and thanked with a
  link to the quartier map and a word on the review;
* a drawing across the quartier boundary is flagged before anything is sent, in the page
  language; a refusal of the server (a text over the API limit) is shown translated;
* the boundary, the office, named streets, the address search and the notice that the
  online tiles failed (they always fail here: the tile server is blocked);
* a mistyped event link answers a translated page leading to the page without the event;
* axe-core (from node_modules) finds no serious or critical violation;
* the API's refusals carry ``code`` and ``params`` beside the English ``detail``.

Screenshots go to test-artifacts/participation-resident/. Uses the shared test workspace
(Lauf imported from the real data) and a real uvicorn server on 127.0.0.1.
"""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from api.participation.i18n import Translator
from api.participation.settings import Limits

try:
    from tests.api_fixtures import api_workspace, live_server  # noqa: F401
    from tests.browser_support import browser, open_page, screenshot, serious_axe_violations
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_workspace, live_server  # noqa: F401
    from browser_support import browser, open_page, screenshot, serious_axe_violations

__all__ = ["browser"]

ARTIFACTS_FOLDER = "participation-resident"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
OUTSIDE_POINT = "The point lies outside the quartier. Please place it inside the blue line."
OUTSIDE_LINE = "The line runs outside the quartier. Please draw it inside the blue line."
TOO_LONG = "Your text is too long ({chars} characters; at most {max_chars}). Please shorten it."

browser_marks = [pytest.mark.browser, pytest.mark.slow]


# -- the API: codes beside the English detail -------------------------------------------------
def _post(base: str, **body):
    payload = {
        "geometry": {"type": "Point", "coordinates": [11.2806, 49.5110]},
        "kind": "idea",
        "text": "Mehr Bänke",
        **body,
    }
    return httpx.post(f"{base}/quartiers/lauf/annotations", json=payload)


def test_refusals_carry_a_code_and_parameters(live_server):
    far = _post(live_server, geometry={"type": "Point", "coordinates": [11.40, 49.51]})
    assert far.status_code == 422
    answer = far.json()
    assert answer["code"] == "outside_quartier"
    assert answer["params"]["distance_m"] > 1000 and answer["params"]["margin_m"] == 50
    assert answer["detail"].startswith("geometry: the geometry lies")  # as before
    assert answer["status"] == 422

    limit = Limits().max_text_chars
    long = _post(live_server, text="x" * (limit + 5)).json()
    assert (long["code"], long["params"]) == (
        "text_too_long",
        {"field": "text", "chars": limit + 5, "max_chars": limit},
    )
    shape = _post(live_server, kind="wish").json()  # refused by the request model
    assert shape["code"] == "unknown_kind" and shape["params"] == {"field": "kind"}
    assert shape["errors"] and shape["detail"]
    body = {
        "geometry": {"type": "Point", "coordinates": [11.28, 49.51]},
        "kind": "idea",
        "text": "x",
    }
    unknown = httpx.post(f"{live_server}/quartiers/atlantis/annotations", json=body)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_quartier"
    empty = httpx.post(f"{live_server}/quartiers/lauf/annotations", json={}).json()
    assert empty["code"] == "invalid_geometry" and empty["params"] == {"field": "geometry"}
    event = _post(live_server, event_id="nope").json()
    assert event["code"] == "unknown_event"


def test_address_search_finds_street_and_number_and_limits(live_server):
    found = httpx.get(f"{live_server}/quartiers/lauf/addresses", params={"q": "markt"}).json()
    assert found["matches"], "the Lauf addresses layer has streets with 'markt'"
    first = found["matches"][0]
    assert "markt" in first["street"].lower() and set(first) == {
        "label",
        "street",
        "housenumber",
        "lon",
        "lat",
    }
    number = first["housenumber"]
    exact = httpx.get(
        f"{live_server}/quartiers/lauf/addresses",
        params={"q": f"{first['street']} {number}"},
    ).json()["matches"]
    assert exact and all(m["housenumber"].startswith(number) for m in exact)
    labels = [m["label"] for m in found["matches"]]
    assert len(labels) == len(set(labels))  # doubles in the data are returned once
    capped = httpx.get(f"{live_server}/quartiers/lauf/addresses", params={"q": "a", "limit": 3})
    assert len(capped.json()["matches"]) == 3
    assert (
        httpx.get(f"{live_server}/quartiers/lauf/addresses", params={"q": "a" * 101}).status_code
        == 422
    )
    odd = httpx.get(f"{live_server}/quartiers/lauf/addresses", params={"q": "<script>"})
    assert odd.json() == {"matches": []}
    assert httpx.get(f"{live_server}/quartiers/atlantis/addresses?q=a").status_code == 404


def test_a_mistyped_event_link_answers_a_translated_page(live_server):
    answer = httpx.get(f"{live_server}/participate/lauf?lang=tr&event=nicht-da")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    tr = Translator("tr")
    assert tr("This event was not found") in answer.text
    assert 'href="/participate/lauf?lang=tr"' in answer.text
    assert "script-src 'nonce-" in answer.headers["Content-Security-Policy"]


# -- in the browser --------------------------------------------------------------------------
class Resident:
    """A browser context of one device in which the tile server is unreachable; counts the
    submissions sent and the script errors."""

    def __init__(self, browser, base: str, device: dict, lang: str, axe: bool = False):
        self.page, self.errors = open_page(browser, **device, bypass_csp=axe)
        self.context = self.page.context
        self.posts: list[str] = []
        self.page.on(
            "request",
            lambda r: self.posts.append(r.url) if r.method == "POST" else None,
        )
        self.tr = Translator(lang)
        self.page.goto(f"{base}/participate/lauf?lang={lang}")
        self.page.wait_for_selector("body[data-ready=true]")
        self.page.wait_for_selector("#map .leaflet-streets-pane path", state="attached")

    def centre_on(self, lon: float, lat: float, zoom: int = 17) -> None:
        self.page.evaluate(f"GQ.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")

    def map_centre(self) -> tuple[float, float]:
        c = self.page.evaluate("(() => { const c = GQ.map.getCenter(); return [c.lng, c.lat]; })()")
        return c[0], c[1]

    def drawn(self) -> dict:
        return self.page.evaluate(
            "(() => { let g = null; GQ.map.eachLayer(l => { if (l instanceof L.Marker"
            " && !(l instanceof L.CircleMarker) && l.toGeoJSON && l.options.icon"
            " && l._icon && !l._icon.classList.contains('leaflet-mouse-marker'))"
            " g = l.toGeoJSON().geometry; }); return g; })()"
        )

    def screenshot(self, name: str) -> None:
        screenshot(self.page, ARTIFACTS_FOLDER, name)

    def close(self) -> None:
        assert self.errors == []
        self.context.close()


def _boundary(base: str) -> list[list[float]]:
    """The exterior ring of Lauf's boundary as the page config has it."""
    html = httpx.get(f"{base}/participate/lauf").text
    start = html.index('id="gq-config"')
    start = html.index(">", start) + 1
    config = json.loads(html[start : html.index("</script>", start)])
    geom = config["boundary"]
    return geom["coordinates"][0] if geom["type"] == "Polygon" else geom["coordinates"][0][0]


def _click_corners(page, points: list[tuple[float, float]]) -> None:
    """Click the corners of a line or area one by one, moving the mouse there as a hand
    does (leaflet-draw places its corner where the last mouse move was)."""
    for n, (x, y) in enumerate(points, start=1):
        page.mouse.move(x - 20, y, steps=3)
        page.mouse.move(x, y, steps=3)
        page.mouse.click(x, y)
        expect(page.locator(".leaflet-editing-icon")).to_have_count(n)


def _click_again(page, x: float, y: float) -> None:
    """Click a corner set by :func:`_click_corners` once more (arriving the same way)."""
    page.mouse.move(x - 20, y, steps=3)
    page.mouse.move(x, y, steps=3)
    page.mouse.click(x, y)


def _send_and_check_thanks(resident: Resident, text: str, tap: bool = False) -> None:
    page = resident.page
    page.fill("#text", text)
    (page.tap if tap else page.click)("#send")
    page.wait_for_selector("#thanks:not([hidden])")
    expect(page.locator("#thanks .thanks")).to_be_focused()
    assert page.locator("#echo").text_content() == text
    review = resident.tr(
        "The office team reads every contribution. After their review it is shown on the "
        "quartier map."
    )
    assert page.locator("#review-note").text_content() == review
    link = page.locator("#quartier-map-link")
    assert link.get_attribute("href").startswith("/quartiers/lauf/map?lang=")
    assert link.text_content() == resident.tr("Go to the quartier map")


@pytest.mark.browser
@pytest.mark.slow
def test_mouse_on_a_desktop_in_german(live_server, browser):
    resident = Resident(browser, live_server, DESKTOP, "de")
    page = resident.page
    # find one's place: boundary, office with its name, streets with names, tile notice
    expect(page.locator("#tile-notice")).to_be_visible()
    assert page.locator("#tile-notice").text_content() == resident.tr(
        "The online map could not be loaded. The offline street map is shown."
    )
    assert page.locator(".gq-office-label").count() >= 1
    assert page.locator(".gq-office-label").first.text_content().strip()
    page.fill("#address", "Marktplatz")
    page.click("#address-go")
    page.locator("#address-results button").first.click()
    expect(page.locator("#map")).to_be_focused()
    expect(page.locator("#address-results")).to_be_hidden()
    _until(page, "GQ.map.getZoom() === 18")  # after the zoom animation
    page.wait_for_selector(".gq-street-label")  # street names from zoom 17 on
    assert "Markt" in " ".join(page.locator(".gq-street-label").all_text_contents())

    page.click("#draw-point")
    page.locator("#map").click()
    page.wait_for_selector("body[data-drawn=Point]")
    assert page.locator("#drawing-note").text_content() == resident.tr(
        "Place marked. Now choose the kind and write your text."
    )
    page.click("#draw-line")
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    _click_corners(page, [(cx - 60, cy), (cx + 60, cy + 20)])
    _click_again(page, cx + 60, cy + 20)  # the last point again ends the line
    page.wait_for_selector("body[data-drawn=LineString]")
    replaced = resident.tr(
        "Only one place per contribution: the earlier drawing ({old}) was replaced by the new "
        "one ({new}).",
    ).format(old=resident.tr("Pin"), new=resident.tr("Line"))
    assert page.locator("#drawing-note").text_content() == replaced
    page.check("input[name=kind][value=idea]")
    page.fill("#text", "Eine Bank am Marktplatz")
    resident.screenshot("desktop-de")
    _send_and_check_thanks(resident, "Eine Bank am Marktplatz")
    resident.close()


@pytest.mark.browser
@pytest.mark.slow
def test_touch_on_a_phone_in_turkish(live_server, browser):
    resident = Resident(browser, live_server, PHONE, "tr")
    page = resident.page
    assert page.evaluate("window.innerWidth") == 390
    page.tap("#draw-point")
    page.locator("#map").tap()
    page.wait_for_selector("body[data-drawn=Point]")
    page.locator("input[name=kind][value=problem]").tap()
    page.fill("#text", "Kaldırım çok dar.")
    resident.screenshot("phone-tr")
    _send_and_check_thanks(resident, "Kaldırım çok dar.", tap=True)
    resident.close()


def _until(page, condition: str, attempts: int = 200) -> None:
    """Poll ``condition`` (a script expression) until true: ``wait_for_function`` would
    evaluate it as a string, which the page's CSP forbids."""
    for _ in range(attempts):
        if page.evaluate(condition):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never true: {condition}")


def _focus_order(page, stop_at: str, limit: int = 40) -> list[str]:
    """Ids (or tag names) of the elements Tab reaches from the start of the page, up to
    ``stop_at``."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    page.focus("body")
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        node = page.evaluate(
            "(() => { const a = document.activeElement; return a.id || a.tagName; })()"
        )
        seen.append(node)
        if node == stop_at:
            break
    return seen


@pytest.mark.browser
@pytest.mark.slow
def test_keyboard_only_on_a_phone_in_german(live_server, browser):
    resident = Resident(browser, live_server, PHONE, "de")
    page = resident.page
    order = _focus_order(page, "map")
    assert order[-1] == "map", order
    for control in ("address", "draw-point", "draw-line", "draw-area"):
        assert control in order, order  # the controls come before the map
    expect(page.locator(".gq-crosshair")).to_be_visible()
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert ring == "rgb(26, 26, 26)"  # dark ring (16:1 on white) with a light halo
    for _ in order:  # back to the address search
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.id") == "address":
            break
    page.keyboard.type("Marktplatz")
    page.keyboard.press("Enter")
    page.wait_for_selector("#address-results button")
    expect(page.locator("#address-results button").first).to_be_focused()
    page.keyboard.press("Enter")  # the map is centred on the address and gets the focus
    expect(page.locator("#map")).to_be_focused()

    before = resident.map_centre()
    page.keyboard.press("ArrowDown")
    _until(  # moved south, and the pan animation is over
        page,
        f"GQ.map.getCenter().lat < {before[1]}"
        " && !(GQ.map._panAnim && GQ.map._panAnim._inProgress)",
    )
    centre = resident.map_centre()
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-drawn=Point]")
    pin = resident.drawn()
    assert pin is not None
    assert abs(pin["coordinates"][0] - centre[0]) < 1e-6
    assert abs(pin["coordinates"][1] - centre[1]) < 1e-6

    # Escape stops a drawing tool chosen by keyboard
    page.focus("#draw-line")
    page.keyboard.press("Enter")
    expect(page.locator("#draw-line")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(page.locator("#draw-line")).to_have_attribute("aria-pressed", "false")

    page.focus("#map")
    page.keyboard.press("Tab")  # from the map on into the form (zoom buttons, attribution, ...)
    passed = []
    for _ in range(30):
        if page.evaluate("document.activeElement.name") == "kind":
            break
        passed.append(page.evaluate("document.activeElement.outerHTML.slice(0, 80)"))
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "kind", passed
    page.keyboard.press("ArrowRight")  # the next kind
    assert page.evaluate("document.activeElement.value") == "problem"
    page.keyboard.press("Tab")
    expect(page.locator("#text")).to_be_focused()
    page.keyboard.type("Die Ampel ist zu kurz grün.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#send")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text("", timeout=15_000)
    page.wait_for_selector("#thanks:not([hidden])")
    expect(page.locator("#thanks .thanks")).to_be_focused()
    resident.screenshot("phone-de-thanks")
    resident.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(("device", "lang"), [(PHONE, "tr"), (DESKTOP, "de")])
def test_a_drawing_across_the_boundary_is_flagged_before_sending(
    live_server, browser, device, lang
):
    ring = _boundary(live_server)
    east = max(ring, key=lambda c: c[0])
    resident = Resident(browser, live_server, device, lang)
    page = resident.page
    # a pin about 700 m east of the quartier's easternmost corner
    page.click("#draw-point")
    resident.centre_on(east[0] + 0.01, east[1])
    page.locator("#map").click()
    page.wait_for_selector("body[data-outside=true]")
    note = page.locator("#drawing-note")
    assert note.text_content() == resident.tr(OUTSIDE_POINT)
    page.fill("#text", "außerhalb")
    page.click("#send")
    assert page.locator("#message").text_content() == resident.tr(OUTSIDE_POINT)
    assert page.get_attribute("body", "data-refused") == "outside_quartier"

    # a line from the easternmost corner 200 m further east, drawn with the mouse
    resident.centre_on(east[0], east[1], zoom=17)
    page.click("#draw-line")
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    _click_corners(page, [(cx - 10, cy), (cx + min(250, box["width"] / 2 - 20), cy)])
    assert note.text_content() == resident.tr(OUTSIDE_LINE)  # flagged at the vertex
    page.click("#finish-drawing")
    page.wait_for_selector("body[data-drawn=LineString]")
    assert note.text_content() == resident.tr(OUTSIDE_LINE)
    page.click("#send")
    assert page.locator("#message").text_content() == resident.tr(OUTSIDE_LINE)
    assert not [u for u in resident.posts if u.endswith("/annotations")]  # nothing sent
    if lang == "tr":
        resident.screenshot("phone-tr-outside")
    resident.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(("device", "lang"), [(PHONE, "tr"), (DESKTOP, "de")])
def test_a_refusal_of_the_server_is_shown_translated(live_server, browser, device, lang):
    limit = Limits().max_text_chars
    resident = Resident(browser, live_server, device, lang)
    page = resident.page
    page.click("#draw-point")
    page.locator("#map").click()
    page.wait_for_selector("body[data-drawn=Point]")
    page.evaluate("document.getElementById('text').removeAttribute('maxlength')")
    page.fill("#text", "ü" * (limit + 1))  # past the API limit
    page.click("#send")
    page.wait_for_selector("body[data-refused=text_too_long]")
    shown = page.locator("#message").text_content()
    assert shown == resident.tr(TOO_LONG).format(chars=limit + 1, max_chars=limit)
    assert "characters; at most" not in shown or lang == "en"  # not the English detail
    expect(page.locator("#text")).to_be_focused()
    resident.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(
    ("device", "lang", "name"), [(PHONE, "de", "phone-de"), (DESKTOP, "tr", "desktop-tr")]
)
def test_axe_finds_no_serious_violation(live_server, browser, device, lang, name):
    resident = Resident(browser, live_server, device, lang, axe=True)
    page = resident.page
    page.click("#draw-point")
    page.locator("#map").click()
    page.wait_for_selector("body[data-drawn=Point]")
    page.fill("#address", "Markt")
    page.click("#address-go")
    page.wait_for_selector("#address-results button")
    resident.screenshot(name)
    assert serious_axe_violations(page) == []
    page.fill("#text", "Bitte mehr Licht im Park.")
    page.click("#send")
    page.wait_for_selector("#thanks:not([hidden])")
    assert serious_axe_violations(page) == []
    resident.close()
