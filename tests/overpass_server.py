"""A local Overpass API for the tests: real OSM data, real HTTP, OSMnx's own requests.

:class:`OverpassServer` listens on 127.0.0.1 (stdlib ``http.server``) and interprets the
two kinds of query OSMnx 2.x sends:

* **features** (``features_from_polygon``):
  ``[out:json]…;(node[key(=value)](poly:"lat lon …");(._;>;);way[…]…;relation[…]…;);out;``
  — the elements that carry the tag and touch the polygon, plus the nodes and member ways
  their geometry needs (the ``>`` recursion);
* **network** (``graph_from_polygon``):
  ``[out:json]…;(way["highway"]["area"!~"yes"]…(poly:'lat lon …');>;);out;`` — the ways
  that pass every tag filter of the query (``[k]``, ``[k=v]``, ``[k!=v]``, ``[k~re]``,
  ``[k!~re]``, regexes unanchored as in Overpass) and touch the polygon, with all their
  nodes.

The answers are Overpass JSON computed from a real OSM file (read with pyosmium) and the
polygon in the request — nothing is canned. The server counts what it is asked
(:attr:`OverpassServer.requests`, :attr:`OverpassServer.queries`) so tests can prove that
a cached answer made no HTTP request. Nothing of geoquartier or OSMnx is replaced.

Use :func:`local_overpass` inside a fixture::

    @pytest.fixture
    def overpass(monkeypatch, tmp_path):
        with local_overpass(osm_data(PATH), monkeypatch, tmp_path) as server:
            yield server
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import osmium
import shapely
from local_http import LocalHttpServer, QuietHandler
from shapely.geometry import LineString, Point, Polygon, box

from geoquartier.settings import reload_settings

_QUOTED = r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"

FEATURES_COMPONENT = re.compile(
    rf"\((node|way|relation)\[({_QUOTED})(?:=({_QUOTED}))?\]"
    rf"\(poly:({_QUOTED})\);\(\._;>;\);\);"
)
"""One tag of an OSMnx features query: element type, key, optional value, polygon."""

NETWORK_QUERY = re.compile(
    rf"^\[out:json\][^;]*;\(way((?:\[[^\]]*\])+)\(poly:({_QUOTED})\);>;\);out;$"
)
"""An OSMnx network query: the way filters and the polygon."""

TAG_FILTER = re.compile(rf"\[({_QUOTED}|[\w:]+)(?:(!=|!~|=|~)({_QUOTED}|[^\]]*))?\]")
"""One Overpass tag filter inside ``way[…][…]``."""


def _unquote(token: str | None) -> str | None:
    if not token:
        return None
    if token[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _polygon(token: str) -> Polygon:
    """The ``poly:"lat lon lat lon …"`` string of a query as a shapely Polygon (lon, lat)."""
    numbers = [float(v) for v in _unquote(token).split()]
    return Polygon(list(zip(numbers[1::2], numbers[0::2], strict=True)))


class OsmData:
    """Every node, way and relation of an OSM file, read with pyosmium."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.nodes: dict[int, tuple[float, float, dict]] = {}
        self.ways: dict[int, tuple[list[int], dict]] = {}
        self.relations: dict[int, tuple[list[tuple[str, int, str]], dict]] = {}
        self._lines: dict[int, LineString | Point] = {}
        kinds = {"n": "node", "w": "way", "r": "relation"}
        for obj in osmium.FileProcessor(str(path)):
            tags = {t.k: t.v for t in obj.tags}
            if obj.is_node():
                self.nodes[obj.id] = (obj.location.lon, obj.location.lat, tags)
            elif obj.is_way():
                self.ways[obj.id] = ([n.ref for n in obj.nodes], tags)
            elif obj.is_relation():
                members = [(kinds[m.type], m.ref, m.role) for m in obj.members]
                self.relations[obj.id] = (members, tags)

    def way_line(self, way_id: int):
        """The way's geometry (LineString, or a Point for a one-node way), EPSG:4326."""
        if way_id not in self._lines:
            coords = [self.nodes[n][:2] for n in self.ways[way_id][0] if n in self.nodes]
            self._lines[way_id] = LineString(coords) if len(coords) > 1 else Point(coords[0])
        return self._lines[way_id]


@cache
def osm_data(path: str | Path) -> OsmData:
    """:class:`OsmData` of ``path``, read once per test process."""
    return OsmData(path)


# --------------------------------------------------------------------------- queries
def _matches(tags: dict, key: str, value: str | None) -> bool:
    return key in tags and (value is None or tags[key] == value)


