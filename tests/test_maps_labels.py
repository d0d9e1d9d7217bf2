"""Labels a resident reads on the maps: Turkish capitals, "about" on estimated walking times,
unnamed places named by street or stop, sources in words, readable resident classes, location
notes in the page language."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from geoquartier.maps.builder import build_quartier_map
from geoquartier.maps.i18n import Translator
from geoquartier.maps.nearby import nearby_names, street_of
from geoquartier.maps.popups import place_label, source_label, walk_text
from geoquartier.maps.styles import population_breaks
from geoquartier.registry import RegistryError, load_registry, note_text

try:
    from tests.test_maps_support import BUILT_AT, map_data, maps_store  # noqa: F401
except ImportError:  # pragma: no cover
    from test_maps_support import BUILT_AT, map_data, maps_store  # noqa: F401


def test_turkish_capitals_keep_the_dot():
    tr = Translator("tr")
    assert tr.capitalise(tr("employment")) == "İş ve meslek"
    assert tr.capitalise("ılık") == "Ilık"
    assert Translator("de").capitalise("iss") == "Iss"
    assert tr.sentences("tahmin: kuş uçuşu", "yürüme profili: standart") == (
        "Tahmin: kuş uçuşu. Yürüme profili: standart."
    )


@pytest.mark.parametrize(
    "lang,expected",
    [
        ("de", "ca. 8 Min. zu Fuß vom Büro, geschätzt"),
        ("en", "about 8 min walk from the office, estimated"),
        ("tr", "ofisten yürüyerek yak. 8 dk, tahmini"),
        ("ro", "cca 8 min de mers pe jos de la birou, estimat"),
        ("bg", "ок. 8 мин пеша от бюрото, приблизително"),
    ],
)
def test_estimated_walking_time_says_about(lang, expected):
    tr = Translator(lang)
    assert walk_text(tr, 7.2, estimate=True) == expected
    assert walk_text(tr, 7.2) != expected  # a network time carries no "about"


def test_unnamed_place_is_named_by_street_or_stop():
    de = Translator("de")
    row = {"name": None, "category": "pharmacy"}
    assert place_label(de, row, ("street", "Scharnhorstring")) == "Apotheke, Scharnhorstring"
    assert place_label(de, row, ("stop", "Olvenstedter Platz")) == (
        "Apotheke nahe Haltestelle Olvenstedter Platz"
    )
    assert place_label(de, {"name": "Löwen-Apotheke", "category": "pharmacy"}) == "Löwen-Apotheke"
    assert street_of("Scharnhorstring 38, Magdeburg") == "Scharnhorstring"
    assert street_of("Hauptstraße 12a") == "Hauptstraße"


def test_nearby_names_prefers_street_then_stop():
    crs = "EPSG:4326"
    places = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "name": [None, None, "Named"]},
        geometry=[Point(11.60, 52.10), Point(11.62, 52.10), Point(11.60, 52.10)],
        crs=crs,
    )
    streets = gpd.GeoDataFrame(
        {"name": ["Ringstraße"]}, geometry=[LineString([(11.5995, 52.1), (11.6005, 52.1)])], crs=crs
    )
    stops = gpd.GeoDataFrame({"name": ["Platz"]}, geometry=[Point(11.621, 52.1)], crs=crs)
    found = nearby_names(places, streets=streets, stops=stops)
    assert found == {"a": ("street", "Ringstraße"), "b": ("stop", "Platz")}


def test_source_is_named_for_residents():
    assert source_label("osm-derived:magdeburg_amenity_points_osm.geojson") == "OpenStreetMap"
    assert source_label("osm:node/123") == "OpenStreetMap"
    assert source_label("gtfs:feed.zip:123").startswith("GTFS")
    assert source_label(None) == ""


def test_resident_classes_are_readable():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.integers(1, 9, 400), [40, 80, 120, 240]])
    bounds = population_breaks(values)
    assert bounds and all(b in (5, 10, 20, 50, 100, 200) for b in bounds)
    assert bounds == sorted(set(bounds)) and bounds[-1] < 240
    assert population_breaks(np.array([])) == []


def parse_registry_text(text: str, tmp_path) -> dict:
    path = tmp_path / "quartiers.toml"
    path.write_text(text, encoding="utf-8")
    return load_registry(path)


def test_location_note_table_in_the_registry(tmp_path):
    text = """
[quartiers.q]
name = "Q"
city = "C"
state = "DE-NW"
mode = "estimate"
[[quartiers.q.offices]]
id = "o"
name = "Office"
location_note = { de = "an der Haltestelle", en = "at the stop" }
"""
    spec = parse_registry_text(text, tmp_path)["q"]
    note = spec.office_entries[0]["location_note"]
    assert note_text(note, "de") == "an der Haltestelle" and note_text(note) == "at the stop"
    with pytest.raises(RegistryError, match="location_note"):
        parse_registry_text(
            text.replace('{ de = "an der Haltestelle", en = "at the stop" }', "3"), tmp_path
        )


def test_neu_olvenstedt_in_german_has_no_english_and_labels_unnamed_places(map_data):
    data = map_data("neu-olvenstedt")
    html = build_quartier_map(data, lang="de", tile_url=None, built_at=BUILT_AT).get_root().render()
    assert "The office address is not in the data" not in html  # registry text in German
    assert "Haltestelle „Scharnhorstring“" in html
    assert "ca. " in html and "geschätzt" in html
    assert "osm-derived:" not in html.split("<script")[0]
    assert "nahe Haltestelle" in html  # unnamed places named by their nearest stop
    assert "Straßenkarte nur online" in html  # estimate mode: no street lines in the data
    assert "OpenStreetMap</a>-Mitwirkende" in html
    tr_html = build_quartier_map(data, lang="tr", built_at=BUILT_AT).get_root().render()
    assert "Scharnhorstring“ otobüs durağında" in tr_html
    assert "OpenStreetMap contributors" not in tr_html


def test_walking_classes_say_about_when_estimated():
    from geoquartier.maps.draw import walk_class_labels

    de = Translator("de")
    assert walk_class_labels(de, estimate=True) == [
        "bis ca. 5 Min., geschätzt",
        "ca. 5–10 Min., geschätzt",
        "ca. 10–15 Min., geschätzt",
        "ca. 15–20 Min., geschätzt",
        "mehr als ca. 20 Min., geschätzt",
    ]
    assert walk_class_labels(de)[0] == "bis 5 Min."
