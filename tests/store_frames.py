"""Real layers of Neu Olvenstedt (Magdeburg) for the layer store tests on both backends,
and the exact comparison of two frames. Everything in EPSG:4326 as the store keeps it."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Point

from geoquartier.config import data_dir

NO = data_dir() / "neu_olvenstedt_magdeburg"
Q = "neu-olvenstedt"
SCHARNHORSTRING = (11.587042, 52.150394)  # GTFS stop "Magdeburg, Scharnhorstring" (lon, lat)


def boundary_frame() -> gpd.GeoDataFrame:
    """The OSM boundary with the registry's attributes (EPSG:4326)."""
    b = gpd.read_file(NO / "neu_olvenstedt_boundary_osm.geojson")
    return b.assign(
        id=Q,
        city="Magdeburg",
        state="DE-ST",
        boundary_quality="official",
        population=11677,
        population_source="Zensus 2022 (dl-de/by-2.0)",
    )


def cells_frame() -> gpd.GeoDataFrame:
    """Zensus 2022 100 m cells with residents (EPSG:4326)."""
    z = gpd.read_file(NO / "neu_olvenstedt_zensus2022_bevoelkerung_100m.geojson")
    return gpd.GeoDataFrame(
        {"id": z["grid_id"], "residents": z["einwohner"], "source": "Zensus 2022"},
        geometry=z.geometry,
        crs=z.crs,
    )


def stops_frame() -> gpd.GeoDataFrame:
    """The GTFS stops inside the quartier (EPSG:4326)."""
    s = gpd.read_file(NO / "magdeburg_gtfs_mvb_stops.geojson")
    s = s[s["in_neu_olvenstedt"]]
    return gpd.GeoDataFrame(
        {"id": s["stop_id"], "name": s["stop_name"], "source": "gtfs:" + s["stop_id"]},
        geometry=s.geometry,
        crs=s.crs,
    )


def offices_frame() -> gpd.GeoDataFrame:
    """The quartier office, placed at the Scharnhorstring stop (approximate location),
    with a list of languages."""
    return gpd.GeoDataFrame(
        {
            "id": ["no-buero"],
            "name": ["Büro für Stadtteilarbeit"],
            "kind": ["Stadtteilbüro"],
            "address": ["Scharnhorstring 38, 39130 Magdeburg"],
            "opening_hours": ["Mo-Fr 09:00-12:00"],
            "languages": [["de", "ru", "ar"]],
            "wheelchair": ["limited"],
            "location_quality": ["approximate"],
            "location_note": ["at the transit stop Scharnhorstring (GTFS), not the office"],
        },
        geometry=[Point(*SCHARNHORSTRING)],
        crs="EPSG:4326",
    )


def events_frame() -> gpd.GeoDataFrame:
    """Two events at the Scharnhorstring stop: mixed date/time texts, a missing end."""
    return gpd.GeoDataFrame(
        {
            "id": ["ev1", "ev2"],
            "title": ["Stadtteilwerkstatt", "Stadtteilspaziergang"],
            "kind": ["Stadtteilwerkstatt", None],
            "start": ["2026-06-04 18:00:00.250", "2026-12-01"],
            "end": ["2026-06-04T20:00:00+02:00", None],
        },
        geometry=[Point(*SCHARNHORSTRING)] * 2,
        crs="EPSG:4326",
    )


def assert_same_frames(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    """Same columns, CRS (EPSG:4326), dtypes, values and geometries (WKB) in order."""
    assert list(a.columns) == list(b.columns)
    assert a.crs == b.crs and b.crs.to_epsg() == 4326
    assert a.dtypes.astype(str).tolist() == b.dtypes.astype(str).tolist()
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    )
    assert shapely.to_wkb(a.geometry.values).tolist() == shapely.to_wkb(b.geometry.values).tolist()
