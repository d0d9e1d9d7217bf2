"""Planning results on the quartier map: proposed sites and supply per home.

The results of ``geoquartier locate`` and ``geoquartier supply`` that are kept in the
workspace (:mod:`geoquartier.mobility.planning_results`) are drawn as two overlays:

* **Proposed new sites** — one numbered marker per chosen site (1 = chosen first), its
  popup giving the address and the residents it newly brings within T minutes;
* **Hours per 1,000 residents** — every home or cell coloured by the hours open per week
  (or capacity) it reaches per 1,000 residents; homes below the planner's level are
  marked with a dark outline, homes reaching nothing in their own colour.

Both are switched off in the layer control unless the map was asked for that result by
name (:func:`planning_overlays`). All geometries are EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from geoquartier.errors import GeoquartierError
from geoquartier.maps import styles
from geoquartier.maps.elements import DataLayer, PointItems
from geoquartier.maps.escape import is_missing, text
from geoquartier.maps.geojson import feature_collection
from geoquartier.maps.popups import category_label
from geoquartier.mobility.planning_results import StoredRun, load_run

SITES_KEY = "planned_sites"
"""Page-script name of the proposed-sites layer (``gq_counts`` key)."""
SUPPLY_KEY = "planned_supply"
"""Page-script name of the supply layer (``gq_counts`` key)."""


@dataclass
class PlanningOverlays:
    """The stored results a map draws (None: none stored) and which start switched on."""

    sites: StoredRun | None = None
    supply: StoredRun | None = None
    show_sites: bool = False
    show_supply: bool = False


def planning_overlays(
    store: Any, quartier: str, sites: str | None = None, supply: str | None = None
) -> PlanningOverlays:
    """The location and supply results of ``quartier`` kept in the workspace of ``store``.

    ``sites`` / ``supply``: the name or run id of a stored result, drawn switched on; a
    name that is not stored is an error. None: the most recent stored result, drawn
    switched off (or nothing when none is stored).
    """
    path = results_file(store)
    if not path.is_file():
        if sites or supply:
            raise GeoquartierError("this workspace keeps no planning results")
        return PlanningOverlays()
    return PlanningOverlays(
        sites=_run(path, quartier, "locate", sites),
        supply=_run(path, quartier, "supply", supply),
        show_sites=sites is not None,
        show_supply=supply is not None,
    )


def results_file(store: Any) -> Path:
    """The GeoPackage that keeps the planning results: the store's own file, or — for the
    PostGIS store — the workspace GeoPackage of the settings (as for the scenarios)."""
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return path
    from geoquartier.config import workspace_path

    return Path(workspace_path())


def _run(path, quartier: str, kind: str, ref: str | None) -> StoredRun | None:
    run = load_run(path, quartier, kind, ref)
    if run is None and ref is not None:
        command = "locate" if kind == "locate" else "supply"
        raise GeoquartierError(
            f"no stored {command} result {ref!r} for quartier {quartier!r}; "
            f"run geoquartier {command} {quartier} ... --name {ref} first"
        )
    return run


def draw_planning(m: folium.Map, overlays: PlanningOverlays | None, sheet: Any) -> None:
    """Both overlays of ``overlays`` (supply under the sites); nothing when None."""
    if overlays is None:
        return
    if overlays.supply is not None:
        draw_planned_supply(m, overlays.supply, sheet, overlays.show_supply)
    if overlays.sites is not None:
        draw_planned_sites(m, overlays.sites, sheet, overlays.show_sites)


# ---- proposed sites ----------------------------------------------------------------------
def draw_planned_sites(m: folium.Map, run: StoredRun, sheet: Any, show: bool = False) -> None:
    """The chosen sites of a location run as numbered markers with popups (EPSG:4326)."""
    tr = sheet.tr
    sites = run.features
    if sites is None or sites.empty:
        return
    minutes = _minutes(run)
    items = []
    for _, row in sites.sort_values("rank").iterrows():
        point = row.geometry
        if point is None or point.is_empty:
            continue
        rank = int(row["rank"])
        items.append(
            {
                "id": f"{run.run_id}-{rank}",
                "lat": round(point.y, 7),
                "lon": round(point.x, 7),
                "t": tr("Proposed site {rank}", rank=rank) + ": " + _site_place(tr, row),
                "p": site_popup(tr, row, minutes),
                "g": "site",
                "c": styles.SITE_COLOUR,
                "a": False,
                "n": rank,
            }
        )
    title = tr("Proposed new sites")
    group = folium.FeatureGroup(name=title, show=show)
    group.add_child(PointItems(SITES_KEY, items))
    group.add_to(m)
    sheet.counts[SITES_KEY] = len(items)
    entries = [("pin", styles.SITE_COLOUR, tr("Proposed site (number: order of choice)"))]
    sheet.legend.add(title, entries, _sites_note(tr, run, minutes), layer=SITES_KEY)


def _minutes(run: StoredRun) -> int | float:
    value = float(run.summary.get("minutes") or 0)
    return int(value) if value.is_integer() else round(value, 1)


def _site_place(tr, row) -> str:
    for name in ("address", "name"):
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return tr("Unnamed")


def site_popup(tr, row, minutes) -> str:
    """Popup HTML of a proposed site: rank, address, name and use, residents newly within
    T minutes (those for whom it is the nearest chosen site) and within its reach."""
    newly = tr("Residents newly within {minutes} min", minutes=minutes)
    reach = tr("Residents within {minutes} min of this site not reached before", minutes=minutes)
    pairs = [
        (tr("Address"), _plain(row.get("address"))),
        (tr("Name"), _plain(row.get("name"))),
        (newly, _count(tr, row, "residents_new")),
        (reach, _count(tr, row, "residents_reach")),
    ]
    items = "".join(f"<dt>{text(k)}</dt><dd>{text(v)}</dd>" for k, v in pairs if v)
    heading = tr("Proposed site {rank}", rank=int(row["rank"]))
    return f'<div class="gq-pop"><h3>{text(heading)}</h3><dl>{items}</dl></div>'


def _plain(value) -> str:
    return "" if value is None or is_missing(value) else str(value).strip()


def _count(tr, row, column: str) -> str:
    value = row.get(column)
    if value is None or is_missing(value):
        return ""
    return tr.number(int(round(float(value))))


def _sites_note(tr, run: StoredRun, minutes) -> str:
    s = run.summary
    if s.get("model") == "pmedian":
        goal = tr("Chosen for the shortest mean walk")
    else:
        goal = tr("Chosen for the most residents newly within {minutes} min", minutes=minutes)
    total = s.get("residents_newly_within")
    parts = [goal]
    if total is not None:
        count = tr.number(int(round(total)))
        parts.append(
            tr("{count} residents newly within {minutes} min in all", count=count, minutes=minutes)
        )
    parts.append(tr("Walking profile: {profile}", profile=tr(str(s.get("profile", "standard")))))
    parts.append(_computed(tr, run))
    return tr.sentences(*parts)


def _computed(tr, run: StoredRun) -> str:
    day = str(run.created)[:10]
    try:
        from datetime import date

        return tr("Calculated on {date}", date=tr.date(date.fromisoformat(day)))
    except ValueError:
        return ""


# ---- supply ------------------------------------------------------------------------------
def supply_breaks(values: np.ndarray, level: float) -> list[float]:
    """Upper bounds of the classes at or above the planner's ``level`` (hours per 1,000
    residents): readable bounds (5, 10, 20, 50, ...) from the quantiles of the values
    there, all above ``level``; a last class holds everything beyond."""
    high = np.asarray(values, dtype=float)
    high = high[np.isfinite(high) & (high >= level)]
    return [b for b in styles.population_breaks(high, classes=4) if b > level]


def supply_class(value: float, level: float, breaks: list[float]) -> int:
    """Class of a home: 0 nothing within reach, 1 below the level, 2.. the ranges."""
    if not value > 0:
        return 0
    if value < level:
        return 1
    return 2 + styles.class_index(value, breaks)


def supply_class_labels(tr, level: float, breaks: list[float]) -> list[str]:
    """Legend labels of :func:`supply_class`: "none within reach", "less than 2 (below
    the level set)", "2–5", ..., "more than 20"."""
    lows = [level] + list(breaks)
    labels = [
        tr("none within reach"),
        tr("less than {level} (below the level set)", level=_num(tr, level)),
    ]
    labels += [
        tr("{low}–{high}", low=_num(tr, lo), high=_num(tr, hi))
        for lo, hi in zip(lows, breaks, strict=False)
    ]
    labels.append(tr("more than {count}", count=_num(tr, lows[-1])))
    return labels


