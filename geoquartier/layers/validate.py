"""Validate and normalise a layer: one entry point, every problem reported at once.

:func:`validate` takes a GeoDataFrame in any CRS and returns it in EPSG:4326 with the
layer's columns in schema order and typed (pandas nullable dtypes, ``languages`` as Python
lists, datetimes as UTC-aware ``datetime64[ms, UTC]``), or raises one
:class:`geoquartier.errors.ValidationError` that lists every problem found. Columns that
the schema does not name are dropped.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoquartier.errors import Problem, ValidationError
from geoquartier.layers.opening_hours import validate_opening_hours
from geoquartier.layers.schema import (
    GERMAN_STATES,
    LOCAL_TIMEZONE,
    PLAUSIBLE_BOUNDS,
    STORAGE_CRS,
    WGS84_BOUNDS,
    Field,
    LayerSchema,
    iso639_1_codes,
    layer_schema,
)
from geoquartier.vocabulary import TIME_ZONE

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_LANG_SPLIT = re.compile(r"[;,\s]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters removed from text (tab, newline and carriage return stay)."""
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
"""Zero-width characters: a text of nothing else (and blanks) counts as empty."""
_INVISIBLE_EDGES = re.compile(rf"^[\s{ZERO_WIDTH}]+|[\s{ZERO_WIDTH}]+$")

EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
"""Dates are accepted from 1 January 1900 to 31 December 2100 (UTC); anything outside is
a typing error (and would overflow the millisecond datetime columns of the layers)."""
DATE_RANGE = f"a date between {EARLIEST_YEAR} and {LATEST_YEAR}"
_EARLIEST_UTC = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
_AFTER_LATEST_UTC = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)


class _Missing:
    """Marks a value that could not be converted (a problem has been recorded)."""


_BAD = _Missing()


