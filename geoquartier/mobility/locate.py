"""Where to open k new offices or services so that the most residents reach one on foot.

:func:`locate` places ``sites`` new facilities of one category among candidate sites
(:mod:`geoquartier.mobility.candidates`) on the walk network, for a walking profile:

* ``model="mclp"`` — maximal coverage: the most residents **newly** within ``minutes``
  (residents already within reach of an existing facility of the category count as
  covered);
* ``model="pmedian"`` — the least resident-weighted mean walking time to the nearest
  facility, existing or new.

Demand is the population layer (Zensus cells or homes; polygons by their centroid),
weighted by ``residents``; candidates, demand and existing facilities snap to the
network like every facility. Coverage sets come from bounded multi-source searches
(:func:`geoquartier.mobility.catchment.travel_times`): for MCLP each candidate's search
stops at T minutes; for p-median at the longest current walk to an existing facility (a
candidate cannot improve anyone beyond that). The models are solved exactly with HiGHS
(:mod:`geoquartier.mobility.optimize`) or greedily.

Inputs and outputs are GeoDataFrames in EPSG:4326; the analysis runs in EPSG:25832.
The result's :attr:`LocateResult.sites` is the ``locate_sites`` layer and
:meth:`LocateResult.run_row` the ``locate_runs`` table (docs/planning.md): what a
scenario is later made from.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from geoquartier.config import STORAGE_CRS
from geoquartier.errors import GeoquartierError
from geoquartier.mobility import optimize
from geoquartier.mobility.catchment import TravelTimes, nearest_minutes, travel_times
from geoquartier.mobility.inputs import as_points, minutes_list
from geoquartier.mobility.profiles import Profile, get_profile
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M

MODELS = ("mclp", "pmedian")
"""The location models: maximal coverage and p-median."""

UNSERVED_MIN = 240.0
"""p-median: walking minutes charged to a resident whom no facility reaches (and the
longest search); the longest walk a planner may ask about (see ``minutes_list``)."""

GREEDY_ABOVE = 5000
"""With ``greedy=None`` the greedy solver is used above this many candidate sites."""

SITE_COLUMNS = [
    "run_id",
    "rank",
    "candidate_id",
    "name",
    "use",
    "address",
    "source",
    "quartier",
    "category",
    "profile",
    "minutes",
    "model",
    "residents_new",
    "residents_reach",
    "residents_nearest",
    "mean_min_before",
    "mean_min_after",
    "lon",
    "lat",
]
"""Columns of the ``locate_sites`` layer (points, EPSG:4326); see docs/planning.md."""


@dataclass
class LocateResult:
    """The chosen sites (``sites``, EPSG:4326, columns :data:`SITE_COLUMNS`) and the
    run's figures (``summary``: see :meth:`run_row`)."""

    sites: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)

    def run_row(self) -> pd.DataFrame:
        """The run as a one-row table (``locate_runs``)."""
        return pd.DataFrame([self.summary])

    def text(self) -> str:
        """A short readable summary, e.g. ``2 sites: A, B; residents newly within 10 min
        for seniors: 1,234 (12 %)``."""
        s = self.summary
        places = ", ".join(_label(r) for r in self.sites.itertuples())
        who = _PROFILE_WORDS.get(s["profile"], f"profile {s['profile']}")
        head = f"{len(self.sites)} site{'s' if len(self.sites) != 1 else ''}: {places}"
        within = (
            f"residents newly within {s['minutes']:g} min {who}: "
            f"{s['residents_newly_within']:,.0f} ({100 * s['share_newly_within']:.0f} %)"
        )
        parts = [head, within]
        if s["model"] == "pmedian":
            parts.append(
                f"mean walk to the nearest {s['category'] or 'facility'}: "
                f"{s['mean_min_before']:.1f} → "
                f"{s['mean_min_after']:.1f} min"
            )
        solved = "optimal" if s["gap"] == 0 else f"gap {_pct(s['gap'])}"
        parts.append(f"{s['solver']} {solved}, {s['solver_s']:.2f} s")
        return "; ".join(parts)


