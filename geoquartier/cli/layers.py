"""``geoquartier validate`` and ``geoquartier export``: check a planner's file, export a layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import pandas as pd
import pyogrio
import typer

from geoquartier.cli.app import USER_ERROR_EXIT, app, fail
from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError, ValidationError
from geoquartier.layers import LAYERS, validate
from geoquartier.layers.backend import get_layer_store
from geoquartier.layers.store import GeoPackageStore

_LAYER_NAMES = ", ".join(LAYERS) + "."
_LAT = ("lat", "latitude", "y", "breite")
_LON = ("lon", "lng", "long", "longitude", "x", "laenge", "länge")


def read_table(path: Path, source_layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a planner's file: GeoJSON, GeoPackage, or CSV with lat/lon columns (EPSG:4326).

    Returns a GeoDataFrame in the file's CRS (CSV: EPSG:4326, degrees). Raises
    ``GeoquartierError`` when the file cannot be read as such.
    """
    if not path.is_file():
        raise GeoquartierError(f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix not in (".geojson", ".json", ".gpkg"):
        raise GeoquartierError(
            f"cannot read {path.name}: expected a .geojson, .json, .gpkg or .csv file"
        )
    try:
        if suffix == ".gpkg" and source_layer is None:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
            if len(names) != 1:
                raise GeoquartierError(
                    f"{path.name} holds several layers ({', '.join(names)}); "
                    "choose one with --source-layer"
                )
            source_layer = names[0]
        return pyogrio.read_dataframe(path, layer=source_layer)
    except pyogrio.errors.DataSourceError as exc:
        raise GeoquartierError(f"cannot read {path.name}: {exc}") from None
    except pyogrio.errors.DataLayerError as exc:
        raise GeoquartierError(f"cannot read {path.name}: {exc}") from None


def _read_csv(path: Path) -> gpd.GeoDataFrame:
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            sep=None,
            engine="python",
            encoding="utf-8-sig",
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise GeoquartierError(f"cannot read {path.name} as CSV: {exc}") from None
    lower = {c.lower().strip(): c for c in frame.columns}
    lat = next((lower[c] for c in _LAT if c in lower), None)
    lon = next((lower[c] for c in _LON if c in lower), None)
    if lat is None or lon is None:
        raise GeoquartierError(
            f"{path.name} has no latitude/longitude columns (name them 'lat' and 'lon', "
            "WGS84 degrees); columns found: " + ", ".join(frame.columns)
        )
    xs = pd.to_numeric(frame[lon].str.replace(",", ".", regex=False), errors="coerce")
    ys = pd.to_numeric(frame[lat].str.replace(",", ".", regex=False), errors="coerce")
    geometry = gpd.points_from_xy(xs, ys)
    geometry = [
        None if (pd.isna(x) or pd.isna(y)) else g for g, x, y in zip(geometry, xs, ys, strict=True)
    ]
    return gpd.GeoDataFrame(frame.drop(columns=[lat, lon]), geometry=geometry, crs=STORAGE_CRS)


@app.command("validate")
def validate_command(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON, GeoPackage or CSV (with lat/lon columns).")
    ],
    layer: Annotated[
        str, typer.Option("--layer", "-l", help="Which layer the file is: " + _LAYER_NAMES)
    ],
    quartier: Annotated[
        str | None,
        typer.Option(
            "--quartier", "-q", help="Quartier slug for rows without a 'quartier' column."
        ),
    ] = None,
    source_layer: Annotated[
        str | None,
        typer.Option("--source-layer", help="Layer inside a GeoPackage holding several."),
    ] = None,
) -> None:
    """Check a file against a layer's schema before importing it.

    Prints 'OK: N features' when every feature is valid. Otherwise prints every problem
    (feature number, id, field, value and what is expected) and exits with code 2.
    Nothing is written.
    """
    if layer not in LAYERS:
        fail(f"unknown layer {layer!r}; choose one of: {', '.join(LAYERS)}")
    try:
        gdf = read_table(file, source_layer)
    except GeoquartierError as exc:
        fail(str(exc))
    if quartier is not None and "quartier" not in gdf.columns:
        gdf["quartier"] = quartier
    try:
        result = validate(gdf, layer)
    except ValidationError as exc:
        typer.echo(f"{len(exc.problems)} problem(s) in {file.name} as layer {layer!r}:")
        for problem in exc.problems:
            typer.echo(f"  {problem}")
        raise typer.Exit(USER_ERROR_EXIT) from None
    typer.echo(f"OK: {len(result)} features")


@app.command("export")
def export_command(
    layer: Annotated[str, typer.Argument(help="Layer to export: " + _LAYER_NAMES)],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Output file: .geojson, .gpkg or .csv (points as lat/lon)."
        ),
    ],
    quartier: Annotated[
        str | None, typer.Option("--quartier", "-q", help="Only this quartier.")
    ] = None,
) -> None:
    """Export a layer of the workspace to GeoJSON, GeoPackage or CSV (WGS84).

    Reads the workspace GeoPackage (set GEOQUARTIER_WORKSPACE to use another file).
    CSV files hold point coordinates as 'lat'/'lon' columns, other shapes as WKT.
    """
    if layer not in LAYERS:
        fail(f"unknown layer {layer!r}; choose one of: {', '.join(LAYERS)}")
    suffix = output.suffix.lower()
    if suffix not in (".geojson", ".gpkg", ".csv"):
        fail(f"cannot export to {output.name}: use a .geojson, .gpkg or .csv file name")
    store = get_layer_store()
    if not store.exists():
        fail(f"no workspace at {store.path}; run 'geoquartier demo' or 'geoquartier import' first")
    gdf = store.read(layer, quartier=quartier)
    output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gpkg":
        if isinstance(store, GeoPackageStore) and output.resolve() == store.path.resolve():
            fail("the export file must not be the workspace itself")
        GeoPackageStore(output).write(layer, gdf)
    elif suffix == ".geojson":
        output.write_text(_to_geojson(gdf), encoding="utf-8")
    else:
        _to_csv(gdf).to_csv(output, index=False)
    where = f" of quartier {quartier!r}" if quartier else ""
    typer.echo(f"exported {len(gdf)} features of layer {layer!r}{where} to {output}")


def _plain(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, list):
        return value
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _to_geojson(gdf: gpd.GeoDataFrame) -> str:
    features = []
    props = [c for c in gdf.columns if c != gdf.geometry.name]
    for row, geom in zip(gdf[props].itertuples(index=False), gdf.geometry, strict=True):
        features.append(
            {
                "type": "Feature",
                "id": row[0],
                "properties": {k: _plain(v) for k, v in zip(props, row, strict=True)},
                "geometry": geom.__geo_interface__,
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _to_csv(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    out = pd.DataFrame({c: gdf[c] for c in gdf.columns if c != gdf.geometry.name})
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = [";".join(v) if isinstance(v, list) else _plain(v) for v in out[column]]
        elif isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = [_plain(v) for v in out[column]]
    if len(gdf) and (gdf.geometry.geom_type == "Point").all():
        out["lat"] = gdf.geometry.y.round(7).to_numpy()
        out["lon"] = gdf.geometry.x.round(7).to_numpy()
    else:
        out["wkt"] = gdf.geometry.to_wkt().to_numpy()
    return out
