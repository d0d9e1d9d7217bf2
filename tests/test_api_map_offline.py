"""A quartier whose OSM data comes only from Overpass, imported offline (Alt-Hamborn:
boundary and office, no network): its map is served, with the office listed, not drawn."""

from __future__ import annotations

import pytest
from api_fixtures import settings_override
from fastapi.testclient import TestClient

from api.main import app
from geoquartier.importer import import_quartier
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import get_quartier
from geoquartier.settings import Settings


@pytest.fixture()
def offline_workspace(tmp_path):
    gpkg = tmp_path / "ws.gpkg"
    import_quartier(
        get_quartier("alt-hamborn"), GeoPackageStore(gpkg), progress=False, online=False
    )
    settings = Settings(workspace=gpkg, participation_db=tmp_path / "participation.sqlite")
    with settings_override(settings):
        yield gpkg


def test_map_of_a_quartier_without_network_lists_its_office(offline_workspace):
    response = TestClient(app).get("/quartiers/alt-hamborn/map?lang=tr")
    assert response.status_code == 200
    page = response.text
    assert "Stadtteilbüro Alt-Hamborn" in page
    assert "+49 203 31774411" in page
    assert "Konum verilerde yok" in page  # "location not in the data", in Turkish
