"""End to end in a real browser (Debian Chromium driven by Playwright): a resident pins a
contribution whose text is an HTML/JS payload, it stays private until a moderator approves
it on the moderation page, then it is on the public maps and in the event report — shown
as text everywhere, and no script of the payload ever runs. The contribution has its
kind's colour from the vocabulary on the participation page and on the quartier map, the
moderation page shows when it was sent in local time (Europe/Berlin), and the keyboard
focus follows the steps. Screenshots go to test-artifacts/participation/.

Uses the shared test workspace (Lauf imported from the real data) and a real uvicorn
server on 127.0.0.1.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from api_fixtures import api_workspace, live_server
from browser_support import browser, open_page, screenshot, signed_in_card
from playwright.sync_api import expect

from api.participation.i18n import Translator
from geoquartier.maps.i18n import Translator as MapTranslator
from geoquartier.vocabulary import ANNOTATION_COLOURS, TIME_ZONE

__all__ = ["api_workspace", "live_server", "browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAYLOAD = (
    '<img src=x onerror="window.__pwned=1;alert(1)">'
    "<script>window.__pwned=2;alert(2)</script>\"'><b>fett</b>"
)


@pytest.fixture(scope="module")
def staff(api_workspace):
    from api.participation.store import open_store

    store = open_store(api_workspace.participation_db)
    _, moderator = store.add_user("e2e-moderation", "moderator")
    _, planner = store.add_user("e2e-planning", "planner")
    return {"moderator": moderator, "planner": planner}


class Page:
    """A browser page that records dialogs and never reaches the tile server."""

    def __init__(self, browser, headers: dict[str, str] | None = None):
        self.page, self.errors = open_page(
            browser, extra_http_headers=headers or {}, viewport={"width": 1280, "height": 900}
        )
        self.context = self.page.context
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_payload_inert(self) -> None:
        assert self.dialogs == []
        assert self.page.evaluate("window.__pwned") is None
        assert self.page.locator("img[src=x]").count() == 0
        assert self.page.locator("b:text-is('fett')").count() == 0

    def close(self) -> None:
        self.context.close()


def _public_ids(base: str) -> set[str]:
    return {f["id"] for f in httpx.get(f"{base}/quartiers/lauf/annotations").json()["features"]}


def _screenshot(page, name: str) -> None:
    screenshot(page, "participation", name)


def _local_submitted(base: str, token: str, annotation_id: str, lang: str) -> str:
    """When the contribution was sent, as the moderation page should show it (Babel, CLDR)."""
    queue = httpx.get(
        f"{base}/moderation/annotations?status=pending&limit=200",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    created = next(
        f["properties"]["created_at"] for f in queue["features"] if f["id"] == annotation_id
    )
    local = datetime.fromisoformat(created).astimezone(TIME_ZONE)
    tr = MapTranslator(lang)
    return tr.patterns()["dateTime"].replace("{1}", tr.date(local)).replace("{0}", tr.time(local))


def test_resident_to_moderator_to_public_map_with_a_script_payload(live_server, staff, browser):
    base = live_server
    event = httpx.post(
        f"{base}/events",
        headers={"Authorization": f"Bearer {staff['planner']}"},
        json={
            "quartier": "lauf",
            "title": "Stadtteilwerkstatt Altstadt",
            "kind": "Stadtteilwerkstatt",
            "start": "2026-11-28T15:00",
            "location": {"lon": 11.2806, "lat": 49.5110},
        },
    )
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]

    # -- the resident ------------------------------------------------------------------------
    resident = Page(browser)
    page = resident.page
    page.goto(f"{base}/participate/lauf?lang=de&event={event_id}")
    page.wait_for_selector("body[data-ready=true]")
    assert (
        page.locator("#event-title").text_content() == "Veranstaltung: Stadtteilwerkstatt Altstadt"
    )
    page.click("#send")
    assert (
        page.locator("#message").text_content()
        == "Bitte markieren Sie zuerst einen Ort auf der Karte."
    )
    page.click("#draw-point")
    page.locator("#map").click()  # the map is fitted to the quartier: its centre is inside
    page.wait_for_selector("body[data-drawn=Point]")
    page.check("input[name=kind][value=problem]")
    page.fill("#text", PAYLOAD)
    page.select_option("#language", "de")
    page.wait_for_selector("#map .leaflet-streets-pane path", state="attached")
    _screenshot(page, "participate-de")
    page.click("#send")
    page.wait_for_selector("#thanks:not([hidden])")
    expect(page.locator("#thanks .thanks")).to_be_focused()
    assert "erscheint nach der Prüfung" in page.locator("#thanks .thanks").text_content()
    assert page.locator("#echo").text_content() == PAYLOAD
    annotation_id = page.get_attribute("body", "data-submitted")
    assert annotation_id
    resident.assert_payload_inert()

    # -- not public yet ---------------------------------------------------------------------
    assert annotation_id not in _public_ids(base)

    # -- the moderator ------------------------------------------------------------------------
    moderation = Page(browser)
    mpage = moderation.page
    mpage.goto(f"{base}/moderate?lang=de")
    mpage.wait_for_selector("body[data-ready=true]")
    mpage.fill("#token", staff["planner"])  # a planner may not moderate
    mpage.click("#signin-button")
    mpage.wait_for_selector("#message:not(:empty)")
    assert mpage.locator("#message").text_content() == "Dieses Konto darf nicht moderieren."
    assert mpage.evaluate("sessionStorage.getItem('geoquartier.moderationToken')") is None
    card = signed_in_card(mpage, staff["moderator"], annotation_id)
    expect(mpage.locator("#count")).to_be_focused()
    assert card.locator(".text").text_content() == PAYLOAD
    assert card.locator(".kind").text_content() == "Problem"
    submitted = card.locator(f"dt:text-is('{Translator('de')('Submitted')}') + dd")
    local_submitted = _local_submitted(base, staff["moderator"], annotation_id, "de")
    assert submitted.text_content() == local_submitted
    _screenshot(mpage, "moderate-de")
    assert (
        mpage.evaluate("sessionStorage.getItem('geoquartier.moderationToken')")
        == staff["moderator"]
    )
    card.locator("button.approve").click()
    mpage.wait_for_selector(f"body[data-decided='{annotation_id}']")
    assert mpage.evaluate("document.activeElement !== document.body")  # focus stays on the list
    assert mpage.locator(f"li[data-id='{annotation_id}']").count() == 0
    assert mpage.locator("#message").text_content() == f"Freigegeben: {PAYLOAD}"
    mpage.select_option("#status", "approved")
    mpage.wait_for_selector("body[data-loaded=approved]")
    assert mpage.locator(f"li[data-id='{annotation_id}'] .text").text_content() == PAYLOAD
    moderation.assert_payload_inert()
    mpage.click("#signout")
    assert mpage.evaluate("sessionStorage.getItem('geoquartier.moderationToken')") is None
    moderation.close()

    # -- public now: the API, the participation map and the quartier map ------------------------
    assert annotation_id in _public_ids(base)
    page.goto(f"{base}/participate/lauf?lang=de")
    page.wait_for_selector("body[data-ready=true]")
    pin = page.locator(f"#map path.gq-annotation-{annotation_id}")
    pin.wait_for()
    assert pin.get_attribute("stroke") == ANNOTATION_COLOURS["problem"]
    pin.click(force=True)  # other tests' approved pins may lie on top
    popup = page.locator(".leaflet-popup-content .annotation-popup")
    popup.wait_for()
    assert popup.locator(".text").text_content() == PAYLOAD
    resident.assert_payload_inert()
    resident.close()

    # -- the event report -------------------------------------------------------------------------
    report = Page(browser, headers={"Authorization": f"Bearer {staff['planner']}"})
    rpage = report.page
    rpage.goto(f"{base}/events/{event_id}/report.html?lang=de")
    rpage.wait_for_selector("body[data-ready=true]")
    row = rpage.locator(f"#approved tr[data-id='{annotation_id}']")
    assert row.locator("td.text").text_content() == PAYLOAD
    assert row.locator("time").text_content() == local_submitted
    assert rpage.locator(".event time").first.text_content() == "28.11.2026, 15:00"
    assert (
        rpage.locator("#counts tr[data-kind=problem] td[data-status=approved]").text_content()
        == "1"
    )
    report.assert_payload_inert()
    assert report.errors == []
    _screenshot(rpage, "report-de")
    report.close()

    # -- the public quartier map ------------------------------------------------------------
    public = Page(browser)
    ppage = public.page
    answer = ppage.goto(f"{base}/quartiers/lauf/map?lang=de")
    assert answer.status == 200, answer.text()[:500]
    ppage.wait_for_load_state("load")
    ppage.wait_for_function("window.GQ && GQ.map && GQ.layers.annotations")
    _screenshot(ppage, "quartier-map-de")
    shown = ppage.evaluate(
        """(payload) => {
            // every popup of every Leaflet map on the page, read as the text it shows
            const found = [];
            const seen = new Set();
            const visit = (layer) => {
              if (seen.has(layer)) return;
              seen.add(layer);
              const popup = layer.getPopup && layer.getPopup();
              if (popup) {
                let text;
                if (layer._map && layer.openPopup) {
                  layer.openPopup();
                  text = popup.getElement().textContent;
                } else {
                  const content = popup.getContent();
                  text = typeof content === 'string'
                    ? new DOMParser().parseFromString(content, 'text/html').body.textContent
                    : content.textContent;
                }
                if (text.includes(payload)) found.push({text, colour: layer.options.color});
              }
              if (layer.eachLayer) layer.eachLayer(visit);
              if (layer.getLayers) layer.getLayers().forEach(visit);
            };
            for (const key of Object.keys(window)) {
              const obj = window[key];
              if (obj && typeof obj.eachLayer === 'function' && obj.getContainer) {
                obj.eachLayer(visit);
              }
            }
            return found;
        }""",
        PAYLOAD,
    )
    assert shown, "the approved contribution is not on the public quartier map"
    assert {s["colour"] for s in shown} == {ANNOTATION_COLOURS["problem"]}
    public.assert_payload_inert()
    assert public.errors == []
    public.close()
