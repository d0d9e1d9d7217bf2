"""Planning results kept in the workspace, for the map and for a later scenario.

A run of :func:`geoquartier.mobility.locate.locate` (the chosen sites) or of
:func:`geoquartier.mobility.supply.supply` (hours per 1,000 residents per home or cell)
is stored in the workspace GeoPackage in tables of its own — the base layers are never
touched:

* ``planning_runs`` — non-spatial, one row per stored run: ``run_id, quartier, kind``
  (``locate`` / ``supply``), ``name``, ``created`` (UTC ISO 8601), ``summary`` (the run's
  figures as JSON text) and ``text`` (its printed summary);
* ``planning_sites`` — points (EPSG:4326), the chosen sites of the stored locate runs
  (the columns of :data:`geoquartier.mobility.locate.SITE_COLUMNS`; ``run_id`` links them);
* ``planning_supply`` — the homes or cells (EPSG:4326) of the stored supply runs:
  ``run_id, id, residents, hours_per_1000, facilities_within, unknown_within, below,
  off_network``.

A run is stored under a **name** (default :data:`LATEST`); storing again under the same
name replaces the earlier run of that quartier and kind, so the workspace holds one
"latest" result per quartier and kind plus the ones a planner named. A stored run is
found by its name or its ``run_id`` (:func:`load_run`); without either, the most recent.

Writes copy the file, change the copy and swap it in (``os.replace``) under the
workspace's lock file, as the layer store and the scenarios do.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.mobility.workspace_tables import (
    layer_names,
    locked,
    read_table,
    swapped_copy,
    write_table,
)

RUNS_TABLE = "planning_runs"
SITES_LAYER = "planning_sites"
SUPPLY_LAYER = "planning_supply"
KINDS = ("locate", "supply")
"""What a stored run holds: chosen sites or supply per home."""
LATEST = "latest"
"""The name a run is stored under unless the planner names it."""
SUPPLY_COLUMNS = (
    "run_id",
    "id",
    "residents",
    "hours_per_1000",
    "facilities_within",
    "unknown_within",
    "below",
    "off_network",
)
"""Columns of ``planning_supply`` besides the geometry."""
_RUN_FIELDS = ("run_id", "quartier", "kind", "name", "created", "summary", "text")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_LAYER_OF = {"locate": SITES_LAYER, "supply": SUPPLY_LAYER}


@dataclass
class StoredRun:
    """One stored planning run: its ``features`` (sites or homes, EPSG:4326) and figures."""

    run_id: str
    quartier: str
    kind: str
    name: str
    created: str
    summary: dict = field(default_factory=dict)
    text: str = ""
    features: gpd.GeoDataFrame | None = None


def check_name(name: str) -> str:
    """``name`` if it can name a stored run (letters, digits, ``_ . -``, up to 40)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise GeoquartierError(
            f"a result name must be 1-40 letters, digits, '_', '.' or '-' "
            f"(starting with a letter or digit), got {name!r}"
        )
    return name


def save_locate(path, result, name: str = LATEST) -> StoredRun:
    """Store a :class:`~geoquartier.mobility.locate.LocateResult` under ``name``."""
    sites = result.sites.copy()
    return _save(Path(path), "locate", result.summary, result.text(), sites, name)


def save_supply(path, result, name: str = LATEST) -> StoredRun:
    """Store a :class:`~geoquartier.mobility.supply.SupplyResult` under ``name``."""
    cells = result.cells[[c for c in SUPPLY_COLUMNS if c != "run_id"] + ["geometry"]].copy()
    return _save(Path(path), "supply", result.summary, result.text(), cells, name)


