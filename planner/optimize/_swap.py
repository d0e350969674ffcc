"""Heuristics for the coverage models: greedy maximum coverage and swap-based local search."""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse


def greedy_cover(matrix: sparse.csr_matrix, weight: np.ndarray, steps: int,
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


def covered_by(matrix: sparse.csr_matrix, weight: np.ndarray, chosen) -> float:
    """Weight of the groups at least one chosen row covers."""
    if len(chosen) == 0:
        return 0.0
    hit = np.zeros(matrix.shape[1], dtype=bool)
    hit[matrix[np.asarray(chosen, dtype=np.int64)].indices] = True
    return float(weight[hit].sum())


def submodular_bound(matrix: sparse.csr_matrix, weight: np.ndarray, chosen, p: int) -> float:
    """f(S) + the p largest marginal gains w.r.t. S: an upper bound on the best p rows."""
    value = covered_by(matrix, weight, chosen)
    left = weight.astype(np.float64).copy()
    if len(chosen):
        left[matrix[np.asarray(chosen, dtype=np.int64)].indices] = 0.0
    gains = np.sort(matrix @ left)[::-1][:p]
    return value + float(gains[gains > 0].sum())


def swap_search(matrix: sparse.csr_matrix, weight: np.ndarray, chosen: list[int], *,
                max_moves: int | None = None) -> list[int]:
    """Best-improvement swaps (one row in, one out) until no swap covers more weight.

    For every (in, out) pair at once: gain of ``in`` on uncovered groups, minus what only
    ``out`` covers, plus what only ``out`` covers that ``in`` covers too (one sparse
    product). Deterministic: ties go to the lowest indices.
    """
    chosen = list(chosen)
    n_rows, n_groups = matrix.shape
    p = len(chosen)
    if p == 0 or p >= n_rows:
        return chosen
    weight = weight.astype(np.float64)
    tol = 1e-9 * max(float(weight.sum()), 1.0)
    max_moves = max_moves if max_moves is not None else 50 * p + 100
    for _ in range(max_moves):
        rows = np.asarray(chosen, dtype=np.int64)
        sub = matrix[rows].tocoo()
        count = np.bincount(sub.col, minlength=n_groups)
        gain = matrix @ np.where(count == 0, weight, 0.0)
        only = count[sub.col] == 1
        owner_groups, owner = sub.col[only], sub.row[only]
        loss = np.bincount(owner, weights=weight[owner_groups], minlength=p)
        exclusive = sparse.csr_matrix((weight[owner_groups], (owner_groups, owner)),
                                      shape=(n_groups, p))
        delta = (matrix @ exclusive).toarray() + gain[:, None] - loss[None, :]
        delta[rows, :] = -np.inf
        flat = int(np.argmax(delta))
        i, r = divmod(flat, p)
        if not delta[i, r] > tol:
            break
        chosen[r] = int(i)
    return chosen


def lagrangian_bound(matrix: sparse.csr_matrix, weight: np.ndarray, p: int, lower: float, *,
                     deadline: float, target_gap: float = 0.0,
                     max_iter: int = 600) -> tuple[float, list[int], float]:
    """Upper bound for max coverage by relaxing "a group counts only if a chosen row covers it".

    With multipliers 0 <= mu <= w: L(mu) = sum(w - mu) + the p largest (A mu)_i, minimised by
    projected subgradient steps; every L(mu) is a valid bound (as good as the LP at best).
    The p rows picked at each step are tried as a solution (Lagrangian heuristic).
    Returns the bound, the best rows found and their value.
    """
    n = matrix.shape[0]
    k = min(p, n)
    count = np.asarray(matrix.sum(axis=0)).ravel()
    mu = weight / np.maximum(count, 1.0)
    best, theta, stall = np.inf, 1.0, 0
    rows_best: list[int] = []
    value_best = lower
    t_mat = matrix.T.tocsr()
    for _ in range(max_iter):
        score = matrix @ mu
        top = np.argpartition(-score, k - 1)[:k] if k < n else np.arange(n)
        value = float((weight - mu).sum() + score[top].sum())
        if not np.isfinite(best) or value < best - 1e-12 * max(best, 1.0):
            best, stall = value, 0
            trial = covered_by(matrix, weight, top)
            if trial > value_best:
                value_best, rows_best = trial, [int(i) for i in top]
        else:
            stall += 1
            if stall >= 15:
                theta, stall = theta / 2, 0
        if best - value_best <= target_gap * best + 1e-9 or theta < 1e-4 or \
                time.perf_counter() > deadline:
            break
        hits = np.asarray(t_mat[:, top].sum(axis=1)).ravel()
        direction = hits - 1.0  # d L / d mu
        direction[(mu <= 0) & (direction > 0)] = 0.0
        direction[(mu >= weight) & (direction < 0)] = 0.0
        norm = float(direction @ direction)
        if norm == 0:
            break
        mu = np.clip(mu - theta * (value - value_best) / norm * direction, 0.0, weight)
    return best, rows_best, value_best
