"""What the planning models read from a quartier's workspace: its facilities with hours
and languages, the categories a planner may name, and the default candidate sites.

Used by ``geoquartier locate`` / ``supply`` and the planning HTTP endpoints. Layers are
read from a :class:`geoquartier.layers.store.GeoPackageStore`; everything is EPSG:4326.
"""

from __future__ import annotations

from geoquartier.errors import GeoquartierError

FACILITY_LAYERS = ("offices", "services", "pois")
NOT_A_SITE = frozenset({"park"})
"""Existing facilities of these categories are no candidate site (not a building)."""


def known_categories() -> tuple[str, ...]:
    """Every category a planner may name: office, the service and the POI categories."""
    from geoquartier.layers.schema import POI_CATEGORIES, SERVICE_CATEGORIES

    return ("office",) + SERVICE_CATEGORIES + POI_CATEGORIES


def check_category(category: str) -> str:
    """``category`` if known, else a clear error listing the known ones."""
    if category not in known_categories():
        raise GeoquartierError(
            f"unknown category {category!r}; choose one of {', '.join(known_categories())}"
        )
    return category


def planning_facilities(store, quartier: str):
    """Offices (category ``office``), services and places of a quartier as one point layer
    with ``id, category, name, address, opening_hours, languages, layer`` (EPSG:4326)."""
    import geopandas as gpd
    import pandas as pd

    frames = []
    for layer in FACILITY_LAYERS:
        gdf = store.read(layer, quartier=quartier)
        if gdf.empty:
            continue
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        n = len(gdf)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "id": gdf["id"].astype(str).to_numpy(),
                    "category": "office" if layer == "offices" else gdf["category"].astype(str),
                    "name": _objects(gdf, "name", n),
                    "address": _objects(gdf, "address", n),
                    "opening_hours": _objects(gdf, "opening_hours", n),
                    "languages": _objects(gdf, "languages", n),
                    "layer": layer,
                },
                geometry=gdf.geometry.values,
                crs=gdf.crs,
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {c: [] for c in ("id", "category", "name", "address", "opening_hours", "languages")},
            geometry=[],
            crs="EPSG:4326",
        )
    return gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )


def _objects(gdf, column: str, n: int) -> list:
    """The column's values as plain objects, None where missing (lists stay lists)."""
    import pandas as pd

    if column not in gdf:
        return [None] * n
    return [
        None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
        for v in gdf[column].astype(object)
    ]


def default_candidates(spec, store, facilities, category: str):
    """Buildings and addresses of the quartier with a public, community, religious,
    educational, retail or office use, plus the facilities of the other categories."""
    from geoquartier.layers.sources.osm_uses import read_uses
    from geoquartier.mobility.candidates import candidate_sites

    extract = spec.source_path("osm_extract")
    uses = None
    if extract is not None and extract.exists():
        uses = read_uses(extract, spec.boundary)
    others = facilities[
        (facilities["category"] != category) & ~facilities["category"].isin(NOT_A_SITE)
    ]
    return candidate_sites(
        store.read("buildings", quartier=spec.id),
        uses,
        store.read("addresses", quartier=spec.id),
        others,
    )
