"""Exact and greedy solvers of the two location models, on sparse inputs.

* Maximal coverage (MCLP, Church & ReVelle 1974): choose ``k`` sites that bring the most
  demand weight within the time budget. Input: a boolean (sites × demand) CSR matrix of
  which site covers which demand point and the demand weights (points already covered
  by an existing facility removed or weighted 0).
* p-median (Hakimi 1964; ReVelle & Swain 1970): choose ``k`` sites that minimise the
  weighted sum of walking times to the nearest facility, where every demand point may
  also stay with its current cost (its nearest existing facility, or a penalty where it
  has none). Input: the pairs (site, demand, minutes) that improve on the current cost.

Both are solved exactly as mixed-integer programs by HiGHS through
:func:`scipy.optimize.milp` (binary site variables, continuous assignment variables,
which the integral sites make integral) — for one site by enumerating the sites, which is
exact too — or greedily (add the best site ``k`` times).
Every :class:`Solution` carries the objective, the relative optimality gap (from the
solver's dual bound, or from the LP relaxation for the greedy answer) and the solver time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix, hstack, vstack

DEFAULT_TIME_LIMIT_S = 120.0
"""Time allowed to the exact solver; on expiry the best solution found and its gap are
reported."""


@dataclass
class Solution:
    """``chosen``: site positions in the order picked (greedy) or ascending (exact);
    ``objective``: covered weight (MCLP) or weighted cost (p-median); ``gap``: relative
    optimality gap (0 = proven optimal, NaN = unknown); ``solver_s``: seconds;
    ``method``: ``milp``, ``enumeration`` (k = 1, exact) or ``greedy``; ``status``: the
    solver's message."""

    chosen: np.ndarray
    objective: float
    gap: float
    solver_s: float
    method: str
    status: str


def _check_k(k: int, n_sites: int) -> None:
    if n_sites < k:
        from geoquartier.errors import GeoquartierError

        raise GeoquartierError(f"{k} sites asked for, but only {n_sites} candidate(s) can be used")


# ------------------------------------------------------------------------------ MCLP
def mclp_milp(
    cover: csr_matrix, weight: np.ndarray, k: int, time_limit_s: float = DEFAULT_TIME_LIMIT_S
) -> Solution:
    """Exact MCLP: maximise Σ w_i y_i s.t. y_i ≤ Σ_{j covers i} x_j, Σ x_j = k,
    x binary, 0 ≤ y ≤ 1 — solved on the reduced problem of :func:`reduce_mclp` (same
    optimum)."""
    n_s, n_d = cover.shape
    _check_k(k, n_s)
    weight = np.asarray(weight, dtype=float)
    if k == 1:
        return _best_single(np.asarray(cover.astype(float) @ weight).ravel(), maximise=True)
    sites, red_cover, red_w = reduce_mclp(cover, weight, k)
    m_s, m_d = red_cover.shape
    c = np.concatenate([np.zeros(m_s), -red_w])
    a_cover = hstack([-red_cover.T.tocsr().astype(float), _eye(m_d)]).tocsr()
    a_k = csr_matrix(np.concatenate([np.ones(m_s), np.zeros(m_d)])[None, :])
    cons = [
        LinearConstraint(a_cover, -np.inf, 0.0),
        LinearConstraint(a_k, k, k),
    ]
    integrality = np.concatenate([np.ones(m_s), np.zeros(m_d)])
    res, seconds = _milp(c, integrality, cons, time_limit_s)
    chosen = np.sort(sites[np.flatnonzero(res.x[:m_s] > 0.5)])
    covered = np.asarray(cover[chosen].sum(axis=0)).ravel() > 0
    objective = float(weight[covered].sum())
    return Solution(chosen, objective, _gap(res), seconds, "milp", res.message)


