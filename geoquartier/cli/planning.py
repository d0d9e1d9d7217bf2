"""``geoquartier locate`` and ``geoquartier supply``: where to open a new office, and how
many advisory hours residents reach on foot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.access import _load, _write_layer
from geoquartier.cli.app import app, user_errors
from geoquartier.cli.options import (
    ProfileOption,
    QuartierArgument,
    WalkMinutesOption,
    category_option,
    output_option,
)
from geoquartier.errors import GeoquartierError
from geoquartier.mobility.planning_inputs import (
    check_category,
    default_candidates,
    planning_facilities,
)
from geoquartier.mobility.planning_results import LATEST, check_name, save_locate, save_supply

NameOption = typer.Option(
    LATEST,
    "--name",
    help="Keep the result in the workspace under this name for the quartier map "
    "(the same name replaces the earlier result).",
)


def _population(spec, store):
    population = store.read("population", quartier=spec.id)
    if population.empty:
        raise GeoquartierError(
            f"quartier {spec.id!r} has no population layer; the planning models need residents"
        )
    return population


def _write_outputs(output: Path, layers: dict, tables: dict) -> list[Path]:
    """Write the layers (and non-spatial tables) to ``output`` (.gpkg; .geojson takes the
    first layer only) and a CSV summary beside it; all-or-nothing per file."""
    import pandas as pd

    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() not in (".gpkg", ".geojson", ".json"):
        raise GeoquartierError(f"cannot write {output.name}: use a .gpkg or .geojson file")
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        if output.suffix.lower() == ".gpkg":
            for name, gdf in layers.items():
                _write_layer(gdf, tmp.with_suffix(".gpkg"), name)
            for name, table in tables.items():
                _write_table(table, tmp.with_suffix(".gpkg"), name)
            tmp.with_suffix(".gpkg").replace(output)
        else:
            _write_layer(next(iter(layers.values())), tmp.with_suffix(".geojson"), "layer")
            tmp.with_suffix(".geojson").replace(output)
    finally:
        for suffix in (".gpkg", ".geojson"):
            tmp.with_suffix(suffix).unlink(missing_ok=True)
    csv = output.with_suffix(".csv")
    pd.concat(list(tables.values())[:1] or [pd.DataFrame()]).to_csv(csv, index=False)
    return [output, csv]


def _keep(save, result, quartier: str, name: str, option: str) -> None:
    """Keep ``result`` in the workspace under ``name`` and say where to see it."""
    from geoquartier.config import workspace_path

    run = save(workspace_path(), result, name)
    typer.echo(
        f"kept in the workspace as {run.name!r} (run {run.run_id}); on the map: "
        f"geoquartier map {quartier} --{option} {run.name}, or when served "
        f"/quartiers/{quartier}/map?{option}={run.name}"
    )


def _write_table(table, path: Path, name: str) -> None:
    """A non-spatial table into a GeoPackage (attribute table)."""
    import pyogrio

    pyogrio.write_dataframe(table, path, layer=name, driver="GPKG")


# --------------------------------------------------------------------------- locate
@app.command("locate")
def locate_command(
    quartier: QuartierArgument,
    output: Annotated[
        Path,
        output_option(
            "GeoPackage for the chosen sites (layer locate_sites, table locate_runs); "
            "a CSV summary is written beside it."
        ),
    ],
    category: Annotated[
        str,
        category_option(
            "What to place: office, or a service or place category (debt, migration, ...)."
        ),
    ] = "office",
    minutes: WalkMinutesOption = 10.0,
    profile: ProfileOption = "standard",
    sites: int = typer.Option(1, "--sites", "-k", help="How many new sites to open."),
    model: str = typer.Option(
        "mclp",
        "--model",
        help="mclp: most residents newly within T; pmedian: least mean walking time.",
    ),
    candidates: Annotated[
        Path | None,
        typer.Option(
            "--candidates",
            help="Your own candidate sites: GeoJSON/GeoPackage, or CSV with lon,lat "
            "(optional id, name, address). Default: buildings with a public, community, "
            "religious, educational, retail or office use, and the other facilities.",
        ),
    ] = None,
    greedy: bool = typer.Option(
        False, "--greedy", help="Pick sites one by one (fast, for thousands of candidates)."
    ),
    time_limit: float = typer.Option(
        120.0, "--time-limit", help="Seconds the exact solver may take; then its gap is shown."
    ),
    name: str = NameOption,
    scenario: str | None = typer.Option(
        None,
        "--scenario",
        help="Also make a draft scenario with this title: one new facility per chosen site "
        "(compare it with 'geoquartier scenario compare').",
    ),
) -> None:
    """Where to open SITES new offices or services so that the most residents reach one.

    Chooses among candidate buildings on the walk network, for a walking profile: the
    most residents newly within MINUTES (mclp; those already near an existing one count
    as covered) or the least resident-weighted mean walk (pmedian). Solved exactly
    (HiGHS), or greedily with --greedy. Writes the sites with their figures, keeps them in
    the workspace for the quartier map (under --name) and prints a short summary.
    """
    with user_errors():
        _locate(quartier, output, category, minutes, profile, sites, model, candidates, greedy,
                time_limit, name, scenario)  # fmt: skip


def _locate(quartier, output, category, minutes, profile, sites, model, candidates, greedy,
            time_limit, name, scenario=None) -> None:  # fmt: skip
    from tqdm import tqdm

    from geoquartier.mobility.candidates import read_candidates
    from geoquartier.mobility.locate import MODELS, quartier_locate
    from geoquartier.mobility.profiles import get_profile

    if model not in MODELS:
        raise GeoquartierError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    check_name(name)
    check_category(category)
    get_profile(profile)
    spec, store, network = _load(quartier)
    population = _population(spec, store)
    facilities = planning_facilities(store, spec.id)
    if candidates is not None:
        cand = read_candidates(candidates)
    else:
        cand = default_candidates(spec, store, facilities, category)
    with tqdm(total=len(cand), desc="searching from candidates", unit="site", leave=False) as bar:
        result = quartier_locate(
            network,
            population,
            cand,
            facilities,
            spec,
            category,
            minutes=minutes,
            profile=profile,
            sites=sites,
            model=model,
            greedy=greedy,
            time_limit_s=time_limit,
            progress=bar.update,
        )
    runs = result.run_row()
    runs["existing_facilities"] = int((facilities["category"] == category).sum())
    paths = _write_outputs(output, {"locate_sites": result.sites}, {"locate_runs": runs})
    _echo_sites_csv(result, paths[1])
    typer.echo(result.text())
    typer.echo("written: " + ", ".join(str(p) for p in paths))
    _keep(save_locate, result, spec.id, name, "sites")
    if scenario is not None:
        _make_scenario(spec.id, name, scenario)


def _make_scenario(quartier: str, name: str, title: str) -> None:
    """A draft scenario from the run just kept under ``name``."""
    from geoquartier.cli.scenario import echo_created
    from geoquartier.config import workspace_path
    from geoquartier.mobility.scenarios.from_sites import scenario_from_sites

    echo_created(scenario_from_sites(workspace_path(), quartier, name, title.strip() or None))


def _echo_sites_csv(result, csv: Path) -> None:
    """The CSV summary: one row per chosen site with the run's figures."""
    sites = result.sites.drop(columns="geometry")
    for key in ("objective", "gap", "solver", "solver_s", "residents_newly_within"):
        sites[f"run_{key}"] = result.summary[key]
    sites.to_csv(csv, index=False)


