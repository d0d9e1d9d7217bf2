"""Way edits applied to a copy of a :class:`WalkNetwork`'s arrays (EPSG:25832, metres).

A new way joins the network at its two ends and at every vertex lying within
``join_tolerance_m`` of an existing edge: the touched edge is split there into two edges
whose lengths are the split fraction of its geometry times its length (the same rule
snapping uses, so distances along untouched parts do not change). New edges are measured
as planar lengths in EPSG:25832. Closing a way removes every edge the drawn line
crosses; changing tags sets the tags on every edge the drawn line crosses.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import ops

from geoquartier.errors import GeoquartierError
from geoquartier.mobility.network import EDGE_TAGS, WalkNetwork

DEFAULT_JOIN_TOLERANCE_M = 5.0
"""A new way's vertex within this distance (metres) of an edge joins the network there."""

_NODE_EPS_M = 1e-6


class EditableNetwork:
    """Python lists of a network's arrays that way edits change; :meth:`build` makes a
    new :class:`WalkNetwork` (EPSG:25832)."""

    def __init__(self, base: WalkNetwork):
        self.node_x = list(base.node_x)
        self.node_y = list(base.node_y)
        self.node_osmid = list(base.node_osmid)
        self.edge_u = list(base.edge_u)
        self.edge_v = list(base.edge_v)
        self.length_m = list(base.edge_length_m)
        self.geometry = list(base.edge_geometry)
        self.tags = {name: list(base.tags[name]) for name in EDGE_TAGS}
        self.alive = [True] * base.n_edges
        self.source = base.source
        self.changed_edges = 0

    def build(self) -> WalkNetwork:
        """The edited network (closed edges dropped)."""
        keep = np.flatnonzero(self.alive)
        return WalkNetwork(
            np.asarray(self.node_x),
            np.asarray(self.node_y),
            np.asarray(self.node_osmid, dtype=np.int64),
            np.asarray(self.edge_u)[keep],
            np.asarray(self.edge_v)[keep],
            np.asarray(self.length_m)[keep],
            np.asarray(self.geometry, dtype=object)[keep],
            {k: np.asarray(v, dtype=object)[keep] for k, v in self.tags.items()},
            source=f"{self.source} (scenario)",
        )

    # ---------------------------------------------------------------- queries
    def crossed_edges(self, line) -> np.ndarray:
        """Positions of the live edges a line (EPSG:25832) intersects."""
        geoms = np.asarray(self.geometry, dtype=object)
        alive = np.asarray(self.alive)
        tree = shapely.STRtree(geoms)
        hits = tree.query(line, predicate="intersects")
        return np.sort(hits[alive[hits]])

    def _nearest_edge(self, point, tolerance_m: float):
        geoms = np.asarray(self.geometry, dtype=object)
        tree = shapely.STRtree(geoms)
        hits = tree.query(point, predicate="dwithin", distance=tolerance_m)
        hits = [int(h) for h in hits if self.alive[h]]
        if not hits:
            return None
        dist = shapely.distance(geoms[hits], point)
        return hits[int(np.argmin(dist))]

    # ---------------------------------------------------------------- changes
    def _add_node(self, x: float, y: float) -> int:
        self.node_x.append(float(x))
        self.node_y.append(float(y))
        self.node_osmid.append(-len(self.node_x))  # negative ids: nodes made by a scenario
        return len(self.node_x) - 1

    def _add_edge(self, u: int, v: int, length_m: float, geom, tags: dict) -> int:
        self.edge_u.append(u)
        self.edge_v.append(v)
        self.length_m.append(float(length_m))
        self.geometry.append(geom)
        for name in EDGE_TAGS:
            self.tags[name].append(tags.get(name))
        self.alive.append(True)
        return len(self.edge_u) - 1

    def join(self, point, tolerance_m: float) -> tuple[int, float, float] | None:
        """Node where ``point`` (EPSG:25832) joins the network within ``tolerance_m``:
        an edge end, or a new node splitting the nearest edge. Returns ``(node, x, y)`` or
        None when no edge is that close."""
        e = self._nearest_edge(point, tolerance_m)
        if e is None:
            return None
        geom = self.geometry[e]
        total = geom.length
        pos_m = float(shapely.line_locate_point(geom, point))
        if pos_m <= _NODE_EPS_M or total <= 0:
            node = self.edge_u[e]
        elif pos_m >= total - _NODE_EPS_M:
            node = self.edge_v[e]
        else:
            node = self._split(e, pos_m / total)
        return node, self.node_x[node], self.node_y[node]

    def _split(self, e: int, fraction: float) -> int:
        geom, length = self.geometry[e], self.length_m[e]
        at = shapely.line_interpolate_point(geom, fraction, normalized=True)
        node = self._add_node(at.x, at.y)
        tags = {name: self.tags[name][e] for name in EDGE_TAGS}
        first = ops.substring(geom, 0.0, fraction, normalized=True)
        second = ops.substring(geom, fraction, 1.0, normalized=True)
        self._add_edge(self.edge_u[e], node, fraction * length, first, tags)
        self._add_edge(node, self.edge_v[e], (1.0 - fraction) * length, second, tags)
        self.alive[e] = False
        return node

    def add_way(self, line, tags: dict, tolerance_m: float, label: str) -> int:
        """Add a new way (LineString, EPSG:25832); returns the number of edges added."""
        coords = np.asarray(line.coords)[:, :2]
        stops = []  # (vertex position, node)
        joined_any = False
        for i, (x, y) in enumerate(coords):
            joined = self.join(shapely.Point(x, y), tolerance_m)
            if joined is not None:
                node, nx_, ny_ = joined
                coords[i] = (nx_, ny_)
                stops.append((i, node))
                joined_any = True
            elif i in (0, len(coords) - 1):
                stops.append((i, self._add_node(x, y)))
        if not joined_any:
            raise GeoquartierError(
                f"{label}: field 'geometry' does not come within {tolerance_m:g} m of the network"
            )
        added = 0
        for (i, a), (j, b) in zip(stops[:-1], stops[1:], strict=True):
            if a == b:
                continue
            piece = shapely.LineString(coords[i : j + 1])
            self._add_edge(a, b, piece.length, piece, tags)
            added += 1
        return added

    def close(self, line, label: str) -> int:
        """Remove every edge the line (EPSG:25832) crosses; returns how many."""
        hits = self.crossed_edges(line)
        if len(hits) == 0:
            raise GeoquartierError(f"{label}: field 'geometry' crosses no way of the network")
        for e in hits:
            self.alive[int(e)] = False
        return len(hits)

    def set_tags(self, line, tags: dict, label: str) -> int:
        """Set ``tags`` on every edge the line (EPSG:25832) crosses; returns how many."""
        hits = self.crossed_edges(line)
        if len(hits) == 0:
            raise GeoquartierError(f"{label}: field 'geometry' crosses no way of the network")
        for e in hits:
            for name, value in tags.items():
                self.tags[name][int(e)] = value
        return len(hits)
