"""Sections of the local-mobility report drawn from the walking analysis and the workspace:

* :func:`worst_served` — per category, the homes or grid cells with the most residents
  beyond :data:`WORST_THRESHOLD_MIN` minutes' walk (standard profile), with the nearest
  address of the ``addresses`` layer where there is one within :data:`ADDRESS_RADIUS_M`;
* :func:`barrier_figures` — steps, ways the wheelchair profile may not use and the share of
  untagged kerb/incline/surface in the quartier's walk network
  (:func:`geoquartier.mobility.barriers.network_barriers`);
* :func:`published_scenarios` — the published planning scenarios of the quartier
  (:mod:`geoquartier.mobility.scenarios`) with their edits and headline gain;
* :func:`stored_locations` — the runs of ``geoquartier locate`` stored in the workspace
  GeoPackage (tables ``locate_runs`` / ``locate_sites``, docs/planning.md).

Geometries are EPSG:4326 at rest; distances are measured in EPSG:25832.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import ANALYSIS_CRS

WORST_THRESHOLD_MIN = 10
"""Residents beyond this walking time count as poorly served."""
WORST_PROFILE = "standard"
"""The walking profile of the worst-served places."""
WORST_PER_CATEGORY = 3
"""Places listed per category."""
ADDRESS_RADIUS_M = 60.0
"""An address farther than this from a home or cell centre is not shown."""
GAIN_THRESHOLD_MIN = 10
"""The walking time of a scenario's headline gain."""
LOCATE_RUNS, LOCATE_SITES = "locate_runs", "locate_sites"
"""Tables of a ``geoquartier locate -o`` GeoPackage (when written into the workspace)."""
PLANNING_RUNS, PLANNING_SITES = "planning_runs", "planning_sites"
"""Tables in which the workspace keeps the planning runs (kind ``locate``: sites)."""


def _address_text(row: Any) -> str:
    parts = [row.get("street"), row.get("housenumber")]
    return " ".join(str(p) for p in parts if isinstance(p, str) and p)


def nearest_addresses(points: gpd.GeoDataFrame, addresses: gpd.GeoDataFrame | None) -> list[str]:
    """The address nearest to each of ``points`` (EPSG:4326; compared in EPSG:25832) within
    :data:`ADDRESS_RADIUS_M`, "" where there is none."""
    if addresses is None or addresses.empty or points.empty:
        return [""] * len(points)
    left = points[["geometry"]].to_crs(ANALYSIS_CRS).reset_index(drop=True)
    right = addresses.to_crs(ANALYSIS_CRS).reset_index(drop=True)
    joined = gpd.sjoin_nearest(left, right, how="left", max_distance=ADDRESS_RADIUS_M)
    joined = joined[~joined.index.duplicated(keep="first")]
    texts = []
    for _, row in joined.iterrows():
        texts.append("" if pd.isna(row.get("index_right")) else _address_text(row))
    return texts


def worst_served(data: Any, nearest: pd.DataFrame) -> list[dict]:
    """Per category (most residents beyond first): ``{"category", "residents_beyond",
    "places": [{"label", "address", "residents", "walk_min"}]}``; ``nearest`` is the
    nearest place per origin for :data:`WORST_PROFILE` (``nearest_facilities`` rows,
    ``walk_min`` inf where there is no way). Labels name the home or grid cell."""
    population = data.layers["population"]
    if nearest is None or nearest.empty or population.empty:
        return []
    near = nearest[nearest["rank"] == 1]
    residents = population.set_index(population["id"].astype(str))["residents"].astype(float)
    near = near.assign(residents=residents.reindex(near["origin_id"].astype(str)).to_numpy())
    beyond = near[~(near["walk_min"].astype(float) <= WORST_THRESHOLD_MIN)]
    blocks = []
    for category, group in beyond.groupby("category", sort=False):
        top = group.nlargest(WORST_PER_CATEGORY, "residents")
        blocks.append(
            {
                "category": str(category),
                "residents_beyond": float(group["residents"].sum()),
                "places": _places(data, top, population),
            }
        )
    return sorted(blocks, key=lambda b: -b["residents_beyond"])


