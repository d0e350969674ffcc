"""Small MILP helpers shared by the backup and p-center models (scipy's HiGHS)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass(frozen=True)
class MilpAnswer:
    """x (None if no feasible point), status, objective and proven dual bound (minimisation)."""

    x: np.ndarray | None
    status: str
    objective: float
    bound: float


def solve(c: np.ndarray, integral: np.ndarray, upper: np.ndarray,
          constraints: list[LinearConstraint], *, time_limit: float) -> MilpAnswer:
    """Minimise ``c @ x`` with 0 <= x <= upper; HiGHS through :func:`scipy.optimize.milp`."""
    result = milp(c, integrality=integral.astype(np.uint8), bounds=Bounds(0.0, upper),
                  constraints=constraints,
                  options={"time_limit": float(time_limit), "mip_rel_gap": 1e-9,
                           "disp": False})
    status = {0: "optimal", 1: "time_limit", 2: "infeasible"}.get(result.status, "error")
    x = None if result.x is None else np.asarray(result.x)
    objective = float(result.fun) if result.fun is not None else np.inf
    bound = getattr(result, "mip_dual_bound", None)
    if bound is None or not np.isfinite(bound):
        bound = objective if status == "optimal" else -np.inf
    return MilpAnswer(x=x, status=status, objective=objective, bound=float(bound))


def pattern(matrix, limit_s: float | None = None) -> sparse.csr_matrix:
    """0/1 CSR of the stored pairs (a stored 0 counts), optionally only those <= limit_s."""
    coo = sparse.coo_matrix(matrix)
    keep = np.ones(coo.data.size, dtype=bool) if limit_s is None else coo.data <= limit_s
    return sparse.csr_matrix((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])),
                             shape=coo.shape)


def counts(matrix: sparse.csr_matrix) -> np.ndarray:
    """How many rows reach each column."""
    return np.asarray(matrix.sum(axis=0)).ravel()


def max_cover(a: sparse.csr_matrix, weight: np.ndarray, fixed_covered: np.ndarray, p: int, *,
              time_limit: float, relax: bool = False) -> tuple[MilpAnswer, float, float]:
    """Maximal covering with ``p`` of the rows of ``a`` beside demand already covered.

    Returns the MILP answer (variables x then y of the open demand), the best covered weight
    found (fixed included) and a proven upper bound on it. ``relax`` solves the LP
    relaxation only: its value is an upper bound (the covered weight returned is then 0).
    """
    fixed_weight = float(weight[fixed_covered].sum())
    open_ = np.flatnonzero(~fixed_covered & (counts(a) > 0))
    n_c, n_g = a.shape[0], open_.size
    if n_g == 0 or n_c == 0:
        return MilpAnswer(np.zeros(n_c), "optimal", 0.0, 0.0), fixed_weight, fixed_weight
    sub = a[:, open_].T.tocsr()  # demand x candidates
    rows = sparse.hstack([-sub, sparse.identity(n_g, format="csr")], format="csr")
    card = sparse.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_g)])[None, :])
    answer = solve(np.concatenate([np.zeros(n_c), -weight[open_]]),
                   np.concatenate([np.zeros(n_c) if relax else np.ones(n_c), np.zeros(n_g)]),
                   np.ones(n_c + n_g),
                   [LinearConstraint(rows, -np.inf, 0.0),
                    LinearConstraint(card, 0.0, float(min(p, n_c)))], time_limit=time_limit)
    if answer.x is None:
        return answer, fixed_weight, fixed_weight + float(weight[open_].sum())
    if relax:
        return answer, 0.0, fixed_weight - answer.objective + 1e-9 * max(1.0, weight.sum())
    chosen = answer.x[:n_c] > 0.5
    got = fixed_weight + float(weight[open_][np.asarray(sub[:, chosen].sum(axis=1)).ravel() > 0]
                               .sum())
    return answer, got, max(got, fixed_weight - answer.bound)


def greedy_cover(a: sparse.csr_matrix, weight: np.ndarray, fixed_covered: np.ndarray, p: int
                 ) -> tuple[np.ndarray, float]:
    """Greedy maximal covering: add the row with the largest uncovered weight, ``p`` times.

    Returns the chosen rows and the covered weight (fixed included): a feasible answer.
    """
    covered = fixed_covered.copy()
    chosen: list[int] = []
    a = sparse.csr_matrix(a)
    for _ in range(min(p, a.shape[0])):
        gains = a @ np.where(covered, 0.0, weight)
        gains[chosen] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        covered[a.indices[a.indptr[best]:a.indptr[best + 1]]] = True
    return np.asarray(chosen, dtype=np.int64), float(weight[covered].sum())


def order_by_gain(a: sparse.csr_matrix, weight: np.ndarray, covered: np.ndarray,
                  chosen: np.ndarray) -> tuple[np.ndarray, tuple[float, ...]]:
    """Chosen rows ordered greedily by the weight each newly covers, and those gains."""
    covered = covered.copy()
    left = [int(c) for c in chosen]
    order, gains = [], []
    a = sparse.csr_matrix(a)
    while left:
        values = [float(weight[a.indices[a.indptr[c]:a.indptr[c + 1]]][
            ~covered[a.indices[a.indptr[c]:a.indptr[c + 1]]]].sum()) for c in left]
        best = left.pop(int(np.argmax(values)))
        order.append(best)
        gains.append(max(values))
        covered[a.indices[a.indptr[best]:a.indptr[best + 1]]] = True
    return np.asarray(order, dtype=np.int64), tuple(gains)
