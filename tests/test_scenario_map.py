"""Published scenarios on the public map of Lauf (real data): their layer, the building
measure naming a scenario (popup, OGC item, validation) and the map cache after a publish."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from geoquartier.errors import ValidationError
from tests.api_fixtures import api_workspace  # noqa: F401  (fixture)

LANG_WORDS = {
    "de": "Szenario",
    "en": "Scenario",
    "tr": "Senaryo",
    "ro": "Scenariu",
    "bg": "Сценарий",
}


@pytest.fixture(scope="module")
def lauf(api_workspace, tmp_path_factory):  # noqa: F811
    """A copy of the API workspace with the demo's published example scenario of Lauf, its
    example measure, and a draft scenario."""
    from geoquartier.cli.demo import demo_scenario
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.mobility.scenarios import Scenario, list_scenarios, save_scenario
    from geoquartier.registry import load_registry

    gpkg = tmp_path_factory.mktemp("scenario-map") / "ws.gpkg"
    shutil.copyfile(api_workspace.gpkg, gpkg)
    store = GeoPackageStore(gpkg)
    spec = load_registry()["lauf"]
    demo_scenario(spec, store)
    published = list_scenarios(gpkg, "lauf")["id"].iloc[0]
    draft = Scenario("lauf", "Entwurf: Apotheke am Markt")
    draft.add("facility_add", shapely.Point(11.2825, 49.5105), category="pharmacy")
    save_scenario(gpkg, draft)
    return {"store": store, "spec": spec, "published": published, "draft": draft.id}


def _layers(m) -> dict:
    from geoquartier.maps.elements import DataLayer

    return {c.key: c for c in m._children.values() if isinstance(c, DataLayer)}


def test_published_scenario_is_a_layer_off_by_default_in_every_language(lauf):
    from geoquartier.maps import build_quartier_map, gather_map_data
    from geoquartier.maps.builder import map_html
    from geoquartier.maps.styles import SCENARIO_COLOURS

    data = gather_map_data(lauf["spec"], store=lauf["store"])
    assert [o.id for o in data.scenarios] == [lauf["published"]]  # drafts never appear
    overlay = data.scenarios[0]
    # nothing changes for the office with the standard profile: the layer shows the
    # category and profile in which most residents' walk changes (the ramp: wheelchair)
    assert overlay.profile == "wheelchair" and overlay.category == "general"
    homes = overlay.homes
    assert len(homes) == 32 and (homes["gain_min"] > 0).all()
    assert (homes["walk_min_after"] < homes["walk_min_before"]).all()
    assert sorted(overlay.edits["change"]) == ["added", "changed"]
    key = f"scenario-{lauf['published']}"
    for lang, word in LANG_WORDS.items():
        m = build_quartier_map(data, lang=lang)
        layer = _layers(m)[key]
        assert layer.show is False and layer.count == len(homes) + 2
        assert layer.layer_name == f"{word}: Steg und Rampe (Beispiel)"
        html = map_html(m)
        assert f"scenario-{lauf['draft']}" not in html
        # the legend section of the layer: edits and homes in the scenario colours
        assert f'data-gq-legend=\\"{key}\\"' in html
        for change in ("added", "changed", "gain"):
            assert SCENARIO_COLOURS[change] in html
    en = map_html(build_quartier_map(data, lang="en"))
    assert "Homes with a shorter walk to:" in en
    assert "Homes with a longer walk to:" not in en  # nobody walks longer
    de = map_html(build_quartier_map(data, lang="de"))
    assert "Wohnungen mit kürzerem Fußweg zu:" in de
    assert "Ein Plan, noch nicht gebaut" in de


def test_measure_popup_shows_residents_gaining_access_from_its_scenario(lauf):
    from geoquartier.maps import build_quartier_map, gather_map_data
    from geoquartier.maps.builder import map_html

    data = gather_map_data(lauf["spec"], store=lauf["store"])
    measures = data.layer("measures")
    assert list(measures["scenario_id"]) == [lauf["published"]]
    assert measures["scenario_gaining_access"].iloc[0] == 0  # nobody crosses 10 minutes
    html = map_html(build_quartier_map(data, lang="de"))
    assert "Bewohner mit neuem Zugang" in html
    assert "0 neu in 10 Min. erreichbar (Szenario: Steg und Rampe (Beispiel))" in html


def _measure(scenario_id, quartier="lauf"):
    return gpd.GeoDataFrame(
        {
            "id": ["m-test"],
            "quartier": [quartier],
            "name": ["Test"],
            "status": ["planned"],
            "scenario_id": [scenario_id],
        },
        geometry=[shapely.Point(11.28, 49.51)],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("unknown", "the id of a scenario in the workspace"),
        ("draft", "a published scenario ('geoquartier scenario publish"),
    ],
)
def test_measure_naming_a_missing_or_draft_scenario_is_refused_and_nothing_written(
    lauf, which, message
):
    store = lauf["store"]
    version = store.version()
    sid = {"unknown": "nope12345678", "draft": lauf["draft"]}[which]
    with pytest.raises(ValidationError) as err:
        store.write("measures", _measure(sid), quartier="lauf")
    assert "field 'scenario_id'" in str(err.value) and message in str(err.value)
    assert store.version() == version
    assert list(store.read("measures", quartier="lauf")["id"]) == ["beispiel-rampe"]


def test_measure_of_another_quartier_cannot_name_a_lauf_scenario(lauf):
    with pytest.raises(ValidationError, match="a scenario of quartier 'neu-olvenstedt'"):
        lauf["store"].write(
            "measures", _measure(lauf["published"], "neu-olvenstedt"), quartier="neu-olvenstedt"
        )


@pytest.fixture(scope="module")
def client(lauf, tmp_path_factory):
    from api.main import app
    from api.participation.store import open_store
    from tests.api_fixtures import settings_changed

    db = tmp_path_factory.mktemp("scenario-map-db") / "p.sqlite"
    _, token = open_store(db).add_user("planerin", "planner")
    with (
        settings_changed(workspace=lauf["store"].path, participation_db=db),
        TestClient(app, raise_server_exceptions=False) as c,
    ):
        yield c, {"Authorization": f"Bearer {token}"}


def test_ogc_item_of_the_measure_shows_residents_gaining_access(client, lauf):
    c, _ = client
    r = c.get("/collections/measures/items/beispiel-rampe")
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["scenario_id"] == lauf["published"]
    assert props["scenario_title"] == "Steg und Rampe (Beispiel)"
    assert props["residents_gaining_access"] == 0 and props["access_minutes"] == 10
    assert props["residents_walking_less"] > 0
    assert set(props["scenario_categories"]) >= {"general", "kindergarten"}


def test_map_cache_notices_a_published_scenario(client):
    c, planner = client
    base = "/quartiers/lauf/scenarios"
    first = c.get("/quartiers/lauf/map?lang=en")
    assert first.status_code == 200
    r = c.post(base, json={"title": "Neue Apotheke"}, headers=planner)
    sid = r.json()["id"]
    point = {"type": "Point", "coordinates": [11.2825, 49.5105]}
    edit = {"kind": "facility_add", "geometry": point, "params": {"category": "pharmacy"}}
    assert c.post(f"{base}/{sid}/edits", json=edit, headers=planner).status_code == 201
    draft_map = c.get("/quartiers/lauf/map?lang=en").text
    assert f"scenario-{sid}" not in draft_map  # a draft is never on the public map
    assert c.post(f"{base}/{sid}/publish", headers=planner).status_code == 200
    html = c.get("/quartiers/lauf/map?lang=en").text
    assert f"scenario-{sid}" in html and "Scenario: Neue Apotheke" in html
    assert f"scenario-{sid}" not in first.text
