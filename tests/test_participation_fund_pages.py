"""The pages of the Verfügungsfonds over HTTP: the proposal page and the jury page in the
five languages (every label of their scripts in every catalog), a proposal placed on the
map (inside the real Lauf boundary, refused outside), the link from the participation
page, and no applicant contact on any public page."""

from __future__ import annotations

import re

import pytest
from participation_loop_fixtures import PAYLOAD, bearer, client, db, inside, open_fund, tokens
from shapely.geometry import Point

from api.participation import fund_store as fs
from api.participation.i18n import STATIC_DIR, messages
from api.participation.settings import PAGE_LANGUAGES

__all__ = ["client", "db", "inside", "tokens"]

SENTINEL = "fund-page-contact-7311"
YEAR = fs.current_year()
SCRIPTS = ("fund_propose.js", "fund_jury.js")


@pytest.fixture(scope="module")
def fund(client, tokens):
    return open_fund(client, tokens, YEAR, 300_000)


def body(point: Point, **fields):
    return {
        "title": "Bank am Bach",
        "description": "Eine Bank für die Nachbarschaft.",
        "requested_cents": 40_000,
        "applicant_kind": "resident",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        "contact": {"email": f"{SENTINEL}@example.org", "phone": "+49 30 7311 0000"},
    } | fields


def test_script_labels_in_every_catalog():
    for name in SCRIPTS:
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        labels = set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', text))
        assert len(labels) >= 10, name
        for lang in PAGE_LANGUAGES:
            missing = labels - set(messages(lang))
            assert not missing, (name, lang, missing)


@pytest.mark.parametrize("lang", ["de", "en", "tr", "ro", "bg"])
def test_pages_in_every_language(client, fund, lang):
    page = client.get(f"/participate/lauf/fund?lang={lang}&year={YEAR}")
    assert page.status_code == 200, page.text
    assert f'<html lang="{lang}">' in page.text
    assert 'id="proposal"' in page.text and 'id="thanks"' in page.text
    assert f"/quartiers/lauf/funds/{YEAR}.html?lang={lang}" in page.text
    other = "en" if lang == "de" else "de"  # the language switch keeps the year
    assert f"/participate/lauf/fund?lang={other}&amp;year={YEAR}" in page.text
    jury = client.get(f"/quartiers/lauf/funds/{YEAR}/jury?lang={lang}")
    assert jury.status_code == 200 and 'id="signin"' in jury.text
    catalog = messages(lang)
    assert catalog["Send proposal"] in page.text
    assert catalog["Jury of the neighbourhood fund {year}"].format(year=YEAR) in jury.text


def test_german_proposal_page_says_what_to_do(client, fund):
    html = client.get(f"/participate/lauf/fund?year={YEAR}").text
    assert "Projekt vorschlagen: Verfügungsfonds" in html
    assert "3.000,00\xa0€" in html  # the balance of the fund
    assert "Nur das Team des Quartiersbüros sieht Ihre Kontaktdaten." in html
    assert "So geht es weiter:" in html


def test_no_fund_no_form(client, fund):
    html = client.get("/participate/lauf/fund?year=2099&lang=en").text
    assert "There is no neighbourhood fund for 2099 in this quartier yet." in html
    assert 'id="proposal"' not in html
    assert client.get("/participate/nowhere/fund").status_code == 404


def test_participation_page_links_to_the_fund(client, fund):
    html = client.get("/participate/lauf?lang=en").text
    assert f'href="/participate/lauf/fund?lang=en&amp;year={YEAR}"' in html
    assert "Apply for money from the neighbourhood fund" in html


def test_proposal_placed_on_the_map(client, tokens, fund, inside):
    r = client.post(f"/quartiers/lauf/funds/{YEAR}/proposals", json=body(inside))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    staff = client.get(
        f"/quartiers/lauf/funds/{YEAR}/proposals", headers=bearer(tokens["jury"])
    ).json()["proposals"]
    row = next(p for p in staff if p["id"] == pid)
    assert (row["lon"], row["lat"]) == pytest.approx((inside.x, inside.y))
    r = client.post(
        f"/funds/proposals/{pid}/decision",
        json={"decision": "granted", "granted_cents": 30_000},
        headers=bearer(tokens["planner"]),
    )
    assert r.status_code == 200, r.text
    public = client.get(f"/quartiers/lauf/funds/{YEAR}").json()["funded_projects"]
    funded = next(p for p in public if p["id"] == pid)
    assert funded["lat"] == pytest.approx(inside.y)
    assert set(funded) == set(fs.PUBLIC_PROJECT_FIELDS)


@pytest.mark.parametrize(
    "geometry, field",
    [
        ({"type": "Point", "coordinates": [13.4, 52.5]}, "outside"),  # Berlin, not Lauf
        ({"type": "LineString", "coordinates": [[11.28, 49.51], [11.29, 49.51]]}, "Point"),
    ],
)
def test_proposal_place_checked(client, fund, inside, geometry, field):
    r = client.post(f"/quartiers/lauf/funds/{YEAR}/proposals", json=body(inside, geometry=geometry))
    assert r.status_code == 422 and field in r.json()["detail"], r.text


def test_no_contact_on_the_public_fund_pages(client, tokens, fund, inside):
    pid = client.post(
        f"/quartiers/lauf/funds/{YEAR}/proposals", json=body(inside, title=PAYLOAD)
    ).json()["id"]
    client.post(
        f"/funds/proposals/{pid}/decision",
        json={"decision": "granted", "granted_cents": 5_000},
        headers=bearer(tokens["planner"]),
    )
    for lang in PAGE_LANGUAGES:
        for path in (
            f"/participate/lauf/fund?lang={lang}&year={YEAR}",
            f"/quartiers/lauf/funds/{YEAR}.html?lang={lang}",
            f"/quartiers/lauf/funds/{YEAR}/jury?lang={lang}",
            f"/participate/lauf?lang={lang}",
            f"/quartiers/lauf/funds/{YEAR}",
        ):
            r = client.get(path)
            assert r.status_code == 200, path
            assert SENTINEL not in r.text and "7311 0000" not in r.text, path
    planner = client.get(
        f"/quartiers/lauf/funds/{YEAR}/proposals", headers=bearer(tokens["planner"])
    ).json()["proposals"]
    assert any(p.get("contact_email") == f"{SENTINEL}@example.org" for p in planner)


def test_catalogs_agree_on_msgids_and_placeholders():
    """The five participation catalogs hold the same msgids, each translation keeping the
    msgid's {placeholders} (the fund pages added about sixty)."""
    reference = messages("en")
    assert "Send proposal" in reference and "Jury of the neighbourhood fund {year}" in reference
    for lang in PAGE_LANGUAGES:
        catalog = messages(lang)
        assert set(catalog) == set(reference), lang
        for msgid, text in catalog.items():
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", msgid)), (
                lang,
                msgid,
            )
