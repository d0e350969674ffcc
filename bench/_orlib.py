"""Read Beasley's OR-Library p-median files (format in bench/data/orlib/README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

HERE = Path(__file__).resolve().parent
FOLDERS = (HERE / "data" / "orlib", HERE.parent / "tests" / "data" / "orlib")
#: Beasley (1985) / OR-Library: published optima of the 40 instances
OPTIMA = {1: 5819, 2: 4093, 3: 4250, 4: 3034, 5: 1355, 6: 7824, 7: 5631, 8: 4445, 9: 2734,
          10: 1255, 11: 7696, 12: 6634, 13: 4374, 14: 2968, 15: 1729, 16: 8162, 17: 6999,
          18: 4809, 19: 2845, 20: 1789, 21: 9138, 22: 8579, 23: 4619, 24: 2961, 25: 1828,
          26: 9917, 27: 8307, 28: 4498, 29: 3033, 30: 1989, 31: 10086, 32: 9297, 33: 4700,
          34: 3013, 35: 10400, 36: 9934, 37: 5057, 38: 11060, 39: 9423, 40: 5128}


def read(path: Path) -> tuple[np.ndarray, int]:
    """All-pairs shortest-path matrix (n x n) and p; the last cost of a repeated edge counts."""
    numbers = path.read_text().split()
    n, m, p = (int(x) for x in numbers[:3])
    edges = np.asarray(numbers[3:3 + 3 * m], dtype=np.int64).reshape(m, 3)
    cost: dict[tuple[int, int], int] = {}
    for i, j, c in edges.tolist():
        cost[(min(i, j) - 1, max(i, j) - 1)] = c
    keys = np.array(list(cost.keys()), dtype=np.int64).reshape(-1, 2)
    values = np.array(list(cost.values()), dtype=np.float64)
    graph = sparse.csr_matrix((values, (keys[:, 0], keys[:, 1])), shape=(n, n))
    return shortest_path(graph, directed=False), p


def available() -> list[tuple[int, Path]]:
    found = {}
    for folder in FOLDERS:
        for path in folder.glob("pmed*.txt"):
            found[int(path.stem[4:])] = path
    return sorted(found.items())


def full_matrix(d: np.ndarray) -> sparse.csr_matrix:
    """Every pair stored (explicit zeros included: a node serves itself in 0)."""
    n, m = d.shape
    rows, cols = np.divmod(np.arange(n * m), m)
    return sparse.csr_matrix((d.ravel(), (rows, cols)), shape=(n, m))
