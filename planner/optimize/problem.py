"""The input of every location model (:class:`Problem`), its answer (:class:`Solution`) and the
reduction that shrinks a coverage model before it is solved.

A *coverage matrix* is a scipy sparse (candidates x demand) matrix whose sparsity pattern says
which candidate reaches which demand point within the threshold (stored values, travel
seconds, are used by the p-median only; a stored 0 counts as covered).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from planner.errors import InputError

#: Instances whose reduced model has more nonzeros than this are solved heuristically by "auto".
AUTO_EXACT_NNZ = 3_000_000
#: Relative gap below which an answer is reported as proven optimal (solver tolerance).
OPT_TOL = 1e-7


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
        cover = as_csr(cover, "cover")
        n_demand = cover.shape[1]
        weights = np.ones(n_demand) if weights is None else np.asarray(weights, dtype=float)
        if weights.shape != (n_demand,):
            raise InputError(f"weights has shape {weights.shape}; expected ({n_demand},), one "
                             "per demand column of the coverage matrix")
        if not np.isfinite(weights).all() or (weights <= 0).any():
            raise InputError("weights must be finite and > 0")
        fixed = (sparse.csr_matrix((0, n_demand)) if fixed is None else as_csr(fixed, "fixed"))
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

    ``selected`` are candidate indices in the order of what each adds; ``gains`` what each
    adds in that order, in ``gain_unit`` (``weight`` newly covered for the coverage models,
    ``weight_min`` = demand weight x minutes saved for the p-median); ``bound`` a proven
    bound on the optimum (upper for maximisation, lower for minimisation) and ``gap`` the
    relative distance of ``objective`` to it. ``covered_weight``/``covered_share`` are the
    demand covered within the threshold (coverage models only; None for the p-median).
    """

    model: str
    method: str
    status: str
    selected: tuple[int, ...]
    objective: float
    bound: float | None
    gap: float | None
    seconds: float
    covered_weight: float | None
    covered_share: float | None
    gains: tuple[float, ...] = ()
    details: dict = field(default_factory=dict)
    gain_unit: str = "weight"

    @property
    def proven_optimal(self) -> bool:
        return self.gap is not None and self.gap <= OPT_TOL

    def headline(self) -> str:
        """One line: ``p-median: 1,789, optimal`` or ``..., within 0.30 % of the bound``."""
        label = {"pmedian": "p-median", "mclp": "MCLP", "lscp": "LSCP",
                 "mclp-capacitated": "capacitated MCLP", "backup": "maximal backup coverage",
                 "pcenter": "p-center"}.get(self.model, self.model)
        value = f"{self.objective:,.0f}" if abs(self.objective) >= 100 else f"{self.objective:,.4g}"
        if self.proven_optimal:
            state = "optimal"
        elif self.gap is None:
            state = "no bound"
        else:
            state = f"within {self.gap * 100:.2f} % of the bound {self.bound:,.6g}"
        unit = {"weight_s": " weight x s", "s": " s worst time",
                "weight_2plus": " weight covered twice"}.get(
            self.details.get("objective_unit", ""), "")
        return f"{label}: {value}{unit}, {state} ({self.method}, {self.seconds:.2f} s)"

    def to_dict(self) -> dict:
        return {
            "model": self.model, "method": self.method, "status": self.status,
            "selected": list(self.selected), "objective": _clean(self.objective),
            "bound": _clean(self.bound), "gap": _clean(self.gap),
            "proven_optimal": self.proven_optimal, "headline": self.headline(),
            "seconds": round(self.seconds, 4), "covered_weight": _clean(self.covered_weight),
            "covered_share": _clean(self.covered_share),
            f"gains_{self.gain_unit}": [_clean(g) for g in self.gains],
            **self.details,
        }


def relative_gap(objective: float, bound: float | None) -> float | None:
    """|bound - objective| / max(|bound|, |objective|); 0 when both are 0."""
    if bound is None or not math.isfinite(bound):
        return None
    scale = max(abs(bound), abs(objective))
    return 0.0 if scale < 1e-12 else abs(bound - objective) / scale


def check_method(method: str) -> str:
    if method == "heuristic":
        return "greedy"
    if method not in ("exact", "greedy", "auto"):
        raise InputError(f"method={method!r}: use exact, greedy or auto")
    return method


def _clean(value):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), 6)


def as_csr(matrix, name: str) -> sparse.csr_matrix:
    if sparse.issparse(matrix):
        out = sparse.csr_matrix(matrix)
    else:
        array = np.asarray(matrix)
        if array.ndim != 2:
            raise InputError(f"{name} must be a 2-D matrix (candidates x demand)")
        out = sparse.csr_matrix(array)
    out.sort_indices()
    return out


def pattern(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Boolean 0/1 matrix with the same pattern (stored zeros count as covered)."""
    return sparse.csr_matrix(
        (np.ones(matrix.indices.size, dtype=np.float64), matrix.indices, matrix.indptr),
        shape=matrix.shape)


@dataclass(frozen=True)
class Reduced:
    """A smaller equivalent coverage model: merged demand groups, useful candidates only."""

    matrix: sparse.csr_matrix  # (kept candidates x groups) 0/1
    group_weight: np.ndarray
    candidates: np.ndarray  # original indices of the kept candidates
    stats: dict


def reduce(problem: Problem, need: np.ndarray, *, dominance: bool = True) -> Reduced:
    """Drop demand not needed, merge demand with identical candidate sets, drop useless and
    dominated candidates (a candidate whose demand is a subset of another's)."""
    cover = pattern(problem.cover)
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
    return Reduced(grouped.tocsr(), group_weight, candidates, stats)


