"""Maximal covering (MCLP): greedy + swap local search with a proven bound, HiGHS warm-started."""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse

from planner import _validate
from planner.errors import SolverError
from planner.optimize import _swap
from planner.optimize._highs import solve_milp
from planner.optimize.options import SolverOptions
from planner.optimize.problem import AUTO_EXACT_NNZ, OPT_TOL, Problem, Reduced, Solution, \
    reduce, relative_gap

__all__ = ["mclp", "greedy_mclp", "coverage_curve"]


def coverage_solution(problem: Problem, model: str, method: str, status: str, selected,
                      objective: float, bound: float | None, start: float, gains, stats,
                      **details) -> Solution:
    covered = problem.covered_weight(selected)
    gap = relative_gap(objective, bound)
    if gap is not None and gap <= OPT_TOL:
        status = "optimal"
    return Solution(
        model=model, method=method, status=status, selected=tuple(selected),
        objective=float(objective), bound=None if bound is None else float(bound),
        gap=relative_gap(objective, bound), seconds=time.perf_counter() - start,
        covered_weight=covered, covered_share=covered / problem.total_weight,
        gains=tuple(gains), details={"reduction": stats, **details},
    )


def order_by_gain(matrix, weight, chosen):
    """Order chosen rows greedily by marginal gain (for reporting what each adds)."""
    if not len(chosen):
        return [], ()
    chosen = list(chosen)
    local, gains, _ = _swap.greedy_cover(matrix[chosen], weight, len(chosen))
    rest = [i for i in range(len(chosen)) if i not in local]
    return [chosen[i] for i in local + rest], tuple(gains) + (0.0,) * len(rest)


def _heuristic(reduced: Reduced, p: int, solver: SolverOptions) -> tuple[list[int], float, str]:
    """Greedy, then swaps; returns rows, the best proven upper bound (added weight), label."""
    m, w = reduced.matrix, reduced.group_weight
    greedy, _, _ = _swap.greedy_cover(m, w, p)
    bound = _swap.submodular_bound(m, w, greedy, p)
    if not solver.local_search or len(greedy) < p:  # fewer than p: nothing more to cover
        return greedy, bound, "greedy"
    improved = _swap.swap_search(m, w, greedy)
    bound = min(bound, _swap.submodular_bound(m, w, improved, p))
    return improved, bound, "greedy+swap"


def greedy_mclp(problem: Problem, p: int, *, solver: SolverOptions | None = None) -> Solution:
    """Greedy maximal covering improved by swaps, with a proven bound (no branching).

    The bound is the smaller of f(S) + the p largest gains still available after S (valid
    for any S and any monotone submodular objective such as coverage) and the Lagrangian
    bound of the coverage constraints; the answer is at least (1 - 1/e) of the optimum.
    """
    solver = SolverOptions.coerce(solver, method="greedy")
    return mclp(problem, p, solver=solver)


def _short_reason(reduced: Reduced, p: int, selected) -> dict:
    if len(selected) >= p:
        return {}
    if reduced.stats["candidates_kept"] == 0:
        reason = "no candidate reaches demand that is not already covered"
    else:
        sites = "1 site adds" if len(selected) == 1 else f"{len(selected)} sites add"
        reason = f"only {sites} coverage: every place some candidate reaches is covered"
    return {"fewer_sites_reason": reason}


