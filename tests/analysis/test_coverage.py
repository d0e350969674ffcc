"""The 15-minute check on the sample and on generated grids; invariants as properties."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.analysis import coverage
from planner.data import layers
from planner.errors import InputError, LayerError
from planner.settings import Travel

from conftest import grid_network, lonlat_of


@pytest.fixture(scope="module")
def walk_result(sample_network, sample_stations, sample_demand):
    return coverage.analyze(sample_network, sample_stations, sample_demand,
                            travel=Travel("walk"), minutes=(5, 10, 15))


def test_sample_walk_coverage_has_gaps_and_consistent_numbers(walk_result):
    result = walk_result
    summary = result.summary()
    shares = [summary["covered"][k]["share"] for k in ("5", "10", "15")]
    assert shares == sorted(shares) and 0 < shares[0] < shares[-1] < 1
    assert summary["gaps"] == len(result.gaps) >= 1
    uncovered = result.demand[result.demand["minutes_to_nearest"] > 15]
    assert np.isclose(result.gaps["weight"].sum(), uncovered["weight"].sum())
    served = result.stations["served_weight"].sum()
    covered_weight = summary["covered"]["15"]["weight"]
    assert np.isclose(served, covered_weight)
    assert (result.stations["reach_weight"] >= result.stations["served_weight"] - 1e-9).all()
    two_plus = result.demand["stations_within"] >= 2
    assert (result.demand.loc[two_plus, "minutes_to_nearest"] <= 15).all()
    med = summary["minutes_to_nearest"]
    assert med["median"] <= med["p90"] <= med["max"]
    json.loads(result.to_json())  # valid JSON, no NaN


def test_isochrone_bands_grow_with_time(walk_result):
    iso = walk_result.isochrones
    dissolved = iso[iso["station_id"] == "all"].sort_values("minutes").to_crs("EPSG:32650")
    assert dissolved["area_km2"].is_monotonic_increasing
    assert set(iso["station_id"]) == {"all", "S1", "S2", "S3"}
    for smaller, larger in zip(dissolved.geometry[:-1], dissolved.geometry[1:]):
        # nested up to the simplification tolerance of the outlines
        assert smaller.difference(larger).area < 0.01 * smaller.area


def test_ebike_covers_at_least_walking(sample_network, sample_stations, sample_demand,
                                       walk_result):
    ride = coverage.analyze(sample_network, sample_stations, sample_demand,
                            travel=Travel("ebike"), with_isochrones=False)
    assert ride.covered_share(15) >= walk_result.covered_share(15)


def test_all_stations_off_network_is_an_error(sample_network, sample_demand):
    w, s, e, n = sample_network.bounds_lonlat
    stations = layers.points_from_lonlat([(e + 0.02, n + 0.02)])
    with pytest.raises(LayerError, match="all 1 stations are farther"):
        coverage.analyze(sample_network, stations, sample_demand, travel=Travel("walk"))


def test_non_positive_minutes_is_an_error(sample_network, sample_stations, sample_demand):
    with pytest.raises(InputError, match="positive"):
        coverage.analyze(sample_network, sample_stations, sample_demand, minutes=[0, 15])


GRID = grid_network(10, 10, spacing=150)


def _points(xy):
    lon, lat = lonlat_of(GRID, np.asarray(xy)[:, 0], np.asarray(xy)[:, 1])
    return layers.points_from_lonlat(list(zip(lon, lat)))


coords = st.tuples(st.floats(440_000, 441_350), st.floats(4_428_000, 4_429_350))


@settings(max_examples=30, deadline=None)
@given(stations=st.lists(coords, min_size=1, max_size=4), extra=coords,
       demand=st.lists(coords, min_size=1, max_size=30), minutes=st.floats(1, 10))
def test_adding_a_station_never_lowers_coverage(stations, extra, demand, minutes):
    travel = Travel("walk")
    before = coverage.analyze(GRID, _points(stations), _points(demand), travel=travel,
                              minutes=[minutes], with_isochrones=False)
    after = coverage.analyze(GRID, _points(stations + [extra]), _points(demand), travel=travel,
                             minutes=[minutes], with_isochrones=False)
    assert after.covered_share() >= before.covered_share() - 1e-12
    assert (after.demand["minutes_to_nearest"] <= before.demand["minutes_to_nearest"] + 1e-9).all()


@settings(max_examples=20, deadline=None)
@given(stations=st.lists(coords, min_size=1, max_size=4),
       demand=st.lists(coords, min_size=2, max_size=25), seed=st.integers(0, 100))
def test_results_do_not_depend_on_row_order(stations, demand, seed):
    travel = Travel("walk")
    rng = np.random.default_rng(seed)
    s_layer, d_layer = _points(stations), _points(demand)
    first = coverage.analyze(GRID, s_layer, d_layer, travel=travel, minutes=[5],
                             with_isochrones=False)
    shuffled = coverage.analyze(GRID, s_layer.iloc[rng.permutation(len(s_layer))],
                                d_layer.iloc[rng.permutation(len(d_layer))], travel=travel,
                                minutes=[5], with_isochrones=False)
    a = first.demand.set_index("id")["minutes_to_nearest"]
    b = shuffled.demand.set_index("id")["minutes_to_nearest"].loc[a.index]
    assert np.allclose(a.to_numpy(), b.to_numpy(), equal_nan=True)
    assert np.isclose(first.covered_share(), shuffled.covered_share())


@settings(max_examples=20, deadline=None)
@given(stations=st.lists(coords, min_size=1, max_size=3),
       demand=st.lists(coords, min_size=1, max_size=25),
       minutes=st.lists(st.floats(0.5, 12), min_size=2, max_size=4, unique=True))
def test_coverage_is_monotone_in_minutes(stations, demand, minutes):
    result = coverage.analyze(GRID, _points(stations), _points(demand), travel=Travel("walk"),
                              minutes=minutes, with_isochrones=False)
    shares = [result.covered_share(m) for m in sorted(minutes)]
    assert shares == sorted(shares)
