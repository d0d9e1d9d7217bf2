"""``geoquartier demo``: the main job — import, maps, documents, an example scenario,
server — for the model quartiers."""

from __future__ import annotations

from pathlib import Path

import typer

from geoquartier.cli.app import app
from geoquartier.errors import GeoquartierError

DOCUMENTS_DIR = "documents"
"""Sub-folder of the maps folder that receives the demo's PDF documents."""
FLYER_LANGUAGES = ("de", "tr")
DEMO_SCENARIO_QUARTIER = "lauf"
DEMO_SCENARIO_TITLE = "Steg und Rampe (Beispiel)"
DEMO_SCENARIO_AUTHOR = "geoquartier demo"
# Real Lauf places (EPSG:4326), found on the walk network by tests/test_scenarios.py:
# two footway nodes 2.7 m apart that are 1,277 m apart on foot (the largest detour gap)
# and a 2 m line across the steps whose wheelchair detour is the longest.
DEMO_GAP = "LINESTRING (11.2916737 49.5123116, 11.2916651 49.5122882)"
DEMO_STEPS_CUT = "LINESTRING (11.2850128 49.5116477, 11.2849929 49.5116352)"
DEMO_MEASURE_ID = "beispiel-rampe"
"""Id of the demo's example building measure (the ramp of the example scenario)."""
DEMO_RAMP_TAGS = {"highway": "footway", "kerb": "lowered", "wheelchair": "yes"}


@app.command("demo")
def demo_command(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web server at the end."),
    online: bool = typer.Option(
        False,
        "--online",
        help="Also fetch quartiers without local data from OpenStreetMap (Overpass).",
    ),
    documents: bool = typer.Option(
        True,
        "--documents/--no-documents",
        help="Write the workshop maps, flyers and reports (PDF) of the quartiers.",
    ),
    scenario: bool = typer.Option(
        True, "--scenario/--no-scenario", help="Create and compare the Lauf example scenario."
    ),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port of the web server."),
) -> None:
    """Import the model quartiers from real data, write their maps and documents, build an
    example scenario and start the server.

    1. Reads every quartier of the registry from the data folder (GEOQUARTIER_DATA,
       default ../shared/data) into one GeoPackage (GEOQUARTIER_WORKSPACE, opens in QGIS)
       and prints a summary per quartier: layers, feature counts, residents, offices and
       whether each is open now. Quartiers whose OSM data come only from Overpass
       (Alt-Hamborn, Batenbrock, Obere Altstadt) are fetched with --online; without it
       they get what the local data has (Alt-Hamborn: boundary and office).
    2. Creates and publishes the example scenario of Lauf (a footway closing the largest
       detour gap and a ramp instead of steps), prints its comparison and adds an example
       building measure (labelled "Beispiel") that names it (--no-scenario skips this).
    3. Writes the interactive maps of Neu Olvenstedt (walking times estimated: no network
       in the data), Lauf and Dreieich (walk network) in all five languages to maps/;
       Lauf's map has a layer for the example scenario.
    4. Writes, per imported quartier, the A3 workshop map, the offer flyer (German and
       Turkish) and the local-mobility report as PDF to maps/documents/ (--no-documents
       skips this).
    5. Starts the web server and prints the addresses of the maps, the participation
       pages and the API documentation (unless --no-serve).
    """
    from geoquartier import config
    from geoquartier.importer import import_all
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.maps import build_all_maps
    from geoquartier.registry import load_registry

    registry = load_registry()
    workspace = config.workspace_path()
    workspace.parent.mkdir(parents=True, exist_ok=True)
    store = get_layer_store()

    typer.echo(f"Importing {len(registry)} quartiers into {store.path}")
    summaries, missing = import_all(registry, store, progress=True, online=online)
    for summary in summaries:
        typer.echo("")
        for line in summary.lines():
            typer.echo(line)
    for qid, reason in missing.items():
        typer.echo(f"\n{qid}: not imported — {reason}")

    # the example scenario first: the maps show published scenarios and linked measures
    if scenario and DEMO_SCENARIO_QUARTIER in {s.quartier for s in summaries}:
        for line in demo_scenario(registry[DEMO_SCENARIO_QUARTIER], store):
            typer.echo(line)

    out_dir = config.maps_dir()
    typer.echo(f"\nWriting maps to {out_dir}")
    paths = build_all_maps(out_dir, store=store, progress=True)
    for path in paths:
        typer.echo(f"  {path}")

    if documents:
        imported = [registry[s.quartier] for s in summaries]
        write_demo_documents(imported, store, Path(out_dir) / DOCUMENTS_DIR)

    if serve:
        from geoquartier.cli.serve import serve as serve_command

        typer.echo("")
        serve_command(host="127.0.0.1", port=port, workers=1)


def write_demo_documents(specs, store, folder: Path) -> list[Path]:
    """The A3 workshop map, the flyers (:data:`FLYER_LANGUAGES`) and the report (German)
    of every quartier in ``specs`` as PDF in ``folder``; prints each path."""
    import warnings

    from tqdm import tqdm

    from geoquartier.reports.render import LocalPublicUrlWarning

    folder.mkdir(parents=True, exist_ok=True)
    typer.echo(f"\nWriting documents to {folder}")
    written: list[Path] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocalPublicUrlWarning)
        for spec in tqdm(specs, desc="documents", unit="quartier"):
            try:
                written += _quartier_documents(spec, store, folder)
            except GeoquartierError as exc:
                typer.echo(f"  {spec.id}: documents not written — {exc}")
    for path in written:
        typer.echo(f"  {path}")
    return written


