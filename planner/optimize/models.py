"""Location models on matrices only: MCLP, LSCP and p-median with HiGHS, and greedy heuristics.

Nothing here touches a street graph: other tools can call it with their own matrices.

A *coverage matrix* is a scipy sparse (candidates x demand) matrix whose sparsity pattern says
which candidate reaches which demand point within the threshold (stored values, travel
seconds, are used by the p-median only; a stored 0 counts as covered).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from planner import _validate
from planner.errors import InfeasibleError, InputError, SolverError

__all__ = [
    "Problem",
    "Solution",
    "mclp",
    "lscp",
    "pmedian",
    "greedy_mclp",
    "coverage_curve",
]

#: Instances whose reduced model has more nonzeros than this are solved greedily by "auto".
AUTO_EXACT_NNZ = 3_000_000


@dataclass(frozen=True, eq=False)
class Problem:
    """Candidates, demand and who reaches whom.

    Parameters
    ----------
    cover
        Sparse (n_candidates x n_demand) matrix; its pattern is "reaches within the threshold".
    weights
        Demand weights (n_demand), all > 0.
    fixed
        Sparse (n_fixed x n_demand) matrix of the stations that stay open (may have 0 rows).
    """

    cover: sparse.csr_matrix
    weights: np.ndarray
    fixed: sparse.csr_matrix

    @classmethod
    def from_matrix(
        cls, cover, weights=None, *, fixed=None
    ) -> "Problem":
        """Validate and normalise the inputs (any scipy sparse format or a dense array)."""
        cover = _as_csr(cover, "cover")
        n_demand = cover.shape[1]
        weights = np.ones(n_demand) if weights is None else np.asarray(weights, dtype=float)
        if weights.shape != (n_demand,):
            raise InputError(f"weights has shape {weights.shape}; expected ({n_demand},), one "
                             "per demand column of the coverage matrix")
        if not np.isfinite(weights).all() or (weights <= 0).any():
            raise InputError("weights must be finite and > 0")
        fixed = (sparse.csr_matrix((0, n_demand)) if fixed is None else _as_csr(fixed, "fixed"))
        if fixed.shape[1] != n_demand:
            raise InputError(f"fixed has {fixed.shape[1]} demand columns; cover has {n_demand}")
        return cls(cover=cover, weights=weights, fixed=fixed)

    @property
    def n_candidates(self) -> int:
        return int(self.cover.shape[0])

    @property
    def n_demand(self) -> int:
        return int(self.cover.shape[1])

    @property
    def total_weight(self) -> float:
        return float(self.weights.sum())

    def fixed_mask(self) -> np.ndarray:
        """Demand already covered by the fixed stations."""
        return np.diff(self.fixed.tocsc().indptr) > 0

    def coverable_mask(self) -> np.ndarray:
        """Demand some candidate or fixed station reaches."""
        return (np.diff(self.cover.tocsc().indptr) > 0) | self.fixed_mask()

    def covered_mask(self, selected: Sequence[int]) -> np.ndarray:
        mask = self.fixed_mask()
        if len(selected):
            rows = self.cover[np.asarray(selected, dtype=np.int64)]
            mask = mask | (np.diff(rows.tocsc().indptr) > 0)
        return mask

    def covered_weight(self, selected: Sequence[int]) -> float:
        return float(self.weights[self.covered_mask(selected)].sum())


@dataclass(frozen=True)
class Solution:
    """The answer of one location model.

    ``selected`` are candidate indices in the order they were chosen (greedy) or by the
    size of their gain (exact); ``gains`` the weight each newly covers in that order;
    ``bound`` a proven bound on the optimum (upper for maximisation, lower for
    minimisation) and ``gap`` the relative distance of ``objective`` to it.
    """

    model: str
    method: str
    status: str
    selected: tuple[int, ...]
    objective: float
    bound: float | None
    gap: float | None
    seconds: float
    covered_weight: float
    covered_share: float
    gains: tuple[float, ...] = ()
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "model": self.model, "method": self.method, "status": self.status,
            "selected": list(self.selected), "objective": _clean(self.objective),
            "bound": _clean(self.bound), "gap": _clean(self.gap),
            "seconds": round(self.seconds, 4), "covered_weight": _clean(self.covered_weight),
            "covered_share": _clean(self.covered_share), "gains": [_clean(g) for g in self.gains],
            **self.details,
        }


def _clean(value):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), 6)


def _as_csr(matrix, name: str) -> sparse.csr_matrix:
    if sparse.issparse(matrix):
        out = sparse.csr_matrix(matrix)
    else:
        array = np.asarray(matrix)
        if array.ndim != 2:
            raise InputError(f"{name} must be a 2-D matrix (candidates x demand)")
        out = sparse.csr_matrix(array)
    out.sort_indices()
    return out


def _pattern(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Boolean 0/1 matrix with the same pattern (stored zeros count as covered)."""
    return sparse.csr_matrix(
        (np.ones(matrix.indices.size, dtype=np.float64), matrix.indices, matrix.indptr),
        shape=matrix.shape)


