"""The participation HTTP API on ``api.main:app``: validation, limits, auth, moderation,
events and their documentation. Quartier boundaries are the real ones from the registry
(Lauf planning area, Neu Olvenstedt OSM Stadtteil); the database is a temporary SQLite file
given to the app through ``app.dependency_overrides``, once SQLite and once PostgreSQL
(``participation_loop_fixtures.db``).
"""

from __future__ import annotations

import csv
import io
import json
import re

import geopandas as gpd
import pytest
from participation_loop_fixtures import PAYLOAD, app_store, bearer, client, db, new_client
from shapely.geometry import Point

from api.participation.settings import current_limits as get_limits
from geoquartier.registry import load_registry

__all__ = ["client", "db"]


@pytest.fixture(scope="module")
def tokens(db):
    store = app_store()
    _, moderator = store.add_user("moderation", "moderator")
    _, planner = store.add_user("planning", "planner")
    return {"moderator": moderator, "planner": planner}


@pytest.fixture(scope="module")
def lauf():
    return load_registry()["lauf"].boundary


@pytest.fixture(scope="module")
def inside(lauf) -> Point:
    return lauf.representative_point()


def point(p: Point) -> dict:
    return {"type": "Point", "coordinates": [p.x, p.y]}


def east_of_boundary(boundary, metres: float) -> Point:
    """A point ``metres`` east of the boundary's easternmost vertex (EPSG:4326)."""
    metric = gpd.GeoSeries([boundary], crs=4326).to_crs(25832).iloc[0]
    xs, ys = metric.exterior.coords.xy
    i = max(range(len(xs)), key=lambda k: xs[k])
    shifted = Point(xs[i] + metres, ys[i])
    assert abs(metric.distance(shifted) - metres) < 0.5
    return gpd.GeoSeries([shifted], crs=25832).to_crs(4326).iloc[0]


def submit(client, body, quartier="lauf", **kwargs):
    return client.post(f"/quartiers/{quartier}/annotations", json=body, **kwargs)


def count_rows() -> int:
    return app_store().count_annotations()


def test_submission_is_pending_and_not_public(client, inside):
    r = submit(
        client, {"geometry": point(inside), "kind": "idea", "text": PAYLOAD, "language": "de"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and "after review" in body["message"]
    stored = app_store().get_annotation(body["id"])
    assert stored["text"] == PAYLOAD and stored["status"] == "pending"
    public = client.get("/quartiers/lauf/annotations")
    assert public.status_code == 200
    assert body["id"] not in {f["id"] for f in public.json()["features"]}


def test_margin_accepts_near_and_refuses_far(client, lauf):
    near = submit(
        client,
        {
            "geometry": point(east_of_boundary(lauf, 30)),
            "kind": "problem",
            "text": "kurz hinter der Grenze",
        },
    )
    assert near.status_code == 201, near.text
    far = submit(
        client,
        {
            "geometry": point(east_of_boundary(lauf, 80)),
            "kind": "problem",
            "text": "zu weit draußen",
        },
    )
    assert far.status_code == 422
    assert "outside" in far.json()["detail"] and "80 m" in far.json()["detail"]


def _zigzag(p: Point, n: int) -> dict:
    return {
        "type": "LineString",
        "coordinates": [[p.x + 0.00001 * i, p.y + 0.00001 * (i % 2)] for i in range(n)],
    }


def _bad_cases(inside: Point) -> list[tuple[str, dict, int, str]]:
    neu_olvenstedt = load_registry()["neu-olvenstedt"].boundary.representative_point()
    ok = {"geometry": point(inside), "kind": "idea", "text": "ok", "language": "de"}
    return [
        ("outside the quartier", {**ok, "geometry": point(neu_olvenstedt)}, 422, "outside"),
        (
            "lat/lon swapped",
            {**ok, "geometry": {"type": "Point", "coordinates": [inside.y, inside.x]}},
            422,
            "outside",
        ),
        (
            "too many vertices",
            {**ok, "geometry": _zigzag(inside, get_limits().max_vertices + 1)},
            422,
            "vertices",
        ),
        (
            "self-intersecting polygon",
            {
                **ok,
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [inside.x, inside.y],
                            [inside.x + 0.001, inside.y + 0.001],
                            [inside.x + 0.001, inside.y],
                            [inside.x, inside.y + 0.001],
                            [inside.x, inside.y],
                        ]
                    ],
                },
            },
            422,
            "invalid",
        ),
        (
            "area too large",
            {
                **ok,
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [inside.x - 0.01, inside.y - 0.005],
                            [inside.x + 0.01, inside.y - 0.005],
                            [inside.x + 0.01, inside.y + 0.005],
                            [inside.x - 0.01, inside.y + 0.005],
                            [inside.x - 0.01, inside.y - 0.005],
                        ]
                    ],
                },
            },
            422,
            "area",
        ),
        (
            "multipoint",
            {**ok, "geometry": {"type": "MultiPoint", "coordinates": [[inside.x, inside.y]]}},
            422,
            "type",
        ),
        (
            "position not a pair",
            {**ok, "geometry": {"type": "Point", "coordinates": ["a", 1]}},
            422,
            "position",
        ),
        ("text too long", {**ok, "text": "x" * (get_limits().max_text_chars + 1)}, 422, "text"),
        ("text only blanks", {**ok, "text": "   \n  "}, 422, "text"),
        ("unknown kind", {**ok, "kind": "complaint"}, 422, "kind"),
        ("unknown language", {**ok, "language": "xx"}, 422, "language"),
        ("unknown event", {**ok, "event_id": "no-such-event"}, 422, "event"),
        ("unknown field", {**ok, "name": "Max Mustermann"}, 422, "name"),
    ]


