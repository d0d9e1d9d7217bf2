"""FastAPI dependencies of the HTTP API: settings, stores, registry, walk networks.

Routes take what they need as annotated parameters (FastAPI's full-stack template):

* :data:`SettingsDep` — :class:`geoquartier.settings.Settings` (``get_settings``, through
  :func:`request_settings`).
* :data:`WorkspaceDep` — the :class:`Workspace`: the layer store of the configured
  GeoPackage with its cached layer frames (re-read when the file changes on disk).
* :data:`RegistryDep` — the quartier registry ``{id: QuartierSpec}``.
* :data:`ParticipationStoreDep` — the participation database.
* :data:`NetworksDep` — walk networks, built once per quartier and process.
* :data:`QuartierId`, :data:`AnnotationId` — ids in a route's path (one definition);
  :data:`PageLang` — the ``lang`` query of a page.

Tests replace the settings with ``app.dependency_overrides[get_settings]``; routes
(:func:`request_settings`) and ASGI middleware (:func:`settings_for_scope`) both honour
it. Code outside a request (map batch jobs, the CLI) uses the same providers through
:func:`current_workspace` and friends, which resolve them from the current settings.

The providers are ``async def``: FastAPI runs a plain ``def`` dependency in the
threadpool, and each such trip hands the request from the event loop to a worker thread
and back (two GIL hand-overs, context switches), while other requests compute in their
threads; five of them per request made the map and ``/services/nearest`` slow under
concurrent clients (README, "HTTP API"). They only look things up in memory; what they
build once per process (a database connection, the registry file) is built in the
threadpool (:func:`_provided`).

Locks are held per key and never across slow I/O of another key: reading one layer does
not wait for another layer, and building one quartier's walk network (possibly an
Overpass download) blocks only requests for that network.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from api.participation.store import ParticipationStore, store_for
from geoquartier.errors import DataMissingError
from geoquartier.layers.store import file_version
from geoquartier.settings import Settings, get_settings
from geoquartier.vocabulary import ANALYSIS_CRS, STORAGE_CRS

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from geoquartier.layers.backend import LayerStore

QUARTIER_MARGIN_M = 250.0
"""Points this close (metres) outside a quartier boundary still count as in the quartier."""


class KeyedLocks:
    """One lock per key, so that slow work for one key never blocks another key."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Any, threading.Lock] = {}

    def __call__(self, key: Any) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock


class Workspace:
    """The layer store of one GeoPackage with its layers cached in memory (EPSG:4326).

    A cached frame is re-read when the file changes on disk; frames are shared, callers
    must not modify them in place. Thread-safe.
    """

    def __init__(self, path: Path, store: LayerStore | None = None) -> None:
        self.path = path
        self._frames: dict[str, tuple[tuple[int, ...], Any]] = {}
        self._layer_list: tuple[tuple[int, ...], list[str]] | None = None
        self._locks = KeyedLocks()
        self._metric: tuple[Any, dict[str, Any]] | None = None
        self._store = store

    @property
    def store(self) -> LayerStore:
        """The layer store: the GeoPackage at ``path``, or the PostGIS store given."""
        if self._store is None:
            from geoquartier.layers.store import GeoPackageStore

            self._store = GeoPackageStore(self.path)
        return self._store

    def version(self) -> tuple[int, ...]:
        """The store's current identity: changes on every write (see :func:`file_version`)."""
        if self._store is None:
            return file_version(self.path)
        return self._store.version()

    def layers(self) -> list[str]:
        """Names of the layers the workspace holds (empty when there is no file yet)."""
        version = self.version()
        cached = self._layer_list
        if cached is not None and cached[0] == version:
            return cached[1]
        names = list(self.store.layers()) if self.store.exists() else []
        self._layer_list = (version, names)
        return names

    def frame(self, layer: str) -> gpd.GeoDataFrame:
        """The whole ``layer`` (EPSG:4326), with its spatial index built.

        Raises :class:`geoquartier.errors.DataMissingError` when the workspace lacks it.
        """
        version = self.version()
        cached = self._frames.get(layer)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._locks(layer):
            cached = self._frames.get(layer)
            if cached is not None and cached[0] == version:
                return cached[1]
            if layer not in self.layers():
                raise DataMissingError(
                    f"the workspace {self.path} has no layer {layer!r}; import a quartier "
                    "first ('geoquartier import <quartier>')"
                )
            gdf = self.store.read(layer).reset_index(drop=True)
            _ = gdf.sindex  # build the spatial index once, outside the request path
            self._frames[layer] = (version, gdf)
            return gdf

    def metric_quartiers(self) -> dict[str, Any]:
        """``{quartier id: boundary in EPSG:25832}`` of the ``quartiers`` layer."""
        quartiers = self.frame("quartiers")
        cached = self._metric
        if cached is not None and cached[0] is quartiers:
            return cached[1]
        metric = quartiers.to_crs(ANALYSIS_CRS)
        mapping = {str(q): g for q, g in zip(metric["id"], metric.geometry, strict=True)}
        self._metric = (quartiers, mapping)
        return mapping


