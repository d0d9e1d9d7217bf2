"""GeoJSON answers of the HTTP API, in one place (EPSG:4326, longitude/latitude in degrees).

* :func:`jsonable` — any cell of a layer (numpy, pandas, datetimes, lists) as a JSON value.
* :func:`json_geometry` — a shapely geometry as a GeoJSON geometry dict.
* :func:`frame_features` — rows of a GeoDataFrame as GeoJSON Feature dicts.
* :func:`feature_collection` — a FeatureCollection with foreign members.
* :func:`annotation_feature`, :func:`event_feature` — participation rows as Features.

The maps embed their layers with :func:`geoquartier.maps.geojson.feature_collection`
(rounded coordinates, chosen properties); the API answers with every property unrounded.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely

GEOJSON = "application/geo+json"
"""Media type of GeoJSON answers."""

PUBLIC_ANNOTATION_FIELDS = (
    "id",
    "quartier",
    "kind",
    "text",
    "language",
    "event_id",
    "created_at",
    "source",
    "grid_cell",
)
"""Properties of an approved annotation that the public sees (``source``: online or paper;
``grid_cell``: the square of the printed map written on paper — never who typed it in)."""

REVIEW_FIELDS = ("status", "decided_at", "reason", "redacted_at", "entered_by")
"""Review properties added for staff (``entered_by``: the account that typed in a paper
contribution)."""

EVENT_FIELDS = ("id", "quartier", "title", "kind", "start", "end", "description", "closed_at")
"""Properties of an event."""


def jsonable(value: Any) -> Any:
    """``value`` (a cell of a layer) as a JSON value: null for missing and non-finite
    numbers, ISO 8601 text for datetimes (UTC ``Z`` when aware), lists for arrays."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (pd.Timestamp, datetime)):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def json_geometry(geom) -> dict | None:
    """A shapely geometry (EPSG:4326) as a GeoJSON geometry dict (``None`` if empty)."""
    from shapely.geometry import mapping

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "LineString":  # routes: the fast path, same JSON as mapping()
        return {"type": "LineString", "coordinates": shapely.get_coordinates(geom).tolist()}
    return mapping(geom)


def frame_features(gdf) -> list[dict]:
    """Rows of a GeoDataFrame (EPSG:4326) as GeoJSON Feature dicts with JSON-safe values."""
    out = []
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for rec, geom in zip(gdf[columns].to_dict("records"), gdf.geometry, strict=True):
        out.append(
            {
                "type": "Feature",
                "geometry": json_geometry(geom),
                "properties": {k: jsonable(v) for k, v in rec.items()},
            }
        )
    return out


def feature_collection(features: list[dict], **members: Any) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``features`` with extra foreign members."""
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    out.update(members)
    return out


def annotation_feature(row: dict, staff: bool = False) -> dict[str, Any]:
    """One annotation (store dict, EPSG:4326) as a Feature; ``staff`` adds the review fields."""
    fields = PUBLIC_ANNOTATION_FIELDS + (REVIEW_FIELDS + ("decided_by",) if staff else ())
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": row["geometry"],
        "properties": {f: row.get(f) for f in fields},
    }


def event_feature(row: dict) -> dict[str, Any]:
    """One event (store dict, EPSG:4326) as a GeoJSON Feature."""
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": row["geometry"],
        "properties": {f: row.get(f) for f in EVENT_FIELDS},
    }