def mclp(
    problem: Problem,
    p: int,
    *,
    method: str | None = None,
    time_limit: float | None = None,
    gap: float | str | None = None,
    capacity=None,
    fixed_capacity=None,
    solver: SolverOptions | None = None,
) -> Solution:
    """Maximal covering: choose ``p`` new sites to cover the most demand weight.

    Parameters
    ----------
    method, time_limit, gap
        Override the fields of ``solver`` (:class:`SolverOptions`): ``exact`` (HiGHS MILP on
        the reduced model, warm-started from greedy + swaps), ``greedy`` (greedy + swaps with
        a proven bound) or ``auto`` (exact unless the reduced model is very large).
    capacity
        If given, each station (fixed ones included) serves at most this much demand weight
        (one number, or one per candidate with ``fixed_capacity`` one per fixed station);
        demand may be split between stations.
    """
    solver = SolverOptions.coerce(solver, method=method, time_limit=time_limit, gap=gap)
    p = _validate.positive_int(p, name="p")
    if capacity is not None:
        from planner.optimize.capacitated import capacitated_mclp

        return capacitated_mclp(problem, p, capacity, solver, fixed_capacity=fixed_capacity)
    start = time.perf_counter()
    reduced = reduce(problem, ~problem.fixed_mask())
    fixed_weight = float(problem.weights[problem.fixed_mask()].sum())
    n_c = reduced.matrix.shape[0]
    if n_c <= p:
        order, gains = order_by_gain(reduced.matrix, reduced.group_weight, list(range(n_c)))
        total = fixed_weight + float(reduced.group_weight.sum())
        return coverage_solution(problem, "mclp", "exact", "optimal",
                                 tuple(int(reduced.candidates[c]) for c in order), total, total,
                                 start, gains, reduced.stats,
                                 **_short_reason(reduced, p, order))
    chosen, bound_add, label = _heuristic(reduced, p, solver)
    value = _swap.covered_by(reduced.matrix, reduced.group_weight, chosen)
    details = {"heuristic_objective": fixed_weight + value, "heuristic": label}
    tol = max(solver.gap, OPT_TOL)
    if relative_gap(value + fixed_weight, bound_add + fixed_weight) > tol:
        chosen, value, bound_add, label = _lagrange_step(
            reduced, p, chosen, value, bound_add, solver, start, label)
        details["lagrangian_bound"] = fixed_weight + bound_add
    status = "heuristic"
    exact = solver.method == "exact" or (solver.method == "auto"
                                         and reduced.matrix.nnz <= AUTO_EXACT_NNZ)
    if exact:
        chosen, value, bound_add, label, status = _exact_steps(
            reduced, p, chosen, value, bound_add, label, solver, start, fixed_weight, details)
    bound_add = max(bound_add, value)
    gap_now = relative_gap(fixed_weight + value, fixed_weight + bound_add)
    status = "optimal" if gap_now <= OPT_TOL else (
        "within_gap" if status in ("optimal", "heuristic") and gap_now <= solver.gap else status)
    order, gains = order_by_gain(reduced.matrix, reduced.group_weight, chosen)
    selected = tuple(int(reduced.candidates[c]) for c in order)
    return coverage_solution(problem, "mclp", label, status, selected, fixed_weight + value,
                             fixed_weight + bound_add, start, gains, reduced.stats, **details,
                             **_short_reason(reduced, p, order))


def _exact_steps(reduced, p, chosen, value, bound, label, solver, start, fixed_weight,
                 details):
    """LP relaxation (bound + rounding), then HiGHS branch and bound, within the time limit."""
    tol = max(solver.gap, OPT_TOL)
    status = "heuristic"

    def open_gap() -> bool:
        return relative_gap(value + fixed_weight, bound + fixed_weight) > tol

    remaining = solver.time_limit_s - (time.perf_counter() - start)
    lp = None
    if open_gap() and remaining > 1.0:
        chosen, value, bound, lp_label, lp = _lp_step(reduced, p, chosen, value, bound,
                                                      remaining - 0.5)
        label = f"{label}+{lp_label}"
        details["lp_bound"] = fixed_weight + bound
    remaining = solver.time_limit_s - (time.perf_counter() - start)
    if open_gap() and remaining > 1.0:
        chosen, value, bound, label, status = _branch_step(
            reduced, p, chosen, value, bound, label, solver, remaining - 0.5, lp, details)
    return chosen, value, bound, label, status


def _reduced_cost_fixing(reduced: Reduced, lp, value: float) -> Reduced:
    """The candidates that can be in a plan covering at least ``value + 1`` (integral weights).

    ``lp`` is the LP relaxation's (minimised objective, reduced costs, x): a plan opening a
    candidate at 0 in the LP with reduced cost d covers at most -(objective + d) (LP duality),
    so if that is below value + 1 the candidate is in no better plan and is dropped, as are
    the groups only dropped candidates reach. Pmed22/27/29/30/32 keep 25-60 % of them.
    """
    objective, dual, x = lp
    n_c = reduced.matrix.shape[0]
    # integral values: a 1e-3 margin is far above the LP's tolerances, far below a unit
    drop = (x[:n_c] < 1e-9) & (-(objective + dual[:n_c]) < value + 1 - 1e-3)
    return _sub_model(reduced, np.flatnonzero(~drop))


def _sub_model(reduced: Reduced, keep: np.ndarray) -> Reduced:
    """The model on the candidates ``keep`` (``candidates`` = their rows in ``reduced``)."""
    matrix = reduced.matrix[keep]
    groups = np.flatnonzero(np.diff(matrix.tocsc().indptr) > 0)
    return Reduced(matrix=matrix[:, groups].tocsr(), group_weight=reduced.group_weight[groups],
                   candidates=keep, stats={})


