"""Planning endpoints: where to open new sites, and advisory hours per 1,000 residents.

Included in the app by ``api/main.py`` (docs/api.md, docs/planning.md). Answers are JSON;
sites and facilities are GeoJSON features in EPSG:4326. Errors of the planner's input
(unknown category, profile, language, model; a bad candidate list) answer 422 through the
app's error handlers.

* ``GET /quartiers/{quartier}/planning/locate`` — the default candidates;
* ``POST /quartiers/{quartier}/planning/locate`` — the planner's candidates as a GeoJSON
  FeatureCollection (points or polygons, EPSG:4326) in the body;
* ``GET /quartiers/{quartier}/planning/supply`` — E2SFCA summary, the facilities with
  their status, and (``cells=true``) every home or cell.

Every answered run is kept in the workspace (:mod:`geoquartier.mobility.planning_results`)
as the quartier's latest result of its kind — or under ``name``, replacing an earlier run
of that name — and the answer's ``map_url`` opens the quartier map with it switched on
(``/quartiers/{quartier}/map?sites=<run_id>`` or ``?supply=<run_id>``); ``run_id`` and
``name`` say under what it is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from api import deps
from api.errors import api_error
from api.security import public_base_url
from geoquartier.errors import GeoquartierError
from geoquartier.mobility.planning_results import LATEST, check_name
from geoquartier.vocabulary import DEFAULT_LANGUAGE

router = APIRouter(tags=["planning"])

MAX_SITES = 20
MAX_TIME_LIMIT_S = 60.0


_Context = deps.QuartierContext
ContextDep = deps.QuartierContextDep


def _spec(ctx: _Context, quartier: str):
    spec = ctx.registry.get(quartier)
    if spec is None:
        raise api_error(404, f"unknown quartier {quartier!r}")
    return spec


def _inputs(ctx: _Context, quartier: str):
    from geoquartier.mobility.planning_inputs import planning_facilities

    spec = _spec(ctx, quartier)
    store = ctx.workspace.store
    population = store.read("population", quartier=spec.id)
    if population.empty:
        raise api_error(422, f"quartier {spec.id!r} has no population layer in the workspace")
    return spec, store, population, planning_facilities(store, spec.id)


def _features(gdf) -> list[dict[str, Any]]:
    """GeoJSON features of a GeoDataFrame (EPSG:4326), NaN as null."""
    return json.loads(gdf.to_json(na="null", drop_id=True))["features"]


def _clean(summary: dict) -> dict:
    out = {}
    for key, value in summary.items():
        if isinstance(value, float) and value != value:
            value = None
        out[key] = value.item() if hasattr(value, "item") else value
    return out


@dataclass(frozen=True)
class _LocateOptions:
    """The query parameters of both locate endpoints."""

    category: str
    minutes: float
    profile: str
    sites: int
    model: str
    greedy: bool
    time_limit: float
    name: str


Category = Annotated[str, Query(max_length=40, description="office, or a service/POI category")]
Minutes = Annotated[float, Query(gt=0, le=60, description="walking time T in minutes")]
Profile = Annotated[str, Query(max_length=30, description="standard, senior or wheelchair")]
Sites = Annotated[int, Query(ge=1, le=MAX_SITES, description="number of new sites")]
Model = Annotated[str, Query(max_length=10, description="mclp or pmedian")]
TimeLimit = Annotated[float, Query(gt=0, le=MAX_TIME_LIMIT_S, description="solver seconds")]
Name = Annotated[
    str,
    Query(
        max_length=40,
        description="keep the result in the workspace under this name (default: latest)",
    ),
]


def locate_options(
    category: Category = "office",
    minutes: Minutes = 10.0,
    profile: Profile = "standard",
    sites: Sites = 1,
    model: Model = "mclp",
    greedy: bool = False,
    time_limit: TimeLimit = 30.0,
    name: Name = LATEST,
) -> _LocateOptions:
    """The locate query parameters (a FastAPI dependency)."""
    return _LocateOptions(category, minutes, profile, sites, model, greedy, time_limit, name)


LocateOptionsDep = Annotated[_LocateOptions, Depends(locate_options)]


def _kept(ctx: _Context, request: Request, save, result, name: str, option: str) -> dict:
    """Keep ``result`` in the workspace; the answer's ``run_id``, ``name`` and ``map_url``."""
    run = save(ctx.workspace.path, result, name)
    base = public_base_url(request, deps.settings_for_scope(request.scope))
    profile = result.summary.get("profile", "standard")
    url = (
        f"{base}/quartiers/{run.quartier}/map?lang={DEFAULT_LANGUAGE}&profile={profile}"
        f"&{option}={run.run_id}"
    )
    return {"run_id": run.run_id, "name": run.name, "map_url": url}