def _passes(tags: dict, key: str, op: str | None, value: str | None) -> bool:
    """Overpass tag-filter semantics (regexes are unanchored and case-sensitive)."""
    if op is None:
        return key in tags
    present = key in tags
    if op == "=":
        return present and tags[key] == value
    if op == "!=":
        return not present or tags[key] != value
    if op == "~":
        return present and re.search(value, tags[key]) is not None
    if op == "!~":
        return not present or re.search(value, tags[key]) is None
    raise ValueError(f"unknown filter operator {op!r}")


def _elements(data: OsmData, node_ids, way_ids, relation_ids) -> dict:
    """Overpass JSON (``out;``: nodes, then ways, then relations, each sorted by id)."""
    elements = []
    for nid in sorted(node_ids):
        lon, lat, tags = data.nodes[nid]
        element = {"type": "node", "id": nid, "lat": round(lat, 7), "lon": round(lon, 7)}
        if tags:
            element["tags"] = tags
        elements.append(element)
    for wid in sorted(way_ids):
        refs, tags = data.ways[wid]
        element = {"type": "way", "id": wid, "nodes": refs}
        if tags:
            element["tags"] = tags
        elements.append(element)
    for rid in sorted(relation_ids):
        members, tags = data.relations[rid]
        elements.append(
            {
                "type": "relation",
                "id": rid,
                "tags": tags,
                "members": [{"type": t, "ref": ref, "role": role} for t, ref, role in members],
            }
        )
    return {"version": 0.6, "generator": "geoquartier test Overpass", "elements": elements}


def answer_network(data: OsmData, query: str) -> dict:
    """Overpass JSON for an OSMnx network query (``way[filters](poly:…);>;``) from ``data``.

    A way is selected when its tags pass every filter and its line touches the polygon
    (Overpass selects ways by their segments, not only by nodes inside); ``>`` adds all
    of its nodes.
    """
    match = NETWORK_QUERY.match(query)
    if match is None:
        raise ValueError(f"not a network query: {query[:200]}")
    filters = [
        (_unquote(k), op or None, _unquote(v) if op else None)
        for k, op, v in TAG_FILTER.findall(match.group(1))
    ]
    if TAG_FILTER.sub("", match.group(1)) or not filters:
        raise ValueError(f"cannot read the tag filters {match.group(1)[:200]!r}")
    area = _polygon(match.group(2)).buffer(1e-7)
    shapely.prepare(area)
    frame = box(*area.bounds)
    node_ids, way_ids = set(), set()
    for wid, (refs, tags) in data.ways.items():
        if not all(_passes(tags, k, op, v) for k, op, v in filters):
            continue
        line = data.way_line(wid)
        if line.intersects(frame) and area.intersects(line):
            way_ids.add(wid)
            node_ids.update(r for r in refs if r in data.nodes)
    return _elements(data, node_ids, way_ids, ())


def _feature_nodes(data: OsmData, key: str, value: str, area) -> set:
    return {
        nid
        for nid, (lon, lat, tags) in data.nodes.items()
        if _matches(tags, key, value) and area.covers(Point(lon, lat))
    }


def _feature_ways(data: OsmData, key: str, value: str, area) -> tuple[set, set]:
    frame = box(*area.bounds)
    way_ids, node_ids = set(), set()
    for wid, (refs, tags) in data.ways.items():
        if _matches(tags, key, value):
            line = data.way_line(wid)
            if line.intersects(frame) and line.intersects(area):
                way_ids.add(wid)
                node_ids.update(r for r in refs if r in data.nodes)
    return way_ids, node_ids


def _member_touches(data: OsmData, t: str, ref: int, area) -> bool:
    if t == "node":
        return ref in data.nodes and area.covers(Point(data.nodes[ref][:2]))
    return t == "way" and ref in data.ways and data.way_line(ref).intersects(area)


def _feature_relations(data: OsmData, key: str, value: str, area) -> tuple[set, set, set]:
    relation_ids, way_ids, node_ids = set(), set(), set()
    for rid, (members, tags) in data.relations.items():
        if not _matches(tags, key, value):
            continue
        if not any(_member_touches(data, t, ref, area) for t, ref, _ in members):
            continue
        relation_ids.add(rid)
        for t, ref, _ in members:  # the ">" recursion: members and their nodes
            if t == "node" and ref in data.nodes:
                node_ids.add(ref)
            elif t == "way" and ref in data.ways:
                way_ids.add(ref)
                node_ids.update(r for r in data.ways[ref][0] if r in data.nodes)
    return relation_ids, way_ids, node_ids


