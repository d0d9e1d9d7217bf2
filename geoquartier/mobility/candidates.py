"""Candidate sites for a new office or service: buildings and addresses with a use.

By default (:func:`candidate_sites`) every building of the quartier with a public,
community, religious, educational, retail or office use
(:data:`geoquartier.layers.sources.osm_uses.USE_CLASSES`) is a candidate — from its own
tags, from a point with such a use inside it, or from a use area (a school ground) that
holds it — plus such points that lie in no building (an address of their own), plus the
existing facilities of the other categories. A planner's own list comes from
:func:`read_candidates` (GeoJSON, GeoPackage or CSV with lon/lat).

Every candidate is one point (EPSG:4326; a building's is a point inside it) with ``id``,
``name``, ``use``, ``address`` and ``source``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.schema import PLAUSIBLE_BOUNDS
from geoquartier.layers.sources.files import read_points_csv
from geoquartier.layers.sources.osm_uses import use_class

CANDIDATE_COLUMNS = ["id", "name", "use", "address", "source"]
"""Columns of a candidate layer (besides the point geometry, EPSG:4326)."""

ADDRESS_SEARCH_M = 25.0
"""A point candidate without its own address takes the nearest address point this close."""


def candidate_sites(
    buildings: gpd.GeoDataFrame,
    uses: gpd.GeoDataFrame | None = None,
    addresses: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The default candidate sites of a quartier (EPSG:4326 in and out).

    ``buildings``: the buildings layer (polygons with ``id``, ``building``, ``address``,
    ``source``). ``uses``: :func:`geoquartier.layers.sources.osm_uses.read_uses` of the
    quartier's OSM extract (None: only the ``building`` values say the use).
    ``addresses``: the addresses layer (for candidates without an address).
    ``facilities``: existing facilities of the *other* categories (points with ``id``,
    ``category``, ``name``), each a candidate with use ``existing <category>``.
    """
    if buildings is None or buildings.empty:
        raise GeoquartierError("no buildings in the quartier: no candidate sites")
    b = buildings.reset_index(drop=True)
    use = pd.Series([use_class({"building": v}) for v in b["building"]], dtype=object)
    name = pd.Series([None] * len(b), dtype=object)
    addr = b["address"].astype(object).where(b["address"].notna(), None)
    points = _use_points(uses, facilities)
    if uses is not None and len(uses):
        own = uses[uses["source"].isin(set(b["source"].dropna()))].drop_duplicates("source")
        pos = pd.Series(np.arange(len(b)), index=b["source"]).reindex(own["source"]).to_numpy()
        use.iloc[pos] = own["use"].to_numpy()
        name.iloc[pos] = own["name"].to_numpy()
        addr.iloc[pos] = addr.iloc[pos].fillna(own["address"]).to_numpy()
        _from_areas(b, uses, use)
    placed = np.zeros(len(points), dtype=bool)
    if len(points):
        hit = gpd.sjoin(points, b[["geometry"]], predicate="within", how="inner")
        hit = hit[~hit.index.duplicated()]
        placed[hit.index.to_numpy()] = True
        for i, j in zip(hit.index.to_numpy(), hit["index_right"].to_numpy(), strict=True):
            use.iloc[j] = _join(use.iloc[j], points.at[i, "use"])
            name.iloc[j] = _first(name.iloc[j], points.at[i, "name"])
            addr.iloc[j] = _first(addr.iloc[j], points.at[i, "address"])
    keep = use.notna().to_numpy()
    site_pts = b.geometry.to_crs(ANALYSIS_CRS).representative_point().to_crs(STORAGE_CRS)
    sites = gpd.GeoDataFrame(
        {
            "id": b["id"].astype(str).to_numpy()[keep],
            "name": name.to_numpy()[keep],
            "use": use.to_numpy()[keep],
            "address": addr.to_numpy()[keep],
            "source": b["source"].astype(object).to_numpy()[keep],
        },
        geometry=site_pts.values[keep],
        crs=STORAGE_CRS,
    )
    loose = points[~placed]
    out = pd.concat([sites, loose[CANDIDATE_COLUMNS + ["geometry"]]], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)
    return _fill_addresses(out, addresses)


