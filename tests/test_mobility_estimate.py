"""Estimate mode on Neu Olvenstedt (no walk network): straight line × detour factor."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from geoquartier.config import data_dir
from geoquartier.errors import GeoquartierError
from geoquartier.mobility import EstimateNetwork, coverage, isochrones, nearest_facilities, route

FOLDER = "neu_olvenstedt_magdeburg"


@pytest.fixture(scope="module")
def olvenstedt():
    folder = data_dir() / FOLDER
    cells = gpd.read_file(folder / "neu_olvenstedt_zensus2022_bevoelkerung_100m.geojson")
    population = gpd.GeoDataFrame(
        {"id": cells["grid_id"].astype(str), "residents": cells["einwohner"]},
        geometry=cells.geometry,
        crs=cells.crs,
    )
    amenities = gpd.read_file(folder / "magdeburg_amenity_points_osm.geojson")
    amenities = amenities.reset_index(names="n")
    amenities["id"] = "amenity-" + amenities["n"].astype(str)
    boundary = gpd.read_file(folder / "neu_olvenstedt_boundary_osm.geojson")
    return population, amenities[["id", "category", "geometry"]], boundary


def test_nearest_in_estimate_mode(olvenstedt):
    population, amenities, _ = olvenstedt
    net = EstimateNetwork()
    res = nearest_facilities(net, population, amenities, categories=["grocery", "pharmacy"])
    assert len(res) == 2 * len(population) == 358
    assert (res["method"] == "estimate").all()
    assert not res["off_network"].any()
    # independent check: centroid → every pharmacy, straight line in EPSG:25832 × 1.3
    cells = population.to_crs("EPSG:25832").centroid
    pharmacies = amenities[amenities["category"] == "pharmacy"].to_crs("EPSG:25832")
    pairs = np.hypot(
        cells.x.to_numpy()[:, None] - pharmacies.geometry.x.to_numpy()[None, :],
        cells.y.to_numpy()[:, None] - pharmacies.geometry.y.to_numpy()[None, :],
    )
    got = res[res["category"] == "pharmacy"].set_index("origin_id").loc[population["id"]]
    assert np.allclose(got["distance_m"].to_numpy(), pairs.min(axis=1) * 1.3)
    assert list(got["facility_id"]) == list(pharmacies["id"].to_numpy()[pairs.argmin(axis=1)])
    assert np.allclose(got["walk_min"], got["distance_m"] / 75.0)
    # k nearest, sorted
    k3 = nearest_facilities(
        EstimateNetwork(1.5), population.head(5), amenities, categories="school", k=3
    )
    assert list(k3["rank"][:3]) == [1, 2, 3]
    assert (k3.groupby("origin_id")["distance_m"].apply(lambda s: s.is_monotonic_increasing)).all()


def test_coverage_isochrones_and_route_in_estimate_mode(olvenstedt):
    population, amenities, _ = olvenstedt
    net = EstimateNetwork()
    table = coverage(
        net,
        population,
        amenities,
        thresholds_min=(5, 10),
        profiles=("standard", "senior"),
        categories=["grocery"],
    )
    assert set(table["method"]) == {"estimate"}
    assert table["residents_total"].iloc[0] == pytest.approx(11_677)
    std = table[table["profile"] == "standard"].set_index("threshold_min")
    sen = table[table["profile"] == "senior"].set_index("threshold_min")
    assert std.loc[5, "residents_within"] <= std.loc[10, "residents_within"] <= 11_677
    assert (sen["residents_within"] <= std["residents_within"]).all()
    assert 0 < std.loc[10, "share_within"] <= 1

    office = gpd.GeoDataFrame(
        {"id": ["scharnhorstring"]},
        geometry=gpd.points_from_xy([11.587042], [52.150394]),
        crs="EPSG:4326",
    )
    iso = isochrones(net, office, minutes=(5, 10), population=population)
    assert (iso["method"] == "estimate").all()
    radius = 10 * 75.0 / 1.3
    assert iso["area_m2"].iloc[1] == pytest.approx(np.pi * radius**2, rel=0.01)
    assert 0 < iso["residents"].iloc[0] < iso["residents"].iloc[1] < 11_677
    r = route(net, (11.587042, 52.150394), (11.5800, 52.1550), "wheelchair")
    assert r.method == "estimate" and r.street_names == [] and r.unknown_share == 1.0
    assert r.walk_min == pytest.approx(r.distance_m / (4000 / 60))


def test_estimate_mode_rejects_bad_input(olvenstedt):
    population, amenities, _ = olvenstedt
    with pytest.raises(GeoquartierError, match="detour_factor"):
        EstimateNetwork(0.5)
    with pytest.raises(GeoquartierError, match="category"):
        nearest_facilities(EstimateNetwork(), population, amenities, categories=["casino"])
    with pytest.raises(GeoquartierError, match="residents"):
        coverage(EstimateNetwork(), population.drop(columns="residents"), amenities)
