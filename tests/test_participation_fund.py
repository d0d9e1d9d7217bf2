"""The Verfügungsfonds through the HTTP API: the rule for the amount, proposals with
private contacts, jury votes, grants against the balance (409 beyond it), the public list
of funded projects, the funder's CSV, and a sweep over every public GET route for a
sentinel contact."""

from __future__ import annotations

import csv
import io

import pytest
from participation_loop_fixtures import (
    PAYLOAD,
    app_store,
    bearer,
    client,
    db,
    inside,
    open_fund,
    submit,
    tokens,
)

from api.participation import fund_store as fs

__all__ = ["client", "db", "inside", "tokens"]

SENTINEL = "contact-sentinel-4242"
YEAR = 2026


def proposal(**fields):
    body = {
        "title": "Hochbeete im Innenhof",
        "description": "Drei Hochbeete für die Nachbarschaft.",
        "place": "Innenhof Marktplatz",
        "requested_cents": 80_000,
        "own_cents": 15_000,
        "applicant_kind": "initiative",
        "contact": {
            "name": f"Name {SENTINEL}",
            "email": f"{SENTINEL}@example.org",
            "phone": "+49 9123 4242",
        },
    }
    return body | fields


@pytest.fixture(scope="module")
def fund(client, tokens):
    return open_fund(client, tokens, YEAR, 250_000)


def propose(client, **fields):
    return client.post(f"/quartiers/lauf/funds/{YEAR}/proposals", json=proposal(**fields))


def test_rule_amount_in_cents():
    assert fs.rule_amount_cents(0) == 200_000
    assert fs.rule_amount_cents(3_999) == 200_000  # 1,999.50 € < the 2,000 € minimum
    assert fs.rule_amount_cents(4_999) == 249_950
    assert fs.rule_amount_cents(5_000) == 250_000
    assert fs.rule_amount_cents(12_345) == 617_250  # no minimum from 5,000 residents
    with pytest.raises(Exception, match="residents"):
        fs.rule_amount_cents(-1)


def test_rule_needs_residents_or_amount(client, tokens):
    # Lauf has neither a population layer here (no workspace) nor a registry count
    r = client.put(f"/quartiers/lauf/funds/{YEAR - 1}", json={}, headers=bearer(tokens["planner"]))
    assert r.status_code == 422 and "amount_cents" in r.json()["detail"]
    assert client.get(f"/quartiers/lauf/funds/{YEAR - 1}").status_code == 404


def test_fund_set_by_planner_only(client, tokens, fund):
    assert fund["amount_cents"] == 250_000 and fund["basis"] == "planner"
    assert fund["balance_cents"] == 250_000
    for role in ("moderator", "jury"):
        r = client.put(
            f"/quartiers/lauf/funds/{YEAR}", json={"amount_cents": 1}, headers=bearer(tokens[role])
        )
        assert r.status_code == 403
    assert client.put(f"/quartiers/lauf/funds/{YEAR}", json={"amount_cents": 1}).status_code == 401
    for bad in (12.5, "100", -1, 10**15):
        r = client.put(
            f"/quartiers/lauf/funds/{YEAR}",
            json={"amount_cents": bad},
            headers=bearer(tokens["planner"]),
        )
        assert r.status_code == 422, bad
    assert (
        client.put(
            "/quartiers/nowhere/funds/2026", json={}, headers=bearer(tokens["planner"])
        ).status_code
        == 404
    )


