"""The walk network of a registered quartier, memoised in the process.

:func:`network_for` is what the CLI and the HTTP API call: it picks the quartier's local
walk extract, else Overpass for its boundary, else estimate mode, and keeps the result in
memory (the arrays are also cached on disk, see :mod:`geoquartier.mobility.storage`).
"""

from __future__ import annotations

import threading
from typing import Any

from geoquartier.errors import DataMissingError
from geoquartier.mobility.estimate import DEFAULT_DETOUR_FACTOR, EstimateNetwork
from geoquartier.mobility.network import WalkNetwork

_MEMO: dict[Any, Any] = {}
_LOCK = threading.Lock()


def network_for(spec, *, buffer_m: float = 500.0, detour_factor: float = DEFAULT_DETOUR_FACTOR):
    """The network of a quartier spec (``geoquartier.registry.QuartierSpec``).

    * a local walk extract (``spec.walk_network_path``) → :meth:`WalkNetwork.from_osm_file`;
    * else ``spec.mode == "estimate"`` → :class:`EstimateNetwork` (straight line ×
      ``detour_factor``);
    * else the boundary (EPSG:4326) widened by ``buffer_m`` metres → Overpass via
      :meth:`WalkNetwork.from_polygon` (quartiers with ``overpass = true`` and no walk
      extract; OSMnx's HTTP cache and the array cache keep the answer on disk).

    Networks are memoised in the process by their source: the extract's path, the detour
    factor, or the boundary and ``buffer_m``.

    Raises :class:`geoquartier.errors.DataMissingError` for a network quartier with
    neither a walk extract nor a boundary.
    """
    path = getattr(spec, "walk_network_path", None)
    mode = getattr(spec, "mode", "network")
    qid = getattr(spec, "id", None)
    boundary = None
    if path is not None:
        key = ("file", str(path))
    elif mode == "estimate":
        key = ("estimate", float(detour_factor))
    else:
        boundary = getattr(spec, "boundary", None)
        if boundary is None:
            raise DataMissingError(
                f"quartier {qid!r} has neither a walk network file nor a boundary to fetch one "
                "for from Overpass; name a 'walk_network' or a 'boundary' in its registry sources"
            )
        # keyed by the area itself: an edited boundary is another network
        key = ("overpass", boundary.wkb_hex, float(buffer_m))
    with _LOCK:
        if key in _MEMO:
            return _MEMO[key]
        if path is not None:
            network = WalkNetwork.from_osm_file(path)
        elif mode == "estimate":
            network = EstimateNetwork(detour_factor=detour_factor)
        else:
            network = WalkNetwork.from_polygon(boundary, buffer_m=buffer_m)
        _MEMO[key] = network
        return network


def clear_memo() -> None:
    """Forget the networks kept in memory (the disk cache stays)."""
    with _LOCK:
        _MEMO.clear()
