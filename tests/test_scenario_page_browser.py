"""The planners' scenario page in a real browser (Debian Chromium driven by Playwright) on
Lauf's real data and walk network:

* desktop, German: a planner signs in, creates a scenario (its title full of markup
  characters, shown as text), draws a new footway by clicking on the map that joins the
  dead end of a service track to Hersbrucker Straße (10 m apart, 379 m on foot), sees it
  in the edit list, has a line across no way refused with the server's message naming the
  field, compares — the table shows residents newly within a walking time — and sees the
  homes that gain on the map; then publishes the scenario (readable without a token);
* phone, Turkish, keyboard only: a facility added at the crosshair (arrow keys, Enter),
  a facility closed from the list, the comparison, and the scenario deleted;
* axe-core finds no serious or critical accessibility violation.

Screenshots go to test-artifacts/scenario-page/. The server runs on a copy of the shared
test workspace (scenarios are written into it) with its own participation database.
"""

from __future__ import annotations

import httpx
import pytest
from api_fixtures import api_workspace, workspace_copy
from browser_support import browser, open_page, screenshot, serious_axe_violations

from api.participation.i18n import Translator

__all__ = ["api_workspace", "browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Real Lauf places (EPSG:4326, lat/lon for Leaflet): the node where Hersbrucker Straße
# meets a service way, and the dead end of a service track 9.6 m from it; on the network
# they are 379 m apart. A footway between them brings 14 homes closer to several
# categories (found by searching node pairs under 20 m apart with a detour of more than
# ten times their distance).
FOOTWAY = [(49.5155765, 11.2891926), (49.5154946, 11.2891512)]
# Inside the largest building of the old town's west, 71 m from the nearest way: a line
# drawn here crosses no way.
NO_WAY = [(49.5134209, 11.2665045), (49.5134209, 11.2666045)]


@pytest.fixture(scope="module")
def server(api_workspace, tmp_path_factory):  # noqa: F811
    """A uvicorn server on a copy of the test workspace, with a planner token."""
    try:
        from tests.uvicorn_server import UvicornServer
    except ImportError:  # plain ``pytest`` with tests/ on sys.path
        from uvicorn_server import UvicornServer

    root = tmp_path_factory.mktemp("scenario-page")
    gpkg, db, tokens = workspace_copy(api_workspace, root)
    env = {"GEOQUARTIER_WORKSPACE": str(gpkg), "GEOQUARTIER_PARTICIPATION_DB": str(db)}
    srv = UvicornServer(env, log_dir=root)
    yield {"base": srv.base} | tokens
    srv.stop()


def _page(browser, screen: str):
    # bypass_csp only lets the test inject axe-core; the page's own scripts carry nonces
    return open_page(browser, viewport=SCREENS[screen], bypass_csp=True, accept_dialogs=True)


def _axe(page) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in serious_axe_violations(page)]


def _sign_in(page, base: str, token: str, lang: str) -> None:
    page.goto(f"{base}/scenarios/manage?quartier=lauf&lang={lang}")
    page.wait_for_selector("body[data-ready=true]")
    assert _axe(page) == []
    page.fill("#token", token)
    page.press("#token", "Enter")
    page.wait_for_selector("body[data-scenarios]")


def _click_on_map(page, lat: float, lon: float) -> None:
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = GQ.scenarioMap, p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def _show(page, lat: float, lon: float, zoom: int = 19) -> None:
    """Centre the map as a planner would by panning and zooming."""
    page.evaluate(
        "([lat, lon, z]) => { GQ.scenarioMap.setView([lat, lon], z, {animate: false}); }",
        [lat, lon, zoom],
    )  # fmt: skip (returns nothing: the map is no JSON)


