"""The Overpass path of the OSM import, tested for real against a local Overpass server.

The server below is a small Overpass interpreter: it parses the query OSMnx sends
(``node/way/relation[key(=value)](poly:"lat lon …");(._;>;);`` per tag) and answers with
Overpass JSON built from the real Lauf an der Pegnitz extract (read with pyosmium): the
elements that carry the tag and touch the polygon, plus the nodes and member ways their
geometry needs (the ``>`` recursion). Nothing of geoquartier is replaced: the project's
``read_overpass`` runs OSMnx's real HTTP request, JSON parsing and caching.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import osmium
import osmnx as ox
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from geoquartier.config import data_dir
from geoquartier.layers import validate
from geoquartier.layers.sources import osm

LAUF = data_dir() / "lauf_an_der_pegnitz" / "lauf_an_der_pegnitz_osm.osm.bz2"

# A polygon over Lauf's old town and the station (EPSG:4326), not a rectangle.
OLD_TOWN = Polygon([
    (11.2700, 49.5080), (11.2850, 49.5060), (11.2900, 49.5120),
    (11.2830, 49.5175), (11.2720, 49.5160), (11.2690, 49.5120),
])

COMPONENT = re.compile(
    r"\((node|way|relation)\[('(?:[^'\\]|\\.)*'|\"[^\"]*\")(?:=('(?:[^'\\]|\\.)*'|\"[^\"]*\"))?\]"
    r"\(poly:('[^']*'|\"[^\"]*\")\);\(\._;>;\);\);"
)


class OsmData:
    """Every node, way and relation of an OSM file, read with pyosmium."""

    def __init__(self, path):
        self.nodes: dict[int, tuple[float, float, dict]] = {}
        self.ways: dict[int, tuple[list[int], dict]] = {}
        self.relations: dict[int, tuple[list[tuple[str, int, str]], dict]] = {}
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

    def way_line(self, way_id):
        coords = [self.nodes[n][:2] for n in self.ways[way_id][0] if n in self.nodes]
        return LineString(coords) if len(coords) > 1 else Point(coords[0])


def _matches(tags, key, value):
    return key in tags and (value is None or tags[key] == value)


def _unquote(token):
    return None if not token else token[1:-1].replace("\\'", "'")


def answer(data: OsmData, query: str) -> dict:
    """Overpass JSON for an OSMnx features query, from ``data``."""
    node_ids, way_ids, relation_ids = set(), set(), set()
    components = COMPONENT.findall(query)
    assert components, f"unexpected query: {query[:200]}"
    for kind, key, value, poly in components:
        key, value = _unquote(key), _unquote(value)
        numbers = [float(v) for v in _unquote(poly).split()]
        area = Polygon(list(zip(numbers[1::2], numbers[0::2]))).buffer(1e-6)
        frame = box(*area.bounds)
        if kind == "node":
            for nid, (lon, lat, tags) in data.nodes.items():
                if _matches(tags, key, value) and area.covers(Point(lon, lat)):
                    node_ids.add(nid)
        elif kind == "way":
            for wid, (refs, tags) in data.ways.items():
                if _matches(tags, key, value):
                    line = data.way_line(wid)
                    if line.intersects(frame) and line.intersects(area):
                        way_ids.add(wid)
                        node_ids.update(r for r in refs if r in data.nodes)
        else:
            for rid, (members, tags) in data.relations.items():
                if not _matches(tags, key, value):
                    continue
                touches = any(
                    (t == "node" and ref in data.nodes and area.covers(Point(data.nodes[ref][:2])))
                    or (t == "way" and ref in data.ways and data.way_line(ref).intersects(area))
                    for t, ref, _ in members
                )
                if touches:
                    relation_ids.add(rid)
                    for t, ref, _ in members:  # the ">" recursion: members and their nodes
                        if t == "node" and ref in data.nodes:
                            node_ids.add(ref)
                        elif t == "way" and ref in data.ways:
                            way_ids.add(ref)
                            node_ids.update(r for r in data.ways[ref][0] if r in data.nodes)
    elements = []
    for nid in sorted(node_ids):
        lon, lat, tags = data.nodes[nid]
        element = {"type": "node", "id": nid, "lat": round(lat, 7), "lon": round(lon, 7)}
        if tags:
            element["tags"] = tags
        elements.append(element)
    for wid in sorted(way_ids):
        refs, tags = data.ways[wid]
        elements.append({"type": "way", "id": wid, "nodes": refs, "tags": tags})
    for rid in sorted(relation_ids):
        members, tags = data.relations[rid]
        elements.append({
            "type": "relation", "id": rid, "tags": tags,
            "members": [{"type": t, "ref": ref, "role": role} for t, ref, role in members],
        })
    return {"version": 0.6, "generator": "geoquartier test Overpass", "elements": elements}


class OverpassServer:
    """A local Overpass endpoint on 127.0.0.1 that counts the requests it answers."""

    def __init__(self, data: OsmData):
        self.data = data
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, status, body, content_type):
                raw = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _interpret(self, query):
                outer.requests.append(self.path)
                self._reply(200, json.dumps(answer(outer.data, query)), "application/json")

            def do_GET(self):
                url = urlparse(self.path)
                if url.path.endswith("/status"):
                    outer.requests.append(self.path)
                    self._reply(200, "Connected as: 1\nCurrent time: 2026-01-01T00:00:00Z\n"
                                "Announced endpoint: none\nRate limit: 2\n"
                                "2 slots available now.\n", "text/plain")
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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def interpreter_requests(self):
        return [r for r in self.requests if "/interpreter" in r]


@pytest.fixture(scope="module")
def lauf_data():
    return OsmData(LAUF)


@pytest.fixture
def overpass(lauf_data, monkeypatch, tmp_path):
    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with OverpassServer(lauf_data) as server:
        monkeypatch.setattr(ox.settings, "overpass_url", server.url)
        monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
        monkeypatch.setattr(ox.settings, "cache_folder", ox.settings.cache_folder)
        monkeypatch.setattr(ox.settings, "use_cache", ox.settings.use_cache)
        yield server


def _table(gdf, layer):
    """A validated layer as comparable rows: sorted by id, geometry as WKB."""
    gdf = validate(gdf, layer).sort_values("id").reset_index(drop=True)
    rows = gdf.drop(columns="geometry").astype(object).where(gdf.notna(), None)
    return rows.to_dict("records"), list(gdf.geometry)


@pytest.mark.slow
def test_overpass_import_matches_the_local_extract_and_is_cached(overpass, tmp_path):
    from_overpass = osm.read_overpass("lauf", polygon=OLD_TOWN, state="DE-BY")
    first_requests = len(overpass.interpreter_requests())
    assert first_requests >= 1, "the import did not ask the Overpass server"

    from_extract = osm.read_extract(LAUF, "lauf", polygon=OLD_TOWN, state="DE-BY")

    counts = from_overpass.counts()
    assert counts == from_extract.counts()
    # The old town is a real town centre: buildings, addresses, shops, stops.
    assert counts["buildings"] > 500
    assert counts["addresses"] > 300
    assert counts["pois"] > 10
    assert counts["stops"] > 3
    assert counts["services"] >= 1
    for layer in osm.OSM_LAYERS:
        rows_o, geoms_o = _table(getattr(from_overpass, layer), layer)
        rows_e, geoms_e = _table(getattr(from_extract, layer), layer)
        assert rows_o == rows_e, layer
        assert all(a.equals_exact(b, 1e-9) for a, b in zip(geoms_o, geoms_e, strict=True)), layer
    # Every feature intersects the polygon: the server's superset was filtered by OSMnx.
    assert from_overpass.buildings.intersects(OLD_TOWN).all()

    # The answer was cached on disk under the project's cache folder ...
    cache = tmp_path / "cache" / "osmnx"
    assert any(cache.glob("*.json"))
    # ... so the same import again makes no HTTP request and gives the same layers.
    again = osm.read_overpass("lauf", polygon=OLD_TOWN, state="DE-BY")
    assert len(overpass.interpreter_requests()) == first_requests
    assert again.counts() == counts
    assert set(again.buildings["id"]) == set(from_overpass.buildings["id"])


def test_overpass_unreachable_says_what_to_provide(monkeypatch, tmp_path):
    from geoquartier.errors import DataMissingError

    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    # A port nobody listens on: bind, read the port, close.
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setattr(ox.settings, "overpass_url", f"http://127.0.0.1:{port}/api")
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    monkeypatch.setattr(ox.settings, "cache_folder", ox.settings.cache_folder)
    with pytest.raises(DataMissingError, match="--extract"):
        osm.read_overpass("lauf", polygon=OLD_TOWN)


@pytest.mark.slow
def test_pipeline_of_a_network_quartier_through_overpass(overpass, tmp_path):
    """A quartier whose OSM layers come from Overpass (like Alt-Hamborn online) gives the
    same layers as the same quartier read from the local extract."""
    from dataclasses import replace

    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    lauf = load_registry()["lauf"]
    offline = replace(lauf, office_entries=())
    online = replace(offline, sources={"boundary": lauf.sources["boundary"], "overpass": True})
    from_overpass = import_quartier(online, GeoPackageStore(tmp_path / "a.gpkg"), progress=False)
    assert overpass.interpreter_requests()
    from_extract = import_quartier(offline, GeoPackageStore(tmp_path / "b.gpkg"), progress=False)
    assert from_overpass.counts == from_extract.counts
    assert from_overpass.counts["buildings"] > 1000
    assert from_overpass.residents == from_extract.residents > 0
    assert from_overpass.sources["buildings"].startswith("Overpass")
