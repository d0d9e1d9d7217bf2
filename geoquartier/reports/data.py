"""What the printed documents show, read from the workspace store (no network access).

:func:`collect_document_data` reads a quartier's layers and its walk network. Documents are
made offline: a quartier with a local walk extract uses it
(:func:`geoquartier.mobility.network_for`); every other quartier uses the estimate network
(straight line × detour factor, labelled "ca." in the documents) — never Overpass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import ANALYSIS_CRS
from geoquartier.errors import GeoquartierError

DOCUMENT_LAYERS = (
    "quartiers",
    "offices",
    "services",
    "pois",
    "stops",
    "population",
    "measures",
    "events",
    "addresses",
)
"""Store layers the documents read (``buildings`` separately, for the base map only)."""

STREET_MARGIN_M = 300.0
"""Network edges drawn around the boundary (metres)."""


@dataclass
class DocumentData:
    """A quartier's layers for the documents (every GeoDataFrame in EPSG:4326).

    ``network`` is a WalkNetwork or EstimateNetwork; ``method`` is ``network`` or
    ``estimate``; ``streets`` the network edges near the boundary (None in estimate mode);
    ``office_walk_min`` maps service ids to minutes from the nearest office;
    ``store_path`` is the GeoPackage read (for the monitoring snapshots).
    """

    spec: Any
    quartier: dict
    layers: dict[str, gpd.GeoDataFrame]
    buildings: gpd.GeoDataFrame
    network: Any = None
    method: str = "estimate"
    streets: gpd.GeoDataFrame | None = None
    office_walk_min: dict[str, float] = field(default_factory=dict)
    store_path: Any = None

    @property
    def name(self) -> str:
        return str(self.quartier.get("name") or self.spec.name)

    def event_title(self, event_id: str) -> str | None:
        """The title of the event ``event_id`` in the ``events`` layer, None if not there."""
        events = self.layers.get("events")
        if events is None or events.empty:
            return None
        match = events[events["id"].astype(str) == str(event_id)]
        return None if match.empty else str(match["title"].iloc[0])

    def placed(self, layer: str) -> gpd.GeoDataFrame:
        """Rows of ``layer`` that have a location (EPSG:4326)."""
        gdf = self.layers[layer]
        return gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]


def offline_network(spec: Any) -> Any:
    """The quartier's walk network without going online: its local walk extract
    (:func:`geoquartier.mobility.network_for`), else the estimate network."""
    from geoquartier.mobility import EstimateNetwork, network_for

    if getattr(spec, "walk_network_path", None) is not None:
        return network_for(spec)
    return EstimateNetwork()


def collect_document_data(spec: Any, store: Any, *, walking: bool = True) -> DocumentData:
    """Read ``spec``'s quartier from ``store`` (a GeoPackageStore) for the documents.

    With ``walking`` the walk network is loaded and every advisory service gets its walking
    minutes from the nearest placed office (``office_walk_min``). All layers in EPSG:4326.
    """
    from geoquartier.maps.data import with_unplaced_offices

    layers = {name: store.read(name, quartier=spec.id) for name in DOCUMENT_LAYERS}
    if layers["quartiers"].empty:
        raise GeoquartierError(
            f"quartier {spec.id!r} is not in the workspace {store.path}; import it first"
        )
    layers["offices"] = with_unplaced_offices(layers["offices"], spec)
    quartier = {
        k: (None if _missing(v) else v)
        for k, v in layers["quartiers"].iloc[0].drop("geometry").items()
    }
    data = DocumentData(spec, quartier, layers, store.read("buildings", quartier=spec.id))
    data.store_path = getattr(store, "path", None)
    if walking:
        data.network = offline_network(spec)
        data.method = getattr(data.network, "method", "network")
        if data.method == "network":
            data.streets = _streets_near(data.network, layers["quartiers"])
        data.office_walk_min = _office_walk_min(data)
    return data


def base_map_data(spec: Any, store: Any) -> DocumentData:
    """``spec``'s layers (as :func:`collect_document_data` without walking times) with the
    footpaths near the boundary as ``streets`` when the quartier has a local walk extract:
    what a map needs under its own symbols (EPSG:4326; never goes online)."""
    data = collect_document_data(spec, store, walking=False)
    network = offline_network(spec)
    if getattr(network, "method", "network") == "network":
        data.network, data.method = network, "network"
        data.streets = _streets_near(network, data.layers["quartiers"])
    return data


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (np.isscalar(value) and pd.isna(value))


def _streets_near(network: Any, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Network edges within :data:`STREET_MARGIN_M` of the boundary (EPSG:4326)."""
    edges = network.edges_gdf()[["geometry"]].to_crs(ANALYSIS_CRS)
    area = boundary.to_crs(ANALYSIS_CRS).buffer(STREET_MARGIN_M).union_all()
    return edges[edges.intersects(area)].to_crs(boundary.crs)


def _office_walk_min(data: DocumentData) -> dict[str, float]:
    from geoquartier.mobility import nearest_facilities

    offices = data.placed("offices")
    services = data.placed("services")
    if offices.empty or services.empty:
        return {}
    res = nearest_facilities(
        data.network, services[["id", "geometry"]], offices[["id", "geometry"]], category_col=None
    )
    return {
        str(i): float(m)
        for i, m in zip(res["origin_id"], res["walk_min"], strict=True)
        if m is not None and np.isfinite(m)
    }