def test_each_bad_submission_is_refused_clearly_and_nothing_is_stored(client, inside):
    before = count_rows()
    for label, body, status, word in _bad_cases(inside):
        r = submit(client, body)
        assert r.status_code == status, (label, r.status_code, r.text)
        data = r.json()
        assert data["status"] == status and word in data["detail"].lower(), (label, data)
    unknown = submit(
        client, {"geometry": point(inside), "kind": "idea", "text": "x"}, quartier="atlantis"
    )
    assert unknown.status_code == 404 and "unknown quartier" in unknown.json()["detail"]
    nan = client.post(
        "/quartiers/lauf/annotations",
        content=b'{"geometry": {"type": "Point", "coordinates": [NaN, 49.5]},'
        b' "kind": "idea", "text": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert nan.status_code == 422 and "finite" in nan.json()["detail"]
    broken = client.post(
        "/quartiers/lauf/annotations",
        content=b'{"geometry": ',
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["detail"]
    assert count_rows() == before
    # the server keeps serving
    assert (
        submit(
            client, {"geometry": point(inside), "kind": "praise", "text": "still works"}
        ).status_code
        == 201
    )


def test_oversize_body_is_refused_with_413(client, inside):
    before = count_rows()
    body = {
        "geometry": point(inside),
        "kind": "idea",
        "text": "x" * (get_limits().max_body_bytes + 10),
    }
    r = submit(client, body)
    assert r.status_code == 413
    assert (
        "too large" in r.json()["detail"] and str(get_limits().max_body_bytes) in r.json()["detail"]
    )
    huge = client.post(
        "/quartiers/lauf/annotations",
        content=b"{" + b" " * 2_000_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert count_rows() == before
    assert (
        submit(client, {"geometry": point(inside), "kind": "idea", "text": "after 413"}).status_code
        == 201
    )


def test_rate_limit_answers_429_per_client_and_stores_nothing_extra(db, inside):
    before = count_rows()
    body = {"geometry": point(inside), "kind": "question", "text": "Wann kommt der Bus?"}
    statuses = []
    with new_client() as flooding:
        # a fixed window lets at most 2 x limit through when it turns over mid-loop
        for _ in range(2 * get_limits().per_minute + 1):
            r = submit(flooding, body)
            statuses.append(r.status_code)
            if r.status_code == 429:
                refused = r
                break
        assert statuses[-1] == 429, statuses
        assert set(statuses[:-1]) == {201}
        assert "too many" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert submit(flooding, body).status_code == 429
    with new_client() as other:
        assert submit(other, body).status_code == 201  # other clients are not affected
    assert count_rows() == before + statuses.count(201) + 1


@pytest.fixture(scope="module")
def pending_id(client, inside):
    r = submit(client, {"geometry": point(inside), "kind": "problem", "text": "Ampel zu kurz"})
    assert r.status_code == 201
    return r.json()["id"]


def test_every_staff_endpoint_refuses_missing_wrong_and_underprivileged_tokens(
    client, tokens, pending_id, inside
):
    wrong = tokens["moderator"][:-4] + "AAAA"
    cases = [
        ("GET", "/moderation/annotations?status=pending", None, tokens["planner"]),
        ("POST", f"/moderation/annotations/{pending_id}/approve", None, tokens["planner"]),
        (
            "POST",
            f"/moderation/annotations/{pending_id}/reject",
            {"reason": "spam"},
            tokens["planner"],
        ),
        ("GET", f"/moderation/annotations/{pending_id}/decisions", None, tokens["planner"]),
        (
            "POST",
            "/events",
            {
                "quartier": "lauf",
                "title": "Spaziergang",
                "start": "2026-12-01T10:00",
                "location": {"lon": inside.x, "lat": inside.y},
            },
            tokens["moderator"],
        ),
    ]
    for method, url, body, underprivileged in cases:
        for headers, status in (
            ({}, 401),
            (bearer(wrong), 401),
            ({"Authorization": "Basic bW9kOnB3"}, 401),
            (bearer(underprivileged), 403),
        ):
            r = client.request(method, url, json=body, headers=headers)
            assert r.status_code == status, (method, url, headers, r.text)
            assert r.json()["status"] == status and r.json()["detail"]
            if status == 401:
                assert r.headers["WWW-Authenticate"] == "Bearer"
    assert app_store().get_annotation(pending_id)["status"] == "pending"
    assert app_store().decisions(pending_id) == []
    assert app_store().list_events() == []


def test_moderation_decides_and_logs_who_and_when(client, tokens, inside):
    ids = [
        submit(client, {"geometry": point(inside), "kind": k, "text": f"{k} {PAYLOAD}"}).json()[
            "id"
        ]
        for k in ("idea", "problem")
    ]
    mod = bearer(tokens["moderator"])
    queue = client.get(
        "/moderation/annotations", params={"status": "pending", "limit": 1000}, headers=mod
    )
    assert queue.status_code == 200
    assert set(ids) <= {f["id"] for f in queue.json()["features"]}
    assert queue.json()["numberMatched"] >= 2

    missing_reason = client.post(f"/moderation/annotations/{ids[1]}/reject", json={}, headers=mod)
    assert missing_reason.status_code == 422 and "reason" in missing_reason.json()["detail"]
    approved = client.post(f"/moderation/annotations/{ids[0]}/approve", headers=mod)
    assert approved.status_code == 200
    assert approved.json()["properties"]["status"] == "approved"
    rejected = client.post(
        f"/moderation/annotations/{ids[1]}/reject", json={"reason": "beleidigend"}, headers=mod
    )
    assert rejected.status_code == 200 and rejected.json()["properties"]["reason"] == "beleidigend"
    assert client.post("/moderation/annotations/nope/approve", headers=mod).status_code == 404

    public = client.get("/quartiers/lauf/annotations").json()
    public_ids = {f["id"] for f in public["features"]}
    assert ids[0] in public_ids and ids[1] not in public_ids
    feature = next(f for f in public["features"] if f["id"] == ids[0])
    assert feature["properties"]["text"] == f"idea {PAYLOAD}"
    assert "decided_by" not in feature["properties"] and "status" not in feature["properties"]
    assert client.get("/quartiers/neu-olvenstedt/annotations").json()["features"] == []

    log = client.get(f"/moderation/annotations/{ids[1]}/decisions", headers=mod).json()
    (entry,) = log["decisions"]
    assert entry["user_name"] == "moderation" and entry["user_role"] == "moderator"
    assert entry["decision"] == "rejected" and entry["reason"] == "beleidigend"
    assert entry["decided_at"].startswith("20")


def test_decision_on_a_contribution_decided_meanwhile_answers_409(client, tokens, inside):
    aid = submit(client, {"geometry": point(inside), "kind": "idea", "text": "Bank"}).json()["id"]
    mod = bearer(tokens["moderator"])
    url = f"/moderation/annotations/{aid}"
    first = client.post(f"{url}/approve", json={"expected_status": "pending"}, headers=mod)
    assert first.status_code == 200
    late = client.post(
        f"{url}/reject", json={"reason": "doppelt", "expected_status": "pending"}, headers=mod
    )
    assert late.status_code == 409 and "approved by now" in late.json()["detail"]
    log = client.get(f"{url}/decisions", headers=mod).json()["decisions"]
    assert [d["decision"] for d in log] == ["approved"]  # the late one changed nothing
    bad = client.post(f"{url}/approve", json={"expected_status": "maybe"}, headers=mod)
    assert bad.status_code == 422
    overrule = client.post(f"{url}/reject", json={"reason": "doppelt"}, headers=mod)
    assert overrule.status_code == 200  # without expected_status: overrules


def test_events_and_their_documentation(client, tokens, inside):
    plan, mod = bearer(tokens["planner"]), bearer(tokens["moderator"])
    created = client.post(
        "/events",
        headers=plan,
        json={
            "quartier": "lauf",
            "title": "Stadtteilwerkstatt <b>Marktplatz</b>",
            "kind": "Stadtteilwerkstatt",
            "start": "2026-11-28T15:00",
            "end": "2026-11-28T18:00",
            "description": "Ideen für den Marktplatz",
            "location": {"lon": inside.x, "lat": inside.y},
        },
    )
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["properties"]["start"] == "2026-11-28T15:00+01:00"
    far = client.post(
        "/events",
        headers=plan,
        json=_event(
            inside, title="x", start="2026-11-28T15:00", location={"lon": 11.58, "lat": 52.15}
        ),
    )
    assert far.status_code == 422 and "outside" in far.json()["detail"]
    backwards = client.post(
        "/events",
        headers=plan,
        json=_event(inside, title="x", start="2026-11-28T15:00", end="2026-11-28T14:00"),
    )
    assert backwards.status_code == 422
    assert event["id"] in {f["id"] for f in client.get("/events").json()["features"]}

    texts = {
        "idea": PAYLOAD,
        "problem": '=HYPERLINK("http://example.org")',
        "praise": "Schöner Spielplatz",
        "question": "Wo ist das Büro?",
    }
    ids = {}
    for kind, text in texts.items():
        r = submit(
            client,
            {
                "geometry": point(inside),
                "kind": kind,
                "text": text,
                "language": "de",
                "event_id": event["id"],
            },
        )
        assert r.status_code == 201
        ids[kind] = r.json()["id"]
    client.post(f"/moderation/annotations/{ids['idea']}/approve", headers=mod)
    client.post(f"/moderation/annotations/{ids['praise']}/approve", headers=mod)
    client.post(
        f"/moderation/annotations/{ids['problem']}/reject", json={"reason": "Link"}, headers=mod
    )

    for ext in ("geojson", "csv", "html"):
        url = f"/events/{event['id']}/report.{ext}"
        assert client.get(url).status_code == 401
        assert client.get(url, headers=bearer("u1.wrong")).status_code == 401
    gj = client.get(f"/events/{event['id']}/report.geojson", headers=plan)
    assert gj.status_code == 200
    doc = json.loads(gj.text)
    # by default only approved contributions; pending and rejected ones only counted
    assert {f["id"] for f in doc["features"]} == {ids["idea"], ids["praise"]}
    assert doc["counts"]["idea"] == {"pending": 0, "approved": 1, "rejected": 0}
    assert doc["counts"]["question"] == {"pending": 1, "approved": 0, "rejected": 0}
    assert all("reason" not in f["properties"] for f in doc["features"])
    everything = client.get(
        f"/events/{event['id']}/report.geojson?include=pending,rejected", headers=plan
    ).json()
    assert {f["id"] for f in everything["features"]} == set(ids.values())
    wrong = client.get(f"/events/{event['id']}/report.csv?include=deleted", headers=plan)
    assert wrong.status_code == 422 and "include" in wrong.json()["detail"]

    answer = client.get(
        f"/events/{event['id']}/report.csv?include=pending,rejected&lang=de", headers=mod
    )
    raw = answer.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the umlauts
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(table) == 4
    assert list(table[0])[:3] == ["Nr.", "Art", "Text"]
    by_kind = {row["Art"]: row for row in table}
    assert set(by_kind) == {"Idee", "Problem", "Lob", "Frage"}  # labels, not codes
    assert by_kind["Problem"]["Text"].startswith("'=HYPERLINK")  # no formula in spreadsheets
    assert by_kind["Problem"]["Status"] == "Abgelehnt"
    assert by_kind["Idee"]["Text"] == PAYLOAD
    assert abs(float(by_kind["Idee"]["Längengrad"].replace(",", ".")) - inside.x) < 1e-6
    tr_csv = client.get(f"/events/{event['id']}/report.csv?lang=tr", headers=mod)
    tr_rows = list(csv.DictReader(io.StringIO(tr_csv.text.lstrip("\ufeff")), delimiter=";"))
    assert {row["Tür"] for row in tr_rows} == {"Fikir", "Övgü"}

    page = client.get(f"/events/{event['id']}/report.html", headers=plan)
    assert page.status_code == 200 and "nonce-" in page.headers["Content-Security-Policy"]
    html = page.text
    assert PAYLOAD not in html and "<b>Marktplatz</b>" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "Stadtteilwerkstatt &lt;b&gt;Marktplatz&lt;/b&gt;" in html
    assert "Schöner Spielplatz" in html and "Wo ist das Büro?" not in html  # pending not listed
    assert client.get("/events/nope/report.html", headers=plan).status_code == 404


def test_pages_speak_the_residents_language_and_escape(client, tokens, inside):
    page = client.get("/participate/lauf", params={"lang": "tr"})
    assert page.status_code == 200
    assert '<html lang="tr">' in page.text
    for label in ("Katılım", "Gönder", "Fikir", "Sorun", "Övgü", "Soru"):
        assert label in page.text
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"?(https?:)?//", page.text)
    assert "L.Draw" in page.text  # leaflet-draw is inlined from node_modules
    assert "script-src 'nonce-" in page.headers["Content-Security-Policy"]
    for lang, word in (
        ("bg", "Изпращане"),
        ("ro", "Trimiteți"),
        ("en", "Send"),
        ("de", "Absenden"),
        ("xx", "Absenden"),
    ):
        assert word in client.get(f"/participate/lauf?lang={lang}").text
    assert client.get("/participate/atlantis").status_code == 404
    assert client.get("/participate/lauf?event=nope").status_code == 404
    moderation = client.get("/moderate?lang=de")
    assert moderation.status_code == 200 and "Zugangsschlüssel" in moderation.text
    assert tokens["moderator"] not in moderation.text


# -- input at the edges: huge numbers, invisible text, far dates -----------------------------


@pytest.fixture(scope="module")
def pstore(db):
    return app_store()


@pytest.mark.parametrize("digits", [310, 4000])
def test_huge_coordinate_is_refused_naming_the_field(db, pstore, digits):
    before = pstore.count_annotations()
    huge = "9" * digits
    with new_client() as fresh:
        r = fresh.post(
            "/quartiers/lauf/annotations",
            content=(
                f'{{"geometry": {{"type": "Point", "coordinates": [{huge}, 49.511]}},'
                ' "kind": "idea", "text": "x"}'
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert r.status_code == 422, r.text
    assert r.json()["status"] == 422 and "geometry" in r.json()["detail"]
    assert pstore.count_annotations() == before


@pytest.mark.parametrize(
    "text",
    ["\u0000 \u0000", "\u200b", "\u0000\u200b\u200c\u200d\u2060\ufeff", " \u2060 \n\t\u0007 "],
)
def test_text_of_only_control_or_invisible_characters_is_refused(db, pstore, inside, text):
    before = pstore.count_annotations()
    with new_client() as fresh:
        r = submit(fresh, {"geometry": point(inside), "kind": "idea", "text": text})
    assert r.status_code == 422, (text, r.text)
    assert r.json()["detail"].startswith("text:")
    assert pstore.count_annotations() == before


def test_control_characters_are_removed_before_trimming(db, pstore, inside):
    with new_client() as fresh:
        r = submit(
            fresh,
            {
                "geometry": point(inside),
                "kind": "idea",
                "text": "\u0000 Bank\u0007 am Teich \u0000",
            },
        )
    assert r.status_code == 201, r.text
    assert pstore.get_annotation(r.json()["id"])["text"] == "Bank am Teich"


def _event(inside: Point, **changes) -> dict:
    body = {
        "quartier": "lauf",
        "title": "Stadtteilspaziergang",
        "start": "2026-12-01T10:00",
        "location": {"lon": inside.x, "lat": inside.y},
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"start": "0001-01-01T00:00:00+14:00"}, "start", ("1900", "2100")),
        ({"start": "1899-12-31T23:00:00Z"}, "start", ("1900", "2100")),
        ({"start": "9999-12-31T23:59:59-14:00"}, "start", ("1900", "2100")),
        ({"end": "2101-01-01T10:00"}, "end", ("1900", "2100")),
        ({"title": "\u0000 \u0000"}, "title", ("empty",)),
        ({"title": "\u200b\u200c\u200d\u2060\ufeff"}, "title", ("empty",)),
        ({"title": "\u0000"}, "title", ("empty",)),
    ],
)
def test_event_with_far_dates_or_invisible_title_is_refused(
    client, tokens, pstore, inside, changes, field, words
):
    before = len(pstore.list_events())
    r = client.post("/events", headers=bearer(tokens["planner"]), json=_event(inside, **changes))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert field in detail and all(w in detail for w in words), detail
    assert len(pstore.list_events()) == before


def test_event_texts_lose_control_characters(client, tokens, pstore, inside):
    r = client.post(
        "/events",
        headers=bearer(tokens["planner"]),
        json=_event(
            inside, title="\u0000 Werkstatt\u0007 Markt \u0000", description="\u0000 \u0000"
        ),
    )
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["title"] == "Werkstatt Markt" and props["description"] is None
    start = client.get(f"/collections/events/items/{r.json()['id']}").json()
    assert start["properties"]["start"] == "2026-12-01T09:00:00Z"


# -- Idempotency-Key -------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer(db, pstore, inside):
    body = {"geometry": point(inside), "kind": "idea", "text": "Trinkbrunnen am Markt"}
    key = {"Idempotency-Key": "c5b1a7e0-3f7e-4f55-9a53-idem-first"}
    before = pstore.count_annotations()
    with new_client() as resident:
        first = submit(resident, body, headers=key)
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
        again = submit(resident, body, headers=key)
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        receipts = [r.json().pop("receipt_url") for r in (first, again)]
        assert {**again.json(), "receipt_url": 0} == {**first.json(), "receipt_url": 0}
        # the first answer may have been lost: the retry gets a further, working receipt
        assert receipts[0] != receipts[1]
        assert {resident.get(u + ".json").json()["id"] for u in receipts} == {first.json()["id"]}
        assert pstore.count_annotations() == before + 1
        changed = submit(resident, {**body, "text": "Trinkbrunnen am Bahnhof"}, headers=key)
        assert changed.status_code == 422
        assert "Idempotency-Key" in changed.json()["detail"]
        other_key = submit(resident, body, headers={"Idempotency-Key": "another-key-0002"})
        assert other_key.status_code == 201 and other_key.json()["id"] != first.json()["id"]
        no_key = [submit(resident, body).json()["id"] for _ in range(2)]
        assert len(set(no_key)) == 2  # without a key every request is a new contribution
        for bad in ("k" * 300, "two words", "\t"):
            refused = submit(resident, body, headers={"Idempotency-Key": bad})
            assert refused.status_code == 422 and "Idempotency-Key" in refused.json()["detail"]
    assert pstore.count_annotations() == before + 4
    stored = db.rows("SELECT key_sha256, request_sha256, answer FROM idempotency")
    assert key["Idempotency-Key"] not in json.dumps(stored)  # only a hash of the key is kept
    if db.name == "sqlite":
        pstore.close()
        raw = b"".join(p.read_bytes() for p in db.path.parent.glob(db.path.name + "*"))
        assert key["Idempotency-Key"].encode() not in raw


def test_idempotency_key_on_events(client, tokens, pstore, inside):
    plan = {**bearer(tokens["planner"]), "Idempotency-Key": "event-key-0001"}
    before = len(pstore.list_events())
    first = client.post("/events", headers=plan, json=_event(inside, title="Infostand"))
    again = client.post("/events", headers=plan, json=_event(inside, title="Infostand"))
    assert first.status_code == 201 and again.status_code == 201, (first.text, again.text)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(pstore.list_events()) == before + 1
    changed = client.post("/events", headers=plan, json=_event(inside, title="Infostand 2"))
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json()["detail"]
