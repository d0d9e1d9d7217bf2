"""Shared inputs of the mobility tests, built once per process from the real extracts.

The walk networks come from the ``*_walk_osm.osm.bz2`` files through OSMnx and are cached
on disk by :class:`geoquartier.mobility.WalkNetwork`; facilities and buildings come from
the full ``*_osm.osm.bz2`` files through ``osmnx.features_from_xml``.
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoquartier.config import data_dir
from geoquartier.mobility import WalkNetwork
from geoquartier.mobility.network import graph_from_osm_file

LAUF = "lauf_an_der_pegnitz"


def lauf_walk_path():
    return data_dir() / LAUF / f"{LAUF}_walk_osm.osm.bz2"


def lauf_full_path():
    return data_dir() / LAUF / f"{LAUF}_osm.osm.bz2"


@cache
def _lauf_network() -> WalkNetwork:
    return WalkNetwork.from_osm_file(lauf_walk_path())


@cache
def _lauf_graph():
    return graph_from_osm_file(lauf_walk_path())


@cache
def _features(path: str, key: str) -> gpd.GeoDataFrame:
    import osmnx as ox

    return ox.features_from_xml(path, tags={key: True})


@cache
def _lauf_amenities() -> gpd.GeoDataFrame:
    """Lauf's amenities as facility points (id, category, name; EPSG:4326)."""
    raw = _features(str(lauf_full_path()), "amenity").reset_index()
    metric = raw.geometry.to_crs("EPSG:25832")
    points = gpd.GeoSeries(metric.representative_point(), crs="EPSG:25832").to_crs("EPSG:4326")
    return gpd.GeoDataFrame(
        {
            "id": [f"{e}/{i}" for e, i in zip(raw["element"], raw["id"], strict=True)],
            "category": raw["amenity"].astype(str).to_numpy(),
            "name": raw["name"].where(raw["name"].notna(), None).to_numpy()
            if "name" in raw
            else None,
        },
        geometry=points.values,
        crs="EPSG:4326",
    )


@cache
def _lauf_buildings() -> gpd.GeoDataFrame:
    raw = _features(str(lauf_full_path()), "building").reset_index()
    raw = raw[raw.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    levels = (
        pd.to_numeric(raw["building:levels"], errors="coerce")
        if "building:levels" in raw
        else np.nan
    )
    return gpd.GeoDataFrame(
        {
            "id": [f"{e}/{i}" for e, i in zip(raw["element"], raw["id"], strict=True)],
            "building": raw["building"].astype(str).to_numpy(),
            "levels": levels,
        },
        geometry=raw.geometry.values,
        crs="EPSG:4326",
    )


def node_points(network: WalkNetwork, positions) -> gpd.GeoDataFrame:
    """Points at the given node positions (id = OSM node id; EPSG:4326)."""
    positions = np.asarray(positions)
    return gpd.GeoDataFrame(
        {"id": network.node_osmid[positions]},
        geometry=gpd.points_from_xy(network.node_x[positions], network.node_y[positions]),
        crs="EPSG:25832",
    ).to_crs("EPSG:4326")


@pytest.fixture(scope="session")
def lauf_network() -> WalkNetwork:
    return _lauf_network()


@pytest.fixture(scope="session")
def lauf_graph():
    return _lauf_graph()


@pytest.fixture(scope="session")
def lauf_amenities() -> gpd.GeoDataFrame:
    return _lauf_amenities()


@pytest.fixture(scope="session")
def lauf_buildings() -> gpd.GeoDataFrame:
    return _lauf_buildings()
