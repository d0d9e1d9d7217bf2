"""Online address lookup with Nominatim (OpenStreetMap's geocoder), only when asked for.

Used by :func:`geoquartier.layers.sources.addresses.locate_address` for office addresses
the local OSM data does not hold exactly, and only when the user opts in
(``geoquartier import QUARTIER --geocode`` or ``GEOQUARTIER_GEOCODE=nominatim``).

It follows the Nominatim usage policy of the OpenStreetMap Foundation:

* requests go through geopy's ``Nominatim`` geocoder with a **user agent naming
  geoquartier** (:data:`USER_AGENT`);
* at most **one request per second**: geopy's ``RateLimiter`` with
  ``min_delay_seconds=1``;
* every answer (also "not found") is **cached on disk** in ``<cache_dir>/nominatim/``,
  keyed by endpoint, query and search area, so the same address is never asked twice;
* only a handful of office addresses are ever looked up (no bulk geocoding).

The endpoint is ``GEOQUARTIER_NOMINATIM_URL`` (default the public
``https://nominatim.openstreetmap.org``; a self-hosted Nominatim works the same). Results
are limited to Germany and to the quartier's surroundings (``viewbox`` + ``bounded``).
An answer with a house number is ``exact``; one on a street is ``approximate``; anything
coarser (a town, a district) is not used. Coordinates are EPSG:4326.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from geoquartier import __version__ as _version
from geoquartier import config
from geoquartier.layers.sources.addresses import AddressMatch

USER_AGENT = f"geoquartier/{_version} (neighbourhood-management tool; office address lookup)"
"""User agent sent to Nominatim, as its usage policy asks: it names the application."""

MIN_DELAY_S = 1.0
"""Seconds between two requests (usage policy of the public Nominatim: at most 1/s)."""

SEARCH_MARGIN_DEG = 0.02
"""The search area is the quartier's bounding box widened by this many degrees (~2 km)."""

_STREET_CLASSES = ("highway",)


class NominatimGeocoder:
    """Nominatim ``/search`` through geopy, rate-limited and cached on disk.

    ``url``: the Nominatim endpoint (default :func:`geoquartier.config.nominatim_url`);
    ``cache_folder``: where answers are kept (default ``<cache_dir>/nominatim``).
    :attr:`requests` counts the HTTP requests made (cached answers make none).
    """

    def __init__(
        self,
        url: str | None = None,
        cache_folder: Path | None = None,
        timeout_s: float = 10.0,
    ):
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        self.url = (url or config.nominatim_url()).rstrip("/")
        parsed = urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"Nominatim URL {self.url!r} must look like https://host[/path]")
        self._nominatim = Nominatim(
            user_agent=USER_AGENT,
            domain=parsed.netloc + parsed.path,
            scheme=parsed.scheme,
            timeout=timeout_s,
        )
        self.rate_limiter = RateLimiter(
            self._nominatim.geocode,
            min_delay_seconds=MIN_DELAY_S,
            max_retries=1,
            error_wait_seconds=2 * MIN_DELAY_S,
            swallow_exceptions=False,
        )
        self.cache_folder = cache_folder or config.cache_dir() / "nominatim"
        self.requests = 0

    def _cache_file(self, query: str, viewbox: list[tuple[float, float]] | None) -> Path:
        key = json.dumps([self.url, query, viewbox], ensure_ascii=False)
        return self.cache_folder / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.json"

    def _raw(self, query: str, viewbox: list[tuple[float, float]] | None) -> dict | None:
        """Nominatim's JSON for the best result, or None; from the cache when there."""
        cached = self._cache_file(query, viewbox)
        if cached.is_file():
            return json.loads(cached.read_text(encoding="utf-8"))["result"]
        self.requests += 1
        location = self.rate_limiter(
            query,
            exactly_one=True,
            addressdetails=True,
            country_codes="de",
            viewbox=viewbox,
            bounded=viewbox is not None,
        )
        raw = location.raw if location is not None else None
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps({"query": query, "result": raw}), encoding="utf-8")
        tmp.replace(cached)
        return raw

    def search(self, query: str, area: Any = None) -> AddressMatch | None:
        """Where Nominatim places ``query`` (an :class:`AddressMatch`, EPSG:4326), limited
        to ``area`` (Polygon, EPSG:4326) widened by :data:`SEARCH_MARGIN_DEG`. Returns an
        unplaced match with a note when Nominatim cannot be reached or finds nothing
        precise enough."""
        from geopy.exc import GeopyError

        viewbox = None
        if area is not None:
            minx, miny, maxx, maxy = area.bounds
            m = SEARCH_MARGIN_DEG
            viewbox = [(miny - m, minx - m), (maxy + m, maxx + m)]
        try:
            raw = self._raw(query, viewbox)
        except GeopyError as exc:
            return AddressMatch(
                "unknown", note=f"Nominatim ({self.url}) not reached: {exc.__class__.__name__}"
            )
        return match_from_nominatim(raw)


def match_from_nominatim(raw: dict | None) -> AddressMatch:
    """An :class:`AddressMatch` from one Nominatim JSON result (``addressdetails=1``):
    with ``address.house_number`` → exact; a street (``address.road`` or a ``highway``
    object) → approximate; else not placed."""
    if not raw:
        return AddressMatch("unknown", note="Nominatim found no such address")
    address = raw.get("address") or {}
    source = f"nominatim:{raw.get('osm_type', '?')}/{raw.get('osm_id', '?')}"
    lon, lat = float(raw["lon"]), float(raw["lat"])
    name = raw.get("display_name", "")
    if address.get("house_number"):
        return AddressMatch("exact", lon, lat, f"found by Nominatim: {name}", source)
    if address.get("road") or raw.get("class") in _STREET_CLASSES:
        return AddressMatch("approximate", lon, lat, f"street found by Nominatim: {name}", source)
    return AddressMatch("unknown", note=f"Nominatim found only {name!r}, not the address")
