"""Zensus 2022 population grid (100 m cells) as the ``population`` layer.

Two formats are read:

* cells as polygons (GeoJSON / GeoPackage), :func:`read_zensus_grid`;
* the Destatis download (CSV, one file for all of Germany), :func:`read_zensus_csv`:
  semicolon-separated, one row per inhabited cell with the cell id and the cell centre in
  EPSG:3035 (``GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner``). It is streamed in chunks,
  only the rows whose centre lies in the quartier's bounding box are kept, and the 100 m
  squares are built from the centres. Values Destatis does not publish (``–``, ``-``,
  ``.``, empty, negative) drop the cell and are counted; values marked as uncertain
  (``KLAMMERN`` in ``werterlaeuternde_Zeichen``, or written in parentheses) are kept and
  counted. See docs/import.md for the format and its sources.

The grid comes in EPSG:3035 (ETRS89-LAEA) with one row per inhabited cell and the
residents in a column ``einwohner`` (Destatis "Bevölkerung im 100m-Gitter"). A cell
belongs to a quartier when its centroid lies inside the quartier boundary, the rule
Destatis recommends for aggregating grid cells to areas; the cell is kept whole (no
splitting of residents at the boundary). Cells are returned as polygons in EPSG:4326.

Secrecy: Zensus 2022 publishes cells with too few residents as ``-`` / empty or, in some
derived files, as ``-1``. Such cells (missing or negative ``einwohner``) carry no usable
count; they are dropped and counted in ``gdf.attrs["suppressed_cells"]`` so the import
summary can report them. The Magdeburg grid has none (its smallest cell holds 3).

Licence: © Statistisches Bundesamt (Destatis), Zensus 2022, dl-de/by-2.0.
"""

from __future__ import annotations

import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.sources._common import frame, require_file

SOURCE = "zensus2022"
"""Prefix of the ``source`` of every population cell read from the Zensus 2022 grid."""

ZENSUS_CRS = "EPSG:3035"
"""CRS of the Zensus grid (used when the file declares none)."""

RESIDENT_COLUMNS = ("einwohner", "Einwohner", "EINWOHNER", "residents")
"""Accepted names of the residents column."""

ATTRIBUTION = "© Statistisches Bundesamt (Destatis), Zensus 2022, dl-de/by-2.0"


def read_zensus_grid(
    path: str | Path, quartier: str, boundary: BaseGeometry | None = None
) -> gpd.GeoDataFrame:
    """The population layer from a Zensus 2022 grid file (GeoJSON/GPKG, EPSG:3035).

    ``boundary`` (Polygon/MultiPolygon, EPSG:4326) keeps the cells whose centroid lies
    inside it (centroids computed in EPSG:3035, where the cells are squares); None keeps
    all cells. Returns cell polygons in EPSG:4326 with ``residents`` (int, persons) and
    ``source`` ``zensus2022:<grid_id>``.
    """
    path = require_file(path, "Zensus grid file")
    try:
        grid = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise GeoquartierError(f"{path}: not a readable GeoJSON/GeoPackage ({exc})") from exc
    column = next((c for c in RESIDENT_COLUMNS if c in grid.columns), None)
    if column is None:
        raise GeoquartierError(
            f"{path}: no residents column; expected one of {', '.join(RESIDENT_COLUMNS)}, "
            f"found {', '.join(map(str, grid.columns))}"
        )
    if grid.crs is None:
        grid = grid.set_crs(ZENSUS_CRS)
    residents = pd.to_numeric(grid[column], errors="coerce")
    usable = residents.notna() & (residents >= 0)
    suppressed = int((~usable).sum())
    grid = grid[usable].copy()
    grid["residents"] = residents[usable].round().astype("int64")
    if boundary is not None:
        area = gpd.GeoSeries([boundary], crs=STORAGE_CRS).to_crs(grid.crs).iloc[0]
        grid = grid[grid.geometry.centroid.within(area)]
    if "grid_id" in grid.columns:
        ids = grid["grid_id"].astype(str)
    else:
        centroids = grid.geometry.centroid
        ids = pd.Series([f"E{int(p.x)}N{int(p.y)}" for p in centroids], index=grid.index)
    grid = grid.to_crs(STORAGE_CRS)
    records = [
        {
            "id": f"{quartier}:zensus2022-{gid}",
            "quartier": quartier,
            "residents": int(n),
            "source": f"{SOURCE}:{gid}",
            "geometry": geom,
        }
        for gid, n, geom in zip(ids, grid["residents"], grid.geometry, strict=True)
    ]
    out = frame(records, "population")
    out.attrs["suppressed_cells"] = suppressed
    out.attrs["attribution"] = ATTRIBUTION
    return out


