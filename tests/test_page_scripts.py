"""The script base shared by the quartier maps and the participation pages.

Both kinds of page inline ``geoquartier/maps/static/geoquartier-base.js`` and read every
vocabulary (kinds and their colours, time zone, tile URL) from their page config, which
Python fills from :mod:`geoquartier.vocabulary`; so a kind has one colour everywhere. The
participation, moderation and report templates put the CSP nonce on every ``<script>``
themselves (the rewriting of ``<script`` in ``pages.html_page`` is no longer needed).
Quartier boundaries and map layers are the real ones (Lauf).
"""

from __future__ import annotations

import json
import os
import re

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point

from api.participation import events as events_module
from api.participation import pages as pages_module
from geoquartier.maps.assets import BASE_SCRIPT, STATIC_DIR, script_text
from geoquartier.maps.builder import build_quartier_map, map_html
from geoquartier.registry import load_registry
from geoquartier.settings import reload_settings
from geoquartier.vocabulary import (
    ANNOTATION_COLOURS,
    ANNOTATION_KINDS,
    TILE_URL,
    TIME_ZONE_NAME,
)

try:
    from tests.api_fixtures import bearer, create_event
    from tests.test_maps_support import BUILT_AT, map_data, maps_store
except ImportError:  # pragma: no cover
    from api_fixtures import bearer, create_event
    from test_maps_support import BUILT_AT, map_data, maps_store  # noqa: F401

PARTICIPATION_STATIC = STATIC_DIR.parents[2] / "api" / "participation" / "static"
SCRIPT_START = re.compile(r"<script(?=[\s>])", re.IGNORECASE)
"""Where ``html_page`` used to add a nonce to the rendered page."""

