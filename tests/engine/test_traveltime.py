"""Travel times equal an independent networkx answer on random graphs, points included."""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.data import layers
from planner.data import network
from planner.engine import traveltime
from planner.settings import Travel

from conftest import grid_network, lonlat_of


def random_street_graph(seed: int, n: int, m: int, mode: str):
    rng = np.random.default_rng(seed)
    x = 440_000 + rng.uniform(0, 2000, n)
    y = 4_428_000 + rng.uniform(0, 2000, n)
    # a spanning path keeps most of it connected, plus random chords
    order = rng.permutation(n)
    u = list(order[:-1])
    v = list(order[1:])
    for _ in range(m):
        a, b = rng.choice(n, 2, replace=False)
        u.append(a)
        v.append(b)
    oneway = rng.choice([-1, 0, 0, 1], size=len(u))
    net = network.from_segments(x, y, np.array(u), np.array(v), oneway=oneway,
                                name=f"random-{seed}")
    return net, net.graph(Travel(mode, max_snap_m=5000))


def reference_graph(street, snapped_groups):
    """Naive networkx graph with every point spliced into its segment (independent code)."""
    graph = nx.DiGraph()
    on_segment: dict[int, list] = {}
    doors = {}
    counter = 0
    for group, snapped in snapped_groups.items():
        for k in range(len(snapped)):
            if snapped.segment[k] < 0:
                continue
            key = ("p", counter)
            counter += 1
            on_segment.setdefault(int(snapped.segment[k]), []).append(
                (float(snapped.fraction[k]), key))
            door = ("d", group, k)
            doors[(group, k)] = door
            walk = float(snapped.offset_m[k]) / street.travel.access_ms
            graph.add_edge(door, key, time=walk)
            graph.add_edge(key, door, time=walk)

    def add(a, b, t):
        if np.isfinite(t) and (not graph.has_edge(a, b) or graph[a][b]["time"] > t):
            graph.add_edge(a, b, time=t)

    for i in range(street.n_segments):
        chain = [(0.0, ("n", int(street.seg_u[i])))]
        chain += sorted(on_segment.get(i, []))
        chain.append((1.0, ("n", int(street.seg_v[i]))))
        for (fa, a), (fb, b) in zip(chain[:-1], chain[1:]):
            share = fb - fa
            if share == 0:  # points at the same spot (or at a node) are one place
                add(a, b, 0.0)
                add(b, a, 0.0)
                continue
            add(a, b, street.seg_fwd_s[i] * share if np.isfinite(street.seg_fwd_s[i]) else np.inf)
            add(b, a, street.seg_bwd_s[i] * share if np.isfinite(street.seg_bwd_s[i]) else np.inf)
    return graph, doors


def random_points(rng, net, k):
    xs = rng.uniform(net.node_x.min() - 50, net.node_x.max() + 50, k)
    ys = rng.uniform(net.node_y.min() - 50, net.node_y.max() + 50, k)
    lon, lat = lonlat_of(net, xs, ys)
    return layers.points_from_lonlat(list(zip(lon, lat)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(4, 40),
    m=st.integers(0, 60),
    mode=st.sampled_from(["walk", "ebike", "drive"]),
    n_stations=st.integers(1, 4),
    n_demand=st.integers(1, 25),
)
def test_time_to_nearest_matches_networkx(seed, n, m, mode, n_stations, n_demand):
    net, street = random_street_graph(seed, n, m, mode)
    rng = np.random.default_rng(seed + 1)
    stations = random_points(rng, net, n_stations)
    demand = random_points(rng, net, n_demand)
    snapped = {"stations": layers.snap(stations, street), "demand": layers.snap(demand, street)}
    graph = traveltime.build(street, snapped)
    seconds, nearest = traveltime.time_to_nearest(graph, graph.door("stations"))

    ref, doors = reference_graph(street, snapped)
    sources = [doors[("stations", k)] for k in range(n_stations) if ("stations", k) in doors]
    expected = nx.multi_source_dijkstra_path_length(ref.reverse(copy=True), sources,
                                                    weight="time") if sources else {}
    for k, door in enumerate(graph.door("demand")):
        want = expected.get(doors.get(("demand", k)), np.inf)
        got = seconds[door] if door >= 0 else np.inf
        assert np.isclose(got, want, rtol=1e-9, atol=1e-6), (k, got, want)
        if np.isfinite(got):
            # the nearest station reported really is that far
            station_door = doors[("stations", int(nearest[door]))]
            t = nx.dijkstra_path_length(ref, doors[("demand", k)], station_door, weight="time")
            assert np.isclose(t, got, rtol=1e-9, atol=1e-6)

    # Bounded per-source matrix agrees with networkx too.
    limit = float(np.nanmedian(np.where(np.isfinite(seconds), seconds, np.nan)) or 60.0)
    matrix = traveltime.times_to_each(graph, graph.door("stations"), graph.door("demand"),
                                      limit=limit).tocsr()
    for s in range(n_stations):
        if ("stations", s) not in doors:
            assert matrix[s].nnz == 0
            continue
        lengths = nx.single_source_dijkstra_path_length(
            ref.reverse(copy=True), doors[("stations", s)], cutoff=limit + 1e-6, weight="time")
        want = {k: lengths[doors[("demand", k)]] for k in range(n_demand)
                if ("demand", k) in doors and doors[("demand", k)] in lengths}
        row = matrix.getrow(s)
        got = dict(zip(row.indices.tolist(), row.data.tolist()))
        # the limit is a place's own time, so summation order can put that place one ulp
        # either side of it: only places clearly inside or outside must agree
        tie = {k for k, v in {**want, **got}.items() if abs(v - limit) <= 1e-6}
        assert set(got) - tie == set(want) - tie
        want = {k: v for k, v in want.items() if k in got}
        for k in want:
            assert np.isclose(got[k], want[k], rtol=1e-9, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 30))
