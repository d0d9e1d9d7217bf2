"""Scenarios in the workspace GeoPackage, in tables of their own.

* ``scenarios`` — non-spatial table, one row per scenario (``id, quartier, title,
  description, author, status, created, updated``);
* ``scenario_edits`` — layer (EPSG:4326, mixed geometry) with one row per edit
  (``scenario_id, position, kind, params`` as JSON text).

Base layers are never touched. Writes copy the file, change the copy and swap it in
(``os.replace``) under the workspace's lock file, as :class:`GeoPackageStore` does, so a
failed write leaves the previous file unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.schema import SCENARIOS_TABLE
from geoquartier.mobility.scenarios.model import Edit, Scenario
from geoquartier.mobility.workspace_tables import (
    layer_names,
    locked,
    read_table,
    swapped_copy,
    write_table,
)

EDITS_LAYER = "scenario_edits"
_FIELDS = ("id", "quartier", "title", "description", "author", "status", "created", "updated")


def _tables(path: Path) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    heads = read_table(path, SCENARIOS_TABLE, _FIELDS)
    if EDITS_LAYER in layer_names(path):
        edits = pyogrio.read_dataframe(path, layer=EDITS_LAYER)
    else:
        edits = gpd.GeoDataFrame(
            {"scenario_id": [], "position": [], "kind": [], "params": []},
            geometry=[],
            crs=STORAGE_CRS,
        )
    return heads, edits


def list_scenarios(path, quartier: str | None = None) -> pd.DataFrame:
    """The scenarios of a workspace (optionally one quartier) with their number of edits."""
    heads, edits = _tables(Path(path))
    if quartier is not None:
        heads = heads[heads["quartier"] == quartier]
    counts = edits.groupby("scenario_id").size() if len(edits) else pd.Series(dtype=int)
    out = heads[list(_FIELDS)].copy()
    out["edits"] = out["id"].map(counts).fillna(0).astype(int)
    return out.sort_values("created", ignore_index=True)


def load_scenario(path, scenario_id: str) -> Scenario:
    """The scenario ``scenario_id`` with its edits (geometries in EPSG:4326)."""
    heads, edits = _tables(Path(path))
    row = heads[heads["id"] == scenario_id]
    if row.empty:
        raise GeoquartierError(f"no scenario {scenario_id!r} in {path}")
    fields = {k: ("" if pd.isna(v) else str(v)) for k, v in row.iloc[0].items() if k in _FIELDS}
    mine = edits[edits["scenario_id"] == scenario_id].sort_values("position")
    items = [
        Edit(kind, None if geom is None or geom.is_empty else geom, json.loads(params))
        for kind, geom, params in zip(mine["kind"], mine.geometry, mine["params"], strict=True)
    ]
    return Scenario(**fields, edits=items)


def save_scenario(path, scenario: Scenario) -> None:
    """Store (insert or replace) ``scenario`` and its edits in the GeoPackage at ``path``."""
    for n, edit in enumerate(scenario.edits, start=1):
        edit.validate(f"edit {n}")
    path = Path(path)
    with locked(path):
        heads, edits = _tables(path)
        heads = heads[heads["id"] != scenario.id]
        edits = edits[edits["scenario_id"] != scenario.id]
        head = pd.DataFrame([{k: getattr(scenario, k) for k in _FIELDS}], dtype=object)
        mine = gpd.GeoDataFrame(
            {
                "scenario_id": [scenario.id] * len(scenario.edits),
                "position": list(range(1, len(scenario.edits) + 1)),
                "kind": [e.kind for e in scenario.edits],
                "params": [json.dumps(e.params, ensure_ascii=False) for e in scenario.edits],
            },
            geometry=[e.geometry for e in scenario.edits],
            crs=STORAGE_CRS,
        )
        _replace(path, pd.concat([heads, head], ignore_index=True), _concat(edits, mine))


def delete_scenario(path, scenario_id: str) -> None:
    """Remove a scenario and its edits; the base layers are untouched."""
    path = Path(path)
    with locked(path):
        heads, edits = _tables(path)
        if not (heads["id"] == scenario_id).any():
            raise GeoquartierError(f"no scenario {scenario_id!r} in {path}")
        _replace(
            path, heads[heads["id"] != scenario_id], edits[edits["scenario_id"] != scenario_id]
        )


def _concat(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frames = [f for f in (a, b) if len(f)]
    if not frames:
        return b
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)


def _replace(path: Path, heads: pd.DataFrame, edits: gpd.GeoDataFrame) -> None:
    with swapped_copy(path) as tmp:
        write_table(tmp, SCENARIOS_TABLE, heads, _FIELDS)
        edits = edits.copy()
        edits["position"] = edits["position"].astype("int64")
        edits = edits.set_geometry(
            [shapely.GeometryCollection() if g is None else g for g in edits.geometry],
            crs=STORAGE_CRS,
        )
        pyogrio.write_dataframe(
            edits,
            tmp,
            layer=EDITS_LAYER,
            driver="GPKG",
            geometry_type="Unknown",
            promote_to_multi=False,
        )
