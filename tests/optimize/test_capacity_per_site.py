"""Capacitated MCLP with a capacity per site (candidates and fixed stations) against brute
force: every plan of at most p candidates, its served weight a max flow (networkx)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from planner import optimize
from planner.errors import InputError


@st.composite
def instances(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    n_c, n_d, n_f = draw(st.integers(1, 5)), draw(st.integers(1, 8)), draw(st.integers(0, 2))
    density = draw(st.floats(0.1, 0.7))
    cover = rng.random((n_c, n_d)) < density
    fixed = rng.random((n_f, n_d)) < density / 2
    weights = rng.integers(1, 10, n_d).astype(float)
    caps = rng.choice([0.5, 2.0, 5.0, 12.0, 40.0], n_c)
    fixed_caps = rng.choice([1.0, 6.0, 25.0], n_f)
    return cover, fixed, weights, caps, fixed_caps


def served(rows, caps, weights) -> float:
    """Most demand weight the open rows serve, demand splittable: a max flow."""
    graph = nx.DiGraph()
    for r, (row, cap) in enumerate(zip(rows, caps)):
        graph.add_edge(("s", r), "sink", capacity=float(cap))
        for i in np.flatnonzero(row):
            graph.add_edge(("d", i), ("s", r), capacity=float(weights[i]))
    for i, w in enumerate(weights):
        graph.add_edge("source", ("d", i), capacity=float(w))
    if "sink" not in graph:
        return 0.0
    return float(nx.maximum_flow_value(graph, "source", "sink"))


def as_csr(mask, n_d):
    return sparse.csr_matrix(mask.astype(float)) if mask.size else sparse.csr_matrix((0, n_d))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=instances(), p=st.integers(1, 3))
def test_per_site_capacities_equal_brute_force_max_flow(data, p):
    cover, fixed, weights, caps, fixed_caps = data
    n_d = weights.size
    problem = optimize.Problem.from_matrix(as_csr(cover, n_d), weights,
                                           fixed=as_csr(fixed, n_d))
    best = max(served(list(fixed) + [cover[j] for j in chosen],
                      list(fixed_caps) + [caps[j] for j in chosen], weights)
               for k in range(min(p, len(cover)) + 1)
               for chosen in itertools.combinations(range(len(cover)), k))
    solution = optimize.mclp(problem, p, capacity=caps, fixed_capacity=fixed_caps)
    assert solution.objective == pytest.approx(best, abs=1e-6)
    assert solution.proven_optimal and len(solution.selected) <= p
    # the plan it returns serves that much (fixed stations stay open)
    chosen = list(solution.selected)
    assert served(list(fixed) + [cover[j] for j in chosen],
                  list(fixed_caps) + [caps[j] for j in chosen], weights) == pytest.approx(
        best, abs=1e-6)


def test_per_site_capacities_are_checked():
    problem = optimize.Problem.from_matrix(sparse.csr_matrix(np.eye(2)), np.ones(2),
                                           fixed=sparse.csr_matrix(np.array([[1.0, 0.0]])))
    with pytest.raises(InputError, match="fixed_capacity"):
        optimize.mclp(problem, 1, capacity=[1.0, 2.0])
    with pytest.raises(InputError, match="3 values; expected 2"):
        optimize.mclp(problem, 1, capacity=[1.0, 2.0, 3.0], fixed_capacity=1.0)
    with pytest.raises(InputError, match="positive"):
        optimize.mclp(problem, 1, capacity=[1.0, 0.0], fixed_capacity=1.0)
    same = optimize.mclp(problem, 1, capacity=[5.0, 5.0], fixed_capacity=[5.0])
    assert same.objective == optimize.mclp(problem, 1, capacity=5.0).objective == 2.0
