"""Supply of a kind of service per resident: advisory hours within walking reach (E2SFCA).

The enhanced two-step floating catchment area method (Luo & Qi 2009) on walking times:

1. every facility j divides its supply S_j by the residents who reach it within T
   minutes, each weighted by the distance decay W of their walk:
   R_j = S_j / Σ_i P_i W(t_ij);
2. every home or cell i sums the ratios of the facilities it reaches, weighted again:
   A_i = Σ_j R_j W(t_ij).

A_i × 1000 is the **accessible supply per 1,000 residents** (hours per week per 1,000
residents when the supply is opening hours). W is a step function over three zones of
T — :data:`DECAY_ZONES`: 1.00 up to T/3, 0.68 up to 2T/3, 0.22 up to T, 0 beyond (zone
ends inclusive) — the Gaussian zone weights of Luo & Qi 2009 (zones of 0-10, 10-20,
20-30 min), which are also the default of the PySAL ``access`` library's E2SFCA
(``weights.step_fn({10: 1, 20: 0.68, 30: 0.22})``), scaled from 30 minutes to T.

Supply per facility: the hours it is open in a stated reference week
(:func:`hours_in_week`, evaluated with the state's public holidays by
:class:`geoquartier.layers.opening_hours.OpeningHours`), or a ``capacity`` column when
given. Facilities whose hours (or, with a language asked for, whose languages) are
unknown are **left out and listed by name** — never counted as closed or as always
open — and every home learns how many such facilities it reaches (``unknown_within``):
its figure is then a lower bound.

Inputs EPSG:4326, analysis EPSG:25832, outputs EPSG:4326.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.layers.opening_hours import TIMEZONE, OpeningHours, normalise_state
from geoquartier.mobility.catchment import TravelTimes, travel_times
from geoquartier.mobility.inputs import as_points, minutes_list
from geoquartier.mobility.locate import demand_of
from geoquartier.mobility.profiles import Profile, get_profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M

DECAY_ZONES: tuple[tuple[int, float], ...] = ((1, 1.00), (2, 0.68), (3, 0.22))
"""(end of zone in thirds of T, weight): Luo & Qi's 2009 zone weights scaled to T. A zone
ends at ``T * thirds / 3`` (computed so, the ends equal ``T/3`` and ``2*T/3`` exactly)."""

PER_RESIDENTS = 1000.0
"""Supply is reported per this many residents."""

STATUS_COUNTED = "counted"
STATUS_HOURS_UNKNOWN = "hours unknown"
STATUS_LANGUAGE_UNKNOWN = "language unknown"
STATUS_LANGUAGE_NOT_OFFERED = "language not offered"
STATUS_OFF_NETWORK = "off network"
"""``status`` of a facility in a supply result."""

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")


def reference_week(text: str | date | None = None) -> date:
    """The Monday of an ISO week given as ``2026-W49`` (or a date in it); None: the
    current week (Europe/Berlin)."""
    if text is None:
        today = datetime.now(TIMEZONE).date()
        return today - timedelta(days=today.weekday())
    if isinstance(text, date):
        return text - timedelta(days=text.weekday())
    m = _WEEK.match(str(text).strip())
    if not m:
        raise GeoquartierError(f"week must look like 2026-W49 (ISO year and week), got {text!r}")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise GeoquartierError(f"{text!r} is not a week of that year") from None


@functools.lru_cache(maxsize=4096)
def hours_in_week(expression: str, state: str, monday: date) -> tuple[float, float]:
    """Hours open and hours of "unknown" state of an OSM ``opening_hours`` expression in
    the week starting ``monday`` (00:00 Europe/Berlin, 7 days; real elapsed hours, so a
    week with a clock change has 167 or 169), with the public holidays of ``state``.

    Remembered per expression, state and week (the evaluation walks every change of the
    week; asking again for the same facilities costs nothing)."""
    oh = OpeningHours(expression, state=state)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=TIMEZONE)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=TIMEZONE)
    totals = {"open": 0.0, "unknown": 0.0, "closed": 0.0}
    cursor = start
    while cursor < end:
        current = oh.state_at(cursor)
        nxt = oh.next_change(cursor)
        stop = end if nxt is None or nxt > end else nxt
        elapsed = stop.astimezone(UTC) - cursor.astimezone(UTC)
        totals[current] += elapsed.total_seconds() / 3600.0
        cursor = stop
    return totals["open"], totals["unknown"]


def decay_weights(minutes: np.ndarray, t_min: float) -> np.ndarray:
    """W(t) of :data:`DECAY_ZONES` for walking times in minutes (0 beyond T)."""
    minutes = np.asarray(minutes, dtype=float)
    out = np.zeros(len(minutes))
    done = np.zeros(len(minutes), dtype=bool)
    for thirds, weight in DECAY_ZONES:
        hit = ~done & (minutes <= t_min * thirds / 3)
        out[hit] = weight
        done |= hit
    return out


def e2sfca(
    times: TravelTimes, residents: np.ndarray, supply: np.ndarray, t_min: float
) -> tuple[np.ndarray, np.ndarray]:
    """E2SFCA on sparse walking times (sites = facilities, demand = homes/cells).

    Returns ``(access, ratio)``: per demand point the accessible supply per resident
    (A_i), per facility its supply per weighted resident (R_j; NaN where nobody
    reaches it within T)."""
    keep = times.minutes <= t_min
    s, d = times.site[keep], times.demand[keep]
    w = decay_weights(times.minutes[keep], t_min)
    load = np.bincount(
        s, weights=np.asarray(residents, dtype=float)[d] * w, minlength=times.n_sites
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(load > 0, np.asarray(supply, dtype=float) / load, np.nan)
    contrib = np.where(np.isfinite(ratio[s]), ratio[s] * w, 0.0)
    access = np.bincount(d, weights=contrib, minlength=times.n_demand)
    return access, ratio


# ------------------------------------------------------------------------------ supply
@dataclass
class SupplyResult:
    """``cells``: the population rows (EPSG:4326) with ``hours_per_1000``,
    ``facilities_within``, ``unknown_within``, ``below`` and ``off_network``;
    ``facilities``: every facility of the category with ``supply``, ``status``,
    ``ratio``; ``summary``: the figures of the run."""

    cells: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)

    @property
    def unknown(self) -> list[str]:
        """Names of the facilities left out because their hours or languages are unknown."""
        f = self.facilities
        mask = f["status"].isin([STATUS_HOURS_UNKNOWN, STATUS_LANGUAGE_UNKNOWN])
        return [
            _display_name(n, i) for n, i in zip(f.loc[mask, "name"], f.loc[mask, "id"], strict=True)
        ]

    def text(self) -> str:
        """A short readable summary of the run."""
        s = self.summary
        lang = f" in language {s['language']}" if s["language"] else ""
        unit = "hours/week" if s["supply_unit"] == "hours" else s["supply_unit"]
        lines = [
            f"{s['category']}{lang}, {s['minutes']:g} min {s['profile']} walk, week {s['week']}: "
            f"{s['facilities_counted']} of {s['facilities_total']} facilities counted, "
            f"{s['supply_total']:,.1f} {unit} in all",
            f"median {s['median_per_1000']:.2f} {unit} per 1,000 residents; "
            f"residents below {s['below']:g} per 1,000: {s['residents_below']:,.0f} "
            f"({100 * s['share_below']:.0f} %)",
        ]
        f = self.facilities
        for status in (STATUS_HOURS_UNKNOWN, STATUS_LANGUAGE_UNKNOWN):
            rows = f[f["status"] == status]
            if len(rows):
                names = "; ".join(
                    _display_name(n, i) for n, i in zip(rows["name"], rows["id"], strict=True)
                )
                lines.append(f"left out, {status} ({len(rows)}): {names}")
        return "\n".join(lines)


def _display_name(name, fid) -> str:
    """A facility's name, or ``(unnamed, <id>)``."""
    return name.strip() if isinstance(name, str) and name.strip() else f"(unnamed, {fid})"