def answer_features(data: OsmData, query: str) -> dict:
    """Overpass JSON for an OSMnx features query from ``data``."""
    node_ids, way_ids, relation_ids = set(), set(), set()
    components = FEATURES_COMPONENT.findall(query)
    if not components:
        raise ValueError(f"not a features query: {query[:200]}")
    for kind, key, value, poly in components:
        key, value = _unquote(key), _unquote(value)
        area = _polygon(poly).buffer(1e-6)
        if kind == "node":
            node_ids |= _feature_nodes(data, key, value, area)
        elif kind == "way":
            ways, nodes = _feature_ways(data, key, value, area)
            way_ids |= ways
            node_ids |= nodes
        else:
            rels, ways, nodes = _feature_relations(data, key, value, area)
            relation_ids |= rels
            way_ids |= ways
            node_ids |= nodes
    return _elements(data, node_ids, way_ids, relation_ids)


def answer(data: OsmData, query: str) -> dict:
    """Overpass JSON for an OSMnx query (network or features); ValueError for others."""
    if NETWORK_QUERY.match(query):
        return answer_network(data, query)
    return answer_features(data, query)


def query_polygons(query: str) -> list[Polygon]:
    """Every ``poly:"…"`` polygon of a query (lon, lat; EPSG:4326)."""
    return [_polygon(token) for token in re.findall(rf"\(poly:({_QUOTED})\)", query)]


# --------------------------------------------------------------------------- server
class OverpassServer(LocalHttpServer):
    """A local Overpass endpoint on 127.0.0.1 that counts the requests it answers.

    ``requests`` holds every request path, ``queries`` the Overpass QL of every
    interpreter request, ``errors`` the queries it could not interpret (answered 400).
    """

    def __init__(self, data: OsmData):
        self.data = data
        self.requests: list[str] = []
        self.queries: list[str] = []
        self.errors: list[str] = []
        outer = self

        class Handler(QuietHandler):
            def _reply(self, status, body, content_type):
                self.send_body(status, body.encode(), content_type)

            def _interpret(self, query):
                outer.requests.append(self.path)
                outer.queries.append(query)
                try:
                    body = json.dumps(answer(outer.data, query))
                except ValueError as exc:
                    outer.errors.append(query)
                    self._reply(400, f"Error: {exc}", "text/plain")
                    return
                self._reply(200, body, "application/json")

            def do_GET(self):
                url = urlparse(self.path)
                if url.path.endswith("/status"):
                    outer.requests.append(self.path)
                    self._reply(
                        200,
                        "Connected as: 1\nCurrent time: 2026-01-01T00:00:00Z\n"
                        "Announced endpoint: none\nRate limit: 2\n"
                        "2 slots available now.\n",
                        "text/plain",
                    )
                elif url.path.endswith("/interpreter"):
                    self._interpret(parse_qs(url.query)["data"][0])
                else:
                    self._reply(404, "not found", "text/plain")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                if not urlparse(self.path).path.endswith("/interpreter"):
                    self._reply(404, "not found", "text/plain")
                    return
                self._interpret(parse_qs(body)["data"][0])

        self.listen(Handler, "/api")

    def interpreter_requests(self) -> list[str]:
        """Paths of the interpreter requests answered so far."""
        return [r for r in self.requests if "/interpreter" in r]

    def network_queries(self) -> list[str]:
        """The network (``way[…](poly:…);>;``) queries received so far."""
        return [q for q in self.queries if NETWORK_QUERY.match(q)]


@contextmanager
def local_overpass(data: OsmData, monkeypatch, tmp_path: Path) -> Iterator[OverpassServer]:
    """Run an :class:`OverpassServer` on ``data`` and point OSMnx and geoquartier at it.

    Sets ``GEOQUARTIER_CACHE`` to ``tmp_path / "cache"``, ``ox.settings.overpass_url`` to the
    server, switches OSMnx's rate limit off and its cache folder to ``tmp_path /
    "osmnx-default"`` (so nothing reaches the working directory); every OSMnx setting is
    restored afterwards by ``monkeypatch``.
    """
    import osmnx as ox

    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with OverpassServer(data) as server:
        monkeypatch.setattr(ox.settings, "overpass_url", server.url)
        monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
        monkeypatch.setattr(ox.settings, "cache_folder", tmp_path / "osmnx-default")
        monkeypatch.setattr(ox.settings, "use_cache", True)
        yield server
