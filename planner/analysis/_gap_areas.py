"""Gap areas: uncovered demand grouped into areas, each with a polygon around its places.

Internal to :mod:`planner.analysis.coverage` (``find_gaps`` is public there). A gap's area is
the union of its places' Voronoi cells among every demand place, each cut to a disc of
``link_m / 2``: the points whose nearest demand place is one of the gap's and at most
``link_m / 2`` away, so a gap area holds no reached place. Up to :data:`EXACT_PLACES` demand
places it is drawn exactly (GEOS Voronoi cells); beyond, on a raster of cells of
``link_m / 16`` (25 m by default): every cell takes the nearest place's label (a Euclidean
distance transform, tiled so memory stays bounded), and the label regions are traced. Cells
holding a reached place never belong to a gap, and a gap place whose cell a reached place
took keeps a small square around it that holds no reached place, so the two rules of the
exact drawing (no reached place inside, every gap place inside or on the edge) hold on both.
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.analysis._coverage_arrays import link_labels

__all__ = ["find_gaps", "gap_cells", "EXACT_PLACES"]

#: Demand layers up to this many places get exact gap polygons; larger ones a raster drawing.
EXACT_PLACES = 20_000
#: Raster cell of the gap drawing, as a share of the link distance (400 m -> 25 m).
CELL_SHARE = 1 / 16
#: Largest side (cells) of one raster tile of the gap drawing (memory: ~40 bytes per cell).
TILE_CELLS = 1024

COLUMNS = ["gap_id", "places", "weight", "worst_minutes", "anchor_name", "anchor_lon",
           "anchor_lat", "place_ids"]


def find_gaps(demand, crs: str, *, reached: np.ndarray, link_m: float):
    """Group the demand not ``reached`` (the coverage rule, applied by the caller) into gap
    areas.

    Places closer than ``link_m`` to each other join one gap; each gap gets its total
    weight, its heaviest place as the anchor and a polygon around its places (see the
    module docstring). Rows are sorted by weight, heaviest first (``G1``).
    """
    import geopandas as gpd

    from planner.data.layers import projected_xy

    reached = np.asarray(reached, dtype=bool)
    out = np.flatnonzero(~reached)
    if out.size == 0:
        return gpd.GeoDataFrame({c: [] for c in COLUMNS}, geometry=[], crs="EPSG:4326")
    every = projected_xy(demand, crs)
    label = link_labels(every[out], link_m)
    if len(demand) <= EXACT_PLACES:
        cells = gap_cells(every, reached, radius_m=link_m / 2)
        order = np.argsort(label, kind="stable")
        bounds = np.flatnonzero(np.diff(label[order])) + 1
        shapes = [shapely.union_all(cells[members]) for members in np.split(order, bounds)]
    else:
        shapes = raster_areas(every, reached, label, link_m=link_m)
    rows = _rows(demand, out, label)
    frame = gpd.GeoDataFrame(rows, geometry=np.asarray(shapes, dtype=object), crs=crs)
    frame = frame.iloc[np.lexsort((np.arange(len(frame)), -frame["weight"].to_numpy()))]
    frame.insert(0, "gap_id", [f"G{i}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True).to_crs("EPSG:4326")


def _rows(demand, out: np.ndarray, label: np.ndarray) -> dict:
    """Per gap (in label order): places, weight, worst minutes, anchor and place ids."""
    groups = int(label.max()) + 1
    weight = demand["weight"].to_numpy(dtype=float)[out]
    minutes = demand["minutes_to_nearest"].to_numpy(dtype=float)[out]
    worst = np.full(groups, -np.inf)
    np.maximum.at(worst, label, minutes)
    # the heaviest place of each gap (the first in layer order among equals)
    order = np.lexsort((np.arange(out.size), -weight, label))
    first = np.ones(out.size, dtype=bool)
    first[1:] = label[order][1:] != label[order][:-1]
    anchor = out[order[first]]
    xy = shapely.get_coordinates(demand.geometry.to_numpy()[anchor])
    ids = demand["id"].astype(str).to_numpy()[out]
    by_label = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[by_label])) + 1
    return {
        "places": np.bincount(label, minlength=groups).astype(int),
        "weight": np.round(np.bincount(label, weights=weight, minlength=groups), 3),
        "worst_minutes": worst,
        "anchor_name": demand["name"].astype(str).to_numpy()[anchor],
        "anchor_lon": np.round(xy[:, 0], 6),
        "anchor_lat": np.round(xy[:, 1], 6),
        "place_ids": [",".join(part) for part in np.split(ids[by_label], cuts)],
    }


def gap_cells(every: np.ndarray, reached: np.ndarray, *, radius_m: float) -> np.ndarray:
    """The exact area of each unreached place (in order, projected): its Voronoi cell among
    every demand place (so it holds no other place), cut to a disc of ``radius_m``.
    A place on the very spot of a reached one gets no area (it would hold the reached one)."""
    spots, inverse = np.unique(np.round(every, 2), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    blocked = np.zeros(len(spots), dtype=bool)
    blocked[inverse[reached]] = True
    own = inverse[~reached]
    discs = shapely.buffer(shapely.points(spots[own]), radius_m, quad_segs=8)
    if len(spots) < 2:
        cells = discs
    else:
        box = shapely.box(*(spots.min(axis=0) - 2 * radius_m),
                          *(spots.max(axis=0) + 2 * radius_m))
        voronoi = shapely.get_parts(shapely.voronoi_polygons(
            shapely.multipoints(spots), extend_to=box, ordered=True))
        cells = shapely.intersection(voronoi[own], discs)
    return np.where(blocked[own], shapely.Polygon(), cells)


def raster_areas(every: np.ndarray, reached: np.ndarray, label: np.ndarray, *,
                 link_m: float) -> list:
    """Gap polygons (one per label) drawn on a raster: see the module docstring."""
    from planner.analysis import _gap_raster

    return _gap_raster.areas(every, reached, label, link_m=link_m, cell_share=CELL_SHARE,
                             tile_cells=TILE_CELLS)
