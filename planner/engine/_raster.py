"""Raster outlines: exact times sampled along street pieces, a disc minimum filter, contours.

Internal to :mod:`planner.engine.isochrones`. A cell's value is the smallest exact time of any
sample within ``buffer_m`` of it, so the outline of a threshold is the street corridor of
that half-width around every covered piece, to about one cell. The disc filter is computed
as the minimum of a few separable rectangle filters whose union is exactly the disc (one
rectangle per distinct row half-width), which is several times faster than a footprint
filter and gives the same values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

#: Value written where nothing is reached (any value above every threshold works).
_FAR = np.float32(3.0e38)


def disc_rectangles(radius_cells: float) -> list[tuple[int, int]]:
    """(half-height, half-width) of rectangles whose union is the disc of cells
    ``dx**2 + dy**2 <= radius_cells**2``: for each distinct half-width, the tallest row
    band that has it."""
    r = int(np.floor(radius_cells + 1e-9))
    widths = [int(np.floor(np.sqrt(max(radius_cells ** 2 - dy ** 2, 0.0)) + 1e-9))
              for dy in range(r + 1)]
    rects = []
    for dy, width in enumerate(widths):
        if dy == r or widths[dy + 1] < width:
            rects.append((dy, width))
    return rects


def disc_minimum(grid: np.ndarray, radius_cells: float) -> np.ndarray:
    """Minimum over a disc of cells around each cell (``_FAR`` beyond the grid's edge);
    the last two axes are the grid (a stack of grids is filtered in one call)."""
    from scipy.ndimage import minimum_filter1d

    out = None
    by_width: dict[int, np.ndarray] = {}
    for half_h, half_w in disc_rectangles(radius_cells):
        rows = by_width.get(half_w)
        if rows is None:
            rows = grid if half_w == 0 else minimum_filter1d(
                grid, 2 * half_w + 1, axis=-1, mode="constant", cval=_FAR)
            by_width[half_w] = rows
        rect = rows if half_h == 0 else minimum_filter1d(
            rows, 2 * half_h + 1, axis=-2, mode="constant", cval=_FAR)
        if out is None:
            out = rect.copy() if rect is rows else rect
        else:
            np.minimum(out, rect, out=out)
    return out


def sample_pieces(ax, ay, bx, by, tau_a, tau_b, ab_s, ba_s, spacing_m: float, limit_s: float,
                  *, ends: bool = False):
    """Points every ``spacing_m`` along each piece with their exact time, those within
    ``limit_s``: ``(x, y, t)``. A piece is travelled only in the directions it allows;
    its ends count with their own times. ``ends=True`` also returns each sample's piece and
    whether its time comes through the piece's end ``a`` (else ``b``)."""
    length = np.hypot(bx - ax, by - ay)
    count = np.maximum(2, np.ceil(length / spacing_m).astype(np.int64) + 1)
    piece = np.repeat(np.arange(ax.size), count)
    step = np.arange(piece.size) - np.repeat(np.cumsum(count) - count, count)
    s = step / (count[piece] - 1)
    ab, ba = ab_s[piece], ba_s[piece]
    with np.errstate(invalid="ignore"):
        via_a = np.where(np.isfinite(ba) | (s == 0),
                         tau_a[piece] + s * np.where(np.isfinite(ba), ba, 0.0), np.inf)
        via_b = np.where(np.isfinite(ab) | (s == 1),
                         tau_b[piece] + (1 - s) * np.where(np.isfinite(ab), ab, 0.0), np.inf)
    t = np.minimum(via_a, via_b)
    keep = t <= limit_s
    piece, s = piece[keep], s[keep]
    x = ax[piece] + s * (bx - ax)[piece]
    y = ay[piece] + s * (by - ay)[piece]
    if ends:
        return x, y, t[keep], piece, (via_a <= via_b)[keep]
    return x, y, t[keep]


def cell_for(x: np.ndarray, y: np.ndarray, buffer_m: float, cell_m: float,
             max_cells: int) -> float:
    """The cell size: ``cell_m``, grown so the padded extent stays under ``max_cells``."""
    w = float(x.max() - x.min()) + 3 * buffer_m
    h = float(y.max() - y.min()) + 3 * buffer_m
    return max(cell_m, float(np.sqrt(w * h / max_cells)))


def outlines(x: np.ndarray, y: np.ndarray, t: np.ndarray, minutes: Sequence[float], *,
             buffer_m: float, cell_m: float) -> list:
    """One polygon per threshold around the samples ``(x, y, t)`` (times in seconds)."""
    import contourpy

    if t.size == 0:
        return [shapely.Polygon() for _ in minutes]
    pad = buffer_m + 2 * cell_m
    x0, y0 = x.min() - pad, y.min() - pad
    nx = int(np.ceil((x.max() + pad - x0) / cell_m)) + 1
    ny = int(np.ceil((y.max() + pad - y0) / cell_m)) + 1
    grid = np.full((ny, nx), _FAR, dtype=np.float32)
    np.minimum.at(grid, (((y - y0) / cell_m).astype(np.int64),
                         ((x - x0) / cell_m).astype(np.int64)), t.astype(np.float32))
    field = disc_minimum(grid, buffer_m / cell_m)
    top = float(max(minutes)) * 60
    np.minimum(field, np.float32(top * 10 + 1), out=field)
    generator = contourpy.contour_generator(
        x0 + (np.arange(nx) + 0.5) * cell_m, y0 + (np.arange(ny) + 0.5) * cell_m, field,
        fill_type=contourpy.FillType.OuterOffset)
    out = []
    for m in minutes:
        # a float32 time at the threshold must stay inside: compare with a hair above it
        points, offsets = generator.filled(-1.0, float(np.nextafter(np.float32(m * 60),
                                                                    np.float32(np.inf))))
        parts = [shapely.Polygon(pts[off[0]:off[1]], [pts[off[i]:off[i + 1]]
                                                      for i in range(1, len(off) - 1)])
                 for pts, off in zip(points, offsets)]
        merged = shapely.MultiPolygon(parts) if len(parts) != 1 else parts[0]
        # plain Douglas-Peucker is ~10x faster than the topology-preserving variant; repair
        # the rare self-touching result instead
        simple = shapely.simplify(merged, cell_m / 2, preserve_topology=False)
        out.append(simple if shapely.is_valid(simple) else shapely.make_valid(simple))
    return out
