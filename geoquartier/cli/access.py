"""``geoquartier access`` and ``geoquartier isochrones``: walking access of a quartier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import app
from geoquartier.errors import GeoquartierError

FACILITY_LAYERS = ("offices", "services", "pois")


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    return items or None


def _minutes(text: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise GeoquartierError(
            f"--minutes must be numbers separated by commas, got {text!r}"
        ) from None
    if not values:
        raise GeoquartierError("--minutes is empty")
    return values


def _load(quartier: str):
    """Registry spec, workspace store (importing the quartier if needed) and its network."""
    from geoquartier.config import workspace_path
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.mobility import network_for
    from geoquartier.registry import get_quartier

    spec = get_quartier(quartier)
    store = GeoPackageStore(workspace_path())
    if store.read("quartiers", quartier=spec.id).empty:
        typer.echo(f"importing {spec.id} into {store.path} ...", err=True)
        import_quartier(spec, store)
    typer.echo(f"loading the walk network of {spec.id} ...", err=True)
    return spec, store, network_for(spec)


def facilities_of(store, quartier: str):
    """Offices (category ``office``), services and places of a quartier as one point layer
    (``id``, ``category``, ``name``, ``layer``; EPSG:4326)."""
    import geopandas as gpd
    import pandas as pd

    frames = []
    for layer in FACILITY_LAYERS:
        gdf = store.read(layer, quartier=quartier)
        if gdf.empty:
            continue
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        category = "office" if layer == "offices" else gdf["category"].astype(str)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "id": gdf["id"].astype(str),
                    "category": category,
                    "name": gdf.get("name"),
                    "layer": layer,
                },
                geometry=gdf.geometry.values,
                crs=gdf.crs,
            )
        )
    if not frames:
        raise GeoquartierError(
            f"quartier {quartier!r} has no offices, services or places to walk to"
        )
    return gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )


def _write_layer(gdf, path: Path, layer: str) -> None:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        gdf.to_file(path, driver="GeoJSON")
    elif suffix == ".gpkg":
        gdf.to_file(path, layer=layer, driver="GPKG")
    else:
        raise GeoquartierError(f"cannot write {path.name}: use a .gpkg or .geojson file")


@app.command("access")
def access_command(
    quartier: Annotated[
        str,
        typer.Argument(help="Quartier id from the registry, e.g. lauf, dreieich, neu-olvenstedt."),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="CSV file for the coverage table.")
    ],
    profile: str = typer.Option(
        "standard,senior,wheelchair",
        "--profile",
        "-p",
        help="Walking profiles, comma-separated: standard (4.5 km/h), senior (3.0 km/h), "
        "wheelchair (4.0 km/h, no steps, kerbs over 3 cm or inclines over 6 %).",
    ),
    category: str | None = typer.Option(
        None,
        "--category",
        "-c",
        help="Categories to walk to, comma-separated (office, and service or place categories "
        "such as migration, debt, grocery, pharmacy); default: all present.",
    ),
    minutes: str = typer.Option(
        "5,10,15", "--minutes", "-m", help="Walking times in minutes, comma-separated."
    ),
    gpkg: Annotated[
        Path | None,
        typer.Option(
            "--gpkg",
            help="Also write every home or population cell with its nearest facility "
            "per category and profile to this GeoPackage (layer access_nearest).",
        ),
    ] = None,
) -> None:
    """How many residents reach each kind of facility on foot within the given minutes.

    For every population cell or home of QUARTIER and every category of office, service
    or place, finds the nearest one along the walk network (or, without a network, as the
    crow flies × 1.3, marked 'estimate') for each profile, and writes a table: profile,
    category, threshold_min, residents_within, residents_total, share_within,
    residents_off_network, unknown_share (wheelchair: share of the way with untagged kerb,
    incline or surface) and method.
    """
    import pandas as pd

    from geoquartier.mobility import coverage, nearest_facilities

    profiles = _split(profile) or ["standard"]
    mins = _minutes(minutes)
    spec, store, network = _load(quartier)
    population = store.read("population", quartier=spec.id)
    if population.empty:
        raise GeoquartierError(
            f"quartier {spec.id!r} has no population layer; coverage needs residents"
        )
    facilities = facilities_of(store, spec.id)
    cats = _split(category)
    nearest_frames = []
    tables = []
    for name in profiles:
        typer.echo(f"profile {name} ...", err=True)
        near = nearest_facilities(
            network,
            population[["id", "residents", "geometry"]],
            facilities,
            categories=cats,
            profile=name,
        )
        nearest_frames.append(near)
        tables.append(
            coverage(
                network,
                population,
                facilities,
                mins,
                profiles=[name],
                categories=cats,
                nearest=near,
            )
        )
    table = pd.concat(tables, ignore_index=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output, index=False)
    typer.echo(str(output))
    if gpkg is not None:
        import geopandas as gpd

        layer = gpd.GeoDataFrame(
            pd.concat(nearest_frames, ignore_index=True), geometry="geometry", crs="EPSG:4326"
        )
        layer["origin_id"] = layer["origin_id"].astype(str)
        layer["facility_id"] = layer["facility_id"].astype(object)
        gpkg.parent.mkdir(parents=True, exist_ok=True)
        _write_layer(layer, gpkg, "access_nearest")
        typer.echo(str(gpkg))


@app.command("isochrones")
def isochrones_command(
    quartier: Annotated[
        str,
        typer.Argument(help="Quartier id from the registry, e.g. lauf, dreieich, neu-olvenstedt."),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="File to write: .gpkg (layer isochrones) or .geojson."),
    ],
    minutes: str = typer.Option(
        "5,10,15", "--minutes", "-m", help="Walking times in minutes, comma-separated."
    ),
    profile: str = typer.Option(
        "standard", "--profile", "-p", help="Walking profile: standard, senior or wheelchair."
    ),
    category: str | None = typer.Option(
        None,
        "--category",
        "-c",
        help="Draw around every facility of this category (e.g. migration, grocery); default: the offices.",
    ),
    at: str | None = typer.Option(
        None, "--at", help="Draw around one place instead, given as LON,LAT (e.g. a home)."
    ),
    per_point: bool = typer.Option(
        False, "--per-point", help="One area per facility instead of one merged area."
    ),
    buffer_m: float = typer.Option(
        25.0, "--buffer-m", help="Width in metres drawn on each side of a reached way."
    ),
) -> None:
    """Areas reachable on foot from the offices (or facilities of a category, or one place)
    within each of the given minutes, drawn along the reached ways, with area_m2 and the
    residents living inside."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geoquartier.mobility import isochrones

    mins = _minutes(minutes)
    spec, store, network = _load(quartier)
    if at is not None:
        try:
            lon, lat = (float(v) for v in at.split(","))
        except ValueError:
            raise GeoquartierError(f"--at must be LON,LAT, got {at!r}") from None
        points = gpd.GeoDataFrame({"id": ["place"]}, geometry=[Point(lon, lat)], crs="EPSG:4326")
    else:
        facilities = facilities_of(store, spec.id)
        wanted = category or "office"
        points = facilities[facilities["category"] == wanted]
        if points.empty:
            present = ", ".join(sorted(facilities["category"].unique()))
            raise GeoquartierError(
                f"quartier {spec.id!r} has no {wanted!r} with a location (present: {present})"
            )
    population = store.read("population", quartier=spec.id)
    result = isochrones(
        network,
        points,
        mins,
        profile=profile,
        buffer_m=buffer_m,
        population=None if population.empty else population,
        dissolve=not per_point,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    _write_layer(result, output, "isochrones")
    off = result.attrs.get("off_network") or []
    if off:
        typer.echo(
            f"left out (farther than 300 m from a usable way): {', '.join(map(str, off))}", err=True
        )
    typer.echo(str(output))
