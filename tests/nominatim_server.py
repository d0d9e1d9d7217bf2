"""A local Nominatim ``/search`` for the tests: real OSM addresses, real HTTP, geopy's own
requests.

:class:`NominatimServer` listens on 127.0.0.1 (stdlib ``http.server``) and answers
``GET /search?q=…&format=json&addressdetails=1[&viewbox=…&bounded=1]`` with Nominatim's
JSON output format (a list of places with ``lat``/``lon`` as text, ``osm_type``,
``osm_id``, ``class``, ``type``, ``display_name`` and the ``address`` breakdown). The
answers are computed from a real OSM file read with pyosmium — nothing is canned:

* ``"<street> <number>, …"`` whose ``addr:street`` and ``addr:housenumber`` are in the
  file (compared as written, without case) → that building or address node;
* else a ``highway`` way whose ``name`` is the street → the way (class ``highway``,
  placed at its middle node), as Nominatim answers with the street when it has no house;
* else ``[]``.

Its matching is deliberately plain (no abbreviations or umlaut folding), so the tests
exercise geoquartier's own matching, not a copy of it. The server records every request
(:attr:`requests`: path, query parameters, ``User-Agent``) so tests can check the usage
policy and that cached answers make no request.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import osmium
from local_http import LocalHttpServer, QuietHandler


class NominatimData:
    """Addresses and named streets of an OSM file (EPSG:4326), read with pyosmium."""

    def __init__(self, path: str | Path):
        self.houses: dict[tuple[str, str], dict] = {}
        self.streets: dict[str, dict] = {}
        processor = osmium.FileProcessor(str(path)).with_locations()
        for obj in processor:
            tags = obj.tags
            point = self._point(obj)
            if point is None:
                continue
            kind = "node" if obj.is_node() else "way" if obj.is_way() else None
            if kind is None:
                continue
            street, number = tags.get("addr:street"), tags.get("addr:housenumber")
            if street and number:
                key = (street.lower(), number.lower())
                self.houses.setdefault(
                    key,
                    {"osm_type": kind, "osm_id": obj.id, "point": point, "tags": dict(tags)},
                )
            if kind == "way" and "highway" in tags and tags.get("name"):
                self.streets.setdefault(
                    tags["name"].lower(),
                    {"osm_type": "way", "osm_id": obj.id, "point": point, "tags": dict(tags)},
                )

    @staticmethod
    def _point(obj):
        if obj.is_node():
            return (obj.location.lon, obj.location.lat) if obj.location.valid() else None
        if obj.is_way():
            coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            return coords[len(coords) // 2] if coords else None
        return None

    def search(self, query: str, viewbox: tuple[float, float, float, float] | None) -> list:
        """Nominatim JSON results for ``query`` (at most one), inside ``viewbox`` if given."""
        first = query.split(",")[0].strip()
        street, _, number = first.rpartition(" ")
        hit = self.houses.get((street.lower(), number.lower()))
        if hit is None:
            hit = self.streets.get(first.lower()) or self.streets.get(street.lower())
            is_house = False
        else:
            is_house = True
        if hit is None or not _inside(hit["point"], viewbox):
            return []
        return [_place(hit, is_house)]


def _inside(point, viewbox) -> bool:
    if viewbox is None:
        return True
    lon, lat = point
    x1, y1, x2, y2 = viewbox
    return min(x1, x2) <= lon <= max(x1, x2) and min(y1, y2) <= lat <= max(y1, y2)


def _place(hit: dict, is_house: bool) -> dict:
    tags = hit["tags"]
    lon, lat = hit["point"]
    if is_house:
        address = {
            "house_number": tags["addr:housenumber"],
            "road": tags["addr:street"],
            "postcode": tags.get("addr:postcode", ""),
            "town": tags.get("addr:city", ""),
            "country": "Deutschland",
            "country_code": "de",
        }
        cls, kind = ("building", tags.get("building", "yes"))
        name = f"{tags['addr:housenumber']}, {tags['addr:street']}, {tags.get('addr:city', '')}"
    else:
        address = {"road": tags["name"], "country": "Deutschland", "country_code": "de"}
        cls, kind = "highway", tags["highway"]
        name = f"{tags['name']}, Deutschland"
    return {
        "place_id": hit["osm_id"],
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
        "osm_type": hit["osm_type"],
        "osm_id": hit["osm_id"],
        "lat": f"{lat:.7f}",
        "lon": f"{lon:.7f}",
        "class": cls,
        "type": kind,
        "display_name": name,
        "address": address,
        "boundingbox": [f"{lat:.7f}", f"{lat:.7f}", f"{lon:.7f}", f"{lon:.7f}"],
    }


class NominatimServer(LocalHttpServer):
    """A local Nominatim on 127.0.0.1; :attr:`url` is its base address and
    :attr:`requests` lists ``(path, params, user_agent)`` of every request."""

    def __init__(self, data: NominatimData):
        self.data = data
        self.requests: list[tuple[str, dict, str]] = []
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.requests.append((url.path, params, self.headers.get("User-Agent", "")))
                if url.path.rstrip("/") != "/search" or "q" not in params:
                    self._reply(404, {"error": "not found"})
                    return
                viewbox = None
                if params.get("viewbox") and params.get("bounded") == "1":
                    viewbox = tuple(float(v) for v in params["viewbox"].split(","))
                self._reply(200, outer.data.search(params["q"], viewbox))

            def _reply(self, status, body):
                self.send_body(status, json.dumps(body).encode(), "application/json; charset=utf-8")

        self.listen(Handler)

    def searches(self) -> list[str]:
        """The ``q`` of every ``/search`` request so far."""
        return [params.get("q", "") for path, params, _ in self.requests if path == "/search"]