# --------------------------------------------------------------------------- HiGHS


@dataclass(frozen=True)
class _MilpResult:
    x: np.ndarray | None
    status: str  # optimal | time_limit | infeasible | error
    objective: float
    dual_bound: float
    message: str


@contextlib.contextmanager
def _quiet_stdout():
    """Silence the C library's stdout (not Python's) for the duration of the block."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, AttributeError, ValueError):  # no fd 1 (embedded) or no libc
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            try:
                yield
            finally:
                libc.fflush(None)
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def _solve_milp(c, integral, lower, upper, rows: sparse.csr_matrix, row_lower, row_upper, *,
                time_limit: float, warm: np.ndarray | None = None,
                interior_point: bool = True) -> _MilpResult:
    """Minimise c.x with HiGHS (highspy) and return x, status and the proven bound.

    Uses the interior-point solver for the LP relaxations of large covering models (2-3x
    faster than simplex measured here; slower on the p-median, which keeps simplex) and takes a warm start (e.g. the
    greedy answer) so a good solution exists even if the time limit stops the search.
    """
    import highspy

    rows = sparse.csr_matrix(rows)
    with _quiet_stdout():  # HiGHS prints a licence banner when created
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-9)
    if interior_point and rows.nnz > 20_000:
        h.setOptionValue("mip_lp_solver", "ipm")
    lp = highspy.HighsLp()
    lp.num_col_ = int(c.size)
    lp.num_row_ = int(rows.shape[0])
    lp.col_cost_ = np.asarray(c, dtype=np.float64)
    lp.col_lower_ = np.broadcast_to(np.asarray(lower, dtype=np.float64), c.shape).copy()
    lp.col_upper_ = np.broadcast_to(np.asarray(upper, dtype=np.float64), c.shape).copy()
    inf = highspy.kHighsInf
    lp.row_lower_ = np.nan_to_num(np.asarray(row_lower, dtype=np.float64), neginf=-inf)
    lp.row_upper_ = np.nan_to_num(np.asarray(row_upper, dtype=np.float64), posinf=inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
    lp.a_matrix_.index_ = rows.indices.astype(np.int32)
    lp.a_matrix_.value_ = rows.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                       for i in np.asarray(integral, dtype=bool)]
    h.passModel(lp)
    if warm is not None:
        start = highspy.HighsSolution()
        start.col_value = list(np.asarray(warm, dtype=np.float64))
        start.value_valid = True
        h.setSolution(start)
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    status = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
    }.get(model_status, "error")
    x = None
    if info.primal_solution_status >= 2:  # feasible
        x = np.asarray(h.getSolution().col_value)
    return _MilpResult(x=x, status=status, objective=float(info.objective_function_value),
                       dual_bound=float(info.mip_dual_bound),
                       message=h.modelStatusToString(model_status))


# --------------------------------------------------------------------------- reduction


@dataclass(frozen=True)
class _Reduced:
    """A smaller equivalent coverage model: merged demand groups, useful candidates only."""

    matrix: sparse.csr_matrix  # (kept candidates x groups) 0/1
    group_weight: np.ndarray
    candidates: np.ndarray  # original indices of the kept candidates
    stats: dict


def _reduce(problem: Problem, need: np.ndarray, *, dominance: bool = True) -> _Reduced:
    """Drop demand not needed, merge demand with identical candidate sets, drop useless and
    dominated candidates (a candidate whose demand is a subset of another's)."""
    cover = _pattern(problem.cover)
    reachable = need & (np.diff(cover.tocsc().indptr) > 0)
    columns = np.flatnonzero(reachable)
    sub = cover[:, columns].tocsc()
    sub.sort_indices()
    keys: dict[bytes, int] = {}
    group_of = np.empty(columns.size, dtype=np.int64)
    indptr, indices = sub.indptr, sub.indices
    for col in range(columns.size):
        key = indices[indptr[col]:indptr[col + 1]].tobytes()
        group_of[col] = keys.setdefault(key, len(keys))
    n_groups = len(keys)
    group_weight = np.bincount(group_of, weights=problem.weights[columns], minlength=n_groups)
    # candidates x groups: a candidate covers a group if it covers any (= every) member
    first = np.unique(group_of, return_index=True)[1]  # one member column per group
    grouped = sub[:, first].tocsr()
    useful = np.flatnonzero(np.diff(grouped.indptr) > 0)
    grouped = grouped[useful]
    # identical candidates: keep the first
    rows_keys: dict[bytes, int] = {}
    keep = []
    for r in range(grouped.shape[0]):
        key = grouped.indices[grouped.indptr[r]:grouped.indptr[r + 1]].tobytes()
        if key not in rows_keys:
            rows_keys[key] = r
            keep.append(r)
    keep = np.asarray(keep, dtype=np.int64)
    grouped = grouped[keep]
    candidates = useful[keep]
    dominated = 0
    if dominance and grouped.shape[0] > 1:
        col_counts = np.diff(grouped.tocsc().indptr)
        if float((col_counts.astype(np.float64) ** 2).sum()) <= 5e7:
            overlap = (grouped @ grouped.T).tocoo()
            size = np.diff(grouped.indptr)
            r, c, v = overlap.row, overlap.col, overlap.data
            # r is inside c: the overlap is all of r and c is strictly larger (rows unique)
            inside = (r != c) & (v == size[r]) & (size[c] > size[r])
            drop = np.zeros(grouped.shape[0], dtype=bool)
            drop[r[inside]] = True
            dominated = int(drop.sum())
            grouped = grouped[~drop]
            candidates = candidates[~drop]
    stats = {
        "demand_in": int(problem.n_demand),
        "demand_needed": int(need.sum()),
        "demand_unreachable": int((need & ~reachable).sum()),
        "demand_groups": int(n_groups),
        "candidates_in": int(problem.n_candidates),
        "candidates_kept": int(candidates.size),
        "candidates_dominated": dominated,
    }
    return _Reduced(grouped.tocsr(), group_weight, candidates, stats)


# --------------------------------------------------------------------------- greedy


def _greedy_cover(matrix: sparse.csr_matrix, weight: np.ndarray, steps: int,
                  stop_weight: float | None = None) -> tuple[list[int], list[float], np.ndarray]:
    """Greedy maximum coverage on a 0/1 (rows x groups) matrix; returns rows, gains, left."""
    remaining = weight.astype(np.float64).copy()
    chosen: list[int] = []
    gains: list[float] = []
    covered = 0.0
    for _ in range(steps):
        gain = matrix @ remaining
        if chosen:
            gain[chosen] = -1.0
        best = int(np.argmax(gain)) if gain.size else -1
        if best < 0 or gain[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(gain[best]))
        covered += gain[best]
        groups = matrix.indices[matrix.indptr[best]:matrix.indptr[best + 1]]
        remaining[groups] = 0.0
        if stop_weight is not None and covered >= stop_weight - 1e-9:
            break
    return chosen, gains, remaining


def greedy_mclp(problem: Problem, p: int) -> Solution:
    """Greedy maximal covering: at least (1 - 1/e) of the optimum, with a proven bound.

    The bound is f(S) + the sum of the p largest gains still available after S (valid for
    any monotone submodular objective such as coverage).
    """
    start = time.perf_counter()
    p = _validate.positive_int(p, name="p")
    reduced = _reduce(problem, ~problem.fixed_mask())
    chosen, gains, remaining = _greedy_cover(reduced.matrix, reduced.group_weight, p)
    left = np.sort(reduced.matrix @ remaining)[::-1][:p]
    fixed_weight = float(problem.weights[problem.fixed_mask()].sum())
    objective = fixed_weight + float(sum(gains))
    bound = objective + float(left[left > 0].sum())
    selected = tuple(int(reduced.candidates[c]) for c in chosen)
    return _coverage_solution(problem, "mclp", "greedy", "heuristic", selected, objective, bound,
                              start, tuple(gains), reduced.stats)


def _coverage_solution(problem, model, method, status, selected, objective, bound, start, gains,
                       stats, **details) -> Solution:
    covered = problem.covered_weight(selected)
    gap = None
    if bound is not None:
        gap = 0.0 if abs(bound) < 1e-12 else abs(bound - objective) / max(abs(bound), 1e-12)
    return Solution(
        model=model, method=method, status=status, selected=tuple(selected),
        objective=float(objective), bound=None if bound is None else float(bound), gap=gap,
        seconds=time.perf_counter() - start, covered_weight=covered,
        covered_share=covered / problem.total_weight, gains=tuple(gains),
        details={"reduction": stats, **details},
    )


# --------------------------------------------------------------------------- MCLP


def mclp(
    problem: Problem,
    p: int,
    *,
    method: str = "auto",
    time_limit: float = 60.0,
    capacity: float | None = None,
) -> Solution:
    """Maximal covering: choose ``p`` new sites to cover the most demand weight.

    Parameters
    ----------
    method
        ``exact`` (HiGHS MILP on the reduced model), ``greedy``, or ``auto`` (exact unless the
        reduced model is very large; greedy if HiGHS finds no solution in the time limit).
    capacity
        If given, each station (fixed ones included) serves at most this much demand weight;
        demand may be split between stations. Solved exactly.
    """
    method = _method(method)
    p = _validate.positive_int(p, name="p")
    if capacity is not None:
        return _capacitated_mclp(problem, p, float(capacity), time_limit)
    if method == "greedy":
        return greedy_mclp(problem, p)
    start = time.perf_counter()
    reduced = _reduce(problem, ~problem.fixed_mask())
    if method == "auto" and reduced.matrix.nnz > AUTO_EXACT_NNZ:
        return greedy_mclp(problem, p)
    fixed_weight = float(problem.weights[problem.fixed_mask()].sum())
    n_c, n_g = reduced.matrix.shape
    if n_c == 0:
        return _coverage_solution(problem, "mclp", "exact", "optimal", (), fixed_weight,
                                  fixed_weight, start, (), reduced.stats)
    if n_c <= p:
        chosen = list(range(n_c))
        status, bound_add = "optimal", float(reduced.group_weight.sum())
        objective_add = bound_add
    else:
        a = reduced.matrix.T.tocsr()  # groups x candidates
        rows = sparse.vstack([
            sparse.hstack([-a, sparse.identity(n_g, format="csr")], format="csr"),
            sparse.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_g)])[None, :]),
        ], format="csr")
        greedy, _, _ = _greedy_cover(reduced.matrix, reduced.group_weight, p)
        warm = np.zeros(n_c + n_g)
        warm[greedy] = 1
        warm[n_c:] = np.minimum(1.0, a @ warm[:n_c])
        result = _solve_milp(
            np.concatenate([np.zeros(n_c), -reduced.group_weight]),
            np.concatenate([np.ones(n_c), np.zeros(n_g)]), 0.0, 1.0, rows,
            np.full(n_g + 1, -np.inf), np.concatenate([np.zeros(n_g), [p]]),
            time_limit=time_limit, warm=warm)
        if result.x is None:
            if method == "auto":
                return greedy_mclp(problem, p)
            raise SolverError(f"HiGHS found no MCLP solution within {time_limit:g} s "
                              f"({result.message}); raise the time limit or use greedy")
        chosen = list(np.flatnonzero(result.x[:n_c] > 0.5))
        objective_add = float(reduced.group_weight[
            np.diff(reduced.matrix[chosen].tocsc().indptr) > 0].sum()) if chosen else 0.0
        bound_add = -result.dual_bound
        if not math.isfinite(bound_add):
            bound_add = float(reduced.group_weight.sum())
        status = result.status
    order, gains = _order_by_gain(reduced.matrix, reduced.group_weight, chosen)
    selected = tuple(int(reduced.candidates[c]) for c in order)
    return _coverage_solution(problem, "mclp", "exact", status, selected,
                              fixed_weight + objective_add,
                              fixed_weight + max(bound_add, objective_add), start, gains,
                              reduced.stats)


