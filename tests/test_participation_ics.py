"""Events as iCalendar: the public feed of a quartier read back with ``icalendar``, an
``.ics`` upload creating events (all or nothing, checked like ``POST /events``), and a
GeoJSON Feature accepted as a submission body. Real Lauf boundary from the registry."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
from participation_loop_fixtures import PAYLOAD, app_store, bearer, client, db, inside, tokens

from api.participation.feedback_store import receipt

__all__ = ["client", "db", "inside", "tokens"]


def ics(*events: str) -> bytes:
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *events, "END:VCALENDAR", ""]
    )
    return body.encode()


def vevent(summary: str, start: str, geo: str | None, end: str | None = None) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{summary}@test", "DTSTAMP:20261101T000000Z"]
    lines += [f"SUMMARY:{summary}", f"DTSTART;TZID=Europe/Berlin:{start}"]
    if end:
        lines.append(f"DTEND;TZID=Europe/Berlin:{end}")
    if geo:
        lines.append(f"GEO:{geo}")
    lines += ["DESCRIPTION:Mit Kaffee", "END:VEVENT"]
    return "\r\n".join(lines)


def upload(client, token, body: bytes, **query):
    return client.post(
        "/quartiers/lauf/events.ics",
        content=body,
        params=query,
        headers={**bearer(token), "Content-Type": "text/calendar"},
    )


def test_upload_then_feed_round_trip(client, tokens, inside):
    geo = f"{inside.y:.6f};{inside.x:.6f}"
    body = ics(
        vevent("Stadtteilwerkstatt Markt", "20261205T180000", geo, "20261205T200000"),
        vevent(PAYLOAD.replace(";", " ").replace(",", " "), "20261212T100000", None),
    )
    r = upload(client, tokens["planner"], body, lon=inside.x, lat=inside.y)
    assert r.status_code == 201, r.text
    made = r.json()["features"]
    assert len(made) == 2
    assert made[0]["properties"]["start"] == "2026-12-05T18:00+01:00"
    feed = client.get("/quartiers/lauf/events.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert "Stadtteilwerkstatt Markt" in events
    werkstatt = events["Stadtteilwerkstatt Markt"]
    assert werkstatt.decoded("dtstart") == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    assert werkstatt.decoded("dtend") == datetime(2026, 12, 5, 19, 0, tzinfo=UTC)
    assert abs(float(werkstatt["geo"].latitude) - inside.y) < 1e-5
    assert len({str(e["uid"]) for e in cal.walk("VEVENT")}) == len(cal.walk("VEVENT"))
    assert client.get("/quartiers/nowhere/events.ics").status_code == 404


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        (vevent("Ohne Ort", "20261205T180000", None), "GEO"),
        (vevent("Weit weg", "20261205T180000", "52.52;13.40"), "VEVENT 2"),
        (vevent("Zu früh", "18000101T100000", "49.51;11.28"), "1900"),
        (vevent("Rückwärts", "20261205T180000", "49.51;11.28", "20261204T180000"), "before"),
        (vevent("\u200b", "20261205T180000", "49.51;11.28"), "title"),
    ],
)
def test_upload_all_or_nothing(client, tokens, inside, event, needle):
    before = len(app_store().list_events("lauf"))
    good = vevent("Gut", "20261205T180000", f"{inside.y};{inside.x}")
    r = upload(client, tokens["planner"], ics(good, event))
    assert r.status_code == 422 and needle in r.json()["detail"], r.text
    assert len(app_store().list_events("lauf")) == before


def test_upload_refusals(client, tokens, inside):
    good = ics(vevent("Gut", "20261205T180000", f"{inside.y};{inside.x}"))
    assert upload(client, tokens["moderator"], good).status_code == 403
    assert client.post("/quartiers/lauf/events.ics", content=good).status_code == 401
    assert upload(client, tokens["planner"], b"not a calendar").status_code == 422
    assert upload(client, tokens["planner"], ics()).status_code == 422
    many = ics(*[vevent(f"E{i}", "20261205T180000", "49.51;11.28") for i in range(250)])
    r = upload(client, tokens["planner"], many)
    assert r.status_code == 422 and "at most 200" in r.json()["detail"]
    big = ics(*[vevent(f"E{i}", "20261205T180000", "49.51;11.28") for i in range(2000)])
    assert len(big) > 262_144
    assert upload(client, tokens["planner"], big).status_code == 413


def test_geojson_feature_as_submission(client, inside):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [inside.x, inside.y]},
        "properties": {"kind": "problem", "text": "Schlagloch", "language": "de"},
    }
    r = client.post("/quartiers/lauf/annotations", json=feature)
    assert r.status_code == 201, r.text
    stored = app_store().get_annotation(r.json()["id"])
    assert stored["kind"] == "problem" and stored["text"] == "Schlagloch"
    token = r.json()["receipt_url"].rsplit("/", 1)[1]
    assert receipt(app_store(), token)["review"] == "pending"
    for bad in (
        {**feature, "properties": {**feature["properties"], "colour": "red"}},
        {**feature, "bbox": [0, 0, 1, 1]},
        {**feature, "properties": "text"},
        {**feature, "properties": {"kind": "idea"}},
    ):
        assert client.post("/quartiers/lauf/annotations", json=bad).status_code == 422, bad
