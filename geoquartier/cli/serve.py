"""``geoquartier serve``: the HTTP API (maps, layers for QGIS, walking queries, participation).

The server options come from the settings (:mod:`geoquartier.settings`):
``X-Forwarded-For`` is trusted only from ``trusted_proxies`` (uvicorn's proxy headers are
off without them), request headers are limited to ``max_header_bytes`` (uvicorn's h11
protocol, which enforces the limit) and idle keep-alive connections are closed after
:data:`KEEP_ALIVE_TIMEOUT_S` seconds. The app itself limits the time a request body may
take (``request_timeout_s``) and the host names it answers to (``allowed_hosts``).
"""

from __future__ import annotations

from typing import Any

import typer

from geoquartier.cli.app import app, fail
from geoquartier.settings import Settings

KEEP_ALIVE_TIMEOUT_S = 5
"""Seconds an idle keep-alive connection stays open."""


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that follow from ``settings`` (proxies, header size, timeouts)."""
    trusted = list(settings.trusted_proxies)
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": ",".join(trusted) if trusted else None,
        "http": "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes or None,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT_S,
    }


def _settings() -> Settings:
    from pydantic import ValidationError

    from geoquartier.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GEOQUARTIER_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid setting: {problems}")
        raise  # fail() exits; this keeps type checkers content


def _quartier_ids() -> list[str]:
    """Quartiers in the workspace (empty when nothing has been imported yet)."""
    from geoquartier.layers.backend import get_layer_store

    store = get_layer_store()  # applies pending schema migrations before serving
    try:
        if "quartiers" not in store.layers():
            return []
        return sorted(str(q) for q in store.read("quartiers")["id"])
    finally:
        store.close()


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

    settings = _settings()
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
    typer.echo(
        f"  planning scenarios:     {base}/scenarios/manage  "
        "(token: geoquartier users add NAME --role planner)"
    )
    typer.echo(f"  layers for QGIS (OGC API – Features): {base}/")
    typer.echo(f"  API documentation:      {base}/docs")
    _echo_exposure(settings)
    # No access log: it would print every client address (privacy of participants).
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        **uvicorn_options(settings),
    )


def _echo_exposure(settings: Settings) -> None:
    """How the server treats proxies and host names (docs/api.md: behind a proxy)."""
    proxies = ", ".join(settings.trusted_proxies) or "none (X-Forwarded-For is ignored)"
    hosts = ", ".join(settings.allowed_hosts)
    links = settings.public_url or "the address each request was sent to"
    typer.echo(f"  trusted proxies: {proxies}; host names: {hosts}; links use: {links}")