def test_snapping_finds_the_nearest_usable_street(seed, k):
    net, street = random_street_graph(seed, 20, 25, "walk")
    rng = np.random.default_rng(seed)
    points = random_points(rng, net, k)
    snapped = layers.snap(points, street)
    lines = shapely.linestrings(street.segment_coords())
    xy = layers.projected_xy(points, net.crs)
    for i in range(k):
        distances = shapely.distance(lines, shapely.Point(xy[i]))
        assert np.isclose(snapped.offset_m[i], distances.min(), atol=1e-6)
        assert np.isclose(distances[snapped.segment[i]], distances.min(), atol=1e-6)


def test_node_times_equal_networkx_multi_source():
    net = grid_network(8, 8, oneway=np.random.default_rng(3).choice([-1, 0, 1], size=112))
    street = net.graph(Travel("ebike"))
    graph = traveltime.build(street, {})
    sources = np.array([0, 17, 40]) % street.n_nodes
    seconds, _ = traveltime.time_to_nearest(graph, sources)
    reference = street.to_networkx().reverse(copy=True)
    expected = nx.multi_source_dijkstra_path_length(reference, set(sources.tolist()),
                                                    weight="time")
    for node in range(street.n_nodes):
        assert np.isclose(seconds[node], expected.get(node, np.inf))


def test_a_station_at_the_end_of_a_one_way_street_is_reached_from_that_node():
    # 0 -> 1 one-way; the station sits exactly on node 1 and is reached from it at no cost
    net = grid_network(2, 2, spacing=1000, oneway=np.array([1, 0, 0, 0]))
    street = net.graph(Travel("bike", speed_kmh=3.6))
    lon, lat = lonlat_of(net, np.array([net.node_x[1]]), np.array([net.node_y[1]]))
    graph = traveltime.build(street, {"stations": layers.snap(
        layers.points_from_lonlat([(lon[0], lat[0])]), street)})
    seconds, _ = traveltime.time_to_nearest(graph, graph.door("stations"))
    assert seconds[1] < 1e-6
    assert np.isclose(seconds[0], 1000.0, atol=1e-3)


def test_points_on_the_same_segment_travel_directly():
    net = grid_network(2, 2, spacing=1000)  # a square of 1 km sides
    street = net.graph(Travel("walk", speed_kmh=3.6))  # 1 m/s
    lon, lat = lonlat_of(net, np.array([440_200.0, 440_700.0]),
                         np.array([4_428_000.0, 4_428_000.0]))
    station = layers.points_from_lonlat([(lon[0], lat[0])])
    demand = layers.points_from_lonlat([(lon[1], lat[1])])
    graph = traveltime.build(street, {"stations": layers.snap(station, street),
                                      "demand": layers.snap(demand, street)})
    seconds, _ = traveltime.time_to_nearest(graph, graph.door("stations"))
    assert np.isclose(seconds[graph.door("demand")[0]], 500.0, atol=0.5)


def test_one_way_streets_are_respected_for_riders_but_not_walkers():
    # a 1 km square 0-1-3-2; the south side 0 -> 1 is one-way eastbound
    net = grid_network(2, 2, spacing=1000, oneway=np.array([1, 0, 0, 0]))
    for mode, westbound in (("bike", 3000.0), ("walk", 1000.0)):
        street = net.graph(Travel(mode, speed_kmh=3.6))  # 1 m/s
        graph = traveltime.build(street, {})
        seconds, _ = traveltime.time_to_nearest(graph, np.array([0]))
        assert np.isclose(seconds[1], westbound)  # from node 1 to node 0
        seconds, _ = traveltime.time_to_nearest(graph, np.array([1]))
        assert np.isclose(seconds[0], 1000.0)  # eastbound is always allowed


