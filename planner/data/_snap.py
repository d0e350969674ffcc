"""Nearest street segment of many points: a KD-tree of points sampled along the segments.

Internal to :mod:`planner.data.layers`. Every segment is sampled at the middles of equal
parts no longer than :data:`SPACING_M`, so any point of a segment lies within ``half`` (at
most half the spacing) of one of its samples. For a point, the ``k`` nearest samples give
candidate segments whose exact distances are computed in numpy; the answer is final once
the ``k``-th sample is farther than the best distance plus ``half`` (no other segment can be
closer), otherwise ``k`` grows for that point. Memory is a few arrays per sample (about 40
bytes), not a geometry object per segment.
"""

from __future__ import annotations

import weakref

import numpy as np
from scipy.spatial import cKDTree

#: Longest stretch of a segment between two samples of the index (m).
SPACING_M = 25.0
_FIRST_K = 8


class SegmentIndex:
    """The sample tree of one street graph's segments ``u -> v`` (node coordinates ``x, y``;
    the arrays are referenced, not copied)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray):
        self.x, self.y, self.u, self.v = x, y, u, v
        ax, ay, bx, by = x[u], y[u], x[v], y[v]
        length = np.hypot(bx - ax, by - ay)
        count = np.maximum(1, np.ceil(length / SPACING_M)).astype(np.int64)
        self.half = float((length / (2 * count)).max()) if length.size else 0.0
        seg = np.repeat(np.arange(length.size, dtype=np.int64), count)
        step = np.arange(seg.size) - np.repeat(np.cumsum(count) - count, count)
        t = (step + 0.5) / count[seg]
        xy = np.column_stack([ax[seg] + t * (bx - ax)[seg], ay[seg] + t * (by - ay)[seg]])
        del ax, ay, bx, by, step, t
        self.seg_of = seg.astype(np.int32 if length.size < 2**31 else np.int64)
        self.tree = cKDTree(xy, leafsize=32, balanced_tree=False, compact_nodes=False) \
            if seg.size else None

    def project(self, seg: np.ndarray, px: np.ndarray, py: np.ndarray):
        """Exact distance from each point to its segment and the position along it (0..1)."""
        a, b = self.u[seg], self.v[seg]
        ax, ay = self.x[a], self.y[a]
        dx, dy = self.x[b] - ax, self.y[b] - ay
        norm = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(norm > 0, ((px - ax) * dx + (py - ay) * dy) / norm, 0.0)
        t = np.clip(np.nan_to_num(t), 0.0, 1.0)
        return np.hypot(px - (ax + t * dx), py - (ay + t * dy)), t

    def nearest(self, xy: np.ndarray, limit: float, allowed: np.ndarray | None = None,
                chunk: int = 50_000):
        """``(segment, distance)`` of the nearest (allowed) segment within ``limit`` of each
        point; -1 / inf where there is none."""
        n = xy.shape[0]
        segment = np.full(n, -1, dtype=np.int64)
        distance = np.full(n, np.inf)
        if self.tree is None or n == 0:
            return segment, distance
        # nearby points one after another: the tree's nodes stay in cache (~5x faster)
        order = spatial_order(xy)
        for start in range(0, n, chunk):  # bounded memory for millions of points
            part = order[start:start + chunk]
            segment[part], distance[part] = self._nearest(xy[part], limit, allowed)
        return segment, distance

    def _nearest(self, xy, limit, allowed):
        n = xy.shape[0]
        segment = np.full(n, -1, dtype=np.int64)
        distance = np.full(n, np.inf)
        todo = np.arange(n)
        k = _FIRST_K
        bound = limit + self.half
        while todo.size:
            k = min(k, self.seg_of.size)
            dist, idx = self.tree.query(xy[todo], k=k, distance_upper_bound=bound)
            dist, idx = dist.reshape(todo.size, k), idx.reshape(todo.size, k)
            found = np.isfinite(dist)
            seg = np.where(found, self.seg_of[np.minimum(idx, self.seg_of.size - 1)], 0)
            exact, _ = self.project(seg, xy[todo, 0:1], xy[todo, 1:2])
            ok = found & (exact <= limit)
            if allowed is not None:
                ok &= allowed[seg]
            exact = np.where(ok, exact, np.inf)
            pick = np.argmin(exact, axis=1)
            rows = np.arange(todo.size)
            best = exact[rows, pick]
            # final when no sample was left out, or the k-th is beyond any closer segment
            done = ~found[:, -1] | (dist[:, -1] > np.minimum(best, limit) + self.half)
            done |= k >= self.seg_of.size
            hit = done & np.isfinite(best)
            segment[todo[hit]] = seg[rows, pick][hit]
            distance[todo[hit]] = best[hit]
            todo = todo[~done]
            k *= 4
        return segment, distance


def spatial_order(xy: np.ndarray, cell_m: float = 100.0) -> np.ndarray:
    """An order of the points along a Z-curve of ``cell_m`` cells (nearby points close
    together), for cache-friendly tree queries."""
    if xy.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    q = np.clip((xy - xy.min(axis=0)) // cell_m, 0, 2**20 - 1).astype(np.int64)

    def spread(v: np.ndarray) -> np.ndarray:  # bits b -> 2b
        v = (v | (v << 16)) & 0x0000FFFF0000FFFF
        v = (v | (v << 8)) & 0x00FF00FF00FF00FF
        v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
        v = (v | (v << 2)) & 0x3333333333333333
        return (v | (v << 1)) & 0x5555555555555555

    return np.argsort(spread(q[:, 0]) | (spread(q[:, 1]) << 1), kind="stable")


_indexes: "weakref.WeakKeyDictionary[object, SegmentIndex]" = weakref.WeakKeyDictionary()


def index_of(graph) -> SegmentIndex:
    """The segment index of a street graph, built once per graph."""
    index = _indexes.get(graph)
    if index is None:
        index = _indexes[graph] = SegmentIndex(graph.node_x, graph.node_y, graph.seg_u,
                                               graph.seg_v)
    return index
