"""``geoquartier access`` and ``geoquartier isochrones``: walking access of a quartier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import app
from geoquartier.cli.options import (
    OptionalQuartierArgument,
    ProfileOption,
    category_option,
    output_option,
)
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
    from geoquartier.importer import import_quartier
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.mobility import network_for
    from geoquartier.registry import get_quartier

    spec = get_quartier(quartier)
    store = get_layer_store()
    if store.read("quartiers", quartier=spec.id).empty:
        typer.echo(f"importing {spec.id} into {store.path} ...", err=True)
        import_quartier(spec, store)
    typer.echo(f"loading the walk network of {spec.id} ...", err=True)
    return spec, store, network_for(spec)


def facilities_of(store, quartier: str):
    """Offices (category ``office``), services and places of a quartier as one point layer
    (``id``, ``category``, ``name``, ``layer``; EPSG:4326)."""
    from geoquartier.mobility.planning_inputs import planning_facilities

    facilities = planning_facilities(store, quartier)
    if facilities.empty:
        raise GeoquartierError(
            f"quartier {quartier!r} has no offices, services or places to walk to"
        )
    return facilities[["id", "category", "name", "layer", "geometry"]]


def _write_layer(gdf, path: Path, layer: str) -> None:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        gdf.to_file(path, driver="GeoJSON")
    elif suffix == ".gpkg":
        gdf.to_file(path, layer=layer, driver="GPKG")
    else:
        raise GeoquartierError(f"cannot write {path.name}: use a .gpkg or .geojson file")


UNKNOWN_SHARE_WARNING = 0.5
"""Above this share of way length without wheelchair tags the summary warns that the
wheelchair figures are optimistic."""

NEAREST_LAYER = "access_nearest"
"""Layer of the ``--gpkg`` file: one row per home or population cell."""

DEFAULT_STYLE = ("office", "standard")
"""Category and profile whose walking minutes colour the ``--gpkg`` layer when QGIS opens
it (else the first column)."""


@app.command("access")
def access_command(
    output: Annotated[
        Path,
        output_option(
            "CSV file for the coverage table (opens in German Excel / LibreOffice: "
            "UTF-8, ';', decimal comma); German column descriptions go to <name>.columns.csv."
        ),
    ],
    quartier: OptionalQuartierArgument = None,
    profile: str = typer.Option(
        "standard,senior,wheelchair",
        "--profile",
        "-p",
        help="Walking profiles, comma-separated: standard (4.5 km/h), senior (3.0 km/h), "
        "wheelchair (4.0 km/h, no steps, kerbs over 3 cm or inclines over 6 %).",
    ),
    category: Annotated[
        str | None,
        category_option(
            "Categories to walk to, comma-separated (office, and service or place categories "
            "such as migration, debt, grocery, pharmacy); default: all present."
        ),
    ] = None,
    minutes: str = typer.Option(
        "5,10,15", "--minutes", "-m", help="Walking times in minutes, comma-separated."
    ),
    gpkg: Annotated[
        Path | None,
        typer.Option(
            "--gpkg",
            help="Also write every home or population cell with its residents and its walking "
            "minutes to the nearest facility of each category and profile (columns "
            "walk_min_<category>_<profile>) to this GeoPackage (layer access_nearest, "
            "coloured by walking time when opened in QGIS).",
        ),
    ] = None,
    all_quartiers: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every registry quartier imported into the workspace, each as its own task; "
            "one CSV with a first column 'quartier' and one summary line per quartier. A "
            "quartier that fails is reported and the others are still written (exit code 1).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="With --all: run the quartiers on a local Dask cluster of this many "
            "processes (default: one after another). Each needs the memory of one quartier.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --all: run on a running Dask cluster, e.g. tcp://10.0.0.5:8786 (its "
            "workers need geoquartier installed and the same data and workspace paths).",
        ),
    ] = None,
) -> None:
    """How many residents reach each kind of facility on foot within the given minutes.

    For every population cell or home of QUARTIER and every category of office, service
    or place, finds the nearest one along the walk network (or, without a network, as the
    crow flies × 1.3, marked 'estimate') for each profile. Prints a summary table
    (residents within and their share per category, profile and time, with warnings) and
    writes the table as CSV: profile, category, threshold_min, residents_within,
    residents_total, share_within_pct, residents_off_network, unknown_share_pct
    (wheelchair: share of the way with untagged kerb, incline or surface), method and
    residents_source.
    """
    import pandas as pd

    from geoquartier.mobility import coverage, nearest_facilities
    from geoquartier.mobility.coverage import residents_source, write_coverage_csv

    profiles = _split(profile) or ["standard"]
    mins = _minutes(minutes)
    if _batch_requested(quartier, all_quartiers, workers, scheduler, gpkg=gpkg):
        from geoquartier.mobility.batch import access_all

        raise typer.Exit(
            access_all(
                output,
                profiles=profiles,
                minutes=mins,
                categories=_split(category),
                workers=workers,
                scheduler=scheduler,
                echo=typer.echo,
            )
        )
    if output.suffix.lower() != ".csv":
        raise GeoquartierError(f"cannot write {output.name}: the coverage table needs a .csv file")
    if gpkg is not None and gpkg.suffix.lower() not in (".gpkg", ".geojson", ".json"):
        raise GeoquartierError(f"cannot write {gpkg.name}: use a .gpkg or .geojson file")
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
    written = write_coverage_csv(table, output)
    if gpkg is not None:
        written.append(
            _write_nearest(pd.concat(nearest_frames, ignore_index=True), population, gpkg)
        )
    typer.echo(_summary(spec, table, network, residents_source(population)))
    typer.echo("written: " + ", ".join(str(p) for p in written))


def _batch_requested(quartier, all_quartiers: bool, workers, scheduler, **single) -> bool:
    """Whether the command runs ``--all``; a clear error for options that do not fit
    (``single``: options of one quartier only, by name, e.g. ``gpkg=...``)."""
    if quartier is not None and all_quartiers:
        raise GeoquartierError("give either a QUARTIER or --all, not both")
    if quartier is None and not all_quartiers:
        raise GeoquartierError("name a QUARTIER (e.g. lauf) or give --all")
    if not all_quartiers and (workers is not None or scheduler is not None):
        raise GeoquartierError("--workers and --scheduler only apply with --all")
    for name, value in single.items():
        if all_quartiers and value is not None:
            raise GeoquartierError(f"--{name} applies to one quartier; leave it out with --all")
    if workers is not None and scheduler is not None:
        raise GeoquartierError("give either --workers or --scheduler, not both")
    return all_quartiers


def _write_nearest(nearest, population, path: Path) -> Path:
    """The per-home layer (one row per home, walk_min_<category>_<profile> columns) with
    its QGIS styles (GeoPackage only)."""
    from geoquartier.mobility.coverage import walk_minutes_per_home

    homes = walk_minutes_per_home(nearest, population)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_layer(homes, path, NEAREST_LAYER)
    if path.suffix.lower() == ".gpkg":
        _write_walk_styles(homes, path)
    return path


def _write_walk_styles(homes, path: Path) -> None:
    """One QGIS style per walk_min column, coloured in the map's walking-time classes."""
    from itertools import pairwise

    from geoquartier.layers.qgis_style import LayerStyle, graduated_qml, write_layer_styles
    from geoquartier.maps import styles
    from geoquartier.maps.i18n import Translator
    from geoquartier.mobility.coverage import column_key

    tr = Translator("de")
    bounds = styles.WALK_CLASSES_MIN
    labels = [tr("up to {minutes} min", minutes=bounds[0])]
    labels += [tr("{low}–{high} min", low=lo, high=hi) for lo, hi in pairwise(bounds)]
    labels.append(tr("more than {minutes} min", minutes=bounds[-1]))
    geometry_type = str(homes.geometry.geom_type.iloc[0]) if len(homes) else "Point"
    columns = [c for c in homes.columns if c.startswith("walk_min_")]
    if not columns:
        return
    default = "walk_min_{}_{}".format(*map(column_key, DEFAULT_STYLE))
    default = default if default in columns else columns[0]
    qml_styles = [
        LayerStyle(
            name=column,
            qml=graduated_qml(
                column,
                bounds,
                styles.WALK_COLOURS,
                labels,
                missing_colour=styles.UNREACHABLE_COLOUR,
                missing_label=tr("not reachable"),
                geometry_type=geometry_type,
            ),
            description=f"walking minutes: {column}",
        )
        for column in columns
    ]
    write_layer_styles(path, NEAREST_LAYER, qml_styles, default)


