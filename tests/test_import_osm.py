"""OSM import from the real Lauf an der Pegnitz and Dreieich extracts.

Formats: .osm.bz2, .osm.pbf, .osm.gz.
"""

from __future__ import annotations

import os

import pytest

from geoquartier.config import data_dir
from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.layers import validate
from geoquartier.layers.sources import osm, osm_tags
from geoquartier.settings import reload_settings

LAUF_BZ2 = data_dir() / "lauf_an_der_pegnitz" / "lauf_an_der_pegnitz_osm.osm.bz2"
LAUF_PBF = data_dir() / "lauf_an_der_pegnitz" / "lauf_an_der_pegnitz_osm.osm.pbf"
DREIEICH_BZ2 = data_dir() / "dreieich" / "dreieich_osm.osm.bz2"
DREIEICH_GZ = data_dir() / "dreieich" / "dreieich_osm.osm.gz"


@pytest.fixture(scope="module")
def lauf_raw():
    return osm.read_features(LAUF_BZ2)


@pytest.fixture(scope="module")
def lauf(lauf_raw):
    return osm.layers_from_features(lauf_raw, "lauf", state="DE-BY", origin="lauf bz2")


@pytest.fixture(scope="module")
def dreieich():
    return osm.read_extract(DREIEICH_BZ2, "dreieich", state="DE-HE")


def test_lauf_raw_features_match_the_documented_counts(lauf_raw):
    # SOURCES.md: features_from_xml gives 6,495 buildings and 898 amenities.
    assert lauf_raw["building"].notna().sum() == 6495
    assert lauf_raw["amenity"].notna().sum() == 898


def test_lauf_buildings(lauf, lauf_raw):
    buildings = lauf.buildings
    # 6,492, not 6,495: of the 6,495 features with a building tag, two are nodes (a point
    # has no footprint; the layer holds polygons) and one polygon is tagged building=no.
    raw = lauf_raw[lauf_raw["building"].notna()]
    points = raw[raw.geom_type == "Point"]
    no_polygons = raw[(raw["building"] == "no") & (raw.geom_type != "Point")]
    assert (len(points), len(no_polygons)) == (2, 1)
    assert len(buildings) == 6495 - len(points) - len(no_polygons) == 6492
    assert set(buildings.geom_type) <= {"Polygon", "MultiPolygon"}
    assert buildings["source"].str.match(r"^osm:(way|relation)/\d+$").all()
    assert buildings["id"].is_unique
    # building:levels is rare in this extract (53 buildings); the others stay empty.
    assert buildings["levels"].notna().sum() == 53
    # Residential: explicit values plus building=yes with an address and no other use.
    assert buildings["residential"].sum() == 3943
    assert not buildings.loc[buildings["building"] == "garage", "residential"].any()
    checked = validate(buildings, "buildings")
    assert len(checked) == 6492 and str(checked.crs) == "EPSG:4326"


def test_lauf_amenities_split_into_services_pois_and_stops(lauf, lauf_raw):
    # Of the 898 amenities, 70 are an advisory service (9), a daily-needs place (60) or a
    # stop (1, the bus station); parking (285), benches (125), grit bins (103) ... are none.
    amenities = {f"osm:{e}/{i}" for e, i in lauf_raw[lauf_raw["amenity"].notna()].index}
    assert len(amenities) == 898
    assert len(amenities & set(lauf.services["source"])) == 9
    assert len(amenities & set(lauf.pois["source"])) == 60
    assert len(amenities & set(lauf.stops["source"])) == 1
    parking = {f"osm:{e}/{i}" for e, i in lauf_raw[lauf_raw["amenity"] == "parking"].index}
    assert len(parking) == 285
    assert not parking & (set(lauf.services["source"]) | set(lauf.pois["source"]))