def facility_supply(
    facilities: gpd.GeoDataFrame,
    *,
    state: str,
    monday: date,
    language: str | None = None,
    capacity_col: str = "capacity",
) -> pd.DataFrame:
    """Supply and status of each facility: ``supply`` (its ``capacity_col`` value where
    given, else its open hours in the week of ``monday``), ``supply_source``
    (``capacity`` / ``opening_hours``), ``unknown_hours`` and ``status`` (counted, hours
    unknown, language unknown, language not offered)."""
    state = _state(state)
    n = len(facilities)
    supply = np.full(n, np.nan)
    source = np.full(n, None, dtype=object)
    unknown_h = np.full(n, np.nan)
    status = np.full(n, STATUS_COUNTED, dtype=object)
    capacity = _capacity(facilities, capacity_col)
    hours = facilities["opening_hours"] if "opening_hours" in facilities else [None] * n
    for i, expr in enumerate(hours):
        if np.isfinite(capacity[i]):
            supply[i], source[i] = capacity[i], "capacity"
        elif isinstance(expr, str) and expr.strip():
            supply[i], unknown_h[i] = hours_in_week(expr, state, monday)
            source[i] = "opening_hours"
            if supply[i] == 0 and unknown_h[i] > 0:
                status[i] = STATUS_HOURS_UNKNOWN
        else:
            status[i] = STATUS_HOURS_UNKNOWN
    if language is not None:
        offers = _offers(facilities, language)
        status = np.where(
            offers == 0,
            STATUS_LANGUAGE_UNKNOWN,
            np.where(offers < 0, STATUS_LANGUAGE_NOT_OFFERED, status),
        )
    return pd.DataFrame(
        {"supply": supply, "supply_source": source, "unknown_hours": unknown_h, "status": status},
        index=facilities.index,
    )


