"""Isochrones: the streets from which a station is reached within a time, as polygons.

Exact along edges: a street piece is covered up to the point where the remaining time runs
out (partial edges), then the covered street lines are buffered and dissolved. No convex
hulls, so a river or a railway without crossings shows as a gap. The access legs of the
points in the travel graph (the walk between a place and its street) are drawn like streets,
at walking speed, so every place counted as covered lies inside the outline of its threshold.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from planner import _validate
from planner.engine import _isocache, _raster
from planner.engine.traveltime import TravelGraph, _searches

__all__ = ["covered_lines", "polygons", "threshold_polygons", "station_isochrones",
           "station_catchments", "service_area"]

#: Default half-width (m) of the street corridor drawn around covered streets.
BUFFER_M = 40.0
#: "auto" cost model (seconds, measured on the Heidelberg extract, walk and e-bike): the
#: vector method costs about VECTOR_S_PER_PIECE per covered piece and threshold (buffer +
#: union), the raster method RASTER_S_FIXED plus RASTER_S_PER_CELL per cell and
#: RASTER_S_PER_SAMPLE per sample; auto takes the cheaper one.
VECTOR_S_PER_PIECE = 1e-4
RASTER_S_FIXED = 2e-3
RASTER_S_PER_CELL = 3e-7
RASTER_S_PER_SAMPLE = 3e-7
#: Largest raster (cells) the raster method builds; the cell grows to stay under it.
MAX_CELLS = 6_000_000
#: Largest raster of one station's outline when many stations are drawn: the cell grows
#: (up to half the buffer) to stay under it.
STATION_CELLS = 150_000

_piece_cache: "weakref.WeakKeyDictionary[TravelGraph, tuple]" = weakref.WeakKeyDictionary()


def _pieces(graph: TravelGraph):
    """Street pieces and access legs: ends, coordinates and seconds each way.

    Returns ``(a, b, ab_s, ba_s, leg, x, y)`` with ``leg`` marking the access legs and
    ``x``/``y`` the coordinates of every node (street, snap and door nodes); built once per
    travel graph.
    """
    cached = _piece_cache.get(graph)
    if cached is None:
        cached = _piece_cache[graph] = _build_pieces(graph)
    return cached


def _build_pieces(graph: TravelGraph):
    n = graph.street.n_nodes
    p = graph.door_x.size
    x = np.concatenate([graph.node_x, graph.door_x])
    y = np.concatenate([graph.node_y, graph.door_y])
    snap = n + np.arange(p)
    door = snap + p
    leg_s = np.hypot(x[door] - x[snap], y[door] - y[snap]) / graph.street.travel.access_ms
    leg = np.zeros(graph.piece_a.size + p, dtype=bool)
    leg[graph.piece_a.size:] = True
    return (np.concatenate([graph.piece_a, snap]), np.concatenate([graph.piece_b, door]),
            np.concatenate([graph.piece_ab_s, leg_s]), np.concatenate([graph.piece_ba_s, leg_s]),
            leg, x, y)


def covered_lines(graph: TravelGraph, seconds: np.ndarray, limit_s: float) -> np.ndarray:
    """Covered street pieces and access legs as an array of shapely LineStrings (network CRS).

    ``seconds`` holds each node's time to the nearest source; a point inside a piece is
    covered when it can reach one of the piece's ends and then the source within
    ``limit_s``, moving only in directions the mode allows. A covered door node's access
    leg is covered whole, so the place itself is on a covered line.
    """
    a, b, ab_s, ba_s, leg, x, y = _pieces(graph)
    return shapely.linestrings(_covered_coords(x[a], y[a], x[b], y[b], seconds[a], seconds[b],
                                               ab_s, ba_s, leg, limit_s))


def _covered_coords(ax, ay, bx, by, tau_a, tau_b, ab_s, ba_s, leg, limit_s) -> np.ndarray:
    """(k, 2, 2) ends of the covered parts of the given pieces (see :func:`covered_lines`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        # Going from inside the piece to end a means travelling b -> a (and vice versa).
        reach_a = np.where(tau_a <= limit_s, (limit_s - tau_a) / ba_s, 0.0)
        reach_b = np.where(tau_b <= limit_s, (limit_s - tau_b) / ab_s, 0.0)
    reach_a = np.clip(np.nan_to_num(reach_a, nan=1.0), 0.0, 1.0)
    reach_b = np.clip(np.nan_to_num(reach_b, nan=1.0), 0.0, 1.0)
    whole = (reach_a + reach_b >= 1.0) | (leg & (tau_b <= limit_s))  # covered doors
    # a reached end is drawn even where no street leads into it (a zero-length piece)
    part_a = np.flatnonzero(~whole & (tau_a <= limit_s))
    part_b = np.flatnonzero(~whole & (tau_b <= limit_s))
    full = np.flatnonzero(whole)
    idx = np.concatenate([full, part_a, part_b])
    s0 = np.concatenate([np.zeros(full.size), np.zeros(part_a.size), 1.0 - reach_b[part_b]])
    s1 = np.concatenate([np.ones(full.size), reach_a[part_a], np.ones(part_b.size)])
    coords = np.empty((idx.size, 2, 2))
    dx, dy = bx[idx] - ax[idx], by[idx] - ay[idx]
    coords[:, 0, 0] = ax[idx] + dx * s0
    coords[:, 0, 1] = ay[idx] + dy * s0
    coords[:, 1, 0] = ax[idx] + dx * s1
    coords[:, 1, 1] = ay[idx] + dy * s1
    return coords


def polygons(lines: np.ndarray, *, buffer_m: float = BUFFER_M):
    """One dissolved polygon around covered street lines (empty polygon if none)."""
    if lines.size == 0:
        return shapely.Polygon()
    # Buffering each piece and unioning is ~20x faster than buffering one multilinestring.
    area = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=3))
    return shapely.simplify(area, buffer_m / 4, preserve_topology=True)