def validate(gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Validate ``gdf`` as ``layer`` and return it normalised.

    Takes a GeoDataFrame in any CRS (it must have one); returns a new GeoDataFrame in
    EPSG:4326 (degrees) with a fresh RangeIndex, the schema's columns in order (missing
    optional columns added as null), typed columns, stripped strings (empty -> null).
    Raises ``ValidationError`` listing every problem: missing CRS, wrong geometry type,
    invalid/empty geometry, coordinates outside the plausible range, unknown vocabulary
    values, malformed opening_hours, non-ISO-639-1 language codes, duplicate ids, missing
    required fields, unparsable numbers/dates. ``index`` in each problem is the row
    position (0-based) in ``gdf``.
    """
    schema = layer_schema(layer)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ValidationError(
            layer, [Problem(None, None, "geometry", type(gdf).__name__, "a GeoDataFrame")]
        )
    problems: list[Problem] = []
    frame = gdf.reset_index(drop=True)
    if schema.name == "quartiers" and "quartier" not in frame.columns and "id" in frame.columns:
        frame = frame.assign(quartier=frame["id"])  # a quartier's own slug is its id
    ids = _raw_ids(frame)

    columns: dict[str, pd.Series] = {}
    for fld in schema.all_fields:
        raw = frame[fld.name] if fld.name in frame.columns else None
        columns[fld.name] = _convert_column(fld, raw, len(frame), ids, problems, schema)

    _check_ids(columns["id"], problems)
    _check_dates(schema, columns, ids, problems)
    geometry = _check_geometry(frame, schema, ids, problems)

    if problems:
        problems.sort(key=lambda p: (-1 if p.index is None else p.index, p.field))
        raise ValidationError(layer, problems)

    out = gpd.GeoDataFrame(columns, geometry=geometry, crs=STORAGE_CRS)
    out.index = pd.RangeIndex(len(out))
    return out


# -- internals ----------------------------------------------------------------------------


def _raw_ids(frame: pd.DataFrame) -> list[Any]:
    if "id" not in frame.columns:
        return [None] * len(frame)
    return [None if _is_null(v) else (_text(v).strip() or None) for v in frame["id"]]


def _text(value: Any) -> str:
    """Text of a cell; whole floats lose their ``.0`` (ids, house numbers, postcodes)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (list, tuple, np.ndarray, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _convert_column(
    fld: Field,
    raw: pd.Series | None,
    n: int,
    ids: list[Any],
    problems: list[Problem],
    schema: LayerSchema,
) -> pd.Series:
    values: list[Any] = [None] * n if raw is None else list(raw)
    converted: list[Any] = []
    for i, value in enumerate(values):
        result = _convert_value(fld, value, i, ids[i], problems)
        if result is None and fld.required and result is not _BAD:
            expected = f"a value (required in layer {schema.name!r})"
            if fld.vocabulary:
                expected += "; one of " + ", ".join(fld.vocabulary)
            problems.append(
                Problem(i, ids[i], fld.name, None if _is_null(value) else value, expected)
            )
        converted.append(None if result is _BAD else result)
    return _typed_series(fld, converted)


def _typed_series(fld: Field, values: list[Any]) -> pd.Series:
    if fld.kind == "languages":
        return pd.Series(values, dtype=object, name=fld.name)
    if fld.kind == "datetime":
        ts = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        return ts.astype(fld.dtype).rename(fld.name)
    return pd.Series(values, dtype=fld.dtype, name=fld.name)


def _convert_value(fld: Field, value: Any, i: int, fid: Any, problems: list[Problem]) -> Any:
    """Convert one cell; ``None`` for null, ``_BAD`` (and a problem) if it cannot be."""

    def bad(expected: str) -> _Missing:
        problems.append(Problem(i, fid, fld.name, value, expected))
        return _BAD

    if fld.kind == "languages":
        return _convert_languages(value, bad)
    if _is_null(value):
        return None
    try:
        convert = _CONVERTERS[fld.kind]
    except KeyError:
        raise AssertionError(f"unknown field kind {fld.kind!r}") from None
    return convert(fld, value, bad)


def clean_text(value: str, *, single_line: bool = False) -> str:
    """``value`` without control characters, then without blanks and zero-width characters
    at either end (in this order: a text of controls and blanks becomes empty).

    ``single_line`` also turns every run of whitespace into one space. Zero-width joiners
    inside the text stay (emoji sequences, Persian); a text of nothing else is empty.
    """
    text = _CONTROL.sub("", value)
    if single_line:
        text = " ".join(text.split())
    return _INVISIBLE_EDGES.sub("", text)


def in_date_range(value: datetime) -> bool:
    """Whether ``value`` lies in the years :data:`EARLIEST_YEAR` to :data:`LATEST_YEAR`
    (UTC; a naive value is local time in Europe/Berlin)."""
    if not EARLIEST_YEAR - 1 <= value.year <= LATEST_YEAR + 1:
        return False  # also keeps the comparison below clear of overflows
    aware = value if value.tzinfo is not None else value.replace(tzinfo=TIME_ZONE)
    return _EARLIEST_UTC <= aware < _AFTER_LATEST_UTC


def _text_value(fld: Field, value: Any, bad, single_line: bool) -> Any:
    """The cleaned text of a cell (see :func:`clean_text`), ``None`` if nothing is left."""
    if isinstance(value, (list, tuple, dict, np.ndarray)):
        return bad("text")
    text = clean_text(_text(value), single_line=single_line)
    if not text:
        return None
    if fld.max_length is not None and len(text) > fld.max_length:
        return bad(f"text of at most {fld.max_length} characters")
    return text


def _convert_str(fld: Field, value: Any, bad) -> Any:
    text = _text_value(fld, value, bad, single_line=False)
    if isinstance(text, str) and fld.vocabulary is not None and text not in fld.vocabulary:
        return bad("one of " + ", ".join(fld.vocabulary))
    return text


def _convert_code(fld: Field, value: Any, bad, normalise, known, expected: str) -> Any:
    """A single-line code, ``normalise``d, that must be one of ``known``."""
    text = _text_value(fld, value, bad, single_line=True)
    if not isinstance(text, str):
        return text
    code = normalise(text)
    return code if code in known else bad(expected)


def _convert_checked(fld: Field, value: Any, bad, problem) -> Any:
    """Single-line text that ``problem(text)`` accepts (None) or describes as expected."""
    text = _text_value(fld, value, bad, single_line=True)
    if isinstance(text, str):
        expected = problem(text)
        if expected is not None:
            return bad(expected)
    return text


def _convert_language(fld: Field, value: Any, bad) -> Any:
    expected = "an ISO 639-1 language code (two letters, e.g. de, tr)"
    return _convert_code(fld, value, bad, str.lower, iso639_1_codes(), expected)


def _opening_hours_problem(text: str) -> str | None:
    error = validate_opening_hours(text)
    return None if error is None else f"OSM opening_hours syntax ({error})"


def _convert_opening_hours(fld: Field, value: Any, bad) -> Any:
    return _convert_checked(fld, value, bad, _opening_hours_problem)


def _email_problem(text: str) -> str | None:
    return None if _EMAIL.match(text) else "an e-mail address like name@example.org"


def _convert_email(fld: Field, value: Any, bad) -> Any:
    return _convert_checked(fld, value, bad, _email_problem)


def _state_code(text: str) -> str:
    code = text.upper()
    return code if code.startswith("DE-") else f"DE-{code}"


def _convert_state(fld: Field, value: Any, bad) -> Any:
    expected = "a German state as ISO 3166-2, e.g. DE-NW, DE-ST"
    return _convert_code(fld, value, bad, _state_code, GERMAN_STATES, expected)


def _convert_int(fld: Field, value: Any, bad) -> Any:
    number = _to_number(value)
    if number is None or not math.isfinite(number) or not float(number).is_integer():
        return bad("a whole number")
    if fld.minimum is not None and number < fld.minimum:
        return bad(f"a whole number >= {fld.minimum:g}")
    return int(number)


def _convert_float(fld: Field, value: Any, bad) -> Any:
    number = _to_number(value)
    if number is None or not math.isfinite(number):
        return bad("a number")
    if fld.minimum is not None and number < fld.minimum:
        return bad(f"a number >= {fld.minimum:g}")
    return float(number)


def _convert_bool(fld: Field, value: Any, bad) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "ja"):
        return True
    if text in ("no", "false", "0", "nein"):
        return False
    return bad("yes/no (true/false)")


