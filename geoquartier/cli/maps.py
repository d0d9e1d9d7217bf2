"""``geoquartier map``: write a quartier's interactive map as one standalone HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import app
from geoquartier.cli.options import ProfileOption, QuartierArgument, category_option


@app.command("map")
def map_command(
    quartier: QuartierArgument,
    lang: str = typer.Option(
        "de", "--lang", "-l", help="Language of the map: de, en, tr, ro or bg."
    ),
    profile: ProfileOption = "standard",
    category: Annotated[
        str | None,
        category_option(
            "Colour homes by walking time to the nearest service or place of this category "
            "(e.g. migration, debt, grocery, pharmacy); default: the office."
        ),
    ] = None,
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        help="HTML file to write; default maps/<quartier>.<lang>.html (GEOQUARTIER_MAPS).",
    ),
    all_languages: bool = typer.Option(
        False,
        "--all-languages",
        help="Also write the map in the other four languages beside it, "
        "so that the language switch on the page works.",
    ),
    sites: str | None = typer.Option(
        None,
        "--sites",
        help="Show the proposed sites of this stored locate result (its --name, e.g. latest); "
        "without it the latest is in the layer list, switched off.",
    ),
    supply: str | None = typer.Option(
        None,
        "--supply",
        help="Show the hours per 1,000 residents of this stored supply result (its --name).",
    ),
    tiles: str = typer.Option(
        "osm",
        "--tiles",
        help="Background: 'osm' (OpenStreetMap tiles, offline street map when they cannot "
        "load), 'none' (offline street map only) or a tile URL template with {z}/{x}/{y}.",
    ),
) -> None:
    """Write the interactive map of QUARTIER as one HTML file that works without internet.

    The map shows the boundary, the offices with opening hours ("open now" is worked out
    when the map is opened), advisory services and daily needs, building measures, transit
    stops, residents, walking times (5/10/15 min from the office; every home or cell to
    the nearest office or chosen service) and approved contributions, with a legend, a
    language switch and a text list of all places. The quartier is imported into the
    workspace first if it is not there yet. Prints the path of each file written.
    """
    from geoquartier.config import maps_dir
    from geoquartier.importer import import_quartier
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.maps.batch import map_filename, sibling_hrefs
    from geoquartier.maps.builder import OSM_TILE_URL, build_quartier_map, save_map
    from geoquartier.maps.data import check_category, check_profile, collect_map_data
    from geoquartier.maps.i18n import LANGUAGES, check_language
    from geoquartier.registry import get_quartier

    check_language(lang)
    check_profile(profile)
    check_category(category)
    tile_url = {"osm": OSM_TILE_URL, "none": None}.get(tiles, tiles)
    if tile_url is not None and not all(k in tile_url for k in ("{z}", "{x}", "{y}")):
        raise typer.BadParameter("a tile URL must contain {z}, {x} and {y}", param_hint="--tiles")
    spec = get_quartier(quartier)
    store = get_layer_store()
    if store.read("quartiers", quartier=spec.id).empty:
        typer.echo(f"importing {spec.id} into {store.path} ...", err=True)
        import_quartier(spec, store)
    data = collect_map_data(
        spec, store, profile=profile, category=category, sites=sites, supply=supply
    )
    path = Path(output) if output else maps_dir() / map_filename(spec.id, lang, profile, category)
    langs = [lang] + ([other for other in LANGUAGES if other != lang] if all_languages else [])
    hrefs = sibling_hrefs(path, lang)
    for current in langs:
        target = path.with_name(hrefs[current])
        m = build_quartier_map(data, lang=current, tile_url=tile_url, language_href=hrefs)
        typer.echo(str(save_map(m, target)))