def test_planner_draws_a_footway_and_sees_who_gains(server, browser):
    base, tr = server["base"], Translator("de")
    page, errors = _page(browser, "desktop")
    _sign_in(page, base, server["planner"], "de")
    title = 'Steg <b>zur</b> "Hersbrucker Straße" & mehr'
    page.click("#new-scenario-box summary")
    page.fill("#new-title", title)
    page.fill("#new-description", "<img src=x onerror=alert(1)> Fußweg vom Wirtschaftsweg")
    page.click("#create")
    page.wait_for_selector("body[data-scenario]")
    assert page.text_content("#scenario-title") == title
    assert page.locator("#scenario b, #scenario img").count() == 0  # text, never markup
    page.locator("#scenario-list li a", has_text=title).wait_for()

    # a new footway, drawn by clicking its two ends on the map
    page.click("[data-tool=way_add]")
    assert page.locator("#add-centre").is_visible()
    _show(page, *FOOTWAY[0])
    for lat, lon in FOOTWAY:
        _click_on_map(page, lat, lon)
    page.wait_for_selector("body[data-points='2']")
    assert page.text_content("#draw-state") == tr("Line: {n} points, {metres} m", n=2, metres=10)
    page.select_option("#way-wheelchair", "yes")
    page.click("#save-edit")
    page.wait_for_selector("body[data-edits='1']")
    item = page.locator("#edit-list li").first
    assert item.get_attribute("data-kind") == "way_add"
    text = item.text_content()
    assert tr("New walkable way") in text and tr("Wheelchair: yes") in text and "10 m" in text
    assert page.locator("#map path.leaflet-interactive, #map path").count() > 0

    # a line across no way is refused: the server's message names the edit and the field
    page.click("[data-tool=way_close]")
    _show(page, *NO_WAY[0])
    for lat, lon in NO_WAY:
        _click_on_map(page, lat, lon)
    page.wait_for_selector("body[data-points='2']")
    page.click("#save-edit")
    page.wait_for_selector("body[data-refused=geometry]")
    message = page.text_content("#edit-message")
    assert message.startswith(tr("The edit was not accepted: {message}", message=""))
    assert "edit 2 (way_close): field 'geometry' crosses no way of the network" in message
    assert page.get_attribute("#map", "aria-invalid") == "true"
    assert page.locator("#edit-list li").count() == 1

    # the comparison: residents newly within a walking time, and the homes that gain
    page.click("#compare")
    page.wait_for_selector("body[data-compared]")
    diffs = page.locator("#compare-table tbody td.difference").all_text_contents()
    assert diffs and any(d.startswith("+") and d != "+0" for d in diffs), diffs
    assert all(not d.startswith("-") for d in diffs)
    page.wait_for_function("Number(document.body.dataset.gains) > 0")
    gains = int(page.get_attribute("body", "data-gains"))
    assert page.locator("#map path.gq-gain-gain, #map path.gq-gain-new").count() == gains
    assert page.get_attribute("body", "data-losses") == "0"
    assert not page.locator(".gain-legend").first.is_hidden()
    summary = page.text_content("#gains-summary")
    assert summary and str(gains) in summary
    with page.expect_download() as download:
        page.click("#download-csv")
    csv = download.value
    assert csv.suggested_filename.endswith(".csv")
    head = open(csv.path(), encoding="utf-8-sig").readline()
    assert head.startswith("profile;category;threshold_min;residents_before;residents_after")
    screenshot(page, "scenario-page", "compare-desktop-de")
    assert _axe(page) == []

    # published: frozen, and readable without a token
    sid = page.get_attribute("body", "data-scenario")
    page.click("#publish")
    page.wait_for_selector("body[data-status=published]")
    assert page.locator("#edit-form").is_hidden()
    public = httpx.get(f"{base}/quartiers/lauf/scenarios/{sid}")
    assert public.status_code == 200 and public.json()["title"] == title
    assert errors == []


def test_keyboard_only_on_a_phone(server, browser):
    base, tr = server["base"], Translator("tr")
    planner = {"Authorization": f"Bearer {server['planner']}"}
    made = httpx.post(f"{base}/quartiers/lauf/scenarios", headers=planner,
                      json={"title": "Eczane taşınıyor"})  # fmt: skip
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    page, errors = _page(browser, "phone")
    page.goto(f"{base}/scenarios/manage?quartier=lauf&lang=tr")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#token", server["moderator"])  # another role is turned away
    page.press("#token", "Enter")
    page.wait_for_selector("#message.error")
    assert page.text_content("#message") == tr("This account may not plan scenarios.")
    assert page.locator("#planner").is_hidden() and page.locator("#signin").is_visible()
    page.fill("#token", server["planner"])
    page.press("#token", "Enter")
    page.wait_for_selector("body[data-scenarios]")
    page.locator(f"#scenario-list li[data-id='{sid}'] a").press("Enter")
    page.wait_for_selector(f"body[data-scenario='{sid}']")

    # a new pharmacy at the crosshair: the map is moved with the arrow keys
    page.locator("[data-tool=facility_add]").press("Enter")
    page.select_option("#facility-category", "pharmacy")
    page.fill("#facility-name", "Yeni Eczane")
    page.focus("#map")
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-points='1']")
    assert page.text_content("#draw-state") == tr("Place set.")
    page.locator("#save-edit").press("Enter")
    page.wait_for_selector("body[data-edits='1']")
    assert "Yeni Eczane" in page.text_content("#edit-list")

    # an existing facility closed, chosen from the list
    page.locator("[data-tool=facility_close]").press("Enter")
    assert page.locator("#draw-controls").is_hidden()  # nothing to draw: chosen from a list
    page.focus("#facility-id")
    page.select_option("#facility-id", "lauf-demo-stadtteilbuero")
    page.locator("#save-edit").press("Enter")
    page.wait_for_selector("body[data-edits='2']")
    assert "Stadtteilbüro Lauf (Demo)" in page.text_content("#edit-list li:nth-child(2)")

    # a line by keyboard: Enter at the crosshair, the map moved, the button for the centre
    page.locator("[data-tool=way_close]").press("Enter")
    _show(page, *NO_WAY[0])
    page.focus("#map")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the same point again is not taken
    assert page.get_attribute("body", "data-points") == "1"
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"GQ.scenarioMap.getCenter().lng > {NO_WAY[0][1]} + 1e-5")
    page.locator("#add-centre").press("Enter")
    page.wait_for_selector("body[data-points='2']")
    assert page.text_content("#draw-state") != tr("Line: {n} points, {metres} m", n=2, metres=0)
    page.locator("#save-edit").press("Enter")
    page.wait_for_selector("body[data-refused=geometry]")
    assert "field 'geometry' crosses no way" in page.text_content("#edit-message")
    assert page.evaluate("document.activeElement.id") == "map"

    page.locator("#compare").press("Enter")
    page.wait_for_selector("body[data-compared]")
    page.wait_for_selector("body[data-gains]")
    assert page.text_content("#compare-message")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS["phone"]["width"], width
    screenshot(page, "scenario-page", "keyboard-phone-tr")
    assert _axe(page) == []

    page.locator("#delete").press("Enter")
    page.wait_for_function("!document.body.dataset.scenario")
    assert httpx.get(f"{base}/quartiers/lauf/scenarios/{sid}", headers=planner).status_code == 404
    assert errors == []
