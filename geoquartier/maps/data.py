"""What a map shows, gathered in one object: the quartier's layers and walking results.

:class:`MapData` is what the drawing code (:mod:`geoquartier.maps.builder`) takes; this
module is the only part of :mod:`geoquartier.maps` that reads: :func:`gather_map_data`
finds a registry quartier, imports it into the workspace if needed and calls
:func:`collect_map_data`, which reads the store and computes the walking results with
:mod:`geoquartier.mobility` (the network :func:`geoquartier.mobility.network_for` gives:
the quartier's walk extract or Overpass in network mode, straight line × detour factor in
estimate mode). Every GeoDataFrame is in EPSG:4326.

A network quartier whose network is missing (:class:`~geoquartier.errors.DataMissingError`)
or cannot be built (any other error, logged with this module's logger) is drawn with
estimated walking times, and :attr:`MapData.network_issue` says why, so that the map can
tell its readers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.layers.schema import POI_CATEGORIES, SERVICE_CATEGORIES
from geoquartier.maps.styles import ISOCHRONE_MINUTES
from geoquartier.mobility import EstimateNetwork, nearest_facilities, network_for
from geoquartier.mobility.isochrones import isochrones
from geoquartier.mobility.profiles import PROFILES as _PROFILES
from geoquartier.registry import note_translations
from geoquartier.vocabulary import ANALYSIS_CRS, STORAGE_CRS

logger = logging.getLogger(__name__)

MAP_LAYERS = (
    "quartiers",
    "offices",
    "services",
    "pois",
    "stops",
    "measures",
    "population",
    "annotations",
)
"""Store layers a map draws (``buildings`` only feed the offline basemap)."""

PROFILES = tuple(_PROFILES)
"""Names of the walking profiles (:data:`geoquartier.mobility.profiles.PROFILES`)."""
ACCESS_CATEGORIES = SERVICE_CATEGORIES + POI_CATEGORIES
"""Targets of the walking-access layer besides the office (``category=None``)."""

STREET_MARGIN_M = 400.0
"""Streets of the offline basemap reach this far (metres) beyond the quartier boundary."""

NETWORK_MISSING = "missing"
"""``network_issue``: the quartier has no walk network data (walking times estimated)."""
NETWORK_FAILED = "failed"
"""``network_issue``: building the walk network failed (logged; walking times estimated)."""

_PLACE_SEPARATOR = "\x1f"


@dataclass
class ScenarioOverlay:
    """One published scenario as the map shows it (EPSG:4326).

    ``edits``: one row per place an edit names (``change``: added, changed or closed, see
    :data:`geoquartier.mobility.scenarios.EDIT_CHANGES`; ``kind``; ``length_m`` of lines);
    ``homes``: the homes or cells whose walking time to the nearest ``category`` (None =
    office) changes for ``profile`` (``walk_min_before``, ``walk_min_after``, ``gain_min``,
    ``residents``), or None; ``residents_gaining_access`` as in
    :mod:`geoquartier.mobility.scenarios.effects`; ``error`` why nothing was computed."""

    id: str
    title: str
    description: str = ""
    edits: gpd.GeoDataFrame | None = None
    homes: gpd.GeoDataFrame | None = None
    category: str | None = None
    profile: str = "standard"
    residents_gaining_access: float = 0.0
    error: str = ""


@dataclass
class MapData:
    """Everything one quartier map draws (all GeoDataFrames in EPSG:4326).

    ``layers`` maps store layer names to GeoDataFrames (missing = not drawn);
    ``isochrones`` has ``minutes`` (5/10/15) around the offices; ``access`` has one row
    per origin (population cell or home) with ``walk_min`` to the nearest target
    (``access_category``: None = office, else a service/POI category); ``walk_from_office``
    maps ``(layer, id)`` to minutes from the nearest office; ``method`` is ``network`` or
    ``estimate``; ``network_issue`` is None, :data:`NETWORK_MISSING` or
    :data:`NETWORK_FAILED` (why a network quartier got estimates); ``streets``/``buildings``
    feed the offline basemap (streets with their ``name``); ``addresses`` (OSM address
    points) feed the address search and the street of unnamed places; ``location_notes``
    maps office ids to their registry ``location_note`` by language; ``scenarios`` holds
    one :class:`ScenarioOverlay` per published scenario of the quartier.
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
    network_issue: str | None = None
    addresses: gpd.GeoDataFrame | None = None
    location_notes: dict[str, dict[str, str]] = field(default_factory=dict)
    planning: Any = None
    """Stored location / supply results drawn as overlays
    (:class:`geoquartier.maps.planning.PlanningOverlays`; None: none)."""
    scenarios: list[ScenarioOverlay] = field(default_factory=list)

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
        raise GeoquartierError(
            f"unknown walking profile {profile!r}; choose one of {', '.join(PROFILES)}"
        )
    return profile


