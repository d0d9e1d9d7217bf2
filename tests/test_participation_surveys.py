"""Map surveys through the HTTP API on the real Lauf boundary: planners ask, residents
answer with a point (inside the quartier) and a choice, results are public only as
100 m cells with at least 3 answers and counts per choice."""

from __future__ import annotations

import geopandas as gpd
from participation_loop_fixtures import bearer, client, db, inside, tokens
from shapely.geometry import Point, shape

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
