"""The public map served by the API runs under its Content-Security-Policy in a real
browser (Debian Chromium through Playwright): no violation is reported, the map's own
scripts run (layers, markers, a popup), and a script without the answer's nonce does not.

Uses the shared test workspace (Lauf imported from the real data) and a real uvicorn
server on 127.0.0.1; tile requests are cut off (no network in tests).
"""

from __future__ import annotations

import pytest
from api_fixtures import api_workspace, live_server
from browser_support import CHROMIUM, CHROMIUM_ARGS

__all__ = ["api_workspace", "live_server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def test_map_works_under_its_policy_and_foreign_scripts_do_not_run(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            console: list[str] = []
            errors: list[str] = []
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            response = page.goto(f"{live_server}/quartiers/lauf/map?lang=de")
            assert "nonce-" in response.headers["content-security-policy"]
            page.wait_for_function("window.GQ && GQ.map && GQ.basemapState", timeout=20000)
            assert page.evaluate("GQ.counts.basemap") > 0
            page.locator(".gq-marker-office").first.click()
            page.locator(".leaflet-popup-content").wait_for()

            # a script added without the nonce is blocked and reported
            page.evaluate(
                """() => { const s = document.createElement('script');
                s.textContent = 'window.__foreign = 1'; document.body.appendChild(s); }"""
            )
            page.wait_for_function("window.__violations.length > 0")
            assert page.evaluate("window.__foreign") is None
            violations = page.evaluate("window.__violations")
            assert violations == ["script-src-elem inline"], violations
            csp_console = [m for m in console if "Content Security Policy" in m]
            assert len(csp_console) == 1, csp_console  # only the foreign script
            assert errors == []
        finally:
            browser.close()
