"""The Overpass path of the OSM import, tested for real against a local Overpass server.

The server (``tests/overpass_server.py``) is a small Overpass interpreter: it parses the
query OSMnx sends (``node/way/relation[key(=value)](poly:"lat lon …");(._;>;);`` per tag)
and answers with Overpass JSON built from the real Lauf an der Pegnitz extract (read with
pyosmium): the elements that carry the tag and touch the polygon, plus the nodes and
member ways their geometry needs (the ``>`` recursion). Nothing of geoquartier is
replaced: the project's ``read_overpass`` runs OSMnx's real HTTP request, JSON parsing and
caching.
"""

from __future__ import annotations

import osmnx as ox
import pytest
from shapely.geometry import Polygon

from geoquartier.config import data_dir
from geoquartier.layers import validate
from geoquartier.layers.sources import osm
from geoquartier.settings import reload_settings

try:
    from tests.overpass_server import local_overpass, osm_data
except ImportError:  # tests/ itself on sys.path (pytest's rootdir insertion)
    from overpass_server import local_overpass, osm_data

LAUF = data_dir() / "lauf_an_der_pegnitz" / "lauf_an_der_pegnitz_osm.osm.bz2"

# A polygon over Lauf's old town and the station (EPSG:4326), not a rectangle.
OLD_TOWN = Polygon(
    [
        (11.2700, 49.5080),
        (11.2850, 49.5060),
        (11.2900, 49.5120),
        (11.2830, 49.5175),
        (11.2720, 49.5160),
        (11.2690, 49.5120),
    ]
)


@pytest.fixture
def overpass(monkeypatch, tmp_path):
    with local_overpass(osm_data(LAUF), monkeypatch, tmp_path) as server:
        yield server


def _table(gdf, layer):
    """A validated layer as comparable rows: sorted by id, geometry as WKB."""
    gdf = validate(gdf, layer).sort_values("id").reset_index(drop=True)
    rows = gdf.drop(columns="geometry").astype(object).where(gdf.notna(), None)
    return rows.to_dict("records"), list(gdf.geometry)


@pytest.mark.slow
def test_overpass_import_matches_the_local_extract_and_is_cached(overpass, tmp_path):
    from_overpass = osm.read_overpass("lauf", polygon=OLD_TOWN, state="DE-BY")
    first_requests = len(overpass.interpreter_requests())
    assert first_requests >= 1, "the import did not ask the Overpass server"
    assert not overpass.errors, "the server could not read a query OSMnx sent"

    from_extract = osm.read_extract(LAUF, "lauf", polygon=OLD_TOWN, state="DE-BY")

    counts = from_overpass.counts()
    assert counts == from_extract.counts()
    # The old town is a real town centre: buildings, addresses, shops, stops.
    assert counts["buildings"] > 500
    assert counts["addresses"] > 300
    assert counts["pois"] > 10
    assert counts["stops"] > 3
    assert counts["services"] >= 1
    for layer in osm.OSM_LAYERS:
        rows_o, geoms_o = _table(getattr(from_overpass, layer), layer)
        rows_e, geoms_e = _table(getattr(from_extract, layer), layer)
        assert rows_o == rows_e, layer
        assert all(a.equals_exact(b, 1e-9) for a, b in zip(geoms_o, geoms_e, strict=True)), layer
    # Every feature intersects the polygon: the server's superset was filtered by OSMnx.
    assert from_overpass.buildings.intersects(OLD_TOWN).all()

    # The answer was cached on disk under the project's cache folder ...
    cache = tmp_path / "cache" / "osmnx"
    assert any(cache.glob("*.json"))
    # ... so the same import again makes no HTTP request and gives the same layers.
    again = osm.read_overpass("lauf", polygon=OLD_TOWN, state="DE-BY")
    assert len(overpass.interpreter_requests()) == first_requests
    assert again.counts() == counts
    assert set(again.buildings["id"]) == set(from_overpass.buildings["id"])


def test_overpass_unreachable_says_what_to_provide(monkeypatch, tmp_path):
    from geoquartier.errors import DataMissingError

    monkeypatch.setenv("GEOQUARTIER_CACHE", str(tmp_path / "cache"))
    reload_settings()
    # A port nobody listens on: bind, read the port, close.
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setattr(ox.settings, "overpass_url", f"http://127.0.0.1:{port}/api")
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    monkeypatch.setattr(ox.settings, "cache_folder", ox.settings.cache_folder)
    with pytest.raises(DataMissingError, match="--extract"):
        osm.read_overpass("lauf", polygon=OLD_TOWN)


@pytest.mark.slow
def test_pipeline_of_a_network_quartier_through_overpass(overpass, tmp_path):
    """A quartier whose OSM layers come from Overpass (like Alt-Hamborn online) gives the
    same layers as the same quartier read from the local extract."""
    from dataclasses import replace

    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    lauf = load_registry()["lauf"]
    offline = replace(lauf, office_entries=())
    online = replace(offline, sources={"boundary": lauf.sources["boundary"], "overpass": True})
    from_overpass = import_quartier(online, GeoPackageStore(tmp_path / "a.gpkg"), progress=False)
    assert overpass.interpreter_requests()
    from_extract = import_quartier(offline, GeoPackageStore(tmp_path / "b.gpkg"), progress=False)
    assert from_overpass.counts == from_extract.counts
    assert from_overpass.counts["buildings"] > 1000
    assert from_overpass.residents == from_extract.residents > 0
    assert from_overpass.sources["buildings"].startswith("Overpass")