def _order_by_gain(matrix, weight, chosen):
    """Order chosen rows greedily by marginal gain (for reporting what each adds)."""
    if not chosen:
        return [], ()
    sub = matrix[chosen]
    local, gains, _ = _greedy_cover(sub, weight, len(chosen))
    rest = [i for i in range(len(chosen)) if i not in local]
    order = [chosen[i] for i in local + rest]
    return order, tuple(gains) + (0.0,) * len(rest)


def _capacitated_mclp(problem: Problem, p: int, capacity: float, time_limit: float) -> Solution:
    if not capacity > 0 or not math.isfinite(capacity):
        raise InputError(f"capacity={capacity} must be a positive number of demand weight")
    start = time.perf_counter()
    cover = _pattern(sparse.vstack([problem.fixed, problem.cover], format="csr"))
    n_fixed = problem.fixed.shape[0]
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
        (np.concatenate([w[cols], -np.full(n_c, capacity)]),
         (np.concatenate([rows, np.arange(n_c)]), np.concatenate([n_c + np.arange(n_e),
                                                                   np.arange(n_c)]))),
        shape=(n_c, n_c + n_e))
    open_new = np.zeros(n_c + n_e)
    open_new[n_fixed:n_c] = 1
    lower = np.zeros(n_c + n_e)
    lower[:n_fixed] = 1  # fixed stations stay open
    rows_all = sparse.vstack([demand_once, load, sparse.csr_matrix(open_new[None, :])],
                             format="csr")
    result = _solve_milp(
        c, np.concatenate([np.ones(n_c), np.zeros(n_e)]), lower, np.ones(n_c + n_e), rows_all,
        np.concatenate([np.zeros(n_d), np.full(n_c, -np.inf), [0]]),
        np.concatenate([np.ones(n_d), np.zeros(n_c), [p]]), time_limit=time_limit)
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
        gap=abs(max(bound, objective) - objective) / max(abs(bound), 1e-12),
        seconds=time.perf_counter() - start, covered_weight=objective,
        covered_share=covered_share, gains=tuple(float(served[n_fixed + j]) for j in order),
        details={"capacity": capacity,
                 "fixed_served": [round(float(s), 6) for s in served[:n_fixed]]},
    )