def threshold_polygons(
    graph: TravelGraph, seconds: np.ndarray, minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M, method: str = "auto", cell_m: float | None = None,
) -> list:
    """One polygon per threshold around the streets covered within it.

    ``vector`` buffers the exact covered street pieces and dissolves them (GEOS). ``raster``
    samples the same pieces every half cell with their exact times, takes the smallest time
    within ``buffer_m`` of each cell (a disc minimum filter) and traces every threshold's
    outline in one pass (contourpy): outlines agree with ``vector`` to about one cell
    (default a quarter of the buffer). ``auto`` estimates both costs and takes the cheaper.
    """
    if method not in ("auto", "vector", "raster"):
        raise ValueError(f"method={method!r}: use auto, vector or raster")
    a, b, ab_s, ba_s, leg, x, y = _pieces(graph)
    return _outlines((x[a], y[a], x[b], y[b], seconds[a], seconds[b], ab_s, ba_s, leg),
                     minutes, buffer_m=buffer_m, method=method,
                     cell_m=cell_m or buffer_m / 4, max_cells=MAX_CELLS)


def choose_method(ax, ay, bx, by, buffer_m: float, cell_m: float, thresholds: int = 1) -> str:
    """``raster`` or ``vector``, whichever the cost model expects to be faster for these
    covered pieces."""
    w = max(ax.max(), bx.max()) - min(ax.min(), bx.min()) + 2 * buffer_m + 4 * cell_m
    h = max(ay.max(), by.max()) - min(ay.min(), by.min()) + 2 * buffer_m + 4 * cell_m
    length = float(np.hypot(bx - ax, by - ay).sum())
    raster_s = (RASTER_S_FIXED + w * h / cell_m ** 2 * RASTER_S_PER_CELL
                + (2 * ax.size + 2 * length / cell_m) * RASTER_S_PER_SAMPLE)
    vector_s = thresholds * ax.size * VECTOR_S_PER_PIECE
    return "raster" if raster_s < vector_s else "vector"