def _method_text(network, profiles) -> str:
    from geoquartier.mobility.profiles import get_profile

    speeds = ", ".join(f"{p} {get_profile(p).speed_kmh:.1f} km/h" for p in profiles)
    if network.method == "estimate":
        return (
            f"estimate: straight-line distance × {network.detour_factor:g} detour factor "
            f"(no walk network for this quartier); speeds {speeds}"
        )
    return f"walk network (OpenStreetMap ways, shortest paths); speeds {speeds}"


def _cell(residents: float, pct: float) -> str:
    return f"{round(residents):>8,} {pct:5.1f} %"


def _summary(spec, table, network, source_code: str) -> str:
    """The coverage table as a planner reads it in a terminal, with warnings."""
    from geoquartier.mobility.coverage import (
        describe_residents_source,
        is_estimated,
        rounded_coverage,
    )
    from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M

    rounded = rounded_coverage(table)
    profiles = list(dict.fromkeys(rounded["profile"]))
    thresholds = sorted(rounded["threshold_min"].unique())
    total = int(rounded["residents_total"].iloc[0]) if len(rounded) else 0
    lines = [
        f"Residents who reach the nearest facility on foot — {spec.name} ({total:,} residents)",
        f"  residents: {describe_residents_source(source_code)}",
        f"  method:    {_method_text(network, profiles)}",
        "",
        f"{'category':<16}{'profile':<12}"
        + "".join(f"{'within ' + format(t, 'g') + ' min':>19}" for t in thresholds),
    ]
    unknown = rounded["unknown_share_pct"].dropna()
    flagged = set()
    categories = sorted(rounded["category"].unique(), key=lambda c: (c != "office", c))
    for cat in categories:
        for i, prof in enumerate(profiles):
            g = rounded[(rounded["category"] == cat) & (rounded["profile"] == prof)]
            g = g.set_index("threshold_min")
            mark = ""
            if (g["unknown_share_pct"] > UNKNOWN_SHARE_WARNING * 100).any():
                mark = " *"
                flagged.add(prof)
            cells = "".join(
                f"{_cell(g.loc[t, 'residents_within'], g.loc[t, 'share_within_pct']):>19}"
                for t in thresholds
            )
            lines.append(f"{cat if i == 0 else '':<16}{prof:<12}{cells}{mark}")
    lines.append("")
    if is_estimated(source_code):
        lines.append(
            "! residents are estimated from building floor area, not counted (no Zensus grid): "
            "read the figures as approximate."
        )
    if flagged and network.method == "estimate":
        lines.append(
            "! * without a walk network nothing is known about kerbs, inclines or surfaces; "
            "wheelchair figures are optimistic and uncertain."
        )
    elif flagged:
        high = unknown[unknown > UNKNOWN_SHARE_WARNING * 100]
        span = (
            f"{high.min():.0f}–{high.max():.0f} %"
            if high.min() != high.max()
            else f"{high.min():.0f} %"
        )
        lines.append(
            f"! * {span} of the way length on these routes has no wheelchair tags (kerb, incline, "
            "surface); wheelchair figures are optimistic and uncertain."
        )
    off = rounded.groupby("profile")["residents_off_network"].max()
    for prof, n in off[off > 0].items():
        lines.append(
            f"! {prof}: {int(n):,} residents live farther than {DEFAULT_MAX_SNAP_M:g} m from a "
            "usable way and count as not reached."
        )
    if network.method == "estimate":
        lines.append("! no walk network: every figure is a straight-line estimate.")
    return "\n".join(lines)


