"""The Verfügungsfonds by rule on the shared test workspace: residents summed from the
population layer the importer wrote for Lauf, 0.50 € each, the 2,000 € floor only below
5,000 residents. Lauf has no Zensus grid in the data: its population layer is the
importer's ESTIMATE from OSM residential floor area (not a count)."""

from __future__ import annotations

try:
    from tests.api_fixtures import api_client, api_workspace
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_client, api_workspace  # noqa: F401

from api.participation import fund_store as fs
from geoquartier.layers.store import GeoPackageStore

__all__ = ["api_client", "api_workspace"]


def test_rule_from_the_population_layer(api_client, api_workspace):
    population = GeoPackageStore(api_workspace.gpkg).read("population", quartier="lauf")
    residents = int(population["residents"].sum())
    assert residents > 0
    store = api_workspace.store()
    _, token = store.add_user("fund-rule-planner", "planner")
    r = api_client.put(
        "/quartiers/lauf/funds/2027", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    fund = r.json()
    assert fund["basis"] == "rule" and fund["residents"] == residents
    expected = residents * 50 if residents >= 5_000 else max(residents * 50, 200_000)
    assert fund["amount_cents"] == expected == fs.rule_amount_cents(residents)
    print(f"Lauf: {residents} residents -> {fund['amount_cents'] / 100:.2f} EUR")
