"""Isochrones are exact along the streets: partial edges, no convex hulls."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.engine import isochrones
from planner.data import network
from planner.engine import traveltime
from planner.settings import Travel

from conftest import grid_network


def test_a_straight_street_is_cut_exactly_at_the_remaining_time():
    # 2 km straight street, walked at 1 m/s from its west end: 10 min = 600 m
    net = network.from_segments(np.array([440_000.0, 441_000.0, 442_000.0]),
                                np.array([4_428_000.0] * 3), np.array([0, 1]), np.array([1, 2]))
    street = net.graph(Travel("walk", speed_kmh=3.6))
    graph = traveltime.build(street, {})
    seconds, _ = traveltime.time_to_nearest(graph, np.array([0]))
    lines = isochrones.covered_lines(graph, seconds, 600.0)
    covered = shapely.union_all(lines)
    assert np.isclose(covered.length, 600.0)
    area = isochrones.polygons(lines, buffer_m=10)
    minx, _, maxx, _ = area.bounds
    assert np.isclose(maxx - 440_000.0, 610.0, atol=3)  # 600 m of street + 10 m buffer
    assert np.isclose(440_000.0 - minx, 10.0, atol=3)


def test_grid_isochrone_is_a_diamond_not_a_hull():
    net = grid_network(11, 11, spacing=100)
    street = net.graph(Travel("walk", speed_kmh=3.6))
    graph = traveltime.build(street, {})
    centre = 60  # middle of the 11 x 11 grid
    seconds, _ = traveltime.time_to_nearest(graph, np.array([centre]))
    frame = isochrones.service_area(graph, seconds, [5], buffer_m=5)
    polygon = frame.geometry.iloc[0]
    cx, cy = net.node_x[centre], net.node_y[centre]
    # 300 m along the streets: (cx+300, cy) is reached, (cx+200, cy+200) is not (400 m away)
    assert polygon.contains(shapely.Point(cx + 299, cy))
    assert not polygon.contains(shapely.Point(cx + 200, cy + 200))
    assert not polygon.contains(shapely.Point(cx + 150, cy + 150))  # inside a block


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), minutes=st.floats(0.5, 8))
def test_polygon_contains_every_node_reached_and_no_node_beyond_the_buffer(seed, minutes):
    rng = np.random.default_rng(seed)
    net = grid_network(8, 8, spacing=120, oneway=rng.choice([-1, 0, 0, 1], size=112))
    street = net.graph(Travel("bike", speed_kmh=6))
    graph = traveltime.build(street, {})
    source = np.array([int(rng.integers(street.n_nodes))])
    seconds, _ = traveltime.time_to_nearest(graph, source)
    buffer_m = 20.0
    polygon = isochrones.service_area(graph, seconds, [minutes], buffer_m=buffer_m).geometry.iloc[0]
    points = shapely.points(graph.node_x[: street.n_nodes], graph.node_y[: street.n_nodes])
    reached = seconds[: street.n_nodes] <= minutes * 60
    assert shapely.contains(shapely.buffer(polygon, 1e-6), points[reached]).all()
    # a node not reached lies outside unless a covered street passes within the buffer
    # (plus the outline's simplification tolerance, a quarter of the buffer)
    lines = shapely.union_all(isochrones.covered_lines(graph, seconds, minutes * 60))
    far = ~reached & (shapely.distance(points, lines) > buffer_m * 1.25 + 1)
    assert not shapely.intersects(polygon, points[far]).any()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), minutes=st.floats(1, 6))
def test_raster_outline_agrees_with_the_vector_buffer(seed, minutes):
    rng = np.random.default_rng(seed)
    net = grid_network(12, 12, spacing=90, oneway=rng.choice([-1, 0, 0, 1], size=264))
    street = net.graph(Travel("bike", speed_kmh=8))
    graph = traveltime.build(street, {})
    seconds, _ = traveltime.time_to_nearest(graph, np.array([int(rng.integers(street.n_nodes))]))
    vector, = isochrones.threshold_polygons(graph, seconds, [minutes], method="vector",
                                            buffer_m=30)
    raster, = isochrones.threshold_polygons(graph, seconds, [minutes], method="raster",
                                            buffer_m=30, cell_m=5)
    points = shapely.points(graph.node_x[: street.n_nodes], graph.node_y[: street.n_nodes])
    reached = seconds[: street.n_nodes] <= minutes * 60
    assert shapely.contains(raster, points[reached]).all()
    # outlines agree within the two methods' own error: a raster cell's diagonal (7 m) plus
    # the outline simplification of each (2.5 m raster, a quarter of the buffer = 7.5 m vector)
    band = 5 * 2 ** 0.5 + 2.5 + 30 / 4
    assert raster.difference(vector.buffer(band)).area < 1e-6 * vector.area + 1
    assert vector.difference(raster.buffer(band)).area < 1e-6 * vector.area + 1


def test_station_rows_keep_the_station_order_when_searches_are_local(monkeypatch):
    monkeypatch.setattr(traveltime, "SUBGRAPH_MIN_NODES", 1)  # spatially sorted chunks
    net = grid_network(10, 10, spacing=200)
    street = net.graph(Travel("walk"))
    graph = traveltime.build(street, {})
    sources = np.array([99, 0, 55, 9, 90])
    frame = isochrones.station_isochrones(graph, sources, ["a", "b", "c", "d", "e"], [2, 4])
    assert frame["station_id"].tolist() == ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"]
    whole = isochrones.station_isochrones(graph, sources[:1], ["a"], [2, 4])
    assert np.allclose(frame["area_km2"].iloc[:2], whole["area_km2"])