def check_category(category: str | None) -> str | None:
    """``category`` if it is a service or daily-needs category (or None = office)."""
    if category is not None and category not in ACCESS_CATEGORIES:
        raise GeoquartierError(
            f"unknown category {category!r}; choose one of {', '.join(ACCESS_CATEGORIES)}"
        )
    return category


# ---- reading -----------------------------------------------------------------------------
def gather_map_data(
    quartier: Any,
    *,
    profile: str = "standard",
    category: str | None = None,
    store: Any = None,
    network: Any = None,
    progress: bool = False,
    sites: str | None = None,
    supply: str | None = None,
) -> MapData:
    """The :class:`MapData` of a registry quartier, ready for the builder (EPSG:4326).

    ``quartier`` is a registry id or a :class:`geoquartier.registry.QuartierSpec`;
    ``store`` a :class:`geoquartier.layers.store.GeoPackageStore` (default: the
    workspace), into which the quartier is imported first if it is not there yet;
    ``network`` a ready walk network (default: the quartier's own, see
    :func:`collect_map_data`); ``sites`` / ``supply`` the name of a stored location /
    supply result to show (see :func:`collect_map_data`).
    """
    from geoquartier.importer import import_quartier
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.registry import get_quartier

    check_profile(profile)
    check_category(category)
    spec = get_quartier(quartier) if isinstance(quartier, str) else quartier
    store = store if store is not None else get_layer_store()
    if store.read("quartiers", quartier=spec.id).empty:
        import_quartier(spec, store, progress=progress)
    return collect_map_data(
        spec, store, profile=profile, category=category, network=network, sites=sites,
        supply=supply,
    )  # fmt: skip


def collect_map_data(
    spec: Any,
    store: Any,
    profile: str = "standard",
    category: str | None = None,
    network: Any = None,
    sites: str | None = None,
    supply: str | None = None,
) -> MapData:
    """Read a quartier's layers from ``store`` and compute its walking results.

    ``spec`` is a :class:`geoquartier.registry.QuartierSpec`; ``store`` a
    :class:`geoquartier.layers.store.GeoPackageStore` holding the imported quartier;
    ``network`` (optional) a ready walk network, else the quartier's network from
    :func:`geoquartier.mobility.network_for` (memoised in the process, shared with the CLI
    and the HTTP API), fetched only when the map has something to walk from or to.
    The planning results kept in the workspace come along
    (:func:`geoquartier.maps.planning.planning_overlays`): ``sites`` / ``supply`` name the
    stored location / supply result to show switched on (default: the latest, off).
    Returns a :class:`MapData` in EPSG:4326.
    """
    from geoquartier.maps.planning import planning_overlays

    check_profile(profile)
    check_category(category)
    data = _read_layers(spec, store, profile)
    data.planning = planning_overlays(store, spec.id, sites=sites, supply=supply)
    net = network if network is not None else _walk_network(spec, data, category)
    if net is None:
        return data  # nothing to walk from or to: no walking layers
    if getattr(net, "method", "network") == "network":
        data.streets = streets_near(net, data.layer("quartiers"))
    add_walking(data, net, category)
    data.scenarios = scenario_overlays(spec.id, store, net, data.profile, category)
    link_measures(data)
    return data