@lru_cache(maxsize=8)
def _workspace_for(
    path: Path, database_url: str | None = None, database_schema: str = "public"
) -> Workspace:
    if database_url is None:
        return Workspace(path)
    from geoquartier.layers.backend import get_layer_store

    settings = Settings(workspace=path, database_url=database_url, database_schema=database_schema)
    return Workspace(path, get_layer_store(settings))


def _workspace_key(settings: Settings) -> tuple[Path, str | None, str]:
    return settings.workspace_path, settings.database_url, settings.database_schema


@lru_cache(maxsize=8)
def _registry_for(path: Path) -> dict[str, Any]:
    from geoquartier.registry import load_registry

    return load_registry(path)


class Networks:
    """Walk networks of the quartiers of one registry, built once per quartier.

    A failed build is remembered with its reason (:meth:`failure`) and retried on the next
    call; it never turns silently into an estimate.
    """

    def __init__(self, registry: dict[str, Any], build: Callable[[Any], Any]) -> None:
        self._registry = registry
        self._build = build
        self._built: dict[str, Any] = {}
        self._failures: dict[str, str] = {}
        self._locks = KeyedLocks()

    def get(self, quartier_id: str) -> Any:
        """The network of ``quartier_id`` (see :func:`geoquartier.mobility.network_for`)."""
        network = self._built.get(quartier_id)
        if network is not None:
            return network
        with self._locks(quartier_id):
            network = self._built.get(quartier_id)
            if network is None:
                try:
                    network = self._build(self._registry[quartier_id])
                except Exception as exc:
                    self._failures[quartier_id] = f"{type(exc).__name__}: {exc}"
                    raise
                self._failures.pop(quartier_id, None)
                self._built[quartier_id] = network
            return network

    def failure(self, quartier_id: str) -> str | None:
        """Why the last build of ``quartier_id`` failed, or ``None``."""
        return self._failures.get(quartier_id)


@lru_cache(maxsize=8)
def _networks_for(registry_path: Path) -> Networks:
    from geoquartier.mobility import network_for

    return Networks(_registry_for(registry_path), network_for)


# ---- FastAPI dependencies (on the event loop) -----------------------------------------
async def request_settings(request: Request) -> Settings:
    """The settings of the request: :func:`get_settings`, or its override in
    ``app.dependency_overrides`` (see :func:`settings_for_scope`)."""
    return settings_for_scope(request.scope)


SettingsDep = Annotated[Settings, Depends(request_settings)]

_PROVIDED: dict[tuple[Callable[..., Any], tuple[Any, ...]], Any] = {}
_PROVIDED_MAX = 32
"""How many providers :func:`_provided` remembers (tests use many settings)."""


async def _provided(build: Callable[..., Any], *key: Any) -> Any:
    """``build(*key)`` (a function cached per process) for a request: answered from memory
    on the event loop once built; the first build, which may read a file or open a
    database, runs in the threadpool."""
    value = _PROVIDED.get((build, key))
    if value is None:
        value = await run_in_threadpool(build, *key)
        if len(_PROVIDED) >= _PROVIDED_MAX:
            _PROVIDED.clear()
        _PROVIDED[(build, key)] = value
    return value


async def get_workspace(settings: SettingsDep) -> Workspace:
    """The :class:`Workspace` of the configured layer store (one per store and process)."""
    return await _provided(_workspace_for, *_workspace_key(settings))


async def get_registry(settings: SettingsDep) -> dict[str, Any]:
    """The quartier registry ``{id: QuartierSpec}`` of the configured file."""
    return await _provided(_registry_for, settings.registry_path)


async def get_participation_store(settings: SettingsDep) -> ParticipationStore:
    """The participation database of the settings: PostgreSQL when a database URL is set,
    else the SQLite file (one store per database and process)."""
    # no thread hop: this looks up the process's store (connections open on first use)
    return store_for(settings)


