"""Shared dependencies of the HTTP API: the workspace store, the registry, walk networks.

Configuration (``GEOQUARTIER_WORKSPACE``, ``GEOQUARTIER_REGISTRY``, ...) is read when a
request needs it, never at import time, so tests and the ``serve`` command can point the
app at another workspace before the first request. Everything is memoised per
configured path:

* :func:`get_store` — the :class:`~geoquartier.layers.store.GeoPackageStore`.
* :func:`get_registry` — the quartier registry.
* :func:`layer_frame` — a whole layer as a GeoDataFrame (EPSG:4326), re-read when the
  GeoPackage file changes on disk (modification time and size of the file and its WAL).
* :func:`get_network` — the walk network of a quartier (built once per process).
* :func:`quartier_at` — the quartier whose boundary holds a point.

All functions are thread-safe (sync endpoints run in a thread pool).
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoquartier import config

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

_lock = threading.RLock()
_frames: dict[tuple[str, str], tuple[tuple[int, ...], Any]] = {}
_networks: dict[tuple[str, str, str], Any] = {}

QUARTIER_MARGIN_M = 250.0
"""Points this close (metres) outside a quartier boundary still count as in the quartier."""


@lru_cache(maxsize=16)
def _workspace_for(configured: str | None) -> Path:
    return config.workspace_path()


def workspace_path() -> Path:
    """``geoquartier.config.workspace_path()``, resolved once per value of
    ``GEOQUARTIER_WORKSPACE`` (it is asked on every request)."""
    return _workspace_for(os.environ.get("GEOQUARTIER_WORKSPACE"))


@lru_cache(maxsize=16)
def _registry_path_for(configured: str | None) -> Path:
    return config.registry_path()


def registry_path() -> Path:
    """``geoquartier.config.registry_path()``, resolved once per value of
    ``GEOQUARTIER_REGISTRY``."""
    return _registry_path_for(os.environ.get("GEOQUARTIER_REGISTRY"))


@lru_cache(maxsize=8)
def _store_for(path: str):
    from geoquartier.layers.store import GeoPackageStore

    return GeoPackageStore(Path(path))


def get_store():
    """The workspace store (``geoquartier.config.workspace_path()``), memoised per path."""
    return _store_for(str(workspace_path()))


@lru_cache(maxsize=8)
def _registry_for(path: str):
    from geoquartier.registry import load_registry

    return load_registry(Path(path))


def get_registry() -> dict[str, Any]:
    """The quartier registry ``{id: QuartierSpec}``, memoised per registry path."""
    return _registry_for(str(registry_path()))


def _file_version(path: Path) -> tuple[int, ...]:
    parts: list[int] = []
    for candidate in (path, path.with_name(path.name + "-wal")):
        try:
            st = os.stat(candidate)
            parts.extend((st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            parts.extend((0, 0, 0))
    return tuple(parts)


_layer_lists: dict[str, tuple[tuple[int, ...], list[str]]] = {}


def store_layers() -> list[str]:
    """Names of the layers the workspace store holds (empty when there is no workspace).

    Cached until the GeoPackage file changes on disk.
    """
    path = workspace_path()
    version = _file_version(path)
    cached = _layer_lists.get(str(path))
    if cached is not None and cached[0] == version:
        return cached[1]
    names = list(get_store().layers()) if path.exists() else []
    _layer_lists[str(path)] = (version, names)
    return names


def layer_frame(layer: str) -> gpd.GeoDataFrame:
    """The whole ``layer`` from the workspace (EPSG:4326), cached until the file changes.

    Raises :class:`geoquartier.errors.DataMissingError` when the workspace lacks the layer.
    The returned frame is shared: callers must not modify it in place.
    """
    from geoquartier.errors import DataMissingError

    path = workspace_path()
    key = (str(path), layer)
    version = _file_version(path)
    cached = _frames.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        cached = _frames.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        if layer not in store_layers():
            raise DataMissingError(
                f"the workspace {path} has no layer {layer!r}; import a quartier first "
                "('geoquartier import <quartier>')"
            )
        gdf = get_store().read(layer)
        gdf = gdf.reset_index(drop=True)
        _ = gdf.sindex  # build the spatial index once, outside the request path
        _frames[key] = (version, gdf)
        return gdf


def clear_caches() -> None:
    """Forget every cached store, layer, registry and network (after config changes)."""
    with _lock:
        _frames.clear()
        _layer_lists.clear()
        _networks.clear()
        _store_for.cache_clear()
        _registry_for.cache_clear()
        _workspace_for.cache_clear()
        _registry_path_for.cache_clear()


@dataclass(frozen=True)
class QuartierMatch:
    """The quartier that holds a point: its id, registry entry and state (for holidays)."""

    id: str
    spec: Any
    state: str


def quartier_at(
    lon: float, lat: float, margin_m: float = QUARTIER_MARGIN_M
) -> QuartierMatch | None:
    """The quartier whose boundary (plus ``margin_m`` metres) holds the point, or ``None``.

    Takes WGS84 longitude/latitude in degrees. Boundaries come from the workspace's
    ``quartiers`` layer; the quartier must also be in the registry. When several match,
    the one whose boundary actually contains the point (then the smallest) wins.
    """
    from shapely.geometry import Point

    from geoquartier.errors import DataMissingError

    try:
        quartiers = layer_frame("quartiers")
    except DataMissingError:  # no workspace or no quartiers layer
        return None
    registry = get_registry()
    x, y = _to_metric().transform(lon, lat)
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    pt = Point(x, y)
    metric = _metric_quartiers(quartiers)
    best: tuple[float, float, str] | None = None
    for qid, geom in metric.items():
        if qid not in registry:
            continue
        distance = geom.distance(pt)
        if distance <= margin_m:
            rank = (distance, geom.area, qid)
            if best is None or rank < best:
                best = rank
    if best is None:
        return None
    spec = registry[best[2]]
    return QuartierMatch(id=best[2], spec=spec, state=spec.state)


@lru_cache(maxsize=1)
def _to_metric():
    from pyproj import Transformer

    return Transformer.from_crs(config.STORAGE_CRS, config.ANALYSIS_CRS, always_xy=True)


def _metric_quartiers(quartiers: gpd.GeoDataFrame) -> dict[str, Any]:
    key = ("__metric__", str(id(quartiers)))
    cached = _frames.get(key)
    if cached is not None and cached[1][0] is quartiers:
        return cached[1][1]
    metric = quartiers.to_crs(config.ANALYSIS_CRS)
    mapping = {str(q): g for q, g in zip(metric["id"], metric.geometry, strict=True)}
    with _lock:
        _frames[key] = ((), (quartiers, mapping))
    return mapping


def get_network(quartier_id: str) -> Any:
    """The walk network of a quartier, built once per process (``mobility.network_for``).

    Returns whatever :func:`geoquartier.mobility.network_for` returns for the registry
    entry (a network, or an estimate-mode stand-in for quartiers without one).
    """
    key = (str(registry_path()), quartier_id, "")
    cached = _networks.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _networks.get(key)
        if cached is not None:
            return cached
        from geoquartier.mobility import network_for

        spec = get_registry()[quartier_id]
        network = network_for(spec)
        _networks[key] = network
        return network
