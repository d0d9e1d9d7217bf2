"""Neu Olvenstedt from the real Magdeburg files: Zensus grid, GTFS stops, amenity points;
and residents estimated over buildings where no grid exists (Dreieich)."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import numpy as np
import pytest

from geoquartier.config import ANALYSIS_CRS, data_dir
from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.layers import validate
from geoquartier.layers.sources import amenity_points, gtfs, osm, population, zensus

MD = data_dir() / "neu_olvenstedt_magdeburg"
GRID = MD / "magdeburg_zensus2022_bevoelkerung_100m_epsg3035.geojson"
FEED = MD / "magdeburg_gtfs_mvb_nasa_20260605.zip"
POINTS = MD / "magdeburg_amenity_points_osm.geojson"


@pytest.fixture(scope="module")
def boundary():
    return gpd.read_file(MD / "neu_olvenstedt_boundary_osm.geojson").union_all()


def test_zensus_neu_olvenstedt_179_cells_11677_residents(boundary):
    cells = zensus.read_zensus_grid(GRID, "neu-olvenstedt", boundary)
    assert len(cells) == 179
    assert int(cells["residents"].sum()) == 11677
    assert cells.attrs["suppressed_cells"] == 0
    assert str(cells.crs) == "EPSG:4326"
    assert set(cells.geom_type) == {"Polygon"}
    # The same cells as the centroid-within clip shipped beside the data.
    derived = gpd.read_file(MD / "neu_olvenstedt_zensus2022_bevoelkerung_100m.geojson")
    assert set(cells["source"]) == {f"zensus2022:{g}" for g in derived["grid_id"]}
    # Each cell is a 100 m square (1 ha) in a metric CRS.
    area = cells.to_crs(ANALYSIS_CRS).area
    assert np.allclose(area, 10_000, rtol=0.01)
    checked = validate(cells, "population")
    assert checked["residents"].dtype.name == "Int64"


def test_zensus_without_boundary_keeps_the_whole_city():
    cells = zensus.read_zensus_grid(GRID, "magdeburg")
    assert len(cells) == 4531


def test_zensus_suppressed_cells_are_dropped_and_counted(boundary, tmp_path):
    data = json.loads(GRID.read_text(encoding="utf-8"))
    for feature in data["features"][:5]:
        feature["properties"]["einwohner"] = -1
    data["features"][5]["properties"]["einwohner"] = None
    changed = tmp_path / "grid.geojson"
    changed.write_text(json.dumps(data), encoding="utf-8")
    cells = zensus.read_zensus_grid(changed, "magdeburg")
    assert cells.attrs["suppressed_cells"] == 6
    assert len(cells) == 4531 - 6
    assert (cells["residents"] >= 0).all()


def test_zensus_file_without_residents_column(tmp_path):
    data = json.loads(GRID.read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"].pop("einwohner")
    bad = tmp_path / "grid.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(GeoquartierError, match=r"grid\.geojson: no residents column.*einwohner"):
        zensus.read_zensus_grid(bad, "x")


def test_zensus_missing_file_names_the_setting(tmp_path):
    with pytest.raises(DataMissingError, match="GEOQUARTIER_DATA"):
        zensus.read_zensus_grid(tmp_path / "none.geojson", "x")


def test_gtfs_30_stop_points_in_neu_olvenstedt(boundary):
    stops = gtfs.read_gtfs_stops(FEED, "neu-olvenstedt", boundary)
    assert len(stops) == 30
    assert "Magdeburg, Scharnhorstring" in set(stops["name"])
    derived = gpd.read_file(MD / "magdeburg_gtfs_mvb_stops.geojson")
    inside = set(derived.loc[derived["in_neu_olvenstedt"], "stop_id"])
    assert {s.removeprefix(f"gtfs:{FEED.name}:") for s in stops["source"]} == inside
    scharnhorst = stops[stops["source"].str.endswith("de:15003:9332::01")].iloc[0]
    assert scharnhorst.geometry.x == pytest.approx(11.587042)
    assert scharnhorst.geometry.y == pytest.approx(52.150394)
    checked = validate(stops, "stops")
    assert checked["wheelchair"].isna().all()  # wheelchair_boarding is 0 (unknown) in this feed


def test_gtfs_folder_gives_the_same_stops(boundary, tmp_path):
    with zipfile.ZipFile(FEED) as archive:
        archive.extract("stops.txt", tmp_path)
    from_folder = gtfs.read_gtfs_stops(tmp_path, "neu-olvenstedt", boundary)
    assert len(from_folder) == 30
    assert len(gtfs.read_gtfs_stops(FEED, "magdeburg")) == 735


def test_gtfs_bad_feeds(tmp_path):
    no_stops = tmp_path / "feed.zip"
    with zipfile.ZipFile(no_stops, "w") as archive:
        archive.writestr("agency.txt", "agency_id,agency_name\n1,x\n")
    with pytest.raises(GeoquartierError, match=r"feed\.zip: the GTFS zip holds no stops\.txt"):
        gtfs.read_gtfs_stops(no_stops, "x")
    not_zip = tmp_path / "feed2.zip"
    not_zip.write_text("plain text", encoding="utf-8")
    with pytest.raises(GeoquartierError, match="feed2.zip: not a GTFS zip"):
        gtfs.read_gtfs_stops(not_zip, "x")
    folder = tmp_path / "gtfs"
    folder.mkdir()
    (folder / "stops.txt").write_text("stop_id,stop_name\n1,A\n", encoding="utf-8")
    with pytest.raises(GeoquartierError, match="lacks the column.*stop_lat.*stop_lon"):
        gtfs.read_gtfs_stops(folder, "x")


def test_amenity_points_in_neu_olvenstedt(boundary, neu_olvenstedt_poi_counts):
    pois = amenity_points.read_amenity_points(POINTS, "neu-olvenstedt", boundary)
    # SOURCES.md inside: transit 34 (skipped: stops come from GTFS) and the others
    assert pois["category"].value_counts().to_dict() == neu_olvenstedt_poi_counts
    raw = gpd.read_file(POINTS)
    assert int((raw["in_neu_olvenstedt"] & (raw["category"] == "transit")).sum()) == 34
    assert len(validate(pois, "pois")) == 47


def test_amenity_points_unknown_category(tmp_path):
    data = json.loads(POINTS.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["category"] = "casino"
    bad = tmp_path / "points.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(GeoquartierError, match="points.geojson: unknown categories casino"):
        amenity_points.read_amenity_points(bad, "x")


@pytest.fixture(scope="module")
def dreieich_buildings():
    path = data_dir() / "dreieich" / "dreieich_osm.osm.bz2"
    return osm.read_extract(path, "dreieich", state="DE-HE").buildings


def test_population_estimated_from_floor_area(dreieich_buildings):
    homes = dreieich_buildings[dreieich_buildings["residential"]]
    assert len(homes) == 883
    area = population.floor_area_m2(homes)
    expected = round(
        area.sum() * population.LIVING_AREA_SHARE / population.LIVING_AREA_PER_RESIDENT_M2
    )
    people = population.estimate_from_buildings(dreieich_buildings, "dreieich")
    assert people.attrs["estimated_total"] is True
    assert int(people["residents"].sum()) == expected
    assert people["source"].str.startswith("estimate:floor-area:osm:").all()
    assert set(people.geom_type) == {"Point"}
    # Each point lies in its building, and the largest building by floor area houses most.
    by_id = homes.set_index("id")
    for _, row in people.head(50).iterrows():
        assert by_id.loc[row["id"].removesuffix("-residents")].geometry.contains(row.geometry)
    biggest = homes.iloc[int(np.argmax(area))]["id"]
    assert (
        people.set_index("id").loc[f"{biggest}-residents", "residents"] == people["residents"].max()
    )
    validate(people, "population")


def test_population_spread_of_a_known_total_adds_up_exactly(dreieich_buildings):
    people = population.estimate_from_buildings(
        dreieich_buildings, "dreieich", total_residents=5000
    )
    assert int(people["residents"].sum()) == 5000
    assert people["source"].str.startswith("estimate:floor-area-share:").all()
    assert people.attrs["estimated_total"] is False


def test_largest_remainder():
    counts = population.largest_remainder(np.array([1.0, 1.0, 1.0]), 10)
    assert counts.sum() == 10 and sorted(counts) == [3, 3, 4]
    assert population.largest_remainder(np.array([0.0, 0.0]), 5).sum() == 0
