"""Where geoquartier finds its data, cache, workspace and map output.

Every location can be set with an environment variable; the defaults suit a checkout
with the shared data folder beside it.

* data directory — ``GEOQUARTIER_DATA``; default ``../shared/data`` beside the checkout
  if present, else ``data/``
* cache directory — ``GEOQUARTIER_CACHE``; default ``.cache/`` in the checkout
* workspace GeoPackage — ``GEOQUARTIER_WORKSPACE``; default ``workspace/geoquartier.gpkg``
* map output directory — ``GEOQUARTIER_MAPS``; default ``maps/`` in the checkout
* quartier registry — ``GEOQUARTIER_REGISTRY``; default ``data/quartiers.toml``
* online address lookup (opt-in) — ``GEOQUARTIER_GEOCODE``; off, ``nominatim`` switches
  it on
* Nominatim endpoint — ``GEOQUARTIER_NOMINATIM_URL``; default
  ``https://nominatim.openstreetmap.org``
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (the folder that holds ``pyproject.toml``)."""

ANALYSIS_CRS = "EPSG:25832"
"""Metric CRS for analysis (ETRS89 / UTM zone 32N, metres)."""

STORAGE_CRS = "EPSG:4326"
"""CRS of every stored layer (WGS84 longitude/latitude, degrees)."""


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else None


def data_dir() -> Path:
    """Folder with the input data (OSM extracts, Zensus grid, GTFS, boundaries)."""
    configured = _env_path("GEOQUARTIER_DATA")
    if configured is not None:
        return configured
    shared = PROJECT_ROOT.parent / "shared" / "data"
    return shared if shared.is_dir() else PROJECT_ROOT / "data"


def boundaries_dir() -> Path:
    """Folder with the planning-area boundaries defined by this project (GeoJSON, EPSG:4326)."""
    return PROJECT_ROOT / "data" / "boundaries"


def registry_path() -> Path:
    """The quartier registry (TOML)."""
    return _env_path("GEOQUARTIER_REGISTRY") or PROJECT_ROOT / "data" / "quartiers.toml"


def cache_dir() -> Path:
    """Folder for caches (Overpass answers, walk networks as arrays); created on demand."""
    path = _env_path("GEOQUARTIER_CACHE") or PROJECT_ROOT / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def workspace_path() -> Path:
    """The workspace GeoPackage that holds every layer of every imported quartier."""
    return _env_path("GEOQUARTIER_WORKSPACE") or PROJECT_ROOT / "workspace" / "geoquartier.gpkg"


def maps_dir() -> Path:
    """Folder for generated maps (not committed)."""
    return _env_path("GEOQUARTIER_MAPS") or PROJECT_ROOT / "maps"


def participation_db_path() -> Path:
    """SQLite database of the participation workflow (annotations, events, users)."""
    configured = _env_path("GEOQUARTIER_PARTICIPATION_DB")
    return configured or workspace_path().parent / "participation.sqlite"


NOMINATIM_URL = "https://nominatim.openstreetmap.org"
"""The public Nominatim of the OpenStreetMap Foundation (usage policy: 1 request/s, a user
agent naming the application, results cached)."""


def nominatim_url() -> str:
    """The Nominatim endpoint for online address lookup (``GEOQUARTIER_NOMINATIM_URL``)."""
    return os.environ.get("GEOQUARTIER_NOMINATIM_URL") or NOMINATIM_URL


def geocode_online() -> bool:
    """True when the user switched online address lookup on (``GEOQUARTIER_GEOCODE=nominatim``)."""
    return os.environ.get("GEOQUARTIER_GEOCODE", "").strip().lower() == "nominatim"
