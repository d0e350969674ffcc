"""Sparse arc matrices of the travel-time engine, with exactly summable arc times."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix

#: Arc times are whole multiples of this (2**-30 s, about 1 ns): sums of them below 2**22 s
#: (48 days) are exact in float64, so a path's time is the same number whatever the order
#: of addition (a Dijkstra from either end, a contracted chain, a leg added afterwards).
QUANTUM_S = 2.0**-30


def quantize(seconds: np.ndarray) -> np.ndarray:
    """Arc times rounded to whole multiples of :data:`QUANTUM_S`, at least one (never 0)."""
    steps = np.rint(np.asarray(seconds, dtype=np.float64) / QUANTUM_S)
    return np.maximum(steps, 1.0) * QUANTUM_S


def _csr_min(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n: int) -> csr_matrix:
    """CSR matrix keeping the smallest weight of parallel arcs (explicit zeros kept)."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.size and weights.min() > 0:
        # without parallel arcs, scipy's counting sort (linear) gives the answer at once
        fast = coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
        if fast.nnz == weights.size:
            fast.sort_indices()
            return fast
    key = rows.astype(np.int64) * n + cols  # one sort key: rows, then columns
    order = np.argsort(key)
    key, weights = key[order], weights[order]
    keep = np.ones(key.size, dtype=bool)
    keep[1:] = key[1:] != key[:-1]
    if not keep.all():  # parallel arcs: the smallest weight
        weights = np.minimum.reduceat(weights, np.flatnonzero(keep))
    rows, cols = rows[order][keep], cols[order][keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    index_dtype = np.int32 if max(n, rows.size) < 2**31 else np.int64
    return csr_matrix(
        (weights.astype(np.float64), cols.astype(index_dtype), indptr.astype(index_dtype)),
        shape=(n, n),
    )
