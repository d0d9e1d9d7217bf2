"""On-disk cache of walk networks as numpy arrays.

One uncompressed ``.npz`` file per network under ``<cache_dir>/walk_networks/``, named
``<source name>-<key>.npz`` where the key hashes the source (file path, size, mtime or the
Overpass polygon) and the build settings. Geometries are stored as ragged coordinate
arrays (EPSG:25832), tags as integer codes plus a vocabulary; no pickles. Writing is
atomic (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import shapely

from geoquartier.config import cache_dir

SUBDIR = "walk_networks"


def cache_path(name: str, key: str) -> Path:
    """Path of the cache file for a network source name and key."""
    folder = cache_dir() / SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{key}.npz"


def save(network, path: str | Path) -> Path:
    """Write a :class:`~geoquartier.mobility.network.WalkNetwork` to ``path`` (npz, atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _, coords, (offsets,) = shapely.to_ragged_array(network.edge_geometry)
    arrays = {
        "node_x": network.node_x,
        "node_y": network.node_y,
        "node_osmid": network.node_osmid,
        "edge_u": network.edge_u,
        "edge_v": network.edge_v,
        "edge_length_m": network.edge_length_m,
        "geom_coords": np.ascontiguousarray(coords[:, :2], dtype=np.float64),
        "geom_offsets": offsets.astype(np.int64),
    }
    tag_names = list(network.tags)
    for i, name in enumerate(tag_names):
        values = network.tags[name]
        present = np.array([v is not None for v in values], dtype=bool)
        vocab, codes = (
            np.unique(values[present].astype(str), return_inverse=True)
            if present.any()
            else (np.array([], dtype=str), np.array([], dtype=np.int64))
        )
        full = np.full(len(values), -1, dtype=np.int32)
        full[present] = codes
        arrays[f"tag{i}_codes"] = full
        arrays[f"tag{i}_vocab"] = vocab.astype(str)
    arrays["meta"] = np.array(json.dumps({"tags": tag_names, "source": network.source}))
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load(path: str | Path):
    """Read a network written by :func:`save`; returns a ``WalkNetwork``."""
    from geoquartier.mobility.network import WalkNetwork

    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        geometry = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, data["geom_coords"], (data["geom_offsets"],)
        )
        tags = {}
        for i, name in enumerate(meta["tags"]):
            codes = data[f"tag{i}_codes"]
            vocab = np.concatenate([data[f"tag{i}_vocab"].astype(object), [None]])
            tags[name] = vocab[codes]  # code -1 picks the trailing None
        return WalkNetwork(
            data["node_x"],
            data["node_y"],
            data["node_osmid"],
            data["edge_u"],
            data["edge_v"],
            data["edge_length_m"],
            geometry,
            tags,
            source=meta["source"],
        )


def load_cached(name: str, key: str):
    """The cached network for ``name``/``key``, or ``None`` if absent or unreadable."""
    path = cache_path(name, key)
    if not path.is_file():
        return None
    try:
        return load(path)
    except (OSError, ValueError, KeyError):
        return None


def save_cached(network, name: str, key: str) -> Path:
    """Store ``network`` in the cache under ``name``/``key``."""
    return save(network, cache_path(name, key))
