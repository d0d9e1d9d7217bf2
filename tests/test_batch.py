"""``geoquartier access --all``: every imported quartier as its own task, serially or on a
Dask ``LocalCluster``, on Lauf and Dreieich (walk network) and Neu Olvenstedt (estimate
mode) imported from the real data into a fresh workspace."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

import geoquartier.cli  # noqa: F401  (registers the commands)
from geoquartier.cli.app import app
from geoquartier.importer import import_quartier
from geoquartier.layers.backend import get_layer_store
from geoquartier.mobility.batch import (
    batch_table,
    run_access_batch,
    workspace_quartiers,
)
from geoquartier.mobility.coverage import read_coverage_csv
from geoquartier.registry import get_quartier, load_registry
from geoquartier.settings import reload_settings

QUARTIERS = ("lauf", "dreieich", "neu-olvenstedt")
PROFILES = ("standard", "wheelchair")
MINUTES = (5.0, 10.0, 15.0)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A workspace with the three quartiers imported; the settings point at it while the
    module's tests run."""
    tmp = tmp_path_factory.mktemp("batch")
    mp = pytest.MonkeyPatch()
    mp.setenv("GEOQUARTIER_WORKSPACE", str(tmp / "ws.gpkg"))
    reload_settings()
    store = get_layer_store()
    for quartier in QUARTIERS:
        import_quartier(get_quartier(quartier), store)
    yield tmp
    mp.undo()
    reload_settings()


@pytest.fixture(scope="module")
def serial_runs(workspace):
    return run_access_batch(QUARTIERS, profiles=PROFILES, minutes=MINUTES, progress=False)


def test_only_imported_quartiers_are_run(workspace):
    registry = list(load_registry())
    found = workspace_quartiers(get_layer_store(), registry)
    assert sorted(found) == sorted(QUARTIERS)
    assert len(registry) > len(found)  # e.g. alt-hamborn is in the registry, not imported


def test_serial_batch_matches_the_single_quartier_command(workspace, serial_runs):
    assert [r.quartier for r in serial_runs] == list(QUARTIERS)
    assert all(r.ok for r in serial_runs), [r.error for r in serial_runs]
    assert [r.method for r in serial_runs] == ["network", "network", "estimate"]
    assert all(r.peak_rss_mb >= r.start_rss_mb > 0 and r.wall_s > 0 for r in serial_runs)
    table = batch_table(serial_runs)
    assert list(table.columns[:2]) == ["quartier", "profile"]
    single = workspace / "lauf.csv"
    res = CliRunner().invoke(app, ["access", "lauf", "-o", str(single), "-p", ",".join(PROFILES)])
    assert res.exit_code == 0, res.output
    lauf = table[table["quartier"] == "lauf"].drop(columns="quartier").reset_index(drop=True)
    pd.testing.assert_frame_equal(lauf, read_coverage_csv(single), check_dtype=False)


@pytest.mark.slow
def test_local_cluster_gives_the_serial_tables(serial_runs):
    """Two worker processes, plus a registry quartier that is not imported: it fails
    alone, the three others come back identical to the serial run."""
    order = ("lauf", "alt-hamborn", "dreieich", "neu-olvenstedt")
    runs = run_access_batch(order, profiles=PROFILES, minutes=MINUTES, workers=2, progress=False)
    assert [r.quartier for r in runs] == list(order)
    failed = {r.quartier: r.error for r in runs if not r.ok}
    assert list(failed) == ["alt-hamborn"] and "no population layer" in failed["alt-hamborn"]
    by_id = {r.quartier: r for r in runs}
    for serial in serial_runs:
        parallel = by_id[serial.quartier]
        pd.testing.assert_frame_equal(parallel.table, serial.table)
        assert parallel.process.split(":")[-1] != serial.process.split(":")[-1]
    assert len({by_id[q].process for q in QUARTIERS}) <= 2
    pd.testing.assert_frame_equal(
        batch_table([by_id[q] for q in QUARTIERS]), batch_table(serial_runs)
    )


