"""The walk network as compact arrays in EPSG:25832.

A :class:`WalkNetwork` holds the physical ways of an OSMnx walk graph (one row per way
segment between two graph nodes, walkable in both directions):

* nodes: ``node_x``/``node_y`` (EPSG:25832, metres) and ``node_osmid``;
* edges: ``edge_u``/``edge_v`` (node positions), ``edge_length_m`` (OSMnx ``length``,
  metres), ``edge_geometry`` (LineStrings in EPSG:25832 drawn from ``u`` to ``v``) and the
  OSM tags the profiles need (``highway``, ``name``, ``wheelchair``, ``kerb``,
  ``kerb:height``, ``incline``, ``surface``, ``footway``, ``crossing``). Where OSMnx merged
  several ways into one edge their differing values are joined with ``;``.

Networks come from a local OSM file, streamed without OSMnx
(:meth:`WalkNetwork.from_osm_file`, see :mod:`geoquartier.mobility.osmfile`), or from
Overpass for a polygon through OSMnx (:meth:`WalkNetwork.from_polygon`). Both are cached on disk as
arrays (see :mod:`geoquartier.mobility.storage`), so a second run loads in a fraction of
a second. Positions along an edge are fractions of its geometry; distances along it are
those fractions times ``edge_length_m``, so network distances equal the OSMnx graph's.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.mobility.walk_area import (  # noqa: F401  (re-exported)
    EDGE_TAGS,
    NODE_KERB_TAGS,
    as_polygon,
    buffered_area,
)

FORMAT_VERSION = 1
"""Version of the cached array layout; part of every cache key."""


class WalkNetwork:
    """A walk network as arrays in EPSG:25832 (metres); see the module docstring.

    Build one with :meth:`from_osm_file`, :meth:`from_polygon` or :meth:`from_graph`;
    every analysis function of :mod:`geoquartier.mobility` takes it as first argument.
    """

    method = "network"

    def __init__(
        self,
        node_x: np.ndarray,
        node_y: np.ndarray,
        node_osmid: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        edge_length_m: np.ndarray,
        edge_geometry: np.ndarray,
        tags: dict[str, np.ndarray],
        source: str = "",
    ):
        self.node_x = np.asarray(node_x, dtype=np.float64)
        self.node_y = np.asarray(node_y, dtype=np.float64)
        self.node_osmid = np.asarray(node_osmid, dtype=np.int64)
        self.edge_u = np.asarray(edge_u, dtype=np.int32)
        self.edge_v = np.asarray(edge_v, dtype=np.int32)
        self.edge_length_m = np.asarray(edge_length_m, dtype=np.float64)
        self.edge_geometry = np.asarray(edge_geometry, dtype=object)
        self.tags = {name: np.asarray(values, dtype=object) for name, values in tags.items()}
        for name in EDGE_TAGS:
            self.tags.setdefault(name, np.full(len(self.edge_u), None, dtype=object))
        self.source = source
        self._cache: dict[Any, Any] = {}
        n_edges = len(self.edge_u)
        if not (len(self.edge_v) == len(self.edge_length_m) == len(self.edge_geometry) == n_edges):
            raise ValueError("edge arrays differ in length")

    # ------------------------------------------------------------------ sizes
    @property
    def n_nodes(self) -> int:
        """Number of graph nodes."""
        return len(self.node_x)

    @property
    def n_edges(self) -> int:
        """Number of physical edges (each walkable both ways)."""
        return len(self.edge_u)

    def __repr__(self) -> str:
        return (
            f"WalkNetwork({self.n_nodes:,} nodes, {self.n_edges:,} edges, source={self.source!r})"
        )

    def node_index(self, osmids: Any) -> np.ndarray:
        """Positions of the given OSM node ids in the node arrays (raises KeyError if absent)."""
        order = self._cached("osmid_order", lambda: np.argsort(self.node_osmid))
        osmids = np.atleast_1d(np.asarray(osmids, dtype=np.int64))
        pos = np.searchsorted(self.node_osmid, osmids, sorter=order)
        pos = np.clip(pos, 0, len(order) - 1)
        idx = order[pos]
        missing = self.node_osmid[idx] != osmids
        if missing.any():
            raise KeyError(f"OSM node ids not in the network: {osmids[missing][:5].tolist()}")
        return idx

    def _cached(self, key: Any, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # ------------------------------------------------------------ geometry helpers
    def edge_vertex_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ragged vertex arrays of the edge geometries (EPSG:25832).

        Returns ``(coords, offsets, cumulative_fraction)``: ``coords[offsets[e]:offsets[e+1]]``
        are the vertices of edge ``e`` and ``cumulative_fraction`` the position of each vertex
        as a fraction (0..1) of its edge's geometry length.
        """

        def build():
            _, coords, (offsets,) = shapely.to_ragged_array(self.edge_geometry)
            seg = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
            seg = np.concatenate([[0.0], seg])
            seg[offsets[:-1]] = 0.0  # no segment across edges
            cum = np.cumsum(seg)
            start = np.repeat(cum[offsets[:-1]], np.diff(offsets))
            end = np.repeat(cum[offsets[1:] - 1], np.diff(offsets))
            total = end - start
            frac = np.where(total > 0, (cum - start) / np.where(total > 0, total, 1.0), 0.0)
            return coords, offsets, frac

        return self._cached("vertex_arrays", build)

    def nodes_gdf(self):
        """The nodes as a GeoDataFrame in EPSG:4326 (column ``id`` = OSM node id; cached)."""

        def build():
            import geopandas as gpd

            return gpd.GeoDataFrame(
                {"id": self.node_osmid},
                geometry=gpd.points_from_xy(self.node_x, self.node_y),
                crs=ANALYSIS_CRS,
            ).to_crs(STORAGE_CRS)

        return self._cached("nodes_gdf", build)

    def edges_gdf(self):
        """The edges as a GeoDataFrame in EPSG:4326 (u, v, length_m and the OSM tags)."""
        import geopandas as gpd

        data = {
            "u": self.node_osmid[self.edge_u],
            "v": self.node_osmid[self.edge_v],
            "length_m": self.edge_length_m,
        }
        data.update({name: self.tags[name] for name in EDGE_TAGS})
        gdf = gpd.GeoDataFrame(data, geometry=self.edge_geometry, crs=ANALYSIS_CRS)
        return gdf.to_crs(STORAGE_CRS)

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> Path:
        """Write the arrays to ``path`` (``.npz``; see :mod:`geoquartier.mobility.storage`)."""
        from geoquartier.mobility import storage

        return storage.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> WalkNetwork:
        """Read a network written by :meth:`save` (a fraction of a second even for a city)."""
        from geoquartier.mobility import storage

        path = Path(path)
        if not path.is_file():
            raise DataMissingError(f"walk network arrays not found: {path}")
        return cls(**storage.load_fields(path))

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_graph(cls, G, source: str = "") -> WalkNetwork:
        """Convert an OSMnx walk graph (MultiDiGraph, EPSG:4326, ``length`` in metres).

        Each way appears in a bidirectional OSMnx graph as two directed edges; they become
        one physical edge here. Edges without a reverse twin are kept as walkable both ways.
        """
        node_ids = np.fromiter(G.nodes, dtype=np.int64, count=len(G))
        order = np.argsort(node_ids)
        node_ids = node_ids[order]
        lon = np.array([G.nodes[n]["x"] for n in node_ids], dtype=np.float64)
        lat = np.array([G.nodes[n]["y"] for n in node_ids], dtype=np.float64)
        pos = {int(n): i for i, n in enumerate(node_ids)}

        rows = []  # (u, v, length, data)
        groups: dict[tuple, int] = {}
        for u, v, data in G.edges(data=True):
            length = float(data["length"])
            a, b = (u, v) if pos[u] <= pos[v] else (v, u)
            key = (a, b, round(length, 3))
            groups[key] = groups.get(key, 0) + 1
            rows.append((u, v, length, data, key))
        # keep ceil(count / 2) of each group of twins, preferring the u <= v orientation
        keep_count = {key: (count + 1) // 2 for key, count in groups.items()}
        rows.sort(key=lambda r: pos[r[0]] > pos[r[1]])
        kept = []
        for row in rows:
            key = row[4]
            if keep_count[key] > 0:
                keep_count[key] -= 1
                kept.append(row)

        n_edges = len(kept)
        edge_u = np.array([pos[r[0]] for r in kept], dtype=np.int32)
        edge_v = np.array([pos[r[1]] for r in kept], dtype=np.int32)
        length = np.array([r[2] for r in kept], dtype=np.float64)
        tags = {name: np.full(n_edges, None, dtype=object) for name in EDGE_TAGS}
        coord_parts = []
        counts = np.empty(n_edges, dtype=np.int64)
        for i, (u, v, _, data, _) in enumerate(kept):
            geom = data.get("geometry")
            if geom is None:
                xy = np.array([[lon[pos[u]], lat[pos[u]]], [lon[pos[v]], lat[pos[v]]]])
            else:
                xy = np.asarray(geom.coords)[:, :2]
            coord_parts.append(xy)
            counts[i] = len(xy)
            for name in EDGE_TAGS:
                value = data.get(name)
                if value is not None:
                    tags[name][i] = _tag_text(value)
        transformer = Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)
        coords = np.concatenate(coord_parts) if coord_parts else np.empty((0, 2))
        gx, gy = transformer.transform(coords[:, 0], coords[:, 1])
        offsets = np.concatenate([[0], np.cumsum(counts)])
        geometry = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, np.column_stack([gx, gy]), (offsets,)
        )
        nx_, ny_ = transformer.transform(lon, lat)
        return cls(nx_, ny_, node_ids, edge_u, edge_v, length, geometry, tags, source=source)

    @classmethod
    def from_osm_file(
        cls,
        path: str | Path,
        *,
        boundary=None,
        buffer_m: float = 500.0,
        use_cache: bool = True,
    ) -> WalkNetwork:
        """Build (or load from the cache) the walk network of a local OSM file.

        ``path`` is any OSM extract — ``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz`` —
        holding everything (as Geofabrik or BBBike ship it) or only walkable ways. It is
        streamed by :func:`geoquartier.mobility.osmfile.build_walk_network`, which keeps
        the ways of OSMnx's ``network_type="walk"`` and gives the network
        ``graph_from_xml(bidirectional=True, simplify=True, retain_all=False)`` would.
        With ``boundary`` (a (Multi)Polygon in EPSG:4326) the network is clipped to the
        boundary widened by ``buffer_m`` metres, as :meth:`from_polygon` clips the
        Overpass answer; without it the whole file is used.

        The arrays are cached under ``geoquartier.config.cache_dir()`` keyed by the file's
        path, size and mtime, the widened boundary and the builder version. Raises
        :class:`~geoquartier.mobility.osmfile.OsmFileError` for a file that is not
        readable OSM and :class:`DataMissingError` when it is missing or has no walkable
        way in the area.
        """
        from geoquartier.mobility import storage
        from geoquartier.mobility.osmfile import BUILDER_VERSION, build_walk_network

        path = Path(path).expanduser().resolve()
        if not path.is_file():
            raise DataMissingError(f"walk network file not found: {path}")
        area = None if boundary is None else buffered_area(boundary, buffer_m)
        stat = path.stat()
        key = _key(
            {
                "kind": "osm_file",
                "path": str(path),
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "area": None if area is None else shapely.to_wkb(area, hex=True),
                "buffer_m": None if area is None else float(buffer_m),
                "builder": BUILDER_VERSION,
                "settings": _settings(),
            }
        )
        name = path.name.split(".")[0]
        if use_cache:
            cached = storage.load_cached_fields(name, key)
            if cached is not None:
                return cls(**cached)
        network = cls(**build_walk_network(path, area, source=str(path)))
        if use_cache:
            storage.save_cached(network, name, key)
        return network

    @classmethod
    def from_polygon(
        cls, polygon_4326, *, buffer_m: float = 500.0, use_cache: bool = True
    ) -> WalkNetwork:
        """Fetch the walk network for a polygon (EPSG:4326) from Overpass through OSMnx.

        The polygon is widened by ``buffer_m`` metres (in EPSG:25832) so that paths
        leaving and re-entering the quartier count; the graph holds the ways inside the
        widened polygon. OSMnx's HTTP cache keeps the Overpass answers in
        ``<cache_dir>/osmnx`` (the folder the OSM import uses, so the same request is never
        sent twice, whatever the working directory); the arrays are cached keyed by the
        buffered polygon and the settings. ``use_cache=False`` rebuilds the arrays (the
        Overpass answer still comes from OSMnx's cache when it holds it).
        """
        from geoquartier.layers.sources.osm import configure_osmnx_cache
        from geoquartier.mobility import storage

        area = buffered_area(polygon_4326, buffer_m)
        key = _key(
            {"kind": "overpass", "polygon": shapely.to_wkb(area, hex=True), "settings": _settings()}
        )
        if use_cache:
            cached = storage.load_cached_fields("overpass", key)
            if cached is not None:
                return cls(**cached)
        configure_osmnx_cache()
        G = graph_from_polygon(area)
        network = cls.from_graph(G, source="overpass")
        if use_cache:
            storage.save_cached(network, "overpass", key)
        return network


