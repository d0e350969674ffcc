"""The p-median's Lagrangian branch and bound against brute force and a published optimum."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from planner import optimize
from planner.optimize import _pmedian_bnb as bnb
from planner.optimize import _pmedian_search as search
from tests.optimize.test_orlib import PUBLISHED, read


def brute_force(cost, base, p):
    return min(float(np.minimum(base, cost[list(c)].min(axis=0)).sum())
               for c in itertools.combinations(range(cost.shape[0]), p))


def weak_root(cost, base, p, sites, integral):
    """A deliberately poor start: few subgradient steps, so the tree has to do the work."""
    upper = search.cost_of(cost, base, sites)
    lag = search.lagrangian_bound(cost, base, p, upper, start=np.minimum(
        base, cost[sites].min(axis=0)), integral=integral, max_iter=5)
    return upper, lag


@pytest.mark.parametrize("seed", range(6))
def test_branch_and_bound_finds_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n_c, n_d, p = 11, 25, 2 + seed % 3
    integral = seed % 2 == 0
    pts_c, pts_d = rng.random((n_c, 2)), rng.random((n_d, 2))
    dist = np.linalg.norm(pts_c[:, None] - pts_d[None], axis=2) * 100
    cost = (np.round(dist) if integral else dist) * rng.integers(1, 4, n_d)[None, :]
    base = np.full(n_d, cost.max() + 50.0)
    base[:3] = cost[:, :3].min(axis=0) + 1  # a few places an open station already serves
    sites = list(range(p))  # a poor incumbent
    upper, lag = weak_root(cost, base, p, sites, integral)
    result = bnb.branch_and_bound(cost, base, p, sites, upper, lam=lag.lam, closed=lag.closed,
                                  opened=lag.opened, integral=integral,
                                  deadline=time.perf_counter() + 30, root_bound=lag.bound)
    best = brute_force(cost, base, p)
    assert result.status == "optimal" and result.nodes >= 1
    assert result.upper == pytest.approx(best)
    assert len(set(result.sites)) == p
    assert search.cost_of(cost, base, result.sites) == pytest.approx(best)
    assert result.bound == pytest.approx(best)


@pytest.mark.parametrize("seed", range(3))
def test_branch_and_bound_with_a_gap_tolerance_keeps_a_true_bound(seed):
    rng = np.random.default_rng(50 + seed)
    cost = rng.random((12, 30)) * 100
    base = np.full(30, 200.0)
    upper, lag = weak_root(cost, base, 3, [0, 1, 2], False)
    result = bnb.branch_and_bound(cost, base, 3, [0, 1, 2], upper, lam=lag.lam,
                                  closed=lag.closed, opened=lag.opened, integral=False,
                                  deadline=time.perf_counter() + 30, gap=0.05,
                                  root_bound=lag.bound)
    best = brute_force(cost, base, 3)
    assert result.bound <= best + 1e-9 <= result.upper + 2e-9
    assert result.upper - result.bound <= 0.05 * result.upper + 1e-9


def test_branch_and_bound_out_of_time_returns_a_valid_bound():
    rng = np.random.default_rng(7)
    cost = np.round(rng.random((12, 30)) * 100)
    base = np.full(30, 200.0)
    upper, lag = weak_root(cost, base, 3, [0, 1, 2], True)
    result = bnb.branch_and_bound(cost, base, 3, [0, 1, 2], upper, lam=lag.lam,
                                  closed=lag.closed, opened=lag.opened, integral=True,
                                  deadline=time.perf_counter() - 1, root_bound=lag.bound)
    best = brute_force(cost, base, 3)
    assert result.status == "time_limit" and result.nodes == 0
    assert result.bound <= best <= result.upper


def test_branch_and_bound_proves_the_published_optimum_of_pmed1():
    """OR-Library pmed1 (100 nodes, p = 5) from the plain greedy plan and a weak root."""
    matrix, p = read("pmed1")
    cost = matrix.toarray()
    base = np.full(cost.shape[1], cost.max() + 60.0)
    sites = search.greedy(cost, base, p)
    upper, lag = weak_root(cost, base, p, sites, True)
    result = bnb.branch_and_bound(cost, base, p, sites, upper, lam=lag.lam, closed=lag.closed,
                                  opened=lag.opened, integral=True,
                                  deadline=time.perf_counter() + 30, root_bound=lag.bound)
    assert (result.upper, result.bound, result.status) == (PUBLISHED["pmed1"],) * 2 + (
        "optimal",)
    assert cost[result.sites].min(axis=0).sum() == PUBLISHED["pmed1"]
    assert result.nodes >= 1  # the tree, not the root, closed the gap


@pytest.mark.parametrize("seed", range(3))
def test_pmedian_exact_small_p_matches_brute_force(seed):
    """Through the public API: whatever path proves it, the answer is the true optimum."""
    rng = np.random.default_rng(100 + seed)
    n = 14
    pts = rng.random((n, 2))
    times = np.round(np.linalg.norm(pts[:, None] - pts[None], axis=2) * 600)
    weights = rng.integers(1, 5, n).astype(float)
    from scipy import sparse

    rows, cols = np.divmod(np.arange(n * n), n)
    problem = optimize.Problem.from_matrix(
        sparse.csr_matrix((times.ravel(), (rows, cols)), shape=(n, n)), weights)
    solution = optimize.pmedian(problem, 3, method="exact", time_limit=30)
    cost = times * weights[None, :]
    best = brute_force(cost, np.full(n, np.inf), 3)
    assert solution.objective == pytest.approx(best)
    assert solution.status == "optimal" and solution.bound == pytest.approx(best)



@pytest.mark.parametrize("start", ["poor", "optimal"])
def test_mclp_branch_step_with_a_cutoff_proves_the_brute_force_optimum(start):
    """HiGHS with the objective cutoff at incumbent + 1: from a poor incumbent it finds the
    optimum; from the optimum it finds nothing better and so proves it (bound = value)."""
    from scipy import sparse

    from planner.optimize import _swap, coverage
    from planner.optimize.options import SolverOptions
    from planner.optimize.problem import reduce

    rng = np.random.default_rng(5)
    pc, pd = rng.random((16, 2)), rng.random((70, 2))
    cover = np.linalg.norm(pc[:, None] - pd[None], axis=2) < 0.2
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(cover.astype(float)),
                                           np.ones(70))
    reduced = reduce(problem, np.ones(70, dtype=bool))
    m, w, p = reduced.matrix, reduced.group_weight, 3
    combos = list(itertools.combinations(range(m.shape[0]), p))
    values = [_swap.covered_by(m, w, list(c)) for c in combos]
    pick = list(combos[int(np.argmin(values) if start == "poor" else np.argmax(values))])
    chosen, value, bound, label, status = coverage._branch_step(
        reduced, p, pick, _swap.covered_by(m, w, pick), float(w.sum()), "test",
        SolverOptions(method="exact"), 30.0)
    assert value == max(values) == bound and status == "optimal" and label == "exact"
    assert _swap.covered_by(m, w, chosen) == max(values)


@pytest.mark.parametrize("seed", range(4))
def test_mclp_exact_matches_brute_force(seed):
    """MCLP exact (Lagrangian, LP, then HiGHS with an objective cutoff) is the true optimum."""
    from scipy import sparse

    rng = np.random.default_rng(200 + seed)
    n_c, n_d, p = 12, 45, 3
    cover = rng.random((n_c, n_d)) < 0.18
    weights = rng.integers(1, 6, n_d).astype(float)
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(cover.astype(float)), weights)
    solution = optimize.mclp(problem, p, method="exact", time_limit=30)
    best = max(float(weights[cover[list(c)].any(axis=0)].sum())
               for c in itertools.combinations(range(n_c), p))
    assert solution.objective == best and solution.status == "optimal"
    assert solution.bound == best