def _locate(
    ctx: _Context, request: Request, quartier: str, candidates, options: _LocateOptions
) -> dict:
    from geoquartier.mobility.locate import quartier_locate
    from geoquartier.mobility.planning_inputs import check_category, default_candidates
    from geoquartier.mobility.planning_results import save_locate

    check_name(options.name)
    category = check_category(options.category)
    spec, store, population, facilities = _inputs(ctx, quartier)
    if candidates is None:
        candidates = default_candidates(spec, store, facilities, category)
    result = quartier_locate(
        ctx.networks.get(spec.id),
        population,
        candidates,
        facilities,
        spec,
        category,
        minutes=options.minutes,
        profile=options.profile,
        sites=options.sites,
        model=options.model,
        greedy=options.greedy,
        time_limit_s=options.time_limit,
    )
    return {
        "summary": _clean(result.summary),
        "text": result.text(),
        **_kept(ctx, request, save_locate, result, options.name, "sites"),
        "type": "FeatureCollection",
        "features": _features(result.sites),
    }


@router.get("/quartiers/{quartier}/planning/locate", summary="Where to open new sites")
def locate_get(ctx: ContextDep, request: Request, quartier: str, options: LocateOptionsDep) -> dict:
    """Choose new sites among the quartier's default candidates (MCLP or p-median)."""
    return _locate(ctx, request, quartier, None, options)


@router.post("/quartiers/{quartier}/planning/locate", summary="Where to open new sites (own list)")
def locate_post(
    ctx: ContextDep,
    request: Request,
    quartier: str,
    candidates: Annotated[dict, Body(description="GeoJSON FeatureCollection, EPSG:4326")],
    options: LocateOptionsDep,
) -> dict:
    """Choose new sites among the planner's candidate points."""
    return _locate(ctx, request, quartier, _candidates(candidates), options)


def _candidates(body: dict):
    import geopandas as gpd

    from geoquartier.mobility.candidates import as_candidates

    if body.get("type") != "FeatureCollection" or not isinstance(body.get("features"), list):
        raise GeoquartierError("candidates: expected a GeoJSON FeatureCollection")
    if not body["features"]:
        raise GeoquartierError("candidates: the FeatureCollection is empty")
    try:
        gdf = gpd.GeoDataFrame.from_features(body["features"], crs="EPSG:4326")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GeoquartierError(f"candidates: not valid GeoJSON features ({exc})") from None
    return as_candidates(gdf, "candidates")


@router.get("/quartiers/{quartier}/planning/supply", summary="Advisory hours per 1,000 residents")
def supply_get(
    ctx: ContextDep,
    request: Request,
    quartier: str,
    category: Category,
    minutes: Minutes = 10.0,
    profile: Profile = "standard",
    language: Annotated[str | None, Query(max_length=8, description="ISO 639-1")] = None,
    week: Annotated[str | None, Query(max_length=10, description="e.g. 2026-W49")] = None,
    below: Annotated[float, Query(ge=0, description="level per 1,000 residents")] = 2.0,
    cells: bool = False,
    name: Name = LATEST,
) -> dict:
    """E2SFCA: weekly open hours per 1,000 residents within ``minutes`` on foot."""
    from geoquartier.mobility.planning_inputs import check_category
    from geoquartier.mobility.planning_results import save_supply
    from geoquartier.mobility.supply import quartier_supply

    check_name(name)
    check_category(category)
    spec, _, population, facilities = _inputs(ctx, quartier)
    result = quartier_supply(
        ctx.networks.get(spec.id),
        population,
        facilities,
        spec,
        category,
        minutes=minutes,
        profile=profile,
        week=week,
        language=language,
        below=below,
    )
    answer = {
        "summary": _clean(result.summary),
        "text": result.text(),
        "unknown": result.unknown,
        **_kept(ctx, request, save_supply, result, name, "supply"),
        "facilities": {"type": "FeatureCollection", "features": _features(result.facilities)},
    }
    if cells:
        answer["cells"] = {"type": "FeatureCollection", "features": _features(result.cells)}
    return answer
