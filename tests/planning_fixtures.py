"""Shared inputs of the planning tests: Lauf imported once per run from the real data.

``planning_workspace`` (session) imports the registry quartier ``lauf`` (walk network,
OSM extract, residents estimated over residential floor area) into a temporary
GeoPackage and returns a :class:`PlanningWorkspace` with the layers the planning models
need: the population, every facility (offices, services, places) with hours and
languages, and the default candidate sites for a new office.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pytest

_singleton: dict[str, object] = {}


@dataclass(frozen=True)
class PlanningWorkspace:
    """Lauf in a temporary workspace, with its layers read once."""

    gpkg: Path
    spec: object
    network: object
    population: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame


def _build(root: Path) -> PlanningWorkspace:
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.mobility import network_for
    from geoquartier.mobility.planning_inputs import default_candidates, planning_facilities
    from geoquartier.registry import load_registry

    spec = load_registry()["lauf"]
    gpkg = root / "geoquartier.gpkg"
    store = GeoPackageStore(gpkg)
    import_quartier(spec, store, progress=False)
    facilities = planning_facilities(store, spec.id)
    return PlanningWorkspace(
        gpkg=gpkg,
        spec=spec,
        network=network_for(spec),
        population=store.read("population", quartier=spec.id),
        facilities=facilities,
        candidates=default_candidates(spec, store, facilities, "office"),
    )


@pytest.fixture(scope="session")
def lauf_planning(tmp_path_factory) -> PlanningWorkspace:
    """Lauf imported from the real data into a temporary workspace (once per run)."""
    if "lauf" not in _singleton:
        _singleton["lauf"] = _build(tmp_path_factory.mktemp("planning-workspace"))
    return _singleton["lauf"]
