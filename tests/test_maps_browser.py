"""The maps in a real browser (Debian's Chromium through Playwright): offline, complete,
in the chosen language, safe. Screenshots go to test-artifacts/maps/.

For Neu Olvenstedt (estimate mode) and Lauf (network): the page loads with no console
errors and no request leaving the machine (only file: and data: URLs; the tile URL points
at a folder that does not exist, so the offline street map must take over); the marker
count per layer matches the data; an office popup shows its opening hours in the chosen
language with the status computed in the browser; a service named
``<img src=x onerror=alert(1)>`` appears as text and no dialog opens; the language switch
to Turkish changes the legend.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import geopandas as gpd
import pandas as pd
import pytest
from browser_support import browser, serious_axe_violations
from playwright.sync_api import expect
from shapely.geometry import Point
from test_maps_support import MAP_QUARTIERS, XSS_NAME, map_data, maps_store

from geoquartier.config import PROJECT_ROOT
from geoquartier.layers.opening_hours import TIMEZONE, OpeningHours
from geoquartier.maps.builder import build_quartier_map, save_map
from geoquartier.maps.i18n import Translator

__all__ = ["browser", "map_data", "maps_store"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UNREACHABLE_TILES = "file:///nonexistent-geoquartier-tiles/{z}/{x}/{y}.png"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "maps"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _xss_service(quartier: str, near: Point) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"{quartier}:xss"],
            "quartier": [quartier],
            "name": [XSS_NAME],
            "category": ["migration"],
            "operator": [XSS_NAME],
            "address": ["<b>Teststraße 1</b>"],
            "phone": [None],
            "opening_hours": ["Mo-Fr 09:00-12:00"],
            "languages": [["tr"]],
            "wheelchair": [None],
            "source": ["test"],
        },
        geometry=[Point(near.x + 0.0015, near.y + 0.001)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def built(map_data, tmp_path_factory):
    """Both quartiers' maps in de and tr (with the injected XSS service) in one folder."""
    out = tmp_path_factory.mktemp("maps")
    result = {}
    for quartier in MAP_QUARTIERS:
        data = map_data(quartier)
        office = data.drawable_offices().geometry.iloc[0]
        services = data.layer("services")
        data.layers["services"] = gpd.GeoDataFrame(
            pd.concat([services, _xss_service(quartier, office)], ignore_index=True),
            crs="EPSG:4326",
        )
        for lang in ("de", "tr"):
            m = build_quartier_map(
                data, lang=lang, tile_url=UNREACHABLE_TILES, language_href=quartier + ".{lang}.html"
            )
            save_map(m, out / f"{quartier}.{lang}.html")
        result[quartier] = data
    return out, result


class Page:
    """A page with every request, console message, page error and dialog recorded."""

    def __init__(self, browser, url: str, viewport: dict):
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_function(
            "window.GQ && GQ.map && GQ.basemapState === 'vector'", timeout=20000
        )

    def _console(self, message) -> None:
        if message.type != "error":
            return
        # the deliberately unreachable tiles fail to load: expected, anything else is not
        if "nonexistent-geoquartier-tiles" in (message.location or {}).get("url", ""):
            return
        self.errors.append(message.text)

    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]

    def close(self):
        self.context.close()

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def settled(p) -> None:
    """Wait until every image has loaded or failed and two frames have been painted."""
    p.wait_for_function("() => Array.from(document.images).every((img) => img.complete)")
    p.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def _open(browser, built, quartier, lang="de", viewport=DESKTOP) -> Page:
    out, _ = built
    return Page(browser, (out / f"{quartier}.{lang}.html").as_uri(), viewport)


