"""Zensus 2022 population grid (100 m cells) as the ``population`` layer.

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

from pathlib import Path

import geopandas as gpd
import pandas as pd
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