def _places(data: Any, top: pd.DataFrame, population: gpd.GeoDataFrame) -> list[dict]:
    by_id = population.set_index(population["id"].astype(str))
    origins = by_id.loc[top["origin_id"].astype(str)]
    points = gpd.GeoDataFrame(
        geometry=origins.geometry.to_crs(ANALYSIS_CRS).centroid.to_crs(population.crs).values,
        crs=population.crs,
    )
    addresses = nearest_addresses(points, data.layers.get("addresses"))
    return [
        {
            "label": str(origin_id).split(":", 1)[-1],
            "address": address,
            "residents": float(residents),
            "walk_min": float(minutes),
        }
        for origin_id, residents, minutes, address in zip(
            top["origin_id"], top["residents"], top["walk_min"], addresses, strict=True
        )
    ]


def barrier_figures(data: Any):
    """:class:`~geoquartier.mobility.barriers.Barriers` of the edges that intersect the
    quartier's boundary (EPSG:25832), None without a walk network."""
    from geoquartier.mobility.barriers import network_barriers

    if data.method != "network" or data.network is None:
        return None
    area = data.layers["quartiers"].to_crs(ANALYSIS_CRS).union_all()
    return network_barriers(data.network, area)


_TIMESTAMP = re.compile(rb'timestamp="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"')
_OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".osm": open}


def osm_data_date(path: str | Path | None) -> datetime | None:
    """The data date of an OSM XML file (``.osm``, ``.osm.bz2``, ``.osm.gz``): the newest
    ``timestamp`` of its objects (UTC); None for other files or without timestamps."""
    if not path or not Path(path).is_file():
        return None
    path = Path(path)
    stat = path.stat()
    return _newest_timestamp(str(path), stat.st_size, stat.st_mtime_ns)