CONFIG = re.compile(r'<script\b[^>]*\bid="gq-config"[^>]*>(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A fresh participation database for this module (set through the environment)."""
    path = tmp_path_factory.mktemp("page-scripts") / "participation.sqlite"
    saved = os.environ.get("GEOQUARTIER_PARTICIPATION_DB")
    os.environ["GEOQUARTIER_PARTICIPATION_DB"] = str(path)
    reload_settings()
    from tests.api_fixtures import settings_changed

    with settings_changed(participation_db=path):  # the app may run with overridden settings
        yield path
    if saved is None:
        os.environ.pop("GEOQUARTIER_PARTICIPATION_DB", None)
        reload_settings()
    else:
        os.environ["GEOQUARTIER_PARTICIPATION_DB"] = saved
    reload_settings()


@pytest.fixture(scope="module")
def client(db):
    from api.main import app

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def planner_token(client, db):
    from api.participation.store import open_store

    return open_store(db).add_user("page-scripts planning", "planner")[1]


@pytest.fixture(scope="module")
def planner(planner_token):
    return bearer(planner_token)


@pytest.fixture(scope="module")
def event_id(client, planner_token):
    inside = load_registry()["lauf"].boundary.representative_point()
    location = {"lon": inside.x, "lat": inside.y}
    title = "Stadtteilwerkstatt <b>Markt</b>"
    return create_event(client, planner_token, title, location=location)["id"]


def _page_urls(event_id: str) -> dict[str, str]:
    return {
        "participate": f"/participate/lauf?lang=tr&event={event_id}",
        "moderate": "/moderate?lang=de",
        "report": f"/events/{event_id}/report.html?lang=en",
    }


def _template_output(client, monkeypatch, url: str, headers: dict) -> tuple[str, str, str, str]:
    """(HTML as the template rendered it, nonce handed to ``html_page``, the sent CSP, the
    sent HTML)."""
    seen: list[tuple[str, str]] = []
    original = pages_module.html_page

    def spy(html: str, nonce: str):
        seen.append((html, nonce))
        return original(html, nonce)

    monkeypatch.setattr(pages_module, "html_page", spy)
    monkeypatch.setattr(events_module, "html_page", spy)
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text[:300]
    assert len(seen) == 1
    return seen[0][0], seen[0][1], answer.headers["Content-Security-Policy"], answer.text


@pytest.mark.parametrize("page", ["participate", "moderate", "report"])
def test_every_script_tag_carries_the_nonce_from_the_template(
    client, planner, event_id, monkeypatch, page
):
    html, nonce, csp, sent = _template_output(
        client, monkeypatch, _page_urls(event_id)[page], planner
    )
    assert f"script-src 'nonce-{nonce}'" in csp
    tags = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
    # leaflet.js, its icon paths, leaflet.draw.js, config, labels, base, participation, page
    assert len(tags) == 8
    assert all(tag.count(f' nonce="{nonce}"') == 1 for tag in tags), tags
    # every place where html_page used to add a nonce already has this one, so adding
    # nonces after rendering is not needed
    starts = list(SCRIPT_START.finditer(html))
    assert len(starts) == len(tags)
    for match in starts:
        tag = html[match.start() : html.index(">", match.start()) + 1]
        assert f' nonce="{nonce}"' in tag, tag
    assert "nonce=" not in html.replace(f' nonce="{nonce}"', "")
    # the page sent has each nonce once: a script tag with two nonce attributes is blocked
    assert sent == html


def _config(html: str) -> dict:
    found = CONFIG.findall(html)
    assert len(found) == 1
    return json.loads(found[0])


def _approved_notes() -> gpd.GeoDataFrame:
    """One approved contribution of every kind in Lauf (EPSG:4326)."""
    centre = load_registry()["lauf"].boundary.representative_point()
    return gpd.GeoDataFrame(
        {
            "id": [f"k{i}" for i in range(len(ANNOTATION_KINDS))],
            "quartier": ["lauf"] * len(ANNOTATION_KINDS),
            "kind": list(ANNOTATION_KINDS),
            "text": [f"Beitrag {kind}" for kind in ANNOTATION_KINDS],
            "language": ["de"] * len(ANNOTATION_KINDS),
            "event_id": [None] * len(ANNOTATION_KINDS),
            "status": ["approved"] * len(ANNOTATION_KINDS),
            "created_at": pd.to_datetime(["2026-11-01"] * len(ANNOTATION_KINDS), utc=True),
        },
        geometry=[Point(centre.x + 0.0005 * i, centre.y) for i in range(len(ANNOTATION_KINDS))],
        crs="EPSG:4326",
    )


def test_a_kind_has_the_same_colour_on_the_pages_and_the_map(client, planner, event_id, map_data):
    for url in _page_urls(event_id).values():
        config = _config(client.get(url, headers=planner).text)
        assert config["kindColours"] == ANNOTATION_COLOURS
        assert config["kinds"] == list(ANNOTATION_KINDS)
        assert config["timeZone"] == TIME_ZONE_NAME and config["tileUrl"] == TILE_URL
        assert set(config["kindLabels"]) == set(ANNOTATION_KINDS)

    m = build_quartier_map(
        map_data("lauf"), lang="de", annotations=_approved_notes(), built_at=BUILT_AT
    )
    html = map_html(m)
    config = _config(html)
    assert config["kindColours"] == ANNOTATION_COLOURS
    assert config["timeZone"] == TIME_ZONE_NAME and config["tileUrl"] == TILE_URL
    assert config["kindLabels"]["idea"] == "Idee"
    # the map draws each contribution in its kind's colour from the same table
    layer = next(
        child
        for child in m._children.values()
        if type(child).__name__ == "DataLayer" and child.key == "annotations"
    )
    classes = json.loads(layer.options_json)["classes"]
    features = json.loads(layer.data_json)["features"]
    drawn = {
        re.search(r"Beitrag (\w+)", f["properties"]["_p"]).group(1): classes[f["properties"]["_c"]]
        for f in features
    }
    assert {kind: style["color"] for kind, style in drawn.items()} == ANNOTATION_COLOURS
    # and the participation page's script base is the map's
    assert script_text(BASE_SCRIPT) in html
    participate = client.get(_page_urls(event_id)["participate"]).text
    assert script_text(BASE_SCRIPT) in participate


def test_the_scripts_hard_code_no_vocabulary():
    """Colours, kinds, time zone and tile URL come from the page config only."""
    scripts = sorted(STATIC_DIR.glob("*.js")) + sorted(PARTICIPATION_STATIC.glob("*.js"))
    names = {p.name for p in scripts}
    assert {BASE_SCRIPT, "geoquartier-map.js", "participation.js", "moderate.js"} <= names
    for path in scripts:
        text = path.read_text(encoding="utf-8").lower()
        for colour in ANNOTATION_COLOURS.values():
            assert colour.lower() not in text, (path.name, colour)
        for kind in ANNOTATION_KINDS:
            assert f"'{kind}'" not in text and f'"{kind}"' not in text, (path.name, kind)
        kind_colour = re.search(r"\b(" + "|".join(ANNOTATION_KINDS) + r")\s*:\s*['\"]#", text)
        assert kind_colour is None, (path.name, kind_colour)
        assert TIME_ZONE_NAME.lower() not in text, path.name
        assert "tile.openstreetmap.org" not in text, path.name
