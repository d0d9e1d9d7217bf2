"""The quartier registry: facts from the seed texts, locations from real data only."""

from __future__ import annotations

import pytest

from geoquartier.errors import GeoquartierError
from geoquartier.layers.opening_hours import OpeningHours
from geoquartier.registry import RegistryError, get_quartier, load_registry


def test_registry_lists_the_four_seed_quartiers_and_two_demo_quartiers():
    registry = load_registry()
    assert {"neu-olvenstedt", "alt-hamborn", "batenbrock", "obere-altstadt"} <= set(registry)
    assert {q.id for q in registry.values() if q.demo} == {"lauf", "dreieich"}
    assert registry["alt-hamborn"].state == "DE-NW"
    assert registry["neu-olvenstedt"].state_code == "ST"
    assert registry["neu-olvenstedt"].mode == "estimate"


def test_neu_olvenstedt_office_sits_at_the_scharnhorstring_stop_and_says_approximate():
    office = get_quartier("neu-olvenstedt").offices[0]
    assert office["name"] == "Büro für Stadtteilarbeit"
    assert office["address"].startswith("Scharnhorstring 38")
    # the GTFS stop "Magdeburg, Scharnhorstring" (de:15003:9332::01), read from the feed
    assert office["lat"] == pytest.approx(52.150394, abs=1e-6)
    assert office["lon"] == pytest.approx(11.587042, abs=1e-6)
    assert office["location_quality"] == "approximate"


def test_alt_hamborn_office_keeps_the_seed_facts_and_has_no_invented_location():
    office = get_quartier("alt-hamborn").offices[0]
    assert office["address"] == "Hamborner Altmarkt 8, 47166 Duisburg"
    assert office["phone"] == "+49 203 31774411"
    assert office["lon"] is None and office["lat"] is None
    assert office["location_quality"] == "unknown"
    hours = OpeningHours(office["opening_hours"], state="DE-NW")
    from datetime import datetime

    assert hours.is_open(datetime(2026, 11, 24, 11, 0))  # a Tuesday
    assert not hours.is_open(datetime(2026, 11, 24, 14, 0))


def test_demo_office_in_lauf_is_placed_on_the_rathaus_from_the_extract():
    spec = get_quartier("lauf")
    office = spec.offices[0]
    assert spec.boundary.contains(
        __import__("shapely").geometry.Point(office["lon"], office["lat"])
    )
    assert spec.walk_network_path.name == "lauf_an_der_pegnitz_walk_osm.osm.bz2"


def test_unknown_quartier_names_the_known_ones():
    with pytest.raises(GeoquartierError, match="unknown quartier 'nowhere'.*neu-olvenstedt"):
        get_quartier("nowhere")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\nmode="teleport"\n', "'mode'"),
        ('[quartiers.x]\ncity="C"\nstate="DE-NW"\n', "'name'"),
        ('[quartiers.x]\nname="X"\ncity="C"\nstate="NW"\n', "'state'"),
        (
            (
                '[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\n'
                '[[quartiers.x.offices]]\nid="o"\nname="O"\nlocation_quality="exact"\n'
            ),
            "offices\\[0\\].location",
        ),
        ('[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\npopulation=-3\n', "'population'"),
        (
            '[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\n[quartiers.x.sources]\nosm="a"\n',
            "'sources.osm'.*boundary, osm_extract",
        ),
        (
            '[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\n[[quartiers.x.offices]]\nname="O"\n',
            "'offices\\[0\\]': expected an 'id' and a 'name'",
        ),
        (
            (
                '[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\n'
                '[[quartiers.x.offices]]\nid="o"\nname="O"\nfax="1"\n'
            ),
            "'offices\\[0\\].fax'",
        ),
        (
            (
                '[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\n'
                '[[quartiers.x.offices]]\nid="o"\nname="O"\nlocation_quality="roughly"\n'
            ),
            "'offices\\[0\\].location_quality': expected one of exact, approximate, unknown",
        ),
        ("[quartiers.x\nname=", "not valid TOML"),
    ],
)
def test_malformed_registry_names_quartier_and_key(tmp_path, body, message):
    path = tmp_path / "quartiers.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        load_registry(path)


def test_unknown_registry_key_is_rejected_not_dropped(tmp_path):
    path = tmp_path / "quartiers.toml"
    path.write_text(
        '[quartiers.x]\nname="X"\ncity="C"\nstate="DE-NW"\nresidents=5\n', encoding="utf-8"
    )
    with pytest.raises(RegistryError, match="'residents'"):
        load_registry(path)
