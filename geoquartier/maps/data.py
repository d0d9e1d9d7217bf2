"""What a map shows, gathered in one object: the quartier's layers and walking results.

:class:`MapData` is what the drawing code takes; :func:`collect_map_data` fills it for a
registry quartier from the workspace store and :mod:`geoquartier.mobility` (the network
:func:`geoquartier.mobility.network_for` gives: the quartier's walk extract or Overpass in
network mode, straight line × detour factor in estimate mode). Every GeoDataFrame is in
EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.schema import POI_CATEGORIES, SERVICE_CATEGORIES

MAP_LAYERS = ("quartiers", "offices", "services", "pois", "stops", "measures", "population", "annotations")
"""Store layers a map draws (``buildings`` only feed the offline basemap)."""

PROFILES = ("standard", "senior", "wheelchair")
ACCESS_CATEGORIES = SERVICE_CATEGORIES + POI_CATEGORIES
"""Targets of the walking-access layer besides the office (``category=None``)."""


@dataclass
class MapData:
    """Everything one quartier map draws (all GeoDataFrames in EPSG:4326).

    ``layers`` maps store layer names to GeoDataFrames (missing = not drawn);
    ``isochrones`` has ``minutes`` (5/10/15) around the offices; ``access`` has one row
    per origin (population cell or home) with ``walk_min`` to the nearest target
    (``access_category``: None = office, else a service/POI category); ``walk_from_office``
    maps ``(layer, id)`` to minutes from the nearest office; ``method`` is ``network`` or
    ``estimate``; ``streets``/``buildings`` feed the offline basemap.
    """

    quartier: str
    name: str
    city: str = ""
    state: str = "DE-NW"
    method: str = "estimate"
    profile: str = "standard"
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    isochrones: gpd.GeoDataFrame | None = None
    access: gpd.GeoDataFrame | None = None
    access_category: str | None = None
    walk_from_office: dict[tuple[str, str], float] = field(default_factory=dict)
    streets: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    population_source: str = ""

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """The layer, or an empty GeoDataFrame in EPSG:4326."""
        gdf = self.layers.get(name)
        if gdf is None:
            return gpd.GeoDataFrame({"id": pd.Series(dtype=str)}, geometry=[], crs=STORAGE_CRS)
        if gdf.crs is None or gdf.crs.to_epsg() != 4326:
            raise GeoquartierError(f"layer {name!r} must be in EPSG:4326, got {gdf.crs}")
        return gdf

    def drawable_offices(self) -> gpd.GeoDataFrame:
        """Offices that have a location (registry offices without one are listed, not drawn)."""
        offices = self.layer("offices")
        return offices[offices.geometry.notna() & ~offices.geometry.is_empty]


def check_profile(profile: str) -> str:
    """``profile`` if known (standard, senior, wheelchair), else a GeoquartierError."""
    if profile not in PROFILES:
        raise GeoquartierError(f"unknown walking profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return profile


def check_category(category: str | None) -> str | None:
    """``category`` if it is a service or daily-needs category (or None = office)."""
    if category is not None and category not in ACCESS_CATEGORIES:
        raise GeoquartierError(
            f"unknown category {category!r}; choose one of {', '.join(ACCESS_CATEGORIES)}"
        )
    return category


def _targets(data: MapData, category: str | None) -> gpd.GeoDataFrame:
    if category is None:
        return data.drawable_offices()
    layer = "services" if category in SERVICE_CATEGORIES else "pois"
    gdf = data.layer(layer)
    return gdf[gdf["category"] == category]


def add_walking(data: MapData, network: Any, category: str | None = None) -> MapData:
    """Fill ``isochrones``, ``access`` and ``walk_from_office`` of ``data`` from ``network``.

    Uses :func:`geoquartier.mobility.isochrones.isochrones` (5/10/15 min around the
    drawable offices) and :func:`geoquartier.mobility.nearest_facilities` (every
    population cell/home to the nearest target; every service and place to the nearest
    office) with ``data.profile``. Without offices or targets the parts stay empty.
    """
    from geoquartier.mobility import nearest_facilities
    from geoquartier.mobility.isochrones import isochrones

    check_category(category)
    data.access_category = category
    data.method = getattr(network, "method", "network")
    offices = data.drawable_offices()
    if len(offices):
        data.isochrones = isochrones(network, offices[["id", "geometry"]], (5, 10, 15),
                                     profile=data.profile)
    targets = _targets(data, category)
    origins = data.layer("population")
    if len(targets) and len(origins):
        res = nearest_facilities(network, origins[["id", "geometry"]], targets[["id", "geometry"]],
                                 category_col=None, profile=data.profile)
        minutes = res.set_index("origin_id")["walk_min"]
        access = origins[["id", "residents", "geometry"]].copy()
        access["walk_min"] = access["id"].map(minutes).astype(float)
        data.access = access
    if len(offices):
        places = []
        for layer in ("services", "pois", "stops"):
            gdf = data.layer(layer)
            if len(gdf):
                part = gdf[["id", "geometry"]].copy()
                part["id"] = layer + "\x1f" + part["id"].astype(str)
                places.append(part)
        if places:
            allp = gpd.GeoDataFrame(pd.concat(places, ignore_index=True), crs=STORAGE_CRS)
            res = nearest_facilities(network, allp, offices[["id", "geometry"]],
                                     category_col=None, profile=data.profile)
            for oid, minutes in zip(res["origin_id"], res["walk_min"]):
                if minutes is not None and np.isfinite(minutes):
                    layer, pid = str(oid).split("\x1f", 1)
                    data.walk_from_office[(layer, pid)] = float(minutes)
    return data


def collect_map_data(spec: Any, store: Any, profile: str = "standard",
                     category: str | None = None, network: Any = None) -> MapData:
    """Read a quartier's layers from ``store`` and compute its walking results.

    ``spec`` is a :class:`geoquartier.registry.QuartierSpec`; ``store`` a
    :class:`geoquartier.layers.store.GeoPackageStore` holding the imported quartier;
    ``network`` (optional) a ready walk network, else the quartier's network from
    :func:`geoquartier.mobility.network_for` (memoised in the process, shared with the CLI
    and the HTTP API). Returns a :class:`MapData` in EPSG:4326.
    """
    check_profile(profile)
    check_category(category)
    layers = {name: store.read(name, quartier=spec.id) for name in MAP_LAYERS}
    if layers["quartiers"].empty:
        raise GeoquartierError(f"quartier {spec.id!r} is not in the workspace {store.path}; import it first")
    layers["offices"] = with_unplaced_offices(layers["offices"], spec)
    q = layers["quartiers"].iloc[0]
    data = MapData(
        quartier=spec.id, name=_text(q.get("name"), spec.name), city=_text(q.get("city")),
        state=_text(q.get("state"), spec.state), profile=profile, layers=layers,
        population_source=_text(q.get("population_source")),
    )
    buildings = store.read("buildings", quartier=spec.id)
    data.buildings = buildings if len(buildings) else None
    net = network if network is not None else _walk_network(spec, data)
    if net is None:
        return data  # nothing to walk from or to: no walking layers
    if getattr(net, "method", "network") == "network":
        data.streets = streets_near(net, layers["quartiers"])
    add_walking(data, net, category)
    return data


def with_unplaced_offices(offices: gpd.GeoDataFrame, spec: Any) -> gpd.GeoDataFrame:
    """``offices`` plus the registry's offices that have no location in the data, with an
    empty geometry: the place list shows their address, phone and opening hours, but no
    marker is drawn and no walking time is computed for them (EPSG:4326)."""
    placed = set(offices["id"].astype(str)) if "id" in offices else set()
    rows = [
        {**{k: v for k, v in office.items() if k in offices.columns},
         "id": str(office["id"]), "quartier": spec.id, "location_quality": "unknown"}
        for office in getattr(spec, "offices", ())
        if office.get("lon") is None and str(office["id"]) not in placed
    ]
    if not rows:
        return offices
    extra = gpd.GeoDataFrame(rows, geometry=[None] * len(rows), crs=STORAGE_CRS)
    return gpd.GeoDataFrame(pd.concat([offices, extra], ignore_index=True), crs=STORAGE_CRS)


def _text(value: Any, default: str = "") -> str:
    """``value`` as text; missing values (None, NaN, pandas NA) give ``default``."""
    return default if value is None or pd.isna(value) or value == "" else str(value)


def _walk_network(spec: Any, data: MapData) -> Any:
    """The quartier's walk network, ``None`` when the map has nothing to walk from or to,
    or an estimate-mode stand-in (labelled "estimate" on the map) when the network cannot
    be had (a quartier whose network comes from Overpass, offline)."""
    from geoquartier.errors import DataMissingError
    from geoquartier.mobility import EstimateNetwork, network_for

    if data.drawable_offices().empty and data.layer("population").empty:
        return None
    try:
        return network_for(spec)
    except DataMissingError:
        return EstimateNetwork()


def streets_near(network: Any, boundary: gpd.GeoDataFrame, margin_m: float = 400.0) -> gpd.GeoDataFrame:
    """Edges of ``network`` within ``margin_m`` metres of the boundary (EPSG:4326), simplified."""
    from geoquartier.config import ANALYSIS_CRS

    edges = network.edges_gdf()[["geometry"]]
    if boundary.empty:
        return edges
    area = boundary.to_crs(ANALYSIS_CRS).buffer(margin_m).to_crs(STORAGE_CRS).union_all()
    edges = edges[edges.intersects(area)]
    return edges