def load_run(path, quartier: str, kind: str, ref: str | None = None) -> StoredRun | None:
    """The stored run of ``kind`` for ``quartier`` named ``ref`` (or with that run id);
    ``ref`` None: the most recent one. None when there is none (or no file)."""
    path = Path(path)
    _check_kind(kind)
    runs = _runs(path)
    mine = runs[(runs["quartier"] == quartier) & (runs["kind"] == kind)]
    if ref is not None:
        mine = mine[(mine["name"] == ref) | (mine["run_id"] == ref)]
    if mine.empty:
        return None
    row = mine.sort_values("created").iloc[-1]
    features = _read_layer(path, _LAYER_OF[kind], where=f"run_id = '{_sql(row['run_id'])}'")
    return StoredRun(
        run_id=str(row["run_id"]),
        quartier=str(row["quartier"]),
        kind=kind,
        name=str(row["name"]),
        created=str(row["created"]),
        summary=json.loads(row["summary"]) if isinstance(row["summary"], str) else {},
        text=str(row["text"]) if isinstance(row["text"], str) else "",
        features=features,
    )


def list_runs(path, quartier: str | None = None) -> pd.DataFrame:
    """The stored runs (``run_id, quartier, kind, name, created``), oldest first."""
    runs = _runs(Path(path))
    if quartier is not None:
        runs = runs[runs["quartier"] == quartier]
    return runs[["run_id", "quartier", "kind", "name", "created"]].sort_values(
        "created", ignore_index=True
    )


# ------------------------------------------------------------------------------ internals
def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise GeoquartierError(f"unknown kind of result {kind!r}; one of {', '.join(KINDS)}")


def _save(path: Path, kind: str, summary: dict, text: str, features, name: str) -> StoredRun:
    check_name(name)
    quartier = summary.get("quartier")
    if not quartier:
        raise GeoquartierError("only a quartier's result can be stored (its summary names none)")
    run_id = str(summary.get("run_id") or uuid.uuid4().hex[:12])
    created = datetime.now(UTC).isoformat(timespec="seconds")
    features = features.to_crs(STORAGE_CRS)
    features["run_id"] = run_id
    row = {
        "run_id": run_id,
        "quartier": str(quartier),
        "kind": kind,
        "name": name,
        "created": created,
        "summary": json.dumps(_plain(summary), ensure_ascii=False),
        "text": text,
    }
    with locked(path):
        runs = _runs(path)
        gone = runs[(runs["quartier"] == row["quartier"]) & (runs["kind"] == kind)]
        gone = gone[(gone["name"] == name) | (gone["run_id"] == run_id)]
        runs = runs[~runs["run_id"].isin(gone["run_id"])]
        runs = pd.concat([runs, pd.DataFrame([row], dtype=object)], ignore_index=True)
        layer = _LAYER_OF[kind]
        kept = _read_layer(path, layer)
        if kept is not None:
            kept = kept[~kept["run_id"].isin(gone["run_id"])]
        _replace(path, runs, layer, _concat(kept, features))
    return StoredRun(run_id, row["quartier"], kind, name, created, summary, text, features)


def _plain(summary: dict) -> dict:
    """The summary with numpy numbers as Python ones and NaN as None (JSON)."""
    out = {}
    for key, value in summary.items():
        value = value.item() if hasattr(value, "item") else value
        out[key] = None if isinstance(value, float) and value != value else value
    return out


def _runs(path: Path) -> pd.DataFrame:
    return read_table(path, RUNS_TABLE, _RUN_FIELDS)


def _read_layer(path: Path, layer: str, where: str | None = None) -> gpd.GeoDataFrame | None:
    if layer not in layer_names(path):
        return None
    return pyogrio.read_dataframe(path, layer=layer, where=where)


def _concat(kept: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if kept is None or kept.empty:
        return new
    out = pd.concat([kept, new], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)


def _replace(path: Path, runs: pd.DataFrame, layer: str, features: gpd.GeoDataFrame) -> None:
    with swapped_copy(path) as tmp:
        write_table(tmp, RUNS_TABLE, runs, _RUN_FIELDS)
        features = features.copy()
        for col in features.columns:
            if features[col].dtype == object and col != "geometry":
                features[col] = features[col].astype("string")
            elif features[col].dtype == bool:
                features[col] = features[col].astype(np.int8)
        types = sorted(set(features.geometry.geom_type.dropna()))
        pyogrio.write_dataframe(
            features,
            tmp,
            layer=layer,
            driver="GPKG",
            geometry_type=types[0] if len(types) == 1 else "Unknown",
            promote_to_multi=False,
        )


def _sql(value: str) -> str:
    return str(value).replace("'", "''")
