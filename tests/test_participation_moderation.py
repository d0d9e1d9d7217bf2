"""Moderation with redaction, revoked accounts, what exports and public routes may show,
and the life of an event (point, route, area; edit, close, delete; attach contributions;
signed report links), through the API and the CLI.

Runs on the shared test workspace (Lauf and Neu Olvenstedt imported from the real data)
and its participation database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from api.participation import report
from api.participation.store import _SCHEMA, SCHEMA_VERSION, open_store
from geoquartier.settings import reload_settings

try:
    from tests.api_fixtures import api_client, api_workspace, bearer, create_event, lauf, store
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_client, api_workspace, bearer, create_event, lauf, store  # noqa: F401

PHONE = "0176 5550123"


@pytest.fixture(scope="module")
def staff(store):
    tag = uuid.uuid4().hex[:6]
    _, moderator = store.add_user(f"moderation-{tag}", "moderator")
    _, planner = store.add_user(f"planning-{tag}", "planner")
    return {"moderator": moderator, "planner": planner, "tag": tag}


def _inside(lauf, dx: float = 0.0) -> list[float]:
    p = lauf.representative_point()
    return [p.x + dx, p.y]


def _route(lauf) -> dict:
    """A short route through the middle of Lauf (EPSG:4326), like a Stadtteilspaziergang."""
    c = lauf.representative_point()
    return {
        "type": "LineString",
        "coordinates": [[c.x - 0.0008, c.y], [c.x, c.y + 0.0004], [c.x + 0.0008, c.y]],
    }


def _submit(client, lauf, text: str, event_id: str | None = None, kind: str = "question"):
    body = {"geometry": {"type": "Point", "coordinates": _inside(lauf)}, "kind": kind}
    body.update(text=text, language="de")
    if event_id:
        body["event_id"] = event_id
    r = client.post("/quartiers/lauf/annotations", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _event(client, staff, lauf, title: str = "Stadtteilspaziergang Altstadt", **extra) -> dict:
    body = {"kind": "Stadtteilspaziergang", "geometry": _route(lauf)} | extra
    return create_event(client, staff["planner"], title, **body)


# -- redaction -------------------------------------------------------------------------------
def test_redaction_keeps_the_original_only_in_the_private_audit_table(
    api_client, staff, store, lauf
):
    original = f"Wann öffnet der Spielplatz wieder? Rufen Sie mich an: {PHONE}"
    redacted = "Wann öffnet der Spielplatz wieder?"
    aid = _submit(api_client, lauf, original)
    mod = bearer(staff["moderator"])
    empty = api_client.post(
        f"/moderation/annotations/{aid}/approve", json={"text": " \u200b "}, headers=mod
    )
    assert empty.status_code == 422 and "text" in empty.json()["detail"]
    r = api_client.post(
        f"/moderation/annotations/{aid}/approve", json={"text": redacted}, headers=mod
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["text"] == redacted
    assert r.json()["properties"]["redacted_at"]

    public = api_client.get("/quartiers/lauf/annotations").json()
    assert {f["properties"]["text"] for f in public["features"] if f["id"] == aid} == {redacted}
    assert PHONE not in json.dumps(public)

    log = api_client.get(f"/moderation/annotations/{aid}/decisions", headers=mod).json()
    [entry] = log["redactions"]
    assert entry["original_sha256"] == hashlib.sha256(original.encode()).hexdigest()
    assert entry["user_name"] == f"moderation-{staff['tag']}" and entry["redacted_at"]
    assert PHONE not in json.dumps(log)
    # the original lives in the private audit table, and only there
    con = sqlite3.connect(store.path)
    [(kept,)] = con.execute(
        "SELECT original_text FROM redactions WHERE annotation_id = ?", (aid,)
    ).fetchall()
    assert kept == original
    assert (
        con.execute("SELECT text FROM annotations WHERE id = ?", (aid,)).fetchone()[0] == redacted
    )
    con.close()
    # a rejection cannot carry a text
    other = _submit(api_client, lauf, "noch eine Frage")
    bad = api_client.post(
        f"/moderation/annotations/{other}/reject", json={"reason": "x", "text": "y"}, headers=mod
    )
    assert bad.status_code == 422


# -- revoked accounts ------------------------------------------------------------------------
def test_revoked_account_token_stops_working_at_once(api_client, api_workspace, monkeypatch):
    import geoquartier.cli  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app

    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_DB", str(api_workspace.participation_db))
    reload_settings()
    runner = CliRunner()
    name = f"aushilfe-{uuid.uuid4().hex[:6]}"
    added = runner.invoke(app, ["users", "add", name, "--role", "moderator"])
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    assert api_client.get("/moderation/annotations", headers=bearer(token)).status_code == 200
    revoked = runner.invoke(app, ["users", "revoke", name])
    assert revoked.exit_code == 0, revoked.output
    assert "no longer works" in revoked.output
    r = api_client.get("/moderation/annotations", headers=bearer(token))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    listed = runner.invoke(app, ["users", "list"])
    assert f"{name}" in listed.output and "(disabled)" in listed.output
    unknown = runner.invoke(app, ["users", "revoke", "nobody-here"])
    assert unknown.exit_code != 0 and "nobody-here" in unknown.output
    assert "Traceback" not in unknown.output
    monkeypatch.delenv("GEOQUARTIER_PARTICIPATION_DB")
    reload_settings()


# -- nothing private in public routes or default exports -----------------------------------------
def _public_get_paths(app, event_id: str, annotation_id: str) -> list[str]:
    """Every GET path of the API with its parameters filled in (Lauf, the event, ...)."""
    values = {
        "quartier": "lauf",
        "quartier_id": "lauf",
        "event_id": event_id,
        "annotation_id": annotation_id,
        "feature_id": annotation_id,
    }
    paths = []
    for path, ops in app.openapi()["paths"].items():
        if "get" not in ops:
            continue
        if "{collection_id}" in path:
            for cid in ("annotations", "events"):
                paths.append(path.replace("{collection_id}", cid).format_map(_Filled(values)))
        else:
            paths.append(path.format_map(_Filled(values)))
    return paths


class _Filled(dict):
    """Path parameters: the known ones, and "unknown" for any other (e.g. a scenario id)."""

    def __missing__(self, key: str) -> str:
        return "unknown"


def test_rejected_pending_and_redacted_texts_never_leave_through_public_routes_or_exports(
    api_client, staff, lauf
):
    from api.main import app

    event = _event(api_client, staff, lauf, title="Werkstatt Sentinel")
    eid = event["id"]
    mod = bearer(staff["moderator"])
    sentinels = {
        "rejected": f"SENTINEL-REJECTED-{uuid.uuid4().hex[:8]}",
        "pending": f"SENTINEL-PENDING-{uuid.uuid4().hex[:8]}",
        "original": f"SENTINEL-ORIGINAL-{uuid.uuid4().hex[:8]} {PHONE}",
        "reason": f"SENTINEL-REASON-{uuid.uuid4().hex[:8]}",
    }
    approved_text = f"Freigegeben {uuid.uuid4().hex[:8]}"
    rejected = _submit(api_client, lauf, sentinels["rejected"], eid)
    _submit(api_client, lauf, sentinels["pending"], eid)
    redacted = _submit(api_client, lauf, sentinels["original"], eid)
    assert (
        api_client.post(
            f"/moderation/annotations/{rejected}/reject",
            json={"reason": sentinels["reason"]},
            headers=mod,
        ).status_code
        == 200
    )
    assert (
        api_client.post(
            f"/moderation/annotations/{redacted}/approve", json={"text": approved_text}, headers=mod
        ).status_code
        == 200
    )

    checked, statuses = 0, {}
    for path in _public_get_paths(app, eid, redacted):
        answer = api_client.get(path)
        body = answer.text
        for name, sentinel in sentinels.items():
            assert sentinel.split()[0] not in body, f"{name} text in the public answer of {path}"
        assert PHONE not in body, f"a redacted phone number in the public answer of {path}"
        checked += answer.status_code == 200
        statuses[path] = answer.status_code
    assert checked >= 15, statuses  # pages, maps, OGC API, GeoJSON of annotations and events
    for must_answer in (
        "/quartiers/lauf/annotations",
        "/quartiers/lauf/map",
        "/collections/annotations/items",
        f"/events/{eid}",
        "/participate/lauf",
    ):
        assert statuses[must_answer] == 200, must_answer
    assert approved_text in api_client.get("/quartiers/lauf/annotations").text

    plan = bearer(staff["planner"])
    for fmt in ("csv", "geojson", "html"):
        for lang in ("de", "tr"):
            answer = api_client.get(f"/events/{eid}/report.{fmt}?lang={lang}", headers=plan)
            assert answer.status_code == 200
            for name, sentinel in sentinels.items():
                assert sentinel.split()[0] not in answer.text, f"{name} in default {fmt} export"
            assert PHONE not in answer.text
            if fmt != "html":
                assert approved_text in answer.text
    # asked for explicitly: pending and rejected texts with the reasons, never the original
    for fmt in ("csv", "geojson"):
        full = api_client.get(
            f"/events/{eid}/report.{fmt}?include=pending,rejected", headers=plan
        ).text
        assert sentinels["pending"] in full and sentinels["rejected"] in full
        assert sentinels["reason"] in full
        assert sentinels["original"].split()[0] not in full and PHONE not in full
    assert api_client.get(f"/events/{eid}/report.csv?include=pending").status_code == 401


# -- events -------------------------------------------------------------------------------
def test_event_with_a_route_edit_attach_close_report_link_delete(api_client, staff, store, lauf):
    plan, mod = bearer(staff["planner"]), bearer(staff["moderator"])
    event = _event(api_client, staff, lauf)
    eid = event["id"]
    assert event["geometry"]["type"] == "LineString"
    assert (
        api_client.post(
            "/events", json={**_event_body(lauf), "location": {"lon": 0, "lat": 0}}, headers=plan
        ).status_code
        == 422
    )  # place given twice
    far = dict(_route(lauf))
    far["coordinates"] = [[13.4, 52.5], [13.41, 52.5]]
    r = api_client.patch(f"/events/{eid}", json={"geometry": far}, headers=plan)
    assert r.status_code == 422 and r.json()["detail"].startswith("geometry:")
    assert api_client.patch(f"/events/{eid}", json={"title": "x"}, headers=mod).status_code == 403

    area = {
        "type": "Polygon",
        "coordinates": [
            [
                _inside(lauf, -0.0005),
                _inside(lauf, 0.0005),
                [_inside(lauf)[0], _inside(lauf)[1] + 0.0005],
                _inside(lauf, -0.0005),
            ]
        ],
    }
    r = api_client.patch(
        f"/events/{eid}",
        json={"title": "Spaziergang <b>Nord</b>", "end": "2026-11-28T17:30", "geometry": area},
        headers=plan,
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["title"] == "Spaziergang <b>Nord</b>" and props["end"] == "2026-11-28T17:30+01:00"
    assert r.json()["geometry"]["type"] == "Polygon"
    backwards = api_client.patch(f"/events/{eid}", json={"end": "2026-11-28T14:00"}, headers=plan)
    assert backwards.status_code == 422

    # attach a contribution sent without event, and detach it again
    aid = _submit(api_client, lauf, "Hier fehlt eine Bank.", kind="idea")
    assert api_client.put(f"/events/{eid}/annotations/{aid}", headers=plan).status_code == 200
    assert store.get_annotation(aid)["event_id"] == eid
    assert api_client.put(f"/events/{eid}/annotations/nope", headers=plan).status_code == 404
    assert api_client.put(f"/events/{eid}/annotations/{aid}").status_code == 401
    assert api_client.delete(f"/events/{eid}/annotations/{aid}", headers=mod).status_code == 200
    assert store.get_annotation(aid)["event_id"] is None
    assert api_client.put(f"/events/{eid}/annotations/{aid}", headers=mod).status_code == 200
    api_client.post(f"/moderation/annotations/{aid}/approve", headers=mod)

    # close: no new contributions may name it
    closed = api_client.post(f"/events/{eid}/close", headers=plan)
    assert closed.status_code == 200 and closed.json()["properties"]["closed_at"]
    refused = api_client.post(
        "/quartiers/lauf/annotations",
        json={
            "geometry": {"type": "Point", "coordinates": _inside(lauf)},
            "kind": "idea",
            "text": "zu spät",
            "event_id": eid,
        },
    )
    assert refused.status_code == 422 and "closed" in refused.json()["detail"]

    # a report link for the browser: no token needed while it is valid
    link = api_client.get(f"/events/{eid}/report-link?lang=tr", headers=mod)
    assert link.status_code == 200
    url = link.json()["url"]
    page = api_client.get(url)
    assert page.status_code == 200, page.text
    assert "Lauf an der Pegnitz – Innenstadt" in page.text  # the quartier by name
    assert "Hier fehlt eine Bank." in page.text and '<html lang="tr">' in page.text
    query = parse_qs(urlparse(url).query)
    csv_link = api_client.get(f"/events/{eid}/report.csv?" + link.json()["query"])
    assert csv_link.status_code == 200 and "Hier fehlt eine Bank." in csv_link.text
    tampered = url.replace(query["sig"][0], "0" * 64)
    assert api_client.get(tampered).status_code == 401
    other_event = _event(api_client, staff, lauf, title="Andere")
    assert api_client.get(url.replace(eid, other_event["id"])).status_code == 401
    key = store.signing_key()
    expired = report.sign_link(key, eid, query["uid"][0], now_s=0)
    assert not report.check_link(key, eid, expired["uid"], expired["exp"], expired["sig"])

    # delete: the contribution stays, without event
    gone = api_client.delete(f"/events/{eid}", headers=plan)
    assert gone.status_code == 200 and gone.json()["detached"] == 1
    assert api_client.get(f"/events/{eid}").status_code == 404
    assert store.get_annotation(aid)["event_id"] is None
    assert api_client.delete(f"/events/{eid}", headers=plan).status_code == 404


def _event_body(lauf) -> dict:
    return {"quartier": "lauf", "title": "x", "start": "2026-11-28T15:00", "geometry": _route(lauf)}


def test_staff_pages_and_the_event_report_page(api_client, staff, lauf):
    manage = api_client.get("/events/manage?lang=tr")
    assert manage.status_code == 200 and "Etkinlikleri yönet" in manage.text
    assert "nonce-" in manage.headers["Content-Security-Policy"]
    moderate = api_client.get("/moderate?lang=de")
    assert "Lauf an der Pegnitz" in moderate.text and "Alle Veranstaltungen" in moderate.text
    me = api_client.get("/staff/me", headers=bearer(staff["planner"]))
    assert me.json()["role"] == "planner"
    event = _event(api_client, staff, lauf, title="Werkstatt Legende")
    html = api_client.get(
        f"/events/{event['id']}/report.html?lang=de", headers=bearer(staff["planner"])
    ).text
    for part in (
        'id="legend"',
        "Quartiersgrenze",
        "Nummer der Zeile",
        "@media print",
        ".leaflet-control-zoom",
        "Lauf an der Pegnitz",
    ):
        assert part in html


def test_csv_export_reads_in_a_german_spreadsheet(api_client, staff, lauf):
    event = _event(api_client, staff, lauf, title="Werkstatt CSV")
    aid = _submit(api_client, lauf, "Größere Mülleimer; bitte!", event["id"], kind="problem")
    api_client.post(f"/moderation/annotations/{aid}/approve", headers=bearer(staff["moderator"]))
    raw = api_client.get(
        f"/events/{event['id']}/report.csv", headers=bearer(staff["planner"])
    ).content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, first = rows[0], rows[1]
    assert header[:5] == ["Nr.", "Art", "Text", "Sprache", "Status"]
    assert "Grund" not in header  # no reasons in the default export
    assert first[1:5] == ["Problem", "Größere Mülleimer; bitte!", "de", "Freigegeben"]
    assert first[header.index("Geometrie")] == "Punkt"
    assert "," in first[header.index("Längengrad")]


# -- CLI ---------------------------------------------------------------------------------------
def test_cli_events_add_list_edit_close_delete(api_workspace, lauf, monkeypatch):
    import geoquartier.cli  # noqa: F401
    from geoquartier.cli.app import app

    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_DB", str(api_workspace.participation_db))
    reload_settings()
    runner = CliRunner()
    route = " ".join(f"{x},{y}" for x, y in _route(lauf)["coordinates"])
    added = runner.invoke(
        app,
        [
            "events",
            "add",
            "lauf",
            "Spaziergang CLI",
            "--start",
            "2026-12-05T10:00",
            "--route",
            route,
            "--kind",
            "Stadtteilspaziergang",
        ],
    )
    assert added.exit_code == 0, added.output
    eid = added.output.split("created event ")[1].split()[0]
    assert "LineString" in added.output and f"?event={eid}" in added.output
    listed = runner.invoke(app, ["events", "list", "--quartier", "lauf"])
    assert eid in listed.output and "Spaziergang CLI" in listed.output
    assert "0 contributions" in listed.output
    edited = runner.invoke(
        app,
        [
            "events",
            "edit",
            eid,
            "--title",
            "Spaziergang Süd",
            "--at",
            "{},{}".format(*_inside(lauf)),
        ],
    )
    assert edited.exit_code == 0, edited.output
    assert "Spaziergang Süd" in edited.output and "Point" in edited.output
    outside = runner.invoke(app, ["events", "edit", eid, "--at", "13.4,52.5"])
    assert (
        outside.exit_code == 2
        and outside.output.startswith("error: geometry:")
        and "Traceback" not in outside.output
    )
    bad_date = runner.invoke(app, ["events", "edit", eid, "--start", "3026-01-01T10:00"])
    assert bad_date.exit_code == 2 and "start" in bad_date.output
    closed = runner.invoke(app, ["events", "close", eid])
    assert closed.exit_code == 0 and "(closed)" in closed.output
    deleted = runner.invoke(app, ["events", "delete", eid, "--yes"])
    assert deleted.exit_code == 0 and "0 contributions kept" in deleted.output
    missing = runner.invoke(app, ["events", "delete", eid, "--yes"])
    assert missing.exit_code == 2 and eid in missing.output
    monkeypatch.delenv("GEOQUARTIER_PARTICIPATION_DB")
    reload_settings()


# -- storage -------------------------------------------------------------------------------------
def test_a_version_1_database_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "v1.sqlite"
    con = sqlite3.connect(path)
    for statement in _SCHEMA.split(";"):
        if statement.strip() and "redactions" not in statement and "signing_keys" not in statement:
            con.execute(statement)
    con.execute(
        "INSERT INTO events (id, quartier, title, start, geometry, created_at) VALUES"
        " ('e1', 'lauf', 'Alt', '2026-01-01T10:00+01:00',"
        ' \'{"type":"Point","coordinates":[11.28,49.51]}\', \'2026-01-01T00:00:00+00:00\')'
    )
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    store = open_store(path)
    event = store.get_event("e1")
    assert event["title"] == "Alt" and event["closed_at"] is None
    assert store.close_event("e1")["closed_at"]
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION == 3
    user, _ = store.add_user("alt", "moderator")
    assert store.revoke_user("alt").active is False and store.user(user.id) is None