# --------------------------------------------------------------------------- LSCP


def lscp(
    problem: Problem,
    *,
    target_share: float = 1.0,
    unreachable: str = "exclude",
    method: str = "auto",
    time_limit: float = 60.0,
) -> Solution:
    """Set covering: the fewest new sites so that ``target_share`` of demand is covered.

    ``target_share`` is of all demand weight with ``unreachable="error"`` (then demand no
    site reaches makes the model infeasible, with a clear error), or of the demand some
    site can reach with ``unreachable="exclude"`` (the default; what is left out is reported).
    """
    method = _method(method)
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
    reduced = _reduce(problem, ~problem.fixed_mask())
    details = {"target_share": share, "unreachable_weight": unreachable_weight,
               "unreachable_places": int((~coverable).sum()), "goal_weight": goal}
    if still <= 1e-9:
        return _coverage_solution(problem, "lscp", "exact", "optimal", (), 0.0, 0.0, start, (),
                                  reduced.stats, **details)
    n_c, n_g = reduced.matrix.shape
    use_exact = method == "exact" or (method == "auto" and reduced.matrix.nnz <= AUTO_EXACT_NNZ)
    if not use_exact:
        greedy_rows, greedy_gains, _ = _greedy_cover(reduced.matrix, reduced.group_weight, n_c,
                                                     stop_weight=still)
        max_set = int(np.diff(reduced.matrix.indptr).max())
        harmonic = float(np.sum(1.0 / np.arange(1, max_set + 1)))
        selected = tuple(int(reduced.candidates[c]) for c in greedy_rows)
        return _coverage_solution(problem, "lscp", "greedy", "heuristic", selected,
                                  float(len(selected)), math.ceil(len(selected) / harmonic),
                                  start, tuple(greedy_gains), reduced.stats, **details)
    a = reduced.matrix.T.tocsr()
    greedy_rows, _, _ = _greedy_cover(reduced.matrix, reduced.group_weight, n_c,
                                      stop_weight=still)
    if share >= 1.0 - 1e-12 and abs(still - reduced.group_weight.sum()) < 1e-9:
        warm = np.zeros(n_c)
        warm[greedy_rows] = 1
        result = _solve_milp(np.ones(n_c), np.ones(n_c), 0.0, 1.0, a, np.ones(n_g),
                             np.full(n_g, np.inf), time_limit=time_limit, warm=warm)
    else:
        rows = sparse.vstack([
            sparse.hstack([-a, sparse.identity(n_g, format="csr")], format="csr"),
            sparse.csr_matrix(np.concatenate([np.zeros(n_c), reduced.group_weight])[None, :]),
        ], format="csr")
        warm = np.zeros(n_c + n_g)
        warm[greedy_rows] = 1
        warm[n_c:] = np.minimum(1.0, a @ warm[:n_c])
        result = _solve_milp(np.concatenate([np.ones(n_c), np.zeros(n_g)]),
                             np.concatenate([np.ones(n_c), np.zeros(n_g)]), 0.0, 1.0, rows,
                             np.concatenate([np.full(n_g, -np.inf), [still - 1e-7]]),
                             np.concatenate([np.zeros(n_g), [np.inf]]),
                             time_limit=time_limit, warm=warm)
    x = None if result.x is None else result.x[:n_c]
    if x is None:
        if method == "auto":
            return lscp(problem, target_share=target_share, unreachable=unreachable,
                        method="greedy")
        raise SolverError(f"HiGHS found no LSCP solution in {time_limit:g} s "
                          f"({result.message}); raise the time limit or use greedy")
    chosen = list(np.flatnonzero(x > 0.5))
    order, gains = _order_by_gain(reduced.matrix, reduced.group_weight, chosen)
    selected = tuple(int(reduced.candidates[c]) for c in order)
    bound = result.dual_bound if math.isfinite(result.dual_bound) else 0.0
    return _coverage_solution(problem, "lscp", "exact", result.status, selected,
                              float(len(selected)), math.ceil(bound - 1e-6), start, gains,
                              reduced.stats, **details)