_PROFILE_WORDS = {"standard": "on foot", "senior": "for seniors", "wheelchair": "by wheelchair"}


def _label(row) -> str:
    for value in (row.address, row.name):
        if isinstance(value, str) and value:
            return value
    return f"{row.lon:.5f}, {row.lat:.5f}"


def _pct(gap: float) -> str:
    return "unknown" if not np.isfinite(gap) else f"{100 * gap:.2f} %"


# ------------------------------------------------------------------------------- inputs
@dataclass
class Demand:
    """Demand points (EPSG:25832) and their weights; ``total`` = all residents given."""

    points: object
    weight: np.ndarray
    total: float


def demand_of(population: gpd.GeoDataFrame) -> Demand:
    """The population layer (EPSG:4326; points or polygons, ``residents``) as demand."""
    if "residents" not in population:
        raise GeoquartierError("population: no column 'residents'")
    residents = pd.to_numeric(population["residents"], errors="coerce")
    if residents.isna().any() or (residents < 0).any():
        raise GeoquartierError("population: 'residents' must be numbers >= 0")
    if population.empty or residents.sum() <= 0:
        raise GeoquartierError("population: no residents to serve")
    pts = as_points(population, "population")
    w = residents.to_numpy(dtype=float)
    return Demand(pts, w, float(w.sum()))


def _check(model: str, sites: int, minutes) -> float:
    if model not in MODELS:
        raise GeoquartierError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if not isinstance(sites, (int, np.integer)) or isinstance(sites, bool) or sites < 1:
        raise GeoquartierError(f"sites must be a positive whole number, got {sites!r}")
    values = minutes_list(minutes)
    if len(values) != 1:
        raise GeoquartierError(f"give one walking time in minutes, got {minutes!r}")
    return values[0]


# -------------------------------------------------------------------------------- locate
def locate(
    network,
    population: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame | None = None,
    *,
    minutes: float = 10.0,
    profile: str | Profile = "standard",
    sites: int = 1,
    model: str = "mclp",
    greedy: bool | None = False,
    time_limit_s: float = optimize.DEFAULT_TIME_LIMIT_S,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    labels: dict | None = None,
    progress=None,
) -> LocateResult:
    """Choose ``sites`` new sites among ``candidates`` for one category (EPSG:4326 in/out).

    ``population``: points or polygons with ``residents``. ``candidates``: points or
    polygons with ``id`` (optional ``name``, ``use``, ``address``, ``source``).
    ``existing``: the category's current facilities (points; None or empty: none).
    ``minutes``: T, the walking time; ``profile``: a profile name or :class:`Profile`;
    ``model``: ``mclp`` or ``pmedian``; ``greedy``: True for the greedy solver, None for
    greedy above :data:`GREEDY_ABOVE` candidates, False (default) for the exact MILP
    (limited to ``time_limit_s``; the gap says how far from proven optimal).
    ``labels``: ``quartier`` and ``category`` written into the result. ``progress``: a
    callable taking the number of candidates searched.

    Returns a :class:`LocateResult`. Residents off the network (farther than
    ``max_snap_m`` from a usable way) are counted in the total, never as covered.
    """
    t_min = _check(model, sites, minutes)
    prof = get_profile(profile)
    demand = demand_of(population)
    cand = as_points(candidates, "candidates")
    start = time.perf_counter()
    base = _existing_minutes(network, existing, demand, prof, max_snap_m)
    limit = t_min if model == "mclp" else _pmedian_limit(base, t_min)
    times = travel_times(
        network, cand, demand.points, prof, limit, max_snap_m=max_snap_m, progress=progress
    )
    build_s = time.perf_counter() - start
    use_greedy = len(cand) > GREEDY_ABOVE if greedy is None else bool(greedy)
    solve = _solve_mclp if model == "mclp" else _solve_pmedian
    sol = solve(times, demand.weight, base, t_min, sites, use_greedy, time_limit_s)
    figures = _site_figures(times, demand.weight, base, t_min, sol.chosen, model)
    out = _sites_frame(candidates, cand, sol.chosen, figures)
    summary = _summary(sol, figures, demand, base, t_min, prof, model, len(cand), build_s)
    summary.update({k: v for k, v in (labels or {}).items() if k in ("quartier", "category")})
    for key in ("quartier", "category"):
        summary.setdefault(key, None)
        out[key] = summary[key]
    out["run_id"] = summary["run_id"]
    out["profile"], out["minutes"], out["model"] = prof.name, t_min, model
    return LocateResult(
        gpd.GeoDataFrame(out[SITE_COLUMNS + ["geometry"]], crs=STORAGE_CRS), summary
    )


