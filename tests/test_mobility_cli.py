"""``geoquartier access`` and ``geoquartier isochrones`` on Lauf and Dreieich (network) and
Neu Olvenstedt (estimate mode), each imported into a fresh workspace."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

import geoquartier.cli  # noqa: F401  (registers the commands)
from geoquartier.cli.app import app
from geoquartier.maps import styles
from geoquartier.mobility.coverage import read_coverage_csv
from geoquartier.settings import reload_settings


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "ws.gpkg"))
    reload_settings()
    return tmp_path


def _run(args):
    result = CliRunner().invoke(app, args)
    return result


@pytest.mark.slow
def test_access_and_isochrones_on_dreieich(workspace):
    csv = workspace / "access.csv"
    gpkg = workspace / "access.gpkg"
    res = _run(["access", "dreieich", "-o", str(csv), "--gpkg", str(gpkg), "--minutes", "5,10"])
    assert res.exit_code == 0, res.output
    table = read_coverage_csv(csv)
    assert set(table["profile"]) == {"standard", "senior", "wheelchair"}
    assert set(table["threshold_min"]) == {5.0, 10.0}
    assert (table["method"] == "network").all()
    assert (table["residents_within"] <= table["residents_total"]).all()
    assert table["residents_total"].iloc[0] > 0
    layer = pyogrio.read_dataframe(gpkg, layer="access_nearest")
    walk = [c for c in layer.columns if c.startswith("walk_min_")]
    assert len(walk) == 3 * table["category"].nunique()
    assert layer[walk].notna().to_numpy().mean() > 0.9

    iso = workspace / "iso.geojson"
    cats = table["category"].unique()
    res = _run(
        [
            "isochrones",
            "dreieich",
            "-o",
            str(iso),
            "--minutes",
            "5,10",
            "--profile",
            "wheelchair",
            "--category",
            str(cats[0]),
        ]
    )
    assert res.exit_code == 0, res.output
    areas = gpd.read_file(iso)
    assert list(areas["minutes"]) == [5, 10] and (areas["area_m2"].diff().dropna() > 0).all()


def test_estimate_mode_from_the_cli(workspace):
    csv = workspace / "nol.csv"
    res = _run(
        ["access", "neu-olvenstedt", "-o", str(csv), "-c", "office,grocery", "-p", "standard"]
    )
    assert res.exit_code == 0, res.output
    assert "estimate" in res.output and "straight-line" in res.output
    assert "Zensus 2022" in res.output and "residents are estimated" not in res.output
    table = read_coverage_csv(csv)
    assert set(table["category"]) == {"office", "grocery"}
    assert (table["method"] == "estimate").all()
    assert table["residents_total"].iloc[0] == pytest.approx(11_677)
    assert (table["residents_source"] == "zensus2022").all()
    iso = workspace / "nol.gpkg"
    res = _run(["isochrones", "neu-olvenstedt", "-o", str(iso), "--at", "11.5870,52.1504"])
    assert res.exit_code == 0, res.output
    areas = pyogrio.read_dataframe(iso, layer="isochrones")
    assert (areas["method"] == "estimate").all() and areas["residents"].iloc[-1] > 0
    bad = _run(["isochrones", "neu-olvenstedt", "-o", str(iso), "--minutes", "ten"])
    assert bad.exit_code != 0
    bad = _run(["access", "neu-olvenstedt", "-o", str(workspace / "nol.xlsx")])
    assert bad.exit_code != 0 and "needs a .csv file" in str(bad.exception)
    assert not (workspace / "nol.xlsx").exists()


def _access_row(table, category, profile, minutes):
    row = table[
        (table["category"] == category)
        & (table["profile"] == profile)
        & (table["threshold_min"] == minutes)
    ]
    assert len(row) == 1
    return row.iloc[0]


@pytest.fixture(scope="module")
def lauf_run(tmp_path_factory):
    """``access`` and ``isochrones`` on Lauf (office; standard and wheelchair) in one
    workspace, run once for the tests below."""
    tmp = tmp_path_factory.mktemp("lauf")
    mp = pytest.MonkeyPatch()
    mp.setenv("GEOQUARTIER_WORKSPACE", str(tmp / "ws.gpkg"))
    reload_settings()
    try:
        csv, gpkg, iso = tmp / "coverage.csv", tmp / "near.gpkg", tmp / "iso.gpkg"
        access = _run(
            ["access", "lauf", "-o", str(csv), "--gpkg", str(gpkg), "-c", "office,grocery"]
            + ["-p", "standard,wheelchair"]
        )
        assert access.exit_code == 0, access.output
        isos = {
            p: _run(["isochrones", "lauf", "-o", str(tmp / f"iso-{p}.gpkg"), "-p", p])
            for p in ("standard", "wheelchair")
        }
        for res in isos.values():
            assert res.exit_code == 0, res.output
        population = pyogrio.read_dataframe(tmp / "ws.gpkg", layer="population")
    finally:
        mp.undo()
        reload_settings()
    return {
        "csv": csv,
        "gpkg": gpkg,
        "iso": iso,
        "tmp": tmp,
        "access": access.output,
        "isochrones": {p: r.output for p, r in isos.items()},
        "population": population,
    }


def test_access_csv_opens_in_german_spreadsheets(lauf_run):
    raw = lauf_run["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    header = raw[3:].split(b"\r\n" if b"\r\n" in raw else b"\n")[0].decode()
    assert header.split(";")[:4] == ["profile", "category", "threshold_min", "residents_within"]
    assert ";15,0;" in raw.decode("utf-8-sig")  # decimal comma
    table = read_coverage_csv(lauf_run["csv"])
    assert len(table) == 2 * 2 * 3
    assert (
        table["residents_within"].dtype.kind == "i" and table["residents_total"].dtype.kind == "i"
    )
    total = int(lauf_run["population"]["residents"].sum())
    assert (table["residents_total"] == total).all()
    expected_pct = (table["residents_within"] / total * 100).round(1)
    assert (table["share_within_pct"] - expected_pct).abs().max() <= 0.051
    assert (table["residents_source"] == "estimate:floor-area").all()
    wheel = table[table["profile"] == "wheelchair"]
    assert wheel["unknown_share_pct"].between(0, 100).all()
    assert table.loc[table["profile"] == "standard", "unknown_share_pct"].isna().all()
    columns = pd.read_csv(lauf_run["tmp"] / "coverage.columns.csv", sep=";", encoding="utf-8-sig")
    assert list(columns["column"]) == list(table.columns)
    assert columns.set_index("column").loc["residents_within", "label_de"] == "Einwohner in Gehzeit"


def test_access_prints_a_summary_with_warnings(lauf_run):
    out = lauf_run["access"]
    table = read_coverage_csv(lauf_run["csv"])
    office = _access_row(table, "office", "standard", 15)
    # the figures of the CSV, with thousands separators and one decimal
    assert f"{office['residents_within']:,}" in out and f"{office['share_within_pct']:.1f} %" in out
    assert f"({office['residents_total']:,} residents)" in out
    assert "walk network" in out and "standard 4.5 km/h" in out and "wheelchair 4.0 km/h" in out
    assert "residents are estimated from building floor area" in out
    # Lauf's routes are mostly untagged for wheelchairs: the summary warns and marks the rows
    high = table.loc[table["profile"] == "wheelchair", "unknown_share_pct"].max()
    assert high > 50
    assert "no wheelchair tags" in out and f"{high:.0f} %" in out
    marked = [line for line in out.splitlines() if line.rstrip().endswith("*")]
    assert marked and all("wheelchair" in line for line in marked)
    assert "written:" in out and str(lauf_run["csv"]) in out


def test_isochrones_count_the_same_residents_as_access(lauf_run):
    table = read_coverage_csv(lauf_run["csv"])
    for profile in ("standard", "wheelchair"):
        areas = pyogrio.read_dataframe(lauf_run["tmp"] / f"iso-{profile}.gpkg", layer="isochrones")
        assert list(areas["minutes"]) == [5, 10, 15]
        for _, area in areas.iterrows():
            row = _access_row(table, "office", profile, area["minutes"])
            assert round(area["residents"]) == row["residents_within"]
        # the drawn band counts differently (homes set back from their way, see docs)
        assert (areas["residents_in_area"] != areas["residents"]).any()
        out = lauf_run["isochrones"][profile]
        assert f"{round(areas['residents'].iloc[-1]):,}" in out
        assert f"{round(areas['residents_in_area'].iloc[-1]):,}" in out


def test_nearest_layer_one_row_per_home_with_qgis_style(lauf_run):
    gpkg = lauf_run["gpkg"]
    population = lauf_run["population"]
    layer = pyogrio.read_dataframe(gpkg, layer="access_nearest")
    assert len(layer) == len(population) and layer["id"].is_unique
    walk = [c for c in layer.columns if c.startswith("walk_min_")]
    assert sorted(walk) == sorted(
        f"walk_min_{c}_{p}" for c in ("grocery", "office") for p in ("standard", "wheelchair")
    )
    assert layer["residents"].sum() == population["residents"].sum()
    # "at most t minutes" in QGIS selects exactly the residents the table counts
    table = read_coverage_csv(lauf_run["csv"])
    for t in (5, 10, 15):
        for profile in ("standard", "wheelchair"):
            within = layer.loc[layer[f"walk_min_office_{profile}"] <= t, "residents"].sum()
            assert within == _access_row(table, "office", profile, t)["residents_within"]
    slower = layer["walk_min_office_wheelchair"] >= layer["walk_min_office_standard"] - 0.1
    assert slower[layer["walk_min_office_wheelchair"].notna()].all()  # 4.0 vs 4.5 km/h, fewer ways

    con = sqlite3.connect(gpkg)
    try:
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, useAsDefault "
            "FROM layer_styles"
        ).fetchall()
        kind = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    finally:
        con.close()
    assert kind == ("attributes",)
    assert {r[0] for r in rows} == {"access_nearest"} and {r[1] for r in rows} == {"geom"}
    assert sorted(r[2] for r in rows) == sorted(walk)
    defaults = [r for r in rows if r[4]]
    assert len(defaults) == 1 and defaults[0][2] == "walk_min_office_standard"
    root = ET.fromstring(defaults[0][3].split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert '"walk_min_office_standard"' in renderer.get("attr")
    ranges = renderer.findall("ranges/range")
    uppers = [float(r.get("upper")) for r in ranges]
    assert uppers[: len(styles.WALK_CLASSES_MIN)] == list(styles.WALK_CLASSES_MIN)
    assert len(ranges) == len(styles.WALK_COLOURS) + 1  # + not reachable
    colours = [
        s.find("layer/prop[@k='color']").get("v") for s in renderer.findall("symbols/symbol")
    ]
    first = styles.WALK_COLOURS[0].lstrip("#")
    assert colours[0] == ",".join(str(int(first[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"