def _state(state: str) -> str:
    try:
        return normalise_state(state)
    except ValueError as exc:
        raise GeoquartierError(str(exc)) from None


def _capacity(facilities, capacity_col: str) -> np.ndarray:
    if capacity_col not in facilities:
        return np.full(len(facilities), np.nan)
    values = pd.to_numeric(facilities[capacity_col], errors="coerce").to_numpy(dtype=float)
    bad = facilities[capacity_col].notna().to_numpy() & ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GeoquartierError(
            f"facilities: {capacity_col!r} must be a number >= 0, got "
            f"{facilities[capacity_col].iloc[i]!r} (row {i + 1})"
        )
    return values


def check_language(language: str | None) -> str | None:
    """The ISO 639-1 code in lower case, or a clear error."""
    if language is None:
        return None
    from geoquartier.layers.schema import iso639_1_codes

    code = str(language).strip().lower()
    if code not in iso639_1_codes():
        raise GeoquartierError(
            f"unknown language {language!r}; give an ISO 639-1 code such as tr, ar, ru, de"
        )
    return code


def _offers(facilities, language: str) -> np.ndarray:
    """+1 offers the language, -1 states its languages without it, 0 states none."""
    if "languages" not in facilities:
        return np.zeros(len(facilities), dtype=int)
    out = []
    for value in facilities["languages"]:
        codes = (
            [] if value is None or (isinstance(value, float) and np.isnan(value)) else list(value)
        )
        codes = [str(c).lower() for c in codes]
        out.append(0 if not codes else 1 if language in codes else -1)
    return np.array(out, dtype=int)