def _convert_datetime(fld: Field, value: Any, bad) -> Any:
    expected = "a date or date-time (ISO 8601, e.g. 2026-06-04T18:00)"
    if isinstance(value, (bool, int, float, np.number)):
        return bad(expected)
    try:
        ts = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError, OverflowError):
        return bad(expected)
    if ts is pd.NaT:
        return None
    if not in_date_range(ts):
        return bad(DATE_RANGE)
    if ts.tzinfo is None:
        try:
            ts = ts.tz_localize(LOCAL_TIMEZONE, ambiguous=True, nonexistent="shift_forward")
        except (ValueError, TypeError):
            return bad(f"a date-time that exists in {LOCAL_TIMEZONE}")
    return ts.tz_convert("UTC").floor("ms")


_CONVERTERS = {
    "str": _convert_str,
    "language": _convert_language,
    "opening_hours": _convert_opening_hours,
    "email": _convert_email,
    "state": _convert_state,
    "int": _convert_int,
    "float": _convert_float,
    "bool": _convert_bool,
    "datetime": _convert_datetime,
}
"""One converter per field kind (``languages`` has its own, it also takes null)."""


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float, np.integer, np.floating)):
            return float(value)
        text = str(value).strip().replace(",", ".") if isinstance(value, str) else None
        return float(text) if text else None
    except (ValueError, OverflowError):  # not a number, or an integer beyond float range
        return None