@functools.cache
def _newest_timestamp(path: str, size: int, mtime_ns: int) -> datetime | None:
    opener = _OPENERS.get(Path(path).suffix)
    if opener is None:
        return None
    newest, tail = b"", b""
    with opener(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            found = _TIMESTAMP.findall(tail + chunk)
            if found:
                newest = max(newest, max(found))
            tail = chunk[-40:]
    if not newest:
        return None
    return datetime.strptime(newest.decode(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def published_scenarios(data: Any, facilities: gpd.GeoDataFrame | None, nearest) -> list[dict]:
    """The quartier's published scenarios: ``{"title", "edits", "updated", "gain"}``, the
    gain the category with the most residents newly within :data:`GAIN_THRESHOLD_MIN`
    minutes (standard profile; ``None`` without walking data)."""
    from geoquartier.mobility.scenarios import compare, list_scenarios, load_scenario

    if data.store_path is None or not Path(data.store_path).is_file():
        return []
    heads = list_scenarios(data.store_path, data.spec.id)
    heads = heads[heads["status"] == "published"]
    rows = []
    for _, head in heads.iterrows():
        gain = None
        if facilities is not None and nearest is not None and not nearest.empty:
            scenario = load_scenario(data.store_path, str(head["id"]))
            population = data.layers["population"][["id", "residents", "geometry"]]
            result = compare(
                scenario, data.network, population, facilities, (GAIN_THRESHOLD_MIN,),
                (WORST_PROFILE,), before=nearest,
            )  # fmt: skip
            gain = _headline(result.coverage)
        rows.append(
            {
                "title": str(head["title"]),
                "edits": int(head["edits"]),
                "updated": str(head["updated"] or "")[:10],
                "gain": gain,
            }
        )
    return rows


def _headline(table: pd.DataFrame) -> dict | None:
    if table.empty:
        return None
    best = table.sort_values("residents_newly_within", ascending=False).iloc[0]
    return {
        "category": str(best["category"]),
        "residents": float(best["residents_newly_within"]),
        "difference": float(best["difference"]),
    }


def stored_locations(data: Any) -> list[dict]:
    """The location runs of the quartier stored in the workspace GeoPackage, oldest first:
    ``{"created", "name", "category", "model", "profile", "minutes", "sites", "names",
    "residents_newly_within", "share_newly_within"}``; [] when there are none.

    Read are the runs ``geoquartier locate`` keeps (table ``planning_runs`` with kind
    ``locate`` and its figures as JSON, sites in ``planning_sites``) and runs written into
    the workspace as ``locate_runs`` / ``locate_sites`` (docs/planning.md)."""
    import pyogrio

    path = Path(data.store_path) if data.store_path else None
    if path is None or not path.is_file():
        return []
    names = {str(n) for n, _ in pyogrio.list_layers(path)}
    rows = _kept_runs(path, names, data.spec.id) + _written_runs(path, names, data.spec.id)
    return sorted(rows, key=lambda r: r["created"])


def _table(path: Path, names: set[str], layer: str, columns: list[str]) -> pd.DataFrame:
    import pyogrio

    if layer not in names:
        return pd.DataFrame(columns=columns)
    return pyogrio.read_dataframe(path, layer=layer, read_geometry=False)


def _kept_runs(path: Path, names: set[str], quartier: str) -> list[dict]:
    runs = _table(path, names, PLANNING_RUNS, ["run_id", "quartier", "kind", "name", "created"])
    runs = runs[(runs["quartier"].astype(str) == quartier) & (runs["kind"] == "locate")]
    sites = _table(path, names, PLANNING_SITES, ["run_id", "name", "address"])
    rows = []
    for _, run in runs.iterrows():
        summary = json.loads(run["summary"]) if isinstance(run.get("summary"), str) else {}
        figures = pd.Series({**summary, "run_id": run["run_id"], "created_at": run["created"]})
        rows.append(_run_row(figures, sites) | {"name": str(run.get("name") or "")})
    return rows


def _written_runs(path: Path, names: set[str], quartier: str) -> list[dict]:
    runs = _table(path, names, LOCATE_RUNS, ["run_id", "created_at", "quartier"])
    if "quartier" in runs:
        runs = runs[runs["quartier"].astype(str) == quartier]
    sites = _table(path, names, LOCATE_SITES, ["run_id", "name", "address"])
    return [_run_row(run, sites) for _, run in runs.iterrows()]


def _run_row(run: pd.Series, sites: pd.DataFrame) -> dict:
    mine = sites[sites["run_id"].astype(str) == str(run["run_id"])]
    labels = [
        next((str(v) for v in (s.get("address"), s.get("name")) if isinstance(v, str) and v), "")
        for _, s in mine.iterrows()
    ]
    share = run.get("share_newly_within")
    return {
        "created": str(run.get("created_at") or "")[:10],
        "category": str(run.get("category") or ""),
        "model": str(run.get("model") or ""),
        "profile": str(run.get("profile") or ""),
        "minutes": float(run.get("minutes") or np.nan),
        "sites": int(run.get("sites") or len(mine)),
        "names": ", ".join(label for label in labels if label),
        "residents_newly_within": float(run.get("residents_newly_within") or 0.0),
        "share_newly_within": None if share is None or pd.isna(share) else float(share),
        "name": "",
    }


# -- template values -------------------------------------------------------------------------
def _network_source(data: Any, tr: Any) -> str:
    """The source line of the quartier's walk network: its file and data date (the newest
    object in the file; "–" when unknown)."""
    source = str(getattr(data.network, "source", "") or "")
    when = osm_data_date(source)
    name = Path(source).name if source else "OpenStreetMap"
    return tr(
        "OpenStreetMap walk network, file {file} of {date}",
        file=name,
        date=tr.date(when, "long") if when else "–",
    )


def _minutes_text(value: float, tr: Any) -> str:
    if not np.isfinite(value):
        return tr("no route")
    return tr("{minutes} min", minutes=tr.number(round(value, 1)))


def _worst_values(data: Any, nearest, tr: Any) -> list[dict]:
    return [
        {
            "category": tr(block["category"]),
            "beyond": tr.number(round(block["residents_beyond"])),
            "places": [
                {
                    "label": place["address"] or place["label"],
                    "residents": tr.number(round(place["residents"])),
                    "walk": _minutes_text(place["walk_min"], tr),
                }
                for place in block["places"]
            ],
        }
        for block in worst_served(data, nearest)
    ]


def _percent(share: float, tr: Any) -> str:
    from babel.numbers import format_percent

    return (
        "–" if share is None or not np.isfinite(share) else format_percent(share, locale=tr.locale)
    )


def _barrier_values(data: Any, tr: Any) -> dict | None:
    found = barrier_figures(data)
    if found is None:
        return None
    km = tr.number(round(found.length_m / 1000, 1))

    def length(m: float) -> str:
        return f"{tr.number(round(m))} m"

    untagged = found.untagged_share
    return {
        "intro": tr("{edges} ways touch the quartier, {km} km in all.", edges=found.edges, km=km),
        "rows": [
            (tr("Steps"), tr.number(found.steps), length(found.steps_length_m)),
            (
                tr("Ways not passable by wheelchair"),
                tr.number(found.wheelchair_blocked),
                f"{length(found.wheelchair_blocked_length_m)} "
                f"({_percent(found.wheelchair_blocked_share, tr)})",
            ),
        ],
        "untagged": [
            (
                tr("Crossings without kerb information"),
                _percent(untagged["kerb"], tr) if found.crossings else tr("no crossings mapped"),
            ),
            (tr("Length without incline information"), _percent(untagged["incline"], tr)),
            (tr("Length without surface information"), _percent(untagged["surface"], tr)),
        ],
        "crossings": tr.number(found.crossings),
    }


def _gain_text(gain: dict | None, tr: Any) -> str:
    if gain is None:
        return "–"
    if gain["residents"] <= 0:
        return tr("no residents newly within {minutes} min", minutes=GAIN_THRESHOLD_MIN)
    return tr(
        "+{residents} residents within {minutes} min of: {category}",
        residents=tr.number(round(gain["residents"])),
        minutes=GAIN_THRESHOLD_MIN,
        category=tr(gain["category"]),
    )


def _location_values(data: Any, tr: Any) -> list[dict]:
    return [
        {
            "created": run["created"],
            "what": " · ".join(
                part
                for part in (
                    tr(run["category"]) if run["category"] else "",
                    run["model"],
                    run["name"],
                )
                if part
            ),
            "sites": run["names"] or tr.number(run["sites"]),
            "gain": tr(
                "+{residents} residents within {minutes} min ({profile})",
                residents=tr.number(round(run["residents_newly_within"])),
                minutes=tr.number(run["minutes"]),
                profile=tr(run["profile"]) if run["profile"] else "",
            ),
        }
        for run in stored_locations(data)
    ]


def section_values(data: Any, nearest, facilities, tr: Any) -> dict:
    """The template values of the worst-served places, the barriers, the published
    scenarios and the stored location results, each with its source and date
    (``tr`` a :class:`~geoquartier.reports.i18n.DocTranslator`)."""
    from geoquartier.reports.render import today

    built = tr.date(today(), "long")
    network = _network_source(data, tr) if data.method == "network" else None
    residents_source = str(data.quartier.get("population_source") or "")
    scenarios = published_scenarios(data, facilities, nearest)
    return {
        "worst": _worst_values(data, nearest, tr),
        "worst_minutes": WORST_THRESHOLD_MIN,
        "worst_note": tr(
            "Homes or grid cells with the most residents beyond {minutes} minutes' walk of "
            "the nearest place of each kind (standard profile, 4.5 km/h).",
            minutes=WORST_THRESHOLD_MIN,
        ),
        "worst_source": tr(
            "Source: {source}; residents: {residents}; addresses: OpenStreetMap. "
            "Computed on {date}.",
            source=network or tr("estimate: straight line × detour factor, no footpath network"),
            residents=residents_source or "–",
            date=built,
        ),
        "barriers": _barrier_values(data, tr),
        "barriers_source": tr("Source: {source}. Computed on {date}.", source=network, date=built)
        if network
        else "",
        "scenarios": [dict(s, gain_text=_gain_text(s["gain"], tr)) for s in scenarios],
        "locations": _location_values(data, tr),
        "workspace_source": tr(
            "Source: the workspace ({file}), read on {date}.",
            file=Path(str(data.store_path or "")).name,
            date=built,
        ),
    }