def _num(tr, value: float) -> str:
    return tr.number(round(float(value), 1))


def draw_planned_supply(m: folium.Map, run: StoredRun, sheet: Any, show: bool = False) -> None:
    """Every home or cell of a supply run coloured by its hours per 1,000 residents;
    those below the planner's level outlined (EPSG:4326)."""
    tr = sheet.tr
    cells = run.features
    if cells is None or cells.empty:
        return
    s = run.summary
    level = float(s.get("below") or 0.0)
    values = cells["hours_per_1000"].astype(float).to_numpy()
    breaks = supply_breaks(values, level)
    capacity = s.get("supply_unit") == "capacity"
    frame = gpd.GeoDataFrame(
        {
            "_v": values,
            "_r": cells["residents"].astype(float).to_numpy(),
            "_b": cells["below"].astype(bool).to_numpy(),
        },
        geometry=cells.geometry.values,
        crs=cells.crs,
    )

    def props(row: Any) -> dict:
        value = float(row["_v"])
        label = (
            tr("{value} capacity per 1,000 residents", value=_num(tr, value))
            if capacity
            else tr("{value} hours per week per 1,000 residents", value=_num(tr, value))
        )
        label += " · " + tr("{count} residents", count=tr.number(int(round(row["_r"]))))
        if row["_b"]:
            label += " · " + tr("below the level set")
        return {"_c": supply_class(value, level, breaks), "_t": text(label)}

    title = _supply_title(tr, s, capacity)
    options = {"classes": styles.supply_classes(len(breaks) + 1), "radius": styles.CELL_RADIUS_PX}
    DataLayer(SUPPLY_KEY, title, feature_collection(frame, props), options, show=show).add_to(m)
    colours = styles.supply_colours(len(breaks) + 1)
    entries = [
        ("fill", c, label)
        for c, label in zip(colours, supply_class_labels(tr, level, breaks), strict=True)
    ]
    sheet.legend.add(title, entries, _supply_note(tr, run), layer=SUPPLY_KEY)
    sheet.counts[SUPPLY_KEY] = len(frame)


