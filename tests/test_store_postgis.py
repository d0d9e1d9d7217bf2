"""The layer store on both backends (GeoPackage, PostGIS): round trips of real layers,
atomic batches, migrations, dump/restore, and the PostGIS tables as GDAL/QGIS see them.

The PostGIS parameter needs ``GEOQUARTIER_TEST_DATABASE_URL`` (a database with the
postgis extension; ``.ci/run`` starts one with ``.ci/postgis start``). Each test works
in a fresh PostgreSQL schema that is dropped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import threading
import uuid

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point
from store_frames import (
    SCHARNHORSTRING,
    Q,
    assert_same_frames,
    boundary_frame,
    cells_frame,
    events_frame,
    offices_frame,
    stops_frame,
)
from typer.testing import CliRunner

from geoquartier.errors import GeoquartierError, ValidationError
from geoquartier.layers import LAYERS, validate
from geoquartier.layers.backend import get_layer_store
from geoquartier.layers.backup import dump_store, restore_store
from geoquartier.layers.migrations import LATEST_VERSION, MIGRATIONS_TABLE
from geoquartier.layers.postgis import PostGISStore
from geoquartier.layers.store import GeoPackageStore
from geoquartier.settings import Settings, reload_settings

TEST_URL = os.environ.get("GEOQUARTIER_TEST_DATABASE_URL")
NO_DATABASE = "GEOQUARTIER_TEST_DATABASE_URL is not set (a PostGIS database for the tests)"

needs_database = pytest.mark.skipif(TEST_URL is None, reason=NO_DATABASE)


# -- real layers of Neu Olvenstedt (Magdeburg) ----------------------------------------------


@pytest.fixture(scope="module")
def frames() -> dict[str, gpd.GeoDataFrame]:
    boundary, cells, stops = boundary_frame(), cells_frame(), stops_frame()
    return {
        "quartiers": boundary,
        "population": cells,
        "stops": stops,
        "offices": offices_frame(),
        "events": events_frame(),
    }


def _expected(layer: str, gdf: gpd.GeoDataFrame, quartier: str = Q) -> gpd.GeoDataFrame:
    return validate(gdf if layer == "quartiers" else gdf.assign(quartier=quartier), layer)


def _moved(gdf: gpd.GeoDataFrame, prefix: str) -> gpd.GeoDataFrame:
    """The same features under other ids (a second quartier for replacement tests)."""
    return gdf.assign(id=[f"{prefix}-{i}" for i in gdf["id"]])


# -- the two backends -----------------------------------------------------------------------


def _schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


_opened: list = []


def _pg(schema: str):
    """A PostGIS store in ``schema`` of the test database (closed when the test ends)."""
    store = PostGISStore(TEST_URL, schema=schema)
    _opened.append(store)
    return store


def _drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    while _opened:
        _opened.pop().close()
    with psycopg.connect(TEST_URL, autocommit=True) as conn:
        for name in (schema, _participation_schema(schema)):
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _participation_schema(schema: str) -> str:
    """Where a test's participation tables go when it sets ``GEOQUARTIER_DATABASE_URL``
    (which moves them into PostgreSQL too); dropped with ``schema``."""
    return f"{schema}_p"


@pytest.fixture
def pg_schema():
    if TEST_URL is None:
        pytest.skip(NO_DATABASE)
    schema = _schema_name()
    yield schema
    _drop_schema(schema)


@pytest.fixture(params=["geopackage", "postgis"])
def store(request, tmp_path):
    if request.param == "geopackage":
        yield GeoPackageStore(tmp_path / "ws.gpkg")
        return
    if TEST_URL is None:
        pytest.skip(NO_DATABASE)
    schema = _schema_name()
    yield _pg(schema)
    _drop_schema(schema)


# -- round trips and atomic writes ----------------------------------------------------------


def test_round_trip_of_real_layers_is_exact(store, frames):
    counts = store.write_many(frames, quartier=Q)
    assert counts == {"quartiers": 1, "population": 179, "stops": 30, "offices": 1, "events": 2}
    assert sorted(store.layers()) == sorted(frames)
    for layer, gdf in frames.items():
        assert_same_frames(_expected(layer, gdf), store.read(layer))
    assert store.read("offices")["languages"].iloc[0] == ["de", "ru", "ar"]
    ev = store.read("events")
    assert ev["start"].iloc[0] == pd.Timestamp("2026-06-04 16:00:00.250", tz="UTC")
    assert pd.isna(ev["end"].iloc[1])
    assert int(store.read("population")["residents"].sum()) == 11677
    assert store.schema_version() == LATEST_VERSION


def test_missing_layer_reads_empty_and_typed(store, frames):
    store.write("stops", frames["stops"], quartier=Q)
    empty = store.read("offices")
    assert len(empty) == 0 and list(empty.columns) == [*LAYERS["offices"].columns, "geometry"]
    assert not store.exists("offices") and store.exists("stops")


def test_replacing_one_quartier_keeps_the_others_and_their_order(store, frames):
    stops = frames["stops"]
    other = _moved(stops, "x")
    store.write("stops", other, quartier="other")
    store.write("stops", stops, quartier=Q)
    fewer = stops.iloc[:5]
    before = store.version()
    store.write("stops", fewer, quartier=Q)
    assert store.version() != before
    got = store.read("stops")
    assert list(got["quartier"]) == ["other"] * len(other) + [Q] * 5
    assert_same_frames(_expected("stops", fewer), store.read("stops", quartier=Q))
    assert_same_frames(_expected("stops", other, "other"), store.read("stops", quartier="other"))
    assert len(store.read("stops", quartier="o'brien")) == 0  # quotes are data, not SQL


def test_rejected_batch_writes_nothing(store, frames):
    store.write_many({"stops": frames["stops"], "offices": frames["offices"]}, quartier=Q)
    before = {layer: store.read(layer) for layer in ("stops", "offices")}
    # the offices of another quartier reuse an id: found only after the stops were replaced
    batch = {"stops": _moved(frames["stops"], "new"), "offices": frames["offices"]}
    with pytest.raises(ValidationError, match="not used by another quartier"):
        store.write_many(batch, quartier="other")
    bad = frames["offices"].assign(wheelchair="sometimes")  # unknown vocabulary value
    with pytest.raises(ValidationError, match="wheelchair"):
        store.write_many({"stops": frames["stops"].iloc[:1], "offices": bad}, quartier=Q)
    for layer, gdf in before.items():
        assert_same_frames(gdf, store.read(layer))


def test_bbox_and_delete(store, frames):
    store.write("population", frames["population"], quartier=Q)
    store.write("population", _moved(frames["population"], "x"), quartier="other")
    box = (11.58, 52.145, 11.59, 52.155)
    got = store.read("population", quartier=Q, bbox=box)
    region = shapely.box(*box)
    expected = frames["population"].to_crs(4326)
    assert 0 < len(got) < len(expected)
    assert set(got["id"]) == set(expected.loc[expected.intersects(region), "id"])
    store.delete("population", quartier=Q)
    assert set(store.read("population")["quartier"]) == {"other"}
    store.delete("population")
    assert len(store.read("population")) == 0


# -- migrations -----------------------------------------------------------------------------


def _unversioned(path) -> None:
    """Make ``path`` exactly what geoquartier wrote before versioning (no migrations table)."""
    with sqlite3.connect(path) as db:
        db.execute(f"DROP TABLE {MIGRATIONS_TABLE}")
    db.close()


def test_geopackage_of_the_previous_version_upgrades_in_place_without_losing_a_row(
    tmp_path, frames
):
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_many(frames, quartier=Q)
    _unversioned(path)
    old = GeoPackageStore(path)
    assert old.schema_version() == 0
    before = {layer: old.read(layer) for layer in old.layers()}
    assert sorted(before) == sorted(frames)

    settings = Settings(workspace=path, database_url=None)
    store = get_layer_store(settings)  # applied at start
    assert isinstance(store, GeoPackageStore) and store.schema_version() == LATEST_VERSION
    assert sorted(store.layers()) == sorted(frames)
    for layer, gdf in before.items():
        assert_same_frames(gdf, store.read(layer))
    assert store.upgrade() == []  # idempotent
    with sqlite3.connect(path) as db:
        rows = db.execute(f"SELECT version, name FROM {MIGRATIONS_TABLE}").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))


def test_write_to_an_unversioned_geopackage_upgrades_it(tmp_path, frames):
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write("stops", frames["stops"], quartier=Q)
    _unversioned(path)
    store = GeoPackageStore(path)
    store.write("offices", frames["offices"], quartier=Q)
    assert store.schema_version() == LATEST_VERSION
    assert len(store.read("stops")) == 30


def test_store_newer_than_the_code_is_a_clear_error(tmp_path, frames):
    path = tmp_path / "ws.gpkg"
    store = GeoPackageStore(path)
    store.write("stops", frames["stops"], quartier=Q)
    with sqlite3.connect(path) as db:
        db.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (999, 'future', 'x')")
    db.close()
    before = path.read_bytes()
    with pytest.raises(GeoquartierError, match="newer than this geoquartier"):
        get_layer_store(Settings(workspace=path))
    with pytest.raises(GeoquartierError, match="newer than this geoquartier"):
        store.write("offices", frames["offices"], quartier=Q)
    assert path.read_bytes() == before


def test_postgis_upgrade_creates_every_layer_and_is_idempotent(pg_schema):
    store = _pg(pg_schema)
    assert store.schema_version() == 0 and store.layers() == [] and not store.exists()
    assert [m.version for m in store.upgrade()] == list(range(1, LATEST_VERSION + 1))
    assert store.upgrade() == []
    assert store.schema_version() == LATEST_VERSION and store.exists()
    assert store.layers() == []  # tables, but no rows yet
    for layer in LAYERS:
        assert len(store.read(layer)) == 0


def test_postgis_tables_are_plain_postgis_layers_without_vocabulary_checks(pg_schema, frames):
    import psycopg

    _pg(pg_schema).write_many(frames, quartier=Q)
    with psycopg.connect(TEST_URL) as conn:
        columns = dict(
            conn.execute(
                "SELECT f_table_name, type FROM geometry_columns "
                "WHERE f_table_schema = %s AND srid = 4326",
                (pg_schema,),
            ).fetchall()
        )
        gist = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE "
                "'%%USING gist%%'",
                (pg_schema,),
            )
        }
        checks = conn.execute(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = %s AND c.contype = 'c' AND c.conrelid::regclass::text NOT LIKE "
            "'%%geoquartier_store_state%%'",
            (pg_schema,),
        ).fetchone()[0]
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'offices'",
                (pg_schema,),
            ).fetchall()
        )
    assert set(columns) == set(LAYERS) and set(gist) == set(LAYERS)
    assert columns["stops"] == "POINT" and columns["quartiers"] == "GEOMETRY"
    assert checks == 0  # vocabularies are checked in Python (validate), never by the database
    assert types["languages"] == "ARRAY" and types["name"] == "text"


def test_an_edit_in_qgis_is_seen_by_the_store(pg_schema, frames):
    """QGIS writes the tables directly: the change counter still moves, so the server's
    cached layer is re-read, and an inserted row gets the next fid."""
    import psycopg
    from psycopg import sql

    store = _pg(pg_schema)
    store.write("stops", frames["stops"], quartier=Q)
    before = store.version()
    table = sql.Identifier(pg_schema, "stops")
    with psycopg.connect(TEST_URL) as conn:
        conn.execute(sql.SQL("UPDATE {} SET name = 'Am Stern' WHERE fid = 1").format(table))
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (id, quartier, name, geom) "
                "VALUES ('qgis-1', %s, 'Neu', ST_SetSRID(ST_MakePoint(11.58, 52.15), 4326))"
            ).format(table),
            (Q,),
        )
    assert store.version() > before
    got = store.read("stops")
    assert got["name"].iloc[0] == "Am Stern" and got["id"].iloc[-1] == "qgis-1"
    assert len(got) == 31


def test_id_taken_by_an_outside_edit_meanwhile_is_a_clear_error(pg_schema, frames, monkeypatch):
    store = _pg(pg_schema)
    store.write("stops", frames["stops"], quartier="other")
    before = store.read("stops")

    def without_check(self, conn, layer, gdf, quartier):  # as if QGIS inserted meanwhile
        self._delete_rows(conn, layer, quartier)
        self._insert(conn, layer, gdf)

    monkeypatch.setattr(PostGISStore, "_replace_rows", without_check)
    with pytest.raises(GeoquartierError, match="nothing was written: Key \\(id\\)"):
        store.write_many({"offices": frames["offices"], "stops": frames["stops"]}, quartier=Q)
    assert_same_frames(before, store.read("stops"))
    assert len(store.read("offices")) == 0


def test_concurrent_writers_of_two_quartiers_both_land(store, frames):
    stops = frames["stops"]
    errors: list[BaseException] = []

    def write(quartier: str) -> None:
        try:
            for _ in range(3):
                store.write("stops", _moved(stops, quartier), quartier=quartier)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(q,)) for q in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = store.read("stops")
    assert sorted(got["quartier"].value_counts().items()) == [("a", 30), ("b", 30)]


# -- dump and restore -----------------------------------------------------------------------


def test_dump_wipe_restore_gives_back_every_row_and_geometry(store, frames, tmp_path):
    store.write_many(frames, quartier=Q)
    store.write("stops", _moved(frames["stops"], "x"), quartier="other")
    before = {layer: store.read(layer) for layer in store.layers()}
    dump = tmp_path / "backup.gpkg"
    counts = dump_store(store, dump)
    assert counts == {layer: len(gdf) for layer, gdf in before.items()}
    assert GeoPackageStore(dump).schema_version() == LATEST_VERSION

    for layer in LAYERS:  # wipe
        store.delete(layer)
    store.write("measures", _measure(), quartier=Q)  # not in the dump: emptied by restore
    assert all(len(store.read(layer)) == 0 for layer in before)

    assert restore_store(store, dump) == counts
    holding = [layer for layer in store.layers() if len(store.read(layer))]
    assert sorted(holding) == sorted(before)
    for layer, gdf in before.items():
        assert_same_frames(gdf, store.read(layer))
    assert len(store.read("measures")) == 0


def test_restore_of_a_bad_dump_changes_nothing(store, frames, tmp_path):
    store.write_many(frames, quartier=Q)
    dump = tmp_path / "backup.gpkg"
    dump_store(store, dump)
    raw = pyogrio.read_dataframe(dump, layer="stops")  # a hand-edited dump: an unknown value
    raw.loc[raw.index[-1], "wheelchair"] = "sometimes"
    pyogrio.write_dataframe(raw, dump, layer="stops", driver="GPKG")
    before = {layer: store.read(layer) for layer in store.layers()}
    with pytest.raises(ValidationError, match="wheelchair"):
        restore_store(store, dump)
    for layer, gdf in before.items():
        assert_same_frames(gdf, store.read(layer))


@needs_database
def test_dump_of_postgis_restores_into_a_geopackage(pg_schema, frames, tmp_path):
    pg = _pg(pg_schema)
    pg.write_many(frames, quartier=Q)
    dump_store(pg, tmp_path / "city.gpkg")
    gpkg = GeoPackageStore(tmp_path / "copy.gpkg")
    restore_store(gpkg, tmp_path / "city.gpkg")
    for layer in frames:
        assert_same_frames(pg.read(layer), gpkg.read(layer))


def _measure() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["m1"], "name": ["Spielplatz"], "status": ["planned"]},
        geometry=[Point(*SCHARNHORSTRING)],
        crs="EPSG:4326",
    )


# -- GDAL's PostgreSQL driver (what QGIS uses) ----------------------------------------------


def _pg_datasource(schema: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(TEST_URL)
    params["schemas"] = schema
    return "PG:" + " ".join(f"{k}='{v}'" for k, v in params.items())


@needs_database
def test_gdal_postgresql_driver_reads_back_what_was_written(pg_schema, frames, tmp_path):
    """ogr2ogr (Debian's GDAL, built with the PostgreSQL driver) copies the PostGIS layers;
    the copy holds the same features, geometries and attributes."""
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        pytest.fail("ogr2ogr (Debian package gdal-bin) is needed to open PG: data sources")
    store = _pg(pg_schema)
    store.write_many(frames, quartier=Q)
    for layer, gdf in frames.items():
        out = tmp_path / f"{layer}.geojson"
        subprocess.run(
            [ogr2ogr, "-f", "GeoJSON", str(out), _pg_datasource(pg_schema), layer],
            check=True,
            capture_output=True,
        )
        doc = json.loads(out.read_text(encoding="utf-8"))
        features = doc["features"]
        expected = _expected(layer, gdf)
        assert [f["properties"]["id"] for f in features] == list(expected["id"])
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
        assert all(shapely.equals_exact(geoms, expected.geometry.values, tolerance=1e-12))
        read = gpd.GeoDataFrame(
            [f["properties"] for f in features], geometry=list(geoms), crs="EPSG:4326"
        )
        assert_same_frames(expected, validate(read, layer))


# -- the factory, the commands and the server ----------------------------------------------


def test_factory_keeps_the_geopackage_without_a_database(tmp_path, monkeypatch):
    monkeypatch.delenv("GEOQUARTIER_DATABASE_URL", raising=False)
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "ws.gpkg"))
    store = get_layer_store(reload_settings())
    assert isinstance(store, GeoPackageStore) and store.path == tmp_path / "ws.gpkg"
    assert not store.path.exists()  # nothing written before the first import


def test_bad_database_url_is_a_one_line_setting_error(monkeypatch):
    from pydantic import ValidationError as SettingsError

    monkeypatch.setenv("GEOQUARTIER_DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(SettingsError, match="postgresql://"):
        reload_settings()


def test_unreachable_database_is_a_clear_error(tmp_path):
    store = PostGISStore(f"postgresql://nobody:secret@/none?host={tmp_path}")
    with pytest.raises(GeoquartierError, match="cannot connect to the layer database") as info:
        store.layers()
    assert "secret" not in str(info.value)


@needs_database
def test_db_commands_on_postgis(pg_schema, monkeypatch, frames, tmp_path):
    from geoquartier.cli import app

    monkeypatch.setenv("GEOQUARTIER_DATABASE_URL", TEST_URL)
    monkeypatch.setenv("GEOQUARTIER_DATABASE_SCHEMA", pg_schema)
    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_SCHEMA", _participation_schema(pg_schema))
    reload_settings()
    runner = CliRunner()
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0 and "schema version: 0" in result.output
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and f"now at schema version {LATEST_VERSION}" in result.output
    store = get_layer_store(upgrade=False)
    store.write_many(frames, quartier=Q)
    dump = tmp_path / "b.gpkg"
    result = runner.invoke(app, ["db", "dump", str(dump)])
    assert result.exit_code == 0 and "population: 179 features" in result.output
    store.delete("population")
    result = runner.invoke(app, ["db", "restore", str(dump), "--yes"])
    assert result.exit_code == 0 and "total: 213 features in 5 layers" in result.output
    assert len(store.read("population")) == 179


def test_db_commands_on_a_geopackage(tmp_path, monkeypatch, frames):
    from geoquartier.cli import app

    path = tmp_path / "ws.gpkg"
    monkeypatch.delenv("GEOQUARTIER_DATABASE_URL", raising=False)
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(path))
    reload_settings()
    runner = CliRunner()
    assert "no file yet" in runner.invoke(app, ["db", "current"]).output
    GeoPackageStore(path).write_many(frames, quartier=Q)
    _unversioned(path)
    assert "schema version: 0" in runner.invoke(app, ["db", "current"]).output
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "applied 1:" in result.output
    result = runner.invoke(app, ["db", "dump", str(path)])
    assert result.exit_code == 2 and "workspace itself" in result.output
    result = runner.invoke(app, ["db", "restore", str(tmp_path / "none.gpkg"), "--yes"])
    assert result.exit_code == 2 and "no dump at" in result.output


@needs_database
def test_api_serves_the_postgis_layers_and_sees_each_write(pg_schema, frames, tmp_path):
    from fastapi.testclient import TestClient

    from api.deps import clear_caches
    from api.main import app
    from geoquartier.settings import get_settings

    store = _pg(pg_schema)
    store.write_many(frames, quartier=Q)
    settings = Settings(
        workspace=tmp_path / "unused.gpkg",
        database_url=TEST_URL,
        database_schema=pg_schema,
        participation_schema=_participation_schema(pg_schema),
    )
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        with TestClient(app) as client:
            ids = [c["id"] for c in client.get("/collections").json()["collections"]]
            assert {"quartiers", "stops", "offices", "events"} <= set(ids)
            page = client.get("/collections/stops/items?limit=100").json()
            assert page["numberMatched"] == 30
            assert {f["id"] for f in page["features"]} == set(frames["stops"]["id"])
            store.write("stops", frames["stops"].iloc[:5], quartier=Q)
            assert client.get("/collections/stops/items").json()["numberMatched"] == 5
    finally:
        app.dependency_overrides.pop(get_settings, None)
        clear_caches()
    assert not (tmp_path / "unused.gpkg").exists()


def test_backup_of_the_participation_database_while_it_is_open(tmp_path, monkeypatch):
    from api.participation.store import open_store
    from geoquartier.cli import app

    db = tmp_path / "participation.sqlite"
    store = open_store(db)
    for i in range(3):
        store.add_user(f"moderation-{i}", "moderator")
    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_DB", str(db))
    reload_settings()
    copy = tmp_path / "backup" / "participation.bak"
    result = CliRunner().invoke(app, ["db", "backup-participation", str(copy)])
    assert result.exit_code == 0, result.output
    assert "users: 3 rows" in result.output
    with sqlite3.connect(copy) as con:
        names = [r[0] for r in con.execute("SELECT name FROM users ORDER BY name")]
    con.close()
    assert names == ["moderation-0", "moderation-1", "moderation-2"]
    result = CliRunner().invoke(app, ["db", "backup-participation", str(db)])
    assert result.exit_code == 2 and "the database itself" in result.output


@pytest.mark.slow
@needs_database
def test_two_servers_on_one_database_serve_the_same_layers_and_each_write(
    pg_schema, frames, tmp_path
):
    """Two server processes (as behind a proxy) on the PostGIS store: both answer with
    the same features, and a write (here: the import of fewer stops) reaches both."""
    import httpx

    try:
        from tests.uvicorn_server import UvicornServer
    except ModuleNotFoundError:  # tests/ itself is on sys.path
        from uvicorn_server import UvicornServer

    store = _pg(pg_schema)
    store.write_many(frames, quartier=Q)
    env = {
        "GEOQUARTIER_DATABASE_URL": TEST_URL,
        "GEOQUARTIER_DATABASE_SCHEMA": pg_schema,
        "GEOQUARTIER_WORKSPACE": str(tmp_path / "unused.gpkg"),
        "GEOQUARTIER_PARTICIPATION_SCHEMA": _participation_schema(pg_schema),
    }
    servers = [UvicornServer(env, tmp_path) for _ in range(2)]
    try:

        def stop_ids(server) -> list[str]:
            page = httpx.get(f"{server.base}/collections/stops/items?limit=100", timeout=30)
            assert page.status_code == 200, page.text
            return sorted(f["id"] for f in page.json()["features"])

        assert stop_ids(servers[0]) == stop_ids(servers[1]) == sorted(frames["stops"]["id"])
        store.write("stops", frames["stops"].iloc[:4], quartier=Q)
        expected = sorted(frames["stops"]["id"].iloc[:4])
        assert stop_ids(servers[0]) == stop_ids(servers[1]) == expected
    finally:
        for server in servers:
            server.stop()
    assert not (tmp_path / "unused.gpkg").exists()
