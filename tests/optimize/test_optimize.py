"""Location models against brute force on small random instances; greedy never beats exact."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from planner import optimize
from planner.errors import InfeasibleError, InputError


@st.composite
def instances(draw, max_candidates=7, max_demand=14, max_fixed=2):
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    n_c = draw(st.integers(1, max_candidates))
    n_d = draw(st.integers(1, max_demand))
    n_f = draw(st.integers(0, max_fixed))
    density = draw(st.floats(0.05, 0.6))
    times = rng.uniform(0, 900, (n_c, n_d))
    cover = np.where(rng.random((n_c, n_d)) < density, times, np.nan)
    fixed = np.where(rng.random((n_f, n_d)) < density / 2, rng.uniform(0, 900, (n_f, n_d)),
                     np.nan)
    weights = rng.integers(1, 10, n_d).astype(float)
    return cover, fixed, weights


def to_sparse(dense):
    rows, cols = np.nonzero(~np.isnan(dense))
    return sparse.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)


def brute_covered(cover, fixed, weights, chosen):
    mask = (~np.isnan(fixed)).any(axis=0) if len(fixed) else np.zeros(len(weights), bool)
    for j in chosen:
        mask |= ~np.isnan(cover[j])
    return float(weights[mask].sum())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=instances(), p=st.integers(1, 7))
def test_mclp_exact_equals_brute_force_and_greedy_never_beats_it(data, p):
    cover, fixed, weights = data
    problem = optimize.Problem.from_matrix(to_sparse(cover), weights, fixed=to_sparse(fixed))
    n_c = cover.shape[0]
    best = max(brute_covered(cover, fixed, weights, c)
               for c in itertools.combinations(range(n_c), min(p, n_c)))
    exact = optimize.mclp(problem, p, method="exact")
    greedy = optimize.mclp(problem, p, method="greedy")
    assert exact.objective == pytest.approx(best)
    assert brute_covered(cover, fixed, weights, exact.selected) == pytest.approx(best)
    assert len(exact.selected) <= p and len(set(exact.selected)) == len(exact.selected)
    assert greedy.objective <= exact.objective + 1e-9
    assert greedy.bound >= best - 1e-9  # the greedy bound is a true upper bound
    assert greedy.objective >= (1 - 1 / np.e) * best - 1e-9
    assert exact.status == "optimal" and exact.gap == pytest.approx(0, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=instances(), share=st.sampled_from([0.5, 0.8, 0.95, 1.0]))
def test_lscp_exact_equals_brute_force(data, share):
    cover, fixed, weights = data
    problem = optimize.Problem.from_matrix(to_sparse(cover), weights, fixed=to_sparse(fixed))
    coverable = (~np.isnan(cover)).any(axis=0)
    if len(fixed):
        coverable |= (~np.isnan(fixed)).any(axis=0)
    goal = share * weights[coverable].sum()
    n_c = cover.shape[0]
    smallest = next(k for k in range(n_c + 1) if any(
        brute_covered(cover, fixed, weights, c) >= goal - 1e-9
        for c in itertools.combinations(range(n_c), k)))
    exact = optimize.lscp(problem, target_share=share, method="exact")
    greedy = optimize.lscp(problem, target_share=share, method="greedy")
    assert exact.objective == smallest
    assert brute_covered(cover, fixed, weights, exact.selected) >= goal - 1e-9
    assert greedy.objective >= exact.objective
    assert brute_covered(cover, fixed, weights, greedy.selected) >= goal - 1e-9
    assert greedy.bound <= smallest


def brute_pmedian(cover, fixed, weights, chosen, penalty):
    """True times for places the plan reaches; ``penalty`` for places only other sites reach;
    places no site reaches are left out. Returns objective, mean_min, unreachable weight."""
    rows = [cover[j] for j in chosen] + list(fixed)
    any_site = (~np.isnan(cover)).any(axis=0)
    if len(fixed):
        any_site |= (~np.isnan(fixed)).any(axis=0)
    best = np.full(len(weights), np.inf)
    for row in rows:
        best = np.fmin(best, np.where(np.isnan(row), np.inf, row))
    reached = np.isfinite(best)
    objective = float((weights * np.where(reached, best, penalty))[any_site].sum())
    mean = (float((weights[reached] * best[reached]).sum() / weights[reached].sum() / 60)
            if reached.any() else None)
    return objective, mean, float(weights[~reached].sum())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=instances(max_candidates=6, max_demand=10), p=st.integers(1, 4),
       method=st.sampled_from(["exact", "greedy", "auto"]))
def test_pmedian_equals_brute_force_and_reports_true_minutes(data, p, method):
    cover, fixed, weights = data
    penalty = 1000.0  # above every time (< 900 s): true times always count in full
    problem = optimize.Problem.from_matrix(to_sparse(cover), weights, fixed=to_sparse(fixed))
    n_c = cover.shape[0]
    best = min(brute_pmedian(cover, fixed, weights, c, penalty)[0]
               for c in itertools.combinations(range(n_c), min(p, n_c)))
    solution = optimize.pmedian(problem, p, penalty_s=penalty, method=method)
    objective, mean, unreachable = brute_pmedian(cover, fixed, weights, solution.selected, penalty)
    assert solution.objective == pytest.approx(objective)
    assert solution.bound <= best + 1e-6  # a true lower bound, whatever the method
    assert solution.objective >= best - 1e-6
    if method != "greedy":
        assert solution.objective == pytest.approx(best)
    if solution.gap <= 1e-9:
        assert solution.objective == pytest.approx(best) and solution.status == "optimal"
    details = solution.details
    assert details["mean_min"] == (None if mean is None else pytest.approx(mean))
    assert details["unreachable_weight"] == pytest.approx(unreachable)
    assert details["unreachable_share"] == pytest.approx(unreachable / weights.sum())
    assert solution.covered_share is None and "gain_weight" not in str(solution.to_dict())
    assert sum(solution.gains) * 60 == pytest.approx(
        brute_pmedian(cover, fixed, weights, (), penalty)[0] - objective)


def test_pmedian_minimises_true_time_beyond_any_threshold():
    # place 1 is 40 min from site 0 and 25 min from site 1: a cap at 2 x 15 min would tie them
    times = np.array([[60.0, 2400.0], [60.0, 1500.0]])
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(times), np.ones(2))
    solution = optimize.pmedian(problem, 1, method="exact")
    assert solution.selected == (1,)
    assert solution.details["mean_min"] == pytest.approx((1 + 25) / 2)
    assert solution.details["unreachable_weight"] == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=instances(max_candidates=5, max_demand=8, max_fixed=1), p=st.integers(1, 3),
       capacity=st.floats(3, 30))
def test_capacitated_mclp_equals_brute_force_lp(data, p, capacity):
    from scipy.optimize import linprog

    cover, fixed, weights = data
    problem = optimize.Problem.from_matrix(to_sparse(cover), weights, fixed=to_sparse(fixed))

    def served(chosen):  # max flow as an LP for a fixed set of open stations
        rows = list(fixed) + [cover[j] for j in chosen]
        edges = [(r, i) for r, row in enumerate(rows) for i in np.flatnonzero(~np.isnan(row))]
        if not edges:
            return 0.0
        c = [-weights[i] for _, i in edges]
        a_ub, b_ub = [], []
        for i in range(len(weights)):
            a_ub.append([1.0 if e[1] == i else 0.0 for e in edges])
            b_ub.append(1.0)
        for r in range(len(rows)):
            a_ub.append([weights[e[1]] if e[0] == r else 0.0 for e in edges])
            b_ub.append(capacity)
        return -linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1)).fun

    n_c = cover.shape[0]
    best = max(served(c) for k in range(0, min(p, n_c) + 1)
               for c in itertools.combinations(range(n_c), k))
    solution = optimize.mclp(problem, p, capacity=capacity)
    assert solution.objective == pytest.approx(best, abs=1e-6)
    assert len(solution.selected) <= p


@settings(max_examples=40, deadline=None)
@given(data=instances(), p=st.integers(1, 5))
def test_adding_a_station_never_lowers_optimal_coverage(data, p):
    cover, fixed, weights = data
    problem = optimize.Problem.from_matrix(to_sparse(cover), weights, fixed=to_sparse(fixed))
    a = optimize.mclp(problem, p, method="exact").objective
    b = optimize.mclp(problem, p + 1, method="exact").objective
    assert b >= a - 1e-9


def test_lscp_with_unreachable_demand_names_how_much():
    cover = sparse.csr_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0]]))  # demand 2: nobody
    problem = optimize.Problem.from_matrix(cover, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(InfeasibleError, match=r"1 demand point\(s\) with weight 3 \(50.0%\)"):
        optimize.lscp(problem, unreachable="error")
    solution = optimize.lscp(problem, unreachable="exclude")
    assert solution.objective == 2 and solution.details["unreachable_weight"] == 3


def test_reduction_merges_identical_demand_and_drops_dominated_sites():
    # sites 0 and 1 identical, site 2 covers a subset of site 3
    dense = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]], dtype=float)
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(dense), np.ones(4))
    solution = optimize.mclp(problem, 2, method="exact")
    stats = solution.details["reduction"]
    assert stats["demand_groups"] == 3
    assert stats["candidates_kept"] == 2 and stats["candidates_dominated"] == 1
    assert solution.objective == 4


def test_coverage_curve_is_monotone_and_starts_at_fixed():
    rng = np.random.default_rng(0)
    dense = (rng.random((30, 200)) < 0.05).astype(float)
    fixed = (rng.random((2, 200)) < 0.05).astype(float)
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(dense), rng.uniform(1, 5, 200),
                                           fixed=sparse.csr_matrix(fixed))
    curve = optimize.coverage_curve(problem, 8)
    shares = [p["covered_share"] for p in curve]
    assert shares == sorted(shares)
    assert curve[0]["covered_weight"] == pytest.approx(problem.covered_weight([]))
    exact = optimize.coverage_curve(problem, 4, method="exact")
    for g, e in zip(curve, exact):
        assert g["covered_weight"] <= e["covered_weight"] + 1e-9


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": np.array([1.0, -1.0])}, "> 0"),
    ({"weights": np.array([1.0])}, "shape"),
])
def test_problem_rejects_bad_inputs(kwargs, message):
    with pytest.raises(InputError, match=message):
        optimize.Problem.from_matrix(sparse.csr_matrix(np.eye(2)), **kwargs)


def test_bad_p_and_method():
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(np.eye(2)))
    with pytest.raises(InputError, match="at least 1"):
        optimize.mclp(problem, 0)
    with pytest.raises(InputError, match="method"):
        optimize.mclp(problem, 1, method="magic")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=instances(max_candidates=8, max_demand=16), p=st.integers(1, 4))
def test_mclp_swap_search_ends_at_a_swap_local_optimum(data, p):
    cover, fixed, weights = data
    problem = optimize.Problem.from_matrix(to_sparse(cover), weights, fixed=to_sparse(fixed))
    solution = optimize.mclp(problem, p, method="greedy")
    chosen = list(solution.selected)
    value = brute_covered(cover, fixed, weights, chosen)
    assert solution.objective == pytest.approx(value)
    for out in range(len(chosen)):
        for new in set(range(cover.shape[0])) - set(chosen):
            trial = chosen[:out] + [new] + chosen[out + 1:]
            assert brute_covered(cover, fixed, weights, trial) <= value + 1e-9
