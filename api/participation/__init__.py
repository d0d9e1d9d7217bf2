"""The participation workflow of the HTTP API: annotations, moderation, events, pages.

Residents submit annotations (pin, line, area) to a quartier; they stay ``pending`` until
a moderator approves them; only approved annotations are public. Planners create events
and export their documentation. Staff authenticate with tokens made by
``geoquartier users add``. Storage: :mod:`api.participation.store` (SQLite).

:mod:`api.participation.routes` holds every route (``router``); :func:`read_approved`
gives the approved annotations as a GeoDataFrame (EPSG:4326) for maps and OGC API –
Features; :func:`approved_version` changes whenever that set may have changed (for map
caches).
"""

from api.participation.store import approved_version, read_approved, read_events

__all__ = ["approved_version", "read_approved", "read_events"]
