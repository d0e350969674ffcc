"""Gap areas of large demand layers drawn on a raster (see :mod:`._gap_areas`).

Every cell within ``link_m / 2`` of a gap place takes the label of its nearest demand place
(a Euclidean distance transform from the cells holding places; a reached place wins the cell
it shares with a gap place), and each gap's cells are traced into polygons. The raster is
processed in square tiles, only where gap places are, each tile padded by the reach of a
disc, so the labels are those of one big raster while memory stays that of one tile; the
tile side is chosen to touch the fewest cells.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["areas"]

_TILE_SIDES = (64, 128, 256, 512, 1024)
#: The fixed work of one tile (tracing, gathering its places), in cells' worth of work.
_TILE_COST_CELLS = 30_000


def areas(every: np.ndarray, reached: np.ndarray, label: np.ndarray, *, link_m: float,
          cell_share: float, tile_cells: int) -> list:
    """One polygon per gap label (``label``: per unreached place, in order)."""
    radius = link_m / 2
    cell = link_m * cell_share
    out = np.flatnonzero(~reached)
    origin = every.min(axis=0) - radius - 2 * cell
    side, tiles = _tiling(every[out], origin, cell, radius, max(_TILE_SIDES[0], tile_cells))
    pad = int(np.ceil(radius / cell)) + 2
    code = np.zeros(len(every), dtype=np.int64)  # 0: reached, g + 1: gap g
    code[out] = label + 1
    # a gap place on the very spot of a reached one draws nothing (as in the exact drawing)
    spot = np.round(every * 100).astype(np.int64)
    spot = spot[:, 0] * (int(spot[:, 1].max() - spot[:, 1].min()) + 1) + spot[:, 1]
    code[out[np.isin(spot[out], spot[reached])]] = 0
    cx = np.floor((every[:, 0] - origin[0]) / cell).astype(np.int64)
    cy = np.floor((every[:, 1] - origin[1]) / cell).astype(np.int64)
    buckets = _Buckets(cx // side, cy // side)
    pieces: dict[int, list] = {}
    for tx, ty in tiles:
        near = buckets.around(tx, ty)
        codes = _tile_codes(every, code, cx, cy, near, (tx * side - pad, ty * side - pad),
                            side + 2 * pad, origin, cell, radius)
        _trace(codes[pad:pad + side, pad:pad + side], (tx * side, ty * side), origin, cell,
               pieces)
    groups = int(label.max()) + 1
    shapes = [_merge(pieces.get(g + 1, [])) for g in range(groups)]
    return _keep_members(shapes, every, reached, out, label, cx, cy, cell)


def _tiling(xy: np.ndarray, origin: np.ndarray, cell: float, radius: float,
            largest: int) -> tuple[int, np.ndarray]:
    """The tile side (cells) touching the fewest cells, and the tiles any gap disc reaches."""
    best = None
    reach = np.array([[-radius, -radius], [-radius, radius], [radius, -radius],
                      [radius, radius]])
    # tiles are whole multiples of the smallest side: bucket the places once at that size
    base = _TILE_SIDES[0]
    span = cell * base  # >= 2 * radius: a disc's square touches at most 2 x 2 tiles
    kx = np.floor((xy[:, 0:1] + reach[:, 0] - origin[0]) / span).astype(np.int64).ravel()
    ky = np.floor((xy[:, 1:2] + reach[:, 1] - origin[1]) / span).astype(np.int64).ravel()
    width = int(ky.max()) + 1
    keys = np.unique(kx * width + ky)
    corners = np.column_stack(np.divmod(keys, width))
    pad = int(np.ceil(radius / cell)) + 2
    for side in _TILE_SIDES:
        if side > largest:
            break
        tiles = np.unique(corners // (side // base), axis=0)
        cost = len(tiles) * ((side + 2 * pad) ** 2 + _TILE_COST_CELLS)
        if best is None or cost < best[0]:
            best = (cost, side, tiles)
    return best[1], best[2]


class _Buckets:
    """Places grouped by tile, to gather those of a tile and its eight neighbours."""

    def __init__(self, tx: np.ndarray, ty: np.ndarray):
        self.shift = int(ty.max()) + 2
        key = tx * self.shift + ty
        self.order = np.argsort(key, kind="stable")
        self.keys = key[self.order]

    def around(self, tx: int, ty: int) -> np.ndarray:
        parts = []
        for dx in (-1, 0, 1):
            low = (tx + dx) * self.shift + ty - 1
            a, b = np.searchsorted(self.keys, [low, low + 3])
            parts.append(self.order[a:b])
        return np.concatenate(parts)


def _tile_codes(every, code, cx, cy, near, corner, size, origin, cell, radius) -> np.ndarray:
    """The gap code (0: none) of every cell of one padded tile from its nearest place.

    The nearest place of a cell is that of the nearest cell holding places (a Euclidean
    distance transform), except where that cell holds both reached and gap places: there
    the cells it would take are given their exact nearest place (a KD-tree), so a gap place
    beside a reached one keeps its share. A cell holding a reached place is never a gap's.
    """
    from scipy import ndimage

    col, row = cx[near] - corner[0], cy[near] - corner[1]
    inside = (col >= 0) & (col < size) & (row >= 0) & (row < size)
    near, col, row = near[inside], col[inside], row[inside]
    if near.size == 0:
        return np.zeros((size, size), dtype=np.int32)
    seed = np.full((size, size), -1, dtype=np.int64)
    gap = code[near] > 0
    seed[row[gap], col[gap]] = near[gap]
    mixed = np.zeros((size, size), dtype=bool)
    mixed[row[~gap], col[~gap]] = seed[row[~gap], col[~gap]] >= 0
    seed[row[~gap], col[~gap]] = near[~gap]  # a reached place wins the cell it shares
    index = ndimage.distance_transform_edt(seed < 0, return_distances=False,
                                           return_indices=True)
    nearest = seed[index[0], index[1]]
    exact = mixed[index[0], index[1]] if mixed.any() else None
    del index
    centre_x = origin[0] + (corner[0] + np.arange(size) + 0.5) * cell
    centre_y = origin[1] + (corner[1] + np.arange(size) + 0.5) * cell
    dist2 = ((every[nearest, 0] - centre_x[None, :]) ** 2
             + (every[nearest, 1] - centre_y[:, None]) ** 2)
    codes = np.where(dist2 <= radius * radius, code[nearest], 0).astype(np.int32)
    del dist2, nearest
    _refine(codes, every[near], code[near], exact, centre_x, centre_y, radius)
    # a cell holding a gap place is its gap's (the place lies inside its area), unless a
    # reached place is in it too: never a gap's (no reached place lies inside a gap area)
    codes[row[gap], col[gap]] = code[near[gap]]
    codes[row[~gap], col[~gap]] = 0
    return codes


def _refine(codes, xy, place_code, exact, centre_x, centre_y, radius,
            rounds: int = 6) -> None:
    """Give the cells where codes change (and those ``exact`` marks) the code of their
    exact nearest place (a KD-tree), until the edges stop moving: the distance transform
    measures from cell centres, so near an edge it can pick a place a little farther than
    the nearest."""
    from scipy.spatial import cKDTree

    todo = np.zeros(codes.shape, dtype=bool) if exact is None else exact.copy()
    done = np.zeros(codes.shape, dtype=bool)
    tree = None
    for _ in range(rounds):
        edge = np.zeros(codes.shape, dtype=bool)
        for axis in (0, 1):
            change = np.diff(codes, axis=axis) != 0
            lead = [slice(None), slice(None)]
            lead[axis] = slice(1, None)
            edge[tuple(lead)] |= change
            lead[axis] = slice(None, -1)
            edge[tuple(lead)] |= change
        todo |= edge
        todo &= ~done
        if not todo.any():
            return
        rows, cols = np.nonzero(todo)
        tree = tree or cKDTree(xy)
        dist, which = tree.query(np.column_stack([centre_x[cols], centre_y[rows]]),
                                 distance_upper_bound=radius)
        codes[rows, cols] = np.where(np.isfinite(dist),
                                     place_code[np.minimum(which, xy.shape[0] - 1)], 0)
        done |= todo
        todo[:] = False


def _trace(codes: np.ndarray, corner: tuple[int, int], origin, cell: float,
           pieces: dict) -> None:
    """Polygons of each code's cells in one tile, appended to ``pieces[code]``."""
    import rasterio.features

    if not codes.any():
        return
    for geom, value in rasterio.features.shapes(codes, mask=codes > 0, connectivity=4):
        rings = [origin + (np.asarray(ring, dtype=float) + corner) * cell
                 for ring in geom["coordinates"]]
        pieces.setdefault(int(value), []).append(shapely.Polygon(rings[0], rings[1:]))