def supply(
    network,
    population: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    minutes: float = 10.0,
    profile: str | Profile = "standard",
    state: str = "DE-NW",
    week: str | date | None = None,
    language: str | None = None,
    below: float = 2.0,
    capacity_col: str = "capacity",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    labels: dict | None = None,
) -> SupplyResult:
    """E2SFCA supply per 1,000 residents within ``minutes`` on foot (EPSG:4326 in/out).

    ``population``: points or polygons with ``residents``. ``facilities``: the
    category's facilities (points with ``id``, ``name``, and ``opening_hours``,
    ``languages`` and/or ``capacity_col``). ``state``: the German state whose holidays
    apply (``DE-BY``); ``week``: ``2026-W49`` (default: this week); ``language``: ISO
    639-1 code to count only facilities that state they offer it; ``below``: the level
    (per 1,000 residents) under which residents are counted as under-supplied.
    """
    t_min = minutes_list(minutes)
    if len(t_min) != 1:
        raise GeoquartierError(f"give one walking time in minutes, got {minutes!r}")
    t_min = t_min[0]
    prof = get_profile(profile)
    code = check_language(language)
    if not (isinstance(below, (int, float)) and np.isfinite(below) and below >= 0):
        raise GeoquartierError(f"the level 'below' must be a number >= 0, got {below!r}")
    monday = reference_week(week)
    demand = demand_of(population)
    fac = facilities.reset_index(drop=True)
    status = facility_supply(
        fac, state=state, monday=monday, language=code, capacity_col=capacity_col
    )
    times = _facility_times(network, fac, demand, prof, t_min, max_snap_m)
    state = status["status"].to_numpy(dtype=object, copy=True)  # writable also when empty
    state[times.site_off_network & (state == STATUS_COUNTED)] = STATUS_OFF_NETWORK
    status["status"] = state
    counted = state == STATUS_COUNTED
    values = np.where(counted, np.nan_to_num(status["supply"].to_numpy(), nan=0.0), 0.0)
    access, ratio = e2sfca(_only(times, counted), demand.weight, values, t_min)
    cells = _cells(population, demand, times, access, state, t_min, below)
    fac_out = _facilities_frame(fac, status, ratio, counted)
    summary = _supply_summary(cells, demand, status, prof, t_min, monday, code, below, labels)
    return SupplyResult(cells, fac_out, summary)


def quartier_supply(network, population, facilities, spec, category: str, **options):
    """:func:`supply` of the ``category`` among a quartier's ``facilities`` (EPSG:4326).

    ``spec``: the registry quartier, whose state's holidays apply and whose id labels the
    summary; ``options``: the other keyword arguments of :func:`supply`.
    """
    chosen = facilities[facilities["category"] == category]
    labels = {"quartier": spec.id, "category": category}
    return supply(network, population, chosen, state=spec.state, labels=labels, **options)


def _facility_times(network, fac, demand, prof, t_min, max_snap_m) -> TravelTimes:
    if fac.empty:
        return TravelTimes(
            np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), 0, len(demand.weight),
            t_min, np.zeros(0, bool), np.zeros(len(demand.weight), bool),
        )  # fmt: skip
    pts = as_points(fac, "facilities")
    return travel_times(network, pts, demand.points, prof, t_min, max_snap_m=max_snap_m)


def _only(times: TravelTimes, sites: np.ndarray) -> TravelTimes:
    """``times`` restricted to the pairs of the given sites (boolean mask)."""
    keep = sites[times.site] if len(times.site) else np.zeros(0, dtype=bool)
    return TravelTimes(
        times.site[keep], times.demand[keep], times.minutes[keep], times.n_sites,
        times.n_demand, times.limit_min, times.site_off_network, times.demand_off_network,
        times.method,
    )  # fmt: skip


def _in_storage_crs(geometry) -> gpd.GeoSeries | object:
    """A geometry array in EPSG:4326: as it is when already there (no transform)."""
    values = geometry.values if hasattr(geometry, "values") else geometry
    if values.crs is not None and values.crs.srs.upper() in (STORAGE_CRS, "OGC:CRS84"):
        return values
    return gpd.GeoSeries(values).set_crs(values.crs or STORAGE_CRS).to_crs(STORAGE_CRS).values


def _cells(population, demand, times, access, state, t_min, below) -> gpd.GeoDataFrame:
    counted = state == STATUS_COUNTED
    unknown = np.isin(state, (STATUS_HOURS_UNKNOWN, STATUS_LANGUAGE_UNKNOWN))
    within = times.minutes <= t_min
    n_d = times.n_demand
    per = access * PER_RESIDENTS
    ids = (
        population["id"].astype(str).to_numpy()
        if "id" in population
        else np.arange(n_d).astype(str)
    )
    return _geo_frame(
        {
            "id": ids,
            "residents": demand.weight,
            "hours_per_1000": per,
            "facilities_within": np.bincount(
                times.demand[within & counted[times.site]], minlength=n_d
            ),
            "unknown_within": np.bincount(
                times.demand[within & unknown[times.site]], minlength=n_d
            ),
            "below": per < below,
            "off_network": times.demand_off_network,
        },
        _in_storage_crs(population.geometry),
    )


