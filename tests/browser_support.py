"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright with one set
of launch arguments, screenshots under test-artifacts/, and an axe-core accessibility run.

Import the ``browser`` fixture into a test module (``from browser_support import
browser``): one headless Chromium per module.
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
