"""Public feedback on contributions and residents' receipts, through the HTTP API on the
real Lauf boundary: statuses and answers on the public GeoJSON, the receipt page in the
page language (pending, rejected, answered), the change log, validation and roles."""

from __future__ import annotations

import re

import pytest
from participation_backends import BACKENDS, new_backend
from participation_loop_fixtures import (
    PAYLOAD,
    app_store,
    bearer,
    client,
    inside,
    settings_override,
    submit,
    tokens,
)

from api.participation import feedback_store
from geoquartier.vocabulary import FEEDBACK_STATUSES

__all__ = ["client", "inside", "tokens"]

SYNTHETIC_MEASURE = "SYNTHETIC-M-1"
"""A measure made up for this test (SYNTHETIC: the real data has no measures layer)."""


@pytest.fixture(scope="module")
def scenarios():
    return {}


@pytest.fixture(scope="module", params=BACKENDS)
def db(request, tmp_path_factory, scenarios):
    """A fresh participation database and a workspace holding one SYNTHETIC measure and a
    published and a draft scenario of Lauf (real boundary from the registry)."""
    import geopandas as gpd

    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.mobility.scenarios.model import Scenario
    from geoquartier.mobility.scenarios.storage import save_scenario
    from geoquartier.registry import load_registry
    from geoquartier.settings import Settings

    root = tmp_path_factory.mktemp("participation-feedback")
    gpkg = root / "workspace.gpkg"
    place = load_registry()["lauf"].boundary.representative_point()
    measure = gpd.GeoDataFrame(
        {
            "id": [SYNTHETIC_MEASURE],
            "name": ["Synthetic test measure (not real data)"],
            "status": ["planned"],
        },
        geometry=[place],
        crs="EPSG:4326",
    )
    GeoPackageStore(gpkg).write("measures", measure, quartier="lauf")
    published = Scenario(quartier="lauf", title="Synthetic: Rampe statt Stufen")
    published.publish()
    draft = Scenario(quartier="lauf", title="Synthetic: Entwurf")
    for scenario in (published, draft):
        save_scenario(gpkg, scenario)
    scenarios.update(published=published.id, draft=draft.id)
    backend = new_backend(request.param, root)
    with settings_override(Settings(workspace=gpkg, **backend.settings_changes())):
        yield backend
    backend.close()


def approve(client, tokens, annotation_id):
    r = client.post(
        f"/moderation/annotations/{annotation_id}/approve", headers=bearer(tokens["moderator"])
    )
    assert r.status_code == 200, r.text


def give(client, token, annotation_id, **body):
    return client.post(
        f"/moderation/annotations/{annotation_id}/feedback", json=body, headers=bearer(token)
    )


def test_receipt_url_is_unguessable_and_stored_hashed(client, inside):
    answer = submit(client, inside)
    url = answer["receipt_url"]
    token = url.rsplit("/", 1)[1]
    assert re.fullmatch(r"/receipts/[A-Za-z0-9_-]{22}", url)  # 16 random bytes, base64url
    other = submit(client, inside)["receipt_url"]
    assert other != url
    con = app_store()._connect()
    stored = [r["token_sha256"] for r in con.execute("SELECT token_sha256 FROM receipts")]
    assert token not in str(stored)
    assert feedback_store.receipt_sha256(token) in stored


def test_pending_receipt_waits_for_review(client, inside):
    url = submit(client, inside, text=PAYLOAD)["receipt_url"]
    data = client.get(url + ".json").json()
    assert data["review"] == "pending" and "feedback_status" not in data
    page = client.get(url + "?lang=en")
    assert page.status_code == 200
    assert "Waiting for review" in page.text
    assert "<script>alert(2)" not in page.text and "&lt;script&gt;alert(2)" in page.text
    assert "Wartet auf Prüfung" in client.get(url).text  # German by default
    assert "script-src" in page.headers["content-security-policy"]


def test_rejected_text_never_shown(client, inside, tokens):
    secret = "Rejected-sentinel-7781 Telefon 0911 123456"
    answer = submit(client, inside, text=secret)
    r = client.post(
        f"/moderation/annotations/{answer['id']}/reject",
        json={"reason": "personal data"},
        headers=bearer(tokens["moderator"]),
    )
    assert r.status_code == 200
    page = client.get(answer["receipt_url"] + "?lang=tr")
    assert "Yayınlanmadı" in page.text and "Rejected-sentinel-7781" not in page.text
    data = client.get(answer["receipt_url"] + ".json").json()
    assert data["review"] == "rejected" and data["text"] is None
    assert "personal data" not in page.text + str(data)
    # feedback on a rejected contribution is refused, nothing logged
    assert give(client, tokens["planner"], answer["id"], status="planned").status_code == 409
    assert (
        client.get(
            f"/moderation/annotations/{answer['id']}/feedback", headers=bearer(tokens["planner"])
        ).json()["changes"]
        == []
    )


def test_planned_answer_public_and_on_receipt(client, inside, tokens):
    answer = submit(client, inside, text="Ampel am Bahnhof", language="tr")
    approve(client, tokens, answer["id"])
    public = client.get("/quartiers/lauf/annotations").json()["features"]
    mine = next(f for f in public if f["id"] == answer["id"])
    assert mine["properties"]["feedback_status"] == "received"
    assert mine["properties"]["answer"] is None
    r = give(
        client,
        tokens["moderator"],
        answer["id"],
        status="planned",
        answer=f"Wir prüfen das im Frühjahr. {PAYLOAD}",
        answer_language="de",
        measure_id=SYNTHETIC_MEASURE,
    )
    assert r.status_code == 200, r.text
    public = client.get("/quartiers/lauf/annotations").json()["features"]
    props = next(f for f in public if f["id"] == answer["id"])["properties"]
    assert props["feedback_status"] == "planned" and props["measure_id"] == SYNTHETIC_MEASURE
    assert props["answer"].startswith("Wir prüfen") and props["answer_language"] == "de"
    assert "decided_by" not in props and "reason" not in props
    page = client.get(answer["receipt_url"] + "?lang=ro")
    assert "Planificat" in page.text and "Wir prüfen das im Frühjahr." in page.text
    assert "&lt;img src=x" in page.text and "<img src=x" not in page.text
    assert 'data-status="planned"' in page.text