def reduce_mclp(cover: csr_matrix, weight: np.ndarray, k: int):
    """The MCLP with the same optimum and fewer variables: demand points without weight
    or without any covering site are dropped, demand points covered by exactly the same
    sites are merged (weights added), and a site whose covered set lies within another
    site's is dropped (swapping it for the other never covers less; at least ``k`` sites
    are kept). Returns ``(site positions kept, cover, weight)``."""
    cover = csr_matrix(cover, dtype=bool)
    by_demand = cover.T.tocsr()
    by_demand.sort_indices()
    useful = np.flatnonzero((weight > 0) & (np.diff(by_demand.indptr) > 0))
    groups: dict[bytes, int] = {}
    label = np.empty(len(useful), dtype=np.int64)
    for pos, i in enumerate(useful):
        key = by_demand.indices[by_demand.indptr[i] : by_demand.indptr[i + 1]].tobytes()
        label[pos] = groups.setdefault(key, len(groups))
    merged_w = np.bincount(label, weights=weight[useful], minlength=len(groups))
    merged = coo_matrix(
        (np.ones(len(useful), dtype=bool), (label, np.arange(len(useful)))),
        shape=(len(groups), len(useful)),
    ).tocsr()
    # sites × merged demand: the sites covering each merged group
    red = (cover[:, useful].astype(np.int32) @ merged.T.astype(np.int32)).tocsr()
    red.data[:] = 1
    keep = _undominated(red, k)
    return keep, red[keep], merged_w


def _undominated(cover: csr_matrix, k: int) -> np.ndarray:
    """Sites whose covered set is not within another kept site's (ties: the first)."""
    size = np.diff(cover.indptr)
    overlap = (cover @ cover.T).tocoo()
    i, j, n = overlap.row, overlap.col, overlap.data
    inside = (i != j) & (n == size[i]) & ((size[j] > size[i]) | (j < i))
    dominated = np.zeros(cover.shape[0], dtype=bool)
    dominated[np.unique(i[inside])] = True
    dominated[size == 0] = True
    keep = np.flatnonzero(~dominated)
    if len(keep) < k:  # too few left: add back any others (they cannot add coverage)
        keep = np.sort(np.concatenate([keep, np.flatnonzero(dominated)[: k - len(keep)]]))
    return keep


def mclp_greedy(cover: csr_matrix, weight: np.ndarray, k: int) -> Solution:
    """Greedy MCLP: ``k`` times the site that covers the most still uncovered weight."""
    n_s, _ = cover.shape
    _check_k(k, n_s)
    start = time.perf_counter()
    w = np.asarray(weight, dtype=float).copy()
    cover_f = cover.astype(float).tocsr()
    chosen: list[int] = []
    total = 0.0
    for _ in range(k):
        gain = cover_f @ w
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        total += max(gain[j], 0.0)
        w[cover[j].indices] = 0.0
    seconds = time.perf_counter() - start
    bound = _mclp_lp_bound(cover, np.asarray(weight, dtype=float), k)
    gap = (bound - total) / bound if bound and np.isfinite(bound) and bound > 0 else 0.0
    return Solution(np.array(chosen), total, max(gap, 0.0), seconds, "greedy", "greedy")


def _mclp_lp_bound(cover: csr_matrix, weight: np.ndarray, k: int) -> float:
    """Upper bound of the MCLP objective from its LP relaxation (HiGHS)."""
    n_s, n_d = cover.shape
    c = np.concatenate([np.zeros(n_s), -weight])
    a_cover = hstack([-cover.T.tocsr().astype(float), _eye(n_d)]).tocsr()
    a_k = csr_matrix(np.concatenate([np.ones(n_s), np.zeros(n_d)])[None, :])
    cons = [LinearConstraint(a_cover, -np.inf, 0.0), LinearConstraint(a_k, k, k)]
    res, _ = _milp(c, np.zeros(n_s + n_d), cons, DEFAULT_TIME_LIMIT_S)
    return -float(res.fun) if res.x is not None else np.nan


