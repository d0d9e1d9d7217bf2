"""The array files of walk networks: a plain reader/writer of numpy arrays plus JSON
metadata, atomic, without pickles, and without knowing the WalkNetwork class. Dreieich's
real walk extract."""

from __future__ import annotations

import ast
import inspect
from functools import cache

import numpy as np
import pytest

from geoquartier.config import data_dir
from geoquartier.mobility import WalkNetwork, storage
from geoquartier.settings import reload_settings


@cache
def _dreieich() -> WalkNetwork:
    # built without the cache so that this test does not depend on it
    path = data_dir() / "dreieich" / "dreieich_walk_osm.osm.bz2"
    return WalkNetwork.from_osm_file(path, use_cache=False)


def test_network_round_trip_through_plain_arrays(tmp_path):
    net = _dreieich()
    path = storage.save(net, tmp_path / "dreieich.npz")
    arrays, meta = storage.load_arrays(path)
    assert meta == {"tags": list(net.tags), "source": net.source}
    assert all(values.dtype != object for values in arrays.values())
    loaded = WalkNetwork(**storage.load_fields(path))
    assert (loaded.n_nodes, loaded.n_edges) == (net.n_nodes, net.n_edges) == (604, 795)
    for name in ("node_x", "node_y", "node_osmid", "edge_u", "edge_v", "edge_length_m"):
        assert np.array_equal(getattr(loaded, name), getattr(net, name)), name
    assert all(
        a.equals_exact(b, 0) for a, b in zip(loaded.edge_geometry, net.edge_geometry, strict=True)
    )
    for name, values in net.tags.items():
        assert list(loaded.tags[name]) == list(values), name
    assert sum(v is not None for v in loaded.tags["highway"]) == net.n_edges


def test_plain_arrays_and_metadata(tmp_path):
    arrays = {"minutes": np.array([5.0, 10.0, 15.0]), "codes": np.array([-1, 0, 2], np.int32)}
    path = storage.save_arrays(tmp_path / "sub" / "x.npz", arrays, {"unit": "min", "n": 3})
    loaded, meta = storage.load_arrays(path)
    assert meta == {"unit": "min", "n": 3}
    assert sorted(loaded) == ["codes", "minutes"]
    assert np.array_equal(loaded["codes"], arrays["codes"]) and loaded["codes"].dtype == np.int32


def test_objects_and_the_reserved_name_are_refused(tmp_path):
    with pytest.raises(ValueError, match="'names' holds Python objects"):
        storage.save_arrays(tmp_path / "x.npz", {"names": np.array(["a", None])}, {})
    with pytest.raises(ValueError, match="'meta' is reserved"):
        storage.save_arrays(tmp_path / "x.npz", {"meta": np.arange(2)}, {})
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "x.npz"
    storage.save_arrays(target, {"a": np.arange(3)}, {"version": 1})
    with pytest.raises(TypeError):  # metadata that is not JSON
        storage.save_arrays(target, {"a": np.arange(5)}, {"when": object()})
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]  # no temporary file
    assert storage.load_arrays(target)[1] == {"version": 1}  # the old file is intact


def test_damaged_cache_files_read_as_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    net = _dreieich()
    assert storage.load_cached_fields("dreieich", "k1") is None  # never written
    path = storage.save_cached(net, "dreieich", "k1")
    assert path.parent == tmp_path / "cache" / storage.SUBDIR
    assert WalkNetwork(**storage.load_cached_fields("dreieich", "k1")).n_edges == net.n_edges
    path.write_bytes(path.read_bytes()[:1000])  # cut off
    assert storage.load_cached_fields("dreieich", "k1") is None
    arrays, meta = storage.network_arrays(net)
    arrays["edge_u"] = arrays["edge_u"][:-1]  # edge arrays differ in length
    storage.save_arrays(storage.cache_path("dreieich", "k2"), arrays, meta)
    assert storage.load_cached_fields("dreieich", "k2") is None


def test_storage_does_not_import_the_network_module():
    tree = ast.parse(inspect.getsource(storage))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not any("network" in (name or "") for name in imported), imported
    assert not hasattr(storage, "load") and not hasattr(storage, "load_cached")