# ---------------------------------------------------------------------- OSMnx side
@contextmanager
def _osmnx_tags() -> Iterator[None]:
    """Make OSMnx keep the tags the profiles need, for the duration of one OSMnx call.

    ``ox.settings`` is global to the process: the calls that change it are serialised by
    :data:`_OSMNX_LOCK` (only the OSMnx call, never the array building around it), so two
    quartiers built at the same time never see each other's settings.
    """
    import osmnx as ox

    with _OSMNX_LOCK:
        old_way = list(ox.settings.useful_tags_way)
        old_node = list(ox.settings.useful_tags_node)
        ox.settings.useful_tags_way = list(dict.fromkeys(old_way + list(EDGE_TAGS)))
        ox.settings.useful_tags_node = list(dict.fromkeys(old_node + list(NODE_KERB_TAGS)))
        try:
            yield
        finally:
            ox.settings.useful_tags_way, ox.settings.useful_tags_node = old_way, old_node


_OSMNX_LOCK = threading.RLock()
"""Serialises the OSMnx calls that change ``ox.settings`` (see :func:`_osmnx_tags`)."""


def graph_from_osm_file(path: str | Path):
    """OSMnx walk graph (EPSG:4326) of a walk-only extract, as ``graph_from_xml(
    bidirectional=True, simplify=True, retain_all=False)`` with the profile tags kept and
    node kerbs moved onto their edges before simplification.

    The OSMnx reference of :meth:`WalkNetwork.from_osm_file` (tests and benchmarks): it
    reads XML only and turns every way of the file into edges, so it needs a file that
    holds only walkable ways.
    """
    import osmnx as ox

    with _osmnx_tags():
        try:
            G = ox.graph_from_xml(Path(path), bidirectional=True, simplify=False, retain_all=False)
        except Exception as exc:  # malformed XML, wrong compression, ...
            raise GeoquartierError(f"cannot read walk network {path}: {exc}") from exc
        _node_kerbs_to_edges(G)
        return ox.simplify_graph(G)


