"""MCLP reduced-cost fixing before HiGHS's branch and bound, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse

from planner import optimize
from planner.optimize import _swap, coverage
from planner.optimize.options import SolverOptions
from planner.optimize.problem import reduce


def _instance(seed: int, n_c: int = 13, n_d: int = 60):
    rng = np.random.default_rng(seed)
    cover = rng.random((n_c, n_d)) < 0.15
    weights = rng.integers(1, 5, n_d).astype(float)
    return optimize.Problem.from_matrix(sparse.csr_matrix(cover.astype(float)), weights)


@pytest.mark.parametrize("seed", range(6))
def test_fixing_keeps_every_candidate_of_a_better_plan(seed):
    """Every candidate in some plan covering at least incumbent + 1 survives the fixing."""
    problem, p = _instance(300 + seed), 3
    reduced = reduce(problem, np.ones(problem.weights.size, dtype=bool))
    m, w = reduced.matrix, reduced.group_weight
    combos = list(itertools.combinations(range(m.shape[0]), p))
    values = np.array([_swap.covered_by(m, w, list(c)) for c in combos])
    *_, lp = coverage._lp_step(reduced, p, list(combos[0]), values[0], float(w.sum()), 30.0)
    assert lp is not None
    for value in sorted(set(values.tolist()))[-4:]:  # incumbents near the optimum
        kept = set(coverage._reduced_cost_fixing(reduced, lp, value).candidates.tolist())
        needed = {i for c, v in zip(combos, values) if v >= value + 1 for i in c}
        assert needed <= kept
    at_optimum = coverage._reduced_cost_fixing(reduced, lp, values.max())
    assert at_optimum.matrix.shape[0] < m.shape[0]  # the fixing does drop some here


@pytest.mark.parametrize("seed", range(6))
def test_mclp_exact_with_fixing_matches_brute_force(seed):
    """The whole exact path (LP, fixing, HiGHS with a cutoff) returns the true optimum."""
    problem, p = _instance(400 + seed, n_c=14, n_d=70), 4
    cover = problem.cover.toarray() > 0
    solution = optimize.mclp(problem, p, method="exact", time_limit=30)
    best = max(float(problem.weights[cover[list(c)].any(axis=0)].sum())
               for c in itertools.combinations(range(cover.shape[0]), p))
    assert solution.objective == best and solution.status == "optimal"
    assert solution.bound == best


def test_branch_step_with_fixing_proves_or_finds_the_optimum():
    """From a poor incumbent the fixed model still holds the optimum; from the optimum the
    fixing (or HiGHS) proves it."""
    problem, p = _instance(77), 3
    reduced = reduce(problem, np.ones(problem.weights.size, dtype=bool))
    m, w = reduced.matrix, reduced.group_weight
    combos = list(itertools.combinations(range(m.shape[0]), p))
    values = [_swap.covered_by(m, w, list(c)) for c in combos]
    *_, lp = coverage._lp_step(reduced, p, list(combos[0]), values[0], float(w.sum()), 30.0)
    for pick in (int(np.argmin(values)), int(np.argmax(values))):
        chosen, value, bound, _, status = coverage._branch_step(
            reduced, p, list(combos[pick]), values[pick], float(w.sum()), "test",
            SolverOptions(method="exact"), 30.0, lp, {})
        assert value == max(values) == bound and status == "optimal"
        assert _swap.covered_by(m, w, chosen) == max(values)


@pytest.mark.parametrize("seed", range(3))
def test_branch_step_with_lp_neighbourhood_matches_brute_force(seed):
    """Enough candidates (> 60 after reduction) that the LP-neighbourhood search runs before
    the fixing; from a poor incumbent the branch step still ends at the brute-force optimum."""
    rng = np.random.default_rng(500 + seed)
    n_c, n_d, p = 140, 200, 2
    cover = rng.random((n_c, n_d)) < 0.05
    weights = rng.integers(1, 4, n_d).astype(float)
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(cover.astype(float)), weights)
    reduced = reduce(problem, np.ones(n_d, dtype=bool))
    m, w = reduced.matrix, reduced.group_weight
    assert m.shape[0] > 60
    combos = list(itertools.combinations(range(m.shape[0]), p))
    values = [_swap.covered_by(m, w, list(c)) for c in combos]
    *_, lp = coverage._lp_step(reduced, p, [0, 1], values[0], float(w.sum()), 30.0)
    poor = list(combos[int(np.argmin(values))])
    better, value = coverage._lp_neighbourhood(reduced, p, lp, poor, min(values), 10.0)
    assert value == _swap.covered_by(m, w, better) and min(values) <= value <= max(values)
    chosen, value, bound, _, status = coverage._branch_step(
        reduced, p, poor, min(values), float(w.sum()), "test", SolverOptions(method="exact"),
        30.0, lp, {})
    assert value == max(values) == bound and status == "optimal"
    assert _swap.covered_by(m, w, chosen) == max(values)
