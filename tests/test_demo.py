"""The main job, ``geoquartier demo``, as a new user runs it (without the server): import,
maps, documents and the example scenario."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from geoquartier.layers.store import GeoPackageStore


def _run_demo(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment.update(
        GEOQUARTIER_WORKSPACE=str(tmp_path / "ws" / "geoquartier.gpkg"),
        GEOQUARTIER_MAPS=str(tmp_path / "maps"),
        GEOQUARTIER_PARTICIPATION_DB=str(tmp_path / "ws" / "participation.sqlite"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "geoquartier", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
        check=False,
    )


def test_demo_without_data_stops_with_one_message_saying_what_to_provide(tmp_path):
    result = _run_demo(tmp_path, GEOQUARTIER_DATA=str(tmp_path / "no-data-here"))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "GEOQUARTIER_DATA" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "maps").exists()


@pytest.mark.slow
def test_demo_imports_the_model_quartiers_and_writes_their_maps(tmp_path):
    result = _run_demo(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    # a summary per quartier with layers, residents and offices with their open-now state
    assert "Neu Olvenstedt (neu-olvenstedt)" in out
    assert "residents: 11,677 (Zensus 2022" in out
    assert "office: Büro für Stadtteilarbeit — opening hours unknown; location approximate" in out
    assert "Lauf an der Pegnitz – Innenstadt (lauf)" in out
    assert "Dreieich – Dreieichenhain (dreieich)" in out
    assert out.count("office: ") >= 3
    assert any(state in out for state in ("open now", "closed now"))
    # quartiers whose data come only from Overpass are named, with how to get them
    assert "batenbrock: not imported" in out
    assert "geoquartier demo --online" in out
    # every map printed exists: 3 quartiers x 5 languages
    maps = sorted((tmp_path / "maps").glob("*.html"))
    assert len(maps) == 15
    for path in maps:
        assert str(path) in out
    store = GeoPackageStore(tmp_path / "ws" / "geoquartier.gpkg")
    # Alt-Hamborn has a boundary in the data: imported offline without its OSM layers
    assert set(store.read("quartiers")["id"]) == {
        "neu-olvenstedt",
        "alt-hamborn",
        "lauf",
        "dreieich",
    }
    assert "office: Stadtteilbüro Alt-Hamborn" in out
    assert int(store.read("population", quartier="neu-olvenstedt")["residents"].sum()) == 11677
    # the documents of every imported quartier: A3 workshop map, flyers de + tr, report
    docs = sorted((tmp_path / "maps" / "documents").glob("*.pdf"))
    assert len(docs) == 4 * 4
    for path in docs:
        assert str(path) in out and path.read_bytes().startswith(b"%PDF")
    flyer = (tmp_path / "maps" / "documents" / "lauf-angebote-tr.pdf").read_bytes()
    assert "Stadtteilbüro Lauf (Demo)" in _pdf_text(flyer)
    # the published example scenario of Lauf and its comparison
    from geoquartier.mobility.scenarios import list_scenarios

    scenarios = list_scenarios(tmp_path / "ws" / "geoquartier.gpkg", "lauf")
    assert list(scenarios["status"]) == ["published"] and list(scenarios["edits"]) == [2]
    assert f"Example scenario {scenarios['id'].iloc[0]} of lauf" in out
    assert "edit 1 (way_add): 1 new edge(s), 3 m" in out
    assert "edit 2 (way_tags): tags set on 1 edge(s)" in out
    assert "wheelchair:" in out and "walk less" in out
    # the example measure names the scenario; Lauf's map has the scenario's layer and the
    # measure's "residents gaining access"
    measures = store.read("measures", quartier="lauf")
    assert list(measures["scenario_id"]) == [scenarios["id"].iloc[0]]
    assert "(Beispiel)" in measures["name"].iloc[0]
    lauf_map = next(p for p in maps if "lauf" in p.name and p.name.endswith("de.html"))
    html = lauf_map.read_text(encoding="utf-8")
    assert f"scenario-{scenarios['id'].iloc[0]}" in html
    assert "Bewohner mit neuem Zugang" in html


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
