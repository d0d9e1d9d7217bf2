"""Monitoring snapshots (geoquartier/reports/monitor.py, ``geoquartier monitor``) on the real
Lauf data: append-only rows in the workspace, the trend table, the trend in the report."""

from __future__ import annotations

import shutil

import pyogrio
import pytest
from typer.testing import CliRunner

from tests.api_fixtures import api_workspace  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture()
def workspace(api_workspace, tmp_path, monkeypatch):  # noqa: F811
    """A copy of the API workspace (Lauf, Neu Olvenstedt) and a participation database
    with three Lauf contributions: one approved, one rejected, one pending."""
    from shapely.geometry import Point

    from api.participation.store import open_store
    from geoquartier.settings import reload_settings

    gpkg = tmp_path / "ws.gpkg"
    shutil.copyfile(api_workspace.gpkg, gpkg)
    db = tmp_path / "p.sqlite"
    store = open_store(db)
    user, _ = store.add_user("moderation", "moderator")
    made = [store.add_annotation("lauf", Point(11.279, 49.51), "idea", f"t{i}") for i in range(3)]
    store.decide(made[0]["id"], "approved", user)
    store.decide(made[1]["id"], "rejected", user, reason="off topic")
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(gpkg))
    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_DB", str(db))
    reload_settings()
    yield gpkg
    monkeypatch.undo()
    reload_settings()


def _run(*args):
    import geoquartier.cli  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app

    return CliRunner().invoke(app, list(args))


def test_snapshots_are_appended_and_listed_as_a_trend(workspace):
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry
    from geoquartier.reports.data import collect_document_data
    from geoquartier.reports.monitor import read_snapshots
    from geoquartier.reports.report import report_html, walking_access

    res = _run("monitor", "list", "lauf")
    assert res.exit_code == 0 and "no snapshots of lauf" in res.output
    res = _run("monitor", "snapshot", "lauf")
    assert res.exit_code == 0, res.output
    assert "13,034 residents" in res.output and "approved 1, rejected 1" in res.output
    first = read_snapshots(workspace, "lauf")
    data = collect_document_data(load_registry()["lauf"], GeoPackageStore(workspace))
    assert "Trend" not in report_html(data, lang="en")  # one snapshot: no trend yet
    # the stored shares are the report's walking access
    cov = walking_access(data).set_index(["category", "profile", "threshold_min"])
    stored = first[first["indicator"] == "coverage_share"]
    stored = stored.set_index(["category", "profile", "threshold_min"])["value"]
    assert len(stored) == len(cov) > 100
    assert (stored - cov["share_within"].reindex(stored.index)).abs().max() < 1e-12
    ann = first[first["indicator"] == "annotations"].set_index("status")["value"].to_dict()
    assert ann == {"pending": 1, "approved": 1, "rejected": 1}
    assert first.loc[first["indicator"] == "residents", "value"].item() == 13034
    # a second snapshot adds rows and keeps the first ones unchanged
    assert _run("monitor", "snapshot", "lauf").exit_code == 0
    both = read_snapshots(workspace, "lauf")
    assert len(both) == 2 * len(first) and both["taken_at"].nunique() == 2
    assert both.iloc[: len(first)].reset_index(drop=True).equals(first)
    assert "monitoring" in {str(n) for n, _ in pyogrio.list_layers(workspace)}
    res = _run("monitor", "list", "lauf")
    assert res.exit_code == 0, res.output
    assert "2 snapshot(s) of lauf" in res.output
    assert "residents" in res.output and "13,034" in res.output
    assert "coverage 10 min, mean of" in res.output and "(wheelchair)" in res.output
    res = _run("monitor", "list", "lauf", "--category", "pharmacy")
    assert "coverage pharmacy senior 15 min" in res.output
    html = report_html(data, lang="en")
    assert "Trend of the indicators" in html and html.count("<svg") >= 2


def test_snapshot_of_an_unknown_quartier_is_a_one_line_error(workspace):
    from geoquartier.errors import GeoquartierError

    res = _run("monitor", "snapshot", "atlantis")
    # a GeoquartierError: the entry point prints it as one 'error:' line
    assert res.exit_code != 0 and isinstance(res.exception, GeoquartierError)
    assert "unknown quartier 'atlantis'" in str(res.exception)


def test_cli_report_counts_contributions_by_status(workspace, tmp_path):
    out = tmp_path / "bericht.html"
    res = _run("report", "lauf", "--lang", "en", "-o", str(out))
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    # idea: pending 1, approved 1, rejected 1, total 3; no texts
    assert "Participation" in page and "Events: 0" in page
    assert (
        '<td class="num">1</td><td class="num">1</td><td class="num">1</td><td class="num">3</td>'
        in page
    )
    assert "off topic" not in page and ">t0<" not in page
