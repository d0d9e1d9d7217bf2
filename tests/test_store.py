"""GeoPackage store: exact round trips of real layers, quartier replacement, atomic writes."""

from __future__ import annotations

import os
import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.geopandas
import pytest
import shapely
import store_frames
from shapely.geometry import Point
from store_frames import (
    assert_same_frames,
    boundary_frame,
    cells_frame,
    events_frame,
    stops_frame,
)

from geoquartier.errors import ValidationError
from geoquartier.layers import LAYERS, validate
from geoquartier.layers.store import GeoPackageStore


@pytest.fixture(scope="module")
def boundary() -> gpd.GeoDataFrame:
    return boundary_frame()


@pytest.fixture(scope="module")
def cells() -> gpd.GeoDataFrame:
    return cells_frame()


@pytest.fixture(scope="module")
def stops() -> gpd.GeoDataFrame:
    return stops_frame()


def test_round_trip_keeps_crs_types_lists_datetimes_geometries(tmp_path, boundary, cells, stops):
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    q = "neu-olvenstedt"
    frames = {
        "quartiers": boundary,
        "population": cells,
        "stops": stops,
        "offices": store_frames.offices_frame(),
        "events": events_frame(),
    }
    counts = store.write_many(frames, quartier=q)
    assert counts == {"quartiers": 1, "population": 179, "stops": 30, "offices": 1, "events": 2}
    assert sorted(store.layers()) == sorted(frames)
    for layer, gdf in frames.items():
        expected = validate(gdf.assign(quartier=q) if layer != "quartiers" else gdf, layer)
        assert_same_frames(expected, store.read(layer))
    offices = store.read("offices")
    assert offices["languages"].iloc[0] == ["de", "ru", "ar"]
    ev = store.read("events")
    assert ev["start"].iloc[0] == pd.Timestamp("2026-06-04 16:00:00.250", tz="UTC")
    assert pd.isna(ev["end"].iloc[1])
    assert int(store.read("population")["residents"].sum()) == 11677


def test_file_is_a_standard_geopackage(tmp_path, boundary, stops):
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_many(
        {"quartiers": boundary, "stops": stops}, quartier="neu-olvenstedt"
    )
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        rows = dict(con.execute("SELECT table_name, srs_id FROM gpkg_contents").fetchall())
        assert rows == {"quartiers": 4326, "stops": 4326}
        geom = dict(
            con.execute(
                "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"
            ).fetchall()
        )
        assert geom == {"quartiers": "MULTIPOLYGON", "stops": "POINT"}
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        langs = con.execute(
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'"
        ).fetchone()[0]
        assert langs == 2  # a spatial index per layer
    finally:
        con.close()
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not the private temp-file mode


def test_replacing_one_quartier_keeps_the_others(tmp_path, stops):
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    store.write("stops", stops, quartier="neu-olvenstedt")
    other = gpd.GeoDataFrame(
        {"id": ["x1"], "name": ["Halt"]}, geometry=[Point(11.62, 52.13)], crs=4326
    )
    store.write("stops", other, quartier="magdeburg-sued")
    assert len(store.read("stops")) == 31
    store.write("stops", stops.iloc[:5], quartier="neu-olvenstedt")
    assert len(store.read("stops", quartier="neu-olvenstedt")) == 5
    assert store.read("stops", quartier="magdeburg-sued")["id"].tolist() == ["x1"]
    # an id used by another quartier is rejected and nothing changes
    before = store.path.read_bytes()
    clash = other.assign(id=[stops["id"].iloc[0]])
    with pytest.raises(ValidationError, match="another quartier"):
        store.write("stops", clash, quartier="magdeburg-sued")
    assert store.path.read_bytes() == before
    # rows naming another quartier than the one written are rejected
    with pytest.raises(ValidationError, match="quartier"):
        store.write("stops", other.assign(quartier="elsewhere"), quartier="magdeburg-sued")
    assert store.path.read_bytes() == before
    # without a quartier the whole layer is replaced
    store.write("stops", other.assign(quartier="magdeburg-sued"))
    assert len(store.read("stops")) == 1


def test_read_bbox_and_missing_layer(tmp_path, cells):
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    assert not store.exists() and store.layers() == []
    store.write("population", cells, quartier="neu-olvenstedt")
    bbox = (11.58, 52.14, 11.59, 52.15)
    part = store.read("population", bbox=bbox)
    box = shapely.box(*bbox)
    expected = validate(cells.assign(quartier="neu-olvenstedt"), "population")
    expected = expected[expected.intersects(box)]
    assert 0 < len(part) < 179
    assert sorted(part["id"]) == sorted(expected["id"])
    empty = store.read("offices")
    assert len(empty) == 0 and list(empty.columns) == LAYERS["offices"].columns + ["geometry"]
    assert store.exists("population") and not store.exists("offices")


def test_failed_write_halfway_leaves_previous_file_intact(tmp_path, monkeypatch, stops, cells):
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    store.write("stops", stops, quartier="neu-olvenstedt")
    before = store.path.read_bytes()

    real_write = pyogrio.geopandas.write
    calls = []

    def failing_write(*args, **kwargs):
        calls.append(kwargs.get("layer"))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")  # the disk fills up mid-way
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pyogrio.geopandas, "write", failing_write)
    with pytest.raises(OSError, match="No space left"):
        store.write_many(
            {"population": cells, "offices": store_frames.offices_frame()},
            quartier="neu-olvenstedt",
        )
    assert calls == ["population", "offices"]  # the first layer was written, then it failed
    monkeypatch.undo()

    assert store.path.read_bytes() == before
    assert store.layers() == ["stops"]
    assert len(store.read("stops")) == 30
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("ws.gpkg", "ws.gpkg.lock")]
    assert leftovers == []


def test_failed_first_write_creates_no_file(tmp_path, monkeypatch, cells):
    store = GeoPackageStore(tmp_path / "ws.gpkg")

    def failing_write(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(pyogrio.geopandas, "write", failing_write)
    with pytest.raises(OSError):
        store.write("population", cells, quartier="neu-olvenstedt")
    assert not store.path.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["ws.gpkg.lock"]


def test_invalid_layer_in_write_many_writes_nothing(tmp_path, stops, cells):
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    store.write("stops", stops, quartier="neu-olvenstedt")
    before = store.path.read_bytes()
    bad = store_frames.offices_frame().assign(languages=[["de", "klingon"]])
    with pytest.raises(ValidationError) as err:
        store.write_many({"population": cells, "offices": bad}, quartier="neu-olvenstedt")
    assert err.value.layer == "offices"
    assert "feature 0 (id='no-buero'): field 'languages'" in str(err.value)
    assert store.path.read_bytes() == before


def test_delete_quartier(tmp_path, stops):
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    store.write("stops", stops, quartier="neu-olvenstedt")
    store.delete("stops", quartier="neu-olvenstedt")
    assert len(store.read("stops")) == 0 and store.exists("stops")


def test_unreadable_file_is_a_user_error(tmp_path):
    from geoquartier.errors import GeoquartierError

    path = tmp_path / "ws.gpkg"
    path.write_text("not a database", encoding="utf-8")
    with pytest.raises(GeoquartierError, match="not a readable GeoPackage"):
        GeoPackageStore(path).read("stops")
