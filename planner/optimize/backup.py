"""Maximal backup coverage (Hogan & ReVelle 1986) on sparse matrices: weight covered twice."""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse
from scipy.optimize import LinearConstraint

from planner import _validate
from planner.errors import InfeasibleError, SolverError
from planner.optimize import _cover_milp
from planner.optimize.problem import Problem, Solution

__all__ = ["backup_cover"]


def backup_cover(problem: Problem, p: int, *, min_covered_share: float | None = None,
                 time_limit: float = 60.0) -> Solution:
    """Choose ``p`` new sites (exactly ``p``, or every candidate if fewer) to maximise the
    demand weight reached by two or more stations.

    Single coverage is kept at its optimum (the MCLP value, solved first) or, with
    ``min_covered_share``, at or above that share of all demand weight (BACOP2 of Hogan &
    ReVelle 1986, with the fixed stations counted). Exact with HiGHS; under a time limit the
    answer carries HiGHS's proven bound.

    Returns a :class:`~planner.optimize.problem.Solution` whose ``objective`` is the weight
    covered twice (fixed stations included) and whose ``details`` hold the single-coverage
    target and the shares.
    """
    start = time.perf_counter()
    p = _validate.positive_int(p, name="p")
    a = _cover_milp.pattern(problem.cover)
    w = problem.weights
    total = problem.total_weight
    fixed_n = _cover_milp.counts(_cover_milp.pattern(problem.fixed))
    n_c = a.shape[0]
    if min_covered_share is None:
        _, single_best, _ = _cover_milp.max_cover(a, w, fixed_n > 0, p, time_limit=time_limit)
        target = single_best
    else:
        target = _validate.share(min_covered_share, name="min_covered_share") * total
    n_d = a.shape[1]
    rows = _constraints(a, w, fixed_n, min(p, n_c), target - 1e-6 * max(total, 1.0))
    answer = _cover_milp.solve(np.concatenate([np.zeros(n_c + n_d), -w]),
                               # u binary: a fractional u would count half of a single cover
                               np.concatenate([np.ones(n_c), np.zeros(n_d), np.ones(n_d)]),
                               np.ones(n_c + 2 * n_d), rows, time_limit=time_limit)
    if answer.x is None:
        if answer.status == "infeasible":
            raise InfeasibleError(
                f"no {p} sites reach {target / total:.1%} of the demand weight; lower "
                "min_covered_share or add sites")
        raise SolverError(f"HiGHS found no backup-coverage plan within {time_limit:g} s; "
                          "raise the time limit")
    chosen = np.flatnonzero(answer.x[:n_c] > 0.5)
    reach = fixed_n + _cover_milp.counts(a[chosen]) if chosen.size else fixed_n
    twice = float(w[reach >= 2].sum())
    once = float(w[reach >= 1].sum())
    bound = max(twice, -answer.bound) if np.isfinite(answer.bound) else None
    order, gains = _cover_milp.order_by_gain(a, w, fixed_n > 0, chosen)
    return Solution(
        model="backup", method="exact", status=answer.status,
        selected=tuple(int(c) for c in order), objective=twice, bound=bound,
        gap=None if bound is None else (bound - twice) / max(bound, 1e-12),
        seconds=time.perf_counter() - start, covered_weight=once,
        covered_share=once / total if total else 0.0, gains=gains,
        details={"covered_2plus_weight": round(twice, 6),
                 "covered_2plus_share": round(twice / total, 6) if total else 0.0,
                 "single_target_weight": round(target, 6), "objective_unit": "weight_2plus"},
    )


def _constraints(a: sparse.csr_matrix, w: np.ndarray, fixed_n: np.ndarray, p: int,
                 target: float) -> list[LinearConstraint]:
    """Rows over x (sites), y (covered once), u (covered twice): y + u <= sum_j a_ij x_j + f_i,
    u <= y, sum x = p, w.y >= target."""
    n_c, n_d = a.shape
    at = a.T.tocsr()
    eye = sparse.identity(n_d, format="csr")

    def row(values: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix(values[None, :])

    return [
        LinearConstraint(sparse.hstack([-at, eye, eye], format="csr"), -np.inf,
                         fixed_n.astype(float)),
        LinearConstraint(sparse.hstack([sparse.csr_matrix((n_d, n_c)), -eye, eye],
                                       format="csr"), -np.inf, 0.0),
        LinearConstraint(row(np.concatenate([np.ones(n_c), np.zeros(2 * n_d)])), p, p),
        LinearConstraint(row(np.concatenate([np.zeros(n_c), w, np.zeros(n_d)])), target, np.inf),
    ]
