"""The whole import pipeline (registry → readers → validate → one store write) and its CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import osmnx as ox
import pytest

from geoquartier.config import PROJECT_ROOT, registry_path
from geoquartier.errors import DataMissingError, ValidationError
from geoquartier.importer import import_all, import_quartier
from geoquartier.layers.sources import osm, population
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import load_registry
from geoquartier.settings import reload_settings


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def neu_olvenstedt(registry, tmp_path_factory):
    store = GeoPackageStore(tmp_path_factory.mktemp("ws") / "ws.gpkg")
    summary = import_quartier(registry["neu-olvenstedt"], store, progress=False)
    return store, summary


def test_neu_olvenstedt_summary(neu_olvenstedt):
    _, summary = neu_olvenstedt
    assert summary.counts == {
        "pois": 47,
        "stops": 30,
        "population": 179,
        "offices": 1,
        "quartiers": 1,
    }
    assert summary.residents == 11677
    assert summary.population_source.startswith("Zensus 2022")
    [office] = summary.offices
    assert office.name == "Büro für Stadtteilarbeit"
    assert office.placed and office.location_quality == "approximate"
    assert office.open_now is None  # the seed text gives no opening hours
    text = "\n".join(summary.lines())
    assert "residents: 11,677" in text and "stops 30" in text


def test_neu_olvenstedt_layers_in_the_store(neu_olvenstedt, neu_olvenstedt_poi_counts):
    store, _ = neu_olvenstedt
    quartier = store.read("quartiers", quartier="neu-olvenstedt")
    assert len(quartier) == 1
    row = quartier.iloc[0]
    assert (row["name"], row["state"], row["population"]) == ("Neu Olvenstedt", "DE-ST", 11677)
    assert row["boundary_quality"] == "official"
    assert quartier.to_crs("EPSG:25832").area.iloc[0] == pytest.approx(3.355e6, rel=0.01)
    assert int(store.read("population", quartier="neu-olvenstedt")["residents"].sum()) == 11677
    pois = store.read("pois", quartier="neu-olvenstedt")
    assert pois["category"].value_counts().to_dict() == neu_olvenstedt_poi_counts
    stops = store.read("stops", quartier="neu-olvenstedt")
    assert "Magdeburg, Scharnhorstring" in set(stops["name"])
    office = store.read("offices", quartier="neu-olvenstedt").iloc[0]
    # Placed at the GTFS stop "Scharnhorstring" (a labelled proxy), never invented.
    assert (office.geometry.x, office.geometry.y) == pytest.approx((11.587042, 52.150394))
    assert "bus stop" in office["location_note"]


def test_reimport_replaces_instead_of_adding(neu_olvenstedt, registry):
    store, first = neu_olvenstedt
    again = import_quartier(registry["neu-olvenstedt"], store, progress=False)
    assert again.counts == first.counts
    assert len(store.read("stops", quartier="neu-olvenstedt")) == 30


@pytest.mark.slow
def test_dreieich_network_quartier_with_estimated_residents(registry, tmp_path):
    spec = registry["dreieich"]
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    monday_evening = datetime(2026, 11, 23, 17, 0)  # office: Mo 16:00-19:00
    summary = import_quartier(spec, store, progress=False, now=monday_evening)
    direct = osm.read_extract(
        spec.source_path("osm_extract"), "dreieich", polygon=spec.boundary, state=spec.state
    )
    for layer in ("services", "buildings", "addresses", "stops", "pois"):
        assert summary.counts[layer] == len(getattr(direct, layer)) > 0, layer
    assert 0 < summary.counts["buildings"] < 3771  # the planning area is part of the extract
    estimate = population.estimate_from_buildings(direct.buildings, "dreieich")
    assert summary.residents == int(estimate["residents"].sum()) > 0
    assert "estimate" in summary.population_source
    [office] = summary.offices
    assert office.open_now is True and office.location_quality == "exact"
    tuesday = import_quartier(spec, store, progress=False, now=datetime(2026, 11, 24, 17, 0))
    assert tuesday.offices[0].open_now is False
    assert store.read("quartiers", quartier="dreieich").iloc[0]["population"] == summary.residents


def test_a_rejected_layer_writes_nothing(neu_olvenstedt, tmp_path):
    store, _ = neu_olvenstedt
    before = store.path.read_bytes()
    text = registry_path().read_text(encoding="utf-8")
    marker = 'name = "Büro für Stadtteilarbeit"\n'
    assert marker in text
    broken = tmp_path / "quartiers.toml"
    broken.write_text(
        text.replace(marker, marker + 'opening_hours = "Di 10 bis 13 Uhr"\n'), encoding="utf-8"
    )
    spec = load_registry(broken)["neu-olvenstedt"]
    with pytest.raises(ValidationError) as info:
        import_quartier(spec, store, progress=False)
    assert "opening_hours" in str(info.value)
    assert "neu-olvenstedt-buero-stadtteilarbeit" in str(info.value)
    assert store.path.read_bytes() == before


def _closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/api"


def test_without_data_and_network_one_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOQUARTIER_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    monkeypatch.setattr(ox.settings, "overpass_url", _closed_port_url())
    monkeypatch.setattr(ox.settings, "nominatim_url", _closed_port_url())
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    monkeypatch.setattr(ox.settings, "cache_folder", ox.settings.cache_folder)
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    registry = load_registry()
    with pytest.raises(DataMissingError, match="GEOQUARTIER_DATA"):
        import_quartier(registry["neu-olvenstedt"], store, progress=False)
    with pytest.raises(DataMissingError) as info:
        import_all(registry, store, progress=False)
    message = str(info.value)
    assert message.startswith("no quartier could be imported")
    assert "GEOQUARTIER_DATA" in message and "network" in message
    assert not store.path.exists()


# -- CLI ---------------------------------------------------------------------------------------
def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-c", "from geoquartier.cli.app import main; main()", *args],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=PROJECT_ROOT,
        timeout=600,
    )


def test_cli_import_quartier(tmp_path):
    env = {"GEOQUARTIER_WORKSPACE": str(tmp_path / "ws.gpkg")}
    done = _cli("import", "neu-olvenstedt", "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    assert "residents: 11,677" in done.stdout and "stops 30" in done.stdout
    assert "Büro für Stadtteilarbeit" in done.stdout
    assert (tmp_path / "ws.gpkg").is_file()


def test_cli_source_commands(tmp_path):
    from geoquartier.config import data_dir

    md = data_dir() / "neu_olvenstedt_magdeburg"
    env = {"GEOQUARTIER_WORKSPACE": str(tmp_path / "ws.gpkg")}
    csv = tmp_path / "services.csv"
    csv.write_text(
        "name,category,lon,lat\nSchuldnerberatung,debt,11.587042,52.150394\n", encoding="utf-8"
    )
    for args, summary in [
        (
            ("import-zensus", str(md / "magdeburg_zensus2022_bevoelkerung_100m_epsg3035.geojson")),
            "179 grid cells, 11,677 residents",
        ),
        (
            ("import-gtfs", str(md / "magdeburg_gtfs_mvb_nasa_20260605.zip")),
            "stops: 30 features",
        ),
        (("import-file", str(csv), "--layer", "services"), "services: 1 features"),
    ]:
        done = _cli(*args, "--quartier", "neu-olvenstedt", env=env)
        assert done.returncode == 0, done.stderr
        assert summary in done.stdout
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    assert {"population", "stops", "services"} <= set(store.layers())


@pytest.mark.slow
def test_cli_import_osm_extract(tmp_path):
    from geoquartier.config import data_dir

    env = {"GEOQUARTIER_WORKSPACE": str(tmp_path / "ws.gpkg")}
    done = _cli(
        "import-osm",
        "--extract",
        str(data_dir() / "dreieich" / "dreieich_osm.osm.bz2"),
        "--quartier",
        "dreieich",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    buildings = GeoPackageStore(tmp_path / "ws.gpkg").read("buildings", quartier="dreieich")
    assert f"buildings: {len(buildings):,} features" in done.stdout
    assert 0 < len(buildings) < 3771  # cut to the registry's planning area


def test_cli_user_errors_are_one_line_exit_2(tmp_path):
    env = {"GEOQUARTIER_WORKSPACE": str(tmp_path / "ws.gpkg")}
    bad = tmp_path / "offices.csv"
    bad.write_text("name,strasse\nBüro,Scharnhorstring 38\n", encoding="utf-8")
    done = _cli("import-file", str(bad), "--layer", "offices", "--quartier", "x", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no coordinate columns" in done.stderr
    assert "Traceback" not in done.stderr
    empty = _cli(
        "import",
        "neu-olvenstedt",
        "--quiet",
        env={**env, "GEOQUARTIER_DATA": str(tmp_path / "nothing")},
    )
    assert empty.returncode == 2
    assert "GEOQUARTIER_DATA" in empty.stderr and "Traceback" not in empty.stderr
    neither = _cli("import", env=env)
    assert neither.returncode == 2 and "--all" in neither.stderr
    assert not Path(tmp_path / "ws.gpkg").exists()


def test_cli_help_reads_for_planners():
    done = _cli("import-file", "--help")
    assert done.returncode == 0
    assert "CSV" in done.stdout and "--layer" in done.stdout
    assert "Overpass" in _cli("import-osm", "--help").stdout


def test_offline_network_quartier_keeps_boundary_and_offices(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    monkeypatch.setattr(ox.settings, "overpass_url", _closed_port_url())
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    monkeypatch.setattr(ox.settings, "cache_folder", ox.settings.cache_folder)
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    summary = import_quartier(
        registry["alt-hamborn"], store, progress=False, now=datetime(2026, 11, 24, 11, 0)
    )  # a Tuesday, 11:00
    assert summary.counts == {"offices": 0, "quartiers": 1}
    assert any("OpenStreetMap layers not imported" in n and "--extract" in n for n in summary.notes)
    [office] = summary.offices
    assert office.name == "Stadtteilbüro Alt-Hamborn" and not office.placed
    assert office.open_now is True  # Tu 10:00-13:00
    row = store.read("quartiers", quartier="alt-hamborn").iloc[0]
    assert row["boundary_quality"] == "enclosing_district"
