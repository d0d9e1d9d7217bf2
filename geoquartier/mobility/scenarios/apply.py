"""Apply a scenario's edits to copies of the base network, facilities and residents."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geoquartier.config import ANALYSIS_CRS, STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.mobility.scenarios.model import FACILITY_KINDS, RESIDENT_KINDS, WAY_KINDS, Scenario
from geoquartier.mobility.scenarios.network_edits import DEFAULT_JOIN_TOLERANCE_M, EditableNetwork

RESIDENTS_REMOVE_RADIUS_M = 100.0
"""``residents_remove`` takes residents from the nearest home or cell within this radius."""


@dataclass
class EditedInputs:
    """The inputs after a scenario: ``network`` (a new WalkNetwork, EPSG:25832),
    ``facilities`` and ``population`` (GeoDataFrames, EPSG:4326), which edits touched
    the network and which facility categories changed, and one line per edit (``log``)."""

    network: object
    facilities: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    network_changed: bool = False
    categories_changed: set = field(default_factory=set)
    population_changed: bool = False
    log: list[str] = field(default_factory=list)


_TO_M = Transformer.from_crs(STORAGE_CRS, ANALYSIS_CRS, always_xy=True)


def to_metric(geom):
    """A shapely geometry from EPSG:4326 to EPSG:25832."""
    return shapely.transform(geom, lambda c: np.column_stack(_TO_M.transform(c[:, 0], c[:, 1])))


def apply_scenario(
    scenario: Scenario,
    network,
    facilities: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
    *,
    join_tolerance_m: float = DEFAULT_JOIN_TOLERANCE_M,
) -> EditedInputs:
    """Apply every edit of ``scenario`` in order to copies of ``network`` (WalkNetwork,
    EPSG:25832), ``facilities`` and ``population`` (GeoDataFrames, EPSG:4326 with ``id``).
    Nothing passed in is modified; an edit that cannot apply raises a one-line error
    naming it (and nothing is returned)."""
    editable = None  # made at the first way edit: estimate networks have no edges
    out = EditedInputs(network, facilities.copy(), population.copy())
    for n, edit in enumerate(scenario.edits, start=1):
        label = f"edit {n} ({edit.kind})"
        edit = edit.validate(f"edit {n}")
        if edit.kind in WAY_KINDS:
            if network is None or getattr(network, "method", "") == "estimate":
                raise GeoquartierError(f"{label}: way edits need a walk network (not an estimate)")
            editable = editable or EditableNetwork(network)
            out.log.append(_apply_way(editable, edit, label, join_tolerance_m))
            out.network_changed = True
        elif edit.kind in FACILITY_KINDS:
            out.facilities, category, line = _apply_facility(
                out.facilities, edit, label, n, scenario
            )
            out.categories_changed |= category
            out.log.append(line)
        elif edit.kind in RESIDENT_KINDS:
            out.population, line = _apply_residents(out.population, edit, label, n, scenario)
            out.population_changed = True
            out.log.append(line)
    if out.network_changed:
        out.network = editable.build()
    return out


def _apply_way(editable: EditableNetwork, edit, label: str, tolerance_m: float) -> str:
    line = to_metric(edit.geometry)
    if edit.kind == "way_add":
        count = editable.add_way(line, edit.params, tolerance_m, label)
        return f"{label}: {count} new edge(s), {line.length:.0f} m"
    if edit.kind == "way_close":
        count = editable.close(line, label)
        return f"{label}: {count} edge(s) closed"
    count = editable.set_tags(line, edit.params["tags"], label)
    return f"{label}: tags set on {count} edge(s)"


def _ids(frame: pd.DataFrame) -> pd.Series:
    return frame["id"].astype(str) if "id" in frame else pd.Series(frame.index.astype(str))


def _apply_facility(facilities, edit, label, n, scenario):
    ids = _ids(facilities).to_numpy()
    if edit.kind == "facility_add":
        new_id = str(edit.params.get("id") or f"scenario:{scenario.id}:{n}")
        if new_id in set(ids):
            raise GeoquartierError(f"{label}: field 'id' {new_id!r} is already a facility id")
        row = {k: v for k, v in edit.params.items() if k != "id"}
        row["id"] = new_id
        new = gpd.GeoDataFrame([row], geometry=[edit.geometry], crs=STORAGE_CRS)
        merged = pd.concat([facilities.to_crs(STORAGE_CRS), new], ignore_index=True)
        out = gpd.GeoDataFrame(merged, geometry="geometry", crs=STORAGE_CRS)
        return out, {str(row["category"])}, f"{label}: {row['category']} {new_id} added"
    fid = str(edit.params["facility_id"])
    hit = np.flatnonzero(ids == fid)
    if len(hit) == 0:
        raise GeoquartierError(f"{label}: field 'facility_id': no facility {fid!r}")
    category = {str(facilities["category"].iloc[hit[0]])} if "category" in facilities else set()
    if edit.kind == "facility_close":
        out = facilities.drop(index=facilities.index[hit]).reset_index(drop=True)
        return out, category, f"{label}: {fid} closed"
    out = facilities.to_crs(STORAGE_CRS).copy()
    out.loc[out.index[hit], out.geometry.name] = edit.geometry
    return out, category, f"{label}: {fid} moved"


def _apply_residents(population, edit, label, n, scenario):
    residents = float(edit.params["residents"])
    if edit.kind == "residents_add":
        new_id = str(edit.params.get("id") or f"scenario:{scenario.id}:{n}")
        new = gpd.GeoDataFrame(
            [{"id": new_id, "residents": residents}], geometry=[edit.geometry], crs=STORAGE_CRS
        )
        pop = population.to_crs(STORAGE_CRS)
        merged = pd.concat([pop, new], ignore_index=True)
        out = gpd.GeoDataFrame(merged, geometry="geometry", crs=STORAGE_CRS)
        return out, f"{label}: {residents:g} residents added as {new_id}"
    metric = population.geometry.to_crs(ANALYSIS_CRS)
    point = to_metric(edit.geometry)
    dist = metric.centroid.distance(point).to_numpy()
    if len(dist) == 0 or dist.min() > RESIDENTS_REMOVE_RADIUS_M:
        raise GeoquartierError(
            f"{label}: field 'geometry': no home or cell within {RESIDENTS_REMOVE_RADIUS_M:g} m"
        )
    i = int(np.argmin(dist))
    have = float(population["residents"].iloc[i])
    if residents > have + 1e-9:
        raise GeoquartierError(
            f"{label}: field 'residents': {residents:g} > {have:g} living at the nearest home"
        )
    out = population.copy()
    out.loc[out.index[i], "residents"] = have - residents
    return out, f"{label}: {residents:g} residents removed at {_ids(population).iloc[i]}"
