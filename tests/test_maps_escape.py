"""Text from OSM, planners and residents is escaped before it reaches HTML or JavaScript."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geoquartier.maps.escape import script_json, text
from geoquartier.maps.i18n import Translator
from geoquartier.maps.popups import (
    HoursBook,
    PlaceFacts,
    annotation_popup,
    place_popup,
    stop_popup,
)

try:
    from tests.test_maps_support import BUILT_AT, XSS_NAME, map_data, maps_store
except ImportError:  # pragma: no cover - run from tests/
    from test_maps_support import BUILT_AT, XSS_NAME, map_data, maps_store  # noqa: F401


def test_text_escapes_markup_and_quotes():
    assert text(XSS_NAME) == "&lt;img src=x onerror=alert(1)&gt;"
    assert text('a" onmouseover="x') == "a&quot; onmouseover=&quot;x"
    assert text(None) == "" and text(float("nan")) == ""


def test_script_json_cannot_close_the_script():
    payload = {"name": "</script><script>alert(1)</script>", "c": "<!-- \u2028 & >"}
    out = script_json(payload)
    assert "</script" not in out.lower() and "<!--" not in out and "\u2028" not in out
    assert json.loads(out) == payload


def _row(**values):
    base = {
        "id": "x1",
        "name": None,
        "category": "debt",
        "operator": None,
        "address": None,
        "phone": None,
        "email": None,
        "opening_hours": None,
        "languages": [],
        "wheelchair": None,
        "source": None,
        "kind": None,
        "location_quality": None,
        "location_note": None,
    }
    base.update(values)
    return pd.Series(base)


def test_place_popup_escapes_every_field():
    evil = XSS_NAME
    row = _row(
        name=evil,
        operator=evil,
        address=evil,
        phone="+49 30 1234<b>",
        email=evil,
        source=evil,
        opening_hours=evil,
    )
    html = place_popup(
        Translator("en"),
        HoursBook("DE-BE", BUILT_AT),
        "services",
        row,
        PlaceFacts(category_label="Debt advice"),
    )
    assert "<img" not in html and "<b>" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 4
    assert 'href="tel:+49301234"' in html  # only digits and + reach the link


def test_stop_and_annotation_popups_escape():
    tr = Translator("de")
    assert "<img" not in stop_popup(
        tr, pd.Series({"id": "s", "name": XSS_NAME, "wheelchair": None, "source": "gtfs:stop/1"})
    )
    note = pd.Series(
        {
            "id": "a",
            "kind": "idea",
            "text": XSS_NAME + "</script>",
            "language": '"><x',
            "status": "approved",
            "created_at": pd.Timestamp("2026-11-20T10:00Z"),
        }
    )
    html = annotation_popup(tr, note)
    assert "<img" not in html and "</script>" not in html and '"><x' not in html
    assert "Idee" in html


def test_built_map_shows_the_xss_name_only_as_text(map_data):
    from geoquartier.maps.builder import build_quartier_map

    data = map_data("neu-olvenstedt")
    services = gpd.GeoDataFrame(
        {
            "id": ["xss-1"],
            "quartier": ["neu-olvenstedt"],
            "name": [XSS_NAME],
            "category": ["migration"],
            "operator": [XSS_NAME],
            "address": ["Scharnhorstring 1"],
            "phone": [None],
            "opening_hours": ["Mo-Fr 09:00-12:00"],
            "languages": [["tr", "ar"]],
            "wheelchair": ["yes"],
            "source": ["test"],
        },
        geometry=[Point(11.5871, 52.1504)],
        crs="EPSG:4326",
    )
    data.layers["services"] = services
    html = build_quartier_map(data, lang="en", tile_url=None, built_at=BUILT_AT).get_root().render()
    assert XSS_NAME not in html
    assert "onerror=alert(1)>" not in html
    # in the list (HTML-escaped) and in the marker data (JSON-escaped)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert re.search(r"<html lang=\"en\">", html)