def _outlines(pieces: tuple, minutes: Sequence[float], *, buffer_m: float, method: str,
              cell_m: float, max_cells: int) -> list:
    """Outlines of pieces ``(ax, ay, bx, by, tau_a, tau_b, ab_s, ba_s, leg)``, one per
    threshold, by either method."""
    limit = max(minutes) * 60
    tau_a, tau_b = pieces[4], pieces[5]
    idx = np.flatnonzero((tau_a <= limit) | (tau_b <= limit))
    if idx.size == 0:
        return [shapely.Polygon() for _ in minutes]
    ax, ay, bx, by, tau_a, tau_b, ab_s, ba_s, leg = (p[idx] for p in pieces)
    ends_x, ends_y = np.concatenate([ax, bx]), np.concatenate([ay, by])
    cell = _raster.cell_for(ends_x, ends_y, buffer_m, cell_m, max_cells)
    if max_cells < MAX_CELLS:  # one of many outlines: coarser cells, up to half the buffer
        cell = max(min(cell, max(cell_m, buffer_m / 2)),
                   _raster.cell_for(ends_x, ends_y, buffer_m, cell_m, MAX_CELLS))
    if method == "auto":
        method = choose_method(ax, ay, bx, by, buffer_m, cell, len(minutes))
    if method == "vector":
        return [polygons(shapely.linestrings(_covered_coords(
            ax, ay, bx, by, tau_a, tau_b, ab_s, ba_s, leg, m * 60)), buffer_m=buffer_m)
            for m in minutes]
    sx, sy, st = _raster.sample_pieces(ax, ay, bx, by, tau_a, tau_b, ab_s, ba_s, cell / 2,
                                       limit)
    return _raster.outlines(sx, sy, st, minutes, buffer_m=buffer_m, cell_m=cell)


