"""p-median: new sites minimising the weighted travel time, with a proven bound.

Times are the stored values (seconds) of ``problem.cover`` and ``problem.fixed``. A place
no site (candidate or open station) can reach is left out of the objective and reported as
unreachable; a place some candidate reaches but no chosen site does counts ``penalty_s``
(by default the longest time in the matrices + 60 s; never less than the longest time + 1 s),
so serving it always pays and every reached place counts its true time.
Heuristic: greedy + fast interchange; bound: Lagrangian relaxation; then, if the gap is
above the tolerance and time is left, a Lagrangian branch and bound (p <= ``BNB_MAX_P``,
where the LP-based MIP is weakest) or HiGHS on the model the Lagrangian fixing leaves.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse

from planner import _validate
from planner.errors import InputError, SolverError
from planner.optimize import _pmedian_bnb as bnb
from planner.optimize import _pmedian_search as search
from planner.optimize._highs import solve_milp
from planner.optimize.options import SolverOptions
from planner.optimize.problem import OPT_TOL, Problem, Solution, relative_gap

__all__ = ["pmedian", "DENSE_MAX"]

#: Rounds of the iterated local search (a count, not a time: the same input gives the same
#: plan on any machine unless the time limit stops it first).
ILS_ROUNDS = 60
#: Largest p solved exactly by the Lagrangian branch and bound (beyond it HiGHS's MIP, whose
#: LP relaxation is near-integral for large p, while for small p it needs long cutting rounds
#: on a degenerate LP: measured on the OR-Library instances, bench/report.md).
BNB_MAX_P = 30
#: ... and the largest free candidates x places matrix it searches (each node re-optimises
#: the multipliers over it; beyond this, as at city scale, the MIP route below is taken).
BNB_MAX_CELLS = 3_000_000
#: Largest number of assignment variables the p-median MIP is tried with.
MIP_MAX_ASSIGN = 400_000
#: Largest candidates x reachable-places matrix the p-median holds densely (float64).
DENSE_MAX = 12_000_000


def pmedian(
    problem: Problem,
    p: int,
    *,
    penalty_s: float | None = None,
    method: str | None = None,
    time_limit: float | None = None,
    gap: float | str | None = None,
    solver: SolverOptions | None = None,
) -> Solution:
    """Choose ``p`` new sites minimising the total (weight x seconds) travel time.

    ``details`` reports in minutes: ``mean_min`` (weighted mean time over the demand the plan
    reaches), ``unreachable_weight``/``unreachable_share`` (never folded into a mean), and
    the same before the new sites (``mean_min_before``...). ``gains`` are weight x minutes
    saved by each site in order (``gain_unit="weight_min"``).
    """
    solver = SolverOptions.coerce(solver, method=method, time_limit=time_limit, gap=gap)
    p = _validate.positive_int(p, name="p")
    start = time.perf_counter()
    deadline = start + solver.time_limit_s
    cover, fixed = problem.cover.tocsr(), problem.fixed.tocsr()
    longest = max([float(m.data.max()) for m in (cover, fixed) if m.nnz] or [1.0])
    if penalty_s is None:
        penalty_s = longest + 60.0
    if not (penalty_s > 0 and math.isfinite(penalty_s)):
        raise InputError("penalty_s must be a positive finite number of seconds")
    penalty_s = max(float(penalty_s), longest + 1.0)  # true times always count in full
    reach = np.flatnonzero(problem.coverable_mask())
    w = problem.weights[reach]
    n_c = cover.shape[0]
    if n_c * max(reach.size, 1) > DENSE_MAX:
        raise InputError(f"the p-median holds a dense {n_c} x {reach.size} time matrix, more "
                         f"than {DENSE_MAX:,} entries; use fewer candidates (e.g. a larger "
                         "--spacing, or a candidates layer) or aggregate the demand places")
    times = np.full((n_c, reach.size), float(penalty_s))
    sub = cover[:, reach].tocoo()
    times[sub.row, sub.col] = sub.data
    base_t = np.full(reach.size, float(penalty_s))
    if fixed.nnz:
        fsub = fixed[:, reach].tocoo()
        np.minimum.at(base_t, fsub.col, fsub.data)
    cost, base = times * w[None, :], base_t * w
    chosen, upper, bound, status, method_label, details = _search(cost, base, p, solver,
                                                                  deadline)
    if relative_gap(upper, bound) is not None and relative_gap(upper, bound) <= OPT_TOL:
        status = "optimal"
    elif status == "optimal":
        status = "within_gap"
    return _solution(problem, reach, times, base_t, chosen, upper, bound, start, penalty_s,
                     method_label, status, details, p)


def _search(cost, base, p, solver, deadline):
    """Greedy, interchange, Lagrangian bound (and heuristic), iterated local search, exact."""
    chosen, upper, bound, lag, label, details = _heuristic(cost, base, p, solver, deadline)
    status = "optimal" if lag is None else "heuristic"
    integral = details.pop("_integral", False)
    if lag is None or relative_gap(upper, bound) <= solver.gap or solver.method == "greedy" \
            or time.perf_counter() >= deadline:
        return chosen, upper, bound, status, label, details
    free_cells = (cost.shape[0] - lag.closed.size - lag.opened.size) * cost.shape[1]
    if p <= BNB_MAX_P and free_cells <= BNB_MAX_CELLS:
        chosen, upper, bound, status, nodes = _branch_and_bound(
            cost, base, p, chosen, upper, bound, lag, integral, solver, deadline)
        details.update(exact_method="lagrangian branch and bound", nodes=nodes)
        return chosen, upper, bound, status, "exact", details
    chosen, upper, bound, status, label = _exact(
        cost, base, p, chosen, upper, bound, lag, integral, solver, deadline, label)
    details["exact_method"] = "HiGHS MIP"
    return chosen, upper, bound, status, label, details


def _heuristic(cost, base, p, solver, deadline):
    """Greedy + interchange, the Lagrangian bound and fixing, the Lagrangian plan + interchange,
    iterated local search; returns the plan, its cost, the bound, the Lagrangian result (None
    if fewer than p sites save anything: then the greedy plan is optimal), label, details."""
    n_c = cost.shape[0]
    chosen = search.greedy(cost, base, p)
    label = "greedy"
    if solver.local_search and len(chosen) == p:
        chosen, label = search.interchange(cost, base, chosen, deadline=deadline), "greedy+swap"
    upper = search.cost_of(cost, base, chosen)
    details: dict = {"heuristic": label, "heuristic_objective": upper}
    if len(chosen) < p:  # no further site saves anything: the greedy answer is optimal
        return chosen, upper, upper, None, label, details
    integral = bool(np.all(cost == np.round(cost)) and np.all(base == np.round(base)))
    assign = np.minimum(base, cost[chosen].min(axis=0))
    lag = search.lagrangian_bound(cost, base, p, upper, start=assign, integral=integral,
                                  target_gap=solver.gap, deadline=deadline)
    starts = [lag.sites] if lag.sites else []
    if solver.local_search:  # the relaxation's plan at the best multipliers, improved
        starts.append(search.lagrangian_plan(cost, lag.lam, p))
    for start in starts:
        better = search.interchange(cost, base, start, deadline=deadline) \
            if solver.local_search else start
        if search.cost_of(cost, base, better) < upper - 1e-9:
            chosen, upper = better, search.cost_of(cost, base, better)
            label = label.replace("+lagrangian heuristic", "") + "+lagrangian heuristic"
    bound = min(lag.bound, upper)
    if relative_gap(upper, bound) > solver.gap and solver.local_search:
        allowed = np.setdiff1d(np.arange(n_c), lag.closed)
        better = search.perturbed_search(cost, base, chosen, allowed=allowed, lower=bound,
                                         seed=solver.seed, deadline=deadline,
                                         rounds=ILS_ROUNDS)
        if search.cost_of(cost, base, better) < upper:
            chosen, upper = better, search.cost_of(cost, base, better)
            label += "+perturbation"
    lag = lag.refix(cost, base, p, upper, integral)
    details.update(heuristic=label, heuristic_objective=upper, lagrangian_bound=lag.bound,
                   lagrangian_iterations=lag.iterations,
                   candidates_fixed_closed=int(lag.closed.size),
                   candidates_fixed_open=int(lag.opened.size), _integral=integral)
    return chosen, upper, bound, lag, label + "+lagrangian", details


def _branch_and_bound(cost, base, p, chosen, upper, bound, lag, integral, solver, deadline):
    """Lagrangian branch and bound from the root's multipliers and fixing."""
    result = bnb.branch_and_bound(cost, base, p, chosen, upper, lam=lag.lam, closed=lag.closed,
                                  opened=lag.opened, integral=integral, deadline=deadline,
                                  gap=solver.gap, root_bound=bound)
    if result.upper < upper:
        chosen, upper = result.sites, search.cost_of(cost, base, result.sites)
    bound = max(bound, min(result.bound, upper))
    if integral:
        bound = min(float(math.ceil(bound - 1e-6)), upper)
    return chosen, upper, bound, result.status, result.nodes


