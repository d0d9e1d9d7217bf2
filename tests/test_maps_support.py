"""Shared fixtures of the map tests: a workspace with Neu Olvenstedt and Lauf imported from
the real data, and their map data (layers + walking results). Holds no tests itself."""

from __future__ import annotations

from datetime import datetime
from functools import cache

import pytest

from geoquartier.layers.opening_hours import TIMEZONE
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import load_registry

MAP_QUARTIERS = ("neu-olvenstedt", "lauf")
XSS_NAME = "<img src=x onerror=alert(1)>"
BUILT_AT = datetime(2026, 11, 21, 12, 0, tzinfo=TIMEZONE)
"""A fixed build time (a Saturday) for deterministic opening intervals in unit tests."""


@pytest.fixture(scope="session")
def maps_store(tmp_path_factory) -> GeoPackageStore:
    """A GeoPackage workspace with the map quartiers imported by the real pipeline."""
    return imported_workspace(tmp_path_factory.mktemp("maps-ws"), MAP_QUARTIERS)


def imported_workspace(folder, quartiers) -> GeoPackageStore:
    """``folder``/workspace.gpkg with ``quartiers`` imported from the real data by the
    import pipeline."""
    from geoquartier.importer import import_quartier

    store = GeoPackageStore(folder / "workspace.gpkg")
    registry = load_registry()
    for quartier in quartiers:
        import_quartier(registry[quartier], store, progress=False)
    return store


@cache
def _map_data(store_path: str, quartier: str):
    from geoquartier.maps.data import collect_map_data

    return collect_map_data(load_registry()[quartier], GeoPackageStore(store_path))


@pytest.fixture(scope="session")
def map_data(maps_store):
    """``map_data(quartier)`` -> a fresh copy of the quartier's MapData (computed once)."""
    import dataclasses

    def get(quartier: str):
        data = _map_data(str(maps_store.path), quartier)
        return dataclasses.replace(
            data, layers=dict(data.layers), walk_from_office=dict(data.walk_from_office)
        )

    return get
