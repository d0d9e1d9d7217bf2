"""Planners' own files (CSV, GeoJSON, GeoPackage) into the store; bad files fail clearly.

The files are written by the tests: office and service rows whose coordinates are real
GTFS stops of Magdeburg (the only located anchors of Neu Olvenstedt in the data).
"""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pandas as pd
import pytest

from geoquartier.config import data_dir
from geoquartier.errors import DataMissingError, GeoquartierError, ValidationError
from geoquartier.layers.sources.files import read_planner_file
from geoquartier.layers.store import GeoPackageStore

FEED = data_dir() / "neu_olvenstedt_magdeburg" / "magdeburg_gtfs_mvb_nasa_20260605.zip"


def _comma(value: float) -> str:
    return str(value).replace(".", ",")


@pytest.fixture(scope="module")
def anchors():
    """Three real stops in Neu Olvenstedt: (name, lon, lat)."""
    with zipfile.ZipFile(FEED) as archive, archive.open("stops.txt") as fh:
        stops = pd.read_csv(fh, dtype=str)
    wanted = ["de:15003:9332::01", "de:15003:9330::01", "de:15003:9331::01"]
    rows = stops.set_index("stop_id").loc[[w for w in wanted if w in set(stops["stop_id"])]]
    assert len(rows) >= 2
    return [(r.stop_name, float(r.stop_lon), float(r.stop_lat)) for r in rows.itertuples()]


def _offices_rows(anchors):
    return [
        {
            "id": f"office-{i}",
            "name": f"Beratung am {name.split(', ')[-1]}",
            "kind": "Beratungsstelle",
            "opening_hours": "Mo-Fr 09:00-12:00; PH off",
            "languages": "de, tr",
            "location_quality": "approximate",
            "lon": lon,
            "lat": lat,
        }
        for i, (name, lon, lat) in enumerate(anchors)
    ]


def test_csv_with_lat_lon_into_the_store(anchors, tmp_path):
    path = tmp_path / "offices.csv"
    pd.DataFrame(_offices_rows(anchors)).to_csv(path, index=False)
    gdf = read_planner_file(path, "offices", quartier="neu-olvenstedt")
    assert str(gdf.crs) == "EPSG:4326"
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    assert store.write("offices", gdf, quartier="neu-olvenstedt") == len(anchors)
    back = store.read("offices", quartier="neu-olvenstedt").sort_values("id")
    assert back["languages"].tolist() == [["de", "tr"]] * len(anchors)
    assert back.geometry.x.round(6).tolist() == [round(a[1], 6) for a in anchors]
    assert back.geometry.y.round(6).tolist() == [round(a[2], 6) for a in anchors]


def test_csv_semicolon_decimal_comma_german_columns(anchors, tmp_path):
    lines = ["name;category;Laenge;Breite"]
    lines += [
        f"Schuldnerberatungsstätte {i};debt;{_comma(lon)};{_comma(lat)}"
        for i, (_, lon, lat) in enumerate(anchors)
    ]
    text = "\n".join(lines)
    path = tmp_path / "services.csv"
    path.write_bytes(text.encode("cp1252"))  # Excel in Germany writes Windows-1252
    gdf = read_planner_file(path, "services", quartier="neu-olvenstedt")
    assert gdf["id"].tolist() == [f"services-{i + 1}" for i in range(len(anchors))]
    assert gdf["name"].iloc[0] == "Schuldnerberatungsstätte 0"
    assert gdf.geometry.x.tolist() == pytest.approx([a[1] for a in anchors])
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    store.write("services", gdf, quartier="neu-olvenstedt")
    assert set(store.read("services")["category"]) == {"debt"}


