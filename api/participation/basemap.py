"""Offline street map for the participation and moderation pages.

At participation events the wifi often fails and tiles do not load; the pages then still
show the streets of the quartier's walk network (within 400 m of the boundary), served
by this app as light GeoJSON (EPSG:4326). Quartiers without a walk network (estimate
mode) get an empty collection: the pages show the boundary only.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import Networks, NetworksDep, RegistryDep, SettingsDep, Workspace, WorkspaceDep
from api.errors import api_error
from api.geojson import GEOJSON

router = APIRouter(tags=["participation pages"])

_cache: dict[tuple, bytes] = {}


def street_map_json(
    quartier: str, spec: Any, workspace: Workspace, networks: Networks, registry_key: str = ""
) -> bytes:
    """The streets near ``quartier`` as a GeoJSON FeatureCollection (bytes, EPSG:4326).

    ``spec`` is the quartier's registry entry; the walk network comes from ``networks``
    and the boundary from the workspace's ``quartiers`` layer. Cached per workspace,
    registry (``registry_key``) and quartier.
    """
    from geoquartier.maps.data import streets_near
    from geoquartier.maps.geojson import feature_collection

    key = (str(workspace.path), registry_key, quartier)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    collection = {"type": "FeatureCollection", "features": []}
    if spec.mode == "network" and "quartiers" in workspace.layers():
        network = networks.get(quartier)
        if hasattr(network, "edges_gdf"):
            quartiers = workspace.frame("quartiers")
            boundary = quartiers[quartiers["id"] == quartier]
            streets = streets_near(network, boundary)
            collection = feature_collection(streets, simplify_deg=1e-5)
    body = json.dumps(collection, separators=(",", ":")).encode()
    _cache[key] = body
    return body


@router.get(
    "/quartiers/{quartier}/streets.geojson",
    summary="Streets of the quartier for the offline map of the participation page",
    responses={404: {"description": "unknown quartier"}},
)
def streets(
    quartier: Annotated[str, Path(max_length=100)],
    settings: SettingsDep,
    registry: RegistryDep,
    workspace: WorkspaceDep,
    networks: NetworksDep,
) -> Response:
    """The quartier's walk-network streets as GeoJSON (EPSG:4326); empty in estimate mode."""
    if quartier not in registry:
        raise api_error(404, f"unknown quartier {quartier!r}")
    body = street_map_json(
        quartier, registry[quartier], workspace, networks, str(settings.registry_path)
    )
    return Response(body, media_type=GEOJSON, headers={"Cache-Control": "public, max-age=3600"})