# --------------------------------------------------------------------------- supply
@app.command("supply")
def supply_command(
    quartier: QuartierArgument,
    output: Annotated[
        Path,
        output_option(
            "GeoPackage: layers supply_cells (per home or cell) and supply_facilities; "
            "a CSV summary is written beside it."
        ),
    ],
    category: Annotated[
        str, category_option("office, or a service or place category (debt, ...).")
    ],
    minutes: WalkMinutesOption = 10.0,
    profile: ProfileOption = "standard",
    language: str | None = typer.Option(
        None,
        "--language",
        "-l",
        help="Count only facilities that state they offer this language (ISO 639-1: tr, ar).",
    ),
    week: str | None = typer.Option(
        None, "--week", help="Reference week for opening hours, e.g. 2026-W49 (default: now)."
    ),
    below: float = typer.Option(
        2.0, "--below", help="Level (hours per week per 1,000 residents) counted as too low."
    ),
    name: str = NameOption,
) -> None:
    """Advisory hours per week per 1,000 residents within MINUTES on foot (E2SFCA).

    Each facility's weekly open hours (from opening_hours, with the state's public
    holidays in the reference week) are shared among the residents who reach it, with
    less weight for longer walks (1.00 / 0.68 / 0.22 over thirds of T); each home sums
    what it reaches. Facilities with unknown hours or languages are left out and listed.
    The result is kept in the workspace for the quartier map (under --name).
    """
    with user_errors():
        _supply(quartier, output, category, minutes, profile, language, week, below, name)


def _supply(quartier, output, category, minutes, profile, language, week, below, name) -> None:
    import pandas as pd

    from geoquartier.mobility.profiles import get_profile
    from geoquartier.mobility.supply import check_language, quartier_supply, reference_week

    check_name(name)
    check_category(category)
    get_profile(profile)
    check_language(language)
    reference_week(week)
    spec, store, network = _load(quartier)
    population = _population(spec, store)
    facilities = planning_facilities(store, spec.id)
    if not (facilities["category"] == category).any():
        typer.echo(f"note: quartier {spec.id!r} has no {category!r} at all", err=True)
    result = quartier_supply(
        network,
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
    facilities_out = result.facilities.copy()
    paths = _write_outputs(
        output,
        {"supply_cells": result.cells, "supply_facilities": facilities_out},
        {"supply_summary": pd.DataFrame([result.summary])},
    )
    typer.echo(result.text())
    typer.echo("written: " + ", ".join(str(p) for p in paths))
    _keep(save_supply, result, spec.id, name, "supply")
