"""Gap areas link places within link_m: the grid method gives the partition of all pairs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from planner.analysis.coverage import link_labels


def _pairs_labels(xy, link_m):
    pairs = cKDTree(xy).query_pairs(r=link_m, output_type="ndarray")
    n = len(xy)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _same_partition(a, b) -> bool:
    both = np.unique(np.column_stack([a, b]), axis=0)
    return len(np.unique(a)) == len(np.unique(b)) == len(both)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 800),
       scale=st.sampled_from([300.0, 3_000.0, 30_000.0]), lattice=st.booleans(),
       link_m=st.sampled_from([100.0, 400.0]))
def test_same_partition_as_all_pairs(seed, n, scale, lattice, link_m):
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * scale + [440_000.0, 4_400_000.0]
    if lattice:  # many pairs exactly link_m apart
        xy = np.round(xy / (link_m / 4)) * (link_m / 4)
    assert _same_partition(link_labels(xy, link_m), _pairs_labels(xy, link_m))
