"""Isochrones: the streets from which a station is reached within a time, as polygons.

Exact along edges: a street piece is covered up to the point where the remaining time runs
out (partial edges), then the covered street lines are buffered and dissolved. No convex
hulls, so a river or a railway without crossings shows as a gap.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from . import _validate
from .traveltime import TravelGraph, iter_times_to

__all__ = ["covered_lines", "polygons", "station_isochrones", "service_area"]

#: Default half-width (m) of the street corridor drawn around covered streets.
BUFFER_M = 40.0


def covered_lines(graph: TravelGraph, seconds: np.ndarray, limit_s: float) -> np.ndarray:
    """Covered street pieces as an array of shapely LineStrings (network CRS).

    ``seconds`` holds each node's time to the nearest source; a point inside a piece is
    covered when it can reach one of the piece's ends and then the source within
    ``limit_s``, moving only in directions the mode allows.
    """
    tau_a = seconds[graph.piece_a]
    tau_b = seconds[graph.piece_b]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Going from inside the piece to end a means travelling b -> a (and vice versa).
        reach_a = np.where(tau_a <= limit_s, (limit_s - tau_a) / graph.piece_ba_s, 0.0)
        reach_b = np.where(tau_b <= limit_s, (limit_s - tau_b) / graph.piece_ab_s, 0.0)
    reach_a = np.clip(np.nan_to_num(reach_a, nan=1.0), 0.0, 1.0)
    reach_b = np.clip(np.nan_to_num(reach_b, nan=1.0), 0.0, 1.0)
    whole = reach_a + reach_b >= 1.0
    ax, ay = graph.node_x[graph.piece_a], graph.node_y[graph.piece_a]
    bx, by = graph.node_x[graph.piece_b], graph.node_y[graph.piece_b]

    starts = [np.zeros(int(whole.sum())), np.zeros(0), np.zeros(0)]
    ends = [np.ones(int(whole.sum())), np.zeros(0), np.zeros(0)]
    index = [np.flatnonzero(whole)]
    part_a = np.flatnonzero(~whole & (reach_a > 0))
    part_b = np.flatnonzero(~whole & (reach_b > 0))
    starts[1], ends[1] = np.zeros(part_a.size), reach_a[part_a]
    starts[2], ends[2] = 1.0 - reach_b[part_b], np.ones(part_b.size)
    index += [part_a, part_b]
    idx = np.concatenate(index)
    s0 = np.concatenate(starts)
    s1 = np.concatenate(ends)
    coords = np.empty((idx.size, 2, 2))
    coords[:, 0, 0] = ax[idx] + (bx[idx] - ax[idx]) * s0
    coords[:, 0, 1] = ay[idx] + (by[idx] - ay[idx]) * s0
    coords[:, 1, 0] = ax[idx] + (bx[idx] - ax[idx]) * s1
    coords[:, 1, 1] = ay[idx] + (by[idx] - ay[idx]) * s1
    return shapely.linestrings(coords)


def polygons(lines: np.ndarray, *, buffer_m: float = BUFFER_M):
    """One dissolved polygon around covered street lines (empty polygon if none)."""
    if lines.size == 0:
        return shapely.Polygon()
    # Buffering each piece and unioning is ~20x faster than buffering one multilinestring.
    area = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=3))
    return shapely.simplify(area, buffer_m / 4, preserve_topology=True)


def service_area(
    graph: TravelGraph, seconds: np.ndarray, minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M,
) -> gpd.GeoDataFrame:
    """Dissolved area within each threshold of the nearest source (one row per threshold).

    ``seconds`` is every node's time to its nearest source, from
    :func:`planner.traveltime.time_to_nearest`.
    """
    minutes = _validate.minutes(minutes)
    return _frame(graph, ["all"] * len(minutes), list(minutes), [
        polygons(covered_lines(graph, seconds, m * 60), buffer_m=buffer_m) for m in minutes
    ])


def station_isochrones(
    graph: TravelGraph, sources: np.ndarray, ids: Sequence[str], minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M, progress=None,
) -> gpd.GeoDataFrame:
    """Isochrone polygons per source and threshold (rows: station_id, minutes, geometry).

    Off-network sources (door -1) get no rows. ``progress`` is called with the number of
    sources finished after each chunk, when given.
    """
    minutes = _validate.minutes(minutes)
    out_ids, out_minutes, geoms = [], [], []
    for positions, rows in iter_times_to(graph, sources, limit=max(minutes) * 60):
        for position, seconds in zip(positions, rows):
            for m in minutes:
                out_ids.append(str(ids[position]))
                out_minutes.append(m)
                geoms.append(polygons(covered_lines(graph, seconds, m * 60), buffer_m=buffer_m))
        if progress is not None:
            progress(len(positions))
    return _frame(graph, out_ids, out_minutes, geoms)


def _frame(graph: TravelGraph, ids, minutes, geoms) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"station_id": ids, "minutes": np.asarray(minutes, dtype=float)},
        geometry=list(geoms) if geoms else [], crs=graph.street.crs,
    )
    frame["area_km2"] = (frame.geometry.area / 1e6).round(3)
    return frame
