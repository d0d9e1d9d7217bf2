"""The scenario endpoints (api/scenarios.py) on Lauf's real walk network: planners write,
anyone reads published scenarios, the comparison comes back as JSON, CSV and GeoJSON."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.api_fixtures import api_workspace  # noqa: F401  (fixture)

# Two real Lauf nodes 2.7 m apart that are 1,277 m apart on the network (the largest
# detour gap, found by tests/test_scenarios.py::_gap) and a 2 m line across the real
# steps edge whose wheelchair detour is longest (_steps_bridge), both EPSG:4326.
GAP = [[11.2916737, 49.5123116], [11.2916651, 49.5122882]]
STEPS_CUT = [[11.2850128, 49.5116477], [11.2849929, 49.5116352]]


@pytest.fixture(scope="module")
def env(api_workspace, tmp_path_factory):  # noqa: F811
    """A copy of the API workspace (scenarios are written into it), a planner and a
    moderator token, and a client bound to both."""
    from api.main import app
    from tests.api_fixtures import bearer, settings_changed, workspace_copy

    gpkg, db, tokens = workspace_copy(api_workspace, tmp_path_factory.mktemp("scenario-api"))
    with (
        settings_changed(workspace=gpkg, participation_db=db),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield {"client": client} | {role: bearer(token) for role, token in tokens.items()}


def _line(coords):
    return {"type": "LineString", "coordinates": coords}


def test_planner_builds_publishes_and_everyone_reads(env):
    c, planner = env["client"], env["planner"]
    base = "/quartiers/lauf/scenarios"
    assert c.post(base, json={"title": "Steg"}).status_code == 401
    assert c.post(base, json={"title": "Steg"}, headers=env["moderator"]).status_code == 403
    r = c.post(base, json={"title": "Steg und Rampe"}, headers=planner)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["author"] == "planerin" and r.json()["status"] == "draft"
    r = c.post(f"{base}/{sid}/edits", json={"kind": "way_add", "geometry": _line(GAP)},
               headers=planner)  # fmt: skip
    assert r.status_code == 201, r.text
    tags = {"highway": "footway", "kerb": "lowered", "wheelchair": "yes"}
    r = c.post(
        f"{base}/{sid}/edits",
        json={"kind": "way_tags", "geometry": _line(STEPS_CUT), "params": {"tags": tags}},
        headers=planner,
    )
    assert r.status_code == 201, r.text
    assert [e["kind"] for e in r.json()["edits"]] == ["way_add", "way_tags"]
    assert r.json()["edits"][0]["geometry"]["type"] == "LineString"
    # a draft is invisible without a planner token
    assert c.get(f"{base}/{sid}").status_code == 404
    assert sid not in {s["id"] for s in c.get(base).json()["scenarios"]}
    assert sid in {s["id"] for s in c.get(base, headers=planner).json()["scenarios"]}
    assert c.get(f"{base}/{sid}/compare").status_code == 404
    r = c.post(f"{base}/{sid}/publish", headers=planner)
    assert r.status_code == 200 and r.json()["status"] == "published"
    listed = {s["id"]: s for s in c.get(base).json()["scenarios"]}
    assert listed[sid]["edits"] == 2 and listed[sid]["status"] == "published"
    assert c.get(f"{base}/{sid}").json()["title"] == "Steg und Rampe"
    # published scenarios are frozen
    r = c.post(f"{base}/{sid}/edits", json={"kind": "way_close", "geometry": _line(GAP)},
               headers=planner)  # fmt: skip
    assert r.status_code == 422 and "published scenarios cannot be edited" in r.json()["detail"]
    _check_comparison(c, f"{base}/{sid}")
    assert c.delete(f"{base}/{sid}").status_code == 401
    assert c.delete(f"{base}/{sid}", headers=planner).status_code == 204
    assert c.get(f"{base}/{sid}").status_code == 404


def _check_comparison(c, path):
    r = c.get(f"{path}/compare", params={"minutes": "5,10", "profiles": "standard,wheelchair"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["edits"][0].startswith("edit 1 (way_add): 1 new edge(s), 3 m")
    assert body["edits"][1].startswith("edit 2 (way_tags): tags set on 1 edge(s)")
    cov = pd.DataFrame(body["coverage"])
    assert set(cov["profile"]) == {"standard", "wheelchair"}
    assert set(cov["threshold_min"]) == {5, 10}
    # the edits only add ways: nobody loses (on Lauf's Zensus cells no resident crosses
    # a threshold: the gains below are under a minute)
    assert (cov["residents_no_longer_within"] == 0).all()
    assert (cov["difference"] >= -1e-6).all()
    assert (cov["residents_after"] - cov["residents_before"] - cov["difference"]).abs().max() < 1e-6
    csv = c.get(f"{path}/compare", params={"format": "csv", "minutes": "5,10",
                                            "profiles": "standard,wheelchair"})  # fmt: skip
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.BytesIO(csv.content), sep=";", decimal=",", encoding="utf-8-sig")
    assert len(table) == len(cov)
    assert table["difference"].sum() == pytest.approx(cov["difference"].sum(), rel=1e-9)
    # per-home gains: the ramp shortens wheelchair walks to the general counselling
    r = c.get(f"{path}/gains", params={"category": "general", "profile": "wheelchair"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    feats = r.json()["features"]
    gains = [f["properties"]["gain_min"] for f in feats]
    assert len(feats) >= 20 and all(g is None or g > 0 for g in gains)
    assert 0.5 < max(g for g in gains if g is not None) < 1.0
    assert all(f["properties"]["route"] == "same" for f in feats)
    lon, lat = shape_point(feats[0]["geometry"])
    assert 11.2 < lon < 11.4 and 49.4 < lat < 49.6


def shape_point(geometry: dict) -> tuple[float, float]:
    from shapely.geometry import shape

    p = shape(geometry).representative_point()
    return p.x, p.y


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"kind": "residents_add", "geometry": {"type": "Point", "coordinates": [11.28, 49.51]},
          "params": {"residents": -4}},
         "edit 1 (residents_add): field 'residents' must be a number > 0, got -4"),
        ({"kind": "facility_close", "params": {"facility_id": "node/1"}},
         "edit 1 (facility_close): field 'facility_id': no facility 'node/1'"),
        ({"kind": "way_add", "geometry": _line([[11.0, 49.0], [11.0001, 49.0001]])},
         "edit 1 (way_add): field 'geometry'"),
        ({"kind": "facility_add", "geometry": {"type": "Point", "coordinates": [11.28]},
          "params": {"category": "pharmacy"}},
         "edit 1 (facility_add): field 'geometry'"),
        ({"kind": "teleport"}, "edit 1: kind 'teleport' is not one of"),
    ],
)  # fmt: skip
def test_invalid_edits_answer_422_naming_edit_and_field(env, edit, message):
    c, planner = env["client"], env["planner"]
    sid = c.post("/quartiers/lauf/scenarios", json={"title": "Fehler"}, headers=planner).json()[
        "id"
    ]
    r = c.post(f"/quartiers/lauf/scenarios/{sid}/edits", json=edit, headers=planner)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    # nothing was stored
    assert c.get(f"/quartiers/lauf/scenarios/{sid}", headers=planner).json()["edits"] == []


def test_new_pharmacy_in_neu_olvenstedt_with_estimated_walking_times(env, api_workspace):  # noqa: F811
    """A facility scenario in a quartier without walk network: only its category is
    computed again, on the estimate network; the residents near the new place gain."""
    from geoquartier.layers.store import GeoPackageStore

    c, planner = env["client"], env["planner"]
    cells = GeoPackageStore(api_workspace.gpkg).read("population", quartier="neu-olvenstedt")
    home = cells.loc[cells["residents"].idxmax()].geometry.centroid  # the most populous cell
    base = "/quartiers/neu-olvenstedt/scenarios"
    sid = c.post(base, json={"title": "Apotheke"}, headers=planner).json()["id"]
    edit = {"kind": "facility_add", "geometry": {"type": "Point", "coordinates": [home.x, home.y]},
            "params": {"category": "pharmacy", "name": "Neue Apotheke"}}  # fmt: skip
    assert c.post(f"{base}/{sid}/edits", json=edit, headers=planner).status_code == 201
    r = c.get(f"{base}/{sid}/compare", params={"profiles": "standard"}, headers=planner)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["recomputed"] == "categories pharmacy (facilities changed)"
    cov = pd.DataFrame(body["coverage"])
    others = cov[cov["category"] != "pharmacy"]
    assert (others["difference"] == 0).all()
    pharmacy = cov[cov["category"] == "pharmacy"].set_index("threshold_min")
    # the most populous cell now has a pharmacy on its doorstep
    assert pharmacy.loc[5, "residents_after"] >= cells["residents"].max() - 1e-6
    # 148 more residents within 5 min, 53 within 10; everyone was within 15 already
    assert pharmacy.loc[5, "difference"] > 0 and pharmacy.loc[10, "difference"] > 0
    assert (pharmacy["difference"] >= 0).all()
    assert (pharmacy["residents_no_longer_within"] == 0).all()
    gains = c.get(f"{base}/{sid}/gains", params={"category": "pharmacy"}, headers=planner)
    assert gains.status_code == 200 and len(gains.json()["features"]) > 0


def test_unknown_quartier_and_scenario_and_openapi(env):
    c = env["client"]
    assert c.get("/quartiers/nowhere/scenarios").status_code == 404
    assert c.get("/quartiers/lauf/scenarios/000000000000").status_code == 404
    r = c.get("/quartiers/lauf/scenarios/x/compare", params={"format": "xls"})
    assert r.status_code in (404, 422)
    spec = c.get("/openapi.json").json()
    paths = spec["paths"]
    assert "post" in paths["/quartiers/{quartier}/scenarios"]
    assert "delete" in paths["/quartiers/{quartier}/scenarios/{scenario_id}"]
    compare = paths["/quartiers/{quartier}/scenarios/{scenario_id}/compare"]["get"]
    assert "text/csv" in compare["responses"]["200"]["content"]
    assert "gains" in " ".join(paths)
    assert {"401", "403", "422"} <= set(
        paths["/quartiers/{quartier}/scenarios"]["post"]["responses"]
    )
