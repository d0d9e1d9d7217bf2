"""The walk network of a registered quartier, memoised in the process.

:func:`network_for` is what the CLI and the HTTP API call: it picks the quartier's local
walk network file, else estimate mode, else its local OSM extract clipped to the boundary,
else Overpass for its boundary, and keeps the result in memory (the arrays are also cached
on disk, see :mod:`geoquartier.mobility.storage`).
"""

from __future__ import annotations

import threading
from typing import Any

from geoquartier.errors import DataMissingError
from geoquartier.mobility.estimate import DEFAULT_DETOUR_FACTOR, EstimateNetwork
from geoquartier.mobility.network import WalkNetwork

_MEMO: dict[Any, Any] = {}
_GUARD = threading.Lock()
_KEY_LOCKS: dict[Any, threading.Lock] = {}


def _lock_for(key: Any) -> threading.Lock:
    """One lock per network source: building one quartier never waits for another."""
    with _GUARD:
        return _KEY_LOCKS.setdefault(key, threading.Lock())


def network_for(spec, *, buffer_m: float = 500.0, detour_factor: float = DEFAULT_DETOUR_FACTOR):
    """The network of a quartier spec (``geoquartier.registry.QuartierSpec``).

    * a local ``walk_network`` file (``spec.walk_network_path``; walk-only or full OSM
      extract) → :meth:`WalkNetwork.from_osm_file`, the whole file;
    * else ``spec.mode == "estimate"`` → :class:`EstimateNetwork` (straight line ×
      ``detour_factor``);
    * else a local ``osm_extract`` (any OSM file, e.g. a Geofabrik ``.osm.pbf``) →
      :meth:`WalkNetwork.from_osm_file` clipped to the boundary (EPSG:4326) widened by
      ``buffer_m`` metres (the whole file when the quartier has no boundary);
    * else the boundary widened by ``buffer_m`` metres → Overpass via
      :meth:`WalkNetwork.from_polygon` (quartiers with ``overpass = true`` and no local
      file; OSMnx's HTTP cache and the array cache keep the answer on disk).

    Networks are memoised in the process by their source: the file's path (with the
    boundary and ``buffer_m`` for an extract), the detour factor, or the boundary and
    ``buffer_m``.

    Raises :class:`geoquartier.errors.DataMissingError` for a network quartier with
    neither a local file nor a boundary.
    """
    key, build = _source(spec, float(buffer_m), float(detour_factor))
    network = _MEMO.get(key)
    if network is not None:
        return network
    with _lock_for(key):
        network = _MEMO.get(key)
        if network is None:
            network = _MEMO[key] = build()
        return network


def _source(spec, buffer_m: float, detour_factor: float):
    """The memo key of a quartier's network and the function that builds it."""
    walk = getattr(spec, "walk_network_path", None)
    if walk is not None:
        return ("file", str(walk)), lambda: WalkNetwork.from_osm_file(walk)
    if getattr(spec, "mode", "network") == "estimate":
        return ("estimate", detour_factor), lambda: EstimateNetwork(detour_factor=detour_factor)
    extract = spec.source_path("osm_extract") if hasattr(spec, "source_path") else None
    boundary = getattr(spec, "boundary", None)
    if extract is not None:
        area_key = None if boundary is None else boundary.wkb_hex
        return ("extract", str(extract), area_key, buffer_m), lambda: WalkNetwork.from_osm_file(
            extract, boundary=boundary, buffer_m=buffer_m
        )
    if boundary is None:
        raise DataMissingError(
            f"quartier {getattr(spec, 'id', None)!r} has neither a walk network file nor a "
            "boundary to fetch one for from Overpass; name a 'walk_network', an "
            "'osm_extract' or a 'boundary' in its registry sources"
        )
    # keyed by the area itself: an edited boundary is another network
    return ("overpass", boundary.wkb_hex, buffer_m), lambda: WalkNetwork.from_polygon(
        boundary, buffer_m=buffer_m
    )


def clear_memo() -> None:
    """Forget the networks kept in memory (the disk cache stays)."""
    with _GUARD:
        _MEMO.clear()