def _supply_title(tr, s: dict, capacity: bool) -> str:
    category = str(s.get("category") or "")
    what = tr("office") if category == "office" else category_label(tr, category)
    minutes = _minutes_of(s)
    if capacity:
        return tr(
            "Capacity per 1,000 residents within {minutes} min walk: {category}",
            minutes=minutes,
            category=what,
        )
    return tr(
        "Hours open per week per 1,000 residents within {minutes} min walk: {category}",
        minutes=minutes,
        category=what,
    )


def _minutes_of(s: dict):
    value = float(s.get("minutes") or 0)
    return int(value) if value.is_integer() else round(value, 1)


def _supply_note(tr, run: StoredRun) -> str:
    s = run.summary
    parts = [
        tr("Hours are shared among the residents who reach a place; nearer homes count more"),
        tr("Reference week {week}", week=str(s.get("week", ""))),
    ]
    if s.get("language"):
        language = tr.language_name(str(s["language"]))
        parts.append(tr("Only places offering {language}", language=language))
    unknown = int(s.get("facilities_unknown") or 0)
    if unknown:
        parts.append(
            tr(
                "{count} places left out (hours or language unknown): nearby homes may reach more",
                count=tr.number(unknown),
            )
        )
    parts.append(tr("Walking profile: {profile}", profile=tr(str(s.get("profile", "standard")))))
    parts.append(_computed(tr, run))
    return tr.sentences(*parts)