def test_csv_with_projected_xy(anchors, tmp_path):
    pts = gpd.GeoSeries(
        gpd.points_from_xy([a[1] for a in anchors], [a[2] for a in anchors]), crs="EPSG:4326"
    ).to_crs("EPSG:25832")
    df = pd.DataFrame(
        {
            "name": [a[0] for a in anchors],
            "status": "planned",
            "x": pts.x.round(2),
            "y": pts.y.round(2),
        }
    )
    path = tmp_path / "measures.csv"
    df.to_csv(path, index=False)
    gdf = read_planner_file(path, "measures", quartier="neu-olvenstedt", crs="EPSG:25832")
    assert gdf.geometry.x.tolist() == pytest.approx([a[1] for a in anchors], abs=1e-6)
    GeoPackageStore(tmp_path / "ws.gpkg").write("measures", gdf, quartier="neu-olvenstedt")


def test_geojson_and_geopackage(anchors, tmp_path):
    rows = _offices_rows(anchors)
    gdf = gpd.GeoDataFrame(
        pd.DataFrame(rows).drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs="EPSG:4326",
    )
    gdf.to_file(tmp_path / "offices.geojson", driver="GeoJSON")
    gdf.to_crs("EPSG:25832").to_file(tmp_path / "offices.gpkg", layer="buero", driver="GPKG")
    from_json = read_planner_file(tmp_path / "offices.geojson", "offices", quartier="q")
    from_gpkg = read_planner_file(tmp_path / "offices.gpkg", "offices", quartier="q")
    assert str(from_gpkg.crs) == "EPSG:4326"
    assert from_gpkg.geometry.x.tolist() == pytest.approx(from_json.geometry.x.tolist(), abs=1e-7)
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    assert store.write("offices", from_gpkg, quartier="q") == len(rows)


# -- bad files ---------------------------------------------------------------------------------
def test_csv_without_coordinates_names_file_and_columns(tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text("name,strasse\nBüro,Scharnhorstring 38\n", encoding="utf-8")
    with pytest.raises(GeoquartierError) as info:
        read_planner_file(path, "offices")
    message = str(info.value)
    assert "offices.csv" in message and "no coordinate columns" in message
    assert "lon+lat" in message and "strasse" in message


def test_csv_with_text_in_a_coordinate_names_the_row(tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text("name,lon,lat\nA,11.58,52.15\nB,elf,52.15\n", encoding="utf-8")
    with pytest.raises(GeoquartierError, match=r"offices\.csv: row 3: coordinates lon='elf'"):
        read_planner_file(path, "offices")


def test_other_bad_files(tmp_path):
    with pytest.raises(DataMissingError, match="missing.csv"):
        read_planner_file(tmp_path / "missing.csv", "offices")
    xlsx = tmp_path / "offices.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(GeoquartierError, match=r"offices\.xlsx: unsupported file type \.xlsx"):
        read_planner_file(xlsx, "offices")
    broken = tmp_path / "offices.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(GeoquartierError, match="offices.geojson: cannot be read"):
        read_planner_file(broken, "offices")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(GeoquartierError, match="empty.csv: the file is empty"):
        read_planner_file(empty, "offices")
    with pytest.raises(GeoquartierError, match="unknown layer 'office'"):
        read_planner_file(empty, "office")


def test_geopackage_with_several_layers_asks_which(anchors, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"name": ["a"]},
        geometry=gpd.points_from_xy([anchors[0][1]], [anchors[0][2]]),
        crs="EPSG:4326",
    )
    path = tmp_path / "plan.gpkg"
    gdf.to_file(path, layer="offices")
    gdf.to_file(path, layer="services")
    with pytest.raises(GeoquartierError, match=r"plan\.gpkg: the GeoPackage holds several layers"):
        read_planner_file(path, "offices")
    assert len(read_planner_file(path, "offices", file_layer="services")) == 1


def test_bad_rows_are_named_and_nothing_is_written(anchors, tmp_path):
    rows = _offices_rows(anchors)
    rows[1]["opening_hours"] = "Mo-Fr 9 bis 12"
    rows[1]["languages"] = "deutsch"
    path = tmp_path / "offices.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    gdf = read_planner_file(path, "offices", quartier="neu-olvenstedt")
    with pytest.raises(ValidationError) as info:
        store.write("offices", gdf, quartier="neu-olvenstedt")
    message = str(info.value)
    assert "feature 1 (id='office-1')" in message
    assert "'opening_hours'" in message and "'languages'" in message
    assert not store.path.exists()
