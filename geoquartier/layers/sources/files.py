"""Planners' own files: CSV with coordinate columns, GeoJSON, GeoPackage.

:func:`read_planner_file` reads offices, services, measures (or any other layer) that a
planning office keeps itself and returns a GeoDataFrame in EPSG:4326 for
:func:`geoquartier.layers.validate`; it does not validate (the store does, and names every
feature and field that is wrong).

CSV:

* separator ``,``, ``;`` or tab (detected); encoding UTF-8 (with or without BOM) or,
  failing that, Windows-1252 (Excel's default in Germany);
* coordinates in a pair of columns named (case-insensitive) ``lon``/``lat``,
  ``lng``/``lat``, ``longitude``/``latitude``, ``laenge``/``breite``, ``x``/``y``; values
  may use a decimal comma (``11,587``);
* coordinates are longitude/latitude (EPSG:4326) unless ``crs`` says otherwise
  (e.g. ``EPSG:25832`` for x/y in metres);
* list columns (``languages``) may be written ``de, tr`` or ``de;tr``.

A missing ``id`` column is filled with ``<file stem>-<row number>`` (stable while the file
keeps its row order); a missing ``quartier`` column with the ``quartier`` argument.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.schema import layer_schema
from geoquartier.layers.sources._common import require_file

COORDINATE_PAIRS: tuple[tuple[str, str], ...] = (
    ("lon", "lat"),
    ("lng", "lat"),
    ("long", "lat"),
    ("longitude", "latitude"),
    ("laenge", "breite"),
    ("länge", "breite"),
    ("x", "y"),
)
"""Accepted (x, y) column name pairs of a CSV, tried in this order."""

SUFFIXES = (".csv", ".geojson", ".json", ".gpkg")


def read_planner_file(
    path: str | Path,
    layer: str,
    quartier: str | None = None,
    crs: str | None = None,
    file_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """A planner's CSV/GeoJSON/GeoPackage as a GeoDataFrame in EPSG:4326 for ``layer``.

    ``crs`` is the CRS of CSV coordinates (default EPSG:4326, degrees) or of a GeoJSON
    that declares none; ``file_layer`` picks a layer of a GeoPackage that holds several.
    Raises GeoquartierError naming the file and what is missing.
    """
    layer_schema(layer)  # unknown layer names fail early
    path = require_file(path, f"{layer} file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        gdf = _read_csv(path, crs or STORAGE_CRS)
    elif suffix in (".geojson", ".json", ".gpkg"):
        gdf = _read_vector(path, crs, file_layer)
    else:
        raise GeoquartierError(
            f"{path}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUFFIXES)}"
        )
    if "id" not in gdf.columns:
        gdf.insert(0, "id", [f"{path.stem}-{i + 1}" for i in range(len(gdf))])
    if quartier is not None and "quartier" not in gdf.columns:
        gdf.insert(1, "quartier", quartier)
    return gdf


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_points_csv(path: str | Path, crs: str = STORAGE_CRS) -> gpd.GeoDataFrame:
    """Points from a CSV with a pair of coordinate columns (:data:`COORDINATE_PAIRS`,
    decimal comma allowed) in ``crs``, returned in EPSG:4326; the other columns as text
    (empty → None). A clear :class:`GeoquartierError` names the file, row and column."""
    return _read_csv(Path(path), crs)


def _read_csv(path: Path, crs: str) -> gpd.GeoDataFrame:
    text = _decode(path.read_bytes())
    if not text.strip():
        raise GeoquartierError(f"{path}: the file is empty")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    lower = {c.lower(): c for c in table.columns}
    pair = next(
        ((lower[x], lower[y]) for x, y in COORDINATE_PAIRS if x in lower and y in lower), None
    )
    if pair is None:
        names = " / ".join(f"{x}+{y}" for x, y in COORDINATE_PAIRS)
        raise GeoquartierError(
            f"{path}: no coordinate columns; expected one of the pairs {names}; "
            f"the file has the columns {', '.join(table.columns)}"
        )
    xs, ys = [], []
    for i, (xv, yv) in enumerate(zip(table[pair[0]], table[pair[1]], strict=True)):
        try:
            xs.append(float(xv.strip().replace(",", ".")))
            ys.append(float(yv.strip().replace(",", ".")))
        except ValueError:
            raise GeoquartierError(
                f"{path}: row {i + 2}: coordinates {pair[0]}={xv!r}, {pair[1]}={yv!r} are not "
                "numbers"
            ) from None
    table = table.drop(columns=list(pair)).replace({"": None})
    gdf = gpd.GeoDataFrame(
        table, geometry=[Point(x, y) for x, y in zip(xs, ys, strict=True)], crs=crs
    )
    return gdf.to_crs(STORAGE_CRS)


def _read_vector(path: Path, crs: str | None, file_layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        if path.suffix.lower() == ".gpkg" and file_layer is None:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
            if len(names) > 1:
                raise GeoquartierError(
                    f"{path}: the GeoPackage holds several layers ({', '.join(names)}); "
                    "say which one to read"
                )
        gdf = gpd.read_file(path, layer=file_layer) if file_layer else gpd.read_file(path)
    except GeoquartierError:
        raise
    except Exception as exc:  # pyogrio's DataSourceError, DataLayerError, ...
        raise GeoquartierError(f"{path}: cannot be read as {path.suffix} ({exc})") from exc
    if gdf.crs is None:
        if crs is None:
            raise GeoquartierError(f"{path}: the file declares no CRS; give one (e.g. EPSG:4326)")
        gdf = gdf.set_crs(crs)
    return gdf.to_crs(STORAGE_CRS)
