"""The 1+N hub model: HiGHS against brute force on small random cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from planner.errors import InputError
from planner.optimize.hub import HubProblem, brute_force_hub, solve_hub


@st.composite
def hub_cases(draw):
    n_sites = draw(st.integers(1, 7))
    n_demand = draw(st.integers(1, 9))
    n_hubs = draw(st.integers(1, 3))
    cover = np.array(draw(st.lists(st.booleans(), min_size=n_sites * n_demand,
                                   max_size=n_sites * n_demand))).reshape(n_sites, n_demand)
    link = np.array(draw(st.lists(st.booleans(), min_size=n_hubs * n_sites,
                                  max_size=n_hubs * n_sites))).reshape(n_hubs, n_sites)
    hub_cover = np.array(draw(st.lists(st.booleans(), min_size=n_hubs * n_demand,
                                       max_size=n_hubs * n_demand))).reshape(n_hubs, n_demand)
    hub_site = np.array([draw(st.integers(-1, n_sites - 1)) for _ in range(n_hubs)])
    weights = np.array(draw(st.lists(st.integers(1, 9), min_size=n_demand, max_size=n_demand)),
                       dtype=float)
    fixed = np.array(draw(st.lists(st.booleans(), min_size=n_demand, max_size=n_demand)))
    k = draw(st.integers(0, 4))
    with_hub_cover = draw(st.booleans())
    problem = HubProblem.from_matrix(cover, link, hub_cover=hub_cover if with_hub_cover else None,
                                     hub_site=hub_site, weights=weights, fixed=fixed)
    return problem, k


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hub_cases())
def test_exact_model_matches_brute_force(case):
    problem, k = case
    best, _, _ = brute_force_hub(problem, k)
    solution = solve_hub(problem, k)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(best)
    assert problem.feasible(solution.hub, solution.satellites)
    assert len(solution.satellites) <= k
    assert problem.value(solution.hub, solution.satellites) == pytest.approx(solution.objective)


def test_satellites_must_lie_within_reach_of_the_hub():
    # sites 0, 1 cover a lot but only hub 1 reaches them; hub 0 reaches site 2 only
    cover = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0]])
    link = np.array([[0, 0, 1], [1, 1, 0]])
    problem = HubProblem.from_matrix(cover, link, weights=[1, 1, 1, 1])
    solution = solve_hub(problem, 2)
    assert solution.hub == 1 and set(solution.satellites) == {0, 1}
    assert solution.objective == 4
    # a fixed hub (one row): only its satellites
    fixed_hub = HubProblem.from_matrix(cover, link[:1], weights=[1, 1, 1, 1])
    assert solve_hub(fixed_hub, 2).satellites == (2,)


def test_a_place_is_not_both_hub_and_satellite():
    cover = np.array([[1, 0], [0, 1]])
    link = np.array([[1, 1]])
    problem = HubProblem.from_matrix(cover, link, hub_cover=np.array([[1, 0]]), hub_site=[0],
                                     weights=[1, 5])
    solution = solve_hub(problem, 2)
    assert 0 not in solution.satellites and solution.objective == 6


def test_satellites_are_ordered_by_what_they_add():
    cover = sparse.csr_matrix(np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]]))
    problem = HubProblem.from_matrix(cover, np.ones((1, 3)), weights=[1, 4, 4])
    solution = solve_hub(problem, 2)
    assert solution.satellites[0] == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": [1, -1]}, "weights"),
    ({"fixed": [True]}, "fixed"),
    ({"hub_site": [5]}, "hub_site"),
])
def test_bad_inputs_are_input_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        HubProblem.from_matrix(np.ones((2, 2)), np.ones((1, 2)), **kwargs)
    with pytest.raises(InputError, match="no site can host"):
        HubProblem.from_matrix(np.ones((2, 2)), np.ones((0, 2)))
    with pytest.raises(InputError, match="k="):
        solve_hub(HubProblem.from_matrix(np.ones((2, 2)), np.ones((1, 2))), -1)