def _geo_frame(columns: dict, geometry) -> gpd.GeoDataFrame:
    """A GeoDataFrame of plain arrays and a geometry array (its CRS kept), made through a
    pandas frame: the same frame as ``GeoDataFrame(columns, geometry=...)`` at about
    two thirds of the cost (GeoPandas checks every column's CRS otherwise)."""
    frame = pd.DataFrame({**columns, "geometry": geometry})
    return gpd.GeoDataFrame(frame, geometry="geometry")


def _text_column(fac, name: str) -> np.ndarray | None:
    """A text column as an object array with None for missing values."""
    if name not in fac:
        return None
    values = fac[name].to_numpy(dtype=object)
    return np.where(pd.isna(values), None, values)


def _facilities_frame(fac, status, ratio, counted) -> gpd.GeoDataFrame:
    geometry = fac.geometry.values
    if geometry.crs is None:
        geometry = gpd.GeoSeries(geometry).set_crs(STORAGE_CRS).values
    return _geo_frame(
        {
            "id": fac["id"].astype(str).to_numpy() if "id" in fac else fac.index.astype(str),
            "name": _text_column(fac, "name"),
            "opening_hours": _text_column(fac, "opening_hours"),
            "supply": status["supply"].to_numpy(),
            "supply_source": status["supply_source"].to_numpy(),
            "unknown_hours": status["unknown_hours"].to_numpy(),
            "status": status["status"].to_numpy(),
            "ratio_per_1000": np.where(counted, ratio * PER_RESIDENTS, np.nan)
            if len(ratio)
            else np.zeros(0),
        },
        _in_storage_crs(geometry),
    )


def _supply_summary(cells, demand, status, prof, t_min, monday, code, below, labels) -> dict:
    """The figures of a run, from the cell columns and the facilities' ``status`` frame."""
    w = demand.weight
    per = cells["hours_per_1000"].to_numpy(dtype=float)
    under = cells["below"].to_numpy(dtype=bool)
    state = status["status"].to_numpy()
    counted = state == STATUS_COUNTED
    sources = set(status["supply_source"].to_numpy()[counted]) - {None}
    iso = monday.isocalendar()
    return {
        "quartier": (labels or {}).get("quartier"),
        "category": (labels or {}).get("category", "facilities"),
        "language": code,
        "profile": prof.name,
        "minutes": t_min,
        "week": f"{iso[0]}-W{iso[1]:02d}",
        "decay": "steps 1.00/0.68/0.22 at T/3, 2T/3, T (Luo & Qi 2009 zones scaled to T)",
        "supply_unit": "capacity" if sources == {"capacity"} else "hours",
        "facilities_total": len(state),
        "facilities_counted": int(counted.sum()),
        "facilities_unknown": int(
            np.isin(state, (STATUS_HOURS_UNKNOWN, STATUS_LANGUAGE_UNKNOWN)).sum()
        ),
        "supply_total": float(status["supply"].to_numpy()[counted].sum()),
        "residents_total": demand.total,
        "below": float(below),
        "residents_below": float(w[under].sum()),
        "share_below": float(w[under].sum() / demand.total) if demand.total > 0 else np.nan,
        "median_per_1000": _weighted_median(per, w),
        "residents_off_network": float(w[cells["off_network"].to_numpy(dtype=bool)].sum()),
        "residents_reaching_unknown": float(w[cells["unknown_within"].to_numpy() > 0].sum()),
    }


def _weighted_median(values: np.ndarray, weight: np.ndarray) -> float:
    if weight.sum() <= 0:
        return np.nan
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weight[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])
