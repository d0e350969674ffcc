"""Chain contraction keeps every distance between protected nodes (networkx as the judge)."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from planner.data import layers
from planner.engine import traveltime
from planner.engine._contract import contract
from planner.engine._csr import _csr_min, quantize

from test_traveltime import random_points, random_street_graph


def chainy_digraph(seed: int, n: int):
    """Random directed graph rich in chains: paths with one-way pieces, chords, parallel
    arcs, self-loops and a separate cycle."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    rows, cols = [], []
    for a, b in zip(order[:-1], order[1:]):
        kind = rng.integers(0, 4)  # 0: both ways, 1: a->b, 2: b->a, 3: both ways (again)
        if kind != 2:
            rows.append(a); cols.append(b)
        if kind != 1:
            rows.append(b); cols.append(a)
    for _ in range(max(1, n // 8)):
        a, b = rng.choice(n, 2)
        rows.append(a); cols.append(b)  # chords, parallel arcs and self-loops
    rows, cols = np.array(rows), np.array(cols)
    weights = rng.uniform(0.5, 10.0, rows.size)
    weights[rng.random(rows.size) < 0.1] = 0.0  # points exactly at a node
    # coo -> csr sums duplicates; _csr_min keeps the smallest, as the engine does
    csr = _csr_min(rows, cols, quantize(weights), n)
    return csr, rng


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(2, 60), share=st.floats(0.0, 0.6))
def test_distances_between_protected_nodes_equal_networkx(seed, n, share):
    csr, rng = chainy_digraph(seed, n)
    protected = np.flatnonzero(rng.random(n) < share)
    if protected.size == 0:
        protected = rng.choice(n, 1)
    small = contract(csr, protected)
    assert np.all(small.index[protected] >= 0)
    assert np.array_equal(small.index[small.kept], np.arange(small.kept.size))
    got = dijkstra(small.csr, directed=True, indices=small.index[protected])
    got = got[:, small.index[protected]]
    coo = csr.tocoo()
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for a, b, w in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()):
        graph.add_edge(a, b, weight=w)
    for i, s in enumerate(protected.tolist()):
        lengths = nx.single_source_dijkstra_path_length(graph, s)
        want = np.array([lengths.get(t, np.inf) for t in protected.tolist()])
        assert np.array_equal(np.isinf(got[i]), np.isinf(want))
        assert np.allclose(got[i][np.isfinite(want)], want[np.isfinite(want)], rtol=1e-12)


def test_a_street_like_grid_keeps_only_branching_and_protected_nodes():
    # a 5 x 5 grid whose streets are split into 4 pieces: the 3 inner nodes of each
    # street are chain nodes and go; one protected chain node stays
    side, pieces = 5, 4
    rows, cols, nodes = [], [], side * side
    for r in range(side):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < side and c + dc < side:
                    path = [r * side + c] + list(range(nodes, nodes + pieces - 1)) + [
                        (r + dr) * side + c + dc]
                    nodes += pieces - 1
                    for a, b in zip(path[:-1], path[1:]):
                        rows += [a, b]; cols += [b, a]
    csr = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(nodes, nodes)).tocsr()
    protected = np.array([0, side * side])  # a corner and the first chain node
    small = contract(csr, protected)
    # the grid nodes of degree >= 3 (all but the 4 corners), corner 0 and chain node 25
    assert small.kept.size == side * side - 3 + 1
    got = dijkstra(small.csr, indices=small.index[protected])[:, small.index[protected]]
    want = dijkstra(csr, indices=protected)[:, protected]
    assert np.allclose(got, want)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), limit=st.floats(5.0, 400.0),
       mode=st.sampled_from(["walk", "ebike"]), contract_from=st.sampled_from([0, 10**9]))
def test_times_to_each_equals_the_uncontracted_search(seed, limit, mode, contract_from):
    saved = traveltime.CONTRACT_MIN_SOURCES
    traveltime.CONTRACT_MIN_SOURCES = contract_from  # both paths: contracted and not
    try:
        _check_times_to_each(seed, limit, mode)
    finally:
        traveltime.CONTRACT_MIN_SOURCES = saved


def _check_times_to_each(seed, limit, mode):
    net, street = random_street_graph(seed, 40, 20, mode)
    rng = np.random.default_rng(seed)
    graph = traveltime.build(street, {
        "stations": layers.snap(random_points(rng, net, int(rng.integers(1, 12))), street),
        "demand": layers.snap(random_points(rng, net, int(rng.integers(1, 30))), street)})
    sources, targets = graph.door("stations"), graph.door("demand")
    # some stations are targets too (their own time is 0) and one is listed twice
    share = int(rng.integers(0, sources.size + 1))
    targets = np.concatenate([targets, sources[:share]])
    sources = np.concatenate([sources, sources[:1]])
    got = traveltime.times_to_each(graph, sources, targets, limit=limit).toarray()
    full = dijkstra(graph.csr_to, directed=True, indices=sources[sources >= 0], limit=limit)
    want = np.full((sources.size, targets.size), np.inf)
    ok = np.flatnonzero(targets >= 0)
    want[np.ix_(np.flatnonzero(sources >= 0), ok)] = full[:, targets[ok]]
    stored = traveltime.times_to_each(graph, sources, targets, limit=limit)
    pattern = np.zeros(want.shape, dtype=bool)
    coo = stored.tocoo()
    pattern[coo.row, coo.col] = True
    # arc times are whole multiples of QUANTUM_S, so every order of addition gives the
    # same number: the pattern and the values are bit for bit the uncontracted search's
    assert np.array_equal(pattern, want <= limit)
    assert np.array_equal(got[pattern], want[pattern])