# --------------------------------------------------------------------------- p-median
def pmedian_milp(
    site: np.ndarray,
    demand: np.ndarray,
    cost: np.ndarray,
    current: np.ndarray,
    weight: np.ndarray,
    n_sites: int,
    k: int,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> Solution:
    """Exact p-median over the improving pairs: minimise Σ w_i (current_i s_i + Σ_p
    cost_p x_p) s.t. s_i + Σ_{p of i} x_p = 1, x_p ≤ z_site(p), Σ z = k; z binary."""
    _check_k(k, n_sites)
    n_d, n_p = len(current), len(cost)
    w = np.asarray(weight, dtype=float)
    if k == 1:
        saving = np.bincount(site, weights=w[demand] * (current[demand] - cost), minlength=n_sites)
        best = _best_single(saving, maximise=True)
        best.objective = pmedian_cost(site, demand, cost, current, w, best.chosen)
        return best
    c = np.concatenate([np.zeros(n_sites), w[demand] * cost, w * current])
    # assignment rows: s_i + sum x_p = 1
    assign = hstack(
        [
            csr_matrix((n_d, n_sites)),
            coo_matrix((np.ones(n_p), (demand, np.arange(n_p))), shape=(n_d, n_p)),
            _eye(n_d),
        ]
    )
    # linking rows: x_p - z_j <= 0
    link = hstack(
        [
            coo_matrix((-np.ones(n_p), (np.arange(n_p), site)), shape=(n_p, n_sites)),
            _eye(n_p),
            csr_matrix((n_p, n_d)),
        ]
    )
    count = csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_p + n_d)])[None, :])
    a = vstack([assign, link, count]).tocsr()
    lb = np.concatenate([np.ones(n_d), np.full(n_p, -np.inf), [k]])
    ub = np.concatenate([np.ones(n_d), np.zeros(n_p), [k]])
    integrality = np.concatenate([np.ones(n_sites), np.zeros(n_p + n_d)])
    res, seconds = _milp(c, integrality, [LinearConstraint(a, lb, ub)], time_limit_s)
    chosen = np.flatnonzero(res.x[:n_sites] > 0.5)
    objective = pmedian_cost(site, demand, cost, current, w, chosen)
    return Solution(chosen, objective, _gap(res), seconds, "milp", res.message)


def pmedian_greedy(
    site: np.ndarray,
    demand: np.ndarray,
    cost: np.ndarray,
    current: np.ndarray,
    weight: np.ndarray,
    n_sites: int,
    k: int,
) -> Solution:
    """Greedy p-median: ``k`` times the site that lowers the weighted cost the most."""
    _check_k(k, n_sites)
    start = time.perf_counter()
    w = np.asarray(weight, dtype=float)
    best = np.asarray(current, dtype=float).copy()
    chosen: list[int] = []
    for _ in range(k):
        saving = w[demand] * np.maximum(best[demand] - cost, 0.0)
        gain = np.bincount(site, weights=saving, minlength=n_sites)
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        mine = site == j
        np.minimum.at(best, demand[mine], cost[mine])
    seconds = time.perf_counter() - start
    objective = float((w * best).sum())
    return Solution(np.array(chosen), objective, np.nan, seconds, "greedy", "greedy")


def pmedian_cost(site, demand, cost, current, weight, chosen) -> float:
    """Weighted cost Σ w_i min(current_i, min over chosen sites of cost) (minutes × weight)."""
    best = np.asarray(current, dtype=float).copy()
    mine = np.isin(site, chosen)
    np.minimum.at(best, demand[mine], cost[mine])
    return float((np.asarray(weight, dtype=float) * best).sum())


def _best_single(value: np.ndarray, maximise: bool) -> Solution:
    """k = 1 solved exactly by enumeration: the site with the best value (ties: the
    first); gap 0."""
    start = time.perf_counter()
    j = int(np.argmax(value) if maximise else np.argmin(value))
    seconds = time.perf_counter() - start
    return Solution(np.array([j]), float(value[j]), 0.0, seconds, "enumeration", "optimal")


# ----------------------------------------------------------------------------- helpers
def _eye(n: int) -> csr_matrix:
    return csr_matrix((np.ones(n), (np.arange(n), np.arange(n))), shape=(n, n))


def _milp(c, integrality, constraints, time_limit_s: float):
    """One HiGHS run through :func:`scipy.optimize.milp` with binary bounds on the
    integer variables; returns the result and the wall-clock seconds."""
    bounds = Bounds(np.zeros(len(c)), np.ones(len(c)))
    start = time.perf_counter()
    res = milp(
        c,
        integrality=integrality,
        bounds=bounds,
        constraints=constraints,
        options={
            "time_limit": float(time_limit_s),
            "mip_rel_gap": 0.0,
            "presolve": True,
        },
    )
    seconds = time.perf_counter() - start
    if res.x is None:
        from geoquartier.errors import GeoquartierError

        raise GeoquartierError(f"the solver found no solution: {res.message}")
    return res, seconds


def _gap(res) -> float:
    """Relative optimality gap of a MILP result (0 when proven optimal)."""
    gap = getattr(res, "mip_gap", None)
    if res.status == 0 and (gap is None or gap <= 1e-9):
        return 0.0
    return float(gap) if gap is not None else np.nan
