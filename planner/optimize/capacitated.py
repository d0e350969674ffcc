"""Capacitated maximal covering: each station serves at most a given demand weight (HiGHS)."""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse

from planner.errors import InputError, SolverError
from planner.optimize._highs import solve_milp
from planner.optimize.options import SolverOptions
from planner.optimize.problem import Problem, Solution, pattern, relative_gap


def site_capacities(value, n: int, name: str) -> np.ndarray:
    """One positive demand weight per site from a number (the same for all) or a sequence."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise InputError(f"{name} has {array.size} values; expected {n}, one per site")
    if not (np.isfinite(array).all() and (array > 0).all()):
        raise InputError(f"{name} must be positive numbers of demand weight")
    return array


def capacitated_mclp(problem: Problem, p: int, capacity,
                     solver: SolverOptions, *, fixed_capacity=None) -> Solution:
    """MCLP where each station (fixed ones included) serves at most its capacity (weight).

    ``capacity`` is one number for every site or one per candidate; ``fixed_capacity`` one
    number or one per fixed station (default: ``capacity`` when it is a number). Demand may
    be split between stations; solved with HiGHS (the time limit and gap of ``solver``
    apply; a time-limited answer carries HiGHS's proven bound).
    """
    time_limit = solver.time_limit_s
    n_fixed = problem.fixed.shape[0]
    if fixed_capacity is None:
        if np.ndim(capacity) and n_fixed:
            raise InputError("capacity is given per candidate: give fixed_capacity for the "
                             f"{n_fixed} fixed station(s) too")
        fixed_capacity = capacity if not np.ndim(capacity) else 1.0
    caps = np.concatenate([site_capacities(fixed_capacity, n_fixed, "fixed_capacity"),
                           site_capacities(capacity, problem.n_candidates, "capacity")])
    start = time.perf_counter()
    cover = pattern(sparse.vstack([problem.fixed, problem.cover], format="csr"))
    n_c = cover.shape[0]
    coo = cover.tocoo()
    rows, cols = coo.row, coo.col
    n_e = rows.size
    w = problem.weights
    n_d = problem.n_demand
    # variables: x (n_c), z (n_e): share of demand col served by row
    c = np.concatenate([np.zeros(n_c), -w[cols]])
    demand_once = sparse.csr_matrix((np.ones(n_e), (cols, n_c + np.arange(n_e))),
                                    shape=(n_d, n_c + n_e))
    load = sparse.csr_matrix(
        (np.concatenate([w[cols], -caps]),
         (np.concatenate([rows, np.arange(n_c)]), np.concatenate([n_c + np.arange(n_e),
                                                                   np.arange(n_c)]))),
        shape=(n_c, n_c + n_e))
    open_new = np.zeros(n_c + n_e)
    open_new[n_fixed:n_c] = 1
    lower = np.zeros(n_c + n_e)
    lower[:n_fixed] = 1  # fixed stations stay open
    rows_all = sparse.vstack([demand_once, load, sparse.csr_matrix(open_new[None, :])],
                             format="csr")
    result = solve_milp(
        c, np.concatenate([np.ones(n_c), np.zeros(n_e)]), lower, np.ones(n_c + n_e), rows_all,
        np.concatenate([np.zeros(n_d), np.full(n_c, -np.inf), [0]]),
        np.concatenate([np.ones(n_d), np.zeros(n_c), [p]]), time_limit=time_limit, gap=solver.gap)
    if result.x is None:
        raise SolverError(f"HiGHS found no capacitated MCLP solution in {time_limit:g} s "
                          f"({result.message}); raise the time limit")
    x = result.x[:n_c]
    z = result.x[n_c:]
    chosen = [int(j - n_fixed) for j in np.flatnonzero(x[n_fixed:] > 0.5) + n_fixed]
    served = np.bincount(rows, weights=w[cols] * z, minlength=n_c)
    objective = float(-result.objective)
    order = sorted(chosen, key=lambda j: -served[n_fixed + j])
    bound = -result.dual_bound if math.isfinite(result.dual_bound) else problem.total_weight
    covered_share = objective / problem.total_weight
    return Solution(
        model="mclp-capacitated", method="exact", status=result.status, selected=tuple(order),
        objective=objective, bound=max(bound, objective),
        gap=relative_gap(objective, max(bound, objective)),
        seconds=time.perf_counter() - start, covered_weight=objective,
        covered_share=covered_share, gains=tuple(float(served[n_fixed + j]) for j in order),
        details={"capacity": (float(caps[n_fixed]) if np.ndim(capacity) == 0 and n_c > n_fixed
                              else [round(float(c), 6) for c in caps[n_fixed:]]),
                 "fixed_capacity": [round(float(c), 6) for c in caps[:n_fixed]],
                 "fixed_served": [round(float(s), 6) for s in served[:n_fixed]]},
    )