def _lp_neighbourhood(reduced: Reduced, p: int, lp, chosen, value: float, time_limit: float):
    """A better plan among the LP's support and the candidates of smallest reduced cost
    (a small MILP stopped at its first plan above the incumbent): a higher incumbent fixes
    more candidates (pmed30: 420 -> 423, 319 candidates left instead of 450)."""
    _, dual, x = lp
    n_c = reduced.matrix.shape[0]
    score = np.where(x[:n_c] > 1e-9, -np.inf, dual[:n_c])
    size = max(60, int((x[:n_c] > 1e-9).sum()) + 2 * p)
    keep = np.sort(np.argsort(score, kind="stable")[:size])
    if keep.size >= n_c:
        return chosen, value
    model = _sub_model(reduced, keep)
    result = _solve_exact(model, p, [], time_limit, 0.0, cutoff=-(value + 1) + 1e-6,
                          options={"mip_max_improving_sols": 1})  # the first better plan
    if result.x is None:
        return chosen, value
    found = [int(keep[i]) for i in np.flatnonzero(result.x[:keep.size] > 0.5)]
    found_value = _swap.covered_by(reduced.matrix, reduced.group_weight, found)
    return (found, found_value) if found_value > value else (chosen, value)


# HiGHS options when searching above the incumbent, mostly to prove there is nothing: its
# root reduced-cost heuristic and feasibility jump, and strong branching until pseudocosts
# are reliable, cost more than they find there (pmed22/27/29/30/32 after the fixing:
# 1.3-3x faster without them, measured)
_PROOF = {"mip_heuristic_run_feasibility_jump": False,
          "mip_heuristic_run_root_reduced_cost": False, "mip_pscost_minreliable": 0}


def _branch_step(reduced, p, chosen, value, bound, label, solver, time_limit, lp=None,
                 details=None):
    """HiGHS branch and bound. With integral weights and gap 0 it searches only for plans
    covering more than the incumbent (objective cutoff at value + 1, which prunes more than
    a warm start: pmed40's MCLP 10.5 s instead of 20 s, measured), among the candidates the
    LP's reduced costs leave: finding none proves the incumbent optimal."""
    integral = bool(np.all(reduced.group_weight == np.round(reduced.group_weight)))
    cut = -(value + 1) + 1e-6 if integral and solver.gap == 0 else None
    model = reduced
    if cut is not None and lp is not None:
        begin = time.perf_counter()
        chosen, value = _lp_neighbourhood(reduced, p, lp, chosen, value, time_limit / 10)
        time_limit -= time.perf_counter() - begin
        cut = -(value + 1) + 1e-6
        model = _reduced_cost_fixing(reduced, lp, value)
        if details is not None:
            details["candidates_after_fixing"] = int(model.matrix.shape[0])
        if model.matrix.shape[1] == 0:  # no candidate can reach value + 1
            return chosen, value, value, "exact", "optimal"
    result = _solve_exact(model, p, [] if model is not reduced else chosen, time_limit,
                          solver.gap, cutoff=cut, options=None if cut is None else _PROOF)
    found_value = -np.inf
    if result.x is not None:
        found = [int(model.candidates[i]) if model is not reduced else int(i)
                 for i in np.flatnonzero(result.x[:model.matrix.shape[0]] > 0.5)]
        found_value = _swap.covered_by(reduced.matrix, reduced.group_weight, found)
        if found_value >= value - 1e-9:
            chosen, value = found, found_value
    elif cut is None and solver.method == "exact":
        raise SolverError(f"HiGHS found no MCLP solution within {solver.time_limit_s:g} s "
                          f"({result.message}); raise the time limit or use greedy")
    if cut is not None and result.status in ("optimal", "infeasible") \
            and found_value < -cut:  # nothing beats the incumbent: it is optimal
        return chosen, value, value, "exact", "optimal"
    if math.isfinite(result.dual_bound) and (result.x is not None or cut is not None):
        bound = min(bound, max(-result.dual_bound, value))
    if result.x is None and cut is None:
        return chosen, value, bound, label, "heuristic"
    return chosen, value, bound, "exact", result.status


def _lagrange_step(reduced, p, chosen, value, bound, solver, start, label):
    """Lagrangian bound (a quarter of the time budget at most) and its heuristic + swaps."""
    m, w = reduced.matrix, reduced.group_weight
    deadline = start + solver.time_limit_s / 4
    lag, rows, lag_value = _swap.lagrangian_bound(m, w, p, value, deadline=deadline,
                                                  target_gap=solver.gap)
    if np.all(w == np.round(w)):
        lag = math.floor(lag + 1e-6)
    if rows and lag_value > value:
        rows = _swap.swap_search(m, w, rows) if solver.local_search else rows
        chosen, value = rows, _swap.covered_by(m, w, rows)
        label += "+lagrangian heuristic"
    return chosen, value, min(bound, lag), label + "+lagrangian"


