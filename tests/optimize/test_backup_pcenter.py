"""Maximal backup coverage and p-center against brute force on small random matrices."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from planner.errors import InfeasibleError, SolverError
from planner.optimize import Problem, backup_cover, pcenter

LIMIT = 900.0


@st.composite
def instances(draw):
    n_c = draw(st.integers(1, 6))
    n_d = draw(st.integers(1, 7))
    n_f = draw(st.integers(0, 2))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    times = rng.choice([60.0, 120.0, 300.0, 450.0, 600.0, 900.0, np.inf], size=(n_c + n_f, n_d))
    times[rng.random(times.shape) < 0.1] = 0.0  # real zero times stay covered
    weight = rng.integers(1, 9, size=n_d).astype(float)
    p = draw(st.integers(1, 3))
    return times[:n_c], times[n_c:], weight, p


def _sparse(times):
    times = np.atleast_2d(times)
    r, c = np.nonzero(times <= LIMIT)
    return sparse.csr_matrix((times[r, c], (r, c)), shape=times.shape)


def _problem(cand, fixed, weight):
    return Problem.from_matrix(_sparse(cand), weight,
                               fixed=_sparse(fixed) if fixed.size else None)


def _counts(cand, fixed, subset, radius=LIMIT):
    rows = np.vstack([cand[list(subset)], fixed]) if len(subset) or fixed.size else \
        np.zeros((0, cand.shape[1]))
    return (rows <= radius).sum(axis=0)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_backup_matches_brute_force(case):
    cand, fixed, weight, p = case
    subsets = list(itertools.combinations(range(cand.shape[0]), min(p, cand.shape[0])))
    single = {s: weight[_counts(cand, fixed, s) >= 1].sum() for s in subsets}
    double = {s: weight[_counts(cand, fixed, s) >= 2].sum() for s in subsets}
    best_single = max(single.values())
    expected = max(double[s] for s in subsets if single[s] >= best_single - 1e-9)
    solution = backup_cover(_problem(cand, fixed, weight), p)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(expected)
    assert solution.covered_weight == pytest.approx(best_single)
    chosen = solution.selected
    assert len(chosen) == min(p, cand.shape[0])
    assert weight[_counts(cand, fixed, chosen) >= 2].sum() == pytest.approx(expected)


@settings(max_examples=30, deadline=None)
@given(instances(), st.sampled_from([0.3, 0.6]))
def test_backup_with_a_stated_share(case, share):
    cand, fixed, weight, p = case
    subsets = list(itertools.combinations(range(cand.shape[0]), min(p, cand.shape[0])))
    ok = [s for s in subsets if weight[_counts(cand, fixed, s) >= 1].sum()
          >= share * weight.sum() - 1e-9]
    problem = _problem(cand, fixed, weight)
    if not ok:
        with pytest.raises(InfeasibleError):
            backup_cover(problem, p, min_covered_share=share)
        return
    expected = max(weight[_counts(cand, fixed, s) >= 2].sum() for s in ok)
    assert backup_cover(problem, p, min_covered_share=share).objective == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_pcenter_matches_brute_force(case):
    cand, fixed, weight, p = case
    subsets = list(itertools.combinations(range(cand.shape[0]), min(p, cand.shape[0])))
    target = max(weight[_counts(cand, fixed, s) >= 1].sum() for s in subsets)
    radii = sorted({float(t) for t in np.concatenate([cand.ravel(), fixed.ravel()])
                    if t <= LIMIT})
    expected = min(r for s in subsets for r in radii
                   if weight[_counts(cand, fixed, s, r) >= 1].sum() >= target - 1e-9) \
        if radii else None
    problem = _problem(cand, fixed, weight)
    if expected is None or target == 0:
        with pytest.raises(InfeasibleError):
            pcenter(problem, p)
        return
    solution = pcenter(problem, p)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(expected)
    assert solution.bound == pytest.approx(expected)
    got = weight[_counts(cand, fixed, solution.selected, expected) >= 1].sum()
    assert got >= target - 1e-9


def test_pcenter_prefers_the_nearer_plan():
    # two candidates cover both places; the second one does it in 2 minutes at worst
    cand = np.array([[60.0, 600.0], [120.0, 120.0]])
    solution = pcenter(_problem(cand, np.zeros((0, 2)), np.array([1.0, 5.0])), 1)
    assert solution.selected == (1,) and solution.objective == 120.0


@pytest.mark.parametrize("time_limit", [0.3, 3.0])
def test_pcenter_bound_brackets_the_answer_on_a_larger_case(time_limit):
    rng = np.random.default_rng(7)
    times = rng.uniform(0, 1800, size=(60, 300)).round()
    problem = Problem.from_matrix(_sparse(times), rng.integers(1, 9, 300).astype(float))
    try:
        solution = pcenter(problem, 4, min_covered_share=0.8, time_limit=time_limit)
    except SolverError:  # no plan at all within a tiny time limit is an honest answer
        assert time_limit < 1
        return
    assert solution.bound <= solution.objective + 1e-9
    covered = _counts(times, np.zeros((0, 300)), solution.selected, solution.objective) >= 1
    assert problem.weights[covered].sum() >= 0.8 * problem.total_weight - 1e-6
    if solution.status == "optimal":
        assert solution.bound == solution.objective
    if solution.status == "time_limit":
        assert solution.seconds < time_limit + 5