@app.command("isochrones")
def isochrones_command(
    output: Annotated[Path, output_option("File to write: .gpkg (layer isochrones) or .geojson.")],
    quartier: OptionalQuartierArgument = None,
    minutes: str = typer.Option(
        "5,10,15", "--minutes", "-m", help="Walking times in minutes, comma-separated."
    ),
    profile: ProfileOption = "standard",
    category: Annotated[
        str | None,
        category_option(
            "Draw around every facility of this category (e.g. migration, grocery); "
            "default: the offices."
        ),
    ] = None,
    at: str | None = typer.Option(
        None, "--at", help="Draw around one place instead, given as LON,LAT (e.g. a home)."
    ),
    per_point: bool = typer.Option(
        False, "--per-point", help="One area per facility instead of one merged area."
    ),
    buffer_m: float = typer.Option(
        25.0, "--buffer-m", help="Width in metres drawn on each side of a reached way."
    ),
    all_quartiers: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every registry quartier imported into the workspace, each as its own task; "
            "one file with a first column 'quartier'. A quartier that fails is reported and "
            "the others are still written (exit code 1).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="With --all: a local Dask cluster of N processes."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="With --all: a running Dask cluster, tcp://HOST:PORT."),
    ] = None,
) -> None:
    """Areas reachable on foot from the offices (or facilities of a category, or one place)
    within each of the given minutes, drawn along the reached ways, with area_m2,
    residents (whose own walking time is within the minutes: the figure of 'geoquartier
    access') and residents_in_area (whose home point lies inside the drawn area)."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geoquartier.mobility import isochrones

    mins = _minutes(minutes)
    if _batch_requested(quartier, all_quartiers, workers, scheduler, at=at):
        from geoquartier.mobility.batch import isochrones_all

        raise typer.Exit(
            isochrones_all(
                output,
                minutes=mins,
                profile=profile,
                category=category or "office",
                per_point=per_point,
                buffer_m=buffer_m,
                workers=workers,
                scheduler=scheduler,
                echo=typer.echo,
            )
        )
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
    what = "the place given" if at is not None else f"{len(points)} × {category or 'office'}"
    typer.echo(_isochrone_summary(spec, result, what, buffer_m))
    typer.echo(f"written: {output}")


def _isochrone_summary(spec, result, what: str, buffer_m: float) -> str:
    """The areas as a planner reads them: time, area, residents within, residents inside."""
    head = result.iloc[0] if len(result) else None
    lines = [
        f"Walking-time areas around {what} — {spec.name}"
        + (
            ""
            if head is None
            else f" (profile {head['profile']}, "
            + ("walk network)" if head["method"] == "network" else "straight-line estimate)")
        ),
        "",
        f"{'':<32}{'minutes':>8}{'area':>12}{'residents':>12}{'in area':>10}",
    ]
    has_residents = len(result) and result["residents"].notna().any()
    for _, row in result.iterrows():
        label = str(row.get("point_id", "all together"))[:31]
        residents = f"{round(row['residents']):,}" if has_residents else "–"
        inside = f"{round(row['residents_in_area']):,}" if has_residents else "–"
        lines.append(
            f"{label:<32}{row['minutes']:>8g}{row['area_m2'] / 10_000:>9.1f} ha"
            f"{residents:>12}{inside:>10}"
        )
    if has_residents:
        lines += [
            "",
            "residents: homes whose own walking time to the nearest starting point is within "
            "the minutes (for all starting points together: the figure 'geoquartier access' "
            "gives);",
            f"in area: homes whose point lies inside the drawn area ({buffer_m:g} m either side "
            "of the reached ways). They differ: homes set back more than that from their way "
            "are outside the area though reached in time; homes next to a reached way whose "
            "own way is not reached in time are inside.",
        ]
    return "\n".join(lines)
