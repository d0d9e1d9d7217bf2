"""Planning scenarios over HTTP (see docs/scenarios.md): what-if edits and their comparison.

Planners (``Authorization: Bearer <token>`` of a ``planner`` account) create, edit,
publish and delete scenarios; published scenarios are readable by anyone, drafts only with
a planner token. Geometries are GeoJSON in EPSG:4326.

* ``GET /quartiers/{quartier}/scenarios`` — the scenarios (drafts only for planners);
* ``POST /quartiers/{quartier}/scenarios`` — a new draft (planner);
* ``POST /quartiers/{quartier}/scenarios/from-sites`` — a draft with one new facility per
  site of a stored location result (``geoquartier locate`` / ``/planning/locate``; by
  name or run id), planner;
* ``GET /quartiers/{quartier}/scenarios/{id}`` — one scenario with its edits;
* ``POST /quartiers/{quartier}/scenarios/{id}/edits`` — append one edit (planner); an
  edit that is invalid or does not apply answers 422 naming the edit and the field;
* ``POST /quartiers/{quartier}/scenarios/{id}/publish`` — freeze it (planner);
* ``DELETE /quartiers/{quartier}/scenarios/{id}`` — remove it (planner);
* ``GET /quartiers/{quartier}/scenarios/{id}/compare`` — residents within each walking
  time before and after (JSON, or ``?format=csv`` in the German CSV dialect);
* ``GET /quartiers/{quartier}/scenarios/{id}/gains`` — per-home walking minutes before
  and after as GeoJSON (EPSG:4326).
"""

from __future__ import annotations

import json
import math
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from api import deps
from api.errors import api_error
from api.participation.auth import bearer, planner
from api.participation.store import User
from geoquartier.errors import GeoquartierError
from geoquartier.mobility.scenarios.effects import GAIN_TOLERANCE_MIN

ERRORS = {
    401: {"description": "no or an invalid staff token (writing needs a planner token)"},
    403: {"description": "the token's account is not a planner"},
    404: {"description": "unknown quartier, or no such scenario visible to the caller"},
    422: {"description": "invalid input; names the edit, its kind and the field"},
}
router = APIRouter(tags=["scenarios"], responses=ERRORS)

PlannerDep = Annotated[User, Depends(planner)]
MAX_CACHED_COMPARISONS = 8
"""Comparisons kept per process (keyed by workspace file version, scenario and options)."""
_COMPARISONS: dict = {}
_CACHE_LOCK = threading.Lock()


class ScenarioIn(BaseModel):
    """A new scenario: title, and optionally a description and author (default: the
    planner's account name)."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    author: str | None = Field(None, max_length=200)


class FromSitesIn(BaseModel):
    """A draft from a stored location result: ``sites`` is its name (e.g. ``latest``) or
    ``run_id`` (default: the most recent); optional title, author (default: the planner's
    account name), the new sites' ``opening_hours`` (default: unknown) and ``languages``
    (default: German only)."""

    sites: str | None = Field(None, max_length=40)
    title: str | None = Field(None, min_length=1, max_length=200)
    author: str | None = Field(None, max_length=200)
    opening_hours: str | None = Field(None, max_length=500)
    languages: list[str] = Field(default_factory=lambda: ["de"], max_length=20)


class EditIn(BaseModel):
    """One edit: ``kind`` (facility_add, facility_move, facility_close, way_add, way_close,
    way_tags, residents_add, residents_remove), a GeoJSON ``geometry`` (EPSG:4326; null for
    facility_close) and the kind's ``params`` (see docs/scenarios.md)."""

    kind: str = Field(max_length=40)
    geometry: dict[str, Any] | None = None
    params: dict[str, Any] = Field(default_factory=dict)


def _viewer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    store: deps.ParticipationStoreDep,
) -> User | None:
    """The planner of the request's token, or None without a token (read-only access)."""
    if credentials is None or not credentials.credentials:
        return None
    user = store.authenticate(credentials.credentials)
    if user is None:
        raise api_error(401, "the token is not valid", headers={"WWW-Authenticate": "Bearer"})
    return user if user.role == "planner" else None


ViewerDep = Annotated[User | None, Depends(_viewer)]


def _check_quartier(registry: dict, quartier: str) -> None:
    if quartier not in registry:
        raise api_error(404, f"unknown quartier {quartier!r}")


