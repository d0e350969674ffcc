"""Isochrones: the streets from which a station is reached within a time, as polygons.

Exact along edges: a street piece is covered up to the point where the remaining time runs
out (partial edges), then the covered street lines are buffered and dissolved. No convex
hulls, so a river or a railway without crossings shows as a gap. The access legs of the
points in the travel graph (the walk between a place and its street) are drawn like streets,
at walking speed, so every place counted as covered lies inside the outline of its threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from planner import _validate
from planner.engine.traveltime import TravelGraph, iter_times_to

__all__ = ["covered_lines", "polygons", "threshold_polygons", "station_isochrones",
           "service_area"]

#: Default half-width (m) of the street corridor drawn around covered streets.
BUFFER_M = 40.0
#: "auto" switches from vector to raster buffering above this many covered street pieces.
RASTER_ABOVE_PIECES = 4000
#: Largest raster (cells) the raster method builds; the cell grows to stay under it.
MAX_CELLS = 6_000_000


def _pieces(graph: TravelGraph):
    """Street pieces and access legs: ends, coordinates and seconds each way.

    Returns ``(a, b, ab_s, ba_s, x, y)`` with ``x``/``y`` the coordinates of every node
    (street, snap and door nodes).
    """
    n = graph.street.n_nodes
    p = graph.door_x.size
    x = np.concatenate([graph.node_x, graph.door_x])
    y = np.concatenate([graph.node_y, graph.door_y])
    snap = n + np.arange(p)
    door = snap + p
    leg_s = np.hypot(x[door] - x[snap], y[door] - y[snap]) / graph.street.travel.access_ms
    return (np.concatenate([graph.piece_a, snap]), np.concatenate([graph.piece_b, door]),
            np.concatenate([graph.piece_ab_s, leg_s]), np.concatenate([graph.piece_ba_s, leg_s]),
            x, y)


def covered_lines(graph: TravelGraph, seconds: np.ndarray, limit_s: float) -> np.ndarray:
    """Covered street pieces and access legs as an array of shapely LineStrings (network CRS).

    ``seconds`` holds each node's time to the nearest source; a point inside a piece is
    covered when it can reach one of the piece's ends and then the source within
    ``limit_s``, moving only in directions the mode allows. A covered door node's access
    leg is covered whole, so the place itself is on a covered line.
    """
    a, b, ab_s, ba_s, x, y = _pieces(graph)
    tau_a = seconds[a]
    tau_b = seconds[b]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Going from inside the piece to end a means travelling b -> a (and vice versa).
        reach_a = np.where(tau_a <= limit_s, (limit_s - tau_a) / ba_s, 0.0)
        reach_b = np.where(tau_b <= limit_s, (limit_s - tau_b) / ab_s, 0.0)
    reach_a = np.clip(np.nan_to_num(reach_a, nan=1.0), 0.0, 1.0)
    reach_b = np.clip(np.nan_to_num(reach_b, nan=1.0), 0.0, 1.0)
    whole = reach_a + reach_b >= 1.0
    whole[graph.piece_a.size:] |= tau_b[graph.piece_a.size:] <= limit_s  # covered doors
    ax, ay, bx, by = x[a], y[a], x[b], y[b]

    starts = [np.zeros(int(whole.sum())), np.zeros(0), np.zeros(0)]
    ends = [np.ones(int(whole.sum())), np.zeros(0), np.zeros(0)]
    index = [np.flatnonzero(whole)]
    # a reached end is drawn even where no street leads into it (a zero-length piece)
    part_a = np.flatnonzero(~whole & (tau_a <= limit_s))
    part_b = np.flatnonzero(~whole & (tau_b <= limit_s))
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


def threshold_polygons(
    graph: TravelGraph, seconds: np.ndarray, minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M, method: str = "auto", cell_m: float | None = None,
) -> list:
    """One polygon per threshold around the streets covered within it.

    ``vector`` buffers the exact covered street pieces and dissolves them (GEOS). ``raster``
    samples the same pieces every half cell with their exact times, takes the smallest time
    within ``buffer_m`` of each cell (a minimum filter) and traces every threshold's outline
    in one pass (contourpy): outlines agree with ``vector`` to about one cell (default a
    quarter of the buffer) at a tenth of the cost. ``auto`` picks raster for large areas.
    """
    if method not in ("auto", "vector", "raster"):
        raise ValueError(f"method={method!r}: use auto, vector or raster")
    limit = max(minutes) * 60
    if method == "auto":
        touched = (seconds[graph.piece_a] <= limit) | (seconds[graph.piece_b] <= limit)
        method = "raster" if int(touched.sum()) > RASTER_ABOVE_PIECES else "vector"
    if method == "vector":
        return [polygons(covered_lines(graph, seconds, m * 60), buffer_m=buffer_m)
                for m in minutes]
    return _raster_polygons(graph, seconds, minutes, buffer_m, cell_m or buffer_m / 4)


def _raster_polygons(graph, seconds, minutes, buffer_m: float, cell_m: float) -> list:
    import contourpy
    from scipy import ndimage

    limit = max(minutes) * 60
    a, b, ab_s, ba_s, x_all, y_all = _pieces(graph)
    tau_a, tau_b = seconds[a], seconds[b]
    idx = np.flatnonzero((tau_a <= limit) | (tau_b <= limit))
    if idx.size == 0:
        return [shapely.Polygon() for _ in minutes]
    ax, ay = x_all[a[idx]], y_all[a[idx]]
    bx, by = x_all[b[idx]], y_all[b[idx]]
    extent = max(ax.max(), bx.max()) - min(ax.min(), bx.min()), max(ay.max(), by.max()) - min(
        ay.min(), by.min())
    cell_m = max(cell_m, float(np.sqrt((extent[0] + 3 * buffer_m) * (extent[1] + 3 * buffer_m)
                                       / MAX_CELLS)))
    # sample every piece every half cell with its exact time (moving only where allowed)
    length = np.hypot(bx - ax, by - ay)
    count = np.maximum(2, np.ceil(length / (cell_m / 2)).astype(np.int64) + 1)
    piece = np.repeat(np.arange(idx.size), count)
    step = np.arange(piece.size) - np.repeat(np.cumsum(count) - count, count)
    s = step / (count[piece] - 1)
    ab, ba = ab_s[idx][piece], ba_s[idx][piece]
    with np.errstate(invalid="ignore"):
        # the ends themselves count even where the piece may not be travelled towards them
        via_a = np.where(np.isfinite(ba) | (s == 0), tau_a[idx][piece] + s * np.where(
            np.isfinite(ba), ba, 0.0), np.inf)
        via_b = np.where(np.isfinite(ab) | (s == 1), tau_b[idx][piece] + (1 - s) * np.where(
            np.isfinite(ab), ab, 0.0), np.inf)
    t = np.minimum(via_a, via_b)
    keep = t <= limit
    x = (ax[piece] + s * (bx - ax)[piece])[keep]
    y = (ay[piece] + s * (by - ay)[piece])[keep]
    t = t[keep]
    pad = buffer_m + 2 * cell_m
    x0, y0 = x.min() - pad, y.min() - pad
    nx = int(np.ceil((x.max() + pad - x0) / cell_m)) + 1
    ny = int(np.ceil((y.max() + pad - y0) / cell_m)) + 1
    grid = np.full((ny, nx), np.inf)
    np.minimum.at(grid, (((y - y0) / cell_m).astype(np.int64),
                         ((x - x0) / cell_m).astype(np.int64)), t)
    radius = int(np.ceil(buffer_m / cell_m))
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disk = (xx ** 2 + yy ** 2) * cell_m ** 2 <= buffer_m ** 2
    field = ndimage.minimum_filter(grid, footprint=disk, mode="constant", cval=np.inf)
    field[~np.isfinite(field)] = limit * 10 + 1
    generator = contourpy.contour_generator(
        x0 + (np.arange(nx) + 0.5) * cell_m, y0 + (np.arange(ny) + 0.5) * cell_m, field,
        fill_type=contourpy.FillType.OuterOffset)
    out = []
    for m in minutes:
        points, offsets = generator.filled(-1.0, m * 60)
        parts = [shapely.Polygon(pts[off[0]:off[1]], [pts[off[i]:off[i + 1]]
                                                      for i in range(1, len(off) - 1)])
                 for pts, off in zip(points, offsets)]
        merged = shapely.MultiPolygon(parts) if len(parts) != 1 else parts[0]
        # plain Douglas-Peucker is ~10x faster than the topology-preserving variant; repair
        # the rare self-touching result instead
        simple = shapely.simplify(merged, cell_m / 2, preserve_topology=False)
        out.append(simple if shapely.is_valid(simple) else shapely.make_valid(simple))
    return out


def service_area(
    graph: TravelGraph, seconds: np.ndarray, minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M, method: str = "auto",
) -> gpd.GeoDataFrame:
    """Dissolved area within each threshold of the nearest source (one row per threshold).

    ``seconds`` is every node's time to its nearest source, from
    :func:`planner.engine.traveltime.time_to_nearest`.
    """
    minutes = _validate.minutes(minutes)
    return _frame(graph, ["all"] * len(minutes), list(minutes),
                  threshold_polygons(graph, seconds, minutes, buffer_m=buffer_m, method=method))


def station_isochrones(
    graph: TravelGraph, sources: np.ndarray, ids: Sequence[str], minutes: Sequence[float], *,
    buffer_m: float = BUFFER_M, progress=None, method: str = "auto",
) -> gpd.GeoDataFrame:
    """Isochrone polygons per source and threshold (rows: station_id, minutes, geometry).

    Off-network sources (door -1) get no rows. ``progress`` is called with the number of
    sources finished after each chunk, when given.
    """
    minutes = _validate.minutes(minutes)
    polygons_of: dict[int, list] = {}
    for positions, rows in iter_times_to(graph, sources, limit=max(minutes) * 60):
        for position, seconds in zip(positions, rows):
            polygons_of[int(position)] = threshold_polygons(graph, seconds, minutes,
                                                            buffer_m=buffer_m, method=method)
        if progress is not None:
            progress(len(positions))
    order = sorted(polygons_of)  # rows in the order of the stations, whatever the search order
    return _frame(graph, [str(ids[p]) for p in order for _ in minutes],
                  [m for _ in order for m in minutes],
                  [g for p in order for g in polygons_of[p]])


def _frame(graph: TravelGraph, ids, minutes, geoms) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"station_id": ids, "minutes": np.asarray(minutes, dtype=float)},
        geometry=list(geoms) if geoms else [], crs=graph.street.crs,
    )
    frame["area_km2"] = (frame.geometry.area / 1e6).round(3)
    return frame