def quartier_locate(network, population, candidates, facilities, spec, category: str, **options):
    """:func:`locate` beside the ``category``'s current sites among a quartier's
    ``facilities`` (EPSG:4326).

    ``spec``: the registry quartier, whose id labels the summary; ``options``: the other
    keyword arguments of :func:`locate`.
    """
    existing = facilities[facilities["category"] == category]
    labels = {"quartier": spec.id, "category": category}
    return locate(network, population, candidates, existing, labels=labels, **options)


def _existing_minutes(network, existing, demand: Demand, prof, max_snap_m) -> np.ndarray:
    """Minutes from each demand point to the nearest existing facility (inf: none)."""
    if existing is None or len(existing) == 0:
        return np.full(len(demand.weight), np.inf)
    pts = as_points(existing, "existing facilities")
    return nearest_minutes(network, pts, demand.points, prof, max_snap_m=max_snap_m)


def _pmedian_limit(base: np.ndarray, t_min: float) -> float:
    """Search budget of the p-median: the longest current walk (no candidate improves a
    resident beyond it), at least T, at most :data:`UNSERVED_MIN`."""
    finite = base[np.isfinite(base)]
    if len(finite) < len(base) or not len(finite):
        return UNSERVED_MIN
    return float(min(max(finite.max(), t_min), UNSERVED_MIN))


def mclp_inputs(times: TravelTimes, weight: np.ndarray, base: np.ndarray, t_min: float):
    """The MCLP's coverage matrix (sites × demand, within T) and the weights of the
    demand not yet covered (0 for residents within T of an existing facility)."""
    cover = times.within(t_min)
    w = np.where(base <= t_min, 0.0, weight)
    return cover, w


def pmedian_inputs(times: TravelTimes, base: np.ndarray):
    """The p-median's improving pairs and each demand point's current cost: its
    nearest existing facility, or :data:`UNSERVED_MIN` where none is reachable. Pairs
    that do not improve on the current cost are dropped."""
    current = np.minimum(base, UNSERVED_MIN)
    keep = times.minutes < current[times.demand]
    return times.site[keep], times.demand[keep], times.minutes[keep], current


def _solve_mclp(times, weight, base, t_min, k, greedy, time_limit_s) -> optimize.Solution:
    cover, w = mclp_inputs(times, weight, base, t_min)
    if greedy:
        return optimize.mclp_greedy(cover, w, k)
    useful = np.flatnonzero(w > 0)  # the MILP needs only the demand still uncovered
    sol = optimize.mclp_milp(cover[:, useful], w[useful], k, time_limit_s)
    return sol


def _solve_pmedian(times, weight, base, t_min, k, greedy, time_limit_s) -> optimize.Solution:
    site, dem, cost, current = pmedian_inputs(times, base)
    reach = np.isfinite(base) | np.isin(np.arange(len(base)), dem)
    w = np.where(reach & ~times.demand_off_network, weight, 0.0)
    if greedy:
        return optimize.pmedian_greedy(site, dem, cost, current, w, times.n_sites, k)
    return optimize.pmedian_milp(site, dem, cost, current, w, times.n_sites, k, time_limit_s)


