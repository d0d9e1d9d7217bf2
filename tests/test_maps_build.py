"""Building and saving maps without a browser: layers drawn from the real data, no network
resource in the page, the CLI, the batch of demo maps, profiles."""

from __future__ import annotations

import re

import folium.plugins
import numpy as np
import pytest
from typer.testing import CliRunner

from geoquartier.errors import GeoquartierError
from geoquartier.maps import build_all_maps, build_quartier_map, save_map
from geoquartier.maps.data import collect_map_data, gather_map_data
from geoquartier.maps.elements import ExternalAssetError
from geoquartier.registry import load_registry
from geoquartier.settings import reload_settings

try:
    from tests.test_maps_support import BUILT_AT, map_data, maps_store
except ImportError:  # pragma: no cover
    from test_maps_support import BUILT_AT, map_data, maps_store  # noqa: F401

EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE
)


@pytest.mark.parametrize("quartier,method", [("neu-olvenstedt", "estimate"), ("lauf", "network")])
def test_map_draws_every_layer_of_the_data(map_data, tmp_path, quartier, method):
    data = map_data(quartier)
    assert data.method == method
    m = build_quartier_map(data, lang="en", built_at=BUILT_AT)
    assert m.gq_counts["offices"] == 1
    assert m.gq_counts["pois"] == len(data.layer("pois")) > 20
    assert m.gq_counts["stops"] == len(data.layer("stops")) >= 30
    html = save_map(m, tmp_path / "map.en.html").read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert EXTERNAL.search(html) is None
    assert (
        "cdn.jsdelivr" not in html and "code.jquery.com" not in html and "bootstrapcdn" not in html
    )
    assert 'data-asset="leaflet/dist/leaflet.js"' in html and "1.9.4" in html
    assert 'data-asset="leaflet.markercluster/dist/leaflet.markercluster.js"' in html
    assert "tile.openstreetmap.org" in html  # the default tiles, tried first at view time
    assert "user-scalable=no" not in html
    # the walking legend says how the times were computed
    note = (
        "Estimate: straight line × detour factor"
        if method == "estimate"
        else "Computed on the footpath network"
    )
    assert note in html
    # every population cell/home got a walking time to the office
    assert data.access is not None and len(data.access) == len(data.layer("population"))
    assert np.isfinite(data.access["walk_min"]).mean() > 0.9
    assert sorted(data.isochrones["minutes"].tolist()) == [5, 10, 15]


def test_an_element_asking_for_a_cdn_is_refused(map_data):
    m = build_quartier_map(map_data("neu-olvenstedt"), lang="de", tile_url=None, built_at=BUILT_AT)
    folium.plugins.Fullscreen().add_to(m)  # links its script from a CDN
    with pytest.raises(ExternalAssetError, match="Fullscreen|fullscreen"):
        m.get_root().render()


def test_bad_arguments_are_user_errors(map_data, maps_store):
    data = map_data("neu-olvenstedt")
    with pytest.raises(GeoquartierError, match="de, en, tr, ro, bg"):
        build_quartier_map(data, lang="fr")
    with pytest.raises(GeoquartierError, match="standard, senior, wheelchair"):
        gather_map_data("neu-olvenstedt", profile="runner", store=maps_store)
    with pytest.raises(GeoquartierError, match="unknown category"):
        gather_map_data("neu-olvenstedt", category="bakery", store=maps_store)
    with pytest.raises(GeoquartierError, match="unknown quartier 'atlantis'"):
        gather_map_data("atlantis", store=maps_store)
    with pytest.raises(TypeError, match="gather_map_data"):
        build_quartier_map("neu-olvenstedt")


def test_senior_profile_walks_slower(maps_store):
    spec = load_registry()["lauf"]
    standard = collect_map_data(spec, maps_store, profile="standard", category="pharmacy")
    senior = collect_map_data(spec, maps_store, profile="senior", category="pharmacy")
    both = standard.access.merge(senior.access, on="id", suffixes=("_std", "_sen")).dropna()
    assert len(both) > 1000
    assert (both["walk_min_sen"] >= both["walk_min_std"] - 1e-9).all()
    assert both["walk_min_sen"].mean() > both["walk_min_std"].mean()


