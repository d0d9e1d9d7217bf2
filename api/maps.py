"""Quartier list, interactive maps and the Leaflet assets.

* ``/quartiers`` — the quartiers of the workspace with links to their maps, layers and
  participation page.
* ``/quartiers/{quartier_id}/map?lang=&profile=`` — the standalone interactive map (HTML)
  built by :mod:`geoquartier.maps`; built once per quartier, language and profile and
  kept in memory until the workspace changes. ``sites=`` / ``supply=`` (a stored planning
  result's name or run id) show that location / supply result switched on. Its scripts run under a
  Content-Security-Policy with a fresh nonce per answer (:class:`api.security.NoncedPage`).
* ``/assets/...`` — the Leaflet files (from ``node_modules``) and the map package's own
  static files, for pages that link them instead of inlining.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api import deps
from api.deps import ParticipationStoreDep, RegistryDep, SettingsDep, Workspace, WorkspaceDep
from api.documents import document_links
from api.errors import api_error
from api.participation.store import ParticipationStore
from api.schemas import Link, QuartierList, QuartierSummary
from api.security import (
    NoncedPage,
    content_security_policy,
    html_response,
    new_nonce,
    public_base_url,
)
from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.vocabulary import DEFAULT_LANGUAGE, TILE_ORIGIN

router = APIRouter(tags=["maps"])

ASSET_PACKAGES = {
    "leaflet": "leaflet/dist",
    "leaflet.markercluster": "leaflet.markercluster/dist",
    "leaflet-draw": "leaflet-draw/dist",
}
"""URL prefix under ``/assets/`` → folder inside ``node_modules`` that is served."""

_JSON_ERROR = {
    "description": "JSON error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
"""An error answer of an HTML route (JSON, not HTML)."""

_html_cache: dict[tuple, NoncedPage] = {}
"""Built maps: key → the page, compressed once per build (a fresh nonce per answer)."""
_html_locks = deps.KeyedLocks()
"""One lock per map variant: building one map never waits for another."""


def map_languages() -> list[str]:
    """Languages the maps can be shown in (ISO 639-1), from the map message catalogs."""
    try:
        from geoquartier.maps import i18n

        langs = getattr(i18n, "LANGUAGES", None)
        if langs:
            return list(langs)
    except ImportError:
        pass
    locale_dir = Path(__file__).resolve().parent.parent / "geoquartier" / "maps" / "locale"
    found = (
        sorted(p.name for p in locale_dir.iterdir() if p.is_dir()) if locale_dir.is_dir() else []
    )
    return found or [DEFAULT_LANGUAGE]


def profile_names() -> list[str]:
    """Names of the walking profiles (``standard``, ``senior``, ``wheelchair``)."""
    from geoquartier.mobility.profiles import PROFILES

    return list(PROFILES)


def map_policy(nonce: str) -> str:
    """Content-Security-Policy of a map: its own inline scripts (carrying ``nonce``), inline
    styles, images from this server, ``data:`` and the tile server; nothing else."""
    return content_security_policy(nonce, img_src=("'self'", "data:", TILE_ORIGIN))


def _quartier_rows(workspace: Workspace, registry: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        frame = workspace.frame("quartiers")
    except DataMissingError:  # nothing imported yet
        return []
    rows = []
    for rec, geom in zip(
        frame.drop(columns=frame.geometry.name).to_dict("records"), frame.geometry, strict=True
    ):
        spec = registry.get(str(rec["id"]))
        rows.append(
            {
                "id": str(rec["id"]),
                "name": str(rec.get("name") or rec["id"]),
                "city": rec.get("city") if isinstance(rec.get("city"), str) else None,
                "state": rec.get("state") if isinstance(rec.get("state"), str) else None,
                "programme": rec.get("programme")
                if isinstance(rec.get("programme"), str)
                else None,
                "mode": getattr(spec, "mode", None),
                "bbox": [float(v) for v in geom.bounds]
                if geom is not None and not geom.is_empty
                else None,
            }
        )
    return rows


@router.get("/quartiers", response_model=QuartierList, summary="The quartiers and their maps")
def quartiers(
    request: Request, settings: SettingsDep, workspace: WorkspaceDep, registry: RegistryDep
) -> QuartierList:
    """Every quartier of the workspace with links to its map (per language) and layers."""
    base = public_base_url(request, settings)
    out = []
    for row in _quartier_rows(workspace, registry):
        qid = row["id"]
        links = [
            Link(
                href=f"{base}/quartiers/{qid}/map?lang={lang}",
                rel="map",
                type="text/html",
                title=f"map ({lang})",
            )
            for lang in map_languages()
        ]
        links.append(
            Link(
                href=f"{base}/participate/{qid}",
                rel="participate",
                type="text/html",
                title="participation page",
            )
        )
        links.append(
            Link(
                href=f"{base}/collections/services/items?quartier={qid}",
                rel="items",
                type="application/geo+json",
                title="advisory services",
            )
        )
        links += document_links(base, qid)
        out.append(QuartierSummary(**row, links=links))
    return QuartierList(
        quartiers=out,
        links=[Link(href=f"{base}/quartiers", rel="self", type="application/json")],
    )


def _build_html(
    quartier_id: str,
    variant: tuple[str, str, str | None, str | None, str | None],
    workspace: Workspace,
    registry: dict[str, Any],
    store: ParticipationStore,
) -> str:
    """The map page of ``quartier_id`` in ``variant`` (language, profile, category, stored
    location and supply result)."""
    from geoquartier.maps import build_quartier_map, gather_map_data
    from geoquartier.maps.builder import map_html

    lang, profile, category, sites, supply = variant
    href = f"/quartiers/{quartier_id}/map?lang={{lang}}&profile={profile}"
    for key, value in (("category", category), ("sites", sites), ("supply", supply)):
        if value is not None:
            href += f"&{key}={value}"
    # the quartier's network (memoised in the process) is taken only where the map has
    # something to walk from or to
    data = gather_map_data(
        registry[quartier_id],
        profile=profile,
        category=category,
        store=workspace.store,
        sites=sites,
        supply=supply,
    )
    m = build_quartier_map(
        data, lang=lang, annotations=store.approved_frame(quartier_id), language_href=href
    )
    return map_html(m)


def _check_variant(lang: str, profile: str, category: str | None) -> None:
    from geoquartier.maps.data import ACCESS_CATEGORIES

    languages = map_languages()
    if lang not in languages:
        raise api_error(422, f"unknown language {lang!r}; maps exist in: {', '.join(languages)}")
    profiles = profile_names()
    if profile not in profiles:
        raise api_error(422, f"unknown profile {profile!r}; known profiles: {', '.join(profiles)}")
    if category is not None and category not in ACCESS_CATEGORIES:
        raise api_error(
            422, f"unknown category {category!r}; categories: {', '.join(ACCESS_CATEGORIES)}"
        )


def _check_results(workspace: Workspace, quartier_id: str, sites, supply) -> None:
    """404 unless the named location / supply results are kept in the workspace."""
    from geoquartier.mobility.planning_results import check_name, load_run

    for kind, ref in (("locate", sites), ("supply", supply)):
        if ref is None:
            continue
        try:
            check_name(ref)
        except GeoquartierError as exc:
            raise api_error(422, str(exc)) from None
        if load_run(workspace.path, quartier_id, kind, ref) is None:
            raise api_error(404, f"no stored {kind} result {ref!r} for quartier {quartier_id!r}")


@router.get(
    "/quartiers/{quartier_id}/map",
    response_class=HTMLResponse,
    responses={404: _JSON_ERROR, 422: _JSON_ERROR},
    summary="The interactive map of a quartier",
)
def quartier_map(
    request: Request,
    quartier_id: Annotated[str, PathParam(max_length=100, description="quartier slug, e.g. lauf")],
    workspace: WorkspaceDep,
    registry: RegistryDep,
    store: ParticipationStoreDep,
    lang: Annotated[
        str, Query(max_length=10, description="language (ISO 639-1): de, en, tr, ro, bg")
    ] = DEFAULT_LANGUAGE,
    profile: Annotated[str, Query(max_length=30, description="walking profile")] = "standard",
    category: Annotated[
        str | None,
        Query(
            max_length=30,
            description="target of the walking-access layer (service or daily-needs "
            "category); default the office",
        ),
    ] = None,
    sites: Annotated[
        str | None,
        Query(max_length=40, description="stored location result to show (name or run id)"),
    ] = None,
    supply: Annotated[
        str | None,
        Query(max_length=40, description="stored supply result to show (name or run id)"),
    ] = None,
) -> HTMLResponse:
    """The standalone HTML map of the quartier in the requested language (UTF-8).

    Built once per quartier, language, profile and category; rebuilt when the workspace
    or the set of approved annotations changes. Sent gzip-compressed to clients that
    accept it (compressed once per build). Its scripts carry a nonce that is new on every
    answer and named in the Content-Security-Policy.
    """
    _check_variant(lang, profile, category)
    known = {row["id"] for row in _quartier_rows(workspace, registry)}
    if quartier_id not in known or quartier_id not in registry:
        listed = ", ".join(sorted(known)) or "none (import a quartier first)"
        raise api_error(
            404, f"unknown quartier {quartier_id!r}; quartiers in the workspace: {listed}"
        )
    _check_results(workspace, quartier_id, sites, supply)
    variant = (lang, profile, category, sites, supply)
    key = (
        str(workspace.path),
        workspace.version(),
        str(store.path),
        store.decisions_version(),
        quartier_id,
        *variant,
    )
    page = _html_cache.get(key)
    if page is None:
        with _html_locks(key):
            page = _html_cache.get(key)
            if page is None:
                page = NoncedPage(_build_html(quartier_id, variant, workspace, registry, store))
                for old in [k for k in _html_cache if k[4:] == key[4:]]:
                    del _html_cache[old]
                _html_cache[key] = page
    nonce = new_nonce()
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return html_response(page.gzip(nonce), map_policy(nonce), headers)
    return html_response(page.html(nonce), map_policy(nonce), headers)


def mount_assets(app: FastAPI) -> None:
    """Serve ``/assets/<package>/...`` from ``node_modules`` and ``/assets/geoquartier/...``.

    Folders that do not exist (``npm ci`` not run) are skipped; the maps themselves
    inline their assets and do not need these routes.
    """
    from geoquartier.maps.assets import STATIC_DIR, node_modules_dir

    root = node_modules_dir()
    for prefix, folder in ASSET_PACKAGES.items():
        directory = root / folder
        if directory.is_dir():
            app.mount(
                f"/assets/{prefix}", StaticFiles(directory=directory), name=f"assets-{prefix}"
            )
    if STATIC_DIR.is_dir():
        app.mount(
            "/assets/geoquartier", StaticFiles(directory=STATIC_DIR), name="assets-geoquartier"
        )