def graph_from_polygon(polygon_4326):
    """OSMnx walk graph (EPSG:4326) from Overpass for a polygon, tags as in
    :func:`graph_from_osm_file`."""
    import osmnx as ox

    with _osmnx_tags():
        try:
            G = ox.graph_from_polygon(
                polygon_4326, network_type="walk", simplify=False, retain_all=False
            )
        except Exception as exc:
            raise DataMissingError(f"no walk network from Overpass for this area: {exc}") from exc
        _node_kerbs_to_edges(G)
        return ox.simplify_graph(G)


def _node_kerbs_to_edges(G) -> None:
    """Copy ``kerb``/``kerb:height`` of nodes onto the unsimplified edges touching them.

    A kerb node where a crossing way ends belongs to the crossing; elsewhere it lies
    inside a way and belongs to both of its segments.
    """
    for node, data in G.nodes(data=True):
        if "kerb" not in data and "kerb:height" not in data:
            continue
        incident = list(G.out_edges(node, keys=True, data=True)) + list(
            G.in_edges(node, keys=True, data=True)
        )
        crossings = [
            e
            for e in incident
            if e[3].get("footway") == "crossing"
            or e[3].get("highway") == "crossing"
            or "crossing" in e[3]
        ]
        for _, _, _, edata in crossings or incident:
            for tag in ("kerb", "kerb:height"):
                if tag in data and tag not in edata:
                    edata[tag] = data[tag]


# ---------------------------------------------------------------------- helpers
def _tag_text(value) -> str:
    if isinstance(value, (list, tuple, set)):
        parts = [str(v) for v in value if v is not None and str(v) != "nan"]
        return ";".join(dict.fromkeys(parts))
    return str(value)


def _settings() -> dict:
    return {
        "format": FORMAT_VERSION,
        "tags": list(EDGE_TAGS),
        "node_tags": list(NODE_KERB_TAGS),
        "bidirectional": True,
        "simplify": True,
        "retain_all": False,
    }


def _key(payload: dict) -> str:
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