@pytest.mark.parametrize("quartier", MAP_QUARTIERS)
def test_loads_offline_without_errors_and_falls_back_to_the_street_map(browser, built, quartier):
    with _open(browser, built, quartier) as page:
        p = page.page
        assert page.errors == []
        assert page.external_requests() == []
        assert any("nonexistent-geoquartier-tiles" in u for u in page.requests), (
            "tiles were not tried"
        )
        assert p.evaluate("GQ.map.hasLayer(GQ.layers.basemap)")
        assert p.evaluate("GQ.counts.basemap") > 0
        assert p.locator("#gq-tile-notice").is_visible()
        # markers and vector layers agree after the view was fitted (no stale marker positions)
        offset = p.evaluate("""() => {
            const m = GQ.layers.offices.getLayers()[0], map = GQ.map;
            const pt = map.latLngToContainerPoint(m.getLatLng());
            const r = m.getElement().getBoundingClientRect();
            const c = map.getContainer().getBoundingClientRect();
            return [r.x + r.width / 2 - c.x - pt.x, r.y + r.height / 2 - c.y - pt.y];
        }""")
        assert abs(offset[0]) < 2 and abs(offset[1]) < 2
        # the whole quartier is in view
        assert p.evaluate("GQ.map.getBounds().contains(GQ.layers.boundary.getBounds())")
        assert p.locator("html").get_attribute("lang") == "de"
        attribution = p.locator(".leaflet-control-attribution").inner_text()
        assert "OpenStreetMap" in attribution and "ODbL" in attribution
        if quartier == "neu-olvenstedt":
            assert "Zensus 2022" in attribution and "CC BY 4.0" in attribution
            footer = p.locator(".gq-foot").inner_text()
            assert "Destatis" in footer and "dl-de/by-2.0" in footer and "NASA GmbH" in footer
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"{quartier}-de-desktop.png"))


@pytest.mark.parametrize("quartier", MAP_QUARTIERS)
def test_marker_counts_match_the_data(browser, built, quartier):
    _, datas = built
    data = datas[quartier]
    with _open(browser, built, quartier) as page:
        p = page.page
        expected = {
            "offices": len(data.drawable_offices()),
            "services": len(data.layer("services")),
            "pois": len(data.layer("pois")),
            "stops": len(data.layer("stops")),
            "population": len(data.layer("population")),
        }
        assert expected["pois"] > 20 and expected["stops"] >= 30 and expected["offices"] == 1
        for layer, count in expected.items():
            assert p.evaluate(f"GQ.layers[{layer!r}].getLayers().length") == count, layer
        assert p.locator(".gq-marker-office").count() == expected["offices"]
        assert p.evaluate("GQ.layers.isochrones.getLayers().length") == 3
        assert p.locator(".gq-list button[data-gq-layer='pois']").count() == expected["pois"]


def _expected_status(tr: Translator, hours: OpeningHours, now: datetime) -> str:
    """The status line as the page should write it (computed here with Babel)."""
    change = hours.next_change(now)
    state = "Open now" if hours.is_open(now) else "Closed now"
    if change is None:
        return tr(state)
    days = (change.date() - now.date()).days
    clock = tr.time(change)
    if days == 0:
        when = tr("today {time}", time=clock)
    elif days == 1:
        when = tr("tomorrow {time}", time=clock)
    elif days < 7:
        when = tr("{weekday} {time}", weekday=tr.weekday_names()[change.weekday()], time=clock)
    else:
        when = tr("{date} {time}", date=tr.date(change), time=clock)
    verb = "closes {when}" if hours.is_open(now) else "opens {when}"
    return f"{tr(state)} · {tr(verb, when=when)}"


@pytest.mark.parametrize("lang", ["de", "tr"])
def test_office_popup_shows_hours_in_the_language(browser, built, lang):
    _, datas = built
    tr = Translator(lang)
    office = datas["lauf"].drawable_offices().iloc[0]
    hours = OpeningHours(office["opening_hours"], state=datas["lauf"].state)
    with _open(browser, built, "lauf", lang) as page:
        p = page.page
        p.locator(".gq-marker-office").click()
        popup = p.locator(".leaflet-popup-content")
        popup.wait_for()
        content = popup.inner_text()
        days = tr.weekday_names()
        for weekday, _spans in hours.weekly():
            assert days[weekday] in content
        assert "10:00–13:00" in content and "15:00–18:00" in content
        assert tr("Public holidays: closed") in content
        now = datetime.now(TIMEZONE)
        status = popup.locator("[data-hours]").inner_text()
        if hours.next_change(now) and hours.next_change(now) - now > timedelta(minutes=2):
            assert status == _expected_status(tr, hours, now)
        assert tr("Languages spoken") in content and tr.language_name("tr") in content
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"lauf-{lang}-office-popup.png"))


