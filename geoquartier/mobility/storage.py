"""On-disk arrays of walk networks: a plain reader and writer of numpy arrays.

One uncompressed ``.npz`` file per network under ``<cache_dir>/walk_networks/``, named
``<source name>-<key>.npz`` where the key hashes the source (file path, size, mtime or the
Overpass polygon) and the build settings. A file holds named numpy arrays plus one JSON
object of metadata; no pickles. Writing is atomic (temporary file, then rename).

This module knows the array layout of a walk network but not the class:
:func:`network_arrays` turns anything with a :class:`~geoquartier.mobility.network.WalkNetwork`'s
attributes into arrays (geometries as ragged coordinate arrays in EPSG:25832, tags as
integer codes plus a vocabulary), :func:`network_fields` turns them back into the keyword
arguments of ``WalkNetwork(...)``. :mod:`geoquartier.mobility.network` builds the object;
nothing here imports it.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geoquartier.config import cache_dir

SUBDIR = "walk_networks"
META_KEY = "meta"
"""Name of the array that holds the metadata (a JSON text) in every file."""

_EDGE_ARRAYS = ("node_x", "node_y", "node_osmid", "edge_u", "edge_v", "edge_length_m")


# ---- plain arrays ------------------------------------------------------------------------
def save_arrays(path: str | Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    """Write ``arrays`` and ``meta`` (JSON-serialisable) to ``path`` (``.npz``, atomic).

    Object arrays are refused (they would need pickles); ``meta`` is stored as the array
    :data:`META_KEY`, which ``arrays`` must not use.
    """
    if META_KEY in arrays:
        raise ValueError(f"{META_KEY!r} is reserved for the metadata")
    for name, values in arrays.items():
        if np.asarray(values).dtype == object:
            raise ValueError(f"array {name!r} holds Python objects; store codes instead")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays, **{META_KEY: np.array(json.dumps(meta))})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_arrays(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and the metadata written by :func:`save_arrays`."""
    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(str(data[META_KEY]))
        arrays = {name: data[name] for name in data.files if name != META_KEY}
    return arrays, meta


# ---- the array layout of a walk network --------------------------------------------------
def _encode_tag(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 = no value) and the sorted vocabulary of one tag column."""
    present = np.array([v is not None for v in values], dtype=bool)
    if present.any():
        vocab, codes = np.unique(values[present].astype(str), return_inverse=True)
    else:
        vocab, codes = np.array([], dtype=str), np.array([], dtype=np.int64)
    full = np.full(len(values), -1, dtype=np.int32)
    full[present] = codes
    return full, vocab.astype(str)


def network_arrays(network: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and metadata of a walk network (anything with ``node_x``, ``node_y``,
    ``node_osmid``, ``edge_u``, ``edge_v``, ``edge_length_m``, ``edge_geometry`` in
    EPSG:25832, ``tags`` and ``source``), for :func:`save_arrays`."""
    _, coords, (offsets,) = shapely.to_ragged_array(network.edge_geometry)
    arrays = {name: getattr(network, name) for name in _EDGE_ARRAYS}
    arrays["geom_coords"] = np.ascontiguousarray(coords[:, :2], dtype=np.float64)
    arrays["geom_offsets"] = offsets.astype(np.int64)
    tag_names = list(network.tags)
    for i, name in enumerate(tag_names):
        arrays[f"tag{i}_codes"], arrays[f"tag{i}_vocab"] = _encode_tag(network.tags[name])
    return arrays, {"tags": tag_names, "source": network.source}


def network_fields(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``WalkNetwork(...)`` from :func:`network_arrays`' output
    (edge geometries as LineStrings in EPSG:25832, tags as object arrays with None)."""
    geometry = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING, arrays["geom_coords"], (arrays["geom_offsets"],)
    )
    tags = {}
    for i, name in enumerate(meta["tags"]):
        vocab = np.concatenate([arrays[f"tag{i}_vocab"].astype(object), [None]])
        tags[name] = vocab[arrays[f"tag{i}_codes"]]  # code -1 picks the trailing None
    fields = {name: arrays[name] for name in _EDGE_ARRAYS}
    _check_lengths(fields, geometry, tags)
    return {**fields, "edge_geometry": geometry, "tags": tags, "source": meta["source"]}


def _check_lengths(fields: dict[str, np.ndarray], geometry: np.ndarray, tags: dict) -> None:
    """A ValueError when the stored node or edge arrays differ in length (a damaged file)."""
    nodes = {len(fields[n]) for n in ("node_x", "node_y", "node_osmid")}
    edges = {len(fields[n]) for n in ("edge_u", "edge_v", "edge_length_m")}
    edges |= {len(geometry)} | {len(values) for values in tags.values()}
    if len(nodes) > 1 or len(edges) > 1:
        raise ValueError("stored walk network arrays differ in length")


def save(network: Any, path: str | Path) -> Path:
    """Write a walk network to ``path`` (npz, atomic); see :func:`network_arrays`."""
    return save_arrays(path, *network_arrays(network))


def load_fields(path: str | Path) -> dict[str, Any]:
    """The ``WalkNetwork(...)`` keyword arguments stored at ``path`` by :func:`save`."""
    return network_fields(*load_arrays(path))


# ---- the cache ---------------------------------------------------------------------------
def cache_path(name: str, key: str) -> Path:
    """Path of the cache file for a network source name and key."""
    folder = cache_dir() / SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{key}.npz"


def load_cached_fields(name: str, key: str) -> dict[str, Any] | None:
    """The cached ``WalkNetwork(...)`` keyword arguments for ``name``/``key``, or ``None``
    if the file is absent or unreadable."""
    path = cache_path(name, key)
    if not path.is_file():
        return None
    try:
        return load_fields(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def save_cached(network: Any, name: str, key: str) -> Path:
    """Store ``network`` in the cache under ``name``/``key``."""
    return save(network, cache_path(name, key))
