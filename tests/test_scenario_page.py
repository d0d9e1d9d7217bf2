"""The planners' scenario page as HTML (``GET /scenarios/manage``): rendered in the five page
languages from the participation catalogs, every label of its script translated with the
same placeholders, its choices and colours from the vocabularies (none written into the
script), scripts only with the answer's nonce. Uses the shared test workspace (Lauf)."""

from __future__ import annotations

import json
import re
import string

import pytest

from api import scenario_page
from api.participation.i18n import STATIC_DIR, TEMPLATE_DIR, messages
from geoquartier.vocabulary import PAGE_LANGUAGES, SCENARIO_COLOURS
from tests.api_fixtures import api_client, api_workspace  # noqa: F401  (fixtures)

SCRIPT = (STATIC_DIR / "scenarios.js").read_text(encoding="utf-8")
TEMPLATE = (TEMPLATE_DIR / "scenarios.html").read_text(encoding="utf-8")
CONFIG = re.compile(r'<script\b[^>]*\bid="gq-config"[^>]*>(.*?)</script>', re.S)


def _page_msgids() -> set[str]:
    used = set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', SCRIPT))
    used |= set(re.findall(r"\btr\('((?:[^'\\]|\\.)*)'", TEMPLATE))
    hints = SCRIPT[SCRIPT.index("var HINTS") : SCRIPT.index("function chooseTool")]
    used |= set(re.findall(r'^\s+\w+: "([^"]+)"', hints, re.M))
    for mapping in ("EDIT_MSGIDS", "HIGHWAY_MSGIDS", "WHEELCHAIR_MSGIDS", "CHANGE_MSGIDS"):
        used |= set(getattr(scenario_page, mapping).values())
    return used


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", PAGE_LANGUAGES)
def test_every_label_of_the_page_is_translated(lang):
    used = _page_msgids()
    assert len(used) > 80
    catalog = messages(lang)
    assert sorted(used - set(catalog)) == []
    for msgid in used:
        assert _fields(catalog[msgid]) == _fields(msgid), (lang, msgid)
        if lang != "en" and len(re.sub(r"\{\w+\}|\W", "", msgid)) > 12:  # words, not "{a} → {b}"
            assert catalog[msgid] != msgid, (lang, msgid)


def test_no_colour_or_vocabulary_is_written_into_the_script():
    # only black and white outlines; the colours of gains, losses and edits come from the config
    assert set(re.findall(r"#[0-9a-fA-F]{3,6}\b", SCRIPT)) <= {"#1a1a1a", "#ffffff", "#fff"}
    assert not [c for c in SCENARIO_COLOURS.values() if c.lower() in SCRIPT.lower()]
    for value in ("pharmacy", "footway", "cycleway", "yes", "limited", "standard", "senior"):
        assert f'"{value}"' not in SCRIPT, value


@pytest.mark.parametrize("lang", PAGE_LANGUAGES)
def test_page_renders_with_nonce_and_config(api_client, lang):  # noqa: F811
    r = api_client.get("/scenarios/manage", params={"quartier": "lauf", "lang": lang})
    assert r.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]).group(1)
    scripts = re.findall(r"<script\b[^>]*>", r.text)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    assert f'<html lang="{lang}">' in r.text
    config = json.loads(CONFIG.search(r.text).group(1))
    assert config["scenarioColours"] == SCENARIO_COLOURS
    assert config["scenariosUrl"] == "/quartiers/lauf/scenarios"
    assert {"standard", "senior", "wheelchair"} == set(config["profiles"])
    ids = {f["id"] for f in config["facilities"]}
    assert "lauf-demo-stadtteilbuero" in ids and len(ids) == len(config["facilities"]) > 50
    assert all(isinstance(f["name"], str) for f in config["facilities"])
    assert "pharmacy" in config["categories"] and "office" not in config["categories"]
    # the language switch keeps the quartier
    assert "/scenarios/manage?lang=en&amp;quartier=lauf" in r.text or lang == "en"


def test_unknown_quartier_answers_404_and_staff_pages_link_the_page(api_client):  # noqa: F811
    assert api_client.get("/scenarios/manage", params={"quartier": "nowhere"}).status_code == 404
    assert api_client.get("/scenarios/manage").status_code == 200
    for page in ("/moderate", "/events/manage"):
        assert 'href="/scenarios/manage?lang=de"' in api_client.get(page).text, page