def _quartier_documents(spec, store, folder: Path) -> list[Path]:
    from geoquartier.reports.data import collect_document_data
    from geoquartier.reports.flyer import flyer_pdf
    from geoquartier.reports.report import report_pdf
    from geoquartier.reports.workshop import workshop_map_pdf

    data = collect_document_data(spec, store)
    paths = [folder / f"{spec.id}-werkstatt-A3.pdf"]
    workshop_map_pdf(data, paths[-1], size="A3")
    for lang in FLYER_LANGUAGES:
        paths.append(folder / f"{spec.id}-angebote-{lang}.pdf")
        flyer_pdf(data, paths[-1], lang=lang)
    paths.append(folder / f"{spec.id}-nahmobilitaet.pdf")
    report_pdf(data, paths[-1])
    return paths


def demo_scenario(spec, store) -> list[str]:
    """Create (or re-create) and publish the example scenario of Lauf in the workspace and
    compare it; returns the lines to print."""
    import shapely

    from geoquartier.mobility import network_for
    from geoquartier.mobility.planning_inputs import planning_facilities
    from geoquartier.mobility.scenarios import (
        Scenario,
        compare,
        delete_scenario,
        list_scenarios,
        save_scenario,
    )

    old = list_scenarios(store.path, spec.id)
    for sid in old.loc[old["author"] == DEMO_SCENARIO_AUTHOR, "id"]:
        delete_scenario(store.path, sid)
    scenario = Scenario(
        spec.id,
        DEMO_SCENARIO_TITLE,
        description="A footway closing the largest detour gap of the walk network and a "
        "ramp instead of the steps with the longest wheelchair detour.",
        author=DEMO_SCENARIO_AUTHOR,
    )
    scenario.add("way_add", shapely.from_wkt(DEMO_GAP), surface="asphalt")
    scenario.add("way_tags", shapely.from_wkt(DEMO_STEPS_CUT), tags=DEMO_RAMP_TAGS)
    scenario.publish()
    population = store.read("population", quartier=spec.id)[["id", "residents", "geometry"]]
    result = compare(scenario, network_for(spec), population, planning_facilities(store, spec.id))
    save_scenario(store.path, scenario)
    lines = [f"\nExample scenario {scenario.id} of {spec.id}: {scenario.title} (published)"]
    lines += [f"  {line}" for line in result.edited.log]
    lines += ["  " + line for line in comparison_summary(result)]
    measure = demo_measure(spec, store, scenario.id)
    lines.append(f"  example measure {measure['id']!r} ({measure['name']}) names the scenario")
    return lines


def demo_measure(spec, store, scenario_id: str) -> dict:
    """Write (or re-write) the demo's example building measure of ``spec``: the ramp of the
    example scenario at the real steps (EPSG:4326), status planned, naming the published
    scenario ``scenario_id``. Clearly an example: "(Beispiel)" in its name and kind, and
    its description says it is not a real measure. Other measures stay as they are."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geoquartier.vocabulary import STORAGE_CRS

    row = {
        "id": DEMO_MEASURE_ID,
        "quartier": spec.id,
        "name": "Rampe statt Treppe (Beispiel)",
        "kind": "Barrierefreiheit (Beispiel)",
        "status": "planned",
        "description": "Beispiel der Demo, keine echte Maßnahme: eine Rampe statt der Treppe "
        "mit dem längsten Umweg für Rollstuhlnutzende, beschrieben vom Szenario "
        f"„{DEMO_SCENARIO_TITLE}“.",
        "scenario_id": scenario_id,
    }
    point = shapely.from_wkt(DEMO_STEPS_CUT).interpolate(0.5, normalized=True)
    new = gpd.GeoDataFrame([row], geometry=[point], crs=STORAGE_CRS)
    old = store.read("measures", quartier=spec.id)
    old = old[old["id"] != DEMO_MEASURE_ID]
    frame = pd.concat([old, new], ignore_index=True) if len(old) else new
    store.write("measures", gpd.GeoDataFrame(frame, crs=STORAGE_CRS), quartier=spec.id)
    return row


def comparison_summary(result, tolerance_min: float = 1e-6) -> list[str]:
    """Short text of a scenario comparison: the coverage rows that change and, per
    category and profile, the homes or cells that walk less and by how much."""
    cov = result.coverage
    moved = cov[(cov["difference"].abs() > 1e-9) | (cov["residents_newly_within"] > 1e-9)]
    lines = []
    for row in moved.itertuples():
        lines.append(
            f"{row.category}, {row.profile}, {row.threshold_min:g} min: "
            f"{row.residents_before:,.0f} → {row.residents_after:,.0f} residents"
        )
    if moved.empty:
        lines.append("no resident crosses the 5, 10 or 15 minute line")
    per = result.per_origin
    gains = per[per["gain_min"].fillna(0) > tolerance_min]
    if gains.empty:
        lines.append("no home walks less")
        return lines
    weights = result.edited.population.set_index("id")["residents"]
    for (category, profile), part in gains.groupby(["category", "profile"], sort=True):
        residents = float(weights.reindex(part["origin_id"]).fillna(0).sum())
        finite = part["gain_min"][part["gain_min"] < float("inf")]
        best = f"up to {finite.max():.1f} min less" if len(finite) else "new routes"
        lines.append(
            f"{category}, {profile}: {len(part)} homes/cells ({residents:,.0f} residents) "
            f"walk less, {best}"
        )
    return lines