def service_area(
    graph: TravelGraph, seconds: np.ndarray, minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M, method: str = "auto", cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Dissolved area within each threshold of the nearest source (one row per threshold).

    ``seconds`` is every node's time to its nearest source, from
    :func:`planner.engine.traveltime.time_to_nearest`. ``cache_dir``: keep the outlines
    there, keyed by the content of the graph, the times and the settings.
    """
    minutes = _validate.minutes(minutes)

    def compute() -> list:
        return threshold_polygons(graph, seconds, minutes, buffer_m=buffer_m, method=method)

    key = None
    if cache_dir is not None:
        key = _isocache.key(graph, "service-area", np.asarray(seconds), minutes, buffer_m, method,
                             (MAX_CELLS, STATION_CELLS))
    geoms, _ = _isocache.fetch(cache_dir, key, compute)
    return _frame(graph, ["all"] * len(minutes), list(minutes), geoms, "service area")


def station_isochrones(
    graph: TravelGraph, sources: np.ndarray, ids: Sequence[str], minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M, progress: Callable[[int], None] | None = None,
    method: str = "auto", cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Isochrone polygons per source and threshold (rows: station_id, minutes, geometry).

    Off-network sources (door -1) get no rows. The sources are searched together in chunks
    of nearby sources on their local subgraph; each chunk's street pieces are gathered once
    and every source's outline is drawn from them (raster cells grow, up to half the
    buffer, so one outline stays under :data:`STATION_CELLS`). ``progress`` is called with
    the number of sources finished (1 after each source; all at once from the cache). ``cache_dir``: keep the
    outlines there, keyed by the graph's content, the sources and the settings.
    """
    minutes = _validate.minutes(minutes)
    sources = np.asarray(sources, dtype=np.int64)

    def compute() -> list:
        return _station_outlines(graph, sources, minutes, buffer_m, method, progress)

    key = None
    if cache_dir is not None:
        key = _isocache.key(graph, "stations", sources, minutes, buffer_m, method,
                             (MAX_CELLS, STATION_CELLS))
    geoms, computed = _isocache.fetch(cache_dir, key, compute)
    order = np.flatnonzero(sources >= 0)  # rows in the order of the stations
    if progress is not None and not computed:
        progress(int(order.size))
    k = len(minutes)
    return _frame(graph, [str(ids[p]) for p in order for _ in minutes],
                  [m for _ in order for m in minutes],
                  [geoms[i * k + j] for i in range(order.size) for j in range(k)], "isochrone")


def station_catchments(
    graph: TravelGraph, sources: np.ndarray, ids: Sequence[str], minutes: Sequence[float], *,
    seconds: np.ndarray | None = None, nearest: np.ndarray | None = None,
    buffer_m: float = BUFFER_M, progress: Callable[[int], None] | None = None,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Each source's catchment within the main threshold: the part of the service area
    (:func:`service_area`) it serves as the nearest source, all drawn in one raster pass.

    Rows ``station_id, minutes`` (the largest threshold), one per on-network source, in
    source order; the catchments tile the service area, and a source whose isochrone
    overlaps no other's gets its isochrone. ``seconds``/``nearest``: each node's time to
    the nearest source and that source's position, from
    :func:`planner.engine.traveltime.time_to_nearest` (searched here when not given). For
    many sources this replaces :func:`station_isochrones`, whose cost grows with the sum of
    every source's own area.
    """
    from planner.engine import _catchments, traveltime

    minutes = _validate.minutes(minutes)
    sources = np.asarray(sources, dtype=np.int64)
    limit = max(minutes) * 60

    def compute() -> list:
        tau, near = seconds, nearest
        if tau is None or near is None:
            tau, near = traveltime.time_to_nearest(graph, sources, limit=limit)
        a, b, ab_s, ba_s, _, x, y = _pieces(graph)
        return _catchments.catchments((a, b, ab_s, ba_s, x, y, np.asarray(tau)),
                                      np.asarray(near), sources.size, limit,
                                      buffer_m=buffer_m, cell_m=buffer_m / 4)

    key = None
    if cache_dir is not None:
        key = _isocache.key(graph, "catchments", sources, [max(minutes)], buffer_m, "raster",
                            (_catchments.MAX_CELLS,))
    geoms, _ = _isocache.fetch(cache_dir, key, compute)
    order = np.flatnonzero(sources >= 0)
    if progress is not None:
        progress(int(order.size))
    return _frame(graph, [str(ids[p]) for p in order], [max(minutes)] * order.size,
                  [geoms[p] for p in order], "catchment")


def _station_outlines(graph, sources, minutes, buffer_m, method, progress) -> list:
    """Outlines of every on-network source, in source order, thresholds innermost."""
    a, b, ab_s, ba_s, leg, x, y = _pieces(graph)
    limit = max(minutes) * 60
    cell = buffer_m / 4
    lookup = np.full(graph.n_nodes, -1, dtype=np.int64)
    found: dict[int, list] = {}
    for positions, dist, nodes in _searches(graph, sources, limit):
        if nodes is None:
            la, lb, cand = a, b, np.arange(a.size)
        else:
            lookup[nodes] = np.arange(nodes.size)
            la, lb = lookup[a], lookup[b]
            lookup[nodes] = -1
            cand = np.flatnonzero((la >= 0) | (lb >= 0))
            la, lb = la[cand], lb[cand]
        geo = (x[a[cand]], y[a[cand]], x[b[cand]], y[b[cand]])
        rest = (ab_s[cand], ba_s[cand], leg[cand])
        for position, row in zip(positions, dist):
            row = np.append(row, np.inf)  # index -1: a piece end outside the subgraph
            found[int(position)] = _outlines(
                (*geo, row[la], row[lb], *rest), minutes, buffer_m=buffer_m, method=method,
                cell_m=cell, max_cells=STATION_CELLS)
            if progress is not None:
                progress(1)
    return [g for p in sorted(found) for g in found[p]]


def _frame(graph: TravelGraph, ids, minutes, geoms, outline: str) -> gpd.GeoDataFrame:
    """Rows ``station_id, minutes, outline, area_km2`` (``outline``: ``service area``,
    ``isochrone`` or ``catchment``)."""
    frame = gpd.GeoDataFrame(
        {"station_id": ids, "minutes": np.asarray(minutes, dtype=float),
         "outline": [outline] * len(ids)},
        geometry=list(geoms) if geoms else [], crs=graph.street.crs,
    )
    frame["area_km2"] = (frame.geometry.area / 1e6).round(3)
    return frame