def _convert_languages(value: Any, bad) -> Any:
    expected = "a list of ISO 639-1 language codes (two letters, e.g. ['de', 'tr'])"
    if _is_null(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                return bad(expected)
        else:
            items = [p for p in _LANG_SPLIT.split(text) if p]
    elif isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
    else:
        return bad(expected)
    if not isinstance(items, list):
        return bad(expected)
    codes: list[str] = []
    valid = iso639_1_codes()
    for item in items:
        if not isinstance(item, str) or item.strip().lower() not in valid:
            return bad(expected)
        code = item.strip().lower()
        if code not in codes:
            codes.append(code)
    return codes


def _check_ids(ids: pd.Series, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value is pd.NA or value is None:
            continue
        if value in seen:
            problems.append(
                Problem(i, value, "id", value, f"a unique id (also used by feature {seen[value]})")
            )
        else:
            seen[value] = i


def _check_dates(
    schema: LayerSchema, columns: dict[str, pd.Series], ids: list[Any], problems: list[Problem]
) -> None:
    if "start" not in columns or "end" not in columns:
        return
    start, end = columns["start"], columns["end"]
    for i in range(len(start)):
        if pd.notna(start.iloc[i]) and pd.notna(end.iloc[i]) and end.iloc[i] < start.iloc[i]:
            problems.append(
                Problem(i, ids[i], "end", end.iloc[i].isoformat(), "not before 'start'")
            )


def _check_geometry(
    frame: gpd.GeoDataFrame, schema: LayerSchema, ids: list[Any], problems: list[Problem]
) -> gpd.GeoSeries:
    allowed = schema.geometry_types
    expected_type = f"a {'/'.join(allowed)}"
    try:
        geoms = frame.geometry
    except AttributeError:
        problems.append(Problem(None, None, "geometry", None, "a geometry column"))
        return gpd.GeoSeries([None] * len(frame), crs=STORAGE_CRS)
    crs = frame.crs
    if crs is None:
        problems.append(
            Problem(None, None, "crs", None, "a CRS on the GeoDataFrame (e.g. EPSG:4326)")
        )
    arr = np.asarray(geoms.values, dtype=object)
    missing = shapely.is_missing(arr)
    types = np.array(
        [None if m else g.geom_type for g, m in zip(arr, missing, strict=True)], dtype=object
    )
    wrong = ~missing & ~np.isin(types, list(allowed))
    empty = ~missing & ~wrong & shapely.is_empty(arr)
    nonfinite = _nonfinite(arr) & ~missing & ~wrong & ~empty
    ok = ~(missing | wrong | empty | nonfinite)
    invalid = np.zeros(len(arr), dtype=bool)
    invalid[ok] = ~shapely.is_valid(arr[ok])
    for i in np.flatnonzero(~ok | invalid):
        if missing[i]:
            problems.append(Problem(int(i), ids[i], "geometry", None, expected_type))
        elif wrong[i]:
            problems.append(Problem(int(i), ids[i], "geometry", types[i], expected_type))
        elif empty[i]:
            problems.append(Problem(int(i), ids[i], "geometry", "EMPTY", "a non-empty geometry"))
        elif nonfinite[i]:
            problems.append(
                Problem(int(i), ids[i], "geometry", _short(arr[i]), "finite coordinates")
            )
        else:
            reason = shapely.is_valid_reason(arr[i])
            problems.append(
                Problem(int(i), ids[i], "geometry", _short(arr[i]), f"a valid geometry ({reason})")
            )
    ok &= ~invalid
    if crs is None:
        return gpd.GeoSeries(arr, crs=STORAGE_CRS)

    source = CRS.from_user_input(crs)
    series = gpd.GeoSeries(arr, crs=crs)
    reprojected = not source.equals(CRS.from_user_input(STORAGE_CRS))
    if reprojected:
        series = series.to_crs(STORAGE_CRS)
    where = f" (given in {source.to_string()})" if reprojected else ""
    out = np.asarray(series.values, dtype=object)
    bounds = np.full((len(out), 4), np.nan)
    if ok.any():
        bounds[ok] = shapely.bounds(out[ok])
    finite = ok & ~_nonfinite(out) & np.isfinite(bounds).all(axis=1)
    in_wgs84 = finite & _inside(bounds, WGS84_BOUNDS)
    plausible = in_wgs84 & _inside(bounds, PLAUSIBLE_BOUNDS)
    w, s, e, n = PLAUSIBLE_BOUNDS
    for i in np.flatnonzero(ok & ~plausible):
        value = _bounds_text(shapely.get_coordinates(out[i]))
        if not in_wgs84[i]:
            expected = (
                "longitude/latitude within -180..180 / -90..90 degrees in EPSG:4326"
                f"{where}; is the CRS label right?"
            )
        else:
            expected = (
                f"coordinates in Germany (lon {w:g}..{e:g}, lat {s:g}..{n:g} in EPSG:4326)"
                f"{where}; swapped lon/lat or a wrong CRS?"
            )
        problems.append(Problem(int(i), ids[i], "geometry", value, expected))
    return gpd.GeoSeries(out, crs=STORAGE_CRS)


def _nonfinite(arr: np.ndarray) -> np.ndarray:
    """Rows of ``arr`` with a NaN or infinite coordinate."""
    flags = np.zeros(len(arr), dtype=bool)
    present = ~shapely.is_missing(arr)
    if not present.any():
        return flags
    coords, index = shapely.get_coordinates(arr[present], return_index=True)
    bad_rows = np.unique(index[~np.isfinite(coords).all(axis=1)])
    flags[np.flatnonzero(present)[bad_rows]] = True
    return flags


def _inside(bounds: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    w, s, e, n = box
    return (bounds[:, 0] >= w) & (bounds[:, 1] >= s) & (bounds[:, 2] <= e) & (bounds[:, 3] <= n)


def _bounds_text(coords: np.ndarray) -> str:
    finite = coords[np.isfinite(coords).all(axis=1)]
    if len(finite) == 0:
        return "non-finite coordinates"
    x0, y0 = finite.min(axis=0)
    x1, y1 = finite.max(axis=0)
    if x0 == x1 and y0 == y1:
        return f"POINT ({x0:.6g} {y0:.6g})"
    return f"bounds ({x0:.6g} {y0:.6g}, {x1:.6g} {y1:.6g})"


def _short(geom: Any) -> str:
    text = geom.wkt
    return text if len(text) <= 60 else text[:57] + "..."
