"""The main job, ``geoquartier demo``, as a new user runs it (without the server)."""

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