# ----------------------------------------------------------------------------------------
# The Destatis CSV download
# ----------------------------------------------------------------------------------------
CSV_SUFFIXES = (".csv", ".zip")
CSV_ID_PREFIX = "gitter_id_"
"""The cell id column is ``GITTER_ID_100m`` (Zensus 2022; ``Gitter_ID_100m`` in 2011)."""
CSV_RESIDENTS = "einwohner"
"""The residents column (``Einwohner``), compared without case."""
CSV_FLAGS = "werterlaeuternde_zeichen"
"""Destatis' column of value notes (``werterlaeuternde_Zeichen``), where present."""
SUPPRESSED_MARKS = ("–", "—", "-", ".", "/", "x", "X", "")
"""How a value Destatis does not publish is written (``–`` U+2013 in the 2022 files)."""
UNCERTAIN_MARK = "KLAMMERN"
"""``werterlaeuternde_Zeichen`` value for a value of limited reliability (in brackets)."""
CHUNK_ROWS = 250_000
_CELL_ID = re.compile(r"RES(\d+)(m|km)N(\d+)E(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class _CsvColumns:
    grid_id: str
    x: str | None
    y: str | None
    residents: str
    flags: str | None
    cell_size_m: float


def _cell_size_m(id_column: str) -> float:
    suffix = id_column[len(CSV_ID_PREFIX) :].lower()
    match = re.fullmatch(r"(\d+)(m|km)", suffix)
    if not match:
        return 100.0
    return float(match[1]) * (1000 if match[2] == "km" else 1)


def _csv_columns(path: Path, header: list[str]) -> _CsvColumns:
    """Find the Destatis columns in ``header``; GeoquartierError names what is missing."""
    lower = {c.strip().lower(): c for c in header}
    grid_id = next((c for k, c in lower.items() if k.startswith(CSV_ID_PREFIX)), None)
    residents = lower.get(CSV_RESIDENTS)
    if grid_id is None or residents is None:
        raise GeoquartierError(
            f"{path}: not a Zensus 2022 grid CSV; expected the columns GITTER_ID_100m, "
            f"x_mp_100m, y_mp_100m and Einwohner (separator ';'), found {', '.join(header)}"
        )
    level = grid_id.strip().lower()[len(CSV_ID_PREFIX) :]
    return _CsvColumns(
        grid_id=grid_id,
        x=lower.get(f"x_mp_{level}"),
        y=lower.get(f"y_mp_{level}"),
        residents=residents,
        flags=lower.get(CSV_FLAGS),
        cell_size_m=_cell_size_m(grid_id.strip().lower()),
    )


@contextmanager
def _open_csv(path: Path):
    """The grid CSV as a binary stream (inside a Destatis ZIP: its 100 m CSV) and its size."""
    if path.suffix.lower() != ".zip":
        with path.open("rb") as handle:
            yield handle, path.stat().st_size
        return
    with zipfile.ZipFile(path) as archive:
        members = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")]
        member = next((i for i in members if "100m" in i.filename.lower()), None)
        member = member or (members[0] if len(members) == 1 else None)
        if member is None:
            raise GeoquartierError(f"{path}: holds no 100 m grid CSV (…100m…csv)")
        with archive.open(member) as handle:
            yield handle, member.file_size


def _centres_from_ids(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres (EPSG:3035) from INSPIRE ids ``CRS3035RES100mN3216200E4433100``
    (the id names the lower-left corner)."""
    parts = ids.str.extract(_CELL_ID)
    size = pd.to_numeric(parts[0], errors="coerce") * np.where(
        parts[1].str.lower() == "km", 1000, 1
    )
    north = pd.to_numeric(parts[2], errors="coerce") + size / 2
    east = pd.to_numeric(parts[3], errors="coerce") + size / 2
    return east.to_numpy(dtype=float), north.to_numpy(dtype=float)


def _residents(values: pd.Series, flags: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """Residents as floats (NaN where not published) and a mask of uncertain values."""
    text = values.fillna("").astype(str).str.strip()
    bracketed = text.str.startswith("(") & text.str.endswith(")")
    text = text.str.strip("()").str.strip()
    suppressed = text.isin(SUPPRESSED_MARKS)
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    numbers = numbers.where(~suppressed & (numbers >= 0))
    uncertain = bracketed
    if flags is not None:
        uncertain = uncertain | flags.fillna("").astype(str).str.upper().str.contains(
            UNCERTAIN_MARK
        )
    return numbers, uncertain & numbers.notna()


def read_zensus_csv(
    path: str | Path,
    quartier: str,
    boundary: BaseGeometry | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """The population layer from the Destatis Zensus 2022 grid CSV (or its ZIP).

    Streams the file in chunks of ``chunk_rows`` rows, keeps the cells whose centre
    (EPSG:3035) lies inside ``boundary`` (Polygon/MultiPolygon, EPSG:4326; None keeps all)
    and builds each cell's square from its centre. Returns cell polygons in EPSG:4326 with
    ``residents`` and ``source`` ``zensus2022:<GITTER_ID>``; ``attrs`` count
    ``suppressed_cells`` (not published, dropped), ``uncertain_cells`` (kept) and
    ``rows_read``. ``progress`` shows a tqdm bar over the bytes read.
    """
    path = require_file(path, "Zensus grid file")
    if path.suffix.lower() not in CSV_SUFFIXES:
        raise GeoquartierError(f"{path}: expected a .csv (or the Destatis .zip) grid file")
    area = None
    if boundary is not None:
        area = gpd.GeoSeries([boundary], crs=STORAGE_CRS).to_crs(ZENSUS_CRS).iloc[0]
        shapely.prepare(area)
    kept, counts = _stream_cells(path, area, chunk_rows, progress)
    cells = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    records = []
    if len(cells):
        half = cells["size"].to_numpy() / 2
        squares = shapely.box(
            cells["x"] - half, cells["y"] - half, cells["x"] + half, cells["y"] + half
        )
        squares = gpd.GeoSeries(squares, crs=ZENSUS_CRS).to_crs(STORAGE_CRS)
        records = [
            {
                "id": f"{quartier}:zensus2022-{gid}",
                "quartier": quartier,
                "residents": int(round(n)),
                "source": f"zensus2022:{gid}",
                "geometry": geom,
            }
            for gid, n, geom in zip(cells["grid_id"], cells["residents"], squares, strict=True)
        ]
    out = frame(records, "population")
    out.attrs.update(counts)
    out.attrs["attribution"] = ATTRIBUTION
    return out


def _header(handle, path: Path) -> tuple[str, _CsvColumns]:
    """The separator and the Destatis columns from the first line (the stream is not
    advanced). Files are read as UTF-8; bytes that are not UTF-8 (a Windows-1252 ``–``)
    become U+FFFD and, like every value that is not a number, count as not published."""
    head = handle.peek(4096) if hasattr(handle, "peek") else b""
    line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    separator = ";" if ";" in line else ","
    return separator, _csv_columns(path, [c.strip() for c in line.split(separator)])


def _stream_cells(path: Path, area, chunk_rows: int, progress: bool):
    """Read the CSV chunk by chunk; returns the kept cells (DataFrames with grid_id, x, y,
    size, residents) and the counts of rows read, suppressed and uncertain cells."""
    from tqdm import tqdm

    counts = {"rows_read": 0, "suppressed_cells": 0, "uncertain_cells": 0}
    kept = []
    bounds = area.bounds if area is not None else None
    with _open_csv(path) as (handle, size):
        separator, columns = _header(handle, path)
        # with the centre columns, the id is rebuilt for the few cells kept (INSPIRE ids
        # name the lower-left corner), so 3 million id texts need not be parsed
        grid_id = None if columns.x and columns.y else columns.grid_id
        wanted = [grid_id, columns.x, columns.y, columns.residents, columns.flags]
        bar = tqdm(total=size, unit="B", unit_scale=True, desc=path.name, disable=not progress)
        try:
            reader = pd.read_csv(
                handle,
                sep=separator,
                dtype=_dtypes(columns),
                usecols=[c for c in wanted if c],
                chunksize=chunk_rows,
                keep_default_na=False,
                encoding="utf-8-sig",
                encoding_errors="replace",
            )
            for chunk in reader:
                counts["rows_read"] += len(chunk)
                cells = _cells_of_chunk(chunk, columns, area, bounds, counts)
                if len(cells):
                    kept.append(cells)
                bar.update(max(0, handle.tell() - bar.n))
        except (ValueError, pd.errors.ParserError) as exc:
            message = " ".join(str(exc).split())[:160]
            raise GeoquartierError(f"{path}: not a readable Zensus grid CSV ({message})") from exc
        finally:
            bar.close()
    return kept, counts


def _ids_from_centres(x: np.ndarray, y: np.ndarray, columns: _CsvColumns) -> list[str]:
    """INSPIRE cell ids (``CRS3035RES100mN3216200E4433100``) from centres (EPSG:3035)."""
    resolution = columns.grid_id.strip()[len(CSV_ID_PREFIX) :]
    half = columns.cell_size_m / 2
    return [
        f"CRS3035RES{resolution}N{round(north - half)}E{round(east - half)}"
        for east, north in zip(x, y, strict=True)
    ]


def _dtypes(columns: _CsvColumns) -> dict[str, object]:
    """Coordinates are parsed as numbers by the C parser (fast; a text in them is an
    error); ids, residents and notes as text (residents may be ``–`` or ``(12)``)."""
    types: dict[str, object] = {columns.grid_id: str, columns.residents: str}
    types = {k: v for k, v in types.items() if k is not None}
    if columns.x and columns.y:
        types.update({columns.x: "float64", columns.y: "float64"})
    if columns.flags:
        types[columns.flags] = str
    return types


def _cells_of_chunk(chunk: pd.DataFrame, columns: _CsvColumns, area, bounds, counts: dict):
    """The cells of one chunk whose centre lies in ``area`` (EPSG:3035), counted."""
    if columns.x and columns.y:
        x = chunk[columns.x].to_numpy(dtype=float)
        y = chunk[columns.y].to_numpy(dtype=float)
    else:
        x, y = _centres_from_ids(chunk[columns.grid_id])
    inside = np.isfinite(x) & np.isfinite(y)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        inside &= (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
        candidates = np.flatnonzero(inside)
        inside[candidates] = shapely.contains_xy(area, x[candidates], y[candidates])
    chunk = chunk[inside]
    flags = chunk[columns.flags] if columns.flags else None
    residents, uncertain = _residents(chunk[columns.residents], flags)
    counts["suppressed_cells"] += int(residents.isna().sum())
    counts["uncertain_cells"] += int(uncertain.sum())
    usable = residents.notna().to_numpy()
    x, y = x[inside][usable], y[inside][usable]
    if columns.grid_id in chunk:
        ids = chunk[columns.grid_id].str.strip().to_numpy()[usable]
    else:
        ids = _ids_from_centres(x, y, columns)
    return pd.DataFrame(
        {
            "grid_id": ids,
            "x": x,
            "y": y,
            "size": columns.cell_size_m,
            "residents": residents.to_numpy()[usable],
        }
    )


def read_zensus(
    path: str | Path, quartier: str, boundary: BaseGeometry | None = None, progress: bool = False
) -> gpd.GeoDataFrame:
    """The population layer from either Zensus format, chosen by the file's suffix:
    ``.csv`` / ``.zip`` → :func:`read_zensus_csv`, else :func:`read_zensus_grid`.
    ``boundary`` is EPSG:4326; the result is EPSG:4326."""
    if Path(path).suffix.lower() in CSV_SUFFIXES:
        return read_zensus_csv(path, quartier, boundary, progress=progress)
    return read_zensus_grid(path, quartier, boundary)
