"""End to end, as a planner would: ``quartiers add`` → ``import`` → ``access``, through the
CLI, into a temporary registry (GEOQUARTIER_REGISTRY) and workspace
(GEOQUARTIER_WORKSPACE).

Real data: the Lauf an der Pegnitz OSM extract as the downloaded ``.osm.pbf``, a quartier
boundary drawn by the test around Lauf's old town (a rectangle, written to tmp), and the
real address of Lauf's Rathaus (Urlasstraße 22) as the office.
"""

from __future__ import annotations

import csv
import json

import pytest
from shapely.geometry import Point, box
from typer.testing import CliRunner

from geoquartier.cli import app
from geoquartier.config import data_dir
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import load_registry
from geoquartier.settings import reload_settings

PBF = data_dir() / "lauf_an_der_pegnitz" / "lauf_an_der_pegnitz_osm.osm.pbf"
OLD_TOWN = box(11.2720, 49.5080, 11.2900, 49.5200)
RATHAUS = "osm:way/36900392"
OFFICE = "Stadtteilbüro Lauf; Urlasstraße 22, 91207 Lauf an der Pegnitz; Mo-Fr 09:00-12:00"

pytestmark = pytest.mark.slow


@pytest.fixture
def planner(tmp_path, monkeypatch):
    """A fresh registry, workspace and cache; Overpass pointed at a closed local port so
    that nothing here reaches the internet."""
    import osmnx as ox

    monkeypatch.setenv("GEOQUARTIER_REGISTRY", str(tmp_path / "quartiers.toml"))
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "workspace.gpkg"))
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    monkeypatch.setattr(ox.settings, "doh_url_template", None)
    monkeypatch.setattr(ox.settings, "cache_folder", tmp_path / "osmnx")
    boundary = tmp_path / "altstadt.geojson"
    feature = {"type": "Feature", "properties": {}, "geometry": OLD_TOWN.__geo_interface__}
    boundary.write_text(json.dumps(feature), encoding="utf-8")
    return tmp_path


def test_add_import_access(planner):
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "quartiers", "add", "lauf-altstadt",
            "--name", "Lauf Altstadt", "--city", "Lauf an der Pegnitz", "--state", "DE-BY",
            "--boundary", str(planner / "altstadt.geojson"), "--osm", str(PBF),
            "--office", OFFICE,
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    spec = load_registry(planner / "quartiers.toml")["lauf-altstadt"]
    assert spec.sources["osm_extract"] == "lauf_an_der_pegnitz/lauf_an_der_pegnitz_osm.osm.pbf"
    assert spec.sources["boundary"] == "./altstadt.geojson"

    imported = runner.invoke(app, ["import", "lauf-altstadt", "--quiet"])
    assert imported.exit_code == 0, imported.output
    assert "office: Stadtteilbüro Lauf" in imported.output
    assert f"location exact (Urlasstraße 22 found in OSM ({RATHAUS}))" in imported.output
    store = GeoPackageStore(planner / "workspace.gpkg")
    offices = store.read("offices", quartier="lauf-altstadt")
    assert list(offices["name"]) == ["Stadtteilbüro Lauf"]
    assert offices["location_quality"].iloc[0] == "exact"
    assert offices["opening_hours"].iloc[0] == "Mo-Fr 09:00-12:00"
    addresses = store.read("addresses", quartier="lauf-altstadt")
    rathaus = addresses[addresses["source"] == RATHAUS].geometry.iloc[0]
    assert offices.geometry.iloc[0].equals(rathaus)
    assert OLD_TOWN.contains(Point(rathaus.x, rathaus.y))
    buildings = store.read("buildings", quartier="lauf-altstadt")
    assert len(buildings) > 1000 and len(addresses) > 1000
    population = store.read("population", quartier="lauf-altstadt")
    assert int(population["residents"].sum()) > 0

    shown = runner.invoke(app, ["quartiers", "show", "lauf-altstadt"])
    assert shown.exit_code == 0, shown.output
    assert "placed office: Stadtteilbüro Lauf — exact at" in shown.output

    output = planner / "coverage.csv"
    access = runner.invoke(app, ["access", "lauf-altstadt", "-o", str(output)])
    assert access.exit_code == 0, access.output
    with output.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    office_rows = [r for r in rows if r["category"] == "office"]
    assert office_rows and all(int(r["residents_total"]) > 0 for r in office_rows)
