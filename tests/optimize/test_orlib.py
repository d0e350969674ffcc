"""OR-Library p-median instances (Beasley 1985/1990) against their published optima."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

from planner import optimize

DATA = Path(__file__).resolve().parents[1] / "data" / "orlib"
PUBLISHED = {"pmed1": 5819, "pmed5": 1355}  # tests/data/orlib/README.md


def read(name: str):
    numbers = (DATA / f"{name}.txt").read_text().split()
    n, m, p = (int(x) for x in numbers[:3])
    cost = {}
    for i, j, c in np.asarray(numbers[3:3 + 3 * m], dtype=np.int64).reshape(m, 3).tolist():
        cost[(min(i, j) - 1, max(i, j) - 1)] = c  # the last cost of a repeated edge counts
    keys = np.array(list(cost), dtype=np.int64)
    graph = sparse.csr_matrix((np.array(list(cost.values()), dtype=float),
                               (keys[:, 0], keys[:, 1])), shape=(n, n))
    d = shortest_path(graph, directed=False)
    rows, cols = np.divmod(np.arange(n * n), n)
    return sparse.csr_matrix((d.ravel(), (rows, cols)), shape=(n, n)), p


@pytest.mark.parametrize("name", sorted(PUBLISHED))
@pytest.mark.parametrize("method", ["greedy", "auto"])
def test_pmedian_reaches_the_published_optimum_with_a_proof(name, method):
    matrix, p = read(name)
    problem = optimize.Problem.from_matrix(matrix, np.ones(matrix.shape[1]))
    solution = optimize.pmedian(problem, p, method=method, time_limit=30)
    assert len(solution.selected) == p
    assert solution.objective == PUBLISHED[name]
    assert solution.bound <= PUBLISHED[name]  # a true lower bound
    assert solution.status == "optimal" and solution.gap == 0
    # the objective is the sum of distances to the nearest chosen median, recomputed here
    dense = matrix.toarray()
    assert dense[list(solution.selected)].min(axis=0).sum() == PUBLISHED[name]
    assert "optimal" in solution.headline()


def test_mclp_on_an_orlib_graph_matches_an_independent_lp_solver():
    """MCLP with a coverage radius on pmed1's graph against scipy's own MILP interface."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    matrix, _ = read("pmed1")
    dense = matrix.toarray()
    radius = np.percentile(dense, 10)
    a = (dense <= radius).astype(float)  # candidates x places
    n = a.shape[0]
    p = 4
    # variables: x (n sites), y (n places); max sum y; y_j <= sum_i a_ij x_i; sum x = p
    c = np.concatenate([np.zeros(n), -np.ones(n)])
    cover = LinearConstraint(np.hstack([-a.T, np.eye(n)]), -np.inf, 0)
    count = LinearConstraint(np.concatenate([np.ones(n), np.zeros(n)])[None, :], p, p)
    ref = milp(c, constraints=[cover, count], integrality=np.concatenate(
        [np.ones(n), np.zeros(n)]), bounds=Bounds(0, 1))
    covered = sparse.csr_matrix(np.where(a > 0, 1.0, 0.0))
    problem = optimize.Problem.from_matrix(covered, np.ones(n))
    exact = optimize.mclp(problem, p, method="exact")
    heuristic = optimize.mclp(problem, p, method="greedy")
    assert exact.objective == pytest.approx(-ref.fun)
    assert heuristic.bound >= -ref.fun - 1e-6 and heuristic.objective <= -ref.fun + 1e-6
