"""Write an OSM file of boundary relations from real boundary polygons, for the tests.

The polygons are real (OSM Stadtteil boundaries of Magdeburg from the shared data); the
OSM file that carries them is written by the test: node, way and relation ids are
assigned here (counting up from 1), one closed way per ring, one
``type=boundary`` + ``boundary=administrative`` relation per feature with the feature's
``name`` and ``admin_level``. It is what an extract holding those relations completely
looks like to pyosmium's area handler.
"""

from __future__ import annotations

import json
from pathlib import Path

import osmium
from shapely.geometry import shape


def write_boundary_relations(features: list[dict], target: Path) -> Path:
    """Write ``features`` (GeoJSON features with (Multi)Polygon geometry, EPSG:4326, and
    ``name`` / ``admin_level`` properties) as boundary relations to ``target`` (.osm.pbf)."""
    nodes, ways, relations = [], [], []
    next_node = next_way = 1
    for rel_id, feature in enumerate(features, start=1):
        geometry = shape(feature["geometry"])
        polygons = list(getattr(geometry, "geoms", [geometry]))
        members = []
        for polygon in polygons:
            for role, ring in [("outer", polygon.exterior)] + [
                ("inner", r) for r in polygon.interiors
            ]:
                coords = list(ring.coords)[:-1]
                refs = []
                for lon, lat in coords:
                    nodes.append(osmium.osm.mutable.Node(id=next_node, location=(lon, lat)))
                    refs.append(next_node)
                    next_node += 1
                refs.append(refs[0])
                ways.append(osmium.osm.mutable.Way(id=next_way, nodes=refs))
                members.append(("w", next_way, role))
                next_way += 1
        props = feature.get("properties") or {}
        tags = {"type": "boundary", "boundary": "administrative", "name": props["name"]}
        if props.get("admin_level") is not None:
            tags["admin_level"] = str(props["admin_level"])
        relations.append(osmium.osm.mutable.Relation(id=rel_id, members=members, tags=tags))
    writer = osmium.SimpleWriter(str(target), overwrite=True)
    try:
        for node in nodes:
            writer.add_node(node)
        for way in ways:
            writer.add_way(way)
        for relation in relations:
            writer.add_relation(relation)
    finally:
        writer.close()
    return target


def features_of(path: Path, names: list[str] | None = None) -> list[dict]:
    """The features of a GeoJSON file, optionally only those whose ``name`` is listed."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [f for f in data["features"] if names is None or f["properties"]["name"] in names]