def _load(workspace: deps.Workspace, quartier: str, scenario_id: str, viewer: User | None):
    """The scenario, if it belongs to ``quartier`` and the viewer may see it (else 404)."""
    from geoquartier.mobility.scenarios import load_scenario

    try:
        scenario = load_scenario(workspace.path, scenario_id)
    except GeoquartierError:
        scenario = None
    if scenario is None or scenario.quartier != quartier:
        raise api_error(404, f"no scenario {scenario_id!r} in quartier {quartier!r}")
    if scenario.status != "published" and viewer is None:
        raise api_error(404, f"no published scenario {scenario_id!r} in quartier {quartier!r}")
    return scenario


def _out(scenario) -> dict:
    """A scenario as JSON: its fields and its edits with GeoJSON geometries (EPSG:4326)."""
    import shapely

    edits = [
        {
            "position": n,
            "kind": e.kind,
            "geometry": None if e.geometry is None else json.loads(shapely.to_geojson(e.geometry)),
            "params": e.params,
        }
        for n, e in enumerate(scenario.edits, start=1)
    ]
    fields = ("id", "quartier", "title", "description", "author", "status", "created", "updated")
    return {**{k: getattr(scenario, k) for k in fields}, "edits": edits}


@router.get("/quartiers/{quartier}/scenarios", summary="The scenarios of a quartier")
def list_route(
    quartier: str, workspace: deps.WorkspaceDep, registry: deps.RegistryDep, viewer: ViewerDep
) -> dict:
    """Published scenarios (with a planner token also the drafts), oldest first."""
    from geoquartier.mobility.scenarios import list_scenarios

    _check_quartier(registry, quartier)
    table = list_scenarios(workspace.path, quartier)
    if viewer is None:
        table = table[table["status"] == "published"]
    rows = [
        {k: (None if v is None or v != v else v) for k, v in rec.items()}
        for rec in table.astype(object).to_dict("records")
    ]
    for row in rows:
        row["edits"] = int(row["edits"])
    return {"quartier": quartier, "scenarios": rows}


@router.post("/quartiers/{quartier}/scenarios", status_code=201, summary="Create a draft scenario")
def create_route(
    quartier: str,
    body: ScenarioIn,
    user: PlannerDep,
    workspace: deps.WorkspaceDep,
    registry: deps.RegistryDep,
) -> dict:
    """A new, empty draft scenario (planner token)."""
    from geoquartier.mobility.scenarios import Scenario, save_scenario

    _check_quartier(registry, quartier)
    scenario = Scenario(
        quartier, body.title, description=body.description, author=body.author or user.name
    )
    save_scenario(workspace.path, scenario)
    return _out(scenario)


@router.post(
    "/quartiers/{quartier}/scenarios/from-sites",
    status_code=201,
    summary="A draft scenario from a location result",
)
def from_sites_route(
    quartier: str,
    body: FromSitesIn,
    user: PlannerDep,
    workspace: deps.WorkspaceDep,
    registry: deps.RegistryDep,
) -> dict:
    """One ``facility_add`` per chosen site of the stored location result ``sites`` (name
    or run id) in the result's category, named "Neuer Standort 1 (Vorschlag)", ...
    (planner token). 404 when the quartier has no such result."""
    from geoquartier.mobility.planning_results import load_run
    from geoquartier.mobility.scenarios import save_scenario
    from geoquartier.mobility.scenarios.from_sites import scenario_from_run

    _check_quartier(registry, quartier)
    run = load_run(workspace.path, quartier, "locate", body.sites)
    if run is None:
        raise api_error(404, f"no stored location result {body.sites or ''!r} in {quartier!r}")
    scenario = scenario_from_run(
        run,
        body.title,
        author=body.author or user.name,
        languages=body.languages,
        opening_hours=body.opening_hours,
    )
    save_scenario(workspace.path, scenario)
    return _out(scenario)


@router.get("/quartiers/{quartier}/scenarios/{scenario_id}", summary="One scenario")
def get_route(
    quartier: str, scenario_id: str, workspace: deps.WorkspaceDep, viewer: ViewerDep
) -> dict:
    """The scenario with its edits (a draft only with a planner token)."""
    return _out(_load(workspace, quartier, scenario_id, viewer))


def _geometry(edit: EditIn, label: str):
    import shapely.geometry

    if edit.geometry is None:
        return None
    try:
        return shapely.geometry.shape(edit.geometry)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
        raise GeoquartierError(
            f"{label} ({edit.kind}): field 'geometry' is not a valid GeoJSON geometry"
        ) from None


