"""One rule for "covered", reachability causes on a cut-out extract, places inside isochrones.

All on the bundled Wudaokou network (© OpenStreetMap contributors, ODbL 1.0).
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.analysis import coverage
from planner.apps import scenario
from planner.data import network
from planner.settings import Travel

from conftest import SAMPLE

#: A district cut out of the Wudaokou extract: one-way streets leave the box at its edge.
CUT_BBOX = (116.31, 39.99, 116.33, 40.01)


@pytest.fixture(scope="module")
def boundary_minutes(sample_network, sample_stations, sample_demand):
    """Thresholds equal to some places' times rounded to 0.01 min: places right at the edge."""
    first = coverage.analyze(sample_network, sample_stations, sample_demand,
                             travel=Travel("ebike"), with_isochrones=False)
    seconds = first.demand["seconds_to_nearest"].to_numpy()
    shown = np.round(seconds / 60, 2)
    above = np.flatnonzero(np.isfinite(seconds) & (shown * 60 < seconds))  # shown <= m, not in
    below = np.flatnonzero(np.isfinite(seconds) & (shown * 60 > seconds))
    picks = sorted({float(shown[i]) for i in np.concatenate([above[:3], below[:2]])})
    return tuple(picks)


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def test_summary_columns_map_and_scenario_table_agree_at_every_threshold(
        sample_network, sample_stations, sample_demand, boundary_minutes, tmp_path):
    from planner.outputs import maps
    from planner.outputs._base import COVERED, UNCOVERED
    from planner.outputs._compact import CompactGeoJson

    minutes = boundary_minutes
    result = coverage.analyze(sample_network, sample_stations, sample_demand,
                              travel=Travel("ebike"), minutes=minutes, with_isochrones=False)
    demand = result.demand
    seconds = demand["seconds_to_nearest"].to_numpy()
    weight = demand["weight"].to_numpy()
    summary = result.summary()
    old_rule_differs = 0
    for m in minutes:
        truth = seconds <= m * 60  # independent: the unrounded time
        column = demand[f"covered_{m:g}"].to_numpy()
        assert np.array_equal(column, truth)
        assert summary["covered"][f"{m:g}"]["places"] == int(truth.sum())
        assert np.isclose(summary["covered"][f"{m:g}"]["weight"], weight[truth].sum())
        assert np.isclose(result.covered_share(m), weight[truth].sum() / weight.sum())
        old_rule_differs += int(((np.round(seconds / 60, 2) <= m) != truth).sum())
        assert np.array_equal(demand["minutes_to_nearest"].to_numpy() <= m, truth)  # shown
    assert old_rule_differs >= 3  # the rounded minutes would have told another story

    # the map colours by the same rule at its main threshold
    fmap = maps.coverage_map([result], network=sample_network)
    main = max(minutes)
    places = [e for e in _walk(fmap) if isinstance(e, CompactGeoJson) and e.table is not None]
    colours = [style["fillColor"] for style in places[0].feature_styles()]
    assert colours == [COVERED if c else UNCOVERED for c in demand[f"covered_{main:g}"]]

    # the scenario table, from its own run of the same inputs
    spec = scenario.parse({"baseline": {
        "network": "wudaokou", "mode": "ebike", "minutes": list(minutes),
        "stations": str(SAMPLE / "stations.geojson"), "demand": str(SAMPLE / "demand.geojson")}})
    row = scenario.run(spec).comparison().iloc[0]
    for m in minutes:
        want = round(100 * weight[seconds <= m * 60].sum() / weight.sum(), 2)
        assert row[f"covered_{m:g}min_%"] == want


def test_gaps_hold_exactly_the_uncovered_places(sample_network, sample_stations,
                                                sample_demand, boundary_minutes):
    result = coverage.analyze(sample_network, sample_stations, sample_demand,
                              travel=Travel("ebike"), minutes=boundary_minutes,
                              with_isochrones=False)
    main = f"covered_{result.threshold:g}"
    in_gaps = sorted(",".join(result.gaps["place_ids"]).split(",")) if len(result.gaps) else []
    assert in_gaps == sorted(result.demand.loc[~result.demand[main], "id"])


