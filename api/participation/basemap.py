"""Offline street map for the participation and moderation pages.

At participation events the wifi often fails and tiles do not load; the pages then still
show the streets of the quartier's walk network (within 400 m of the boundary), served
by this app as light GeoJSON (EPSG:4326). Quartiers without a walk network (estimate
mode) get an empty collection: the pages show the boundary only.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.errors import api_error

router = APIRouter(tags=["participation pages"])

_cache: dict[tuple, bytes] = {}


def street_map_json(quartier: str) -> bytes:
    """The streets near ``quartier`` as a GeoJSON FeatureCollection (bytes, EPSG:4326)."""
    from api.deps import current_registry as get_registry
    from api.deps import get_network, layer_frame, store_layers
    from geoquartier import config
    from geoquartier.maps.data import streets_near
    from geoquartier.maps.geojson import feature_collection

    key = (str(config.workspace_path()), str(config.registry_path()), quartier)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    empty = {"type": "FeatureCollection", "features": []}
    collection = empty
    spec = get_registry()[quartier]
    if spec.mode == "network" and "quartiers" in store_layers():
        network = get_network(quartier)
        if hasattr(network, "edges_gdf"):
            quartiers = layer_frame("quartiers")
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
def streets(quartier: Annotated[str, Path(max_length=100)]) -> Response:
    """The quartier's walk-network streets as GeoJSON (EPSG:4326); empty in estimate mode."""
    from api.deps import current_registry as get_registry

    if quartier not in get_registry():
        raise api_error(404, f"unknown quartier {quartier!r}")
    return Response(
        street_map_json(quartier),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