def _exact(cost, base, p, chosen, upper, bound, lag, integral, solver, deadline, label):
    """HiGHS on the candidates the Lagrangian fixing leaves free, warm-started."""
    n_c = cost.shape[0]
    free = np.setdiff1d(np.arange(n_c), np.concatenate([lag.closed, lag.opened]))
    forced = lag.opened
    p_free = p - forced.size
    base2 = np.minimum(base, cost[forced].min(axis=0)) if forced.size else base
    if p_free <= 0 or free.size == 0:
        trial = list(forced[:p])
        value = search.cost_of(cost, base, trial)
        if value <= upper:
            return trial, value, value, "optimal", "lagrangian fixing"
        return chosen, upper, upper, "optimal", "lagrangian fixing"
    sub = cost[free]
    keep = search.useful_pairs(cost, p, lag, upper, integral, free)
    rows, cols = np.nonzero((sub < base2[None, :]) & keep)
    if rows.size > MIP_MAX_ASSIGN:
        return chosen, upper, bound, "heuristic", label + f" (MIP skipped: {rows.size:,} " \
            "assignment variables)"
    n_e, n_d, n_f = rows.size, base.size, free.size
    c = np.concatenate([np.zeros(n_f), sub[rows, cols], base2])
    assign = sparse.csr_matrix(
        (np.ones(n_e + n_d), (np.concatenate([cols, np.arange(n_d)]),
                              np.concatenate([n_f + np.arange(n_e), n_f + n_e + np.arange(n_d)]))),
        shape=(n_d, n_f + n_e + n_d))
    link = sparse.csr_matrix(
        (np.concatenate([np.ones(n_e), -np.ones(n_e)]),
         (np.concatenate([np.arange(n_e)] * 2), np.concatenate([n_f + np.arange(n_e), rows]))),
        shape=(n_e, n_f + n_e + n_d))
    count = np.zeros(n_f + n_e + n_d)
    count[:n_f] = 1
    result = solve_milp(
        c, np.concatenate([np.ones(n_f), np.zeros(n_e + n_d)]), 0.0, 1.0,
        sparse.vstack([assign, link, sparse.csr_matrix(count[None, :])], format="csr"),
        np.concatenate([np.ones(n_d), np.full(n_e, -np.inf), [0]]),
        np.concatenate([np.ones(n_d), np.zeros(n_e), [p_free]]),
        time_limit=max(deadline - time.perf_counter(), 0.5), gap=solver.gap,
        interior_point=False)  # simplex is faster on the p-median's many z <= x rows
    if result.x is None:
        if solver.method == "exact" and result.status not in ("infeasible", "time_limit"):
            raise SolverError(f"HiGHS failed on the p-median ({result.message})")
        return chosen, upper, bound, "heuristic", label
    trial = list(forced) + [int(free[j]) for j in np.flatnonzero(result.x[:n_f] > 0.5)]
    value = search.cost_of(cost, base, trial)
    if value < upper:
        chosen, upper = trial, value
    if math.isfinite(result.dual_bound):
        dual = math.ceil(result.dual_bound - 1e-6) if integral else result.dual_bound
        bound = max(bound, min(dual, upper))
    return chosen, upper, bound, result.status, "exact"


