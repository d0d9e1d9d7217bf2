"""Layer validation on the real Neu Olvenstedt / Magdeburg data, plus one test per bad-input kind.

Every bad-input test submits the batch through ``GeoPackageStore.write`` into a store that
already holds a layer, and asserts that the error names the feature (index and id) and the
field, and that the file is byte-identical afterwards (nothing was written).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geoquartier.config import data_dir
from geoquartier.errors import ValidationError
from geoquartier.layers import LAYERS, validate
from geoquartier.layers.schema import iso639_1_codes
from geoquartier.layers.store import GeoPackageStore

NO = "neu_olvenstedt_magdeburg"
SCHARNHORSTRING = (11.587042, 52.150394)  # GTFS stop "Magdeburg, Scharnhorstring" (lon, lat)


def _data(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir() / NO / name)


@pytest.fixture(scope="module")
def boundary() -> gpd.GeoDataFrame:
    return _data("neu_olvenstedt_boundary_osm.geojson")


@pytest.fixture(scope="module")
def gtfs_stops() -> gpd.GeoDataFrame:
    return _data("magdeburg_gtfs_mvb_stops.geojson")


def _quartier(boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return boundary.assign(
        id="neu-olvenstedt",
        city="Magdeburg",
        state="ST",
        boundary_quality="official",
        population=11677,
        population_source="Zensus 2022",
    )


def _stops(gtfs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": gtfs["stop_id"],
            "quartier": "magdeburg",
            "name": gtfs["stop_name"],
            "source": "gtfs:" + gtfs["stop_id"],
        },
        geometry=gtfs.geometry,
        crs=gtfs.crs,
    )


# -- good path on real data ------------------------------------------------------------


def test_quartier_boundary_is_normalised(boundary):
    out = validate(_quartier(boundary), "quartiers")
    assert list(out.columns) == LAYERS["quartiers"].columns + ["geometry"]
    assert out.crs.to_epsg() == 4326
    row = out.iloc[0]
    assert row["state"] == "DE-ST"  # two letters normalised to ISO 3166-2
    assert row["quartier"] == "neu-olvenstedt"  # a quartier's own slug
    assert row["population"] == 11677 and str(out["population"].dtype) == "Int64"
    assert pd.isna(row["programme"])  # optional column added as null
    assert "admin_level" not in out.columns  # columns outside the schema are dropped
    assert shapely.equals_exact(row.geometry, boundary.geometry.iloc[0], tolerance=0)
    area_km2 = out.to_crs("EPSG:25832").area.iloc[0] / 1e6
    assert area_km2 == pytest.approx(3.355, abs=0.005)


def test_zensus_grid_reprojected_from_epsg3035(boundary):
    grid = _data("magdeburg_zensus2022_bevoelkerung_100m_epsg3035.geojson")
    assert grid.crs.to_epsg() == 3035
    inside = grid[grid.centroid.within(boundary.to_crs(3035).geometry.iloc[0])]
    cells = gpd.GeoDataFrame(
        {
            "id": inside["grid_id"],
            "quartier": "neu-olvenstedt",
            "residents": inside["einwohner"],
            "source": "Zensus 2022",
        },
        geometry=inside.geometry,
        crs=inside.crs,
    )
    out = validate(cells, "population")
    assert out.crs.to_epsg() == 4326
    assert len(out) == 179 and int(out["residents"].sum()) == 11677
    assert str(out["residents"].dtype) == "Int64"
    # the shared 4326 copy was made with to_crs(4326) from the same cells
    ref = _data("neu_olvenstedt_zensus2022_bevoelkerung_100m.geojson").set_index("grid_id")
    ours = out.set_index("id").geometry
    for grid_id in ref.index[:20]:
        assert shapely.equals_exact(ours[grid_id], ref.geometry[grid_id], tolerance=1e-9)


def test_gtfs_stops_validate(gtfs_stops):
    out = validate(_stops(gtfs_stops), "stops")
    assert len(out) == 735
    assert out["id"].is_unique
    in_no = out[gtfs_stops["in_neu_olvenstedt"].to_numpy()]
    assert len(in_no) == 30
    assert "Magdeburg, Scharnhorstring" in set(in_no["name"])
    assert out["wheelchair"].isna().all()


def test_amenity_points_as_pois():
    points = _data("magdeburg_amenity_points_osm.geojson")
    pois = points[points["category"] != "transit"].reset_index(drop=True)
    pois = pois.assign(id=[f"mdpoi-{i}" for i in range(len(pois))], quartier="magdeburg")
    out = validate(pois, "pois")
    assert len(out) == 1037
    assert set(out["category"]) <= set(LAYERS["pois"].field("category").vocabulary)
    # "transit" is not a daily-needs category: the same file unfiltered is rejected
    with pytest.raises(ValidationError) as err:
        validate(points.assign(id=[f"p{i}" for i in range(len(points))], quartier="m"), "pois")
    assert len(err.value.problems) == 742
    assert {p.field for p in err.value.problems} == {"category"}


def test_real_cafes_with_malformed_opening_hours_are_reported_together():
    cafes = _data("magdeburg_cafes_osm.geojson")
    cafes = cafes.assign(
        id=[f"cafe-{i}" for i in range(len(cafes))], quartier="magdeburg", category="cafe"
    )
    with pytest.raises(ValidationError) as err:
        validate(cafes, "pois")
    problems = err.value.problems
    assert all(p.field == "opening_hours" for p in problems)
    bad = sorted(p.index for p in problems)
    assert len(bad) == 3  # three OSM strings break the syntax ("Sa-So", a missing ";", ...)
    bad_texts = [cafes["opening_hours"].iloc[i] for i in bad]
    assert any("Sa-So" in t for t in bad_texts)  # German "So" is not an OSM weekday
    for p in problems:
        assert p.feature_id == f"cafe-{p.index}"
        assert f"feature {p.index} (id='cafe-{p.index}')" in str(err.value)
    good = validate(cafes.drop(index=bad), "pois")
    assert len(good) == len(cafes) - 3
    assert good["opening_hours"].notna().sum() == 67


def test_normalises_strings_languages_and_dates():
    events = gpd.GeoDataFrame(
        {
            "id": [" ev1 "],
            "quartier": ["neu-olvenstedt"],
            "title": ["  Stadtteilwerkstatt "],
            "start": ["2026-06-04 18:00"],
            "end": ["2026-06-04T20:30:00+02:00"],
            "description": ["   "],
        },
        geometry=[Point(*SCHARNHORSTRING)],
        crs="EPSG:4326",
    )
    out = validate(events, "events")
    assert out["id"].iloc[0] == "ev1" and out["title"].iloc[0] == "Stadtteilwerkstatt"
    assert pd.isna(out["description"].iloc[0])  # blank text becomes null
    assert str(out["start"].dtype) == "datetime64[ms, UTC]"
    assert out["start"].iloc[0] == pd.Timestamp("2026-06-04 16:00", tz="UTC")  # local CEST
    assert out["end"].iloc[0] == pd.Timestamp("2026-06-04 18:30", tz="UTC")

    offices = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "quartier": "neu-olvenstedt",
            "name": "Büro",
            "languages": [["DE", "tr"], "de; ar, ru", '["bg", "ro"]', None],
        },
        geometry=[Point(*SCHARNHORSTRING)] * 4,
        crs="EPSG:4326",
    )
    out = validate(offices, "offices")
    assert out["languages"].tolist() == [["de", "tr"], ["de", "ar", "ru"], ["bg", "ro"], None]


def test_iso639_list_comes_from_cldr():
    codes = iso639_1_codes()
    assert len(codes) == 184  # the ISO 639-1 code list
    assert {"de", "tr", "ar", "ro", "bg", "uk"} <= codes
    assert "xx" not in codes and "ger" not in codes


# -- bad input: one test per kind ------------------------------------------------------


@pytest.fixture()
def store(tmp_path, gtfs_stops):
    """A store that already holds the real Magdeburg stops, to prove nothing is written."""
    s = GeoPackageStore(tmp_path / "ws.gpkg")
    s.write("stops", _stops(gtfs_stops))
    return s


def _office(**over):
    row = {
        "id": "o1",
        "quartier": "neu-olvenstedt",
        "name": "Büro für Stadtteilarbeit",
        "opening_hours": "Mo-Fr 09:00-12:00",
        "languages": ["de"],
    }
    row.update(over)
    return row


def _annotation(**over):
    row = {"id": "a1", "quartier": "q", "kind": "idea", "text": "Bank", "status": "pending"}
    row.update(over)
    return row


def _frame(rows, geoms, crs="EPSG:4326"):
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(geoms), crs=crs)


def _assert_rejected(store, layer, gdf, index, feature_id, field):
    before = store.path.read_bytes()
    with pytest.raises(ValidationError) as err:
        store.write(layer, gdf)
    match = [
        p
        for p in err.value.problems
        if p.index == index and p.feature_id == feature_id and p.field == field
    ]
    assert match, err.value.problems
    message = str(err.value)
    where = "layer" if index is None else f"feature {index} (id={feature_id!r})"
    assert f"{where}: field {field!r}" in message
    assert "nothing was written" in message
    assert store.path.read_bytes() == before
    assert store.layers() == ["stops"]
    return err.value


def test_missing_crs(store):
    gdf = _frame([_office()], [Point(*SCHARNHORSTRING)], crs=None)
    _assert_rejected(store, "offices", gdf, None, None, "crs")


def test_wrong_geometry_type(store):
    gdf = _frame(
        [_office(), _office(id="o2")],
        [Point(*SCHARNHORSTRING), LineString([(11.58, 52.15), (11.59, 52.15)])],
    )
    err = _assert_rejected(store, "offices", gdf, 1, "o2", "geometry")
    assert "LineString" in str(err) and "Point" in str(err)


def test_invalid_geometry(store):
    bowtie = Polygon([(11.58, 52.14), (11.60, 52.16), (11.60, 52.14), (11.58, 52.16)])
    gdf = _frame([{"id": "b1", "quartier": "neu-olvenstedt"}], [bowtie])
    err = _assert_rejected(store, "buildings", gdf, 0, "b1", "geometry")
    assert "Self-intersection" in str(err)


def test_empty_and_missing_geometry(store):
    gdf = _frame([_office(), _office(id="o2")], [Point(), None])
    err = _assert_rejected(store, "offices", gdf, 0, "o1", "geometry")
    assert any(p.index == 1 and p.field == "geometry" for p in err.problems)


def test_projected_coordinates_labelled_wgs84(store):
    x, y = gpd.GeoSeries([Point(*SCHARNHORSTRING)], crs=4326).to_crs(25832).iloc[0].coords[0]
    gdf = _frame([_office()], [Point(x, y)], crs="EPSG:4326")  # EPSG:25832 metres, wrong label
    err = _assert_rejected(store, "offices", gdf, 0, "o1", "geometry")
    assert "-180..180" in str(err)
    # correctly labelled, the same metres are accepted and reprojected
    ok = validate(_frame([_office()], [Point(x, y)], crs="EPSG:25832"), "offices")
    assert ok.geometry.iloc[0].distance(Point(*SCHARNHORSTRING)) < 1e-8


def test_swapped_lon_lat_outside_germany(store):
    lon, lat = SCHARNHORSTRING
    gdf = _frame([_office(), _office(id="o2")], [Point(lon, lat), Point(lat, lon)])
    err = _assert_rejected(store, "offices", gdf, 1, "o2", "geometry")
    assert "Germany" in str(err)


def test_unknown_category(store):
    gdf = _frame(
        [{"id": "s1", "quartier": "q", "name": "Beratung", "category": "legal"}],
        [Point(*SCHARNHORSTRING)],
    )
    err = _assert_rejected(store, "services", gdf, 0, "s1", "category")
    assert "migration" in str(err)  # names the accepted values


def test_unknown_status(store):
    gdf = _frame(
        [{"id": "m1", "quartier": "q", "name": "Spielplatz", "status": "done"}],
        [Point(*SCHARNHORSTRING)],
    )
    _assert_rejected(store, "measures", gdf, 0, "m1", "status")


def test_unknown_kind(store):
    gdf = _frame([_annotation(kind="complaint", text="Ampel fehlt")], [Point(*SCHARNHORSTRING)])
    err = _assert_rejected(store, "annotations", gdf, 0, "a1", "kind")
    assert "idea" in str(err)


def test_malformed_opening_hours(store):
    gdf = _frame([_office(opening_hours="Di 10-13 Uhr")], [Point(*SCHARNHORSTRING)])
    err = _assert_rejected(store, "offices", gdf, 0, "o1", "opening_hours")
    assert "opening_hours syntax" in str(err)


def test_language_not_iso639(store):
    gdf = _frame([_office(languages=["de", "deutsch"])], [Point(*SCHARNHORSTRING)])
    err = _assert_rejected(store, "offices", gdf, 0, "o1", "languages")
    assert "ISO 639-1" in str(err)
    gdf = _frame([_annotation(language="xx")], [Point(*SCHARNHORSTRING)])
    _assert_rejected(store, "annotations", gdf, 0, "a1", "language")


def test_duplicate_ids(store):
    gdf = _frame([_office(), _office(id="o2"), _office()], [Point(*SCHARNHORSTRING)] * 3)
    err = _assert_rejected(store, "offices", gdf, 2, "o1", "id")
    assert "feature 0" in str(err)


def test_missing_required_field(store):
    gdf = _frame(
        [_office(name="  "), {k: v for k, v in _office(id="o2").items() if k != "id"}],
        [Point(*SCHARNHORSTRING)] * 2,
    )
    err = _assert_rejected(store, "offices", gdf, 0, "o1", "name")
    assert any(p.index == 1 and p.field == "id" for p in err.problems)


def test_bad_numbers_dates_and_email(store):
    gdf = _frame(
        [
            {
                "id": "m1",
                "quartier": "q",
                "name": "Platz",
                "status": "planned",
                "cost_eur": "teuer",
                "start": "2026-13-45",
            }
        ],
        [Point(*SCHARNHORSTRING)],
    )
    err = _assert_rejected(store, "measures", gdf, 0, "m1", "cost_eur")
    assert {p.field for p in err.problems} == {"cost_eur", "start"}
    gdf = _frame([_event_row(end="2026-06-04 17:00")], [Point(*SCHARNHORSTRING)])
    _assert_rejected(store, "events", gdf, 0, "e1", "end")
    gdf = _frame([_office(email="buero at example.org")], [Point(*SCHARNHORSTRING)])
    _assert_rejected(store, "offices", gdf, 0, "o1", "email")
    gdf = _frame([{"id": "c1", "quartier": "q", "residents": -3}], [Point(*SCHARNHORSTRING)])
    _assert_rejected(store, "population", gdf, 0, "c1", "residents")


def _event_row(**over):
    row = {"id": "e1", "quartier": "q", "title": "Spaziergang", "start": "2026-06-04 18:00"}
    row.update(over)
    return row


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start", "0001-01-01T00:00:00+14:00"),
        ("start", "1899-12-31T22:00:00Z"),
        ("start", "9999-12-31T23:59:59-14:00"),
        ("start", pd.Timestamp("2262-04-11", tz="UTC")),
        ("end", "2101-01-01T00:00:00Z"),
    ],
)
def test_dates_outside_1900_to_2100_are_refused(store, field, value):
    gdf = _frame([_event_row(**{field: value})], [Point(*SCHARNHORSTRING)])
    err = _assert_rejected(store, "events", gdf, 0, "e1", field)
    assert "between 1900 and 2100" in str(err)


def test_dates_at_the_edges_of_the_range_are_kept():
    gdf = _frame(
        [_event_row(start="1900-01-01T00:00:00Z", end="2100-12-31T23:59:59Z")],
        [Point(*SCHARNHORSTRING)],
    )
    out = validate(gdf, "events")
    assert out["start"].iloc[0] == pd.Timestamp("1900-01-01", tz="UTC")
    assert out["end"].iloc[0] == pd.Timestamp("2100-12-31T23:59:59", tz="UTC")


@pytest.mark.parametrize(
    "title", ["\u0000 \u0000", "\u200b", "\u0000\u200b\u200c\u200d\u2060\ufeff", "\x07 \x1b"]
)
def test_text_of_only_control_or_zero_width_characters_is_missing(store, title):
    gdf = _frame([_event_row(title=title)], [Point(*SCHARNHORSTRING)])
    _assert_rejected(store, "events", gdf, 0, "e1", "title")


def test_control_characters_are_removed_before_trimming():
    gdf = _frame(
        [_event_row(title="\u0000 Spazier\u0007gang \u0000", description="\u0000 \u0000")],
        [Point(*SCHARNHORSTRING)],
    )
    out = validate(gdf, "events")
    assert out["title"].iloc[0] == "Spaziergang"
    assert pd.isna(out["description"].iloc[0])
    kept = validate(
        _frame([_event_row(title="Café\u200dtreff")], [Point(*SCHARNHORSTRING)]), "events"
    )
    assert kept["title"].iloc[0] == "Café\u200dtreff"  # joiners inside text are kept


def test_every_problem_is_listed_in_one_error(store, boundary):
    q = _quartier(boundary).assign(state="Sachsen-Anhalt", boundary_quality="guessed")
    q = pd.concat([q, q], ignore_index=True)  # and a duplicate id
    err = _assert_rejected(store, "quartiers", q, 0, "neu-olvenstedt", "state")
    found = {(p.index, p.field) for p in err.problems}
    assert found == {
        (0, "state"),
        (1, "state"),
        (0, "boundary_quality"),
        (1, "boundary_quality"),
        (1, "id"),
    }
    assert err.layer == "quartiers"


def test_empty_frame_is_valid_and_typed():
    out = validate(gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326), "annotations")
    assert len(out) == 0 and list(out.columns) == LAYERS["annotations"].columns + ["geometry"]
    assert str(out["created_at"].dtype) == "datetime64[ms, UTC]"


def test_unknown_layer_is_a_user_error():
    from geoquartier.errors import GeoquartierError

    with pytest.raises(GeoquartierError, match="known layers"):
        validate(gpd.GeoDataFrame(geometry=[], crs=4326), "shops")


def test_numbers_typed(boundary):
    b = gpd.GeoDataFrame(
        {"id": ["b1", "b2"], "quartier": "q", "levels": ["2,5", None], "residential": ["yes", 0]},
        geometry=[boundary.geometry.iloc[0]] * 2,
        crs=4326,
    )
    out = validate(b, "buildings")
    assert out["levels"].tolist()[0] == 2.5 and pd.isna(out["levels"].iloc[1])
    assert out["residential"].tolist() == [True, False]
    assert str(out["residential"].dtype) == "boolean"


def test_reference_page_names_every_layer_and_field():
    from geoquartier.config import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    for schema in LAYERS.values():
        section = text.split(f"### {schema.name}\n", 1)[1].split("###", 1)[0]
        for fld in schema.all_fields:
            assert f"| `{fld.name}` | {fld.kind} |" in section, (schema.name, fld.name)
            for value in fld.vocabulary or ():
                assert f"`{value}`" in section
