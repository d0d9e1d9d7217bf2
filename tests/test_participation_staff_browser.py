"""The staff pages in a real browser (Debian Chromium driven by Playwright), in German and
Turkish, on a desktop and a phone screen:

* moderation: filter by quartier and event (shown by name), the streets and boundary under
  the contributions, the counter going down with each decision, a phone number taken out
  of a question before approving it (the public sees only the edited text), the event
  report opened from the page without typing a token;
* events: a planner draws a route (Stadtteilspaziergang) on the map, saves the event,
  attaches an approved contribution and opens the report: numbered shapes tied to the
  table, legend, quartier by name, local dates, a print layout without zoom buttons;
* axe-core finds no serious or critical accessibility violation on these pages.

Screenshots go to test-artifacts/participation-staff/. Uses the shared test workspace
(Lauf imported from the real data) and a real uvicorn server on 127.0.0.1.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from api_fixtures import api_workspace, create_event, live_server
from browser_support import (
    browser,
    open_page,
    page_errors,
    screenshot,
    serious_axe_violations,
    sign_in,
)

from api.participation.i18n import Translator

__all__ = ["api_workspace", "live_server", "browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PHONE_NUMBER = "0176 5550199"


@pytest.fixture(scope="module")
def staff(api_workspace):
    store = api_workspace.store()
    tag = uuid.uuid4().hex[:6]
    _, moderator = store.add_user(f"browser-moderation-{tag}", "moderator")
    _, planner = store.add_user(f"browser-planning-{tag}", "planner")
    return {"moderator": moderator, "planner": planner}


def _page(browser, screen: str):
    # bypass_csp only lets the test inject axe-core; the pages' own scripts carry nonces
    return open_page(browser, viewport=SCREENS[screen], bypass_csp=True, accept_dialogs=True)


def _screenshot(page, name: str) -> None:
    screenshot(page, "participation-staff", name)


def _axe(page) -> list[str]:
    """Serious and critical axe-core violations of the page (rule id and first targets)."""
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in serious_axe_violations(page)]


def _base_objects(base: str, staff, tag: str) -> dict:
    """An event with a route and three contributions to it, sent through the API."""
    lauf = httpx.get(f"{base}/participate/lauf").status_code
    assert lauf == 200
    from geoquartier.registry import load_registry

    c = load_registry()["lauf"].boundary.representative_point()
    route = {
        "type": "LineString",
        "coordinates": [[c.x - 0.0008, c.y], [c.x, c.y + 0.0004], [c.x + 0.0008, c.y]],
    }
    title, kind = f"Stadtteilspaziergang {tag}", "Stadtteilspaziergang"
    event = create_event(httpx, staff["planner"], title, base=base, kind=kind, geometry=route)
    eid = event["id"]
    texts = {
        "question": f"Wann ist das Büro offen? Rufen Sie mich an: {PHONE_NUMBER} ({tag})",
        "problem": f"Gehweg zu schmal ({tag})",
        "idea": f"Mehr Bänke am Markt ({tag})",
    }
    ids = {}
    for i, (kind, text) in enumerate(texts.items()):
        r = httpx.post(
            f"{base}/quartiers/lauf/annotations",
            json={
                "geometry": {"type": "Point", "coordinates": [c.x + 0.0004 * (i - 1), c.y]},
                "kind": kind,
                "text": text,
                "language": "de",
                "event_id": eid,
            },
        )
        assert r.status_code == 201, r.text
        ids[kind] = r.json()["id"]
    return {"event": eid, "ids": ids, "texts": texts}


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["de", "tr"])
def test_moderation_with_redaction_and_the_report(live_server, staff, browser, lang, screen):
    base, tr, tag = live_server, Translator(lang), uuid.uuid4().hex[:6]
    data = _base_objects(base, staff, tag)
    page, errors = _page(browser, screen)
    context = page.context
    page.goto(f"{base}/moderate?lang={lang}")
    page.wait_for_selector("body[data-ready=true]")
    assert _axe(page) == []
    sign_in(page, staff["moderator"])
    page.wait_for_selector("body[data-loaded=pending]")
    page.select_option("#quartier", "lauf")
    page.wait_for_selector(f"#event option[value='{data['event']}']", state="attached")
    page.select_option("#event", data["event"])
    question = page.locator(f"li[data-id='{data['ids']['question']}']")
    question.wait_for()
    page.wait_for_function("document.querySelectorAll('#queue li.annotation').length === 3")
    count = page.locator("#count")
    assert count.text_content() == tr("Contributions: {n}", n=3)
    facts = question.locator("dl")
    assert "Lauf an der Pegnitz – Innenstadt" in facts.text_content()
    assert f"Stadtteilspaziergang {tag}" in facts.text_content()
    assert "2026" in facts.text_content() and "T" not in facts.locator("dd").nth(3).text_content()
    page.wait_for_selector("#map .leaflet-streets-pane path", state="attached")
    assert page.locator("#map path.gq-annotation").count() >= 3
    _screenshot(page, f"moderate-{lang}-{screen}")
    assert _axe(page) == []

    # redaction: the phone number goes, the question stays
    edited = f"Wann ist das Büro offen? ({tag})"
    question.locator("textarea.public-text").fill(edited)
    question.locator("button.approve").click()
    page.wait_for_selector(f"body[data-decided='{data['ids']['question']}']")
    assert count.text_content() == tr("Contributions: {n}", n=2)
    problem = page.locator(f"li[data-id='{data['ids']['problem']}']")
    problem.locator("input.reason").fill("Doppelt")
    problem.locator("button.reject").click()
    page.wait_for_selector(f"body[data-decided='{data['ids']['problem']}']")
    assert count.text_content() == tr("Contributions: {n}", n=1)
    page.locator(f"li[data-id='{data['ids']['idea']}'] button.approve").click()
    page.wait_for_selector(f"body[data-decided='{data['ids']['idea']}']")
    assert count.text_content() == tr("Contributions: {n}", n=0)
    public = httpx.get(f"{base}/quartiers/lauf/annotations?event_id={data['event']}").text
    assert edited in public and PHONE_NUMBER not in public

    # the report, opened from the moderation page without typing a token
    with context.expect_page() as opened:
        page.click("#report")
    report = opened.value
    report_errors = page_errors(report, accept_dialogs=True)
    report.wait_for_selector("body[data-ready=true]")
    rows = report.locator("#approved tbody tr")
    assert rows.count() == 2
    assert PHONE_NUMBER not in report.content()
    assert report.locator("#quartier-name").text_content() == "Lauf an der Pegnitz – Innenstadt"
    numbers = report.locator(".leaflet-tooltip.gq-number")
    assert sorted(numbers.all_text_contents()) == ["1", "2"]
    assert report.locator(".event time").first.text_content() == _local(
        "2026-11-28T15:00+01:00", lang
    )
    report.wait_for_selector("#map .leaflet-streets-pane path", state="attached")
    _screenshot(report, f"report-{lang}-{screen}")
    assert _axe(report) == []
    report.emulate_media(media="print")
    report.wait_for_timeout(300)
    assert not report.locator(".leaflet-control-zoom").is_visible()
    box = report.locator("#map").bounding_box()
    assert box["height"] > 300 and box["width"] > 300
    _screenshot(report, f"report-{lang}-{screen}-print")
    assert errors == [] and report_errors == []
    context.close()


def _local(iso: str, lang: str) -> str:
    """A time as the pages show it: local time, in the page language (Babel, CLDR)."""
    from datetime import datetime

    from geoquartier.maps.i18n import Translator as MapTranslator
    from geoquartier.vocabulary import TIME_ZONE

    local = datetime.fromisoformat(iso).astimezone(TIME_ZONE)
    tr = MapTranslator(lang)
    return tr.patterns()["dateTime"].replace("{1}", tr.date(local)).replace("{0}", tr.time(local))


def _map_point(page, fx: float, fy: float) -> tuple[float, float]:
    box = page.locator("#map").bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["de", "tr"])
def test_planner_draws_a_route_attaches_a_contribution_and_opens_the_report(
    live_server, staff, browser, lang, screen
):
    base, tag = live_server, uuid.uuid4().hex[:6]
    data = _base_objects(base, staff, tag)
    mod = {"Authorization": f"Bearer {staff['moderator']}"}
    aid = data["ids"]["idea"]
    httpx.post(f"{base}/moderation/annotations/{aid}/approve", headers=mod)
    httpx.delete(f"{base}/events/{data['event']}/annotations/{aid}", headers=mod)

    page, errors = _page(browser, screen)
    context = page.context
    page.goto(f"{base}/events/manage?lang={lang}")
    page.wait_for_selector("body[data-ready=true]")
    sign_in(page, staff["moderator"])  # a moderator may not manage events
    page.wait_for_selector("#message:not(:empty)")
    assert page.locator("#message").text_content() == Translator(lang)(
        "This account may not manage events."
    )
    sign_in(page, staff["planner"])
    page.wait_for_selector("#manage:not([hidden])")
    page.wait_for_selector("body[data-events]")
    page.select_option("#quartier", "lauf")
    page.wait_for_selector(f"#event-list li[data-id='{data['event']}']")
    assert _axe(page) == []
    title = f"Spaziergang Nord {tag}"
    page.fill("#title", title)
    page.fill("#kind", "Stadtteilspaziergang")
    page.fill("#start", "2026-12-05T10:00")
    page.locator("#map").scroll_into_view_if_needed()
    page.click("#draw-line")
    page.locator("#map").scroll_into_view_if_needed()
    for fx, fy in ((0.3, 0.5), (0.5, 0.4), (0.7, 0.5)):
        page.mouse.click(*_map_point(page, fx, fy))
        page.wait_for_timeout(150)
    page.mouse.click(*_map_point(page, 0.7, 0.5))  # the last point again ends the route
    page.wait_for_selector("body[data-drawn=LineString]")
    page.click("#save")
    page.wait_for_selector("body[data-saved]")
    eid = page.get_attribute("body", "data-saved")
    event = httpx.get(f"{base}/events/{eid}").json()
    assert event["geometry"]["type"] == "LineString" and event["properties"]["title"] == title
    assert len(event["geometry"]["coordinates"]) == 3
    assert event["properties"]["start"] == "2026-12-05T10:00+01:00"

    item = page.locator(f"#contributions li[data-id='{aid}']")
    item.wait_for()
    item.locator("button.attach").click()
    page.wait_for_selector(f"body[data-attached='{aid}']")
    page.locator(f"#contributions li[data-id='{aid}'] button.detach").wait_for()
    _screenshot(page, f"events-{lang}-{screen}")
    assert _axe(page) == []

    with context.expect_page() as opened:
        page.locator(f"#event-list li[data-id='{eid}'] button.report").click()
    report = opened.value
    report.wait_for_selector("body[data-ready=true]")
    assert report.locator(f"#approved tr[data-id='{aid}']").count() == 1
    assert report.locator(".leaflet-tooltip.gq-number").all_text_contents() == ["1"]
    assert report.locator("#legend li").count() >= 6
    _screenshot(report, f"events-report-{lang}-{screen}")
    assert errors == []
    context.close()