def test_proposal_grant_balance_and_public_list(client, tokens, fund):
    first = propose(client, title=PAYLOAD)
    assert first.status_code == 201, first.text
    second = propose(client, title="Straßenfest", requested_cents=200_000)
    pid, pid2 = first.json()["id"], second.json()["id"]
    for choice in ("yes", "no", "yes"):  # the last vote of an account counts
        r = client.post(
            f"/funds/proposals/{pid}/vote", json={"vote": choice}, headers=bearer(tokens["jury"])
        )
        assert r.status_code == 200, r.text
    assert (
        client.post(
            f"/funds/proposals/{pid}/vote", json={"vote": "yes"}, headers=bearer(tokens["planner"])
        ).status_code
        == 403
    )
    r = client.post(
        f"/funds/proposals/{pid}/decision",
        json={"decision": "granted", "granted_cents": 75_000},
        headers=bearer(tokens["planner"]),
    )
    assert r.status_code == 200 and r.json()["balance_cents"] == 175_000
    # more than the balance: refused, nothing changes
    r = client.post(
        f"/funds/proposals/{pid2}/decision",
        json={"decision": "granted", "granted_cents": 175_001},
        headers=bearer(tokens["planner"]),
    )
    assert r.status_code == 409 and "balance" in r.json()["detail"]
    assert client.get(f"/quartiers/lauf/funds/{YEAR}").json()["balance_cents"] == 175_000
    # decided once only
    again = client.post(
        f"/funds/proposals/{pid}/decision",
        json={"decision": "refused"},
        headers=bearer(tokens["planner"]),
    )
    assert again.status_code == 409
    # the fund cannot shrink below what was granted
    shrink = client.put(
        f"/quartiers/lauf/funds/{YEAR}",
        json={"amount_cents": 74_999},
        headers=bearer(tokens["planner"]),
    )
    assert shrink.status_code == 409
    public = client.get(f"/quartiers/lauf/funds/{YEAR}").json()
    assert [p["id"] for p in public["funded_projects"]] == [pid]
    assert public["funded_projects"][0]["title"] == PAYLOAD
    assert public["funded_projects"][0]["granted_cents"] == 75_000
    assert public["granted_cents"] == 75_000 and public["amount_cents"] == 250_000
    staff = client.get(
        f"/quartiers/lauf/funds/{YEAR}/proposals", headers=bearer(tokens["jury"])
    ).json()["proposals"]
    mine = next(p for p in staff if p["id"] == pid)
    assert (mine["votes_yes"], mine["votes_no"]) == (1, 0)
    assert SENTINEL not in str(staff)  # the jury does not see contacts


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"requested_cents": 120.5}, "requested_cents"),
        ({"requested_cents": 0}, "requested_cents"),
        ({"requested_cents": "100"}, "requested_cents"),
        ({"own_cents": -5}, "own_cents"),
        ({"applicant_kind": "company"}, "applicant_kind"),
        ({"title": "\u200b \t"}, "title"),
        ({"description": "x" * 4001}, "description"),
        ({"contact": {"email": "not-an-address"}}, "email"),
        ({"contact": {"phone": "<script>"}}, "phone"),
        ({"iban": "DE00"}, "iban"),
    ],
)
def test_proposal_validation(client, fund, fields, field):
    before = fs.count_proposals(app_store())
    r = propose(client, **fields)
    assert r.status_code == 422 and field in r.text, r.text
    assert fs.count_proposals(app_store()) == before


