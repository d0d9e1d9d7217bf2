"""The walk network straight from an OSM file: streamed with pyosmium, equal to OSMnx's.

:func:`build_walk_network` reads a whole OSM extract as Geofabrik or BBBike ship it —
``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz`` with buildings, relations and every
highway — and builds the arrays of a :class:`~geoquartier.mobility.network.WalkNetwork`
directly: no networkx graph, no XML tree in memory. Two streaming passes (nodes, then
ways) and numpy for the rest; Heidelberg's extract takes about a second where
``ox.graph_from_xml`` on its walk-only extract takes half a minute.

The result is the network the OSMnx path of :mod:`geoquartier.mobility.network` gives
(:data:`OSMNX_REFERENCE`, tested tag for tag in ``tests/test_mobility_osmfile.py``):

1. **Ways**: those passing OSMnx's ``network_type="walk"`` Overpass filter
   (:data:`WALK_FILTER`, from ``osmnx._overpass._get_network_filter``): a ``highway`` tag,
   and no ``area``/``access``/``highway``/``foot``/``service``/``sidewalk*`` value the
   filter's regular expressions match (unanchored and case-sensitive, as Overpass reads
   ``!~``; a way without the key passes). Relations are not read. Consecutive repeated
   node references are dropped as OSMnx does.
2. **Direction**: walk graphs are bidirectional in OSMnx (``oneway`` is ignored), so every
   segment is one edge walkable both ways.
3. **Clipping** (only with an ``area``): OSMnx's ``graph_from_polygon(area,
   truncate_by_edge=False, retain_all=False)`` — the nodes inside ``area`` widened by
   OSMnx's own 500 m margin, the largest weakly connected component of the graph they
   span, then its nodes inside ``area`` and again the largest component. A way leaving
   the area ends at its last node inside it (no node outside is kept, none is invented at
   the boundary). Containment is tested in longitude/latitude with boundary points inside,
   as OSMnx does. Without an area, the file's largest component (``graph_from_xml``
   with ``retain_all=False``). Ways cut at the extract's border keep their runs of nodes
   that are in the file.
4. **Kerbs**: ``kerb``/``kerb:height`` of nodes move onto the segments touching them,
   crossings first (as ``_node_kerbs_to_edges`` does on the OSMnx graph).
5. **Simplification**: OSMnx 2's ``simplify_graph`` with its defaults
   (``node_attrs_include=None``, ``edge_attrs_differ=None``, ``remove_rings=True``): a node
   stays unless it has exactly two neighbours and two incident segments (no self-loop);
   the segments between kept nodes merge into one edge whose length is the sum of the
   segments' great-circle lengths (``osmnx.distance.great_circle``, earth radius
   6,371,009 m) and whose tags are the distinct values of its ways, joined with ``;`` in
   alphabetical order (OSMnx keeps a list in set order).

The nodes are read first and only those in the bounding box of the widened area are
kept, so memory follows the area, not the file. Unreadable, truncated or non-OSM files
raise :class:`OsmFileError` naming the file; a file without a walkable way in the area
raises :class:`~geoquartier.errors.DataMissingError`.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.layers.sources.osm import PBF_SUFFIXES, XML_SUFFIXES
from geoquartier.mobility.walk_area import EDGE_TAGS, buffered_area

OSMNX_REFERENCE = "OSMnx 2.1.1"
"""The OSMnx release whose walk filter, truncation and simplification are reproduced."""

BUILDER_VERSION = 1
"""Version of this builder; part of the cache key (change it when the output changes)."""

OSM_FILE_SUFFIXES = PBF_SUFFIXES + XML_SUFFIXES
"""File names the builder reads (pyosmium detects the format from the name)."""

WALK_REQUIRED_KEY = "highway"
WALK_FILTER: tuple[tuple[str, str], ...] = (
    ("area", "yes"),
    ("access", "private"),
    (
        "highway",
        "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|"
        "raceway|razed|rest_area|services",
    ),
    ("foot", "no"),
    ("service", "private"),
    ("sidewalk", "separate"),
    ("sidewalk:both", "separate"),
    ("sidewalk:left", "separate"),
    ("sidewalk:right", "separate"),
)
"""OSMnx's walk filter as ``(key, regex)`` pairs: a way with a ``highway`` tag is dropped
when it has one of these keys and the regex matches its value anywhere (Overpass
``["key"!~"regex"]``; ``access`` is OSMnx's ``settings.default_access``)."""

OSMNX_POLYGON_MARGIN_M = 500.0
"""``graph_from_polygon`` first truncates to its polygon widened by this many metres."""

NODE_KERB_TAGS_MOVED = ("kerb", "kerb:height")
"""Node tags moved onto the segments touching the node."""

EARTH_RADIUS_M = 6_371_009.0
"""Earth radius of ``osmnx.distance.great_circle``."""

_COORD_SCALE = 1e7  # OSM coordinates are integers of 1e-7 degrees
_BATCH_REFS = 2_000_000  # node references per batch when ways are matched to the bbox
_EXCLUDE = tuple((key, re.compile(regex)) for key, regex in WALK_FILTER)


class OsmFileError(GeoquartierError):
    """An OSM file cannot be read (not OSM, truncated, unknown type); names the file."""


def overpass_walk_filter() -> str:
    """:data:`WALK_FILTER` written as the Overpass way filter OSMnx sends (for checks)."""
    parts = [f'["{WALK_REQUIRED_KEY}"]'] + [f'["{k}"!~"{rx}"]' for k, rx in WALK_FILTER]
    return "".join(parts)


def is_walkable(tags) -> bool:
    """True if a way with these OSM tags (a mapping) passes OSMnx's walk filter."""
    if WALK_REQUIRED_KEY not in tags:
        return False
    for key, regex in _EXCLUDE:
        value = tags.get(key)
        if value is not None and regex.search(value):
            return False
    return True


def build_walk_network(path: str | Path, area_4326=None, *, source: str = "") -> dict:
    """The walk network of an OSM file, clipped to ``area_4326`` (EPSG:4326) if given.

    ``area_4326`` is the (Multi)Polygon the network may use, already widened by any buffer
    (see :func:`geoquartier.mobility.network.buffered_area`); ``None`` keeps the whole
    file. Returns the keyword arguments of a
    :class:`~geoquartier.mobility.network.WalkNetwork` in EPSG:25832 (see the module
    docstring for what is kept). Raises :class:`OsmFileError` for an unreadable file and
    :class:`DataMissingError` when no walkable way lies in the area.
    """
    path = _checked_path(path)
    outer = None if area_4326 is None else buffered_area(area_4326, OSMNX_POLYGON_MARGIN_M)
    with _reading(path):
        nodes = _read_nodes(path, _bbox_e7(outer))
        ways = _read_ways(path, nodes, clipped=outer is not None)
    seg = _segments(ways, nodes)
    keep = _clipped_nodes(nodes, seg, outer, area_4326)
    seg = seg.subset(keep[seg.a] & keep[seg.b])
    if seg.n == 0:
        where = "" if area_4326 is None else " inside the quartier area"
        raise DataMissingError(f"{path}: no walkable way (OSMnx walk filter){where}")
    codes = _segment_tags(ways, nodes, seg)
    return _simplified_network(nodes, seg, codes, ways.vocab, source or str(path))


# ---------------------------------------------------------------------- reading
@dataclass
class _Nodes:
    """Nodes read from the file, sorted by id; coordinates in EPSG:4326 degrees."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    kerbs: dict[str, tuple[np.ndarray, list[str]]]  # tag -> (node ids, values)


@dataclass
class _Ways:
    """Walkable ways: flat node references with offsets, and tag codes per way."""

    refs: np.ndarray
    offsets: np.ndarray
    codes: dict[str, np.ndarray]  # tag -> code per way (-1 = no tag)
    vocab: dict[str, list[str]]  # tag -> values (alphabetical; a code is an index)


def _checked_path(path: str | Path) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataMissingError(f"OSM file not found: {path}")
    if not path.name.lower().endswith(OSM_FILE_SUFFIXES):
        raise OsmFileError(
            f"{path}: unknown OSM file type; expected one of {', '.join(OSM_FILE_SUFFIXES)}"
        )
    return path


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn pyosmium's errors (bad format, truncation, compression) into one line."""
    try:
        yield
    except RuntimeError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OsmFileError(f"{path}: not a readable OSM file ({reason})") from None


def _bbox_e7(polygon) -> tuple[int, int, int, int]:
    """Bounding box of a polygon (EPSG:4326) in OSM's integer 1e-7 degrees; all if None."""
    if polygon is None:
        return (-1_800_000_000, -900_000_000, 1_800_000_000, 900_000_000)
    minx, miny, maxx, maxy = polygon.bounds
    return (
        int(np.floor(minx * _COORD_SCALE)),
        int(np.floor(miny * _COORD_SCALE)),
        int(np.ceil(maxx * _COORD_SCALE)),
        int(np.ceil(maxy * _COORD_SCALE)),
    )


def _read_nodes(path: Path, bbox: tuple[int, int, int, int]) -> _Nodes:
    """Every node inside ``bbox`` (1e-7 degrees) and the kerb tags of those nodes."""
    import osmium

    x0, y0, x1, y1 = bbox
    ids, xs, ys = array("q"), array("i"), array("i")
    add_id, add_x, add_y = ids.append, xs.append, ys.append
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        loc = node.location
        x, y = loc.x, loc.y
        if x0 <= x <= x1 and y0 <= y <= y1:
            add_id(node.id)
            add_x(x)
            add_y(y)
    id_arr = np.frombuffer(ids, dtype=np.int64)
    order = _last_unique_order(id_arr)
    return _Nodes(
        ids=id_arr[order],
        lon=np.frombuffer(xs, dtype=np.int32)[order] / _COORD_SCALE,
        lat=np.frombuffer(ys, dtype=np.int32)[order] / _COORD_SCALE,
        kerbs={},
    )


def _last_unique_order(ids: np.ndarray) -> np.ndarray:
    """Positions that sort ``ids``, keeping the last copy of a repeated id (as OSMnx's
    dict of elements does)."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = sorted_ids[1:] != sorted_ids[:-1]
    return order[last]


class _WayCollector:
    """Collects walkable ways in batches; with ``node_ids`` keeps only ways that touch one."""

    def __init__(self, node_ids: np.ndarray | None):
        self.node_ids = node_ids
        self.vocab: dict[str, dict[str, int]] = {tag: {} for tag in EDGE_TAGS}
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._new_batch()

    def _new_batch(self) -> None:
        self.refs, self.counts, self.codes = array("q"), array("q"), array("i")

    def add(self, tags, refs: list[int]) -> None:
        """Add one way: its tags (a mapping) and node ids."""
        self.refs.extend(refs)
        self.counts.append(len(refs))
        for tag in EDGE_TAGS:
            value = tags.get(tag)
            self.codes.append(-1 if value is None else self._code(tag, value))
        if len(self.refs) >= _BATCH_REFS:
            self.flush()

    def _code(self, tag: str, value: str) -> int:
        return self.vocab[tag].setdefault(value, len(self.vocab[tag]))

    def flush(self) -> None:
        """Move the current batch into numpy arrays, dropping ways that touch no node."""
        refs = np.array(self.refs, dtype=np.int64)
        counts = np.array(self.counts, dtype=np.int64)
        codes = np.array(self.codes, dtype=np.int32).reshape(-1, len(EDGE_TAGS))
        self._new_batch()
        if self.node_ids is not None and len(counts):
            way_of_ref = np.repeat(np.arange(len(counts)), counts)
            hit = np.zeros(len(counts), dtype=bool)
            hit[way_of_ref[_lookup(self.node_ids, refs) >= 0]] = True
            refs, counts, codes = refs[hit[way_of_ref]], counts[hit], codes[hit]
        self.parts.append((refs, counts, codes))

    def result(self, extra_values: dict[str, list[str]]) -> _Ways:
        """All collected ways; tag codes index alphabetical vocabularies that also hold
        ``extra_values`` (the kerb values of nodes)."""
        self.flush()
        counts = np.concatenate([p[1] for p in self.parts])
        codes = np.concatenate([p[2] for p in self.parts])
        by_tag, vocab = {}, {}
        for column, tag in enumerate(EDGE_TAGS):
            for value in extra_values.get(tag, ()):
                self._code(tag, value)
            values = list(self.vocab[tag])
            vocab[tag] = sorted(values)
            rank = {value: i for i, value in enumerate(vocab[tag])}
            remap = np.array([rank[v] for v in values] + [-1], dtype=np.int32)
            by_tag[tag] = remap[codes[:, column]]  # code -1 picks the trailing -1
        return _Ways(
            refs=np.concatenate([p[0] for p in self.parts]),
            offsets=np.concatenate([[0], np.cumsum(counts)]),
            codes=by_tag,
            vocab=vocab,
        )


def _read_ways(path: Path, nodes: _Nodes, clipped: bool) -> _Ways:
    """The ways passing the walk filter (when ``clipped`` only those touching a node read)
    and the kerb tags of the nodes read, stored in ``nodes.kerbs``.

    One pass: pyosmium's C++ key filter hands only ways with ``highway`` and nodes with
    ``highway``/``kerb``/``kerb:height`` to Python. A repeated way id is read twice
    (extracts from Geofabrik or BBBike hold one version of each object).
    """
    import osmium

    collector = _WayCollector(nodes.ids if clipped else None)
    kerbs: dict[str, dict[int, str]] = {tag: {} for tag in NODE_KERB_TAGS_MOVED}
    tagged = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter(WALK_REQUIRED_KEY, *NODE_KERB_TAGS_MOVED)
    )
    for obj in tagged:
        tags = obj.tags
        if obj.is_way():
            if is_walkable(tags):
                collector.add(tags, [n.ref for n in obj.nodes])
            continue
        for tag in NODE_KERB_TAGS_MOVED:
            value = tags.get(tag)
            if value is not None:
                kerbs[tag][obj.id] = value
    nodes.kerbs = _kerb_table(kerbs, nodes.ids)
    return collector.result({tag: list(values) for tag, (_, values) in nodes.kerbs.items()})


def _kerb_table(kerbs: dict[str, dict[int, str]], node_ids: np.ndarray):
    """Per kerb tag the ids (ascending) of the nodes read that carry it, and the values."""
    table = {}
    for tag, by_id in kerbs.items():
        ids = np.array(sorted(by_id), dtype=np.int64)
        ids = ids[_lookup(node_ids, ids) >= 0]
        table[tag] = (ids, [by_id[i] for i in ids.tolist()])
    return table


def _lookup(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of ``wanted`` ids in ``sorted_ids``; -1 where absent."""
    if len(sorted_ids) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    pos = np.searchsorted(sorted_ids, wanted)
    pos = np.minimum(pos, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1)


# ---------------------------------------------------------------------- segments
@dataclass
class _Segments:
    """Way segments between two nodes: node positions ``a``/``b``, way index, length."""

    a: np.ndarray
    b: np.ndarray
    way: np.ndarray
    length_m: np.ndarray

    @property
    def n(self) -> int:
        return len(self.a)

    def subset(self, mask: np.ndarray) -> _Segments:
        return _Segments(self.a[mask], self.b[mask], self.way[mask], self.length_m[mask])


def _segments(ways: _Ways, nodes: _Nodes) -> _Segments:
    """Consecutive node pairs of every way whose two nodes are both in ``nodes``."""
    counts = np.diff(ways.offsets)
    way_of_ref = np.repeat(np.arange(len(counts)), counts)
    refs = ways.refs
    repeat = np.zeros(len(refs), dtype=bool)
    repeat[1:] = (refs[1:] == refs[:-1]) & (way_of_ref[1:] == way_of_ref[:-1])
    refs, way_of_ref = refs[~repeat], way_of_ref[~repeat]
    pos = _lookup(nodes.ids, refs)
    ok = (way_of_ref[1:] == way_of_ref[:-1]) & (pos[:-1] >= 0) & (pos[1:] >= 0)
    a, b = pos[:-1][ok], pos[1:][ok]
    length = great_circle_m(nodes.lat[a], nodes.lon[a], nodes.lat[b], nodes.lon[b])
    return _Segments(a, b, way_of_ref[:-1][ok], length)


def great_circle_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in metres between points in degrees (EPSG:4326), computed as
    ``osmnx.distance.great_circle`` computes it."""
    y1, y2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dy = y2 - y1
    dx = np.deg2rad(lon2) - np.deg2rad(lon1)
    h = np.sin(dy / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
    h = np.minimum(1, h)
    return 2 * np.arcsin(np.sqrt(h)) * EARTH_RADIUS_M


# ---------------------------------------------------------------------- clipping
def _clipped_nodes(nodes: _Nodes, seg: _Segments, outer, area) -> np.ndarray:
    """Mask of the nodes OSMnx keeps: the largest component, after truncating to ``outer``
    and then to ``area`` when an area is given (see the module docstring)."""
    n = len(nodes.ids)
    keep = np.ones(n, dtype=bool)
    for polygon in (outer, area):
        if polygon is None:
            continue
        shapely.prepare(polygon)
        inside = np.zeros(n, dtype=bool)
        used = np.unique(np.concatenate([seg.a, seg.b]))
        used = used[keep[used]]
        inside[used] = shapely.intersects_xy(polygon, nodes.lon[used], nodes.lat[used])
        keep = _largest_component(n, seg, keep & inside)
    if outer is None:
        keep = _largest_component(n, seg, keep)
    return keep


def _largest_component(n: int, seg: _Segments, allowed: np.ndarray) -> np.ndarray:
    """Nodes of the largest weakly connected component among the segments between allowed
    nodes; ties go to the component with the smallest node id (networkx's iteration)."""
    use = allowed[seg.a] & allowed[seg.b]
    a, b = seg.a[use], seg.b[use]
    if len(a) == 0:
        return np.zeros(n, dtype=bool)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=False)
    on_graph = np.zeros(n, dtype=bool)
    on_graph[a] = on_graph[b] = True
    sizes = np.bincount(label[on_graph])
    best = np.flatnonzero(sizes == sizes.max())
    first_node = np.flatnonzero(on_graph & np.isin(label, best))[0]  # ids are sorted
    return on_graph & (label == label[first_node])


# ---------------------------------------------------------------------- tags
def _segment_tags(ways: _Ways, nodes: _Nodes, seg: _Segments) -> dict[str, np.ndarray]:
    """Tag codes per segment: its way's, with the kerbs of nodes moved onto it."""
    codes = {tag: ways.codes[tag][seg.way] for tag in EDGE_TAGS}
    crossing = _crossing_segments(codes, ways.vocab)
    for tag in NODE_KERB_TAGS_MOVED:
        kerb_ids, values = nodes.kerbs[tag]
        if len(kerb_ids) == 0:
            continue
        rank = {value: i for i, value in enumerate(ways.vocab[tag])}
        node_code = np.full(len(nodes.ids), -1, dtype=np.int32)
        pos = _lookup(nodes.ids, kerb_ids)
        node_code[pos[pos >= 0]] = np.array([rank[v] for v in values], dtype=np.int32)[pos >= 0]
        codes[tag] = _with_node_kerbs(codes[tag], seg, crossing, node_code)
    return codes


def _crossing_segments(codes: dict[str, np.ndarray], vocab: dict[str, list[str]]) -> np.ndarray:
    """Segments of crossing ways: ``footway=crossing``, ``highway=crossing`` or any
    ``crossing`` tag (the test of ``_node_kerbs_to_edges``)."""
    result = codes["crossing"] >= 0
    for tag in ("footway", "highway"):
        if "crossing" in vocab[tag]:
            result |= codes[tag] == vocab[tag].index("crossing")
    return result


def _with_node_kerbs(
    way_code: np.ndarray, seg: _Segments, crossing: np.ndarray, node_code: np.ndarray
) -> np.ndarray:
    """Segment codes of one kerb tag after moving the nodes' values onto the segments.

    A kerb node gives its value to the crossing segments touching it, or to every segment
    touching it when none is a crossing, unless the segment's way has the tag itself; a
    segment touching two kerb nodes takes the value of the one with the smaller id
    (OSMnx's node order in an id-sorted file).
    """
    ends = np.concatenate([seg.a, seg.b])
    segs = np.tile(np.arange(seg.n), 2)
    is_kerb = node_code[ends] >= 0
    ends, segs = ends[is_kerb], segs[is_kerb]
    node_has_crossing = np.zeros(len(node_code), dtype=bool)
    node_has_crossing[ends[crossing[segs]]] = True
    take = crossing[segs] | ~node_has_crossing[ends]
    ends, segs = ends[take], segs[take]
    order = np.lexsort((ends, segs))  # per segment, the smaller node id first
    ends, segs = ends[order], segs[order]
    first = np.ones(len(segs), dtype=bool)
    first[1:] = segs[1:] != segs[:-1]
    ends, segs = ends[first], segs[first]
    result = way_code.copy()
    free = result[segs] < 0
    result[segs[free]] = node_code[ends[free]]
    return result


# ---------------------------------------------------------------------- simplification
def _endpoints(n: int, seg: _Segments) -> np.ndarray:
    """OSMnx's ``_is_endpoint`` on the bidirectional graph: a node on the graph is kept
    unless it has exactly two incident segments to two distinct neighbours (directed
    degree 4); there are no self-loops (repeated references were dropped)."""
    ends = np.concatenate([seg.a, seg.b])
    others = np.concatenate([seg.b, seg.a])
    degree = np.bincount(ends, minlength=n)
    by_node = np.argsort(ends, kind="stable")
    first = np.searchsorted(ends[by_node], np.arange(n))
    two = np.flatnonzero(degree == 2)
    distinct = others[by_node[first[two]]] != others[by_node[first[two] + 1]]
    endpoint = degree > 0
    endpoint[two[distinct]] = False
    return endpoint


@dataclass
class _Chains:
    """Simplified edges as ordered runs of half-edges (``2s``: a→b of segment ``s``,
    ``2s+1``: b→a); ``start[c]`` is the position in ``half`` where chain ``c`` begins."""

    half: np.ndarray
    chain: np.ndarray
    start: np.ndarray
    tail: np.ndarray
    head: np.ndarray

    @property
    def u(self) -> np.ndarray:
        return self.tail[self.half[self.start]]

    @property
    def v(self) -> np.ndarray:
        return self.head[self.half[np.append(self.start[1:], len(self.half)) - 1]]


def _chains(n: int, seg: _Segments, endpoint: np.ndarray) -> _Chains:
    """The segments ordered into chains from endpoint to endpoint.

    Through a non-endpoint a walk continues on the node's other segment; pointer jumping
    gives each half-edge the last half-edge of its walk and the steps to it. Every chain
    is walked from both ends; the walk from the endpoint with the smaller id is kept (as
    :meth:`WalkNetwork.from_graph` keeps the twin with ``u <= v``). Rings without an
    endpoint never end and are dropped (OSMnx's ``remove_rings``).
    """
    tail = np.empty(2 * seg.n, dtype=np.int64)
    head = np.empty(2 * seg.n, dtype=np.int64)
    tail[0::2], tail[1::2] = seg.a, seg.b
    head[0::2], head[1::2] = seg.b, seg.a
    last, dist = _pointer_jump(_next_half_edges(n, tail, head, endpoint))
    starts = np.flatnonzero(endpoint[tail] & (last >= 0))
    ends = last[starts]
    u, v = tail[starts], head[ends]
    forward = (u < v) | ((u == v) & (starts < (ends ^ 1)))
    chosen = np.zeros(len(tail), dtype=bool)
    chosen[ends[forward]] = True
    half = np.flatnonzero((last >= 0) & chosen[np.maximum(last, 0)])
    half = half[np.lexsort((-dist[half], last[half]))]
    new_chain = np.ones(len(half), dtype=bool)
    new_chain[1:] = last[half[1:]] != last[half[:-1]]
    return _Chains(half, np.cumsum(new_chain) - 1, np.flatnonzero(new_chain), tail, head)


def _next_half_edges(n: int, tail, head, endpoint) -> np.ndarray:
    """The half-edge that continues each half-edge through a non-endpoint; -1 at endpoints."""
    by_tail = np.argsort(tail, kind="stable")
    first_out = np.searchsorted(tail[by_tail], np.arange(n))
    nxt = np.full(len(tail), -1, dtype=np.int64)
    through = np.flatnonzero(~endpoint[head])
    node = head[through]
    out1 = by_tail[first_out[node]]
    out2 = by_tail[first_out[node] + 1]
    nxt[through] = np.where(out1 == (through ^ 1), out2, out1)  # not back the way it came
    return nxt


def _pointer_jump(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element of the linked lists ``nxt`` (-1 = end) the last element of its
    list and the number of steps to it; ``last = -1`` on cycles."""
    size = len(nxt)
    last = np.where(nxt < 0, np.arange(size), nxt)
    dist = (nxt >= 0).astype(np.int64)
    done = nxt < 0
    for _ in range(int(np.ceil(np.log2(max(size, 2)))) + 2):
        todo = np.flatnonzero(~done)
        if len(todo) == 0:
            break
        target = last[todo]
        dist[todo] += dist[target]
        done[todo] = done[target]
        last[todo] = last[target]
    return np.where(done, last, -1), dist


# ---------------------------------------------------------------------- assembly
def _simplified_network(
    nodes: _Nodes, seg: _Segments, codes: dict[str, np.ndarray], vocab, source: str
) -> dict:
    """The ``WalkNetwork`` keyword arguments of the simplified graph (EPSG:25832)."""
    n = len(nodes.ids)
    chains = _chains(n, seg, _endpoints(n, seg))
    if len(chains.start) == 0:
        raise DataMissingError(f"{source}: the walkable ways form only a ring without junction")
    u, v = chains.u, chains.v
    n_chains = len(chains.start)
    seg_of = chains.half >> 1
    length = np.bincount(chains.chain, weights=seg.length_m[seg_of], minlength=n_chains)
    kept = np.unique(np.concatenate([u, v]))
    index = np.full(n, -1, dtype=np.int64)
    index[kept] = np.arange(len(kept))
    sequence = np.insert(chains.head[chains.half], chains.start, u)
    offsets = np.append(chains.start + np.arange(n_chains), len(sequence))
    to_m = Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)
    gx, gy = to_m.transform(nodes.lon[sequence], nodes.lat[sequence])
    geometry = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING, np.column_stack([gx, gy]), (offsets,)
    )
    nx_, ny_ = to_m.transform(nodes.lon[kept], nodes.lat[kept])
    tags = {
        tag: _chain_values(codes[tag][seg_of], chains.chain, n_chains, vocab[tag])
        for tag in EDGE_TAGS
    }
    return {
        "node_x": nx_,
        "node_y": ny_,
        "node_osmid": nodes.ids[kept],
        "edge_u": index[u],
        "edge_v": index[v],
        "edge_length_m": length,
        "edge_geometry": geometry,
        "tags": tags,
        "source": source,
    }


def _chain_values(seg_codes, chain, n_chains: int, vocab: list[str]) -> np.ndarray:
    """Per chain the distinct values of its segments, joined with ``;`` alphabetically."""
    values = np.full(n_chains, None, dtype=object)
    present = seg_codes >= 0
    if not present.any():
        return values
    pairs = np.unique(chain[present].astype(np.int64) * len(vocab) + seg_codes[present])
    owner, code = pairs // len(vocab), pairs % len(vocab)
    words = np.array(vocab, dtype=object)
    starts = np.flatnonzero(np.append(True, owner[1:] != owner[:-1]))
    count = np.diff(np.append(starts, len(owner)))
    single = starts[count == 1]
    values[owner[single]] = words[code[single]]
    for s, c in zip(starts[count > 1], count[count > 1], strict=True):
        values[owner[s]] = ";".join(words[code[s : s + c]])
    return values