def _use_points(uses, facilities) -> gpd.GeoDataFrame:
    """Points with a use: OSM nodes with a use and the existing facilities (EPSG:4326)."""
    frames = []
    if uses is not None and len(uses):
        nodes = uses[uses["source"].str.startswith("osm:node/") & uses.geometry.notna()]
        frames.append(
            gpd.GeoDataFrame(
                {
                    "id": nodes["source"].str.replace("osm:", "", regex=False).to_numpy(),
                    "name": nodes["name"].to_numpy(),
                    "use": nodes["use"].to_numpy(),
                    "address": nodes["address"].to_numpy(),
                    "source": nodes["source"].to_numpy(),
                },
                geometry=nodes.geometry.values,
                crs=STORAGE_CRS,
            )
        )
    if facilities is not None and len(facilities):
        f = facilities[facilities.geometry.notna()]
        frames.append(
            gpd.GeoDataFrame(
                {
                    "id": ("facility:" + f["id"].astype(str)).to_numpy(),
                    "name": f["name"].astype(object).to_numpy() if "name" in f else None,
                    "use": ("existing " + f["category"].astype(str)).to_numpy(),
                    "address": f["address"].astype(object).to_numpy() if "address" in f else None,
                    "source": f["id"].astype(str).to_numpy(),
                },
                geometry=f.geometry.values,
                crs=STORAGE_CRS,
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS},
            geometry=gpd.GeoSeries([], crs=STORAGE_CRS),
            crs=STORAGE_CRS,
        )
    out = pd.concat(frames, ignore_index=True)
    out = out.astype({c: object for c in CANDIDATE_COLUMNS})
    out = out.where(out.notna(), None)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)


def _from_areas(b: gpd.GeoDataFrame, uses: gpd.GeoDataFrame, use: pd.Series) -> None:
    """Buildings without a use inside a use area (a closed way, not itself a building)
    take the area's use."""
    areas = uses[
        uses.geometry.notna()
        & uses.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
        & ~uses["source"].isin(set(b["source"].dropna()))
    ]
    if areas.empty:
        return
    centres = gpd.GeoDataFrame(
        geometry=b.geometry.to_crs(ANALYSIS_CRS).representative_point().to_crs(STORAGE_CRS)
    )
    hit = gpd.sjoin(centres, areas[["use", "geometry"]], predicate="within", how="inner")
    hit = hit[~hit.index.duplicated()]
    empty = use.iloc[hit.index.to_numpy()].isna().to_numpy()
    use.iloc[hit.index.to_numpy()[empty]] = hit["use"].to_numpy()[empty]


def _first(*values):
    """The first value that is a non-empty string, else None."""
    return next((v for v in values if isinstance(v, str) and v.strip()), None)


def _join(current: str | None, new: str) -> str:
    """Uses of one building, ``;``-joined without repeats."""
    if not current:
        return new
    parts = current.split(";")
    return current if new in parts else f"{current};{new}"


def _fill_addresses(sites: gpd.GeoDataFrame, addresses) -> gpd.GeoDataFrame:
    """Candidates without an address take the nearest address point within
    :data:`ADDRESS_SEARCH_M` metres (EPSG:25832)."""
    missing = sites["address"].isna().to_numpy()
    if addresses is None or addresses.empty or not missing.any():
        return sites
    text = _address_text(addresses)
    a = gpd.GeoDataFrame({"label": text}, geometry=addresses.geometry.values, crs=addresses.crs)
    a = a[a["label"].notna()].to_crs(ANALYSIS_CRS)
    todo = sites[missing].to_crs(ANALYSIS_CRS)
    near = gpd.sjoin_nearest(todo[["geometry"]], a, how="left", max_distance=ADDRESS_SEARCH_M)
    near = near[~near.index.duplicated()]
    sites.loc[near.index, "address"] = near["label"].where(near["label"].notna(), None)
    return sites