def test_proposal_size_limit_and_unknown_fund(client, fund):
    r = client.post(
        f"/quartiers/lauf/funds/{YEAR}/proposals",
        content=b'{"title": "' + b"x" * 40_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert client.post("/quartiers/lauf/funds/2031/proposals", json=proposal()).status_code == 404


def test_contact_staff_only_and_deletable(client, tokens, fund):
    pid = propose(client).json()["id"]
    planner = client.get(
        f"/quartiers/lauf/funds/{YEAR}/proposals", headers=bearer(tokens["planner"])
    ).json()["proposals"]
    assert next(p for p in planner if p["id"] == pid)["contact_email"] == (
        f"{SENTINEL}@example.org"
    )
    r = client.delete(f"/funds/proposals/{pid}/contact", headers=bearer(tokens["jury"]))
    assert r.status_code == 403
    r = client.delete(f"/funds/proposals/{pid}/contact", headers=bearer(tokens["planner"]))
    assert r.status_code == 204
    planner = client.get(
        f"/quartiers/lauf/funds/{YEAR}/proposals", headers=bearer(tokens["planner"])
    ).json()["proposals"]
    assert next(p for p in planner if p["id"] == pid)["contact_email"] is None
    con = app_store()._connect()
    assert (
        con.execute(
            "SELECT count(*) AS n FROM fund_contacts WHERE proposal_id = ?", (pid,)
        ).fetchone()["n"]
        == 0
    )


def test_csv_for_the_funder(client, tokens, fund):
    propose(client, title='=HYPERLINK("http://x")', requested_cents=1_234)
    r = client.get(f"/quartiers/lauf/funds/{YEAR}/export.csv", headers=bearer(tokens["planner"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and all(row["amount_cents"] == "250000" for row in rows)
    formula = next(row for row in rows if "HYPERLINK" in row["title"])
    assert formula["title"].startswith("'=") and formula["requested_cents"] == "1234"
    assert SENTINEL not in r.text
    assert (
        client.get(
            f"/quartiers/lauf/funds/{YEAR}/export.csv", headers=bearer(tokens["jury"])
        ).status_code
        == 403
    )


def _public_get_paths(values: dict[str, str]) -> list[str]:
    """Every GET route without a security requirement, path parameters filled in."""
    from api.main import app

    paths = []
    for path, ops in app.openapi()["paths"].items():
        if "get" not in ops or "security" in ops["get"]:
            continue
        filled = path
        for name, value in values.items():
            filled = filled.replace("{" + name + "}", value)
        assert "{" not in filled, f"no value for a parameter of {path}"
        paths.append(filled)
    return paths


def test_contact_never_in_a_public_route(client, tokens, fund, inside):
    pid = propose(client).json()["id"]
    client.post(
        f"/funds/proposals/{pid}/decision",
        json={"decision": "granted", "granted_cents": 1_000},
        headers=bearer(tokens["planner"]),
    )
    annotation = submit(client, inside)
    values = {
        "quartier": "lauf",
        "quartier_id": "lauf",
        "year": str(YEAR),
        "token": annotation["receipt_url"].rsplit("/", 1)[1],
        "collection_id": "annotations",
        "feature_id": annotation["id"],
        "event_id": "none",
        "survey_id": "none",
    }
    paths = _public_get_paths(values)
    assert f"/quartiers/lauf/funds/{YEAR}" in paths and len(paths) >= 20
    seen = 0
    for path in paths:
        r = client.get(path)
        seen += r.status_code == 200
        assert SENTINEL not in r.text, path
        assert "9123 4242" not in r.text, path
    print("public GET routes", len(paths), "answered 200:", seen)
    assert seen >= 8  # the sweep reached real answers, not only errors


def test_public_fund_page(client, tokens, fund):
    pid = propose(client, title=PAYLOAD, place="Spielplatz <i>Nord</i>").json()["id"]
    r = client.post(
        f"/funds/proposals/{pid}/decision",
        json={"decision": "granted", "granted_cents": 12_345},
        headers=bearer(tokens["planner"]),
    )
    assert r.status_code == 200, r.text
    page = client.get(f"/quartiers/lauf/funds/{YEAR}.html?lang=de")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Verfügungsfonds 2026" in html and "2.500,00\xa0€" in html
    assert f'data-id="{pid}"' in html and "123,45\xa0€" in html
    assert "&lt;script&gt;alert(2)" in html and "<script>alert(2)" not in html
    assert "&lt;i&gt;Nord&lt;/i&gt;" in html and "Initiative" in html
    assert SENTINEL not in html
    english = client.get(f"/quartiers/lauf/funds/{YEAR}.html?lang=en").text
    assert "€2,500.00" in english and "Funded projects" in english
    assert client.get("/quartiers/lauf/funds/2031.html").status_code == 404