def test_lauf_services_by_category(lauf):
    services = lauf.services
    assert services["category"].value_counts().to_dict() == {
        "seniors": 4,
        "general": 2,
        "employment": 1,
        "disability": 1,
        "addiction": 1,
        "education": 1,
    }
    by_name = dict(zip(services["name"], services["category"], strict=True))
    assert (
        by_name["Diakonie - Suchtberatungsstelle"] == "addiction"
    )  # social_facility:for=drug_addicted
    assert by_name["Bundesagentur für Arbeit Lauf"] == "employment"  # office=employment_agency
    assert by_name["Moritzberg-Werkstätten Werk III"] == "disability"
    assert by_name["Kath. Pfarrzentrum St. Otto"] == "general"  # amenity=community_centre
    row = services[services["name"] == "Diakonie - Suchtberatungsstelle"].iloc[0]
    assert row["source"] == "osm:node/6900634483"
    assert row["id"] == "lauf:osm-node-6900634483"
    assert len(validate(services, "services")) == 10


def test_lauf_pois_stops_addresses(lauf):
    assert lauf.pois["category"].value_counts().to_dict() == {
        "grocery": 28,
        "doctors": 17,
        "school": 15,
        "kindergarten": 11,
        "gym": 11,
        "cafe": 8,
        "pharmacy": 8,
        "healthcare": 8,
        "park": 4,
    }
    assert len(lauf.stops) == 216
    assert len(lauf.addresses) == 5416
    for layer in ("pois", "stops", "addresses"):
        checked = validate(getattr(lauf, layer), layer)
        assert set(checked.geom_type) == {"Point"}
    # One OSM opening_hours value in Lauf does not parse; it is dropped, the feature kept.
    assert lauf.skipped["opening_hours_invalid"] == 1


def test_dreieich_counts(dreieich):
    counts = dreieich.counts()
    # SOURCES.md: 3,771 buildings, all polygons, none tagged building=no -> all kept.
    assert counts["buildings"] == 3771
    assert counts["services"] == 1
    assert dreieich.services.iloc[0]["category"] == "seniors"
    assert dreieich.pois["category"].value_counts().to_dict() == {
        "grocery": 9,
        "gym": 4,
        "park": 4,
        "kindergarten": 4,
        "doctors": 3,
        "pharmacy": 2,
        "cafe": 2,
        "school": 1,
    }
    for layer, gdf in dreieich.as_dict().items():
        validate(gdf, layer)


def test_dreieich_amenities_raw():
    raw = osm.read_features(DREIEICH_BZ2)
    assert raw["amenity"].notna().sum() == 171


def test_gz_original_gives_the_same_buildings_as_the_bz2(dreieich):
    from_gz = osm.read_extract(DREIEICH_GZ, "dreieich", state="DE-HE")
    assert from_gz.counts() == dreieich.counts()
    assert set(from_gz.buildings["id"]) == set(dreieich.buildings["id"])


@pytest.mark.slow
def test_pbf_gives_the_same_layers_as_the_bz2(lauf, tmp_path):
    old = os.environ.get("GEOQUARTIER_CACHE")
    os.environ["GEOQUARTIER_CACHE"] = str(tmp_path)
    reload_settings()
    try:
        from_pbf = osm.read_extract(LAUF_PBF, "lauf", state="DE-BY")
        xml = osm.xml_for_extract(LAUF_PBF)
        mtime = xml.stat().st_mtime_ns
        assert osm.xml_for_extract(LAUF_PBF) == xml and xml.stat().st_mtime_ns == mtime
    finally:
        if old is None:
            os.environ.pop("GEOQUARTIER_CACHE")
            reload_settings()
        else:
            os.environ["GEOQUARTIER_CACHE"] = old
            reload_settings()
    assert xml.parent == tmp_path / "osm_xml"
    assert len(from_pbf.buildings) == len(lauf.buildings) == 6492
    assert from_pbf.counts() == lauf.counts()
    assert set(from_pbf.buildings["id"]) == set(lauf.buildings["id"])


def test_extract_cut_to_a_polygon_keeps_what_touches_it(dreieich):
    from shapely.geometry import box

    area = box(8.705, 49.995, 8.715, 50.003)
    part = osm.read_extract(DREIEICH_BZ2, "dreieich", polygon=area, state="DE-HE")
    assert 0 < len(part.buildings) < len(dreieich.buildings)
    assert part.buildings.intersects(area).all()
    assert set(part.buildings["id"]) <= set(dreieich.buildings["id"])
    # Nothing that touches the area is lost: every building of the whole extract that
    # intersects it is in the cut.
    touching = dreieich.buildings[dreieich.buildings.intersects(area)]
    assert set(touching["id"]) == set(part.buildings["id"])


