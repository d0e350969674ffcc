"""p-median heuristics and bounds on a dense weighted cost matrix.

``cost`` is (candidates x places): weight x time of serving the place from the candidate;
``base`` (places) the cost of serving it from the stations that stay open (or the penalty).
Greedy start, vertex substitution with the fast interchange of Whitaker (1983) as organised by
Resende & Werneck (2004), and the Lagrangian relaxation of the assignment constraints with
subgradient optimisation (Beasley 1993), which also fixes candidates in or out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


def cost_of(cost: np.ndarray, base: np.ndarray, chosen) -> float:
    best = base.copy()
    if len(chosen):
        best = np.minimum(best, cost[np.asarray(chosen, dtype=np.int64)].min(axis=0))
    return float(best.sum())


def greedy(cost: np.ndarray, base: np.ndarray, p: int) -> list[int]:
    """Add the site saving the most until ``p`` (or until none saves anything)."""
    best = base.copy()
    chosen: list[int] = []
    for _ in range(p):
        saving = np.maximum(best[None, :] - cost, 0.0).sum(axis=1)
        if chosen:
            saving[chosen] = -1.0
        j = int(np.argmax(saving))
        if saving[j] <= 0:
            break
        chosen.append(j)
        best = np.minimum(best, cost[j])
    return chosen


def _nearest_two(cost, base, chosen):
    stack = np.vstack([cost[chosen], base[None, :]])
    cols = np.arange(stack.shape[1])
    owner = stack.argmin(axis=0)
    d1 = stack[owner, cols]
    stack[owner, cols] = np.inf
    d2 = stack.min(axis=0)
    return owner, d1, d2


def interchange(cost: np.ndarray, base: np.ndarray, chosen: list[int], *,
                deadline: float | None = None) -> list[int]:
    """Vertex substitution (Teitz-Bart) with fast interchange: best swap per pass.

    For every candidate ``i`` outside and every open site ``r``, the change of the
    objective when ``i`` replaces ``r`` is -G_i + sum over places whose nearest site is ``r``
    of min(d2, max(c_i, d1)) - d1, where G_i is what ``i`` saves with every site kept
    (Whitaker's formula); all pairs come out of one matrix product. Deterministic.
    """
    chosen = list(chosen)
    p = len(chosen)
    n = cost.shape[0]
    if p == 0 or p >= n:
        return chosen
    tol = 1e-9 * max(float(base.sum()), 1.0)
    for _ in range(100 * p + 100):
        if deadline is not None and time.perf_counter() > deadline:
            break
        owner, d1, d2 = _nearest_two(cost, base, chosen)
        gain = np.maximum(d1[None, :] - cost, 0.0).sum(axis=1)
        owned = np.flatnonzero(owner < p)
        extra = np.minimum(d2[owned][None, :], np.maximum(cost[:, owned], d1[owned][None, :]))
        extra -= d1[owned][None, :]
        onehot = np.zeros((owned.size, p))
        onehot[np.arange(owned.size), owner[owned]] = 1.0
        delta = extra @ onehot - gain[:, None]
        delta[chosen, :] = np.inf
        flat = int(np.argmin(delta))
        i, r = divmod(flat, p)
        if not delta[i, r] < -tol:
            break
        chosen[r] = int(i)
    return chosen


@dataclass(frozen=True)
class LagrangeResult:
    bound: float
    closed: np.ndarray  # candidates no solution better than the upper bound opens
    opened: np.ndarray  # candidates every solution better than the upper bound opens
    iterations: int
    upper: float  # the best objective of the Lagrangian heuristic (or the given one)
    sites: list  # its sites (empty if it never beat the given upper bound)
    lam: np.ndarray | None = None  # the best multipliers
    value: float = -np.inf  # L(lam), unrounded

    def refix(self, cost, base, p: int, upper: float, integral: bool) -> "LagrangeResult":
        """The fixing again with a better upper bound."""
        fixed = _fixing(cost, base, p, upper, self.lam, self.value, integral, self.iterations)
        return LagrangeResult(fixed.bound, fixed.closed, fixed.opened, self.iterations, upper,
                              [], self.lam, self.value)


def lagrangian_bound(cost: np.ndarray, base: np.ndarray, p: int, upper: float, *,
                     start: np.ndarray, integral: bool = False, target_gap: float = 0.0,
                     deadline: float | None = None, max_iter: int = 3000) -> LagrangeResult:
    """Lower bound for the p-median by relaxing "every place is served once".

    L(lam) = sum(lam) + sum_j min(0, base_j - lam_j) + the p smallest of
    rho_i = sum_j min(0, cost_ij - lam_j); maximised by subgradient steps from ``start``
    (the heuristic's assignment costs). With ``integral`` costs the bound is rounded up.
    """
    lam = start.astype(np.float64).copy()
    n = cost.shape[0]
    k = min(p, n)
    best, best_lam, theta, stall, it = -np.inf, lam.copy(), 2.0, 0, 0
    sites: list[int] = []
    work = np.empty_like(cost, dtype=np.float64)
    for it in range(1, max_iter + 1):
        value, pick, step_dir = lagrangian_value(cost, base, lam, k, work)
        if not np.isfinite(best) or value > best + 1e-12 * max(abs(best), 1.0):
            best, best_lam, stall = value, lam.copy(), 0
            trial = cost_of(cost, base, pick)  # Lagrangian heuristic: open the p best
            if trial < upper - 1e-9:
                upper, sites = trial, [int(i) for i in pick]
        else:
            stall += 1
            if stall >= 30:
                theta, stall = theta / 2, 0
        rounded = np.ceil(best - 1e-6) if integral else best
        if (upper - rounded) <= target_gap * abs(upper) + 1e-9 or theta < 1e-4:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        norm = float(step_dir @ step_dir)
        if norm == 0:
            break
        lam = lam + theta * (upper - value) / norm * step_dir
    result = _fixing(cost, base, p, upper, best_lam, best, integral, it)
    return LagrangeResult(result.bound, result.closed, result.opened, it, upper, sites,
                          best_lam, best)


def lagrangian_value(cost: np.ndarray, base: np.ndarray, lam: np.ndarray, k: int,
                     work: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The p-median's Lagrangian relaxation (assignment rows relaxed) at multipliers ``lam``
    with ``k`` sites open: its value (a lower bound), the ``k`` candidates it opens, and the
    subgradient (1 - how often each place is served). ``work``: a scratch array shaped like
    ``cost``, reused across the iterations of a subgradient ascent."""
    n = cost.shape[0]
    reduced = np.minimum(np.subtract(cost, lam[None, :], out=work), 0.0, out=work)
    rho = reduced.sum(axis=1)
    pick = np.argpartition(rho, k - 1)[:k] if k < n else np.arange(n)
    open_ = pick[rho[pick] < 0]
    value = float(lam.sum() + np.minimum(base - lam, 0.0).sum() + rho[open_].sum())
    return value, pick, 1.0 - (reduced[open_] < 0).sum(axis=0) - (base < lam)


def lagrangian_plan(cost: np.ndarray, lam: np.ndarray, p: int) -> list[int]:
    """The ``p`` candidates the relaxation opens at multipliers ``lam`` (smallest rho)."""
    rho = np.minimum(cost - lam[None, :], 0.0).sum(axis=1)
    return [int(i) for i in np.argsort(rho, kind="stable")[:p]]


def reduced_cost_fixing(rho, k, value, upper, integral):
    """Candidates (indices into ``rho``, the Lagrangian reduced costs) that must be closed /
    open in any plan better than ``upper``, given the Lagrangian value ``value`` with the
    ``k`` cheapest open; and the order of ``rho``."""
    n_f = rho.size
    order = np.argsort(rho, kind="stable")
    inside = np.zeros(n_f, dtype=bool)
    inside[order[:k]] = True
    worst_in = rho[order[k - 1]]
    best_out = rho[order[k]] if k < n_f else 0.0
    slack = 1.0 - 1e-6 if integral else 1e-9 * max(abs(upper), 1.0)
    closed = np.flatnonzero(~inside & (value - worst_in + rho > upper - slack))
    opened = np.flatnonzero(inside & (value - rho + best_out > upper - slack))
    return closed, opened, order


def _fixing(cost, base, p, upper, lam, value, integral, iterations) -> LagrangeResult:
    """Candidates whose forced opening (closing) lifts the bound above the upper bound."""
    n = cost.shape[0]
    rho = np.minimum(np.minimum(cost - lam[None, :], 0.0).sum(axis=1), 0.0)
    closed, opened, _order = reduced_cost_fixing(rho, min(p, n), value, upper, integral)
    bound = float(np.ceil(value - 1e-6)) if integral else float(value)
    return LagrangeResult(bound, closed, opened, iterations, upper, [])


def perturbed_search(cost: np.ndarray, base: np.ndarray, chosen: list[int], *,
                     allowed: np.ndarray, lower: float, seed: int, deadline: float,
                     rounds: int = 200) -> list[int]:
    """Iterated local search: swap 1-3 random sites for random ``allowed`` candidates, run the
    interchange again, keep the better plan; stop at ``lower`` (proven best), the deadline or
    after ``rounds``. Seeded, so the same inputs give the same plan."""
    rng = np.random.default_rng(seed)
    best = list(chosen)
    best_cost = cost_of(cost, base, best)
    pool = np.asarray(allowed, dtype=np.int64)
    sub_cost = cost[pool]
    index = {int(c): i for i, c in enumerate(pool)}
    if any(c not in index for c in best) or pool.size <= len(best):
        return best
    for _ in range(rounds):
        if best_cost <= lower + 1e-9 or time.perf_counter() > deadline:
            break
        trial = [index[c] for c in best]
        outside = np.setdiff1d(np.arange(pool.size), trial)
        k = int(rng.integers(1, min(3, len(trial), outside.size) + 1))
        slots = rng.choice(len(trial), size=k, replace=False)
        for slot, new in zip(slots, rng.choice(outside, size=k, replace=False)):
            trial[int(slot)] = int(new)
        trial = interchange(sub_cost, base, trial, deadline=deadline)
        value = cost_of(sub_cost, base, trial)
        if value < best_cost - 1e-9:
            best, best_cost = [int(pool[i]) for i in trial], value
    return best


def useful_pairs(cost: np.ndarray, p: int, lag: LagrangeResult, upper: float, integral: bool,
                 rows: np.ndarray) -> np.ndarray:
    """Mask (rows x places) of assignments some plan better than ``upper`` may use.

    Forcing place j onto site i lifts the Lagrangian value to L + max(0, c_ij - lam_j), plus
    rho_i - rho_(p) if i is not among the p sites the relaxation opens; when that exceeds the
    upper bound, no better plan serves j from i (reduced-cost fixing of the assignments).
    """
    if lag.lam is None or not np.isfinite(lag.value):
        return np.ones((rows.size, cost.shape[1]), dtype=bool)
    lam = lag.lam
    rho = np.minimum(cost - lam[None, :], 0.0).sum(axis=1)
    n = cost.shape[0]
    k = min(p, n)
    order = np.argsort(rho, kind="stable")
    inside = np.zeros(n, dtype=bool)
    inside[order[:k]] = True
    forced = lag.value + np.where(inside, 0.0, rho - rho[order[k - 1]])
    slack = 1.0 - 1e-6 if integral else 1e-9 * max(abs(upper), 1.0)
    extra = np.maximum(cost[rows] - lam[None, :], 0.0)
    return forced[rows][:, None] + extra <= upper - slack
