"""Placing an office or service by its postal address, from OpenStreetMap ``addr:*`` tags.

A registry office with ``location = { address = "Urlasstraße 22, Lauf an der Pegnitz" }``
is looked up in the quartier's OSM addresses (the ``addresses`` layer of the import:
buildings and address nodes with ``addr:street`` / ``addr:housenumber`` / ``addr:postcode``
/ ``addr:city``):

* the **street** must match after normalisation: case, umlauts (``ä`` = ``ae``), ``ß`` =
  ``ss``, the abbreviations ``str.`` / ``pl.``, spaces and hyphens
  (``Weseler Str.`` = ``Weselerstraße`` = ``WESELER STRASSE``);
* a **postcode** or **city** given in the address must not contradict the data (an OSM
  address without ``addr:postcode`` / ``addr:city`` is not excluded; city names are
  compared after expanding ``a.d.`` / ``i.d.`` / ``a.`` / ``b.``, so ``Lauf a.d.Pegnitz`` =
  ``Lauf an der Pegnitz``);
* the **house number** is compared without spaces and case (``22 A`` = ``22a``); OSM
  lists (``22;24``) and ranges of one side of the street (``22-26`` = 22, 24, 26) count.

Result (:class:`AddressMatch`): the house number found → ``exact``, placed on that address
(a point inside the building). The number found only with another letter (``22`` for
``22a``, or the reverse) → ``approximate`` on that building. Only the street found →
``approximate`` at the street's middle: the address point of that street nearest to the
centroid of all its address points (a point on the street, never in a courtyard or on
another street, as the bare centroid of a curved street could be). Nothing → ``unknown``:
the office stays listed but is not drawn.

All coordinates are EPSG:4326 (longitude, latitude).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from geoquartier.config import ANALYSIS_CRS

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e"})
_STREET_ABBREVIATIONS = (
    (re.compile(r"str(?:\.|\b)"), "strasse"),
    (re.compile(r"pl\."), "platz"),
)
_CITY_ABBREVIATIONS = (
    (re.compile(r"\ba\.\s*d\.\s*"), "an der "),
    (re.compile(r"\bi\.\s*d\.\s*"), "in der "),
    (re.compile(r"\ba\.\s*"), "am "),
    (re.compile(r"\bi\.\s*"), "im "),
    (re.compile(r"\bb\.\s*"), "bei "),
)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NUMBER = r"\d+\s*[a-zA-Z]?(?:\s*[-–/]\s*\d+\s*[a-zA-Z]?)?"
_STREET_AND_NUMBER = re.compile(rf"^(?P<street>.*?\S)\s+(?P<number>{_NUMBER})$")
_NO_COMMA = re.compile(
    rf"^(?P<street>.*?\S)\s+(?P<number>{_NUMBER})\s+(?P<postcode>\d{{5}})\s+(?P<city>.+)$"
)
_POSTCODE = re.compile(r"^(?P<postcode>\d{5})\s*(?P<city>.*)$")
_RANGE = re.compile(r"^\s*(\d+)\s*[-–]\s*(\d+)\s*$")
_SAME_PLACE_M = 60.0
"""Exact matches closer together than this (metres) are one place (a building and its
entrance node); farther apart, the first is taken and the note says how many there were."""


@dataclass(frozen=True)
class AddressQuery:
    """A postal address split into its parts (as written; see the ``*_key`` helpers)."""

    text: str
    street: str
    housenumber: str | None = None
    postcode: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class AddressMatch:
    """Where an address was placed: ``quality`` exact / approximate / unknown, ``lon`` /
    ``lat`` (EPSG:4326; None when unknown), a ``note`` for people and the ``source``
    (``osm:way/45``, ``osm:street``, ``nominatim:node/12``) of the point."""

    quality: str
    lon: float | None = None
    lat: float | None = None
    note: str = ""
    source: str | None = None

    @property
    def placed(self) -> bool:
        """True when the address has a point."""
        return self.lon is not None and self.lat is not None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).casefold().translate(_UMLAUTS)


def _expanded_key(text: str, abbreviations) -> str:
    """``text`` folded, its ``abbreviations`` (pattern, replacement) written out, and
    everything but letters and digits dropped."""
    folded = _fold(text)
    for pattern, replacement in abbreviations:
        folded = pattern.sub(replacement, folded)
    return _NOT_ALNUM.sub("", folded)


def street_key(street: str) -> str:
    """The street name reduced for comparison: ``"Weseler Str."`` → ``"weselerstrasse"``."""
    return _expanded_key(street, _STREET_ABBREVIATIONS)


def housenumber_key(number: str) -> str:
    """A house number reduced for comparison: ``"22 A"`` → ``"22a"``."""
    return _NOT_ALNUM.sub("", _fold(number).replace("–", "-"))


def city_key(city: str) -> str:
    """A city name reduced for comparison: ``"Lauf a.d.Pegnitz"`` → ``"laufanderpegnitz"``."""
    return _expanded_key(city, _CITY_ABBREVIATIONS)


def _city_first_word(city: str) -> str:
    words = _NOT_ALNUM.split(_fold(city))
    return next((w for w in words if w), "")


def cities_match(a: str, b: str) -> bool:
    """True for the same city: equal after :func:`city_key`, or the same first word
    (``Duisburg`` and ``Duisburg-Marxloh``)."""
    return city_key(a) == city_key(b) or _city_first_word(a) == _city_first_word(b)


def parse_address(text: str) -> AddressQuery:
    """Split ``"Weseler Straße 28, 47169 Duisburg"`` into street, number, postcode, city.

    Accepted: ``street number[, [postcode] city]``, ``street number postcode city`` and
    ``street[, city]`` (no house number). Raises ``ValueError`` for an empty address.
    """
    text = " ".join(str(text).split())
    if not text:
        raise ValueError("the address is empty")
    first, _, rest = (p.strip() for p in text.partition(","))
    whole = _NO_COMMA.match(first) if not rest else None
    if whole:
        return AddressQuery(
            text, whole["street"], whole["number"], whole["postcode"], whole["city"].strip()
        )
    parts = _STREET_AND_NUMBER.match(first)
    street, number = (parts["street"], parts["number"]) if parts else (first, None)
    postcode, city = None, None
    for piece in (p.strip() for p in rest.split(",") if p.strip()):
        code = _POSTCODE.match(piece)
        if code:
            postcode, city = code["postcode"], code["city"] or city
        elif city is None:
            city = piece
    return AddressQuery(text, street, number, postcode, city or None)


def _numbers_of(value: Any) -> set[str]:
    """Every house number an OSM ``addr:housenumber`` value stands for (normalised)."""
    numbers: set[str] = set()
    for part in re.split(r"[;,]", str(value)):
        key = housenumber_key(part)
        if not key:
            continue
        span = _RANGE.match(part)
        if span:
            low, high = sorted((int(span[1]), int(span[2])))
            step = 2 if low % 2 == high % 2 else 1
            if high - low <= 200:
                numbers.update(str(n) for n in range(low, high + 1, step))
                continue
        numbers.add(key)
    return numbers


def _base(number_key: str) -> str:
    match = re.match(r"\d+", number_key)
    return match.group(0) if match else number_key


def _street_rows(query: AddressQuery, addresses: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The address rows on the query's street that do not contradict its postcode/city."""
    wanted = street_key(query.street)
    streets = addresses["street"].astype(object)
    rows = addresses[[isinstance(s, str) and street_key(s) == wanted for s in streets]]
    if query.postcode and len(rows):
        codes = rows["postcode"].astype(object)
        rows = rows[[not isinstance(c, str) or c.strip() == query.postcode for c in codes]]
    if query.city and len(rows):
        cities = rows["city"].astype(object)
        rows = rows[[not isinstance(c, str) or cities_match(c, query.city) for c in cities]]
    return rows


