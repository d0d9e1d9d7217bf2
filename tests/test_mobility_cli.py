"""``geoquartier access`` and ``geoquartier isochrones`` on Dreieich (network) and Neu
Olvenstedt (estimate mode), each imported into a fresh workspace."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

import geoquartier.cli  # noqa: F401  (registers the commands)
from geoquartier.cli.app import app
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
    table = pd.read_csv(csv)
    assert set(table["profile"]) == {"standard", "senior", "wheelchair"}
    assert set(table["threshold_min"]) == {5.0, 10.0}
    assert (table["method"] == "network").all()
    assert (table["residents_within"] <= table["residents_total"]).all()
    assert table["residents_total"].iloc[0] > 0
    layer = pyogrio.read_dataframe(gpkg, layer="access_nearest")
    assert {"origin_id", "category", "facility_id", "distance_m", "walk_min", "profile"} <= set(
        layer.columns
    )
    assert layer["walk_min"].notna().mean() > 0.9

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
    table = pd.read_csv(csv)
    assert set(table["category"]) == {"office", "grocery"}
    assert (table["method"] == "estimate").all()
    assert table["residents_total"].iloc[0] == pytest.approx(11_677)
    iso = workspace / "nol.gpkg"
    res = _run(["isochrones", "neu-olvenstedt", "-o", str(iso), "--at", "11.5870,52.1504"])
    assert res.exit_code == 0, res.output
    areas = pyogrio.read_dataframe(iso, layer="isochrones")
    assert (areas["method"] == "estimate").all() and areas["residents"].iloc[-1] > 0
    bad = _run(["isochrones", "neu-olvenstedt", "-o", str(iso), "--minutes", "ten"])
    assert bad.exit_code != 0
