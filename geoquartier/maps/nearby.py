"""Where an unnamed place is, in words a resident knows: its street or the nearest stop.

OSM-derived points often carry only a category ("pharmacy"); a list of nine
"Healthcare" entries helps nobody. :func:`nearby_names` finds, per unnamed place, the
street of its own address, else the nearest named street of the walk network or the nearest
address point's street, else the nearest named transit stop. Input frames are in
EPSG:4326; distances are measured in EPSG:25832.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd

from geoquartier.maps.escape import is_missing
from geoquartier.vocabulary import ANALYSIS_CRS

STREET_RADIUS_M = 120.0
"""A street or address point this close (metres) names the place's street."""
STOP_RADIUS_M = 600.0
"""A stop this close (metres) names where the place is when no street is known."""

_HOUSE_NUMBER = re.compile(r"\s+\d+\s*[a-zA-Z]?(\s*[-–/]\s*\d+\s*[a-zA-Z]?)?$")


def street_of(address: object) -> str | None:
    """The street of an address text ("Scharnhorstring 38, Magdeburg" → "Scharnhorstring")."""
    if is_missing(address) or not str(address).strip():
        return None
    first = str(address).split(",", 1)[0].strip()
    street = _HOUSE_NUMBER.sub("", first).strip()
    return street or None


def _short(kind: str, name: str) -> str:
    """A stop name without the city in front ("Magdeburg, Am Stern" → "Am Stern")."""
    return name.rsplit(", ", 1)[-1] if kind == "stop" else name


def _named(gdf: gpd.GeoDataFrame | None, column: str) -> gpd.GeoDataFrame | None:
    if gdf is None or not len(gdf) or column not in gdf:
        return None
    named = gdf[gdf[column].notna() & (gdf[column].astype(str).str.strip() != "")]
    return named[[column, "geometry"]].to_crs(ANALYSIS_CRS) if len(named) else None


def _nearest(
    points: gpd.GeoDataFrame, targets: gpd.GeoDataFrame | None, column: str, radius_m: float
) -> pd.Series:
    """Name (``column``) of the nearest target within ``radius_m`` per point index."""
    if targets is None or not len(points):
        return pd.Series(dtype=object)
    joined = gpd.sjoin_nearest(points, targets, how="left", max_distance=radius_m)
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined[column].dropna()


def nearby_names(
    places: gpd.GeoDataFrame,
    *,
    streets: gpd.GeoDataFrame | None = None,
    addresses: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
) -> dict[str, tuple[str, str]]:
    """``{place id: ("street" | "stop", name)}`` for the unnamed places of ``places``.

    ``places`` (EPSG:4326) with ``id``, optional ``name``/``address``; ``streets`` walk
    network edges with ``name``; ``addresses`` address points with ``street``; ``stops``
    transit stops with ``name`` (all EPSG:4326). Places with a name are skipped.
    """
    if places is None or not len(places):
        return {}
    unnamed = places
    if "name" in places:
        unnamed = places[places["name"].isna() | (places["name"].astype(str).str.strip() == "")]
    unnamed = unnamed[unnamed.geometry.notna() & ~unnamed.geometry.is_empty]
    if not len(unnamed):
        return {}
    points = gpd.GeoDataFrame(
        {"id": unnamed["id"].astype(str).to_numpy()},
        geometry=unnamed.geometry.representative_point().to_numpy(),
        crs=unnamed.crs,
    ).to_crs(ANALYSIS_CRS)
    found: dict[str, tuple[str, str]] = {}
    if "address" in unnamed:
        for pid, address in zip(points["id"], unnamed["address"], strict=True):
            street = street_of(address)
            if street:
                found[pid] = ("street", street)
    lookups = (
        ("street", _named(streets, "name"), "name", STREET_RADIUS_M),
        ("street", _named(addresses, "street"), "street", STREET_RADIUS_M),
        ("stop", _named(stops, "name"), "name", STOP_RADIUS_M),
    )
    for kind, targets, column, radius_m in lookups:
        rest = points[~points["id"].isin(found)]
        for index, name in _nearest(rest, targets, column, radius_m).items():
            found[str(points.at[index, "id"])] = (kind, _short(kind, str(name)))
    return found