def _lp_step(reduced: Reduced, p: int, chosen, value: float, bound: float,
             time_limit: float):
    """LP relaxation (HiGHS IPM): a proven bound, and a start from its p largest x + swaps.

    The relaxation of the MCLP is often tight on coverage matrices (then no branching is
    needed at all); its bound equals the best Lagrangian bound of y <= A x.
    """
    n_c, n_g = reduced.matrix.shape
    a = reduced.matrix.T.tocsr()
    rows = sparse.vstack([
        sparse.hstack([-a, sparse.identity(n_g, format="csr")], format="csr"),
        sparse.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_g)])[None, :]),
    ], format="csr")
    result = solve_milp(np.concatenate([np.zeros(n_c), -reduced.group_weight]), None, 0.0, 1.0,
                        rows, np.full(n_g + 1, -np.inf), np.concatenate([np.zeros(n_g), [p]]),
                        time_limit=time_limit)
    if result.status != "optimal" or result.x is None:
        return chosen, value, bound, "no LP bound", None
    lp = -result.objective
    if np.all(reduced.group_weight == np.round(reduced.group_weight)):
        lp = math.floor(lp + 1e-6)  # integral weights: so is every solution's value
    else:
        lp += OPT_TOL / 10 * max(1.0, abs(lp))  # the LP's own tolerance
    bound = min(bound, lp)
    fixing = None if result.col_dual is None else (result.objective, result.col_dual, result.x)
    x = result.x[:n_c]
    start = [int(i) for i in np.argsort(-x, kind="stable")[:p]]
    rounded = _swap.swap_search(reduced.matrix, reduced.group_weight, start)
    rounded_value = _swap.covered_by(reduced.matrix, reduced.group_weight, rounded)
    if rounded_value > value:
        return rounded, rounded_value, bound, "LP rounding", fixing
    return list(chosen), value, bound, "LP bound", fixing


def _solve_exact(reduced: Reduced, p: int, warm_rows, time_limit: float, gap: float, *,
                 cutoff: float | None = None, options: dict | None = None):
    n_c, n_g = reduced.matrix.shape
    a = reduced.matrix.T.tocsr()  # groups x candidates
    rows = sparse.vstack([
        sparse.hstack([-a, sparse.identity(n_g, format="csr")], format="csr"),
        sparse.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_g)])[None, :]),
    ], format="csr")
    warm = np.zeros(n_c + n_g)
    warm[list(warm_rows)] = 1
    warm[n_c:] = np.minimum(1.0, a @ warm[:n_c])
    return solve_milp(
        np.concatenate([np.zeros(n_c), -reduced.group_weight]),
        np.concatenate([np.ones(n_c), np.zeros(n_g)]), 0.0, 1.0, rows,
        np.full(n_g + 1, -np.inf), np.concatenate([np.zeros(n_g), [p]]),
        time_limit=time_limit, gap=gap, warm=None if cutoff is not None else warm,
        cutoff=cutoff,
        # the LP step ran already: simplex re-solves nodes faster. reduce() merged identical
        # demand and dropped dominated sites; HiGHS's presolve on top made the OR-Library
        # MCLPs 1.2-2x slower (pmed14/17/22/23/29/30, measured). Its RINS and RENS sub-MIPs
        # took half the root time of pmed22/27/29/32 and rarely beat greedy + swaps + LP
        # rounding: without them the branch step is 1.5-2x faster there (measured)
        interior_point=False, presolve=False,
        options={"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
                 **(options or {})})


def coverage_curve(problem: Problem, k_max: int, *, method: str = "greedy",
                   time_limit: float = 30.0) -> list[dict]:
    """Covered share as stations are added one by one (k = 0..k_max).

    ``greedy`` (default) adds the best next site each time (one pass; each point is a lower
    bound on the best k sites); ``exact`` solves the MCLP for every k (each point is optimal,
    so the sites may change between k). Every point says which (``method``).
    """
    k_max = _validate.positive_int(k_max, name="k_max", maximum=10_000)
    total = problem.total_weight
    start_weight = float(problem.weights[problem.fixed_mask()].sum())
    points = [{"k": 0, "covered_weight": start_weight, "covered_share": start_weight / total,
               "method": "exact"}]
    if method == "exact":
        for k in range(1, k_max + 1):
            solution = mclp(problem, k, method="exact", time_limit=time_limit)
            points.append({"k": k, "covered_weight": solution.objective,
                           "covered_share": solution.objective / total,
                           "status": solution.status, "method": "exact"})
        return points
    reduced = reduce(problem, ~problem.fixed_mask())
    rows, gains, _ = _swap.greedy_cover(reduced.matrix, reduced.group_weight, k_max)
    running = start_weight
    for k, (row, gain) in enumerate(zip(rows, gains), start=1):
        running += gain
        points.append({"k": k, "covered_weight": running, "covered_share": running / total,
                       "site": int(reduced.candidates[row]), "method": "greedy"})
    return points
