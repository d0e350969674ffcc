"""Exact contraction of a directed search graph at its chain nodes.

A *chain node* has exactly two distinct neighbours (arcs in either direction) and is not
protected (sources and targets are). No shortest path between protected or branching nodes
turns around inside a chain, so every maximal chain ``k1 - v1 - ... - vm - k2`` between kept
nodes can be replaced by the arcs ``k1 -> k2`` and ``k2 -> k1`` with the summed weights of the
chain's arcs in that direction (none where some arc of the chain is missing: a one-way street
or a turned-around one-way pair). Distances between kept nodes are unchanged, so bounded
Dijkstra on the contracted graph gives exactly the same times to the protected nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from planner.engine._csr import _csr_min


@dataclass(frozen=True)
class Contracted:
    """A contracted graph: ``csr`` over the kept nodes, ``kept`` their original indices and
    ``index`` the new index of every original node (-1 where contracted away)."""

    csr: csr_matrix
    kept: np.ndarray
    index: np.ndarray


def contract(csr: csr_matrix, protected: np.ndarray) -> Contracted:
    """Contract the chain nodes of ``csr`` (arc ``i -> j`` of weight ``csr[i, j]``).

    ``protected`` are node indices that must stay nodes. Unprotected dead ends (one
    neighbour or none) are dropped too: no path between other nodes passes through them.
    Rounds repeat while they remove nodes (a dropped dead end can leave a new chain).
    Self-loops are dropped (they never shorten a path); parallel arcs keep their smallest
    weight.
    """
    n = csr.shape[0]
    kept = np.arange(n)
    protected = np.unique(np.asarray(protected, dtype=np.int64))
    while True:
        csr, kept_now, index_now = _contract_once(csr, protected)
        done = kept_now.size == kept.size
        kept = kept[kept_now]
        protected = index_now[protected]
        if done:
            break
    index = np.full(n, -1, dtype=np.int64)
    index[kept] = np.arange(kept.size)
    return Contracted(csr=csr, kept=kept, index=index)


def _contract_once(csr: csr_matrix, protected: np.ndarray):
    """One round: chains replaced by arcs, unprotected dead ends dropped."""
    n = csr.shape[0]
    coo = csr.tocoo()
    r, c, w = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
    loop = r == c
    r, c, w = r[~loop], c[~loop], w[~loop]
    # undirected edges a < b with the weight of each direction (inf where there is no arc)
    lo, hi = np.minimum(r, c), np.maximum(r, c)
    key = lo * n + hi
    edges, inverse = np.unique(key, return_inverse=True)
    a, b = edges // n, edges % n
    w_ab = np.full(edges.size, np.inf)
    w_ba = np.full(edges.size, np.inf)
    np.minimum.at(w_ab, inverse[r < c], w[r < c])
    np.minimum.at(w_ba, inverse[r > c], w[r > c])
    degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    keep = degree > 2
    keep[protected] = True
    chain = (degree == 2) & ~keep
    # half-edges tail -> head, sorted by tail; twin[h] is head -> tail
    m = edges.size
    tail = np.concatenate([a, b])
    head = np.concatenate([b, a])
    weight = np.concatenate([w_ab, w_ba])
    twin = np.concatenate([np.arange(m, 2 * m), np.arange(m)])
    order = np.argsort(tail, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    tail, head, weight, twin = tail[order], head[order], weight[order], rank[twin[order]]
    first = np.searchsorted(tail, np.arange(n))
    # next half-edge along a chain: out of the head, the one not going back
    nxt = np.full(tail.size, -1, dtype=np.int64)
    through = chain[head]
    h = np.flatnonzero(through)
    start = first[head[h]]
    nxt[h] = np.where(twin[h] == start, start + 1, start)
    end = np.arange(tail.size)
    total = weight.copy()
    todo = np.flatnonzero(keep[tail] & through)  # chains leaving a kept node
    while todo.size:  # pointer doubling: about log2(longest chain) rounds
        live = np.flatnonzero(nxt >= 0)
        j = nxt[live]
        total[live] += total[j]
        end[live] = end[j]
        nxt[live] = nxt[j]
        todo = todo[nxt[todo] >= 0]
    starts = np.flatnonzero(keep[tail])
    src, dst, cost = tail[starts], head[end[starts]], total[starts]
    index = np.full(n, -1, dtype=np.int64)
    kept = np.flatnonzero(keep)
    index[kept] = np.arange(kept.size)
    ok = np.isfinite(cost) & (src != dst) & (index[dst] >= 0)
    return _csr_min(index[src[ok]], index[dst[ok]], cost[ok], kept.size), kept, index
