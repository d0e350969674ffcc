"""Pieces of the coverage stage that work on arrays only: JSON rows, gap links, progress."""

from __future__ import annotations

import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = ["link_labels", "records", "counter"]


def records(frame: gpd.GeoDataFrame) -> list[dict]:
    """Rows of a frame as JSON-ready dicts (``lon``/``lat`` of a representative point),
    built from its column arrays: NaN and infinities become None, numpy scalars Python ones."""
    columns = {}
    for name in frame.columns:
        if name == frame.geometry.name:
            continue
        values = frame[name].to_numpy()
        if values.dtype.kind == "f":
            values = np.where(np.isfinite(values), values, np.nan).astype(object)
            values[pd.isna(values)] = None
        elif values.dtype.kind in "mM":
            values = frame[name].astype(str).to_numpy()
        columns[name] = values.tolist()
    points = frame.geometry.to_numpy()
    is_point = shapely.get_type_id(points) == 0
    if not is_point.all():
        points = np.where(is_point, points, shapely.point_on_surface(points))
    xy = np.full((len(frame), 2), np.nan)
    ok = ~shapely.is_empty(points) if len(frame) else np.zeros(0, dtype=bool)
    xy[ok] = np.round(shapely.get_coordinates(points[ok]), 6)
    xy = np.where(np.isfinite(xy), xy, None)
    columns["lon"], columns["lat"] = xy[:, 0].tolist(), xy[:, 1].tolist()
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())]


def counter(say: Callable[[str], None], what: str, total: int, every_s: float = 1.0):
    """A ``progress(k)`` callback that tells ``say`` "what: done/total", at most once per
    ``every_s`` seconds and at the end."""
    state = {"done": 0, "told": time.perf_counter()}

    def advance(count: int) -> None:
        state["done"] += int(count)
        now = time.perf_counter()
        if state["done"] >= total or now - state["told"] >= every_s:
            state["told"] = now
            say(f"{what}: {min(state['done'], total)}/{total}")

    return advance


def link_labels(xy: np.ndarray, link_m: float) -> np.ndarray:
    """Connected components of the points when points at most ``link_m`` apart are linked
    (the same partition as all pairs within ``link_m``), without listing those pairs.

    Points share a square cell of side ``link_m / sqrt(2)``: any two in one cell are
    linked. Two nearby cells are linked when some point of one has a point of the other
    within ``link_m``: one nearest-neighbour query per point and neighbour cell, in a
    KD-tree whose third axis keeps cells apart. Memory stays linear in the points.
    """
    n = xy.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    from planner.data._snap import spatial_order

    order = spatial_order(xy, link_m)  # nearby points together: cache-friendly tree queries
    label = np.empty(n, dtype=np.int64)
    label[order] = _link_labels(xy[order], link_m)
    return label


def _link_labels(xy: np.ndarray, link_m: float) -> np.ndarray:
    side = link_m / np.sqrt(2)
    cell = np.floor((xy - xy.min(axis=0)) / side).astype(np.int64) + 2
    width = int(cell[:, 1].max()) + 3
    key = cell[:, 0] * width + cell[:, 1]
    cells, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.ravel()
    # points grouped by cell: per-cell steps become segment reductions, not sorts
    by_cell = np.argsort(inverse, kind="stable")
    xy, cell, inverse = xy[by_cell], cell[by_cell], inverse[by_cell]
    apart = 10.0 * link_m + 1.0
    tree = cKDTree(np.column_stack([xy, inverse * apart]))
    grid = (xy, cell, inverse, cells, side, xy.min(axis=0))
    rows, cols = [np.arange(cells.size)], [np.arange(cells.size)]
    for dx in range(0, 3):
        for dy in range(-2, 3):
            if dx == 0 and dy <= 0:
                continue  # each pair of cells once
            pos_c = np.minimum(np.searchsorted(cells, cells + dx * width + dy), cells.size - 1)
            pos_c = np.where(cells[pos_c] == cells + dx * width + dy, pos_c, -1)
            for a, b in _linked_cells(grid, tree, apart, link_m, (dx, dy), pos_c):
                rows.append(a)
                cols.append(b)
    graph = coo_matrix((np.ones(sum(r.size for r in rows)),
                        (np.concatenate(rows), np.concatenate(cols))),
                       shape=(cells.size, cells.size)).tocsr()
    _, cell_label = connected_components(graph, directed=False)
    label = np.empty(inverse.size, dtype=np.int64)
    label[by_cell] = cell_label[inverse]
    return label


def _linked_cells(grid, tree, apart: float, link_m: float, step, pos_c):
    """Pairs (cell, its neighbour cell ``step`` away) with two points within ``link_m``:
    first the point of each cell nearest the other square is asked, then the other points
    near it, for the cells not linked yet."""
    xy, cell, inverse, cells, side, lowest = grid
    ask = np.flatnonzero(pos_c[inverse] >= 0)  # sorted by cell
    pos = pos_c[inverse[ask]]
    # only points within link_m of the other cell's square can link to it
    low = (cell[ask] + list(step) - 2) * side + lowest
    gap = np.maximum(np.maximum(low - xy[ask], xy[ask] - (low + side)), 0.0)
    near = np.hypot(gap[:, 0], gap[:, 1])
    keep = near <= link_m
    ask, near, pos = ask[keep], near[keep], pos[keep]
    if ask.size == 0:
        return
    group = inverse[ask]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lowest_near = np.repeat(np.minimum.reduceat(near, starts), np.diff(np.r_[starts, near.size]))
    at_min = np.flatnonzero(near == lowest_near)
    first = np.zeros(ask.size, dtype=bool)
    first[at_min[np.r_[True, group[at_min][1:] != group[at_min][:-1]]]] = True
    linked = np.zeros(cells.size, dtype=bool)
    bound = np.nextafter(link_m, np.inf)  # pairs at exactly link_m are linked too
    for chosen in (first, ~first):
        batch, where = ask[chosen], pos[chosen]
        fresh = ~linked[inverse[batch]]
        batch, where = batch[fresh], where[fresh]
        if batch.size == 0:
            continue
        dist, _ = tree.query(np.column_stack([xy[batch], where * apart]), k=1,
                             distance_upper_bound=bound)
        hit = np.isfinite(dist)
        linked[inverse[batch[hit]]] = True
        yield inverse[batch[hit]], where[hit]