def test_the_whole_graph_is_kept_and_its_pieces_labelled():
    # two squares far apart: nothing is dropped, the small one is piece 1
    big = grid_network(3, 3)
    small_x = np.array([450_000.0, 450_100.0])
    net = network.from_segments(
        np.concatenate([big.node_x, small_x]), np.concatenate([big.node_y, [4_428_000.0] * 2]),
        np.concatenate([big.seg_u, [9]]), np.concatenate([big.seg_v, [10]]))
    street = net.graph(Travel("walk"))
    assert street.n_nodes == 11 and street.n_segments == net.n_segments
    assert street.n_pieces == 2 and street.node_piece.tolist() == [0] * 9 + [1, 1]
    assert street.summary()["pieces"] == 2


def test_riders_push_against_one_way_streets_at_walking_pace():
    # a 1 km square 0-1-3-2; the south side 0 -> 1 is one-way eastbound; riding at 1 m/s
    net = grid_network(2, 2, spacing=1000, oneway=np.array([1, 0, 0, 0]))
    cases = ((Travel("ebike", speed_kmh=3.6, push_kmh=1.8), 2000.0),  # push 1 km at 0.5 m/s
             (Travel("ebike", speed_kmh=3.6, push_kmh=0.9), 3000.0),  # riding round is faster
             (Travel("ebike", speed_kmh=3.6, push_oneway=False), 3000.0),
             (Travel("bike", speed_kmh=3.6, push_kmh=1.8), 3000.0),  # off by default
             (Travel("bike", speed_kmh=3.6, push_kmh=1.8, push_oneway=True), 2000.0))
    for travel, westbound in cases:
        graph = traveltime.build(net.graph(travel), {})
        seconds, _ = traveltime.time_to_nearest(graph, np.array([0]))
        assert np.isclose(seconds[1], westbound), travel
        seconds, _ = traveltime.time_to_nearest(graph, np.array([1]))
        assert np.isclose(seconds[0], 1000.0)  # with the one-way street: ridden


def test_push_arcs_are_exactly_the_one_way_directions_riders_may_not_ride():
    rng = np.random.default_rng(5)
    net = grid_network(6, 6, oneway=rng.choice([-1, 0, 1], size=60))
    ride = net.graph(Travel("ebike", push_oneway=False))
    push = net.graph(Travel("ebike"))
    assert np.array_equal(ride.seg_index, push.seg_index)
    one_way = net.seg_oneway[push.seg_index]
    walk_s = push.seg_length / (4.5 / 3.6)
    expected_fwd = np.where(one_way == -1, walk_s, ride.seg_fwd_s)
    expected_bwd = np.where(one_way == 1, walk_s, ride.seg_bwd_s)
    assert np.allclose(push.seg_fwd_s, expected_fwd) and np.allclose(push.seg_bwd_s, expected_bwd)
    assert np.all(np.isfinite(push.seg_fwd_s) & np.isfinite(push.seg_bwd_s))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), limit=st.floats(30, 600), chunk=st.integers(1, 5))
def test_local_subgraph_searches_equal_whole_graph_searches(monkeypatch, seed, limit, chunk):
    monkeypatch.setattr(traveltime, "SUBGRAPH_MIN_NODES", 50_000)
    net, street = random_street_graph(seed, 40, 50, "ebike")
    rng = np.random.default_rng(seed)
    stations = random_points(rng, net, 6)
    demand = random_points(rng, net, 30)
    graph = traveltime.build(street, {"stations": layers.snap(stations, street),
                                      "demand": layers.snap(demand, street)})
    whole = traveltime.times_to_each(graph, graph.door("stations"), graph.door("demand"),
                                     limit=limit).toarray()
    rows_whole = [r for _, r in traveltime.iter_times_to(graph, graph.door("stations"),
                                                         limit=limit)]
    monkeypatch.setattr(traveltime, "SUBGRAPH_MIN_NODES", 1)
    local = traveltime.times_to_each(graph, graph.door("stations"), graph.door("demand"),
                                     limit=limit).toarray()
    assert np.array_equal(local != 0, whole != 0) and np.allclose(local, whole)
    by_position = {}
    for positions, rows in traveltime.iter_times_to(graph, graph.door("stations"), limit=limit,
                                                    chunk=chunk):
        by_position.update(zip(positions.tolist(), rows))
    expected = np.vstack(rows_whole)
    got = np.vstack([by_position[p] for p in sorted(by_position)])
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    assert np.allclose(got[np.isfinite(got)], expected[np.isfinite(expected)])
