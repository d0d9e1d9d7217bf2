"""``geoquartier serve``: run the HTTP API (maps, layers for QGIS, walking queries, participation)."""

from __future__ import annotations

import typer

from geoquartier.cli.app import app, fail


def _quartier_ids() -> list[str]:
    """Quartiers in the workspace (empty when nothing has been imported yet)."""
    from geoquartier import config
    from geoquartier.layers.store import GeoPackageStore

    store = GeoPackageStore(config.workspace_path())
    if "quartiers" not in store.layers():
        return []
    return sorted(str(q) for q in store.read("quartiers")["id"])


@app.command("serve")
def serve(
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on (0.0.0.0 for the whole network)."
    ),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=16, help="Worker processes."),
) -> None:
    """Start the web server: interactive maps, participation pages, layers for QGIS, API.

    Prints the addresses of each quartier's map and participation page, the OGC API –
    Features address to add in QGIS ("OGC API – Features" connection) and the API
    documentation. Stop it with Ctrl+C.
    """
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port")

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    quartiers = _quartier_ids()
    typer.echo(f"geoquartier is serving on {base}")
    if not quartiers:
        typer.echo(
            "  no quartier imported yet: run 'geoquartier demo' or 'geoquartier import <quartier>'"
        )
    for qid in quartiers:
        typer.echo(f"  map of {qid}:            {base}/quartiers/{qid}/map?lang=de")
        typer.echo(f"  participation ({qid}):   {base}/participate/{qid}")
    typer.echo(
        f"  moderation page:        {base}/moderate  "
        "(token: geoquartier users add NAME --role moderator)"
    )
    typer.echo(f"  layers for QGIS (OGC API – Features): {base}/")
    typer.echo(f"  API documentation:      {base}/docs")
    # No access log: it would print every client address (privacy of participants).
    uvicorn.run(
        "api.main:app", host=host, port=port, workers=workers, log_level="info", access_log=False
    )