def test_locate_an_osm_feature(lauf):
    point = lauf.locate("way/36900392")  # Lauf's Rathaus
    assert point is not None and point.geom_type == "Point"
    assert 11.27 < point.x < 11.29 and 49.50 < point.y < 49.52
    assert lauf.locate("node/1") is None


# -- the tag table -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tags", "category"),
    [
        ({"amenity": "social_facility", "social_facility:for": "migrant"}, "migration"),
        ({"amenity": "social_facility", "social_facility:for": "senior;disabled"}, "seniors"),
        ({"amenity": "social_facility", "social_facility:for": "juvenile"}, "youth"),
        ({"amenity": "social_facility", "social_facility": "outreach"}, "general"),
        ({"amenity": "social_facility", "social_facility": "shelter"}, "housing"),
        ({"healthcare": "counselling", "counselling": "debt"}, "debt"),
        ({"healthcare": "counselling", "counselling": "family;couple"}, "family"),
        ({"healthcare": "counselling", "counselling": "addiction"}, "addiction"),
        ({"healthcare": "counselling"}, "general"),
        ({"amenity": "community_centre"}, "general"),
        ({"office": "ngo"}, "general"),
        ({"office": "employment_agency", "amenity": "social_facility"}, "employment"),
        ({"amenity": "restaurant"}, None),
        ({"shop": "supermarket"}, None),
    ],
)
def test_service_table(tags, category):
    assert osm_tags.service_category(tags) == category


def test_poi_stop_building_and_language_rules():
    assert osm_tags.poi_category({"shop": "bakery"}) == "grocery"
    assert osm_tags.poi_category({"healthcare": "doctor"}) == "doctors"
    assert osm_tags.poi_category({"amenity": "parking"}) is None
    assert osm_tags.is_stop({"highway": "bus_stop"})
    assert not osm_tags.is_stop({"public_transport": "stop_position"})
    assert osm_tags.is_residential({"building": "apartments"})
    assert osm_tags.is_residential({"building": "yes", "addr:housenumber": "3"})
    assert not osm_tags.is_residential(
        {"building": "yes", "addr:housenumber": "3", "shop": "bakery"}
    )
    assert not osm_tags.is_residential({"building": "yes"})
    assert osm_tags.is_residential({"building": "yes"}, has_address_point=True)
    assert not osm_tags.is_residential({"building": "garage", "addr:housenumber": "3"})
    assert osm_tags.building_value({"building": "no"}) is None
    assert osm_tags.levels({"building:levels": "2,5"}) == 2.5
    assert osm_tags.levels({"building:levels": "many"}) is None
    assert osm_tags.languages(
        {"language:tr": "yes", "language:de": "yes", "language:ar": "no"}
    ) == ["de", "tr"]


# -- bad input -------------------------------------------------------------------------------
def test_missing_extract_says_what_to_provide(tmp_path):
    with pytest.raises(DataMissingError, match="GEOQUARTIER_DATA") as info:
        osm.read_extract(tmp_path / "nowhere.osm.pbf", "x")
    assert "nowhere.osm.pbf" in str(info.value)


def test_unreadable_extracts_name_the_file(tmp_path):
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='49.5'", encoding="utf-8")
    with pytest.raises(GeoquartierError, match="broken.osm"):
        osm.read_extract(broken, "x")
    wrong = tmp_path / "notes.txt"
    wrong.write_text("hello", encoding="utf-8")
    with pytest.raises(GeoquartierError, match=r"notes\.txt.*unknown OSM file type"):
        osm.read_extract(wrong, "x")
    fake_pbf = tmp_path / "fake.osm.pbf"
    fake_pbf.write_bytes(b"this is no protobuf")
    with pytest.raises(GeoquartierError, match="fake.osm.pbf"):
        osm.read_extract(fake_pbf, "x")
