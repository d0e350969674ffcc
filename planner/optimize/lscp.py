"""Set covering (LSCP): the fewest new sites reaching a share of the demand."""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse

from planner import _validate
from planner.errors import InfeasibleError, InputError, SolverError
from planner.optimize import _swap
from planner.optimize._highs import solve_milp
from planner.optimize.coverage import coverage_solution, order_by_gain
from planner.optimize.options import SolverOptions
from planner.optimize.problem import AUTO_EXACT_NNZ, Problem, Solution, reduce

__all__ = ["lscp"]


def lscp(
    problem: Problem,
    *,
    target_share: float = 1.0,
    unreachable: str = "exclude",
    method: str | None = None,
    time_limit: float | None = None,
    solver: SolverOptions | None = None,
) -> Solution:
    """Set covering: the fewest new sites so that ``target_share`` of demand is covered.

    ``target_share`` is of all demand weight with ``unreachable="error"`` (then demand no
    site reaches makes the model infeasible, with a clear error), or of the demand some
    site can reach with ``unreachable="exclude"`` (the default; what is left out is reported).
    """
    solver = SolverOptions.coerce(solver, method=method, time_limit=time_limit)
    method, time_limit = solver.method, solver.time_limit_s
    share = _validate.share(target_share, name="target_share")
    if unreachable not in ("exclude", "error"):
        raise InputError(f"unreachable={unreachable!r}: use 'exclude' or 'error'")
    start = time.perf_counter()
    coverable = problem.coverable_mask()
    unreachable_weight = float(problem.weights[~coverable].sum())
    total = problem.total_weight
    base = total - unreachable_weight if unreachable == "exclude" else total
    goal = share * base
    if goal > total - unreachable_weight + 1e-9:
        n_out = int((~coverable).sum())
        raise InfeasibleError(
            f"LSCP cannot reach {share:.0%} of demand: {n_out} demand point(s) with weight "
            f"{unreachable_weight:g} ({unreachable_weight / total:.1%}) are out of reach of "
            "every candidate site and existing station; add candidates near them, lower the "
            "target, or exclude unreachable demand (unreachable='exclude', "
            "--unreachable exclude)")
    fixed_weight = float(problem.weights[problem.fixed_mask()].sum())
    still = goal - fixed_weight
    reduced = reduce(problem, ~problem.fixed_mask())
    details = {"target_share": share, "unreachable_weight": unreachable_weight,
               "unreachable_places": int((~coverable).sum()), "goal_weight": goal}
    if still <= 1e-9:
        return coverage_solution(problem, "lscp", "exact", "optimal", (), 0.0, 0.0, start, (),
                                  reduced.stats, **details)
    n_c, n_g = reduced.matrix.shape
    use_exact = method == "exact" or (method == "auto" and reduced.matrix.nnz <= AUTO_EXACT_NNZ)
    if not use_exact:
        greedy_rows, greedy_gains, _ = _swap.greedy_cover(reduced.matrix, reduced.group_weight, n_c,
                                                     stop_weight=still)
        max_set = int(np.diff(reduced.matrix.indptr).max())
        harmonic = float(np.sum(1.0 / np.arange(1, max_set + 1)))
        selected = tuple(int(reduced.candidates[c]) for c in greedy_rows)
        return coverage_solution(problem, "lscp", "greedy", "heuristic", selected,
                                  float(len(selected)), math.ceil(len(selected) / harmonic),
                                  start, tuple(greedy_gains), reduced.stats, **details)
    greedy_rows, _, _ = _swap.greedy_cover(reduced.matrix, reduced.group_weight, n_c,
                                           stop_weight=still)
    full = share >= 1.0 - 1e-12 and abs(still - reduced.group_weight.sum()) < 1e-9
    result = _solve(reduced, still, greedy_rows, full, solver)
    x = None if result.x is None else result.x[:n_c]
    if x is None:
        if method == "auto":
            return lscp(problem, target_share=target_share, unreachable=unreachable,
                        method="greedy", solver=solver)
        raise SolverError(f"HiGHS found no LSCP solution in {time_limit:g} s "
                          f"({result.message}); raise the time limit or use greedy")
    chosen = list(np.flatnonzero(x > 0.5))
    order, gains = order_by_gain(reduced.matrix, reduced.group_weight, chosen)
    selected = tuple(int(reduced.candidates[c]) for c in order)
    bound = result.dual_bound if math.isfinite(result.dual_bound) else 0.0
    return coverage_solution(problem, "lscp", "exact", result.status, selected,
                              float(len(selected)), math.ceil(bound - 1e-6), start, gains,
                              reduced.stats, **details)


def _solve(reduced, still: float, warm_rows, full: bool, solver: SolverOptions):
    """HiGHS set covering (every group) or partial covering (weight >= still), warm-started."""
    n_c, n_g = reduced.matrix.shape
    a = reduced.matrix.T.tocsr()
    if full:
        warm = np.zeros(n_c)
        warm[warm_rows] = 1
        return solve_milp(np.ones(n_c), np.ones(n_c), 0.0, 1.0, a, np.ones(n_g),
                          np.full(n_g, np.inf), time_limit=solver.time_limit_s, gap=solver.gap,
                          warm=warm)
    rows = sparse.vstack([
        sparse.hstack([-a, sparse.identity(n_g, format="csr")], format="csr"),
        sparse.csr_matrix(np.concatenate([np.zeros(n_c), reduced.group_weight])[None, :]),
    ], format="csr")
    warm = np.zeros(n_c + n_g)
    warm[warm_rows] = 1
    warm[n_c:] = np.minimum(1.0, a @ warm[:n_c])
    return solve_milp(np.concatenate([np.ones(n_c), np.zeros(n_g)]),
                      np.concatenate([np.ones(n_c), np.zeros(n_g)]), 0.0, 1.0, rows,
                      np.concatenate([np.full(n_g, -np.inf), [still - 1e-7]]),
                      np.concatenate([np.zeros(n_g), [np.inf]]),
                      time_limit=solver.time_limit_s, gap=solver.gap, warm=warm)
