"""Planning results on the quartier map (real Lauf data): ``locate`` and ``supply`` keep
their result in the workspace, the map draws the chosen sites as numbered markers and the
supply per home as coloured points (below the planner's level outlined), switched off
unless asked for by name; the HTTP answers link to that map."""

from __future__ import annotations

import json

import numpy as np
import pytest
from browser_support import browser
from planning_fixtures import run_cli

from geoquartier.errors import GeoquartierError
from geoquartier.layers.store import GeoPackageStore
from geoquartier.maps import build_quartier_map
from geoquartier.maps.builder import map_html
from geoquartier.maps.data import collect_map_data
from geoquartier.maps.elements import DataLayer, PointItems
from geoquartier.maps.planning import SITES_KEY, SUPPLY_KEY, supply_class
from geoquartier.mobility.planning_results import list_runs, load_run

pytest_plugins = ["planning_fixtures"]
__all__ = ["browser"]

WEEK = "2026-W49"


@pytest.fixture(scope="module")
def kept(lauf_planning, tmp_path_factory):
    """``locate`` (2 sites, seniors) and ``supply`` (grocery) run once through the command
    line on the Lauf workspace, kept under the names ``map-test``."""
    import os

    from geoquartier.settings import reload_settings

    out = tmp_path_factory.mktemp("planning-map")
    old = os.environ.get("GEOQUARTIER_WORKSPACE")
    os.environ["GEOQUARTIER_WORKSPACE"] = str(lauf_planning.gpkg)
    reload_settings()
    try:
        named = ["--profile", "senior", "--name", "map-test"]
        located = run_cli(["locate", "lauf", *named, "--sites", "2", "-o", str(out / "s.gpkg")])
        supplied = run_cli(
            ["supply", "lauf", *named, "--category", "grocery", "--week", WEEK, "-o",
             str(out / "p.gpkg")]
        )  # fmt: skip
    finally:
        if old is None:
            os.environ.pop("GEOQUARTIER_WORKSPACE", None)
        else:
            os.environ["GEOQUARTIER_WORKSPACE"] = old
        reload_settings()
    assert located.exit_code == 0, located.output
    assert supplied.exit_code == 0, supplied.output
    return located.output, supplied.output


def _map(ws, **names):
    data = collect_map_data(
        ws.spec, GeoPackageStore(ws.gpkg), profile="senior", network=ws.network, **names
    )
    return build_quartier_map(data, lang="en", tile_url=None)


def _element(m, kind, key):
    """The first element of class ``kind`` with page-script name ``key`` in the map."""
    todo = list(m._children.values())
    while todo:
        el = todo.pop()
        if isinstance(el, kind) and json.loads(el.key_json) == key:
            return el
        todo += list(el._children.values())
    return None


def test_commands_keep_results_and_say_where_to_see_them(lauf_planning, kept):
    located, supplied = kept
    assert "on the map: geoquartier map lauf --sites map-test" in located
    assert "/quartiers/lauf/map?supply=map-test" in supplied
    runs = list_runs(lauf_planning.gpkg, "lauf")
    assert len(runs[runs["name"] == "map-test"]) == 2  # one per kind
    sites = load_run(lauf_planning.gpkg, "lauf", "locate", "map-test")
    assert len(sites.features) == 2 and sites.summary["profile"] == "senior"
    assert sites.features["residents_new"].sum() == pytest.approx(
        sites.summary["residents_newly_within"]
    )
    cells = load_run(lauf_planning.gpkg, "lauf", "supply", "map-test")
    assert len(cells.features) == len(lauf_planning.population)
    assert cells.summary["week"] == WEEK


def test_map_draws_numbered_sites_and_supply_by_name(lauf_planning, kept):
    m = _map(lauf_planning, sites="map-test", supply="map-test")
    assert m.gq_counts[SITES_KEY] == 2
    assert m.gq_counts[SUPPLY_KEY] == len(lauf_planning.population)
    items = json.loads(_element(m, PointItems, SITES_KEY).items_json)
    assert [item["n"] for item in items] == [1, 2]
    stored = load_run(lauf_planning.gpkg, "lauf", "locate", "map-test").features
    for item, (_, row) in zip(items, stored.sort_values("rank").iterrows(), strict=True):
        assert row["address"] in item["p"]  # the popup gives the address ...
        assert f"{int(round(row['residents_new'])):,}" in item["p"]  # ... and residents new
        assert item["lat"] == pytest.approx(row.geometry.y) and item["lon"] == pytest.approx(
            row.geometry.x
        )
    layer = _element(m, DataLayer, SUPPLY_KEY)
    assert layer.show  # asked for by name: switched on
    features = json.loads(layer.data_json)["features"]
    cells = load_run(lauf_planning.gpkg, "lauf", "supply", "map-test")
    below = cells.features["below"].astype(bool).to_numpy()
    classes = np.array([f["properties"]["_c"] for f in features])
    assert np.array_equal(classes <= 1, below)  # the outlined classes are the cells below
    none = cells.features["hours_per_1000"].to_numpy() == 0
    assert np.array_equal(classes == 0, none) and 0 < none.sum() <= below.sum()
    assert supply_class(2.5, 2.0, [5, 10]) == 2 and supply_class(11, 2.0, [5, 10]) == 4
    html = map_html(m)
    assert "Proposed new sites" in html
    assert "Hours open per week per 1,000 residents within 10 min walk: " in html
    assert "less than 2 (below the level set)" in html


def test_latest_results_are_in_the_layer_list_switched_off(lauf_planning, kept):
    m = _map(lauf_planning)
    assert m.gq_counts[SITES_KEY] == 2
    assert not _element(m, DataLayer, SUPPLY_KEY).show
    group = _element(m, PointItems, SITES_KEY)._parent
    assert not group.show


def test_unknown_result_name_is_refused(lauf_planning, kept):
    with pytest.raises(GeoquartierError, match="no stored locate result 'nope'"):
        _map(lauf_planning, sites="nope")
    res = run_cli(["locate", "lauf", "--name", "bad name", "-o", "/tmp/never.gpkg"])
    assert res.exit_code == 2 and "result name" in res.output


def test_overlays_are_translated(lauf_planning, kept):
    data = collect_map_data(
        lauf_planning.spec, GeoPackageStore(lauf_planning.gpkg), profile="senior",
        network=lauf_planning.network, sites="map-test", supply="map-test",
    )  # fmt: skip
    for lang in ("de", "tr", "ro", "bg"):
        html = map_html(build_quartier_map(data, lang=lang, tile_url=None))
        assert "Proposed new sites" not in html and "below the level set" not in html, lang


@pytest.mark.browser
@pytest.mark.slow
def test_numbered_sites_in_the_browser(lauf_planning, kept, browser, tmp_path):
    page_file = tmp_path / "map.html"
    page_file.write_text(map_html(_map(lauf_planning, sites="map-test")), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_selector(".gq-marker-site")
    assert page.locator(".gq-marker-site .gq-pin-n").all_inner_texts() == ["1", "2"]
    page.locator(".gq-marker-site").first.click()
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert popup.startswith("Proposed site 1") and "Residents newly within 10 min" in popup
    assert errors == []


def test_map_command_shows_a_kept_result(planning_env, kept, tmp_path):
    out = tmp_path / "lauf.html"
    res = run_cli(["map", "lauf", "--profile", "senior", "--sites", "map-test", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert html.count('"g":"site"') == 2 and "Vorgeschlagene neue Standorte" in html
    res = run_cli(["map", "lauf", "--supply", "nope", "-o", str(tmp_path / "x.html")])
    assert res.exit_code != 0 and not (tmp_path / "x.html").exists()
