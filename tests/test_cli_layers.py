"""``geoquartier validate`` and ``geoquartier export`` through Typer's CliRunner."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import geoquartier.cli.layers  # noqa: F401  (registers the commands)
from geoquartier.cli.app import app
from geoquartier.config import data_dir
from geoquartier.layers.store import GeoPackageStore
from geoquartier.settings import reload_settings

NO = data_dir() / "neu_olvenstedt_magdeburg"
runner = CliRunner()

OFFICE_CSV = (
    "id,name,address,opening_hours,languages,location_quality,lat,lon\n"
    'no-buero,Büro für Stadtteilarbeit,"Scharnhorstring 38, 39130 Magdeburg",'
    "Mo-Fr 09:00-12:00,de;ru,approximate,52.150394,11.587042\n"
)


def test_validate_csv_ok(tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text(OFFICE_CSV, encoding="utf-8")
    result = runner.invoke(
        app, ["validate", str(path), "--layer", "offices", "--quartier", "neu-olvenstedt"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "OK: 1 features"


def test_validate_real_geojson_lists_problems_and_exits_2():
    # the raw OSM boundary lacks the quartier fields: every missing one is listed
    path = NO / "neu_olvenstedt_boundary_osm.geojson"
    result = runner.invoke(app, ["validate", str(path), "--layer", "quartiers"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("5 problem(s) in neu_olvenstedt_boundary_osm.geojson")
    for field in ("id", "quartier", "city", "state", "boundary_quality"):
        assert any(f"feature 0 (id=None): field {field!r}" in ln for ln in lines[1:]), field


def test_validate_real_cafes_names_the_bad_opening_hours(tmp_path):
    cafes = gpd.read_file(NO / "magdeburg_cafes_osm.geojson")
    cafes = cafes.assign(
        id=[f"cafe-{i}" for i in range(len(cafes))], quartier="magdeburg", category="cafe"
    )
    path = tmp_path / "cafes.gpkg"
    cafes.to_file(path, layer="cafes", driver="GPKG")
    result = runner.invoke(app, ["validate", str(path), "--layer", "pois"])
    assert result.exit_code == 2
    assert result.output.count("field 'opening_hours'") == 3


def test_validate_csv_without_coordinates_is_a_user_error(tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text("id,name\na,B\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path), "--layer", "offices"])
    assert result.exit_code == 2
    assert "latitude/longitude" in result.output
    result = runner.invoke(app, ["validate", str(path), "--layer", "shops"])
    assert result.exit_code == 2 and "unknown layer" in result.output


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    path = tmp_path / "ws.gpkg"
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(path))
    reload_settings()
    s = gpd.read_file(NO / "magdeburg_gtfs_mvb_stops.geojson")
    s = s[s["in_neu_olvenstedt"]]
    stops = gpd.GeoDataFrame(
        {"id": s["stop_id"], "name": s["stop_name"]}, geometry=s.geometry, crs=s.crs
    )
    store = GeoPackageStore(path)
    store.write("stops", stops, quartier="neu-olvenstedt")
    offices = pd.read_csv(pd.io.common.StringIO(OFFICE_CSV))
    offices = gpd.GeoDataFrame(
        offices.drop(columns=["lat", "lon"]),
        geometry=gpd.points_from_xy(offices.lon, offices.lat),
        crs=4326,
    )
    store.write("offices", offices, quartier="neu-olvenstedt")
    return store


def test_export_geojson_gpkg_csv(tmp_path, workspace):
    expected = workspace.read("stops", quartier="neu-olvenstedt")
    out = tmp_path / "out" / "stops.geojson"
    result = runner.invoke(app, ["export", "stops", "--quartier", "neu-olvenstedt", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 30 features" in result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["features"]) == 30
    assert {f["properties"]["id"] for f in doc["features"]} == set(expected["id"])

    gpkg = tmp_path / "offices.gpkg"
    assert runner.invoke(app, ["export", "offices", "-o", str(gpkg)]).exit_code == 0
    back = GeoPackageStore(gpkg).read("offices")
    assert back["languages"].iloc[0] == ["de", "ru"]
    assert shapely.equals_exact(
        back.geometry.iloc[0], workspace.read("offices").geometry.iloc[0], tolerance=0
    )

    csv = tmp_path / "offices.csv"
    assert runner.invoke(app, ["export", "offices", "-o", str(csv)]).exit_code == 0
    table = pd.read_csv(csv)
    assert table.loc[0, "languages"] == "de;ru"
    assert (table.loc[0, "lat"], table.loc[0, "lon"]) == (52.150394, 11.587042)
    # the exported CSV validates again as the same layer
    result = runner.invoke(app, ["validate", str(csv), "--layer", "offices"])
    assert result.exit_code == 0 and "OK: 1 features" in result.output


def test_export_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "none.gpkg"))
    reload_settings()
    result = runner.invoke(app, ["export", "stops", "-o", str(tmp_path / "s.geojson")])
    assert result.exit_code == 2 and "no workspace" in result.output
    result = runner.invoke(app, ["export", "stops", "-o", str(tmp_path / "s.shp")])
    assert result.exit_code == 2 and ".geojson, .gpkg or .csv" in result.output
