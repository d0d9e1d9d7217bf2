"""The kiosk page and its live count through the HTTP API (real Lauf boundary)."""

from __future__ import annotations

import json
import re

from api_fixtures import create_event
from participation_loop_fixtures import app_store, bearer, client, db, inside, submit, tokens

__all__ = ["client", "db", "inside", "tokens"]


def _config(html: str) -> dict:
    raw = re.search(r'<script type="application/json" id="gq-config"[^>]*>(.*?)</script>', html)
    return json.loads(raw.group(1))


def test_kiosk_page_and_count(client, tokens, inside):
    location = {"lon": inside.x, "lat": inside.y}
    title, start = "Infostand <b>Markt</b>", "2026-12-05T10:00"
    event = create_event(client, tokens["planner"], title, start=start, location=location)["id"]
    page = client.get(f"/participate/lauf/kiosk?event={event}&lang=tr")
    assert page.status_code == 200
    assert "Infostand &lt;b&gt;Markt&lt;/b&gt;" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    config = _config(page.text)
    assert config["kioskKinds"] == ["idea", "problem", "praise"]
    assert config["eventId"] == event and config["idleResetS"] > 0
    assert config["streetsUrl"] == "/quartiers/lauf/streets.geojson"
    count = client.get(config["countUrl"])
    assert count.json() == {"count": 0}
    submit(client, inside, event_id=event)
    rejected = submit(client, inside, event_id=event)
    client.post(
        f"/moderation/annotations/{rejected['id']}/reject",
        json={"reason": "test"},
        headers=bearer(tokens["moderator"]),
    )
    assert client.get(config["countUrl"]).json() == {"count": 2}  # a number, any state
    total = client.get("/participate/lauf/kiosk/count").json()["count"]
    assert total == app_store().count_annotations(quartier="lauf")
    assert client.get("/participate/lauf/kiosk?event=nope").status_code == 404
    assert client.get("/participate/lauf/kiosk/count?event=nope").status_code == 404
    assert client.get("/participate/nowhere/kiosk").status_code == 404
