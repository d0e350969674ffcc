"""Catchment outlines of many stations at once: one labelled search, one raster pass.

Internal to :mod:`planner.engine.isochrones` (``station_catchments`` is public there). The
multi-source search that gives every node its time to the nearest station also gives which
station that is. The covered street pieces are sampled with their exact times (as for the
service area) and every sample carries the station it is nearest to. One raster holds the
smallest time within the buffer of each cell (the service area's disc filter: its cells
within the threshold are the service-area outline) and, by a Euclidean distance transform,
the station of the nearest covered street sample. Tracing the labels once gives every
station's catchment: the part of the service area it serves as the nearest station, so the
catchments tile the service area, and a station far from the others gets its own isochrone.
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.engine import _raster

__all__ = ["catchments"]

#: Largest raster (cells) of the catchment drawing; the cell grows to stay under it.
MAX_CELLS = 4_000_000


def catchments(pieces: tuple, nearest: np.ndarray, count: int, limit_s: float, *,
               buffer_m: float, cell_m: float) -> list:
    """One polygon per station (``count`` of them, empty where a station serves nothing).

    ``pieces`` are ``(a, b, ab_s, ba_s, leg, x, y)`` of the travel graph, ``nearest`` the
    position of each node's nearest station (-1: none) and ``pieces``' times come from
    ``seconds``: see :func:`planner.engine.isochrones.station_catchments`.
    """
    a, b, ab_s, ba_s, x, y, tau = pieces
    tau_a, tau_b = tau[a], tau[b]
    idx = np.flatnonzero((tau_a <= limit_s) | (tau_b <= limit_s))
    if idx.size == 0:
        return [shapely.Polygon() for _ in range(count)]
    ax, ay, bx, by = x[a[idx]], y[a[idx]], x[b[idx]], y[b[idx]]
    cell = _raster.cell_for(np.concatenate([ax, bx]), np.concatenate([ay, by]), buffer_m,
                            cell_m, MAX_CELLS)
    # traced on cell edges, a cell's whole square counts: with the buffer k + 1/2 cells and
    # a disc of k cells, the corridor is the buffer wide, as the outlines traced through
    # cell centres (service area, isochrones) are
    k = max(0, int(np.floor(buffer_m / cell - 0.5)))
    cell = max(cell, buffer_m / (k + 0.5))
    sx, sy, st, piece, from_a = _raster.sample_pieces(
        ax, ay, bx, by, tau_a[idx], tau_b[idx], ab_s[idx], ba_s[idx], cell / 2, limit_s,
        ends=True)
    label = np.where(from_a, nearest[a[idx][piece]], nearest[b[idx][piece]])
    pad = buffer_m + 2 * cell
    x0, y0 = sx.min() - pad, sy.min() - pad
    nx = int(np.ceil((sx.max() + pad - x0) / cell)) + 1
    ny = int(np.ceil((sy.max() + pad - y0) / cell)) + 1
    col = ((sx - x0) / cell).astype(np.int64)
    row = ((sy - y0) / cell).astype(np.int64)
    code = _label_grid(row, col, st, label, (ny, nx), float(k), limit_s)
    return _trace(code, count, (x0, y0), cell)


def _label_grid(row, col, t, label, shape, radius_cells: float, limit_s: float) -> np.ndarray:
    """Per cell: 1 + the station of the nearest covered sample where the cell is within the
    threshold (the service area's rule), else 0."""
    from scipy import ndimage

    grid = np.full(shape, _raster._FAR, dtype=np.float32)
    np.minimum.at(grid, (row, col), t.astype(np.float32))
    inside = _raster.disc_minimum(grid, radius_cells) <= np.nextafter(
        np.float32(limit_s), np.float32(np.inf))
    del grid
    # the label of each sample cell: that of its quickest sample
    flat = row * shape[1] + col
    order = np.lexsort((t, flat))
    first = np.ones(order.size, dtype=bool)
    first[1:] = flat[order][1:] != flat[order][:-1]
    seeds = np.full(shape, -1, dtype=np.int32)
    seeds.ravel()[flat[order][first]] = label[order][first]
    index = ndimage.distance_transform_edt(seeds < 0, return_distances=False,
                                           return_indices=True)
    code = np.where(inside, seeds[index[0], index[1]] + 1, 0).astype(np.int32)
    return code


def _trace(code: np.ndarray, count: int, origin, cell: float) -> list:
    """Polygons of every station's cells (simplified to half a cell)."""
    import rasterio.features

    parts: dict[int, list] = {}
    if code.any():
        x0, y0 = origin
        for geom, value in rasterio.features.shapes(code, mask=code > 0, connectivity=4):
            rings = [np.asarray(ring, dtype=float) * cell + (x0, y0)
                     for ring in geom["coordinates"]]
            parts.setdefault(int(value) - 1, []).append(shapely.Polygon(rings[0], rings[1:]))
    shapes = np.full(count, None, dtype=object)
    for station, pieces in parts.items():
        # pieces of one label never overlap (they may touch at a corner)
        shapes[station] = pieces[0] if len(pieces) == 1 else shapely.MultiPolygon(pieces)
    drawn = np.flatnonzero(shapes != None)  # noqa: E711 (element-wise)
    inner = shapely.simplify(shapes[drawn], cell / 2, preserve_topology=False)
    bad = ~shapely.is_valid(inner)
    inner[bad] = shapely.make_valid(inner[bad])
    out = np.full(count, shapely.Polygon(), dtype=object)
    out[drawn] = inner
    return list(out)
