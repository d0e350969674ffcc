"""Catchments of many stations in one raster pass agree with the outlines drawn one by one.

Tolerance: both drawings are rasters of the same corridor (buffer_m around the covered
streets), so they may differ by a cell's diagonal where a cell centre falls on either side,
plus the simplification of each outline (half a cell for the rasters, a quarter of the
buffer for the exact vector outline the one-by-one path takes on small graphs). So every
part of one lies within that band of the other, and their areas differ by at most the
band times the outline's length.
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.analysis import coverage
from planner.analysis.options import CoverageOptions
from planner.engine import isochrones, traveltime
from planner.settings import Travel

from conftest import grid_network

BUFFER_M = 40.0
CELL_M = BUFFER_M / 4.5  # the catchment raster's cell at the default buffer (see _catchments)
BAND_M = CELL_M * 2 ** 0.5 + CELL_M / 2 + BUFFER_M / 4


def _graph(rows=30, cols=30, spacing=150):
    net = grid_network(rows, cols, spacing=spacing)
    return traveltime.build(net.graph(Travel("walk")), {})


def _within_band(a, b) -> bool:
    return (a.difference(b.buffer(BAND_M)).area < 1e-6 * a.area + 1
            and b.difference(a.buffer(BAND_M)).area < 1e-6 * b.area + 1)


def test_apart_stations_get_their_own_isochrone():
    graph = _graph()
    sources = np.array([0, 29 * 30 + 29, 15 * 30 + 15])  # two corners and the centre
    ids = ["a", "b", "c"]
    seconds, nearest = traveltime.time_to_nearest(graph, sources)
    for minutes in (3, 6, 12):  # 12 min: the corridors reach each other, no overlap
        caught = isochrones.station_catchments(graph, sources, ids, [minutes],
                                               seconds=seconds, nearest=nearest)
        alone = isochrones.station_isochrones(graph, sources, ids, [minutes])
        assert caught["outline"].eq("catchment").all() and len(caught) == 3
        for mine, theirs in zip(caught.geometry, alone.geometry):
            assert _within_band(mine, theirs)
            assert abs(mine.area - theirs.area) <= BAND_M * theirs.length


def test_catchments_tile_the_service_area_and_lie_in_their_isochrones():
    graph = _graph(20, 20)
    sources = np.array([0, 22, 45, 210, 399, 205, 150, -1])
    ids = list("abcdefgh")
    seconds, nearest = traveltime.time_to_nearest(graph, sources)
    told = []
    caught = isochrones.station_catchments(graph, sources, ids, [5, 10], seconds=seconds,
                                           nearest=nearest, progress=told.append)
    assert sum(told) == 7 and caught["station_id"].tolist() == list("abcdefg")
    assert (caught["minutes"] == 10).all()
    shapes = caught.geometry.to_numpy()
    # no two catchments overlap, but for each one's own simplification (half a cell) along
    # their shared edge
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            shared = shapes[i].boundary.intersection(shapes[j].buffer(CELL_M)).length
            assert shapes[i].intersection(shapes[j]).area <= CELL_M / 2 * shared + 1.0
    union = shapely.union_all(shapes)
    area, = isochrones.service_area(graph, seconds, [10]).geometry
    assert _within_band(union, area)
    own = isochrones.station_isochrones(graph, sources, ids, [10])
    for mine, theirs in zip(shapes, own.geometry):
        assert mine.difference(theirs.buffer(BAND_M)).area < 1.0
    # each station lies in its own catchment
    doors = shapely.points(graph.node_x[sources[:7]], graph.node_y[sources[:7]])
    assert shapely.intersects(shapes, doors).all()


def test_search_done_here_when_not_given():
    graph = _graph(12, 12)
    sources = np.array([0, 143])
    given = isochrones.station_catchments(
        graph, sources, ["a", "b"], [4], **dict(zip(("seconds", "nearest"),
                                                    traveltime.time_to_nearest(graph, sources))))
    searched = isochrones.station_catchments(graph, sources, ["a", "b"], [4])
    assert given.geometry.geom_equals_exact(searched.geometry, 1e-9).all()


def test_coverage_switches_to_catchments_beyond_per_station_max():
    net = grid_network(12, 12, spacing=150)
    street = net.graph(Travel("walk"))
    xy = np.column_stack([street.node_x, street.node_y])
    import geopandas as gpd

    def layer(nodes, prefix):
        return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(nodes))]},
                                geometry=shapely.points(xy[nodes]), crs=street.crs)

    stations = layer([0, 70, 143], "S")
    demand = layer(list(range(0, 144, 5)), "D")
    full = coverage.analyze(street, stations, demand, minutes=[5, 10])
    assert set(full.isochrones["outline"]) == {"service area", "isochrone"}
    told = []
    few = coverage.analyze(street, stations, demand, progress=told.append,
                           options=CoverageOptions(minutes=[5, 10], per_station_max=2))
    rows = few.isochrones[few.isochrones["station_id"] != "all"]
    assert rows["outline"].eq("catchment").all() and rows["minutes"].eq(10).all()
    assert len(rows) == 3 and any("catchment" in line for line in told)
    # the same numbers either way: only the drawing changes
    assert few.summary() == full.summary()
