"""Offices placed by postal address: real Lauf an der Pegnitz addresses from the OSM
extract (exact, street only, missing), and the opt-in Nominatim lookup against a local
Nominatim that answers from the same real extract."""

from __future__ import annotations

import geopandas as gpd
import pytest
from nominatim_server import NominatimData, NominatimServer
from shapely.geometry import Point, box

from geoquartier.config import data_dir
from geoquartier.layers.sources import osm
from geoquartier.layers.sources.addresses import (
    city_key,
    housenumber_key,
    locate_address,
    match_address,
    parse_address,
    street_key,
)
from geoquartier.layers.sources.nominatim import MIN_DELAY_S, USER_AGENT, NominatimGeocoder
from geoquartier.registry import load_registry
from geoquartier.settings import reload_settings

LAUF = data_dir() / "lauf_an_der_pegnitz"
PBF = LAUF / "lauf_an_der_pegnitz_osm.osm.pbf"
RATHAUS = "osm:way/36900392"  # Urlasstraße 22, the Rathaus of Lauf


@pytest.fixture(scope="module")
def addresses():
    """The addresses layer of the whole Lauf extract (5,416 address points)."""
    return osm.read_extract(LAUF / "lauf_an_der_pegnitz_osm.osm.bz2", "lauf").addresses


@pytest.fixture(scope="module")
def nominatim_data():
    return NominatimData(PBF)


@pytest.fixture
def nominatim(nominatim_data, monkeypatch, tmp_path):
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with NominatimServer(nominatim_data) as server:
        monkeypatch.setenv("GEOQUARTIER_NOMINATIM_URL", server.url)
        reload_settings()
        yield server


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Urlasstraße", "Urlasstr."),
        ("Urlasstraße", "URLASSTRASSE"),
        ("Weseler Straße", "Weselerstr"),
        ("Albrecht-Dürer-Straße", "Albrecht Duerer Strasse"),
        ("Schloßplatz", "Schlosspl."),
    ],
)
def test_street_names_compare_after_normalisation(a, b):
    assert street_key(a) == street_key(b)


def test_similar_streets_stay_apart():
    assert street_key("Urlasstraße") != street_key("Urlashöhe")
    assert street_key("Strandweg") == "strandweg"  # 'str' inside a word is no abbreviation


def test_house_numbers_and_cities_compare_after_normalisation():
    assert housenumber_key("22 A") == housenumber_key("22a")
    assert city_key("Lauf a.d.Pegnitz") == city_key("Lauf an der Pegnitz")
    assert city_key("Lauf a.d. Pegnitz") == city_key("Lauf an der Pegnitz")


@pytest.mark.parametrize(
    ("text", "street", "number", "postcode", "city"),
    [
        ("Weseler Straße 28, 47169 Duisburg", "Weseler Straße", "28", "47169", "Duisburg"),
        ("Urlasstraße 22, Lauf an der Pegnitz", "Urlasstraße", "22", None, "Lauf an der Pegnitz"),
        ("Hamborner Altmarkt 8, 47166 Duisburg", "Hamborner Altmarkt", "8", "47166", "Duisburg"),
        ("Urlasstraße 10 a", "Urlasstraße", "10 a", None, None),
        ("Straße des 17. Juni 110, Berlin", "Straße des 17. Juni", "110", None, "Berlin"),
        ("Urlasstraße 22 91207 Lauf", "Urlasstraße", "22", "91207", "Lauf"),
        ("Marktplatz, Lauf", "Marktplatz", None, None, "Lauf"),
    ],
)
def test_parse_address(text, street, number, postcode, city):
    query = parse_address(text)
    assert (query.street, query.housenumber, query.postcode, query.city) == (
        street,
        number,
        postcode,
        city,
    )


def test_exact_house_number_is_placed_on_the_building(addresses):
    match = match_address(parse_address("Urlasstraße 22, Lauf an der Pegnitz"), addresses)
    assert match.quality == "exact"
    assert match.source == RATHAUS
    rathaus = addresses[addresses["source"] == RATHAUS].geometry.iloc[0]
    assert (match.lon, match.lat) == (rathaus.x, rathaus.y)


@pytest.mark.parametrize(
    "text",
    [
        "Urlasstr. 22, 91207 Lauf a.d. Pegnitz",
        "URLASSTRASSE 22",
        "Urlas-Straße 22, Lauf",
    ],
)
def test_written_differently_still_exact(addresses, text):
    match = match_address(parse_address(text), addresses)
    assert (match.quality, match.source) == ("exact", RATHAUS)


def test_suffixes_lists_and_ranges(addresses):
    ten_a = match_address(parse_address("Urlasstraße 10 A"), addresses)
    assert (ten_a.quality, ten_a.source) == ("exact", "osm:node/2125383306")
    # 38d is not in OSM; 38 is: approximate on number 38
    d = match_address(parse_address("Urlasstraße 38d"), addresses)
    assert (d.quality, d.source) == ("approximate", "osm:node/2125384231")
    # "Simonshofer Straße 8;10" and "Schloßplatz 2-4" in OSM
    assert match_address(parse_address("Simonshofer Str. 10"), addresses).quality == "exact"
    assert match_address(parse_address("Schlossplatz 4"), addresses).quality == "exact"
    assert match_address(parse_address("Schlossplatz 3"), addresses).quality != "exact"
    umlaut = match_address(parse_address("Albrecht-Duerer-Strasse 11"), addresses)
    assert (umlaut.quality, umlaut.source) == ("exact", "osm:way/45747008")


