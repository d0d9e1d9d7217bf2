"""Small helpers shared by the source readers (not part of the public API)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geoquartier.errors import DataMissingError
from geoquartier.layers.schema import LAYERS, STORAGE_CRS, WHEELCHAIR_VALUES, iso639_1_codes


def require_file(path: str | Path, what: str) -> Path:
    """``path`` as a Path, or DataMissingError naming ``what`` and the data directory setting."""
    path = Path(path)
    if not path.exists():
        raise DataMissingError(
            f"{what} not found: {path}. Put the file there or point the environment "
            "variable GEOQUARTIER_DATA at the folder that holds the data."
        )
    return path


def text(value: Any) -> str | None:
    """A stripped string, or None for missing/NaN/empty values."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA:
        return None
    value = str(value).strip()
    return value or None


def wheelchair(value: Any) -> str | None:
    """An OSM ``wheelchair`` value if it is one of yes/limited/no/designated, else None."""
    value = text(value)
    return value if value in WHEELCHAIR_VALUES else None


def opening_hours(value: Any) -> str | None:
    """The ``opening_hours`` expression if it parses, else None (OSM data holds typos)."""
    value = text(value)
    if value is None:
        return None
    from geoquartier.layers.opening_hours import validate_opening_hours

    return value if validate_opening_hours(value) is None else None


def iso_languages(codes: list[str]) -> list[str]:
    """Only the ISO 639-1 codes of ``codes``."""
    known = iso639_1_codes()
    return [c for c in codes if c in known]


def point_of(geometry: BaseGeometry) -> Point:
    """A point for a feature: the point itself, or a point inside the (multi)polygon/line."""
    if geometry.geom_type == "Point":
        return geometry
    return geometry.representative_point()


def frame(records: list[dict[str, Any]], layer: str) -> gpd.GeoDataFrame:
    """A GeoDataFrame (EPSG:4326) with the layer's columns in schema order and ``geometry``."""
    columns = LAYERS[layer].columns
    if not records:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in columns},
            geometry=gpd.GeoSeries([], crs=STORAGE_CRS),
            crs=STORAGE_CRS,
        )
    df = pd.DataFrame.from_records(records)
    for column in columns:
        if column not in df:
            df[column] = None
    geometry = df.pop("geometry")
    return gpd.GeoDataFrame(df[columns], geometry=list(geometry), crs=STORAGE_CRS)


def address_text(tags: Any) -> str | None:
    """``"Street 12, 91207 City"`` from ``addr:*`` tags (a mapping), or None."""
    street = text(tags.get("addr:street")) or text(tags.get("addr:place"))
    number = text(tags.get("addr:housenumber"))
    postcode = text(tags.get("addr:postcode"))
    city = text(tags.get("addr:city"))
    first = " ".join(p for p in (street, number) if p)
    second = " ".join(p for p in (postcode, city) if p)
    joined = ", ".join(p for p in (first, second) if p)
    return joined or None