def _read_layers(spec: Any, store: Any, profile: str) -> MapData:
    layers = {name: store.read(name, quartier=spec.id) for name in MAP_LAYERS}
    if layers["quartiers"].empty:
        raise GeoquartierError(
            f"quartier {spec.id!r} is not in the workspace {store.path}; import it first"
        )
    layers["offices"] = with_unplaced_offices(layers["offices"], spec)
    q = layers["quartiers"].iloc[0]
    buildings = store.read("buildings", quartier=spec.id)
    addresses = store.read("addresses", quartier=spec.id)
    return MapData(
        quartier=spec.id,
        name=_text(q.get("name"), spec.name),
        city=_text(q.get("city")),
        state=_text(q.get("state"), spec.state),
        profile=profile,
        layers=layers,
        population_source=_text(q.get("population_source")),
        buildings=buildings if len(buildings) else None,
        addresses=addresses if len(addresses) else None,
        location_notes={
            str(o["id"]): note_translations(o.get("location_note"))
            for o in getattr(spec, "office_entries", ())
            if o.get("location_note")
        },
    )


def with_unplaced_offices(offices: gpd.GeoDataFrame, spec: Any) -> gpd.GeoDataFrame:
    """``offices`` plus the registry's offices that have no location in the data, with an
    empty geometry: the place list shows their address, phone and opening hours, but no
    marker is drawn and no walking time is computed for them (EPSG:4326)."""
    placed = set(offices["id"].astype(str)) if "id" in offices else set()
    rows = [
        {
            **{k: v for k, v in office.items() if k in offices.columns},
            "id": str(office["id"]),
            "quartier": spec.id,
            "location_quality": "unknown",
        }
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


# ---- the walk network --------------------------------------------------------------------
def _needs_network(data: MapData, category: str | None) -> bool:
    """Whether anything is walked: isochrones need offices, the access layer needs origins
    and targets."""
    if not data.drawable_offices().empty:
        return True
    return not data.layer("population").empty and not _targets(data, category).empty


def _walk_network(spec: Any, data: MapData, category: str | None) -> Any:
    """The quartier's walk network; ``None`` when the map has nothing to walk from or to.

    A missing network (:class:`DataMissingError`) and a network that cannot be built (any
    other error, logged with its traceback unless it is a :class:`GeoquartierError`) give
    an estimate-mode stand-in and set ``data.network_issue``; the map says why.
    """
    if not _needs_network(data, category):
        return None
    try:
        return network_for(spec)
    except DataMissingError as exc:
        logger.info("no walk network for quartier %r (%s): walking times estimated", spec.id, exc)
        data.network_issue = NETWORK_MISSING
    except Exception as exc:
        logger.warning(
            "walk network of quartier %r could not be built (%s: %s): walking times estimated",
            spec.id,
            type(exc).__name__,
            exc,
            exc_info=not isinstance(exc, GeoquartierError),
        )
        data.network_issue = NETWORK_FAILED
    return EstimateNetwork()


def streets_near(
    network: Any, boundary: gpd.GeoDataFrame, margin_m: float = STREET_MARGIN_M
) -> gpd.GeoDataFrame:
    """Edges of ``network`` within ``margin_m`` metres of the boundary, with their street
    ``name`` (EPSG:4326)."""
    edges = network.edges_gdf()
    edges = edges[["name", "geometry"]] if "name" in edges else edges[["geometry"]]
    if boundary.empty:
        return edges
    area = boundary.to_crs(ANALYSIS_CRS).buffer(margin_m).to_crs(STORAGE_CRS).union_all()
    return edges[edges.intersects(area)]


# ---- walking results ---------------------------------------------------------------------
def _targets(data: MapData, category: str | None) -> gpd.GeoDataFrame:
    if category is None:
        return data.drawable_offices()
    layer = "services" if category in SERVICE_CATEGORIES else "pois"
    gdf = data.layer(layer)
    return gdf[gdf["category"] == category] if len(gdf) else gdf


def add_walking(data: MapData, network: Any, category: str | None = None) -> MapData:
    """Fill ``isochrones``, ``access`` and ``walk_from_office`` of ``data`` from ``network``.

    Uses :func:`geoquartier.mobility.isochrones.isochrones` (5/10/15 min around the
    drawable offices) and :func:`geoquartier.mobility.nearest_facilities` (every
    population cell/home to the nearest target; every service and place to the nearest
    office) with ``data.profile``. Without offices or targets the parts stay empty.
    All GeoDataFrames in EPSG:4326.
    """
    check_category(category)
    data.access_category = category
    data.method = getattr(network, "method", "network")
    offices = data.drawable_offices()[["id", "geometry"]]
    if len(offices):
        data.isochrones = isochrones(network, offices, ISOCHRONE_MINUTES, profile=data.profile)
        data.walk_from_office = _walk_from_office(data, network, offices)
    data.access = _access(data, network, _targets(data, category))
    return data


def _access(data: MapData, network: Any, targets: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Every population cell/home with ``walk_min`` to the nearest of ``targets``."""
    origins = data.layer("population")
    if not len(targets) or not len(origins):
        return None
    res = nearest_facilities(
        network,
        origins[["id", "geometry"]],
        targets[["id", "geometry"]],
        category_col=None,
        profile=data.profile,
    )
    minutes = res.set_index("origin_id")["walk_min"]
    access = origins[["id", "residents", "geometry"]].copy()
    access["walk_min"] = access["id"].map(minutes).astype(float)
    return access


def _walk_from_office(
    data: MapData, network: Any, offices: gpd.GeoDataFrame
) -> dict[tuple[str, str], float]:
    """Minutes from every service, daily-needs place and stop to the nearest office."""
    places = []
    for layer in ("services", "pois", "stops"):
        gdf = data.layer(layer)
        if len(gdf):
            part = gdf[["id", "geometry"]].copy()
            part["id"] = layer + _PLACE_SEPARATOR + part["id"].astype(str)
            places.append(part)
    if not places:
        return {}
    all_places = gpd.GeoDataFrame(pd.concat(places, ignore_index=True), crs=STORAGE_CRS)
    res = nearest_facilities(network, all_places, offices, category_col=None, profile=data.profile)
    walk: dict[tuple[str, str], float] = {}
    for oid, minutes in zip(res["origin_id"], res["walk_min"], strict=True):
        if minutes is not None and np.isfinite(minutes):
            layer, pid = str(oid).split(_PLACE_SEPARATOR, 1)
            walk[(layer, pid)] = float(minutes)
    return walk


# ---- published scenarios -----------------------------------------------------------------
OFFICE_CATEGORY = "office"
"""The category the scenario comparison gives the offices (``planning_facilities``)."""


def scenario_overlays(
    quartier: str, store: Any, network: Any, profile: str, category: str | None
) -> list[ScenarioOverlay]:
    """One :class:`ScenarioOverlay` per published scenario of ``quartier`` in the
    workspace GeoPackage of ``store`` (drafts never); empty for other stores.

    The homes shown are those whose walking time changes to the map's own target
    (``category``, None = office) with the map's ``profile``; when the scenario changes
    nothing there, the category and profile in which the most residents' walking times
    change (the legend names both). EPSG:4326."""
    from geoquartier.mobility.planning_inputs import planning_facilities
    from geoquartier.mobility.scenarios import published_effects

    path = getattr(store, "path", None)
    if not isinstance(path, Path) or not path.is_file():
        return []
    population = store.read("population", quartier=quartier)
    facilities = planning_facilities(store, quartier)
    if population.empty:
        effects = _without_residents(path, quartier)
    else:
        effects = published_effects(
            path, quartier, network, population[["id", "residents", "geometry"]], facilities
        )
    target = OFFICE_CATEGORY if category is None else category
    return [_overlay(effect, facilities, target, profile) for effect in effects]


def _without_residents(path: Path, quartier: str) -> list:
    """Published scenarios of a quartier without residents: their edits only."""
    from geoquartier.mobility.scenarios import ScenarioEffect, list_scenarios, load_scenario

    table = list_scenarios(path, quartier)
    return [
        ScenarioEffect(load_scenario(path, sid), error="no residents in the quartier")
        for sid in table.loc[table["status"] == "published", "id"]
    ]


def _overlay(effect: Any, facilities: gpd.GeoDataFrame, target: str, profile: str):
    s = effect.scenario
    overlay = ScenarioOverlay(
        s.id,
        s.title,
        s.description,
        edits=scenario_edit_places(s, facilities),
        residents_gaining_access=effect.residents_gaining_access,
        error=effect.error,
        profile=profile,
        category=None if target == OFFICE_CATEGORY else target,
    )
    changed = effect.changed
    if changed is None or changed.empty:
        return overlay
    mine = (changed["category"].astype(str) == target) & (changed["profile"] == profile)
    if not mine.any():
        sums = changed.groupby(["category", "profile"], sort=True)["residents"].sum()
        cat, profile = sums.idxmax()
        mine = (changed["category"].astype(str) == cat) & (changed["profile"] == profile)
        overlay.category = None if cat == OFFICE_CATEGORY else str(cat)
        overlay.profile = str(profile)
    cols = ["origin_id", "walk_min_before", "walk_min_after", "gain_min", "residents"]
    overlay.homes = gpd.GeoDataFrame(changed.loc[mine, cols + ["geometry"]], crs=STORAGE_CRS)
    return overlay


def scenario_edit_places(scenario: Any, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The places a scenario's edits name (EPSG:4326): ``change`` (added, changed, closed),
    ``kind`` and ``length_m`` (lines, metres in EPSG:25832; 0 for points). A closed or moved
    facility is drawn where it is now (closed)."""
    from geoquartier.mobility.scenarios import EDIT_CHANGES

    where = {}
    if "id" in facilities and len(facilities):
        where = dict(zip(facilities["id"].astype(str), facilities.geometry, strict=True))
    rows, geoms = [], []
    for edit in scenario.edits:
        if edit.geometry is not None:
            rows.append({"change": EDIT_CHANGES[edit.kind], "kind": edit.kind})
            geoms.append(edit.geometry)
        old = where.get(str(edit.params.get("facility_id")))
        if edit.kind in ("facility_move", "facility_close") and old is not None:
            rows.append({"change": "closed", "kind": edit.kind})
            geoms.append(old)
    places = gpd.GeoDataFrame(rows, geometry=geoms, crs=STORAGE_CRS)
    if len(places):
        places["length_m"] = places.geometry.to_crs(ANALYSIS_CRS).length.to_numpy()
    else:
        places["length_m"] = pd.Series(dtype=float)
    return places


def link_measures(data: MapData) -> None:
    """Give each building measure that names a published scenario of the map the
    scenario's title and its residents gaining access (``scenario_title``,
    ``scenario_gaining_access``, ``scenario_access_min``) for the popup; measures naming
    none (or a scenario not published) stay as they are."""
    from geoquartier.mobility.scenarios import ACCESS_MINUTES

    measures = data.layers.get("measures")
    if measures is None or measures.empty or "scenario_id" not in measures:
        return
    by_id = {o.id: o for o in data.scenarios if not o.error}
    linked = [by_id.get(str(s)) if not pd.isna(s) else None for s in measures["scenario_id"]]
    if not any(linked):
        return
    measures = measures.copy()
    measures["scenario_title"] = [o.title if o else None for o in linked]
    measures["scenario_gaining_access"] = [
        o.residents_gaining_access if o else None for o in linked
    ]
    measures["scenario_access_min"] = ACCESS_MINUTES
    data.layers["measures"] = measures
