"""Shared inputs of the planning tests: Lauf imported once per run from the real data.

``planning_workspace`` (session) imports the registry quartier ``lauf`` (walk network,
OSM extract, residents estimated over residential floor area) into a temporary
GeoPackage and returns a :class:`PlanningWorkspace` with the layers the planning models
need: the population, every facility (offices, services, places) with hours and
languages, and the default candidate sites for a new office.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

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


@pytest.fixture()
def planning_env(lauf_planning, monkeypatch) -> PlanningWorkspace:
    """:func:`lauf_planning` as the workspace of the ``geoquartier`` commands."""
    from geoquartier.settings import reload_settings

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(lauf_planning.gpkg))
    reload_settings()  # the settings may have been read before (e.g. by the import)
    return lauf_planning


def run_cli(args: list[str]):
    """Run ``geoquartier <args>`` in-process; the Typer ``Result``."""
    import geoquartier.cli  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app

    return CliRunner().invoke(app, args)


def access_e2sfca(weight, hours, origin, dest, cost_min, minutes: float) -> np.ndarray:
    """E2SFCA by the ``access`` library (PySAL): hours per resident at each demand point.

    ``weight`` residents per demand point, ``hours`` per facility, and the travel times
    ``cost_min`` from demand ``origin`` to facility ``dest``; Luo & Qi's zones over thirds
    of ``minutes`` (1.00 / 0.68 / 0.22). The reference the planning code is checked against.
    """
    from access import Access, weights

    cost = pd.DataFrame({"origin": origin, "dest": dest, "cost": cost_min})
    demand_df = pd.DataFrame({"pop": weight}).rename_axis("geoid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = Access(
            demand_df=demand_df,
            demand_index=True,
            demand_value="pop",
            supply_df=pd.DataFrame({"hours": hours}).rename_axis("geoid"),
            supply_index=True,
            supply_value="hours",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        fn = weights.step_fn({minutes / 3: 1.0, 2 * minutes / 3: 0.68, minutes: 0.22})
        scores = acc.enhanced_two_stage_fca(weight_fn=fn, max_cost=minutes)
    return scores.iloc[:, 0].reindex(range(len(demand_df))).fillna(0.0).to_numpy()


def assert_cli_refuses(command: str, args: list[str], message: str, out: Path) -> None:
    """``geoquartier <command> lauf -o <out> <args>`` is a user error (exit 2) whose
    message holds ``message``, and nothing is written."""
    res = run_cli([command, "lauf", "-o", str(out), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output, res.output
    assert not out.exists()