async def get_networks(settings: SettingsDep) -> Networks:
    """The :class:`Networks` of the configured registry."""
    return await _provided(_networks_for, settings.registry_path)


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
RegistryDep = Annotated[dict[str, Any], Depends(get_registry)]
ParticipationStoreDep = Annotated[ParticipationStore, Depends(get_participation_store)]
NetworksDep = Annotated[Networks, Depends(get_networks)]
QuartierId = Annotated[str, PathParam(max_length=100, description="quartier id")]
"""A quartier id in a route's path."""
AnnotationId = Annotated[str, PathParam(max_length=64, description="annotation id")]
"""An annotation (contribution) id in a route's path."""
PageLang = Annotated[str, Query(max_length=5, description="de, en, tr, ro or bg")]
"""The ``lang`` query of a page: its language (unknown ones fall back to German)."""


@dataclass(frozen=True)
class QuartierContext:
    """What a walking or planning request reads: the registry, the workspace and the
    walk networks."""

    registry: dict[str, Any]
    workspace: Workspace
    networks: Networks


async def get_quartier_context(
    registry: RegistryDep, workspace: WorkspaceDep, networks: NetworksDep
) -> QuartierContext:
    """The request's :class:`QuartierContext` (a FastAPI dependency)."""
    return QuartierContext(registry, workspace, networks)


QuartierContextDep = Annotated[QuartierContext, Depends(get_quartier_context)]


def settings_for_scope(scope: dict[str, Any]) -> Settings:
    """The settings of the application serving ``scope`` (for ASGI middleware).

    Honours ``app.dependency_overrides[get_settings]`` like the routes do.
    """
    app = scope.get("app")
    overrides = getattr(app, "dependency_overrides", None) or {}
    return overrides.get(get_settings, get_settings)()


# ---- the same providers outside a request --------------------------------------------
def current_workspace() -> Workspace:
    """:func:`get_workspace` for the current settings."""
    return _workspace_for(*_workspace_key(get_settings()))


def current_registry() -> dict[str, Any]:
    """:func:`get_registry` for the current settings."""
    return _registry_for(get_settings().registry_path)


def current_networks() -> Networks:
    """:func:`get_networks` for the current settings."""
    return _networks_for(get_settings().registry_path)


def layer_frame(layer: str) -> gpd.GeoDataFrame:
    """``current_workspace().frame(layer)``."""
    return current_workspace().frame(layer)


def store_layers() -> list[str]:
    """``current_workspace().layers()``."""
    return current_workspace().layers()


def get_network(quartier_id: str) -> Any:
    """``current_networks().get(quartier_id)``."""
    return current_networks().get(quartier_id)


def clear_caches() -> None:
    """Read the settings again and forget every cached workspace, registry and network."""
    from geoquartier.settings import reload_settings

    reload_settings()
    _PROVIDED.clear()
    _workspace_for.cache_clear()
    _registry_for.cache_clear()
    _networks_for.cache_clear()


@dataclass(frozen=True)
class QuartierMatch:
    """The quartier that holds a point: its id, registry entry and state (for holidays)."""

    id: str
    spec: Any
    state: str


def quartier_at(
    lon: float,
    lat: float,
    margin_m: float = QUARTIER_MARGIN_M,
    *,
    workspace: Workspace | None = None,
    registry: dict[str, Any] | None = None,
) -> QuartierMatch | None:
    """The quartier whose boundary (plus ``margin_m`` metres) holds the point, or ``None``.

    Takes WGS84 (EPSG:4326) longitude/latitude in degrees. Boundaries come from the
    workspace's ``quartiers`` layer; the quartier must also be in the registry. When
    several match, the one whose boundary actually contains the point (then the smallest)
    wins.
    """
    from shapely.geometry import Point

    workspace = workspace or current_workspace()
    registry = registry if registry is not None else current_registry()
    try:
        metric = workspace.metric_quartiers()
    except DataMissingError:  # no workspace or no quartiers layer
        return None
    x, y = _to_metric().transform(lon, lat)
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    pt = Point(x, y)
    ranked = [
        (geom.distance(pt), geom.area, qid) for qid, geom in metric.items() if qid in registry
    ]
    inside = [rank for rank in ranked if rank[0] <= margin_m]
    if not inside:
        return None
    best = min(inside)
    spec = registry[best[2]]
    return QuartierMatch(id=best[2], spec=spec, state=spec.state)


@lru_cache(maxsize=1)
def _to_metric():
    from pyproj import Transformer

    return Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)