def test_the_scenario_table_compares_only_shared_thresholds():
    spec = scenario.parse({"baseline": {"network": "wudaokou", "mode": "walk",
                                        "minutes": [5, 10]},
                           "variants": [{"name": "longer", "minutes": [10, 15]}]})
    run = scenario.run(spec)
    table = run.comparison()
    assert [c for c in table.columns if c.startswith("covered_")] == [
        "covered_5min_%", "covered_10min_%"]
    base, row = table.iloc[0], table.set_index("scenario").loc["longer"]
    assert base["not_compared"] == ""
    assert pd.isna(row["covered_5min_%"])
    longer = run.results[1].coverage
    assert row["covered_10min_%"] == round(100 * longer.covered_share(10), 2)
    assert row["change_vs_baseline_pp"] == round(
        100 * (longer.covered_share(10) - run.baseline.coverage.covered_share(10)), 2)
    assert row["not_compared"] == ("5 min: n/a, not computed for this scenario; 15 min: not "
                                   "shown, the baseline has no 15-min figure; gaps at 15 min "
                                   "(baseline: 10 min)")


@pytest.mark.parametrize("mode", ["ebike", "walk"])
def test_every_covered_place_lies_inside_its_isochrone(sample_network, sample_stations,
                                                       sample_demand, mode):
    result = coverage.analyze(sample_network, sample_stations, sample_demand,
                              travel=Travel(mode), minutes=(5, 10, 15))
    iso = result.isochrones
    points = result.demand.geometry.to_numpy()
    assert result.demand["access_m"].max() > 60  # access legs longer than the 40 m corridor
    for m in result.minutes:
        covered = result.demand[f"covered_{m:g}"].to_numpy()
        area = iso[(iso["station_id"] == "all") & (iso["minutes"] == m)].geometry.iloc[0]
        assert shapely.covers(area, points[covered]).all(), m
        for sid in result.stations["id"]:
            own = covered & (result.demand["nearest_station"] == sid).to_numpy()
            shape = iso[(iso["station_id"] == sid) & (iso["minutes"] == m)].geometry.iloc[0]
            assert shapely.covers(shape, points[own]).all(), (m, sid)


@pytest.fixture(scope="module")
def cut_out():
    return network.from_file(SAMPLE / "network.osm.bz2", bbox=CUT_BBOX, name="wudaokou-cut")


def _inside(frame):
    w, s, e, n = CUT_BBOX
    x, y = frame.geometry.x, frame.geometry.y
    return frame[(x >= w) & (x <= e) & (y >= s) & (y <= n)]


def test_a_cut_out_extract_keeps_every_street_and_loses_no_place(cut_out, sample_stations,
                                                                 sample_demand):
    ride = cut_out.graph(Travel("ebike", push_oneway=False))
    # the whole usable network is kept: every segment an e-bike may use, in either direction
    usable = set(ride.seg_index.tolist())
    assert usable == set(cut_out.graph(Travel("ebike")).seg_index.tolist())
    graph = ride.to_networkx()
    largest = max(nx.strongly_connected_components(graph), key=len)
    trapped = ride.n_nodes - len(largest)
    assert trapped > 0.05 * ride.n_nodes  # one-way streets cut at the box edge end there
    stations, demand = _inside(sample_stations), _inside(sample_demand)

    pushed = coverage.analyze(cut_out, stations, demand, travel=Travel("ebike"),
                              with_isochrones=False)
    assert pushed.summary()["unreachable"]["places"] == 0  # riders push against one-way streets

    strict = coverage.analyze(cut_out, stations, demand, travel=Travel("ebike", push_oneway=False),
                              with_isochrones=False)
    unreachable = strict.summary()["unreachable"]
    causes = unreachable["causes"]
    assert causes["one_way"]["places"] == unreachable["places"] > 0
    assert causes["far_from_street"]["places"] == causes["no_path"]["places"] == 0
    lost = strict.demand[strict.demand["unreachable_cause"] == "one_way"]
    assert np.isclose(causes["one_way"]["weight"], lost["weight"].sum())
    assert lost["on_network"].all() and np.isinf(lost["seconds_to_nearest"]).all()
    json.dumps(strict.summary(), allow_nan=False)


