"""Streets that the routes of a map survey follow, for the staff event report.

A resident draws a route by tapping points; between two taps the line is straight. For
the report each step is walked along the quartier's walk network (the shortest walking
route, :func:`geoquartier.mobility.routing.route`, standard profile) and the street
names passed are collected; a street counts once per survey route that uses it.
Without a walk network (estimate mode, no workspace) there is no street table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from geoquartier.errors import GeoquartierError

MAX_STREETS = 15
"""Rows of the street table of one route question (the streets most routes use)."""


def streets_of_routes(network: Any, routes: list[dict]) -> list[dict[str, Any]]:
    """``[{"name", "routes"}]``: how many of ``routes`` (GeoJSON LineStrings, EPSG:4326)
    walk along each named street, most used first (at most :data:`MAX_STREETS`)."""
    from geoquartier.mobility.routing import route

    counter: Counter[str] = Counter()
    for line in routes:
        names: set[str] = set()
        points = [tuple(p) for p in line["coordinates"]]
        for a, b in zip(points, points[1:], strict=False):
            try:
                names.update(route(network, a, b).street_names)
            except GeoquartierError:  # a point far from any way: that step is left out
                continue
        counter.update(names)
    return [{"name": n, "routes": c} for n, c in counter.most_common(MAX_STREETS)]


def add_route_streets(surveys: list[dict], network: Callable[[], Any]) -> None:
    """Add ``streets`` to every route question of the staff ``surveys`` results;
    ``network()`` gives the quartier's walk network (nothing is added if it cannot)."""
    questions = [q for s in surveys for q in s["questions"] if q["type"] == "route"]
    if not any(q.get("geometries") for q in questions):
        return
    try:
        walk = network()
    except (GeoquartierError, OSError, ValueError, KeyError):
        return
    if getattr(walk, "method", "network") == "estimate":
        return
    for q in questions:
        q["streets"] = streets_of_routes(walk, q.get("geometries", []))