def test_approximate_office_is_marked_and_hours_unknown(browser, built):
    with _open(browser, built, "neu-olvenstedt", "tr") as page:
        p = page.page
        marker = p.locator(".gq-marker-office")
        assert marker.locator(".gq-pin-approx").count() == 1
        marker.focus()
        p.keyboard.press("Enter")  # keyboard opens the popup and moves the focus into it
        popup = p.locator(".leaflet-popup-content")
        popup.wait_for()
        expect(popup).to_be_focused()
        text = popup.inner_text()
        assert "Yaklaşık konum" in text
        assert "Açılış saatleri bilinmiyor" in text


@pytest.mark.parametrize("quartier", MAP_QUARTIERS)
def test_xss_service_name_shows_as_text(browser, built, quartier):
    with _open(browser, built, quartier, "tr") as page:
        p = page.page
        button = p.locator(f".gq-list button[data-gq-show='{quartier}:xss']")
        assert button.inner_text() == XSS_NAME
        button.click()  # the list opens the marker's popup
        popup = p.locator(".leaflet-popup-content h3")
        popup.wait_for()
        assert popup.inner_text() == XSS_NAME
        assert "<b>Teststraße 1</b>" in p.locator(".leaflet-popup-content").inner_text()
        assert p.locator("img[src='x']").count() == 0
        assert p.locator(".leaflet-popup-content b").count() == 0
        settled(p)  # an error handler of an injected image would have run by now
        assert page.dialogs == []
        assert page.errors == []


@pytest.mark.parametrize("quartier", MAP_QUARTIERS)
def test_switching_to_turkish_changes_the_legend(browser, built, quartier):
    with _open(browser, built, quartier, "de") as page:
        p = page.page
        legend = p.locator(".gq-legend summary")
        assert legend.inner_text() == "Legende"
        assert "Büros" in p.locator(".gq-legend").inner_text()
        p.locator("a[data-lang='tr']").click()
        p.wait_for_function("document.documentElement.lang === 'tr' && window.GQ && GQ.map")
        assert p.locator(".gq-legend summary").inner_text() == "Lejant"
        legend_text = p.locator(".gq-legend").inner_text()
        assert "Bürolar" in legend_text and "Büros" not in legend_text
        assert p.locator("a[data-lang='tr']").get_attribute("aria-current") == "page"
        assert page.external_requests() == []


@pytest.mark.parametrize("quartier", MAP_QUARTIERS)
def test_phone_viewport(browser, built, quartier):
    with _open(browser, built, quartier, "tr", PHONE) as page:
        p = page.page
        box = p.locator(".folium-map").bounding_box()
        assert box["width"] == pytest.approx(PHONE["width"], abs=2) and box["height"] > 350
        list_box = p.locator(".gq-list").bounding_box()
        assert list_box["y"] >= box["y"] + box["height"] - 1  # the list follows the map
        assert p.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.errors == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"{quartier}-tr-phone.png"))
        p.locator(".gq-marker-office").click()
        p.locator(".leaflet-popup-content").wait_for()
        # the map pans the popup into view (the pan starts a frame after the popup
        # opens): wait until the whole popup lies inside the map; it fails if it never does
        p.wait_for_function(
            """() => {
                const pop = document.querySelector('.leaflet-popup').getBoundingClientRect();
                const map = document.querySelector('.folium-map').getBoundingClientRect();
                const still = !(GQ.map._panAnim && GQ.map._panAnim._inProgress);
                return still && pop.top >= map.top - 1 && pop.bottom <= map.bottom + 1;
            }""",
            timeout=10_000,
        )
        popup = p.locator(".leaflet-popup").bounding_box()
        box = p.locator(".folium-map").bounding_box()  # clicking may have scrolled the page
        assert (
            box["y"] - 1 <= popup["y"]
            and popup["y"] + popup["height"] <= box["y"] + box["height"] + 1
        )
        close = p.locator(".leaflet-popup-close-button").bounding_box()
        layers = p.locator(".leaflet-control-layers").bounding_box()
        assert (
            close["y"] >= layers["y"] + layers["height"]
            or close["x"] + close["width"] <= layers["x"]
        )
        p.screenshot(path=str(ARTIFACTS / f"{quartier}-tr-phone-popup.png"))