@router.post(
    "/quartiers/{quartier}/scenarios/{scenario_id}/edits",
    status_code=201,
    summary="Append an edit to a draft",
)
def add_edit_route(
    quartier: str,
    scenario_id: str,
    body: EditIn,
    user: PlannerDep,
    workspace: deps.WorkspaceDep,
    networks: deps.NetworksDep,
) -> dict:
    """Validate the edit, check that it applies to the quartier's data (the facility
    exists, a new way reaches the network, ...) and append it. Errors answer 422 with
    the edit's number, kind and field, and change nothing."""
    from geoquartier.mobility.scenarios import apply_scenario, save_scenario
    from geoquartier.mobility.scenarios.model import WAY_KINDS

    scenario = _load(workspace, quartier, scenario_id, user)
    label = f"edit {len(scenario.edits) + 1}"
    scenario.add(body.kind, _geometry(body, label), **body.params)
    network = networks.get(quartier) if any(e.kind in WAY_KINDS for e in scenario.edits) else None
    population, facilities = _inputs(workspace, quartier)
    apply_scenario(scenario, network, facilities, population)
    save_scenario(workspace.path, scenario)
    return _out(scenario)


@router.post(
    "/quartiers/{quartier}/scenarios/{scenario_id}/publish", summary="Publish (freeze) a scenario"
)
def publish_route(
    quartier: str, scenario_id: str, user: PlannerDep, workspace: deps.WorkspaceDep
) -> dict:
    """Publish the scenario: anyone may read it, nobody may edit it any more."""
    from geoquartier.mobility.scenarios import save_scenario

    scenario = _load(workspace, quartier, scenario_id, user)
    scenario.publish()
    save_scenario(workspace.path, scenario)
    return _out(scenario)


@router.delete(
    "/quartiers/{quartier}/scenarios/{scenario_id}", status_code=204, summary="Delete a scenario"
)
def delete_route(
    quartier: str, scenario_id: str, user: PlannerDep, workspace: deps.WorkspaceDep
) -> Response:
    """Remove the scenario and its edits; base data is never touched."""
    from geoquartier.mobility.scenarios import delete_scenario

    _load(workspace, quartier, scenario_id, user)
    delete_scenario(workspace.path, scenario_id)
    return Response(status_code=204)


def _inputs(workspace: deps.Workspace, quartier: str):
    """Residents (``id, residents, geometry``) and facilities of the quartier (EPSG:4326)."""
    from geoquartier.mobility.planning_inputs import planning_facilities

    store = workspace.store
    population = store.read("population", quartier=quartier)
    if population.empty:
        raise GeoquartierError(f"quartier {quartier!r} has no population layer in the workspace")
    return population[["id", "residents", "geometry"]], planning_facilities(store, quartier)


DEFAULT_MINUTES = "5,10,15"
DEFAULT_PROFILES = "standard,senior,wheelchair"
Minutes = Annotated[
    str, Query(max_length=40, pattern=r"^[0-9., ]+$", description="walking times, e.g. 5,10,15")
]
Profiles = Annotated[
    str, Query(max_length=60, description="standard, senior, wheelchair (comma-separated)")
]


def _comparison(workspace, networks, quartier, scenario_id, viewer, minutes, profiles):
    from geoquartier.mobility.scenarios import compare

    scenario = _load(workspace, quartier, scenario_id, viewer)
    try:
        thresholds = [float(m) for m in minutes.split(",") if m.strip()]
    except ValueError:
        raise GeoquartierError(f"minutes: expected numbers like 5,10,15, got {minutes!r}") from None
    names = [p.strip() for p in profiles.split(",") if p.strip()] or ["standard"]
    key = (str(workspace.path), workspace.version(), scenario.id, scenario.updated,
           tuple(thresholds), tuple(names))  # fmt: skip
    with _CACHE_LOCK:
        cached = _COMPARISONS.get(key)
    if cached is None:
        population, facilities = _inputs(workspace, quartier)
        network = networks.get(quartier)
        cached = compare(scenario, network, population, facilities, thresholds, names)
        with _CACHE_LOCK:
            _COMPARISONS[key] = cached
            while len(_COMPARISONS) > MAX_CACHED_COMPARISONS:
                _COMPARISONS.pop(next(iter(_COMPARISONS)))
    return scenario, cached