def _point_of_rows(rows: gpd.GeoDataFrame) -> tuple[float, float, str, int]:
    """Lon/lat (EPSG:4326) of the matching rows, the source of the point and how many
    separate places they are (rows within ``_SAME_PLACE_M`` of the first count as one)."""
    first = rows.geometry.iloc[0]
    metric = rows.geometry.to_crs(ANALYSIS_CRS)
    places = int((metric.distance(metric.iloc[0]) > _SAME_PLACE_M).sum()) + 1
    return first.x, first.y, str(rows["source"].iloc[0]), places


def _street_middle(rows: gpd.GeoDataFrame) -> tuple[float, float]:
    """The street's middle: the address point nearest to the centroid of the street's
    address points (computed in EPSG:25832; returned as lon/lat, EPSG:4326)."""
    metric = rows.geometry.to_crs(ANALYSIS_CRS)
    centre_x, centre_y = float(metric.x.mean()), float(metric.y.mean())
    nearest = int(np.argmin((metric.x - centre_x) ** 2 + (metric.y - centre_y) ** 2))
    point = rows.geometry.iloc[nearest]
    return point.x, point.y


def match_address(query: AddressQuery, addresses: gpd.GeoDataFrame | None) -> AddressMatch:
    """Place ``query`` on the OSM ``addresses`` layer (points, EPSG:4326, columns
    ``street``, ``housenumber``, ``postcode``, ``city``, ``source``); see the module notes
    for the rules and qualities. ``addresses`` None or empty → ``unknown``."""
    if addresses is None or addresses.empty:
        return AddressMatch("unknown", note=f"no OSM addresses to look up {query.text!r} in")
    rows = _street_rows(query, addresses)
    if rows.empty:
        return AddressMatch("unknown", note=f"street {query.street!r} is not in the OSM data")
    if query.housenumber:
        wanted = housenumber_key(query.housenumber)
        numbers = [_numbers_of(v) for v in rows["housenumber"]]
        exact = rows[[wanted in n for n in numbers]]
        if len(exact):
            lon, lat, source, places = _point_of_rows(exact)
            note = f"{query.street} {query.housenumber} found in OSM ({source})"
            if places > 1:
                note += f"; {places} places carry this address, the first is used"
            return AddressMatch("exact", lon, lat, note, source)
        same_base = rows[[any(_base(k) == _base(wanted) for k in n) for n in numbers]]
        if len(same_base):
            lon, lat, source, _ = _point_of_rows(same_base)
            found = same_base["housenumber"].iloc[0]
            note = (
                f"house number {query.housenumber} is not in OSM; placed at "
                f"{query.street} {found} ({source})"
            )
            return AddressMatch("approximate", lon, lat, note, source)
    lon, lat = _street_middle(rows)
    missing = f"house number {query.housenumber} is not in OSM; " if query.housenumber else ""
    note = f"{missing}placed at the middle of {query.street} ({len(rows)} OSM addresses)"
    return AddressMatch("approximate", lon, lat, note, "osm:street")


def locate_address(
    text: str,
    addresses: gpd.GeoDataFrame | None,
    geocoder: Any = None,
    area: Any = None,
) -> AddressMatch:
    """Place the address ``text``: on the OSM ``addresses`` (EPSG:4326) first; where that
    gives no exact match and a ``geocoder``
    (:class:`geoquartier.layers.sources.nominatim.NominatimGeocoder`, online, opt-in) is
    given, its answer is used if it is better. ``area`` (Polygon, EPSG:4326) limits the
    geocoder to the quartier's surroundings. Raises ``ValueError`` for an empty address."""
    query = parse_address(text)
    local = match_address(query, addresses)
    if local.quality == "exact" or geocoder is None:
        return local
    online = geocoder.search(query.text, area=area)
    if online is None or not online.placed:
        if online is not None and online.note:
            return AddressMatch(
                local.quality, local.lon, local.lat, f"{local.note}; {online.note}", local.source
            )
        return local
    if online.quality == "exact" or local.quality == "unknown":
        return online
    return local