# ---- keyboard, accessibility, phone -------------------------------------------------------
TAB_STOP = """() => {
    const el = document.activeElement;
    return {
        cls: String(el.className && el.className.baseVal !== undefined ? el.className.baseVal
                    : el.className),
        name: el.getAttribute('aria-label') || el.getAttribute('title') || el.textContent.trim(),
        tag: el.tagName,
    };
}"""


def _tab_stops(p, count: int) -> list[dict]:
    p.locator("body").focus()
    stops = []
    for _ in range(count):
        p.keyboard.press("Tab")
        stops.append(p.evaluate(TAB_STOP))
    return stops


@pytest.mark.parametrize("quartier", MAP_QUARTIERS)
def test_tab_reaches_the_zoom_buttons_before_any_marker(browser, built, quartier):
    with _open(browser, built, quartier, "de") as page:
        p = page.page
        stops = _tab_stops(p, 40)
        classes = [s["cls"] for s in stops]
        zoom = next(i for i, c in enumerate(classes) if "leaflet-control-zoom-in" in c)
        first_marker = next(
            (i for i, c in enumerate(classes) if "leaflet-marker-icon" in c), len(classes)
        )
        assert zoom < 12 and zoom < first_marker
        assert stops[zoom]["name"] == "Vergrößern"  # labelled in the page language
        assert any("leaflet-control-layers-toggle" in c for c in classes[:first_marker])
        # every stop has a name; a cluster says how many places of which kinds it holds
        assert all(s["name"] for s in stops), [s for s in stops if not s["name"]]
        assert not any(s["tag"] == "path" and not s["name"] for s in stops)
        clusters = p.locator(".marker-cluster")
        if clusters.count():
            label = clusters.first.get_attribute("aria-label")
            assert label and " Orte: " in label and label.split()[0].isdigit()


def test_escape_closes_the_popup_and_returns_the_focus(browser, built):
    with _open(browser, built, "lauf", "tr") as page:
        p = page.page
        marker = p.locator(".gq-marker-office")
        marker.focus()
        p.keyboard.press("Enter")
        popup = p.locator(".leaflet-popup-content")
        popup.wait_for()
        expect(popup).to_be_focused()
        p.keyboard.press("Escape")
        expect(p.locator(".leaflet-popup")).to_have_count(0)
        expect(marker).to_be_focused()
        # from the list: Escape returns to the list's button
        button = p.locator(".gq-list li button[data-gq-layer='offices']").first
        button.click()
        popup.wait_for()
        p.keyboard.press("Escape")
        expect(p.locator(".leaflet-popup")).to_have_count(0)
        expect(button).to_be_focused()


def test_focus_ring_has_enough_contrast(browser, built):
    with _open(browser, built, "lauf", "de") as page:
        p = page.page
        p.locator("body").focus()
        p.keyboard.press("Tab")
        p.keyboard.press("Tab")  # a language link, focused by keyboard
        style = p.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineColor, s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
        )
        assert style[0] == "rgb(11, 12, 12)" and style[1] == "solid" and style[2] == "3px"
        assert "255, 221, 0" in style[3]  # the light halo


@pytest.mark.parametrize("quartier,lang", [("neu-olvenstedt", "de"), ("lauf", "tr")])
def test_axe_finds_no_serious_violations(browser, built, quartier, lang):
    with _open(browser, built, quartier, lang) as page:
        assert serious_axe_violations(page.page) == []