def test_cli_all_on_a_running_scheduler(workspace, serial_runs):
    """``--scheduler``: a cluster started elsewhere (here one in-process worker thread)."""
    from distributed import LocalCluster

    csv = workspace / "scheduler.csv"
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        res = CliRunner().invoke(
            app,
            ["access", "--all", "-o", str(csv), "-p", ",".join(PROFILES)]
            + ["--scheduler", cluster.scheduler_address],
        )
    assert res.exit_code == 0, res.output
    assert f"on the Dask cluster at {cluster.scheduler_address}" in res.output

    def by_quartier(table):  # the CLI writes in registry order
        return table.sort_values("quartier", kind="stable").reset_index(drop=True)

    pd.testing.assert_frame_equal(
        by_quartier(read_coverage_csv(csv)),
        by_quartier(batch_table(serial_runs)),
        check_dtype=False,
    )


def test_cli_all_reports_a_failing_quartier_and_writes_the_others(workspace):
    csv = workspace / "all.csv"
    res = CliRunner().invoke(
        app, ["access", "--all", "-o", str(csv), "-c", "office,doctors", "-p", "standard"]
    )
    assert res.exit_code == 1, res.output
    assert "neu-olvenstedt" in res.output and "FAILED" in res.output
    assert "doctors" in res.output and "2 of 3 quartiers done" in res.output
    assert "not imported, left out: alt-hamborn" in res.output
    table = read_coverage_csv(csv)
    assert sorted(table["quartier"].unique()) == ["dreieich", "lauf"]
    assert set(table["category"]) == {"office", "doctors"}
    legend = read_coverage_csv(workspace / "all.columns.csv")
    assert legend["column"].iloc[0] == "quartier"


def test_cli_isochrones_all_matches_the_single_quartier_command(workspace):
    every, single = workspace / "iso-all.gpkg", workspace / "iso-lauf.gpkg"
    args = ["--minutes", "5,10", "--profile", "wheelchair"]
    res = CliRunner().invoke(app, ["isochrones", "--all", "-o", str(every), *args])
    assert res.exit_code == 0, res.output
    assert "3 of 3 quartiers done" in res.output
    res = CliRunner().invoke(app, ["isochrones", "lauf", "-o", str(single), *args])
    assert res.exit_code == 0, res.output
    areas = gpd.read_file(every, layer="isochrones")
    assert areas.columns[0] == "quartier"
    assert sorted(areas["quartier"].unique()) == sorted(QUARTIERS)
    minutes = areas.groupby("quartier")["minutes"].apply(sorted)
    assert all(m == [5, 10] for m in minutes), minutes
    lauf = areas[areas["quartier"] == "lauf"].drop(columns="quartier").reset_index(drop=True)
    alone = gpd.read_file(single, layer="isochrones")
    pd.testing.assert_frame_equal(
        pd.DataFrame(lauf.drop(columns="geometry")), pd.DataFrame(alone.drop(columns="geometry"))
    )
    assert lauf.geometry.geom_equals_exact(alone.geometry, tolerance=1e-9).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all", "--gpkg", "x.gpkg"], "--gpkg applies to one quartier"),
        ([], "name a QUARTIER"),
        (["lauf", "--all"], "not both"),
        (["lauf", "--workers", "2"], "only apply with --all"),
        (["--all", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    ],
)
def test_cli_all_option_errors(workspace, args, message):
    csv = workspace / "bad.csv"
    res = CliRunner().invoke(app, ["access", "-o", str(csv), *args])
    assert res.exit_code != 0
    assert message in str(res.exception)
    assert not csv.exists()


def test_cli_isochrones_all_refuses_a_single_place(workspace):
    out = workspace / "bad.gpkg"
    res = CliRunner().invoke(app, ["isochrones", "--all", "-o", str(out), "--at", "11.28,49.51"])
    assert res.exit_code != 0 and "--at applies to one quartier" in str(res.exception)
    assert not out.exists()