def _number(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@router.get(
    "/quartiers/{quartier}/scenarios/{scenario_id}/compare",
    summary="Coverage before and after a scenario",
    responses={200: {"content": {"text/csv": {}}}},
)
def compare_route(
    quartier: str,
    scenario_id: str,
    workspace: deps.WorkspaceDep,
    networks: deps.NetworksDep,
    viewer: ViewerDep,
    minutes: Minutes = DEFAULT_MINUTES,
    profiles: Profiles = DEFAULT_PROFILES,
    changed: Annotated[bool, Query(description="only rows whose figures change")] = False,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Any:
    """Residents within each walking time of the nearest facility of each category, per
    walking profile, before and after the scenario (``difference``, residents newly
    within / no longer within). ``format=csv``: German CSV (``;``, decimal comma, BOM)."""
    from geoquartier.mobility.coverage import CSV_OPTIONS

    scenario, result = _comparison(
        workspace, networks, quartier, scenario_id, viewer, minutes, profiles
    )
    table = result.coverage
    if changed:
        table = table[(table["difference"].abs() > 1e-9) | (table["residents_newly_within"] > 1e-9)]
    if format == "csv":
        body = table.to_csv(index=False, **CSV_OPTIONS)
        encoding = CSV_OPTIONS.get("encoding", "utf-8-sig")
        return Response(
            body.encode(encoding),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="scenario-{scenario.id}.csv"'},
        )
    rows = [{k: _number(v) for k, v in rec.items()} for rec in table.to_dict("records")]
    return {
        "scenario": scenario.id,
        "quartier": quartier,
        "status": scenario.status,
        "edits": result.edited.log,
        "recomputed": result.recomputed,
        "coverage": rows,
    }


@router.get(
    "/quartiers/{quartier}/scenarios/{scenario_id}/gains",
    summary="Per-home walking minutes before and after (GeoJSON)",
    responses={200: {"content": {"application/geo+json": {}}}},
)
def gains_route(
    quartier: str,
    scenario_id: str,
    workspace: deps.WorkspaceDep,
    networks: deps.NetworksDep,
    viewer: ViewerDep,
    category: Annotated[str, Query(max_length=40, description="facility category")],
    profile: Annotated[str, Query(max_length=30, description="walking profile")] = "standard",
    changed: Annotated[bool, Query(description="only homes whose time changes")] = True,
) -> Response:
    """One feature per home or cell (EPSG:4326) with ``walk_min_before``,
    ``walk_min_after``, ``gain_min`` (null where a route appears or disappears) and
    ``route`` (``new``, ``lost`` or ``same``)."""
    # the default comparison's profiles when they hold this one: shares its cached run
    profiles = DEFAULT_PROFILES if profile in DEFAULT_PROFILES.split(",") else profile
    scenario, result = _comparison(
        workspace, networks, quartier, scenario_id, viewer, DEFAULT_MINUTES, profiles
    )
    per = result.per_origin
    per = per[(per["category"].astype(str) == category) & (per["profile"] == profile)]
    if changed:
        per = per[per["gain_min"].fillna(0).abs() > GAIN_TOLERANCE_MIN]
    return Response(
        json.dumps(_gains_geojson(per, scenario.id, category, profile)),
        media_type="application/geo+json",
    )


def _gains_geojson(per, scenario_id: str, category: str, profile: str) -> dict:
    features = []
    columns = ("origin_id", "walk_min_before", "walk_min_after", "gain_min")
    for row, geom in zip(per[list(columns)].to_dict("records"), per.geometry, strict=True):
        before, after = row["walk_min_before"], row["walk_min_after"]
        route = "same"
        if not math.isfinite(before) and math.isfinite(after):
            route = "new"
        elif math.isfinite(before) and not math.isfinite(after):
            route = "lost"
        props = {k: _number(v) for k, v in row.items()}
        props["route"] = route
        features.append(
            {"type": "Feature", "geometry": geom.__geo_interface__, "properties": props}
        )
    return {
        "type": "FeatureCollection",
        "scenario": scenario_id,
        "category": category,
        "profile": profile,
        "features": features,
    }


def measure_scenario_properties(workspace, networks, quartier: str, scenario_id: str) -> dict:
    """What a building measure's OGC item shows of the published scenario it names:
    ``scenario_title``, ``residents_gaining_access`` and ``residents_walking_less``
    (whole persons, see :mod:`geoquartier.mobility.scenarios.effects`),
    ``access_minutes`` and ``scenario_categories``; empty when the scenario is not a
    published scenario of ``quartier`` or cannot be computed."""
    from geoquartier.mobility.scenarios import ACCESS_MINUTES, published_effects

    try:
        population, facilities = _inputs(workspace, quartier)
        network = networks.get(quartier)
    except Exception:  # no residents or no network: the item shows the measure only
        return {}
    effects = published_effects(workspace.path, quartier, network, population, facilities)
    for effect in effects:
        if effect.scenario.id == scenario_id and not effect.error:
            return {
                "scenario_title": effect.scenario.title,
                "residents_gaining_access": round(effect.residents_gaining_access),
                "residents_walking_less": round(effect.residents_walking_less),
                "access_minutes": ACCESS_MINUTES,
                "scenario_categories": effect.categories,
            }
    return {}