def test_places_on_a_stray_piece_walk_to_the_main_network(cut_out):
    from planner.data import layers

    street = cut_out.graph(Travel("ebike"))
    assert street.n_pieces > 1  # stray pieces are kept, not cut away
    coords = street.segment_coords()
    stray = np.flatnonzero(street.seg_piece != 0)
    mid = coords[stray].mean(axis=1)
    main_lines = shapely.linestrings(coords[street.seg_piece == 0])
    near_main = np.array([shapely.distance(main_lines, shapely.Point(p)).min() for p in mid])
    pick = stray[near_main < street.travel.max_snap_m]
    assert pick.size
    import geopandas as gpd

    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*coords[pick].mean(axis=1).T),
                              crs=street.crs).to_crs("EPSG:4326")
    snapped = layers.snap(points, street)
    assert snapped.on_network.all()
    assert (street.seg_piece[snapped.segment] == 0).all()
    assert np.allclose(snapped.offset_m, near_main[near_main < street.travel.max_snap_m],
                       atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(seconds=st.lists(st.floats(0, 7200, allow_nan=False), min_size=1, max_size=50),
       hundredths=st.integers(1, 12_000))
def test_shown_minutes_never_contradict_the_rule(seconds, hundredths):
    m = hundredths / 100  # any threshold given to 0.01 min
    seconds = np.array(seconds + [m * 60, m * 60 + 1e-6, m * 60 - 1e-6, np.inf])
    shown = coverage.display_minutes(seconds)
    # exact except within a rounding error (1e-9 s) of the threshold itself, where two
    # floats differ in their last bit but print alike
    clear = ~np.isclose(seconds, m * 60, rtol=0, atol=1e-9)
    assert np.array_equal((shown <= m)[clear], coverage.is_covered(seconds, m)[clear])
    finite = np.isfinite(seconds)
    assert np.all(shown[finite] * 60 >= seconds[finite] - 1e-6)
    assert np.all(shown[finite] * 60 - seconds[finite] < 0.6 + 1e-6)  # at most 0.01 min up


def test_each_cause_is_told_apart_on_a_network_of_two_islands():
    from planner.data import layers
    from conftest import grid_network, lonlat_of

    # two 3x3 grids 2 km apart; in the first, the street into the corner node 0 is one-way
    big = grid_network(3, 3, spacing=100)
    x = np.concatenate([big.node_x, big.node_x + 2000])
    y = np.concatenate([big.node_y, big.node_y])
    u = np.concatenate([big.seg_u, big.seg_u + 9])
    v = np.concatenate([big.seg_v, big.seg_v + 9])
    into_0 = (big.seg_u == 0) | (big.seg_v == 0)
    oneway = np.zeros(u.size, np.int8)
    oneway[:big.seg_u.size][into_0] = np.where(big.seg_v[into_0] == 0, 1, -1)  # only into 0
    net = network.from_segments(x, y, u, v, oneway=oneway)
    station_xy = (big.node_x[8], big.node_y[8])
    places = [(big.node_x[0], big.node_y[0] - 5),        # corner: only against one-way rules
              (big.node_x[4] + 2000, big.node_y[4] + 5),  # the other island: no path
              (big.node_x[4] + 1000, big.node_y[4]),      # 1 km from any street
              (big.node_x[4], big.node_y[4] + 5)]         # reachable
    lon, lat = lonlat_of(net, np.array([p[0] for p in places]), np.array([p[1] for p in places]))
    demand = layers.points_from_lonlat(list(zip(lon, lat)), weights=[1, 2, 3, 4])
    slon, slat = lonlat_of(net, np.array([station_xy[0]]), np.array([station_xy[1]]))
    stations = layers.points_from_lonlat([(slon[0], slat[0])])
    for travel, first in ((Travel("bike"), "one_way"), (Travel("ebike"), "")):
        result = coverage.analyze(net, stations, demand, travel=travel, with_isochrones=False)
        assert result.demand["unreachable_cause"].tolist() == [
            first, "no_path", "far_from_street", ""]
        causes = result.summary()["unreachable"]["causes"]
        assert causes["no_path"] == {"places": 1, "weight": 2.0, "share": 0.2,
                                     "meaning": coverage.CAUSES["no_path"]}
        assert causes["far_from_street"]["weight"] == 3.0
