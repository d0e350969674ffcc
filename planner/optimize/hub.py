"""The "1+N" model: one hub and N satellites within reach of it, covering the most demand.

Matrices only (no street graph). Let ``C`` be the (sites x demand) coverage pattern, ``L`` the
(hubs x sites) link pattern "site lies within the stated time of the hub". With binary ``h``
(the hub), ``x`` (the satellites) and ``y`` (demand covered), HiGHS solves::

    max  sum_d w_d y_d
    s.t. sum_i h_i = 1;  sum_j x_j <= N;  x_j <= sum_i L_ij h_i;  x_j + h_(j) <= 1
         y_d <= sum_j C_jd x_j + sum_i C^hub_id h_i      (demand covered by fixed stations drops out)

The hub's own coverage counts (it is a station too) unless ``hub_covers=False``. With a fixed
hub (an existing station) only the satellites are chosen: then it is a maximal covering problem
restricted to the sites linked to that hub.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.errors import InputError, SolverError

__all__ = ["HubProblem", "HubSolution", "solve_hub", "brute_force_hub"]


def _pattern(matrix, name: str, shape: tuple[int | None, int | None]) -> sparse.csr_matrix:
    """The 0/1 pattern of a matrix: for sparse ones every stored entry (a stored 0 s reaches);
    for dense ones the nonzero finite entries."""
    if not sparse.issparse(matrix):
        matrix = np.asarray(matrix)
        if matrix.ndim != 2:
            raise InputError(f"{name} must be a 2-d matrix")
        # dense: nonzero (and finite) means "reaches"; pass seconds as a sparse matrix
        matrix = sparse.csr_matrix(np.isfinite(matrix) & (matrix != 0), dtype=float)
    matrix = sparse.csr_matrix(matrix, dtype=float, copy=True)
    matrix.data[:] = 1.0  # the pattern is what counts (a stored 0 s is "reaches")
    for axis, want in enumerate(shape):
        if want is not None and matrix.shape[axis] != want:
            raise InputError(f"{name} has shape {matrix.shape}; axis {axis} should be {want}")
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


@dataclass(frozen=True, eq=False)
class HubProblem:
    """Sites, demand and who reaches whom, for one hub and up to N satellites.

    Parameters
    ----------
    cover
        (n_sites x n_demand) pattern: the satellite site reaches the demand in time.
    link
        (n_hubs x n_sites) pattern: the site lies within the hub time of the hub.
    hub_cover
        (n_hubs x n_demand) pattern: what the hub itself covers (zero rows: nothing).
    hub_site
        For each hub, the index of the same place among the sites, or -1.
    weights, fixed
        Demand weights; boolean mask of demand already covered by fixed stations.
    """

    cover: sparse.csr_matrix
    link: sparse.csr_matrix
    hub_cover: sparse.csr_matrix
    hub_site: np.ndarray
    weights: np.ndarray
    fixed: np.ndarray

    @classmethod
    def from_matrix(cls, cover, link, *, hub_cover=None, hub_site=None, weights=None,
                    fixed=None) -> "HubProblem":
        cover = _pattern(cover, "cover", (None, None))
        n_sites, n_demand = cover.shape
        link = _pattern(link, "link", (None, n_sites))
        n_hubs = link.shape[0]
        if n_hubs == 0:
            raise InputError("no site can host the hub: give at least one hub candidate")
        hub_cover = (sparse.csr_matrix((n_hubs, n_demand)) if hub_cover is None
                     else _pattern(hub_cover, "hub_cover", (n_hubs, n_demand)))
        hub_site = (np.full(n_hubs, -1) if hub_site is None
                    else np.asarray(hub_site, dtype=np.int64))
        if hub_site.shape != (n_hubs,) or (hub_site >= n_sites).any():
            raise InputError("hub_site needs one site index (or -1) per hub")
        weights = np.ones(n_demand) if weights is None else np.asarray(weights, float)
        if weights.shape != (n_demand,) or not np.isfinite(weights).all() or (weights < 0).any():
            raise InputError(f"weights need {n_demand} finite values >= 0")
        fixed = np.zeros(n_demand, bool) if fixed is None else np.asarray(fixed, bool)
        if fixed.shape != (n_demand,):
            raise InputError(f"fixed needs {n_demand} booleans")
        return cls(cover, link, hub_cover, hub_site, weights, fixed)

    @property
    def n_sites(self) -> int:
        return int(self.cover.shape[0])

    @property
    def n_hubs(self) -> int:
        return int(self.link.shape[0])

    def covered(self, hub: int, satellites) -> np.ndarray:
        """Demand covered by fixed stations, the hub and the satellites."""
        mask = self.fixed.copy()
        mask[self.hub_cover[hub].indices] = True
        for j in satellites:
            mask[self.cover[j].indices] = True
        return mask

    def value(self, hub: int, satellites) -> float:
        """Weight covered by the plan (fixed stations included)."""
        return float(self.weights[self.covered(hub, satellites)].sum())

    def feasible(self, hub: int, satellites) -> bool:
        linked = set(self.link[hub].indices.tolist())
        return all(j in linked and j != self.hub_site[hub] for j in satellites)


@dataclass(frozen=True)
class HubSolution:
    """The chosen hub (row of ``link``), satellites (sites, in order of added coverage)."""

    hub: int
    satellites: tuple[int, ...]
    objective: float
    bound: float
    status: str
    method: str
    seconds: float

    @property
    def gap(self) -> float | None:
        if not math.isfinite(self.bound) or self.bound <= 0:
            return None
        return max(0.0, (self.bound - self.objective) / self.bound)

    def to_dict(self) -> dict:
        return {"hub": self.hub, "satellites": list(self.satellites),
                "objective": round(self.objective, 6), "bound": round(self.bound, 6),
                "gap": self.gap, "status": self.status, "method": self.method,
                "seconds": round(self.seconds, 3)}


def solve_hub(problem: HubProblem, k: int, *, time_limit: float = 60.0) -> HubSolution:
    """The best hub and up to ``k`` satellites, exactly with HiGHS (``scipy.optimize.milp``)."""
    if not isinstance(k, (int, np.integer)) or k < 0:
        raise InputError(f"k={k!r}: the number of satellites must be an integer >= 0")
    start = time.perf_counter()
    need = ~problem.fixed & (problem.weights > 0)
    demand = np.flatnonzero(need)
    cover = problem.cover[:, demand].tocsc()
    hub_cover = problem.hub_cover[:, demand].tocsc()
    reach = (np.diff(cover.indptr) > 0) | (np.diff(hub_cover.indptr) > 0)
    demand, cover, hub_cover = demand[reach], cover[:, reach], hub_cover[:, reach]
    H, S, D = problem.n_hubs, problem.n_sites, demand.size
    n = H + S + D
    w = problem.weights[demand]
    c = np.concatenate([np.zeros(H + S), -w])
    rows = [sparse.hstack([np.ones((1, H)), sparse.csr_matrix((1, S + D))])]  # one hub
    lower, upper = [1.0], [1.0]
    rows.append(sparse.hstack([sparse.csr_matrix((1, H)), np.ones((1, S)),
                               sparse.csr_matrix((1, D))]))  # at most k satellites
    lower.append(0.0)
    upper.append(float(k))
    # x_j - sum_i L_ij h_i <= 0
    rows.append(sparse.hstack([-problem.link.T, sparse.identity(S), sparse.csr_matrix((S, D))]))
    lower += [-np.inf] * S
    upper += [0.0] * S
    both = np.flatnonzero(problem.hub_site >= 0)
    if both.size:  # one place cannot be the hub and a satellite
        pick_h = sparse.csr_matrix((np.ones(both.size), (np.arange(both.size), both)),
                                   shape=(both.size, H))
        pick_s = sparse.csr_matrix((np.ones(both.size),
                                    (np.arange(both.size), problem.hub_site[both])),
                                   shape=(both.size, S))
        rows.append(sparse.hstack([pick_h, pick_s, sparse.csr_matrix((both.size, D))]))
        lower += [-np.inf] * both.size
        upper += [1.0] * both.size
    # y_d - sum_j C_jd x_j - sum_i Chub_id h_i <= 0
    rows.append(sparse.hstack([-hub_cover.T, -cover.T, sparse.identity(D)]))
    lower += [-np.inf] * D
    upper += [0.0] * D
    matrix = sparse.vstack(rows).tocsr()
    integrality = np.concatenate([np.ones(H + S), np.zeros(D)])
    result = milp(c, integrality=integrality, bounds=Bounds(np.zeros(n), np.ones(n)),
                  constraints=LinearConstraint(matrix, lower, upper),
                  options={"time_limit": float(time_limit), "disp": False})
    if result.x is None:
        raise SolverError(f"HiGHS found no hub plan ({result.message}); raise the time limit")
    x = result.x
    hub = int(np.argmax(x[:H]))
    chosen = [int(j) for j in np.flatnonzero(x[H:H + S] > 0.5)]
    base = float(problem.weights[problem.fixed].sum())
    bound = getattr(result, "mip_dual_bound", None)
    bound = base - float(bound) if bound is not None and np.isfinite(bound) else math.inf
    satellites = _order_by_gain(problem, hub, chosen)
    status = "optimal" if result.status == 0 else "time_limit"
    objective = problem.value(hub, satellites)
    if status == "optimal":
        bound = objective
    return HubSolution(hub=hub, satellites=satellites, objective=objective,
                       bound=max(bound, objective), status=status, method="exact",
                       seconds=time.perf_counter() - start)


def _order_by_gain(problem: HubProblem, hub: int, chosen) -> tuple[int, ...]:
    """Satellites ordered so each adds the most weight given the hub and those before it."""
    covered = problem.covered(hub, [])
    order, left = [], list(chosen)
    while left:
        gains = [float(problem.weights[problem.cover[j].indices[
            ~covered[problem.cover[j].indices]]].sum()) for j in left]
        best = left.pop(int(np.argmax(gains)))
        covered[problem.cover[best].indices] = True
        order.append(best)
    return tuple(order)


def brute_force_hub(problem: HubProblem, k: int) -> tuple[float, int, tuple[int, ...]]:
    """Try every hub and every set of up to ``k`` linked satellites (tests, tiny inputs)."""
    best = (-1.0, -1, ())
    for hub in range(problem.n_hubs):
        linked = [j for j in problem.link[hub].indices.tolist() if j != problem.hub_site[hub]]
        for size in range(min(k, len(linked)) + 1):
            for subset in itertools.combinations(sorted(linked), size):
                value = problem.value(hub, subset)
                if value > best[0] + 1e-9:
                    best = (value, hub, subset)
    return best