def _solution(problem, reach, times, base_t, chosen, objective, bound, start, penalty_s,
              method, status, details, p) -> Solution:
    """Order the sites by saving and report minutes, reach and what each site adds."""
    w_all = problem.weights
    w = w_all[reach]
    total = float(w_all.sum())
    served_before = base_t < penalty_s
    best = np.where(served_before, base_t, np.inf)
    order, gains, means = [], [], []
    left = list(chosen)
    while left:
        savings = [float((w * np.maximum(0.0, np.minimum(best, penalty_s)
                                         - np.minimum(times[j], penalty_s))).sum())
                   for j in left]
        k = int(np.argmax(savings))
        j = left.pop(k)
        reached = times[j] < penalty_s
        best = np.where(reached, np.minimum(best, times[j]), best)
        order.append(j)
        gains.append(savings[k] / 60.0)
        means.append(_mean_min(w, best))
    unreached_after = float(total - w[np.isfinite(best)].sum())
    unreached_before = float(total - w[served_before].sum())
    no_site = float(total - w.sum())
    details.update({
        "mean_min": _mean_min(w, best), "mean_min_before": _mean_min(
            w, np.where(served_before, base_t, np.inf)),
        "mean_min_after_each": [round(m, 4) for m in means],
        "unreachable_weight": unreached_after, "unreachable_share": unreached_after / total,
        "unreachable_weight_before": unreached_before,
        "unreachable_share_before": unreached_before / total,
        "no_site_reaches_weight": no_site, "penalty_min": penalty_s / 60.0,
        "objective_unit": "weight_s",
    })
    if len(order) < p:
        details["fewer_sites_reason"] = (
            f"only {'1 site shortens' if len(order) == 1 else f'{len(order)} sites shorten'} "
            "any trip: no other candidate is closer to any place than the sites already open")
    return Solution(model="pmedian", method=method, status=status, selected=tuple(order),
                    objective=float(objective), bound=None if bound is None else float(bound),
                    gap=relative_gap(objective, bound), seconds=time.perf_counter() - start,
                    covered_weight=None, covered_share=None, gains=tuple(gains),
                    details=details, gain_unit="weight_min")


def _mean_min(w, best_s) -> float | None:
    ok = np.isfinite(best_s)
    if not ok.any():
        return None
    return float((w[ok] * best_s[ok]).sum() / w[ok].sum() / 60.0)
