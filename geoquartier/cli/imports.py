"""``geoquartier import …``: bring real data into the workspace GeoPackage.

* ``geoquartier import QUARTIER`` / ``geoquartier import --all`` — the whole pipeline for
  quartiers of the registry (:func:`geoquartier.importer.import_quartier`);
* ``geoquartier import-osm``, ``import-zensus``, ``import-gtfs``, ``import-file`` — one
  source at a time, for planners who bring their own data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import app
from geoquartier.cli.options import WorkspaceOption
from geoquartier.errors import GeoquartierError


def _store(workspace: Path | None):
    from geoquartier.layers.backend import get_layer_store

    return get_layer_store(workspace=workspace)


def _where(workspace: Path | None) -> str:
    """Where the layers were written, for the summary (the URL without its password)."""
    from geoquartier.settings import get_settings

    settings = get_settings()
    if workspace is None and settings.database_url:
        from geoquartier.layers.postgis import redacted

        return f"{redacted(settings.database_url)} (schema {settings.database_schema})"
    return str(workspace or settings.workspace_path)


def _spec_or_none(quartier: str):
    from geoquartier.registry import load_registry

    return load_registry().get(quartier)


def _polygon_from_geojson(path: Path):
    """The union of the (multi)polygons of a GeoJSON/GeoPackage file (EPSG:4326)."""
    from geoquartier.layers.sources.boundary import read_boundary

    return read_boundary(path)


def _boundary(quartier: str, boundary: Path | None):
    if boundary is not None:
        return _polygon_from_geojson(boundary)
    spec = _spec_or_none(quartier)
    return spec.boundary if spec is not None else None


def _echo_counts(counts: dict[str, int], workspace: Path | None) -> None:
    for layer, n in counts.items():
        typer.echo(f"  {layer}: {n:,} features")
    typer.echo(f"written to {_where(workspace)}")


@app.command("import")
def import_command(
    quartier: Annotated[
        str | None,
        typer.Argument(help="Quartier id from the registry (see 'geoquartier quartiers')."),
    ] = None,
    all_quartiers: Annotated[
        bool, typer.Option("--all", help="Import every quartier of the registry.")
    ] = False,
    workspace: WorkspaceOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    geocode: Annotated[
        bool,
        typer.Option(
            "--geocode",
            help="Look up office addresses that the OSM data does not hold exactly with "
            "Nominatim (online; 1 request/s, answers cached). Also: GEOQUARTIER_GEOCODE="
            "nominatim. Endpoint: GEOQUARTIER_NOMINATIM_URL.",
        ),
    ] = False,
) -> None:
    """Import a quartier (or all) from real data into the workspace.

    Reads what the registry (data/quartiers.toml) names for the quartier: boundary,
    offices, OpenStreetMap services, daily-needs places, buildings and addresses (local
    extract, or Overpass when online), residents (Zensus 2022 grid, or an estimate over
    residential buildings) and transit stops (GTFS). Every layer is checked; if one is
    rejected, nothing of the quartier is written. Prints per quartier the layers and
    feature counts, the residents and whether each office is open now.

    Offices given by address are placed on the OSM addresses of the quartier (exact
    house number, else the street's middle, else not drawn); with --geocode, Nominatim
    is asked for those the OSM data does not hold exactly.

    The data folder is GEOQUARTIER_DATA (default: ../shared/data beside the checkout).
    """
    from geoquartier.config import geocode_online
    from geoquartier.importer import import_all, import_quartier
    from geoquartier.registry import get_quartier, load_registry

    if all_quartiers == (quartier is not None):
        raise GeoquartierError("name one quartier or give --all (see 'geoquartier quartiers')")
    store = _store(workspace)
    geocoder = None
    if geocode or geocode_online():
        from geoquartier.layers.sources.nominatim import NominatimGeocoder

        geocoder = NominatimGeocoder()
    if all_quartiers:
        summaries, missing = import_all(
            load_registry(), store, progress=not quiet, geocoder=geocoder
        )
    else:
        spec = get_quartier(quartier)
        summaries = [import_quartier(spec, store, progress=not quiet, geocoder=geocoder)]
        missing = {}
    for summary in summaries:
        typer.echo("\n".join(summary.lines()))
    for qid, reason in missing.items():
        typer.echo(f"{qid}: not imported — {reason}")
    typer.echo(f"written to {store.path}")


@app.command("import-osm")
def import_osm_command(
    quartier: Annotated[
        str, typer.Option("--quartier", "-q", help="Quartier id the features belong to.")
    ],
    extract: Annotated[
        Path | None,
        typer.Option("--extract", help="Local OSM file (.osm, .osm.bz2, .osm.gz, .osm.pbf)."),
    ] = None,
    place: Annotated[
        str | None,
        typer.Option(
            "--place",
            help="Place name to fetch from OpenStreetMap (online), e.g. 'Marxloh, Duisburg'.",
        ),
    ] = None,
    polygon: Annotated[
        Path | None,
        typer.Option(
            "--polygon",
            help="GeoJSON polygon (EPSG:4326) of the area: fetched from OpenStreetMap (online), "
            "or, with --extract, the part of the extract to keep.",
        ),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="German state for holidays, e.g. DE-NW (default: from the registry, else DE-NW).",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import OpenStreetMap services, daily-needs places, stops, buildings and addresses.

    From a local extract (--extract, optionally cut to --polygon or to the quartier's
    registry boundary), or from the Overpass API for a place name (--place) or an area
    (--polygon). Overpass answers are cached, so a repeated import works offline.
    The categories follow the tag table in docs/import.md.
    """
    from geoquartier.layers.sources import osm

    if extract is None and place is None and polygon is None:
        raise GeoquartierError("give --extract FILE, --place NAME or --polygon GEOJSON")
    if place is not None and (extract is not None or polygon is not None):
        raise GeoquartierError("--place cannot be combined with --extract or --polygon")
    spec = _spec_or_none(quartier)
    state = state or (spec.state if spec is not None else "DE-NW")
    area = _polygon_from_geojson(polygon) if polygon is not None else None
    if extract is not None:
        if area is None and spec is not None:
            area = spec.boundary
        typer.echo(f"reading {extract} ...")
        layers = osm.read_extract(extract, quartier, polygon=area, state=state)
    else:
        typer.echo("asking OpenStreetMap (Overpass) ...")
        layers = osm.read_overpass(quartier, polygon=area, place=place, state=state)
    counts = _store(workspace).write_many(layers.as_dict(), quartier=quartier)
    typer.echo(f"{quartier}: {layers.origin}")
    _echo_counts(counts, workspace)


@app.command("import-zensus")
def import_zensus_command(
    grid: Annotated[
        Path,
        typer.Argument(
            help="Zensus 2022 100 m grid: the Destatis CSV (GITTER_ID_100m;x_mp_100m;"
            "y_mp_100m;Einwohner, or its ZIP) or cells as GeoJSON/GPKG (column 'einwohner')."
        ),
    ],
    quartier: Annotated[
        str, typer.Option("--quartier", "-q", help="Quartier id the residents belong to.")
    ],
    boundary: Annotated[
        Path | None,
        typer.Option(
            "--boundary",
            help="GeoJSON boundary (EPSG:4326); default: the quartier's registry boundary.",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import residents from the Zensus 2022 100 m grid as the population layer.

    Keeps the grid cells whose centre lies inside the quartier boundary and prints the
    number of cells and residents. The Destatis CSV (all of Germany, ~3 million rows) is
    read in chunks; cells Destatis does not publish are left out and counted.
    © Statistisches Bundesamt (Destatis), dl-de/by-2.0.
    """
    from geoquartier.layers.sources.zensus import read_zensus

    area = _boundary(quartier, boundary)
    if area is None:
        raise GeoquartierError(
            f"quartier {quartier!r} has no boundary in the registry; give --boundary GEOJSON"
        )
    cells = read_zensus(grid, quartier, area, progress=True)
    counts = _store(workspace).write_many({"population": cells}, quartier=quartier)
    typer.echo(
        f"{quartier}: {len(cells):,} grid cells, {int(cells['residents'].sum()):,} residents"
    )
    if cells.attrs.get("suppressed_cells"):
        typer.echo(
            f"  {cells.attrs['suppressed_cells']:,} cells not published by Destatis, left out"
        )
    _echo_counts(counts, workspace)


@app.command("import-gtfs")
def import_gtfs_command(
    feed: Annotated[
        Path, typer.Argument(help="GTFS feed: a .zip file or a folder with stops.txt.")
    ],
    quartier: Annotated[
        str, typer.Option("--quartier", "-q", help="Quartier id the stops belong to.")
    ],
    boundary: Annotated[
        Path | None,
        typer.Option(
            "--boundary",
            help="GeoJSON boundary (EPSG:4326) to keep the stops inside; default: the quartier's "
            "registry boundary, else all stops.",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import public-transport stops from a GTFS feed (the stop points where one boards)."""
    from geoquartier.layers.sources.gtfs import read_gtfs_stops

    stops = read_gtfs_stops(feed, quartier, _boundary(quartier, boundary))
    counts = _store(workspace).write_many({"stops": stops}, quartier=quartier)
    _echo_counts(counts, workspace)


@app.command("import-file")
def import_file_command(
    file: Annotated[
        Path, typer.Argument(help="CSV (with lon/lat columns), GeoJSON or GeoPackage.")
    ],
    layer: Annotated[
        str,
        typer.Option(
            "--layer",
            "-l",
            help="What the file holds: offices, services, measures, events, pois, ...",
        ),
    ],
    quartier: Annotated[
        str, typer.Option("--quartier", "-q", help="Quartier id the features belong to.")
    ],
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs", help="CRS of CSV coordinates if not longitude/latitude, e.g. EPSG:25832."
        ),
    ] = None,
    file_layer: Annotated[
        str | None, typer.Option("--file-layer", help="Layer of a GeoPackage that holds several.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a planner's own file (offices, advisory services, measures, ...).

    CSV files need a pair of coordinate columns (lon/lat, longitude/latitude, x/y; decimal
    commas are fine) and the layer's fields as columns (see docs/layers.md). Every row is
    checked; if one is wrong, the message names the row and the field and nothing is
    written. The quartier's previous features of this layer are replaced.
    """
    from geoquartier.layers.sources.files import read_planner_file

    gdf = read_planner_file(file, layer, quartier=quartier, crs=crs, file_layer=file_layer)
    counts = _store(workspace).write_many({layer: gdf}, quartier=quartier)
    _echo_counts(counts, workspace)