def _merge(parts: list):
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _keep_members(shapes: list, every, reached, out, label, cx, cy, cell: float) -> list:
    """Add a small square around each gap place whose cell a reached place took: it holds no
    reached place (half the Chebyshev distance to the nearest one, at most half a cell).
    A gap place on the very spot of a reached one gets none."""
    from scipy.spatial import cKDTree

    width = int(cy.max()) + 2
    key = cx * width + cy
    taken = np.isin(key[out], key[reached])
    if not taken.any():
        return shapes
    members = out[taken]
    spots = cKDTree(np.round(every[reached], 2))
    gap_to, _ = spots.query(np.round(every[members], 2), p=np.inf)
    half = np.minimum(0.49 * gap_to, cell / 2)
    keep = gap_to > 0
    members, half, groups = members[keep], half[keep], label[taken][keep]
    if members.size == 0:
        return shapes
    squares = shapely.box(every[members, 0] - half, every[members, 1] - half,
                          every[members, 0] + half, every[members, 1] + half)
    order = np.argsort(groups, kind="stable")
    cuts = np.flatnonzero(np.diff(groups[order])) + 1
    for part in np.split(order, cuts):
        g = int(groups[part[0]])
        shapes[g] = shapely.union_all(np.concatenate([[shapes[g]], squares[part]]))
    return shapes