# ------------------------------------------------------------------------------ figures
def _site_figures(times: TravelTimes, weight, base, t_min, chosen, model) -> dict:
    """Per chosen site and overall: who is newly within T, who now walks to it (walking
    times beyond T are known for the p-median only: NaN for MCLP)."""
    n_d = times.n_demand
    mine = np.isin(times.site, chosen)
    s, d, m = times.site[mine], times.demand[mine], times.minutes[mine]
    best = np.full(n_d, np.inf)
    np.minimum.at(best, d, m)
    owner = np.full(n_d, -1)
    order = np.lexsort((s, m))  # nearest site first, ties by position
    first = np.unique(d[order], return_index=True)[1]
    owner[d[order][first]] = s[order][first]
    uncovered = ~(base <= t_min)
    newly = uncovered & (best <= t_min)
    nearest = best < base
    full = model == "pmedian"
    rows = []
    for j in chosen:
        within_j = d[(s == j) & (m <= t_min)]
        pick = owner == j
        rows.append(
            {
                "residents_new": float(weight[pick & newly].sum()),
                "residents_reach": float(weight[within_j][uncovered[within_j]].sum()),
                "residents_nearest": float(weight[pick & nearest].sum()) if full else np.nan,
                "mean_min_before": _mean(base, weight, pick & nearest) if full else np.nan,
                "mean_min_after": _mean(best, weight, pick & nearest) if full else np.nan,
            }
        )
    return {"rows": rows, "best": best, "newly": newly}


def _mean(values, weight, mask) -> float:
    ok = mask & np.isfinite(values)
    w = weight[ok]
    return float(np.average(values[ok], weights=w)) if w.sum() > 0 else np.nan


def _sites_frame(candidates, cand, chosen, figures) -> gpd.GeoDataFrame:
    """The chosen candidates (EPSG:4326 points) with their figures, in rank order."""
    rows = candidates.iloc[chosen]

    def col(name):
        if name not in rows:
            return [None] * len(rows)
        return [v if isinstance(v, str) and v else None for v in rows[name].astype(object)]

    geom = gpd.GeoSeries(
        gpd.points_from_xy(cand.x[chosen], cand.y[chosen]), crs="EPSG:25832"
    ).to_crs(STORAGE_CRS)
    frame = pd.DataFrame(figures["rows"])
    frame.insert(0, "candidate_id", [str(v) for v in cand.ids[chosen]])
    for name in ("name", "use", "address", "source"):
        frame[name] = col(name)
    frame["lon"], frame["lat"] = geom.x.to_numpy(), geom.y.to_numpy()
    frame = frame.sort_values("residents_new", ascending=False, kind="stable")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return gpd.GeoDataFrame(
        frame.reset_index(drop=True),
        geometry=geom.values.take(frame.index.to_numpy()),
        crs=STORAGE_CRS,
    )


def _summary(sol, figures, demand: Demand, base, t_min, prof, model, n_cand, build_s) -> dict:
    w = demand.weight
    newly = float(w[figures["newly"]].sum())
    after = np.minimum(base, figures["best"])
    served = np.isfinite(after)
    return {
        "run_id": uuid.uuid4().hex[:12],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "solver": sol.method,
        "sites": len(sol.chosen),
        "profile": prof.name,
        "minutes": t_min,
        "objective": sol.objective,
        "objective_unit": "residents newly within T"
        if model == "mclp"
        else "resident-minutes to the nearest facility",
        "gap": sol.gap,
        "solver_s": sol.solver_s,
        "build_s": build_s,
        "solver_status": str(sol.status),
        "candidates": n_cand,
        "demand_points": len(w),
        "residents_total": demand.total,
        "residents_within_before": float(w[base <= t_min].sum()),
        "residents_newly_within": newly,
        "share_newly_within": newly / demand.total if demand.total > 0 else np.nan,
        "mean_min_before": _mean(base, w, served) if model == "pmedian" else np.nan,
        "mean_min_after": _mean(after, w, served) if model == "pmedian" else np.nan,
    }
