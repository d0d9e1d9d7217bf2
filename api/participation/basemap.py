"""Offline street map and address search for the participation and moderation pages.

At participation events the wifi often fails and tiles do not load; the pages then still
show the streets of the quartier's walk network (within 400 m of the boundary, each with
its OSM ``name`` as property), served by this app as light GeoJSON (EPSG:4326).
Quartiers without a walk network (estimate mode) get an empty collection: the pages show
the boundary only.

``GET /quartiers/{quartier}/addresses?q=`` finds street + house number in the quartier's
``addresses`` layer, so a resident can centre the map on their address. The offices of
the ``offices`` layer are handed to the page in its config (:func:`office_points`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
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
            streets = streets.assign(name=network.edges_gdf().loc[streets.index, "name"])
            collection = feature_collection(streets, _street_properties, simplify_deg=1e-5)
    body = json.dumps(collection, separators=(",", ":")).encode()
    _cache[key] = body
    return body


def _street_properties(row: Any) -> dict[str, str]:
    name = row["name"]
    return {"name": str(name)} if isinstance(name, str) and name.strip() else {}


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


MAX_ADDRESS_MATCHES = 20
"""Most matches one address search returns."""

_address_cache: dict[tuple, list[dict[str, Any]]] = {}


def _fold(text: str) -> str:
    """Lower case without accents, "str." as "straße", blanks collapsed (for matching)."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"str\.?(?=\s|$|\d)", "strasse", text)
    return " ".join(text.replace("-", " ").split())


def _address_rows(workspace: Workspace, quartier: str) -> list[dict[str, Any]]:
    """The quartier's addresses as dicts (street, housenumber, lon, lat in EPSG:4326)."""
    key = (str(workspace.path), workspace.version(), quartier)
    cached = _address_cache.get(key)
    if cached is not None:
        return cached
    rows: list[dict[str, Any]] = []
    if "addresses" in workspace.layers():
        frame = workspace.frame("addresses")
        frame = frame[(frame["quartier"] == quartier) & frame.geometry.notna()]
        for street, number, point in zip(
            frame["street"], frame["housenumber"], frame.geometry, strict=True
        ):
            street = street if isinstance(street, str) else ""
            label = f"{street} {number}".strip()
            rows.append(
                {
                    "label": label,
                    "street": street,
                    "housenumber": str(number),
                    "lon": round(point.x, 6),
                    "lat": round(point.y, 6),
                    "_folded": _fold(label),
                }
            )
    rows.sort(key=lambda r: (r["street"], _number_key(r["housenumber"])))
    if len(_address_cache) > 32:
        _address_cache.clear()
    _address_cache[key] = rows
    return rows


def _number_key(housenumber: str) -> tuple[int, str]:
    digits = re.match(r"\d+", housenumber)
    return (int(digits.group()) if digits else 0, housenumber)


def find_addresses(
    workspace: Workspace, quartier: str, query: str, limit: int = 10
) -> list[dict[str, Any]]:
    """Addresses of ``quartier`` whose "street house number" contains every word of
    ``query`` (case, accents and "str."/"straße" ignored); a word of the query that
    holds a digit must start the house number. An address found at several points (OSM
    node and building) is returned once. Points in EPSG:4326."""
    words = _fold(query).split()
    if not words:
        return []
    out: dict[str, dict[str, Any]] = {}  # one match per label (the data has doubles)
    for row in _address_rows(workspace, quartier):
        if row["label"] not in out and all(_word_matches(word, row) for word in words):
            out[row["label"]] = {k: v for k, v in row.items() if not k.startswith("_")}
            if len(out) >= limit:
                break
    return list(out.values())


def _word_matches(word: str, row: dict[str, Any]) -> bool:
    if any(c.isdigit() for c in word):
        return _fold(row["housenumber"]).replace(" ", "").startswith(word)
    return word in row["_folded"]


@router.get(
    "/quartiers/{quartier}/addresses",
    summary="Find an address (street and house number) in the quartier",
    responses={404: {"description": "unknown quartier"}},
)
def addresses(
    quartier: Annotated[str, Path(max_length=100)],
    registry: RegistryDep,
    workspace: WorkspaceDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="e.g. 'Marktpl 5'")],
    limit: Annotated[int, Query(ge=1, le=MAX_ADDRESS_MATCHES)] = 10,
) -> dict[str, Any]:
    """Matches of street + house number in the quartier's ``addresses`` layer, sorted by
    street and number: ``{"matches": [{"label", "street", "housenumber", "lon", "lat"}]}``
    (EPSG:4326); an empty list when nothing matches or the quartier has no addresses."""
    if quartier not in registry:
        raise api_error(404, f"unknown quartier {quartier!r}")
    return {"matches": find_addresses(workspace, quartier, q, limit)}


def office_points(workspace: Workspace, quartier: str) -> list[dict[str, Any]]:
    """The quartier's offices of the ``offices`` layer as ``{"name", "lon", "lat"}``
    (EPSG:4326; offices without a location are left out), for the page config."""
    if "offices" not in workspace.layers():
        return []
    frame = workspace.frame("offices")
    frame = frame[(frame["quartier"] == quartier) & frame.geometry.notna()]
    return [
        {"name": str(name), "lon": round(point.x, 6), "lat": round(point.y, 6)}
        for name, point in zip(frame["name"], frame.geometry, strict=True)
        if not point.is_empty
    ]
