"""``geoquartier demo``: the main job — import, maps, server — for the model quartiers."""

from __future__ import annotations

import typer

from geoquartier.cli.app import app


@app.command("demo")
def demo_command(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web server at the end."),
    online: bool = typer.Option(
        False,
        "--online",
        help="Also fetch quartiers without local data from OpenStreetMap (Overpass).",
    ),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port of the web server."),
) -> None:
    """Import the model quartiers from real data, write their maps and start the server.

    1. Reads every quartier of the registry from the data folder (GEOQUARTIER_DATA,
       default ../shared/data) into one GeoPackage (GEOQUARTIER_WORKSPACE, opens in QGIS)
       and prints a summary per quartier: layers, feature counts, residents, offices and
       whether each is open now. Quartiers whose OSM data come only from Overpass
       (Alt-Hamborn, Batenbrock, Obere Altstadt) are fetched with --online; without it
       they get what the local data has (Alt-Hamborn: boundary and office).
    2. Writes the interactive maps of Neu Olvenstedt (walking times estimated: no network
       in the data), Lauf and Dreieich (walk network) in all five languages to maps/.
    3. Starts the web server and prints the addresses of the maps, the participation
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

    out_dir = config.maps_dir()
    typer.echo(f"\nWriting maps to {out_dir}")
    paths = build_all_maps(out_dir, store=store, progress=True)
    for path in paths:
        typer.echo(f"  {path}")

    if serve:
        from geoquartier.cli.serve import serve as serve_command

        typer.echo("")
        serve_command(host="127.0.0.1", port=port, workers=1)