def test_street_only_is_placed_at_the_street_middle(addresses):
    """Urlasstraße exists (18 address points) but has no number 30."""
    match = match_address(parse_address("Urlasstraße 30, Lauf an der Pegnitz"), addresses)
    assert match.quality == "approximate"
    assert "middle of Urlasstraße" in match.note
    street = addresses[addresses["street"] == "Urlasstraße"]
    assert len(street) == 18
    points = {(p.x, p.y) for p in street.geometry}
    assert (match.lon, match.lat) in points  # on an address of that street
    metric = street.to_crs(25832).geometry
    centre = Point(metric.x.mean(), metric.y.mean())
    chosen = gpd.GeoSeries([Point(match.lon, match.lat)], crs=4326).to_crs(25832).iloc[0]
    assert chosen.distance(centre) == pytest.approx(metric.distance(centre).min())


def test_missing_address_is_unknown_and_not_placed(addresses):
    match = match_address(parse_address("Hamborner Altmarkt 8, 47166 Duisburg"), addresses)
    assert match.quality == "unknown" and not match.placed
    assert "Hamborner Altmarkt" in match.note


def test_a_contradicting_postcode_or_city_rules_the_street_out(addresses):
    wrong_code = match_address(parse_address("Urlasstraße 22, 90607 Rückersdorf"), addresses)
    assert wrong_code.quality == "unknown"
    wrong_city = match_address(parse_address("Urlasstraße 22, Dreieich"), addresses)
    assert wrong_city.quality == "unknown"


def test_registry_address_office_is_resolved_only_with_addresses(tmp_path, addresses):
    registry = tmp_path / "quartiers.toml"
    registry.write_text(
        '[quartiers.q]\nname = "Q"\ncity = "Lauf an der Pegnitz"\nstate = "DE-BY"\n'
        "[[quartiers.q.offices]]\n"
        'id = "q-office"\nname = "Büro"\naddress = "Urlasstraße 22"\n'
        'location = { address = "Urlasstraße 22, Lauf an der Pegnitz" }\n',
        encoding="utf-8",
    )
    spec = load_registry(registry)["q"]
    unresolved = spec.offices[0]
    assert unresolved["lon"] is None and unresolved["location_quality"] == "unknown"
    office = spec.resolve_offices(addresses=addresses)[0]
    assert office["location_quality"] == "exact"
    assert "osm:way/36900392" in office["location_note"]


# ------------------------------------------------------------------------------ Nominatim
def test_nominatim_finds_what_the_clipped_addresses_lack(addresses, nominatim):
    """A quartier cut to a small part of Lauf: the Rathaus lies outside, so its address is
    not among the quartier's addresses; Nominatim (opt-in) finds it exactly."""
    part = box(11.2700, 49.5160, 11.2760, 49.5200)  # west of the Rathaus
    inside = addresses[addresses.within(part)]
    text = "Urlasstraße 22, Lauf an der Pegnitz"
    assert match_address(parse_address(text), inside).quality != "exact"
    geocoder = NominatimGeocoder()
    match = locate_address(text, inside, geocoder=geocoder, area=part)
    assert (match.quality, match.source) == ("exact", "nominatim:way/36900392")
    rathaus = addresses[addresses["source"] == RATHAUS].geometry.iloc[0]
    assert abs(match.lon - rathaus.x) < 0.002 and abs(match.lat - rathaus.y) < 0.002
    path, params, agent = nominatim.requests[0]
    assert path == "/search" and params["format"] == "json"
    assert params["countrycodes"] == "de" and params["bounded"] == "1"
    assert agent == USER_AGENT and "geoquartier" in agent
    assert geocoder.rate_limiter.min_delay_seconds == MIN_DELAY_S == 1.0


def test_nominatim_answers_are_cached_on_disk(nominatim, tmp_path):
    first = NominatimGeocoder()
    assert first.search("Urlasstraße 22, Lauf an der Pegnitz").quality == "exact"
    assert first.search("Nowhere Street 1, Lauf").placed is False  # "not found" is cached too
    assert first.requests == 2 and len(nominatim.searches()) == 2
    again = NominatimGeocoder()  # a new run: answers come from <cache>/nominatim
    assert again.search("Urlasstraße 22, Lauf an der Pegnitz").quality == "exact"
    assert again.search("Nowhere Street 1, Lauf").placed is False
    assert again.requests == 0 and len(nominatim.searches()) == 2
    assert len(list((tmp_path / "cache" / "nominatim").glob("*.json"))) == 2


def test_nominatim_street_answer_is_approximate(nominatim):
    match = NominatimGeocoder().search("Urlasstraße 30, Lauf an der Pegnitz")
    assert match.quality == "approximate" and match.source.startswith("nominatim:way/")


def test_unreachable_nominatim_keeps_the_local_answer(addresses, monkeypatch, tmp_path):
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    geocoder = NominatimGeocoder(url="http://127.0.0.1:9", timeout_s=2)
    match = locate_address("Urlasstraße 30, Lauf an der Pegnitz", addresses, geocoder=geocoder)
    assert match.quality == "approximate" and "Nominatim" in match.note