@pytest.mark.parametrize("lang", ["de", "tr"])
def test_phone_shows_office_status_legend_folded_and_a_searchable_list(browser, built, lang):
    with _open(browser, built, "neu-olvenstedt", lang, PHONE) as page:
        p = page.page
        tr = Translator(lang)
        assert p.locator(".gq-legend details").get_attribute("open") is None  # folded
        # the estimate note stands first in the list
        first_note = p.locator(".gq-list .gq-top-note").first.inner_text()
        assert tr("Walking times marked “about” are estimates") in first_note
        # attribution and scale bar do not overlap
        attribution = p.locator(".leaflet-control-attribution").bounding_box()
        scale = p.locator(".leaflet-control-scale").bounding_box()
        assert (
            scale["x"] + scale["width"] <= attribution["x"]
            or scale["y"] + scale["height"] <= attribution["y"]
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"neu-olvenstedt-{lang}-phone-start.png"))
        # the list: search for a category; only matching places stay
        pharmacy = tr.capitalise(tr("pharmacy"))
        p.locator("#gq-filter").fill(pharmacy)
        visible = p.locator(".gq-list section li:visible")
        assert visible.count() >= 1
        assert all(pharmacy in t for t in visible.all_inner_texts())
        estimate = "ca. " if lang == "de" else "yak. "
        assert any(estimate in t for t in visible.all_inner_texts())
        p.locator("#gq-filter").fill("zzzz-nothing")
        expect(p.locator("#gq-filter-none")).to_be_visible()
        p.locator("#gq-filter").fill("")
        p.locator(".gq-list").screenshot(
            path=str(ARTIFACTS / f"neu-olvenstedt-{lang}-phone-list.png")
        )
        assert page.errors == []


def test_walking_times_from_a_chosen_point(browser, built):
    with _open(browser, built, "neu-olvenstedt", "de", DESKTOP) as page:
        p = page.page
        p.locator("#gq-from summary").click()
        p.locator("#gq-from-pick").click()
        expect(p.locator("#gq-from-status")).to_contain_text("Karte")
        box = p.locator(".folium-map").bounding_box()
        p.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5)
        lines = p.locator(".gq-from-line")
        expect(lines.first).to_be_visible()
        text = lines.first.inner_text()
        assert text.startswith("ca. ") and "(Start: gewählter Punkt)" in text
        assert "geschätzt" in text
        assert lines.count() == p.locator(".gq-list li button[data-gq-show]").count()
        p.screenshot(path=str(ARTIFACTS / "neu-olvenstedt-de-desktop-walk-from.png"))
        p.locator("#gq-from-reset").click()
        expect(p.locator(".gq-from-line")).to_have_count(0)


def test_legend_lists_only_layers_that_are_on(browser, built):
    with _open(browser, built, "neu-olvenstedt", "de", DESKTOP) as page:
        p = page.page
        residents = p.locator(".gq-legend [data-gq-legend='population']")
        expect(residents).to_be_hidden()  # residents are off at start
        p.evaluate("() => { GQ.map.addLayer(GQ.layers.population); }")
        expect(residents).to_be_visible()
        legend = p.locator(".gq-legend").inner_text()
        assert "mehr als" in legend  # readable classes, the last one open-ended
        assert "Straßenkarte nur online" in legend
        p.screenshot(path=str(ARTIFACTS / "neu-olvenstedt-de-desktop-residents.png"))


def test_walking_times_from_an_address_of_the_quartier(browser, built):
    with _open(browser, built, "lauf", "tr", DESKTOP) as page:
        p = page.page
        addresses = p.evaluate("GQ.config().walkFrom.addresses.length")
        assert addresses > 100  # the quartier's OSM address points are embedded
        p.locator("#gq-from summary").click()
        address = p.locator("#gq-from-list option").nth(addresses // 2).get_attribute("value")
        p.locator("#gq-from-address").fill(address)
        p.locator("#gq-from-form button[type=submit]").click()
        line = p.locator(".gq-from-line").first
        expect(line).to_be_visible()
        assert f"(başlangıç: {address})" in line.inner_text() and "yak." in line.inner_text()
        p.locator("#gq-from-address").fill("Nowhere Street 999")
        p.locator("#gq-from-form button[type=submit]").click()
        expect(p.locator("#gq-from-status")).to_have_text(
            Translator("tr")("Address not found in this quartier.")
        )