def test_every_change_logged_with_old_and_new(client, inside, tokens):
    answer = submit(client, inside)
    approve(client, tokens, answer["id"])
    for status in ("under_review", "planned", "done"):
        assert give(client, tokens["planner"], answer["id"], status=status).status_code == 200
    log = client.get(
        f"/moderation/annotations/{answer['id']}/feedback", headers=bearer(tokens["moderator"])
    ).json()["changes"]
    assert [(c["previous_status"], c["status"]) for c in log] == [
        ("received", "under_review"),
        ("under_review", "planned"),
        ("planned", "done"),
    ]
    assert {c["user_name"] for c in log} == {"planner-account"}
    assert all(c["changed_at"] for c in log)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"status": "maybe"}, 422, "status"),
        ({"status": "planned", "answer_language": "fr"}, 422, "answer_language"),
        ({"status": "planned", "answer_language": "xx"}, 422, "language"),
        ({"status": "planned", "answer": "x" * 1001}, 422, "answer"),
        ({"status": "planned", "measure_id": "<b>"}, 422, "measure_id"),
        ({"status": "planned", "owner": "me"}, 422, "owner"),
    ],
)
def test_feedback_validation(client, inside, tokens, body, status, field):
    answer = submit(client, inside)
    approve(client, tokens, answer["id"])
    r = give(client, tokens["moderator"], answer["id"], **body)
    assert r.status_code == status and field in r.text, r.text
    assert feedback_store.feedback_log(app_store(), answer["id"]) == []


def test_links_must_exist(client, inside, tokens, scenarios):
    answer = submit(client, inside)
    approve(client, tokens, answer["id"])
    for body, needle in (
        ({"measure_id": "M-unknown"}, "measure_id"),
        ({"scenario_id": scenarios["draft"]}, "published scenario"),
        ({"scenario_id": "nope"}, "published scenario"),
    ):
        r = give(client, tokens["planner"], answer["id"], status="planned", **body)
        assert r.status_code == 422 and needle in r.json()["detail"], r.text
    r = give(
        client, tokens["planner"], answer["id"], status="done", scenario_id=scenarios["published"]
    )
    assert r.status_code == 200 and r.json()["scenario_id"] == scenarios["published"]


def test_answer_in_writers_language_allowed(client, inside, tokens):
    answer = submit(client, inside, language="tr")
    approve(client, tokens, answer["id"])
    r = give(client, tokens["moderator"], answer["id"], status="declined", answer="Maalesef")
    assert r.status_code == 200 and r.json()["answer_language"] == "tr"


def test_roles_and_unknown(client, inside, tokens):
    answer = submit(client, inside)
    approve(client, tokens, answer["id"])
    assert give(client, tokens["jury"], answer["id"], status="done").status_code == 403
    r = client.post(f"/moderation/annotations/{answer['id']}/feedback", json={"status": "done"})
    assert r.status_code == 401
    assert give(client, tokens["moderator"], "nope", status="done").status_code == 404
    assert client.get("/receipts/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/receipts/AAAAAAAAAAAAAAAAAAAAAA.json").status_code == 404


def test_statuses_in_vocabulary():
    assert FEEDBACK_STATUSES == ("received", "under_review", "planned", "done", "declined")


def _ogc_item(client, annotation_id):
    r = client.get(f"/collections/annotations/items/{annotation_id}")
    assert r.status_code == 200, r.text
    return r.json()["properties"]


def test_ogc_collection_carries_public_feedback(client, inside, tokens, scenarios):
    """The OGC API annotations collection shows the status, the answer and the linked
    measure or scenario, changes after each answer, and nothing private."""
    first = submit(client, inside, text="Bank am Bach", language="tr")
    second = submit(client, inside, text="Rampe am Rathaus")
    for a in (first, second):
        approve(client, tokens, a["id"])
    props = _ogc_item(client, first["id"])
    assert props["feedback_status"] == "received" and props["answer"] is None
    r = give(
        client,
        tokens["moderator"],
        first["id"],
        status="planned",
        answer="Kommt im Frühjahr.",
        answer_language="tr",
        measure_id=SYNTHETIC_MEASURE,
    )
    assert r.status_code == 200, r.text
    give(client, tokens["planner"], second["id"], status="done", scenario_id=scenarios["published"])
    props = _ogc_item(client, first["id"])  # the cached collection follows the new answer
    assert props["feedback_status"] == "planned" and props["answer"] == "Kommt im Frühjahr."
    assert props["answer_language"] == "tr" and props["measure_id"] == SYNTHETIC_MEASURE
    assert props["feedback_at"] and props["scenario_id"] is None
    assert _ogc_item(client, second["id"])["scenario_id"] == scenarios["published"]
    done = client.get("/collections/annotations/items?feedback_status=done&limit=1000").json()
    assert second["id"] in {f["id"] for f in done["features"]}
    assert first["id"] not in {f["id"] for f in done["features"]}
    everything = client.get("/collections/annotations/items?limit=10000").text
    token = first["receipt_url"].rsplit("/", 1)[1]
    private = ("updated_by", "decided_by", "previous_status", "user_id", "token_sha256")
    assert token not in everything and not any(f'"{key}"' in everything for key in private)
    assert "planner-account" not in everything and "moderator-account" not in everything