def _address_text(addresses: gpd.GeoDataFrame) -> list[str | None]:
    """``"Street 12, 91207 City"`` for each row of the addresses layer."""
    out = []
    for street, number, postcode, city in zip(
        addresses.get("street", pd.Series([None] * len(addresses))),
        addresses.get("housenumber", pd.Series([None] * len(addresses))),
        addresses.get("postcode", pd.Series([None] * len(addresses))),
        addresses.get("city", pd.Series([None] * len(addresses))),
        strict=True,
    ):
        first = " ".join(str(p) for p in (street, number) if _present(p))
        second = " ".join(str(p) for p in (postcode, city) if _present(p))
        joined = ", ".join(p for p in (first, second) if p)
        out.append(joined or None)
    return out


def _present(value) -> bool:
    return (
        value is not None
        and value is not pd.NA
        and not (isinstance(value, float) and np.isnan(value))
    )


# --------------------------------------------------------------------------- files


def read_candidates(path: str | Path) -> gpd.GeoDataFrame:
    """A planner's candidate sites from a file: GeoJSON or GeoPackage (points, or
    polygons → a point inside) or CSV with longitude/latitude columns (``lon``/``lat``,
    ``longitude``/``latitude``, ``lng``, ``x``/``y``, ...: see
    :func:`geoquartier.layers.sources.files.read_points_csv`; EPSG:4326). Optional columns
    ``id``, ``name``, ``address``, ``use``. Returns candidates in EPSG:4326; a clear
    :class:`GeoquartierError` names the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise GeoquartierError(f"candidate file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        gdf = read_points_csv(path)
    elif suffix in (".geojson", ".json", ".gpkg"):
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several kinds of errors for bad files
            raise GeoquartierError(f"{path.name}: not a readable {suffix} file ({exc})") from None
        if gdf.crs is None:
            raise GeoquartierError(f"{path.name}: no coordinate reference system")
        gdf = gdf.to_crs(STORAGE_CRS)
    else:
        raise GeoquartierError(f"{path.name}: candidate files must be .csv, .geojson or .gpkg")
    if gdf.empty:
        raise GeoquartierError(f"{path.name}: no candidate sites in the file")
    return as_candidates(gdf, path.name)


def as_candidates(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Candidate sites (EPSG:4326 points with :data:`CANDIDATE_COLUMNS`) from any
    GeoDataFrame with a CRS; ``name`` (a file name) appears in error messages."""
    geom = gdf.geometry
    if geom.isna().any() or geom.is_empty.any():
        raise GeoquartierError(
            f"{name}: {int((geom.isna() | geom.is_empty).sum())} row(s) without a location"
        )
    minx, miny, maxx, maxy = PLAUSIBLE_BOUNDS
    pts = geom.to_crs(ANALYSIS_CRS).representative_point().to_crs(STORAGE_CRS)
    outside = ~pts.x.between(minx, maxx) | ~pts.y.between(miny, maxy)
    if outside.any():
        row = int(np.flatnonzero(outside.to_numpy())[0])
        raise GeoquartierError(
            f"{name}: row {row + 1} ({pts.x.iloc[row]:.5f}, {pts.y.iloc[row]:.5f}) lies outside "
            "Germany; give longitude/latitude in EPSG:4326"
        )
    ids = (
        gdf["id"].astype(str)
        if "id" in gdf
        else pd.Series([f"candidate-{i + 1}" for i in range(len(gdf))])
    )
    if ids.duplicated().any():
        raise GeoquartierError(
            f"{name}: ids are not unique (e.g. {ids[ids.duplicated()].iloc[0]!r})"
        )

    def col(c):
        if c not in gdf:
            return [None] * len(gdf)
        return [None if not _present(v) else str(v) for v in gdf[c]]

    return gpd.GeoDataFrame(
        {
            "id": ids.to_numpy(),
            "name": col("name"),
            "use": col("use"),
            "address": col("address"),
            "source": [f"file:{name}"] * len(gdf),
        },
        geometry=pts.values,
        crs=STORAGE_CRS,
    )
