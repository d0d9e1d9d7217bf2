"""The planners' scenario page (HTML): ``GET /scenarios/manage?quartier=&lang=``.

A planner signs in with the staff token (kept in the browser's ``sessionStorage`` only,
under the same key as the events page), lists the quartier's scenarios, creates one,
draws edits on the map — a new walkable way, ways closed by a line drawn across them, a
new facility, a facility closed — and sees the comparison: residents within each walking
time before and after, and a map of the homes whose walk gets shorter or longer. The page
talks to the scenario API (:mod:`api.scenarios`) with the token; every user text is put
into the page with ``textContent`` (``static/scenarios.js``), server-rendered texts are
escaped by Jinja2, and the page carries the participation pages' Content-Security-Policy.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import PageLang, RegistryDep, WorkspaceDep
from api.errors import api_error
from api.participation.i18n import Translator, page_config, page_language, script_json
from api.participation.pages import quartier_choices, render_page

router = APIRouter(tags=["participation pages"])

EDIT_MSGIDS = {
    "facility_add": "New facility",
    "facility_move": "Facility moved",
    "facility_close": "Facility closed",
    "way_add": "New walkable way",
    "way_close": "Ways closed",
    "way_tags": "Way tags changed",
    "residents_add": "Residents added",
    "residents_remove": "Residents removed",
}
"""msgid of each edit kind (:data:`geoquartier.mobility.scenarios.EDIT_KINDS`)."""

HIGHWAY_MSGIDS = {
    "footway": "Footway",
    "path": "Path",
    "pedestrian": "Pedestrian street",
    "cycleway": "Cycle and foot path",
}
"""msgid of each ``highway`` value the page offers for a new way (``NEW_WAY_HIGHWAYS``)."""

WHEELCHAIR_MSGIDS = {
    "yes": "Wheelchair: yes",
    "limited": "Wheelchair: limited",
    "no": "Wheelchair: no",
    "designated": "Wheelchair: designated",
}
"""msgid of each OSM ``wheelchair`` value (:data:`geoquartier.layers.schema.WHEELCHAIR_VALUES`)."""

CHANGE_MSGIDS = {
    "gain": "Walk gets shorter",
    "new": "Reaches it now",
    "loss": "Walk gets longer",
    "lost": "Cannot reach it any more",
}
"""msgid of each kind of change of a home's walk (keys of ``SCENARIO_COLOURS``)."""


def _facility_points(workspace, quartier: str) -> list[dict[str, Any]]:
    """The quartier's facilities (offices, services, places) as ``{id, category, name,
    lon, lat}`` (EPSG:4326), for choosing the one a scenario closes."""
    from geoquartier.maps.escape import is_missing
    from geoquartier.mobility.planning_inputs import planning_facilities

    frame = planning_facilities(workspace.store, quartier)
    return [
        {
            "id": fid,
            "category": cat,
            "name": "" if is_missing(name) else str(name),
            "lon": p.x,
            "lat": p.y,
        }  # fmt: skip
        for fid, cat, name, p in zip(
            frame["id"], frame["category"], frame["name"], frame.geometry, strict=True
        )
    ]


def _vocabulary(lang: str) -> dict[str, Any]:
    """Choices of the page and their labels in ``lang``: categories and profiles (from the
    map catalog), edit kinds, way types, wheelchair values and kinds of change."""
    from geoquartier.layers.schema import WHEELCHAIR_VALUES
    from geoquartier.maps.i18n import Translator as MapTranslator
    from geoquartier.maps.popups import category_label
    from geoquartier.mobility.planning_inputs import known_categories
    from geoquartier.mobility.profiles import PROFILES
    from geoquartier.mobility.scenarios.model import EDIT_KINDS, NEW_WAY_HIGHWAYS
    from geoquartier.vocabulary import SCENARIO_COLOURS

    maps_tr, tr = MapTranslator(lang), Translator(lang)
    cap = maps_tr.capitalise
    categories = {c: cap(category_label(maps_tr, c)) for c in known_categories() if c != "office"}
    return {
        "categories": list(categories),
        "categoryLabels": {"office": cap(maps_tr("office")), **categories},
        "profiles": list(PROFILES),
        "profileLabels": {p: cap(maps_tr(p)) for p in PROFILES},
        "editLabels": {k: tr(EDIT_MSGIDS[k]) for k in EDIT_KINDS},
        "highways": list(NEW_WAY_HIGHWAYS),
        "highwayLabels": {h: tr(HIGHWAY_MSGIDS[h]) for h in NEW_WAY_HIGHWAYS},
        "wheelchairValues": list(WHEELCHAIR_VALUES),
        "wheelchairLabels": {w: tr(WHEELCHAIR_MSGIDS[w]) for w in WHEELCHAIR_VALUES},
        "changeLabels": {c: tr(m) for c, m in CHANGE_MSGIDS.items()},
        "scenarioColours": dict(SCENARIO_COLOURS),
    }


@router.get(
    "/scenarios/manage",
    response_class=HTMLResponse,
    summary="Planners' page: draw what-if scenarios and compare them (planner token needed)",
    responses={404: {"description": "unknown quartier"}},
)
def scenarios_page(
    registry: RegistryDep,
    workspace: WorkspaceDep,
    quartier: Annotated[str | None, Query(max_length=100, description="quartier id")] = None,
    lang: PageLang = "de",
) -> HTMLResponse:
    """The planners' scenario page of ``quartier`` (default: the first quartier by name);
    it talks to ``/quartiers/{quartier}/scenarios`` with the token typed in."""
    lang = page_language(lang)
    quartiers = quartier_choices(registry)
    chosen = next((q for q in quartiers if q["id"] == (quartier or q["id"])), None)
    if chosen is None:
        raise api_error(404, f"unknown quartier {quartier!r}")
    vocabulary = _vocabulary(lang)
    config = page_config(
        lang,
        quartier=chosen["id"],
        boundary=chosen["boundary"],
        streetsUrl=chosen["streetsUrl"],
        scenariosUrl=f"/quartiers/{chosen['id']}/scenarios",
        pageUrl="/scenarios/manage",
        facilities=_facility_points(workspace, chosen["id"]),
        **vocabulary,
    )
    return render_page(
        "scenarios.html",
        lang,
        quartiers=quartiers,
        quartier=chosen,
        vocabulary=vocabulary,
        config_json=script_json(config),
        self_path="/scenarios/manage",
        event_query=f"&quartier={chosen['id']}",
    )
