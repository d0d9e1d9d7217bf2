"""The sections of the local-mobility report drawn from the walking analysis and the
workspace (geoquartier/reports/sections.py, geoquartier/mobility/barriers.py), on the real
Lauf data: worst-served places with addresses, barriers of the walk network, published
scenarios and stored location results, each with its source and date."""

from __future__ import annotations

import json
import shutil
from functools import cache

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point
from test_documents import pdf_text
from test_maps_support import imported_workspace

from geoquartier.config import ANALYSIS_CRS
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import load_registry
from geoquartier.reports.data import collect_document_data
from geoquartier.reports.i18n import DocTranslator
from geoquartier.reports.report import access_analysis, report_html, report_pdf
from geoquartier.reports.sections import (
    WORST_THRESHOLD_MIN,
    barrier_figures,
    osm_data_date,
    section_values,
    stored_locations,
    worst_served,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def lauf_store(tmp_path_factory) -> GeoPackageStore:
    return imported_workspace(tmp_path_factory.mktemp("sections-ws"), ("lauf",))


@cache
def _lauf(path: str):
    data = collect_document_data(load_registry()["lauf"], GeoPackageStore(path))
    return data, access_analysis(data)


@pytest.fixture(scope="module")
def lauf(lauf_store):
    return _lauf(str(lauf_store.path))


def test_steps_count_equals_the_steps_edges_of_the_quartier(lauf):
    data, _ = lauf
    found = barrier_figures(data)
    edges = data.network.edges_gdf().to_crs(ANALYSIS_CRS)
    boundary = data.layers["quartiers"].to_crs(ANALYSIS_CRS).union_all()
    inside = edges[edges.intersects(boundary)]
    steps = inside[inside["highway"].astype(str).str.contains("steps")]
    assert found.edges == len(inside) > 1000
    assert found.steps == len(steps) > 0
    assert found.steps_length_m == pytest.approx(steps["length_m"].sum())
    # every step is a barrier for the wheelchair profile, and more ways are
    assert found.wheelchair_blocked > found.steps
    assert 0 < found.wheelchair_blocked_share < 0.5
    surface = inside["surface"].isna()
    assert found.untagged_share["surface"] == pytest.approx(
        inside.loc[surface, "length_m"].sum() / inside["length_m"].sum()
    )
    assert 0 <= found.untagged_share["incline"] <= 1


def test_worst_served_residents_match_the_coverage(lauf):
    data, (cov, nearest, _) = lauf
    blocks = worst_served(data, nearest)
    assert blocks
    standard = cov[(cov["profile"] == "standard") & (cov["threshold_min"] == WORST_THRESHOLD_MIN)]
    for block in blocks:
        row = standard[standard["category"] == block["category"]].iloc[0]
        beyond = row["residents_total"] - row["residents_within"]
        assert block["residents_beyond"] == pytest.approx(beyond, rel=1e-6)
        residents = [p["residents"] for p in block["places"]]
        assert residents == sorted(residents, reverse=True)
        assert all(p["walk_min"] > WORST_THRESHOLD_MIN for p in block["places"])
    assert [b["residents_beyond"] for b in blocks] == sorted(
        (b["residents_beyond"] for b in blocks), reverse=True
    )
    # Lauf's homes carry OSM addresses: the worst-served homes are named by them
    named = [p["address"] for b in blocks for p in b["places"]]
    assert sum(bool(a) for a in named) >= 0.8 * len(named)
    assert any("straße" in a.lower() for a in named)


def test_the_network_data_date_is_the_newest_osm_object(lauf):
    data, _ = lauf
    when = osm_data_date(data.network.source)
    assert when is not None and when.date().isoformat() == "2020-01-14"  # see SOURCES.md


def test_report_has_the_sections_with_sources_and_dates(lauf, tmp_path):
    data, _ = lauf
    pdf = report_pdf(data, lang="de")
    text = pdf_text(pdf)
    for heading in (
        "Am schlechtesten versorgte Orte",
        "Barrieren im Fußwegenetz",
        "Treppen",
        "Veröffentlichte Szenarien",
        "Standortergebnisse",
    ):
        assert heading in text, heading
    assert "lauf_an_der_pegnitz_walk_osm.osm.bz2 vom 14. Januar 2020" in text
    assert text.count("Berechnet am") >= 2
    found = barrier_figures(data)
    assert f"Treppen {found.steps} " in text
    tr_html = report_html(data, lang="bg")
    assert "Бариери в пешеходната мрежа" in tr_html and "Стълби" in tr_html


def test_published_scenario_and_stored_location_are_listed(lauf, lauf_store, tmp_path):
    from geoquartier.mobility.locate import quartier_locate
    from geoquartier.mobility.planning_inputs import default_candidates, planning_facilities
    from geoquartier.mobility.scenarios import Scenario, save_scenario

    copy = tmp_path / "ws.gpkg"
    shutil.copy(lauf_store.path, copy)
    data, (cov, nearest, facilities) = lauf
    spec = data.spec
    # a published scenario: a new pharmacy in the north-east, where residents walk far
    scenario = Scenario(quartier="lauf", title="Apotheke <Nord>", author="test")
    scenario.add("facility_add", Point(11.2935, 49.5185), category="pharmacy", name="neu")
    scenario.publish()
    save_scenario(copy, scenario)
    draft = Scenario(quartier="lauf", title="Entwurf")
    save_scenario(copy, draft)
    # a stored run of 'geoquartier locate' (greedy, one site)
    store = GeoPackageStore(copy)
    fac = planning_facilities(store, "lauf")
    cand = default_candidates(spec, store, fac, "pharmacy")
    result = quartier_locate(
        data.network, data.layers["population"], cand, fac, spec, "pharmacy",
        minutes=10, sites=1, greedy=True,
    )  # fmt: skip
    pyogrio.write_dataframe(result.run_row(), copy, layer="locate_runs", driver="GPKG")
    pyogrio.write_dataframe(result.sites, copy, layer="locate_sites", driver="GPKG")
    # the same run as the workspace keeps it (planning_runs: figures as JSON text)
    kept = pd.DataFrame([{
        "run_id": "kept1", "quartier": "lauf", "kind": "locate", "name": "latest",
        "created": "2026-12-01T10:00:00+00:00", "text": result.text(),
        "summary": json.dumps({k: (None if v != v else v) for k, v in result.summary.items()
                               if not hasattr(v, "item")} | {
            "residents_newly_within": float(result.summary["residents_newly_within"])}),
    }], dtype="string")  # fmt: skip
    pyogrio.write_dataframe(kept, copy, layer="planning_runs", driver="GPKG")
    pyogrio.write_dataframe(
        result.sites.assign(run_id="kept1"), copy, layer="planning_sites", driver="GPKG"
    )

    moved = collect_document_data(spec, GeoPackageStore(copy))
    runs = stored_locations(moved)
    assert len(runs) == 2 and [r["sites"] for r in runs] == [1, 1]
    assert {r["name"] for r in runs} == {"latest", ""}
    for run in runs:
        assert run["names"] and run["category"] == "pharmacy"
        assert run["residents_newly_within"] == pytest.approx(
            result.summary["residents_newly_within"]
        )
    values = section_values(moved, nearest, facilities, DocTranslator("de"))
    [row] = values["scenarios"]  # the draft is not listed
    assert row["title"] == "Apotheke <Nord>" and row["edits"] == 1
    assert row["gain"]["category"] == "pharmacy" and row["gain"]["residents"] > 0
    assert row["gain_text"].startswith("+") and row["gain_text"].endswith("Apotheke")
    html = report_html(moved, lang="en")
    assert "Apotheke &lt;Nord&gt;" in html
    assert runs[0]["created"] in html
    assert values["locations"][0]["gain"].startswith("+")


def test_quartier_without_network_says_barriers_are_unknown(tmp_path_factory):
    store = imported_workspace(tmp_path_factory.mktemp("no-net"), ("neu-olvenstedt",))
    data = collect_document_data(load_registry()["neu-olvenstedt"], store)
    assert barrier_figures(data) is None
    text = pdf_text(report_pdf(data, lang="tr"))
    assert "Bu mahalle için yaya ağı yok" in text
    _, nearest, _ = access_analysis(data)
    assert worst_served(data, nearest)  # estimate times still rank the places
    assert isinstance(data.layers["addresses"], gpd.GeoDataFrame)


def test_report_command_prints_the_barriers(lauf, lauf_store, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import geoquartier.cli  # noqa: F401
    from geoquartier.cli.app import app
    from geoquartier.settings import reload_settings

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(lauf_store.path))
    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_DB", str(tmp_path / "none.sqlite"))
    reload_settings()
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", "lauf", "-o", str(out), "--lang", "tr"])
    assert res.exit_code == 0, res.output
    found = barrier_figures(lauf[0])
    assert f"{found.steps} steps, {found.wheelchair_blocked} ways closed to wheelchairs" in (
        res.output
    )
    assert "Yaya ağındaki engeller" in out.read_text(encoding="utf-8")
    reload_settings()
