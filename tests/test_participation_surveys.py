"""Map surveys through the HTTP API on the real Lauf boundary: planners ask, residents
answer with a point (inside the quartier) and a choice, results are public only as
100 m cells with at least 3 answers and counts per choice."""

from __future__ import annotations

import json

import geopandas as gpd
import lxml.html
import pytest
from api_fixtures import create_event
from participation_loop_fixtures import app_store, bearer, client, db, inside, tokens
from shapely.geometry import Point, shape

from api.participation import survey_forms as sf
from api.participation import surveys_store as ss

__all__ = ["client", "db", "inside", "tokens"]


def offset(p: Point, dx_m: float, dy_m: float) -> Point:
    """``p`` (EPSG:4326) moved by metres in EPSG:25832."""
    metric = gpd.GeoSeries([p], crs=4326).to_crs(25832).iloc[0]
    moved = Point(metric.x + dx_m, metric.y + dy_m)
    return gpd.GeoSeries([moved], crs=25832).to_crs(4326).iloc[0]


def answer(client, survey_id, p: Point, choice=None):
    body = {"geometry": {"type": "Point", "coordinates": [p.x, p.y]}}
    if choice is not None:
        body["choice"] = choice
    return client.post(f"/surveys/{survey_id}/answers", json=body)


def test_survey_answers_and_aggregated_results(client, tokens, inside):
    r = client.post(
        "/quartiers/lauf/surveys",
        json={"question": "Wo fühlen Sie sich abends unsicher?", "choices": ["Licht", "Verkehr"]},
        headers=bearer(tokens["planner"]),
    )
    assert r.status_code == 201, r.text
    survey = r.json()
    listed = client.get("/quartiers/lauf/surveys").json()["surveys"]
    assert listed[0]["id"] == survey["id"] and listed[0]["open"] is True
    # the centre of a 100 m cell, so that small offsets stay inside it
    metric = gpd.GeoSeries([inside], crs=4326).to_crs(25832).iloc[0]
    centre = (
        gpd.GeoSeries(
            [Point((metric.x // 100) * 100 + 50, (metric.y // 100) * 100 + 50)], crs=25832
        )
        .to_crs(4326)
        .iloc[0]
    )
    for dx in (-20, 0, 20):
        assert answer(client, survey["id"], offset(centre, dx, 0), "Licht").status_code == 201
    lonely = offset(centre, 400, 0)
    assert answer(client, survey["id"], lonely, "Verkehr").status_code == 201
    results = client.get(f"/surveys/{survey['id']}/results").json()
    assert results["answers"] == 4 and results["per_choice"] == {"Licht": 3, "Verkehr": 1}
    assert len(results["features"]) == 1  # the cell of the single answer stays hidden
    cell = results["features"][0]
    assert cell["properties"]["answers"] == 3
    square = shape(cell["geometry"])
    assert square.contains(centre) and not square.contains(lonely)
    area_m2 = gpd.GeoSeries([square], crs=4326).to_crs(25832).area.iloc[0]
    assert abs(area_m2 - 10_000) < 5


def test_survey_refusals(client, tokens, inside):
    survey = client.post(
        "/quartiers/lauf/surveys",
        json={"question": "Wo fehlt eine Bank?"},
        headers=bearer(tokens["planner"]),
    ).json()
    sid = survey["id"]
    assert answer(client, sid, inside, "Licht").status_code == 422  # no choices offered
    assert answer(client, sid, Point(13.40, 52.52)).status_code == 422  # Berlin
    line = {"geometry": {"type": "LineString", "coordinates": [[inside.x, inside.y]] * 2}}
    assert client.post(f"/surveys/{sid}/answers", json=line).status_code == 422
    extra = {"geometry": {"type": "Point", "coordinates": [inside.x, inside.y]}, "text": "x"}
    assert client.post(f"/surveys/{sid}/answers", json=extra).status_code == 422
    assert answer(client, "nope", inside).status_code == 404
    closed = client.post(
        f"/surveys/{sid}/state", json={"open": False}, headers=bearer(tokens["planner"])
    )
    assert closed.status_code == 200 and closed.json()["open"] is False
    assert answer(client, sid, inside).status_code == 409
    for role in ("moderator", "jury"):
        r = client.post(
            "/quartiers/lauf/surveys", json={"question": "?"}, headers=bearer(tokens[role])
        )
        assert r.status_code == 403
    bad = [
        {"question": " \u200b "},
        {"question": "a", "choices": ["x", "x"]},
        {"question": "a", "choices": [str(i) for i in range(9)]},
    ]
    for body in bad:
        r = client.post("/quartiers/lauf/surveys", json=body, headers=bearer(tokens["planner"]))
        assert r.status_code == 422, body
    assert ss.MIN_CELL_ANSWERS >= 2


def test_survey_page(client, tokens):
    survey = client.post(
        "/quartiers/lauf/surveys",
        json={"question": "Wo <b>fehlt</b> Licht?", "choices": ["Weg <i>", "Platz"]},
        headers=bearer(tokens["planner"]),
    ).json()
    page = client.get(f"/surveys/{survey['id']}?lang=en")
    assert page.status_code == 200
    assert "Wo &lt;b&gt;fehlt&lt;/b&gt; Licht?" in page.text and "<b>fehlt" not in page.text
    assert 'value="Weg &lt;i&gt;"' in page.text and 'id="send"' in page.text
    assert "script-src" in page.headers["content-security-policy"]
    client.post(
        f"/surveys/{survey['id']}/state", json={"open": False}, headers=bearer(tokens["planner"])
    )
    closed = client.get(f"/surveys/{survey['id']}?lang=de").text
    assert "Diese Umfrage ist beendet." in closed and 'id="send"' not in closed
    assert client.get("/surveys/nope").status_code == 404


# -- surveys of several questions -------------------------------------------------------------
FORM = {
    "title": {"de": "Ihr Weg zum Markt", "en": "Your way to the market", "tr": "Pazara yolunuz"},
    "questions": [
        {
            "id": "how",
            "type": "single",
            "text": {"de": "Wie kommen Sie?", "en": "How?"},
            "options": [
                {"id": "foot", "text": {"de": "zu Fuß", "en": "on foot"}},
                {"id": "bike", "text": "Rad"},
                {"id": "bus", "text": "Bus"},
            ],
        },
        {
            "id": "missing",
            "type": "multiple",
            "text": "Was fehlt?",
            "options": ["Licht", "Bank", "Ampel"],
            "max_choices": 2,
        },
        {"id": "wish", "type": "text", "text": "Was wünschen Sie sich?", "max_chars": 200},
        {"id": "danger", "type": "point", "text": "Wo ist es gefährlich?"},
        {"id": "way", "type": "route", "text": "Zeichnen Sie Ihren Weg.", "required": True},
    ],
}


def cell_centre(p: Point) -> Point:
    """The centre of the 100 m cell (EPSG:25832 grid) holding ``p`` (EPSG:4326)."""
    metric = gpd.GeoSeries([p], crs=4326).to_crs(25832).iloc[0]
    centre = Point((metric.x // 100) * 100 + 50, (metric.y // 100) * 100 + 50)
    return gpd.GeoSeries([centre], crs=25832).to_crs(4326).iloc[0]


def route(a: Point, b: Point) -> dict:
    return {"type": "LineString", "coordinates": [[a.x, a.y], [b.x, b.y]]}


def full_answers(centre: Point, n: int) -> dict:
    return {
        "how": ["foot", "bike", "foot"][n % 3],
        "missing": [["Licht"], ["Licht", "Bank"], ["Bank"]][n % 3],
        "wish": f"Mehr Bänke <b>{n}</b>",
        "danger": {"type": "Point", "coordinates": [offset(centre, 10 * n, 0).x, centre.y]},
        "way": route(offset(centre, 0, -20), offset(centre, 150, -20)),
    }


def new_form_survey(client, tokens, **changes):
    r = client.post(
        "/quartiers/lauf/surveys", json=FORM | changes, headers=bearer(tokens["planner"])
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_every_question_type_aggregates(client, tokens, inside):
    survey = new_form_survey(client, tokens, one_answer_per_session=False)
    assert [q["type"] for q in survey["questions"]] == list(sf.QUESTION_TYPES)
    assert survey["questions"][1]["options"][0] == {"id": "1", "text": {"de": "Licht"}}
    centre = cell_centre(inside)
    ids = {"Licht": "1", "Bank": "2"}
    for n in range(3):
        body = full_answers(centre, n)
        body["missing"] = [ids[m] for m in body["missing"]]
        r = client.post(f"/surveys/{survey['id']}/answers", json={"answers": body})
        assert r.status_code == 201, r.text
    found = client.get(f"/surveys/{survey['id']}/results").json()
    assert found["answers"] == 3
    by_id = {q["id"]: q for q in found["questions"]}
    how = {o["id"]: (o["count"], o["percent"]) for o in by_id["how"]["options"]}
    assert how == {"foot": (2, 66.7), "bike": (1, 33.3), "bus": (0, 0.0)}
    missing = {o["id"]: o["count"] for o in by_id["missing"]["options"]}
    assert missing == {"1": 2, "2": 2, "3": 0} and by_id["missing"]["answered"] == 3
    # texts wait for moderation: none public yet
    assert by_id["wish"]["approved"] == [] and by_id["wish"]["pending"] == 3
    # three places in one cell → public; routes cross at least two cells, each by 3 routes
    danger = [f for f in found["features"] if f["properties"]["question"] == "danger"]
    way = [f for f in found["features"] if f["properties"]["question"] == "way"]
    assert [f["properties"]["answers"] for f in danger] == [3]
    assert len(way) >= 2 and all(f["properties"]["answers"] == 3 for f in way)
    assert "geometries" not in by_id["danger"]  # no single answer in the public results
    texts = client.get(f"/surveys/{survey['id']}/texts", headers=bearer(tokens["moderator"]))
    pending = texts.json()["texts"]
    assert [t["status"] for t in pending] == ["pending"] * 3
    decide = f"/surveys/{survey['id']}/texts/"
    assert (
        client.post(
            decide + pending[0]["id"],
            json={"status": "approved"},
            headers=bearer(tokens["planner"]),
        ).status_code
        == 403
    )
    for t, status in zip(pending, ("approved", "rejected", "approved"), strict=True):
        r = client.post(
            decide + t["id"], json={"status": status}, headers=bearer(tokens["moderator"])
        )
        assert r.status_code == 200 and r.json()["status"] == status
    found = client.get(f"/surveys/{survey['id']}/results").json()
    wish = next(q for q in found["questions"] if q["id"] == "wish")
    assert [a["text"] for a in wish["approved"]] == ["Mehr Bänke <b>0</b>", "Mehr Bänke <b>2</b>"]
    assert "<b>1</b>" not in json.dumps(found, ensure_ascii=False)  # the rejected text
    assert wish["rejected"] == 1 and wish["pending"] == 0


REFUSED = [
    ({"how": "car"}, "answers.how", "not an option"),
    ({"missing": ["1", "2", "3"]}, "answers.missing", "at most 2"),
    ({"missing": ["1", "1"]}, "answers.missing", "only once"),
    ({"wish": "x" * 201}, "answers.wish", "at most 200"),
    ({"way": {"type": "LineString", "coordinates": [[11.28, 49.51]]}}, "answers.way", "at least 2"),
    (
        {"way": {"type": "LineString", "coordinates": [[11.28, 149.5], [11.28, 49.5]]}},
        "answers.way",
        "longitude/latitude",
    ),
    (
        {"way": {"type": "LineString", "coordinates": [[13.40, 52.52], [13.41, 52.52]]}},
        "answers.way",
        "outside",
    ),
    ({"danger": {"type": "LineString", "coordinates": []}}, "answers.danger", "Point"),
    ({"nope": "1"}, "answers.nope", "no such question"),
]


@pytest.mark.parametrize(("change", "field", "words"), REFUSED)
def test_wrong_answers_are_refused_naming_question_and_field(
    client, tokens, inside, change, field, words
):
    survey = new_form_survey(client, tokens)
    body = full_answers(cell_centre(inside), 0) | {"missing": ["1"]} | change
    r = client.post(f"/surveys/{survey['id']}/answers", json={"answers": body})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith(field + ":") and words in detail, detail
    if field != "answers.nope":
        question = next(q for q in FORM["questions"] if f"answers.{q['id']}" == field)
        german = question["text"]["de"] if isinstance(question["text"], dict) else question["text"]
        assert german in detail and r.json()["params"]["question"] == question["id"]
        assert r.json()["params"]["field"] == field
    found = client.get(f"/surveys/{survey['id']}/results").json()
    assert found["answers"] == 0  # nothing of the refused set was stored
    assert ss.text_answers(app_store(), survey["id"]) == []


def test_required_route_and_empty_sets(client, tokens, inside):
    survey = new_form_survey(client, tokens)
    r = client.post(f"/surveys/{survey['id']}/answers", json={"answers": {"how": "bus"}})
    assert r.status_code == 422 and r.json()["code"] == "answer_required"
    assert "answers.way" in r.json()["detail"]
    far = offset(inside, 2500, 0)
    jump = {"way": {"type": "LineString", "coordinates": [[inside.x, inside.y], [far.x, far.y]]}}
    r = client.post(f"/surveys/{survey['id']}/answers", json={"answers": jump})
    assert r.status_code == 422  # outside or an implausible step, never stored


def test_one_answer_set_per_browser_session(db, tokens, inside):
    from participation_loop_fixtures import new_client

    with new_client() as planner:
        survey = new_form_survey(planner, tokens)
    body = {"answers": {"way": route(inside, offset(inside, 30, 0))}}
    with new_client() as browser_a, new_client() as browser_b:
        page = browser_a.get(f"/surveys/{survey['id']}?lang=en")
        assert page.status_code == 200 and "gq_survey_session" in browser_a.cookies
        assert browser_a.post(f"/surveys/{survey['id']}/answers", json=body).status_code == 201
        again = browser_a.post(f"/surveys/{survey['id']}/answers", json=body)
        assert again.status_code == 409 and again.json()["code"] == "already_answered"
        assert 'id="answered"' in browser_a.get(f"/surveys/{survey['id']}?lang=en").text
        browser_b.get(f"/surveys/{survey['id']}")
        assert browser_b.post(f"/surveys/{survey['id']}/answers", json=body).status_code == 201
    assert client_results(survey["id"])["answers"] == 2
    # what is kept of a session: a hash of survey and cookie, not the cookie
    con = app_store()._connect()
    stored = [
        r["session_hash"]
        for r in con.execute(
            "SELECT session_hash FROM survey_answer_sets WHERE survey_id = ?", (survey["id"],)
        )
    ]
    assert len(stored) == 2 and all(len(h) == 64 for h in stored)


def client_results(survey_id: str) -> dict:
    from participation_loop_fixtures import new_client

    with new_client() as c:
        return c.get(f"/surveys/{survey_id}/results").json()


BAD_FORMS = [
    ({"title": {"en": "only English"}}, "title"),
    ({"title": {"xx": "a", "de": "b"}}, "title"),
    ({"questions": [{"type": "single", "text": "a", "options": ["x"]}]}, "options"),
    ({"questions": [{"type": "text", "text": "a", "options": ["x", "y"]}]}, "options"),
    (
        {"questions": [{"type": "multiple", "text": "a", "options": ["x", "y"], "max_choices": 3}]},
        "max_choices",
    ),
    ({"questions": [{"type": "single", "text": "a", "options": ["x", "x"]}]}, "only once"),
    (
        {"questions": [{"type": "text", "text": "a"}, {"id": "q1", "type": "text", "text": "b"}]},
        "only once",
    ),
    ({"questions": [{"type": "ranking", "text": "a"}]}, "type"),
    ({"questions": []}, "questions"),
    ({"question": "a"}, "question"),
    ({"event_id": "nope"}, "event_id"),
]


@pytest.mark.parametrize(("change", "words"), BAD_FORMS)
def test_planner_definitions_are_checked(client, tokens, change, words):
    r = client.post(
        "/quartiers/lauf/surveys", json=FORM | change, headers=bearer(tokens["planner"])
    )
    assert r.status_code == 422 and words in r.text, r.text


def test_survey_of_an_event_in_the_report(client, tokens, inside):
    location = {"lon": inside.x, "lat": inside.y}
    title, start = "Marktspaziergang", "2026-12-01T10:00"
    event = create_event(client, tokens["planner"], title, start=start, location=location)
    survey = new_form_survey(client, tokens, event_id=event["id"], one_answer_per_session=False)
    assert survey["event_id"] == event["id"]
    centre = cell_centre(inside)
    lonely = offset(centre, 400, 0)
    for n in range(3):
        body = full_answers(centre, n) | {"missing": ["1"]}
        if n == 2:
            body["danger"] = {"type": "Point", "coordinates": [lonely.x, lonely.y]}
        assert (
            client.post(f"/surveys/{survey['id']}/answers", json={"answers": body}).status_code
            == 201
        )
    texts = ss.text_answers(app_store(), survey["id"])
    for t, status in zip(texts, ("approved", "rejected", "pending"), strict=True):
        if status != "pending":
            client.post(
                f"/surveys/{survey['id']}/texts/{t['id']}",
                json={"status": status},
                headers=bearer(tokens["moderator"]),
            )
    html = client.get(
        f"/events/{event['id']}/report.html?lang=de", headers=bearer(tokens["planner"])
    )
    assert html.status_code == 200
    page = lxml.html.fromstring(html.text)
    section = page.get_element_by_id("surveys").getnext()
    assert section.get("data-survey") == survey["id"]
    assert "Ausgefüllte Umfragen: 3" in section.text_content()
    how = section.xpath(".//*[@data-question='how']//td[@class='count']")
    assert [int(td.text) for td in how] == [2, 1, 0]
    texts_shown = [li.text_content() for li in section.xpath(".//*[@data-question='wish']//li")]
    assert texts_shown == ["Mehr Bänke <b>0</b>"]  # escaped, the rejected and pending ones absent
    assert "Mehr Bänke &lt;b&gt;0&lt;/b&gt;" in html.text and "<b>1</b>" not in html.text
    assert "<b>2</b>" not in html.text
    for ext in ("csv", "geojson"):  # the downloads hold no survey text at all
        download = client.get(
            f"/events/{event['id']}/report.{ext}?include=pending,rejected",
            headers=bearer(tokens["planner"]),
        )
        assert download.status_code == 200 and "Mehr Bänke" not in download.text
    config = json.loads(page.get_element_by_id("gq-config").text)
    layers = [f["properties"]["layer"] for f in config["surveys"]["features"]]
    assert layers.count("point") == 3 and layers.count("route") == 3
    cells = [f for f in config["surveys"]["features"] if f["properties"]["layer"] == "cell"]
    # staff: the lonely place's cell too (public results hide it)
    assert sorted(
        f["properties"]["answers"] for f in cells if f["properties"]["question"] == "danger"
    ) == [1, 2]


def test_moderation_page_of_written_answers(client):
    page = client.get("/moderate/surveys?lang=tr")
    assert page.status_code == 200 and "script-src" in page.headers["content-security-policy"]
    assert "Yazılı anket yanıtları" in page.text and 'id="token"' in page.text
    assert '<option value="lauf">' in page.text


def test_cli_adds_lists_closes_and_shows_results(db, tokens, inside, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import geoquartier.cli  # noqa: F401
    from geoquartier.cli.app import app
    from geoquartier.settings import reload_settings

    for name, value in db.env.items():
        monkeypatch.setenv(name, value)
    reload_settings()
    runner = CliRunner()
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(FORM), encoding="utf-8")
    added = runner.invoke(
        app, ["surveys", "add", "lauf", str(path), "--planner", "planner-account"]
    )
    assert added.exit_code == 0, added.output
    sid = added.output.split("created survey ")[1].split()[0]
    assert (
        "5. [route] Zeichnen Sie Ihren Weg." in added.output and f"/surveys/{sid}" in added.output
    )
    body = full_answers(cell_centre(inside), 0) | {"missing": ["1"]}
    ss.add_answer_set(
        app_store(), sid, sf.check_answers(ss.get_survey(app_store(), sid), body, area(), limits())
    )
    listed = runner.invoke(app, ["surveys", "list", "lauf"])
    assert f"{sid}  open  1 answer sets  Ihr Weg zum Markt" in listed.output
    shown = runner.invoke(app, ["surveys", "results", sid])
    assert "zu Fuß: 1 (100 %)" in shown.output and "pending 1" in shown.output, shown.output
    closed = runner.invoke(app, ["surveys", "close", sid])
    assert closed.exit_code == 0 and "is closed" in closed.output
    path.write_text(json.dumps(FORM | {"questions": [{"type": "poll", "text": "?"}]}))
    bad = runner.invoke(app, ["surveys", "add", "lauf", str(path), "--planner", "planner-account"])
    assert bad.exit_code == 2 and "questions.0.type" in bad.output and "Traceback" not in bad.output
    nobody = runner.invoke(app, ["surveys", "add", "lauf", str(path), "--planner", "nobody"])
    assert nobody.exit_code == 2 and "nobody" in nobody.output
    for name in db.env:
        monkeypatch.delenv(name)
    reload_settings()


def area():
    from api.participation.validation import quartier_area
    from geoquartier.registry import load_registry

    return quartier_area("lauf", load_registry(), limits())


def limits():
    from api.participation.settings import Limits

    return Limits()
