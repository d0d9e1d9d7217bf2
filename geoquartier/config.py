"""Where geoquartier finds its data, cache, workspace and map output.

Thin accessors over :func:`geoquartier.settings.get_settings` (the settings table is in
:mod:`geoquartier.settings`); the CRS constants come from :mod:`geoquartier.vocabulary`.
"""

from __future__ import annotations

from pathlib import Path

from geoquartier.settings import PROJECT_ROOT, get_settings
from geoquartier.vocabulary import ANALYSIS_CRS, STORAGE_CRS

__all__ = [
    "ANALYSIS_CRS",
    "PROJECT_ROOT",
    "STORAGE_CRS",
    "boundaries_dir",
    "cache_dir",
    "data_dir",
    "maps_dir",
    "participation_db_path",
    "registry_path",
    "workspace_path",
]


def data_dir() -> Path:
    """Folder with the input data (OSM extracts, Zensus grid, GTFS, boundaries)."""
    return get_settings().data_dir


def boundaries_dir() -> Path:
    """Folder with the planning-area boundaries defined by this project (GeoJSON, EPSG:4326)."""
    return PROJECT_ROOT / "data" / "boundaries"


def registry_path() -> Path:
    """The quartier registry (TOML)."""
    return get_settings().registry_path


def cache_dir() -> Path:
    """Folder for caches (Overpass answers, walk networks as arrays); created on demand."""
    path = get_settings().cache_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def workspace_path() -> Path:
    """The workspace GeoPackage that holds every layer of every imported quartier."""
    return get_settings().workspace_path


def maps_dir() -> Path:
    """Folder for generated maps (not committed)."""
    return get_settings().maps_dir


def participation_db_path() -> Path:
    """SQLite database of the participation workflow (annotations, events, users)."""
    return get_settings().participation_db_path


def nominatim_url() -> str:
    """The Nominatim endpoint for online address lookup (``settings.nominatim_url``)."""
    return get_settings().nominatim_url


def geocode_online() -> bool:
    """True when online address lookup is switched on (``GEOQUARTIER_GEOCODE=nominatim``)."""
    return get_settings().geocode == "nominatim"
