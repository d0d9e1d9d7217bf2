"""GeoJSON output of annotations and events (EPSG:4326, longitude/latitude in degrees)."""

from __future__ import annotations

from typing import Any

PUBLIC_ANNOTATION_FIELDS = ("id", "quartier", "kind", "text", "language", "event_id", "created_at")
"""Properties of an approved annotation that the public sees."""

REVIEW_FIELDS = ("status", "decided_at", "reason")
"""Review properties added for staff."""

EVENT_FIELDS = ("id", "quartier", "title", "kind", "start", "end", "description")
"""Properties of an event."""


def annotation_feature(row: dict, staff: bool = False) -> dict[str, Any]:
    """One annotation (store dict) as a GeoJSON Feature; ``staff`` adds the review fields."""
    fields = PUBLIC_ANNOTATION_FIELDS + (REVIEW_FIELDS + ("decided_by",) if staff else ())
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": row["geometry"],
        "properties": {f: row.get(f) for f in fields},
    }


def feature_collection(features: list[dict], **members: Any) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``features`` with extra foreign members."""
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    out.update(members)
    return out


def event_feature(row: dict) -> dict[str, Any]:
    """One event (store dict) as a GeoJSON Feature."""
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": row["geometry"],
        "properties": {f: row.get(f) for f in EVENT_FIELDS},
    }
