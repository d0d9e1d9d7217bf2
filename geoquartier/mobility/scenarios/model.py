"""The scenario model: a named, ordered list of what-if edits for one quartier.

Geometries of edits are in EPSG:4326 (storage CRS); they are projected to EPSG:25832 when
a scenario is applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import shapely

from geoquartier.errors import GeoquartierError
from geoquartier.mobility.network import EDGE_TAGS

SCENARIO_STATUSES = ("draft", "published")
"""Lifecycle of a scenario: drafts are edited by planners, published ones are frozen."""

FACILITY_KINDS = ("facility_add", "facility_move", "facility_close")
WAY_KINDS = ("way_add", "way_close", "way_tags")
RESIDENT_KINDS = ("residents_add", "residents_remove")
EDIT_KINDS = FACILITY_KINDS + WAY_KINDS + RESIDENT_KINDS
"""Every kind of edit a scenario may hold."""
EDIT_CHANGES = {
    "facility_add": "added",
    "facility_move": "added",  # the new place; the old one reads as "closed"
    "facility_close": "closed",
    "way_add": "added",
    "way_close": "closed",
    "way_tags": "changed",
    "residents_add": "added",
    "residents_remove": "closed",
}
"""What each kind of edit does to the place it names, as a map shows it: something is
added, changed (e.g. a ramp instead of steps) or closed/removed."""

NEW_WAY_HIGHWAYS = ("footway", "path", "pedestrian", "cycleway")
"""``highway`` values the planner page offers for a new walkable way (``steps`` is set by
the way's ``steps`` field; the API accepts any OSM value)."""

_GEOMETRY = {
    "facility_add": "Point",
    "facility_move": "Point",
    "facility_close": None,
    "way_add": "LineString",
    "way_close": "LineString",
    "way_tags": "LineString",
    "residents_add": "Point",
    "residents_remove": "Point",
}
_REQUIRED = {
    "facility_add": ("category",),
    "facility_move": ("facility_id",),
    "facility_close": ("facility_id",),
    "way_add": (),
    "way_close": (),
    "way_tags": ("tags",),
    "residents_add": ("residents",),
    "residents_remove": ("residents",),
}
_FACILITY_FIELDS = ("id", "layer", "category", "name", "languages", "opening_hours", "wheelchair")
_ALLOWED = {
    "facility_add": _FACILITY_FIELDS,
    "facility_move": ("facility_id",),
    "facility_close": ("facility_id",),
    "way_add": EDGE_TAGS + ("steps",),
    "way_close": (),
    "way_tags": ("tags",),
    "residents_add": ("id", "residents"),
    "residents_remove": ("residents",),
}


def utc_now() -> str:
    """The current time as a UTC ISO 8601 string (seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Edit:
    """One what-if change: ``kind`` (see :data:`EDIT_KINDS`), its ``geometry`` (shapely,
    EPSG:4326; None for ``facility_close``) and ``params`` (the kind's fields)."""

    kind: str
    geometry: Any = None
    params: dict = field(default_factory=dict)

    def validate(self, label: str = "edit") -> Edit:
        """Check the edit; raise a one-line :class:`GeoquartierError` naming ``label``, the
        kind and the field. Returns a normalised copy (e.g. ``steps`` → ``highway=steps``)."""
        where = f"{label} ({self.kind})"
        if self.kind not in EDIT_KINDS:
            raise GeoquartierError(
                f"{label}: kind {self.kind!r} is not one of {', '.join(EDIT_KINDS)}"
            )
        _check_geometry(where, _GEOMETRY[self.kind], self.geometry)
        params = dict(self.params or {})
        unknown = sorted(set(params) - set(_ALLOWED[self.kind]))
        if unknown:
            raise GeoquartierError(
                f"{where}: unknown field(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(_ALLOWED[self.kind]) or 'none'}"
            )
        for name in _REQUIRED[self.kind]:
            if params.get(name) in (None, "", {}):
                raise GeoquartierError(f"{where}: field {name!r} is required")
        params = _normalise(where, self.kind, params)
        return replace(self, params=params)

    def to_record(self) -> dict:
        """The edit as plain JSON-able data (geometry as WKT, EPSG:4326)."""
        wkt = None if self.geometry is None else shapely.to_wkt(self.geometry, rounding_precision=8)
        return {"kind": self.kind, "geometry_wkt": wkt, "params": dict(self.params)}


def _check_geometry(where: str, expected: str | None, geom) -> None:
    if expected is None:
        if geom is not None:
            raise GeoquartierError(f"{where}: field 'geometry' must be empty")
        return
    if not isinstance(geom, shapely.Geometry) or geom.is_empty:
        raise GeoquartierError(f"{where}: field 'geometry' must be a {expected} (EPSG:4326)")
    if geom.geom_type != expected:
        raise GeoquartierError(
            f"{where}: field 'geometry' must be a {expected}, got a {geom.geom_type}"
        )
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeoquartierError(f"{where}: field 'geometry' is not in EPSG:4326 (lon/lat)")
    if expected == "LineString" and geom.length == 0:
        raise GeoquartierError(f"{where}: field 'geometry' is a line of zero length")


def _normalise(where: str, kind: str, params: dict) -> dict:
    if kind in RESIDENT_KINDS:
        value = params["residents"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise GeoquartierError(
                f"{where}: field 'residents' must be a number > 0, got {value!r}"
            )
    if kind == "way_add":
        if params.pop("steps", False) in (True, "yes", "true", 1):
            params["highway"] = "steps"
        params.setdefault("highway", "footway")
        params = {k: None if v is None else str(v) for k, v in params.items()}
    if kind == "way_tags":
        tags = params["tags"]
        if not isinstance(tags, dict):
            raise GeoquartierError(f"{where}: field 'tags' must be a mapping of OSM tags")
        bad = sorted(set(tags) - set(EDGE_TAGS))
        if bad:
            raise GeoquartierError(
                f"{where}: field 'tags' has unknown tag(s) {', '.join(bad)}; "
                f"allowed: {', '.join(EDGE_TAGS)}"
            )
        params["tags"] = {k: None if v in (None, "") else str(v) for k, v in tags.items()}
    if kind == "facility_add" and isinstance(params.get("languages"), str):
        params["languages"] = [p.strip() for p in params["languages"].split(",") if p.strip()]
    return params


@dataclass
class Scenario:
    """A what-if planning scenario of one quartier (see docs/scenarios.md).

    ``edits`` are applied in order to copies of the base data; the base layers and the
    base network are never modified. Times are UTC ISO 8601 strings.
    """

    quartier: str
    title: str
    description: str = ""
    author: str = ""
    status: str = "draft"
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(default_factory=utc_now)
    updated: str = field(default_factory=utc_now)
    edits: list[Edit] = field(default_factory=list)

    def __post_init__(self):
        if not str(self.quartier).strip():
            raise GeoquartierError("scenario: field 'quartier' is required")
        if not str(self.title).strip():
            raise GeoquartierError("scenario: field 'title' is required")
        if self.status not in SCENARIO_STATUSES:
            raise GeoquartierError(
                f"scenario: field 'status' must be one of {', '.join(SCENARIO_STATUSES)}, "
                f"got {self.status!r}"
            )

    def add(self, kind: str, geometry=None, **params) -> Edit:
        """Validate and append one edit (EPSG:4326 geometry); a rejected edit changes nothing.
        Published scenarios are frozen."""
        if self.status == "published":
            raise GeoquartierError(f"scenario {self.id}: published scenarios cannot be edited")
        edit = Edit(kind, geometry, params).validate(f"edit {len(self.edits) + 1}")
        self.edits.append(edit)
        self.updated = utc_now()
        return edit

    def publish(self) -> None:
        """Mark the scenario as published (frozen)."""
        self.status = "published"
        self.updated = utc_now()