# --------------------------------------------------------------------------- p-median


def pmedian(
    problem: Problem,
    p: int,
    *,
    penalty_s: float,
    method: str = "auto",
    time_limit: float = 60.0,
) -> Solution:
    """p-median: choose ``p`` new sites minimising the weighted mean travel time.

    Times come from the stored values of ``problem.cover`` and ``problem.fixed`` (seconds);
    a demand point with no open site within the matrices' reach counts ``penalty_s`` (for
    example the matrix's time limit), so the model stays sparse.
    """
    method = _method(method)
    p = _validate.positive_int(p, name="p")
    if not penalty_s > 0:
        raise InputError("penalty_s must be a positive number of seconds")
    start = time.perf_counter()
    w = problem.weights
    fixed_best = _best_times(problem.fixed, problem.n_demand, penalty_s)
    cover = problem.cover.tocsr()
    n_c = cover.shape[0]
    p = min(p, n_c)
    size = cover.nnz
    use_exact = method == "exact" or (method == "auto" and size <= AUTO_EXACT_NNZ // 10)
    chosen_greedy = _greedy_pmedian(cover, w, fixed_best, p)
    if not use_exact:
        objective = _pmedian_cost(cover, w, fixed_best, chosen_greedy)
        return _pmedian_solution(problem, "greedy", "heuristic", chosen_greedy, objective, None,
                                 start, penalty_s, fixed_best, cover)
    coo = cover.tocoo()
    better = coo.data < fixed_best[coo.col]  # only assignments that beat the fixed stations
    rows, cols, times = coo.row[better], coo.col[better], coo.data[better]
    n_e = rows.size
    n_d = problem.n_demand
    # variables: x (n_c), z (n_e) assignment to a new site, f (n_d) stay with fixed/penalty
    c = np.concatenate([np.zeros(n_c), w[cols] * times, w * fixed_best])
    assign = sparse.csr_matrix(
        (np.ones(n_e + n_d), (np.concatenate([cols, np.arange(n_d)]),
                              np.concatenate([n_c + np.arange(n_e), n_c + n_e + np.arange(n_d)]))),
        shape=(n_d, n_c + n_e + n_d))
    link = sparse.csr_matrix(
        (np.concatenate([np.ones(n_e), -np.ones(n_e)]),
         (np.concatenate([np.arange(n_e)] * 2), np.concatenate([n_c + np.arange(n_e), rows]))),
        shape=(n_e, n_c + n_e + n_d))
    count = np.zeros(n_c + n_e + n_d)
    count[:n_c] = 1
    rows_all = sparse.vstack([assign, link, sparse.csr_matrix(count[None, :])], format="csr")
    warm = np.zeros(n_c + n_e + n_d)
    warm[chosen_greedy] = 1
    open_ = np.zeros(n_c, dtype=bool)
    open_[chosen_greedy] = True
    best_new = np.full(n_d, np.inf)
    arg_new = np.full(n_d, -1)
    for e in np.flatnonzero(open_[rows]):
        if times[e] < best_new[cols[e]]:
            best_new[cols[e]], arg_new[cols[e]] = times[e], e
    served_new = arg_new >= 0
    warm[n_c + arg_new[served_new]] = 1
    warm[n_c + n_e + np.flatnonzero(~served_new)] = 1
    result = _solve_milp(
        c, np.concatenate([np.ones(n_c), np.zeros(n_e + n_d)]), 0.0, 1.0, rows_all,
        np.concatenate([np.ones(n_d), np.full(n_e, -np.inf), [p]]),
        np.concatenate([np.ones(n_d), np.zeros(n_e), [p]]), time_limit=time_limit,
        warm=warm if len(chosen_greedy) == p else None,
        interior_point=False)  # simplex is faster on the p-median's many z <= x rows
    if result.x is None:
        if method == "auto":
            objective = _pmedian_cost(cover, w, fixed_best, chosen_greedy)
            return _pmedian_solution(problem, "greedy", "heuristic", chosen_greedy, objective,
                                     None, start, penalty_s, fixed_best, cover)
        raise SolverError(f"HiGHS found no p-median solution in {time_limit:g} s "
                          f"({result.message}); raise the time limit or use greedy")
    chosen = [int(j) for j in np.flatnonzero(result.x[:n_c] > 0.5)]
    objective = _pmedian_cost(cover, w, fixed_best, chosen)
    bound = result.dual_bound if math.isfinite(result.dual_bound) else 0.0
    return _pmedian_solution(problem, "exact", result.status, chosen, objective,
                             min(bound, objective), start, penalty_s, fixed_best, cover)


def _best_times(matrix: sparse.csr_matrix, n: int, penalty: float) -> np.ndarray:
    best = np.full(n, float(penalty))
    coo = matrix.tocoo()
    np.minimum.at(best, coo.col, coo.data)
    return best


def _pmedian_cost(cover, w, fixed_best, chosen) -> float:
    best = fixed_best.copy()
    if len(chosen):
        coo = cover[np.asarray(chosen, dtype=np.int64)].tocoo()
        np.minimum.at(best, coo.col, coo.data)
    return float((w * best).sum())


def _greedy_pmedian(cover, w, fixed_best, p) -> list[int]:
    best = fixed_best.copy()
    chosen: list[int] = []
    rows = np.repeat(np.arange(cover.shape[0]), np.diff(cover.indptr))
    for _ in range(p):
        saving = np.bincount(rows, weights=w[cover.indices] * np.maximum(
            0.0, best[cover.indices] - cover.data), minlength=cover.shape[0])
        if chosen:
            saving[chosen] = -1.0
        j = int(np.argmax(saving))
        if saving[j] < 0:
            break
        chosen.append(j)
        seg = slice(cover.indptr[j], cover.indptr[j + 1])
        np.minimum.at(best, cover.indices[seg], cover.data[seg])
    return chosen


def _pmedian_solution(problem, method, status, chosen, objective, bound, start, penalty_s,
                      fixed_best, cover) -> Solution:
    # order by saving, for reporting
    order, gains, best = [], [], fixed_best.copy()
    left = list(chosen)
    while left:
        savings = []
        for j in left:
            seg = slice(cover.indptr[j], cover.indptr[j + 1])
            cols = cover.indices[seg]
            savings.append(float((problem.weights[cols] * np.maximum(
                0.0, best[cols] - cover.data[seg])).sum()))
        k = int(np.argmax(savings))
        j = left.pop(k)
        order.append(j)
        gains.append(savings[k])
        seg = slice(cover.indptr[j], cover.indptr[j + 1])
        np.minimum.at(best, cover.indices[seg], cover.data[seg])
    w = problem.weights
    gap = None if bound is None else (objective - bound) / max(objective, 1e-12)
    reached = best < penalty_s
    return Solution(
        model="pmedian", method=method, status=status, selected=tuple(order),
        objective=objective, bound=bound, gap=gap, seconds=time.perf_counter() - start,
        covered_weight=float(w[reached].sum()), covered_share=float(w[reached].sum() / w.sum()),
        gains=tuple(gains),
        details={"mean_seconds": objective / float(w.sum()), "penalty_s": penalty_s,
                 "mean_seconds_before": float((w * fixed_best).sum() / w.sum())},
    )


# --------------------------------------------------------------------------- curve


def coverage_curve(problem: Problem, k_max: int, *, method: str = "greedy",
                   time_limit: float = 30.0) -> list[dict]:
    """Covered share as stations are added one by one (k = 0..k_max).

    ``greedy`` (default) adds the best next site each time (one pass); ``exact`` solves the
    MCLP for every k (each point is optimal, so the sites may change between k).
    """
    k_max = _validate.positive_int(k_max, name="k_max", maximum=10_000)
    total = problem.total_weight
    start_weight = float(problem.weights[problem.fixed_mask()].sum())
    points = [{"k": 0, "covered_weight": start_weight, "covered_share": start_weight / total}]
    if method == "exact":
        for k in range(1, k_max + 1):
            solution = mclp(problem, k, method="exact", time_limit=time_limit)
            points.append({"k": k, "covered_weight": solution.objective,
                           "covered_share": solution.objective / total,
                           "status": solution.status})
        return points
    solution = greedy_mclp(problem, k_max)
    running = start_weight
    for k, gain in enumerate(solution.gains, start=1):
        running += gain
        points.append({"k": k, "covered_weight": running, "covered_share": running / total,
                       "site": solution.selected[k - 1]})
    return points


def _method(method: str) -> str:
    if method not in ("exact", "greedy", "auto"):
        raise InputError(f"method={method!r}: use exact, greedy or auto")
    return method
