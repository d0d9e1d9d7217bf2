"""What a published scenario changes for residents, in the figures the public map and the
building measures show (see docs/scenarios.md, "On the public map").

* :func:`scenario_effect` — from a :class:`Comparison`: the homes whose walking time
  changes and the *residents gaining access*;
* :func:`published_effects` — every published scenario of a quartier with its effect,
  computed once per workspace file version.

**Residents gaining access** (``residents_gaining_access``): residents, each counted once,
whose home is beyond :data:`ACCESS_MINUTES` walking minutes of the nearest facility of a
category before the scenario and within them after it, for at least one category whose
walking times the scenario changes and at least one walking profile (standard, senior,
wheelchair). ``residents_walking_less`` counts, the same way, residents whose walking
time to some category shortens by more than :data:`GAIN_TOLERANCE_MIN`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.mobility.profiles import PROFILES
from geoquartier.mobility.scenarios.compare import Comparison, compare
from geoquartier.mobility.scenarios.model import Scenario

ACCESS_MINUTES = 10.0
"""Walking minutes within which a resident "has access" (the measures' figure)."""
GAIN_TOLERANCE_MIN = 1e-6
"""Walking-time changes below this (minutes) are rounding noise, not a gain or a loss."""
MAX_CACHED_EFFECTS = 16
"""Scenario effects kept per process (keyed by workspace file version and scenario)."""


@dataclass
class ScenarioEffect:
    """What one scenario changes: ``changed`` has one row per home × category × profile
    whose walking time changes (``origin_id, category, profile, walk_min_before,
    walk_min_after, gain_min, residents``, geometry EPSG:4326); ``categories`` are the
    categories with a change; ``residents_gaining_access`` and ``residents_walking_less``
    as defined in the module; ``error`` says why nothing could be computed (e.g. way
    edits without a walk network)."""

    scenario: Scenario
    changed: gpd.GeoDataFrame | None = None
    categories: list[str] = field(default_factory=list)
    residents_gaining_access: float = 0.0
    residents_walking_less: float = 0.0
    error: str = ""


def scenario_effect(scenario: Scenario, result: Comparison) -> ScenarioEffect:
    """The :class:`ScenarioEffect` of ``result`` (a :func:`compare` of ``scenario``)."""
    per = result.per_origin
    gain = per["gain_min"].to_numpy(dtype=float)
    moved = np.flatnonzero(np.abs(np.nan_to_num(gain, nan=0.0)) > GAIN_TOLERANCE_MIN)
    changed = per.iloc[moved].reset_index(drop=True)
    pop = result.edited.population
    ids = pop["id"].to_numpy() if "id" in pop else pop.index.to_numpy()
    weights = pd.Series(pop["residents"].to_numpy(dtype=float), index=pd.Index(ids))
    changed["residents"] = weights.reindex(changed["origin_id"].to_numpy()).fillna(0.0).to_numpy()
    before = changed["walk_min_before"].to_numpy(dtype=float)
    after = changed["walk_min_after"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        newly = ~(before <= ACCESS_MINUTES) & (after <= ACCESS_MINUTES)
    less = changed["gain_min"].to_numpy(dtype=float) > GAIN_TOLERANCE_MIN
    return ScenarioEffect(
        scenario,
        changed,
        sorted(changed["category"].astype(str).unique()),
        _once(changed, newly, weights),
        _once(changed, less, weights),
    )


def _once(changed: pd.DataFrame, mask: np.ndarray, weights: pd.Series) -> float:
    """Residents of the homes selected by ``mask``, each home counted once."""
    homes = pd.unique(changed["origin_id"].to_numpy()[mask])
    return float(weights.reindex(homes).fillna(0.0).sum())


_CACHE: dict = {}
_LOCK = threading.Lock()


def published_effects(path, quartier: str, network, population, facilities) -> list:
    """Every published scenario of ``quartier`` in the workspace GeoPackage at ``path``
    with its :class:`ScenarioEffect` (oldest first), for all walking profiles and the
    ``facilities`` given (EPSG:4326; ``population`` with ``id, residents, geometry``).
    ``network`` is the quartier's walk network (EPSG:25832) or an estimate stand-in.
    Kept per workspace file version, scenario and its last update."""
    from geoquartier.errors import GeoquartierError
    from geoquartier.layers.store import file_version
    from geoquartier.mobility.scenarios.storage import list_scenarios, load_scenario

    table = list_scenarios(path, quartier)
    table = table[table["status"] == "published"]
    out = []
    for sid, updated in zip(table["id"], table["updated"], strict=True):
        key = (str(path), file_version(path), str(sid), str(updated))
        with _LOCK:
            hit = _CACHE.get(key)
        if hit is None:
            scenario = load_scenario(path, str(sid))
            try:
                result = compare(scenario, network, population, facilities, (ACCESS_MINUTES,),
                                 tuple(PROFILES))  # fmt: skip
                hit = scenario_effect(scenario, result)
            except GeoquartierError as exc:
                hit = ScenarioEffect(scenario, error=str(exc))
            with _LOCK:
                _CACHE[key] = hit
                while len(_CACHE) > MAX_CACHED_EFFECTS:
                    _CACHE.pop(next(iter(_CACHE)))
        out.append(hit)
    return out
