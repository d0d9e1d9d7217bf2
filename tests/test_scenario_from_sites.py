"""A draft scenario from a stored location result, on Lauf's real data: one new facility
per chosen site, and the scenario's "after − before" equals the model's objective."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from geoquartier.errors import GeoquartierError

pytest_plugins = ["planning_fixtures"]


@pytest.fixture(scope="module")
def workspace(lauf_planning, tmp_path_factory):
    """A copy of the Lauf planning workspace (results and scenarios are written into it)."""
    gpkg = tmp_path_factory.mktemp("from-sites") / "ws.gpkg"
    shutil.copyfile(lauf_planning.gpkg, gpkg)
    return gpkg


def _locate(ws, category: str, profile: str, sites: int = 2):
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.mobility.locate import quartier_locate
    from geoquartier.mobility.planning_inputs import default_candidates

    cand = default_candidates(ws.spec, GeoPackageStore(ws.gpkg), ws.facilities, category)
    return quartier_locate(
        ws.network,
        ws.population,
        cand,
        ws.facilities,
        ws.spec,
        category,
        minutes=10,
        profile=profile,
        sites=sites,
        greedy=True,
    )


@pytest.mark.parametrize(
    ("category", "profile"), [("office", "senior"), ("office", "wheelchair"), ("debt", "standard")]
)
def test_scenario_gain_equals_the_objective(lauf_planning, workspace, category, profile):
    from geoquartier.mobility.planning_results import save_locate
    from geoquartier.mobility.scenarios import compare, load_scenario
    from geoquartier.mobility.scenarios.from_sites import scenario_from_sites

    ws = lauf_planning
    result = _locate(ws, category, profile)
    run = save_locate(workspace, result, f"x-{category}-{profile}")
    made = scenario_from_sites(workspace, "lauf", run.run_id)
    scenario = load_scenario(workspace, made.id)  # as stored: the points went through the file
    assert scenario.status == "draft" and len(scenario.edits) == 2
    assert [e.params["name"] for e in scenario.edits] == [
        "Neuer Standort 1 (Vorschlag)",
        "Neuer Standort 2 (Vorschlag)",
    ]
    assert {e.params["category"] for e in scenario.edits} == {category}
    assert all(e.params["languages"] == ["de"] for e in scenario.edits)
    assert "opening_hours" not in scenario.edits[0].params  # unknown, never guessed
    assert f"{profile}, 10 min" in scenario.title
    facilities = ws.facilities[["id", "category", "name", "layer", "geometry"]]
    population = ws.population[["id", "residents", "geometry"]]
    cmp = compare(scenario, ws.network, population, facilities, [10], [profile])
    row = cmp.coverage[cmp.coverage["category"] == category].iloc[0]
    gain = float(row["residents_after"] - row["residents_before"])
    assert result.summary["objective"] > 0
    assert gain == pytest.approx(result.summary["objective"], abs=1e-6)
    assert gain == pytest.approx(result.summary["residents_newly_within"], abs=1e-6)
    assert row["residents_no_longer_within"] == 0


def test_errors_are_clear(lauf_planning, workspace):
    from geoquartier.mobility.planning_results import load_run, save_supply
    from geoquartier.mobility.scenarios.from_sites import scenario_from_run, scenario_from_sites
    from geoquartier.mobility.supply import quartier_supply

    with pytest.raises(GeoquartierError, match="no stored locate result named or with run id"):
        scenario_from_sites(workspace, "lauf", "nothing-here")
    ws = lauf_planning
    sup = quartier_supply(ws.network, ws.population, ws.facilities, ws.spec, "grocery")
    save_supply(workspace, sup, "s1")
    with pytest.raises(GeoquartierError, match="only a locate result has sites"):
        scenario_from_run(load_run(workspace, "lauf", "supply", "s1"))


def test_cli_locate_with_scenario_and_from_sites(lauf_planning, workspace, tmp_path, monkeypatch):
    from planning_fixtures import run_cli

    from geoquartier.mobility.scenarios import list_scenarios
    from geoquartier.settings import reload_settings

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(workspace))
    reload_settings()
    before = len(list_scenarios(workspace, "lauf"))
    out = tmp_path / "sites.gpkg"
    res = run_cli(
        ["locate", "lauf", "-o", str(out), "--sites", "2", "--greedy", "--profile", "senior",
         "--name", "cli-run", "--scenario", "Zwei neue Anlaufstellen"]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Zwei neue Anlaufstellen" in res.output
    assert "Neuer Standort 2 (Vorschlag)" in res.output
    res = run_cli(["scenario", "from-sites", "lauf", "--sites", "cli-run"])
    assert res.exit_code == 0, res.output
    assert "– Ergebnis cli-run" in res.output
    table = list_scenarios(workspace, "lauf")
    assert len(table) == before + 2 and (table["edits"].tail(2) == 2).all()
    res = run_cli(["scenario", "from-sites", "lauf", "--sites", "no-such-run"])
    assert res.exit_code == 2 and "no stored locate result" in res.output
    reload_settings()


def test_api_from_sites(workspace):
    from api.main import app
    from api.participation.store import open_store
    from tests.api_fixtures import settings_changed

    db = workspace.parent / "p.sqlite"
    _, token = open_store(db).add_user("planerin", "planner")
    planner = {"Authorization": f"Bearer {token}"}
    with (
        settings_changed(workspace=workspace, participation_db=db),
        TestClient(app, raise_server_exceptions=False) as c,
    ):
        r = c.get(
            "/quartiers/lauf/planning/locate",
            params={"profile": "senior", "sites": 2, "greedy": True, "name": "api-run"},
        )
        assert r.status_code == 200, r.text
        run_id = r.json()["run_id"]
        url = "/quartiers/lauf/scenarios/from-sites"
        assert c.post(url, json={"sites": run_id}).status_code == 401
        r = c.post(url, json={"sites": run_id, "title": "Vorschlag"}, headers=planner)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["title"] == "Vorschlag" and body["author"] == "planerin"
        assert [e["kind"] for e in body["edits"]] == ["facility_add", "facility_add"]
        assert body["edits"][0]["geometry"]["type"] == "Point"
        assert c.post(url, json={"sites": "missing"}, headers=planner).status_code == 404
        paths = c.get("/openapi.json").json()["paths"]
        assert "post" in paths["/quartiers/{quartier}/scenarios/from-sites"]
