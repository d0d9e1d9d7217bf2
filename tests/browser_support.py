"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright with one set
of launch arguments, screenshots under test-artifacts/, and an axe-core accessibility run.

Import the ``browser`` fixture into a test module (``from browser_support import
browser``): one headless Chromium per module. :func:`open_page` opens a page in a context
in which the online map tiles fail (the pages draw their offline basemap) and collects its
uncaught script errors (:func:`page_errors`); :func:`sign_in` types a staff token
(:func:`signed_in_card` then waits for a card of the list); :func:`annotation_popup`
opens a contribution's popup on the public map.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geoquartier.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
OSM_TILES = "https://tile.openstreetmap.org/**"
"""The online tiles; the tests refuse them, so no test depends on the network."""
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
    .map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }))"""


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's package) for the module's tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def screenshot(page, folder: str, name: str, *, full_page: bool = True) -> None:
    """Save ``page`` as test-artifacts/<folder>/<name>.png."""
    (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / folder / f"{name}.png"), full_page=full_page)


def serious_axe_violations(page) -> list[dict]:
    """The page's serious and critical axe-core violations: id, impact, help and the first
    three targets."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci`")
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]


def page_errors(page, *, accept_dialogs: bool = False) -> list[str]:
    """The list the uncaught script errors of ``page`` are added to from now on; with
    ``accept_dialogs`` every confirm() is answered yes."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if accept_dialogs:
        page.on("dialog", lambda dialog: dialog.accept())
    return errors


def open_page(browser, *, accept_dialogs: bool = False, **options):
    """A page in a new context of ``browser`` (``options`` as for ``new_context``;
    ``bypass_csp=True`` only lets a test inject axe-core) in which requests for online
    tiles fail, and its :func:`page_errors`. ``page.context`` is the context."""
    context = browser.new_context(**options)
    context.route(OSM_TILES, lambda route: route.abort())
    page = context.new_page()
    return page, page_errors(page, accept_dialogs=accept_dialogs)


def sign_in(page, token: str) -> None:
    """Type the staff ``token`` into a staff page's sign-in form and send it."""
    page.fill("#token", token)
    page.click("#signin-button")


def signed_in_card(page, token: str, item_id: str):
    """Sign in on a staff page with ``token`` and wait for the card (``li[data-id]``) of
    ``item_id`` in its list; the card's locator."""
    sign_in(page, token)
    card = page.locator(f"li[data-id='{item_id}']")
    card.wait_for()
    return card


def annotation_popup(page, url: str, annotation_id: str):
    """Open the participation page ``url`` and the map popup of the contribution
    ``annotation_id``; the popup's locator."""
    page.goto(url)
    page.wait_for_selector(f".gq-annotation-{annotation_id}", state="attached")
    page.locator(f".gq-annotation-{annotation_id}").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup .annotation-popup")
    popup.wait_for()
    return popup