def test_annotations_argument_shows_only_approved(map_data):
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    notes = gpd.GeoDataFrame(
        {
            "id": ["a1", "a2"],
            "quartier": ["lauf"] * 2,
            "kind": ["idea", "problem"],
            "text": ["Bank am Marktplatz", "NOT APPROVED YET"],
            "language": ["de", "de"],
            "event_id": [None, None],
            "status": ["approved", "pending"],
            "created_at": pd.to_datetime(["2026-11-01", "2026-11-02"], utc=True),
        },
        geometry=[Point(11.2795, 49.5105), Point(11.28, 49.511)],
        crs="EPSG:4326",
    )
    html = (
        build_quartier_map(
            map_data("lauf"), lang="de", annotations=notes, tile_url=None, built_at=BUILT_AT
        )
        .get_root()
        .render()
    )
    assert "Bank am Marktplatz" in html and "NOT APPROVED YET" not in html
    assert "Freigegebene Beiträge" in html


def test_cli_map_writes_a_standalone_file(maps_store, tmp_path, monkeypatch):
    import geoquartier.cli.maps  # noqa: F401  (registers the command)
    from geoquartier.cli.app import app

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(maps_store.path))
    reload_settings()
    out = tmp_path / "neu-olvenstedt.tr.html"
    result = CliRunner().invoke(
        app,
        [
            "map",
            "neu-olvenstedt",
            "--lang",
            "tr",
            "-o",
            str(out),
            "--tiles",
            "none",
            "--all-languages",
        ],
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    html = out.read_text(encoding="utf-8")
    assert '<html lang="tr">' in html and "Neu Olvenstedt haritası" in html
    for lang in ("de", "en", "ro", "bg"):
        assert (tmp_path / f"neu-olvenstedt.{lang}.html").is_file()
        assert f'href="neu-olvenstedt.{lang}.html" hreflang="{lang}"' in html
    bad = CliRunner().invoke(app, ["map", "neu-olvenstedt", "--lang", "xx", "-o", str(out)])
    assert bad.exit_code != 0


def test_build_all_maps_writes_each_language(maps_store, tmp_path):
    paths = build_all_maps(
        tmp_path,
        langs=("de", "bg"),
        quartiers=("neu-olvenstedt",),
        store=maps_store,
        tile_url=None,
        progress=False,
    )
    assert [p.name for p in paths] == ["neu-olvenstedt.de.html", "neu-olvenstedt.bg.html"]
    bg = paths[1].read_text(encoding="utf-8")
    assert '<html lang="bg">' in bg and "Карта на Neu Olvenstedt" in bg
    assert 'href="neu-olvenstedt.de.html" hreflang="de"' in bg


def test_measures_are_coloured_by_status_with_funding_and_dates(map_data):
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString, Point

    measures = gpd.GeoDataFrame(
        {
            "id": ["m1", "m2"],
            "quartier": ["lauf"] * 2,
            "name": ["Neugestaltung Marktplatz", "Spielplatz Nord"],
            "kind": ["public space", "playground"],
            "status": ["in_progress", "planned"],
            "start": pd.to_datetime(["2026-03-01", "2027-04-01"], utc=True),
            "end": pd.to_datetime(["2027-10-31", None], utc=True),
            "cost_eur": [1250000.0, None],
            "funding": ["Städtebauförderung", "EFRE"],
            "description": ["<script>x</script>", None],
        },
        geometry=[LineString([(11.279, 49.510), (11.281, 49.511)]), Point(11.282, 49.513)],
        crs="EPSG:4326",
    )
    data = map_data("lauf")
    data.layers["measures"] = measures
    html = build_quartier_map(data, lang="de", tile_url=None, built_at=BUILT_AT).get_root().render()
    assert "in Umsetzung" in html and "geplant" in html and "Städtebauförderung" in html
    assert "1.250.000,00\xa0€" in html and "01.03.2026" in html and "31.10.2027" in html
    assert "<script>x</script>" not in html


def test_office_without_location_is_listed_with_its_hours_but_not_drawn(tmp_path):
    """Alt-Hamborn: the Stadtteilbüro's address is not in the data (no invented point),
    but residents still find its address, phone and opening hours in the place list."""
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore

    spec = load_registry()["alt-hamborn"]
    store = GeoPackageStore(tmp_path / "ws.gpkg")
    summary = import_quartier(spec, store, progress=False, online=False)
    assert summary.counts["offices"] == 0  # nothing placed in the layer
    data = collect_map_data(spec, store)
    assert data.drawable_offices().empty
    html = build_quartier_map(data, lang="de", tile_url=None, built_at=BUILT_AT).get_root().render()
    assert "Stadtteilbüro Alt-Hamborn" in html
    assert "Hamborner Altmarkt 8, 47166 Duisburg" in html
    assert "+49 203 31774411" in html
    assert "Ort nicht in den Daten" in html
    assert '<span class="gq-days">Dienstag</span> 10:00–13:00' in html  # one line per day
    assert 'data-gq-show="alt-hamborn-stadtteilbuero"' not in html  # no marker button
