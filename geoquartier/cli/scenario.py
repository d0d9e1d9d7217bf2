"""``geoquartier scenario``: what-if planning scenarios compared before and after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import app
from geoquartier.errors import GeoquartierError

scenario_app = typer.Typer(
    help=(
        "What-if planning scenarios: new ways, closed ways, ramps instead of steps, new or "
        "closed facilities, new homes — and how many residents reach what on foot before "
        "and after. Scenarios live in the workspace GeoPackage; base data never changes."
    ),
    no_args_is_help=True,
)
app.add_typer(scenario_app, name="scenario")


def _workspace() -> Path:
    from geoquartier.config import workspace_path

    return Path(workspace_path())


def _values(pairs: list[str] | None, what: str) -> dict:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise GeoquartierError(f"{what} must look like key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


@scenario_app.command("new")
def new_command(
    quartier: Annotated[str, typer.Argument(help="Quartier id (see 'geoquartier quartiers').")],
    title: Annotated[str, typer.Option("--title", help="Short title.")],
    description: Annotated[str, typer.Option(help="What the scenario is about.")] = "",
    author: Annotated[str, typer.Option(help="Who made it.")] = "",
) -> None:
    """Create an empty draft scenario for QUARTIER and print its id."""
    from geoquartier.mobility.scenarios import Scenario, save_scenario

    scenario = Scenario(quartier, title, description=description, author=author)
    save_scenario(_workspace(), scenario)
    typer.echo(scenario.id)


@scenario_app.command("add")
def add_command(
    scenario_id: Annotated[str, typer.Argument(help="Scenario id.")],
    kind: Annotated[
        str,
        typer.Argument(
            help="facility_add, facility_move, facility_close, way_add, way_close, way_tags, "
            "residents_add or residents_remove."
        ),
    ],
    geometry: Annotated[
        str | None, typer.Option(help="WKT in EPSG:4326 (lon lat), e.g. 'POINT (11.28 49.51)'.")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--set", help="A field as key=value (repeat), e.g. --set category=pharmacy."),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="For way_tags: an OSM tag as key=value (repeat)."),
    ] = None,
) -> None:
    """Append one validated edit to a draft scenario."""
    import shapely

    from geoquartier.mobility.scenarios import load_scenario, save_scenario

    path = _workspace()
    scenario = load_scenario(path, scenario_id)
    try:
        geom = None if geometry is None else shapely.from_wkt(geometry)
    except shapely.errors.GEOSException:
        raise GeoquartierError(f"--geometry is not valid WKT: {geometry!r}") from None
    params = _values(field, "--set")
    if tag:
        params["tags"] = {k: str(v) for k, v in _values(tag, "--tag").items()}
    edit = scenario.add(kind, geom, **params)
    save_scenario(path, scenario)
    typer.echo(f"edit {len(scenario.edits)} ({edit.kind}) added to {scenario.id}")


@scenario_app.command("from-sites")
def from_sites_command(
    quartier: Annotated[str, typer.Argument(help="Quartier id (see 'geoquartier quartiers').")],
    sites: Annotated[
        str | None,
        typer.Option(
            "--sites",
            help="The stored location result: its name (e.g. latest) or run id "
            "(default: the most recent).",
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Title (default: names the result).")
    ] = None,
    author: Annotated[str, typer.Option(help="Who made it.")] = "",
    opening_hours: Annotated[
        str | None,
        typer.Option(
            "--opening-hours", help="OSM opening_hours of the new sites (default: unknown)."
        ),
    ] = None,
    languages: Annotated[
        str, typer.Option(help="Languages offered at the new sites (ISO 639-1, comma-separated).")
    ] = "de",
) -> None:
    """A draft scenario with one new facility per site of a stored 'geoquartier locate'
    result (named "Neuer Standort 1 (Vorschlag)", ...); prints its id and edits."""
    from geoquartier.cli.app import user_errors
    from geoquartier.mobility.scenarios.from_sites import scenario_from_sites

    with user_errors():
        scenario = scenario_from_sites(
            _workspace(),
            quartier,
            sites,
            title,
            author=author,
            opening_hours=opening_hours,
            languages=[p.strip() for p in languages.split(",") if p.strip()],
        )
    echo_created(scenario)


def echo_created(scenario) -> None:
    """Print a scenario made from sites: id, title, one line per new site, what next."""
    typer.echo(f"{scenario.id}  {scenario.title}  [{scenario.status}]")
    for n, e in enumerate(scenario.edits, start=1):
        typer.echo(
            f"  {n}. {e.params['category']} {e.params['name']} at "
            f"{e.geometry.x:.5f}, {e.geometry.y:.5f}"
        )
    typer.echo(f"compare it: geoquartier scenario compare {scenario.id} --out vergleich.csv")


@scenario_app.command("list")
def list_command(
    quartier: Annotated[str | None, typer.Argument(help="Only this quartier.")] = None,
) -> None:
    """List the scenarios of the workspace."""
    from geoquartier.mobility.scenarios import list_scenarios

    table = list_scenarios(_workspace(), quartier)
    if table.empty:
        typer.echo("no scenarios")
        return
    cols = ["id", "quartier", "status", "edits", "updated", "title"]
    typer.echo(table[cols].to_string(index=False))


@scenario_app.command("show")
def show_command(scenario_id: Annotated[str, typer.Argument(help="Scenario id.")]) -> None:
    """Print a scenario and its edits."""
    from geoquartier.mobility.scenarios import load_scenario

    s = load_scenario(_workspace(), scenario_id)
    typer.echo(f"{s.id}  {s.title}  [{s.status}]  quartier {s.quartier}")
    typer.echo(f"author {s.author or '-'}; created {s.created}; updated {s.updated}")
    if s.description:
        typer.echo(s.description)
    for n, e in enumerate(s.edits, start=1):
        wkt = "" if e.geometry is None else e.geometry.wkt[:60]
        typer.echo(f"  {n}. {e.kind} {json.dumps(e.params, ensure_ascii=False)} {wkt}")


@scenario_app.command("publish")
def publish_command(scenario_id: Annotated[str, typer.Argument(help="Scenario id.")]) -> None:
    """Publish a scenario (it can no longer be edited)."""
    from geoquartier.mobility.scenarios import load_scenario, save_scenario

    s = load_scenario(_workspace(), scenario_id)
    s.publish()
    save_scenario(_workspace(), s)
    typer.echo(f"{s.id} published")


@scenario_app.command("delete")
def delete_command(scenario_id: Annotated[str, typer.Argument(help="Scenario id.")]) -> None:
    """Delete a scenario and its edits (base data is never touched)."""
    from geoquartier.mobility.scenarios import delete_scenario

    delete_scenario(_workspace(), scenario_id)
    typer.echo(f"{scenario_id} deleted")


def _rounded(table):
    """Residents as whole persons, unknown shares as percentages with one decimal."""
    out = table.copy()
    for col in [c for c in out.columns if c.startswith("residents_") or c == "difference"]:
        out[col] = out[col].astype(float).round().astype("Int64")
    for side in ("before", "after"):
        share = out.pop(f"unknown_share_{side}").astype(float)
        out[f"unknown_share_{side}_pct"] = (share * 100).round(1)
    return out


@scenario_app.command("compare")
def compare_command(
    scenario_id: Annotated[str, typer.Argument(help="Scenario id.")],
    out: Annotated[Path, typer.Option("--out", help="CSV of the coverage comparison.")],
    gpkg: Annotated[
        Path | None, typer.Option(help="GeoPackage with the per-home walking minutes.")
    ] = None,
    minutes: Annotated[str, typer.Option(help="Walking times in minutes.")] = "5,10,15",
    profiles: Annotated[str, typer.Option(help="Profiles.")] = "standard,senior,wheelchair",
) -> None:
    """Residents within each walking time before and after the scenario, per category,
    profile and time; prints the rows that change."""
    from geoquartier.cli.access import _load, _minutes, _split, facilities_of
    from geoquartier.mobility.coverage import CSV_OPTIONS
    from geoquartier.mobility.scenarios import compare, load_scenario

    if out.suffix.lower() != ".csv":
        raise GeoquartierError(f"cannot write {out.name}: --out needs a .csv file")
    scenario = load_scenario(_workspace(), scenario_id)
    spec, store, network = _load(scenario.quartier)
    population = store.read("population", quartier=spec.id)
    if population.empty:
        raise GeoquartierError(f"quartier {spec.id!r} has no population layer")
    facilities = facilities_of(store, spec.id)
    typer.echo(f"comparing {len(scenario.edits)} edit(s) ...", err=True)
    result = compare(
        scenario,
        network,
        population[["id", "residents", "geometry"]],
        facilities,
        _minutes(minutes),
        _split(profiles) or ["standard"],
    )
    table = _rounded(result.coverage)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, **CSV_OPTIONS)
    if gpkg is not None:
        result.per_origin.to_file(gpkg, layer="scenario_per_origin", driver="GPKG")
    for line in result.edited.log:
        typer.echo(line)
    changed = table[(table["difference"] != 0) | (table["residents_newly_within"] != 0)]
    cols = ["profile", "category", "threshold_min", "residents_before", "residents_after"]
    typer.echo(
        changed[cols + ["difference"]].to_string(index=False)
        if len(changed)
        else "no resident crosses any walking time"
    )
    typer.echo(f"wrote {out}" + (f" and {gpkg}" if gpkg else ""))
