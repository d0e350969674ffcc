"""The Python API's doors: whatever a caller passes, a result or the planner's own error."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from planner.data import layers
from planner.errors import InputError, LayerError, PlannerError
from planner.settings import Travel
from conftest import grid_network, lonlat_of

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def grid():
    return grid_network(6, 6, 100.0)


def _points(net, xy, **columns) -> gpd.GeoDataFrame:
    lon, lat = lonlat_of(net, np.array([p[0] for p in xy]), np.array([p[1] for p in xy]))
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


@pytest.fixture(scope="module")
def stations(grid):
    return _points(grid, [(440_010, 4_428_010), (440_490, 4_428_490)], id=["A", "B"])


@pytest.fixture(scope="module")
def demand(grid):
    xy = [(440_000 + 100 * i + 5, 4_428_000 + 100 * j + 5) for i in range(5) for j in range(5)]
    return _points(grid, xy, weight=np.arange(1.0, 26.0))


def _cover(grid, stations, demand, **options):
    return planner.check_coverage(grid, stations, demand, travel=Travel("walk"),
                                  minutes=[5], with_isochrones=False, **options)


def test_layers_in_another_crs_are_reprojected(grid, stations, demand):
    plain = _cover(grid, stations, demand)
    for crs in ("EPSG:3857", grid.crs):
        moved = _cover(grid, stations.to_crs(crs), demand.to_crs(crs))
        assert moved.covered_share(5) == pytest.approx(plain.covered_share(5))
    from_frame = pd.DataFrame({"lon": demand.geometry.x.astype(str),
                               "lat": demand.geometry.y, "weight": demand["weight"]})
    assert _cover(grid, stations, from_frame).covered_share(5) == pytest.approx(
        plain.covered_share(5))


def test_polygon_stations_need_points_or_the_centroid_flag(grid, stations, demand):
    metric = stations.to_crs(grid.crs)
    boxes = metric.set_geometry(metric.buffer(8, cap_style="square")).to_crs("EPSG:4326")
    with pytest.raises(LayerError, match="not points.*centroids=True"):
        _cover(grid, boxes, demand)
    centred = layers.as_layer(boxes, role="stations", id_prefix="S", centroids=True)
    assert shapely.distance(centred.to_crs(grid.crs).geometry.to_numpy(),
                            metric.geometry.to_numpy()).max() < 0.01
    assert _cover(grid, centred, demand).covered_share(5) == pytest.approx(
        _cover(grid, stations, demand).covered_share(5))


@pytest.mark.parametrize("weights, message", [
    ([np.nan] + [1.0] * 24, "non-numeric"),
    ([-1.0] + [1.0] * 24, "<= 0"),
    ([True] * 25, "non-numeric"),
    ([1e308] * 25, "add up to"),
    ([np.inf] + [1.0] * 24, "non-numeric"),
])
def test_bad_weights_are_layer_errors(grid, stations, demand, weights, message):
    with pytest.raises(LayerError, match=message):
        _cover(grid, stations, demand.assign(weight=pd.Series(weights, dtype=object)))


def test_other_bad_layers(grid, stations, demand):
    with pytest.raises(LayerError, match="duplicate ids A"):
        _cover(grid, stations.assign(id=["A", "A"]), demand)
    with pytest.raises(LayerError, match="text '116.3,40.0'"):
        _cover(grid, "116.3,40.0", demand)
    with pytest.raises(LayerError, match="not list"):
        _cover(grid, [(116.3, 40.0)], demand)
    with pytest.raises(LayerError, match="no CRS"):
        _cover(grid, stations.set_crs(None, allow_override=True), demand)
    with pytest.raises(LayerError, match="empty"):
        _cover(grid, stations.iloc[:0], demand)


@pytest.mark.parametrize("options, message", [
    ({"minutes": [float("nan")]}, "minutes"),
    ({"minutes": [True]}, "minutes"),
    ({"buffer_m": -1}, "buffer_m"),
    ({"gap_link_m": float("inf")}, "gap_link_m"),
])
def test_bad_coverage_parameters(grid, stations, demand, options, message):
    with pytest.raises(InputError, match=message):
        planner.check_coverage(grid, stations, demand, with_isochrones=False,
                               **{"minutes": [5], **options})


def test_bad_network_and_travel(grid, stations, demand):
    with pytest.raises(InputError, match="load_network"):
        planner.check_coverage("wudaokou", stations, demand)
    with pytest.raises(InputError, match="travel"):
        planner.check_coverage(grid, stations, demand, travel=5)
    result = planner.check_coverage(grid, stations, demand, travel="walk", minutes=[5],
                                    with_isochrones=False)
    assert result.travel.mode == "walk"


@pytest.mark.parametrize("options, message", [
    ({"k": True}, "k=True"), ({"k": -1}, "k=-1"), ({"k": 2.5}, "k=2.5"),
    ({"target_share": float("nan"), "model": "lscp"}, "target_share"),
    ({"target_share": "", "model": "lscp"}, "target_share"),
    ({"spacing_m": 0}, "spacing_m"), ({"time_limit": float("inf")}, "time_limit"),
    ({"capacity": float("nan")}, "capacity"), ({"capacity": ""}, "capacity"),
    ({"method": "quick"}, "method"), ({"candidate_sources": "bogus"}, "candidate sources"),
    ({"pmedian_limit_min": 0, "model": "pmedian"}, "limit_min"),
])
def test_bad_proposal_parameters(grid, stations, demand, options, message):
    with pytest.raises(InputError, match=message):
        planner.propose(grid, stations, demand, travel=Travel("walk"), minutes=5,
                        with_coverage=False,
                        **{"candidate_sources": ("intersections",), **options})


# --------------------------------------------------------------------------- fuzz

numbers = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 10**6)
           | st.booleans() | st.none() | st.text(max_size=4) | st.just(1e308))


def good_or(good, bad=numbers):
    """Mostly sensible values (so the whole pipeline runs), sometimes hostile ones."""
    return st.one_of(good, good, bad)


@FUZZ
@given(weights=good_or(st.lists(st.floats(0.1, 1e6), min_size=25, max_size=25),
                       st.lists(numbers, min_size=25, max_size=25)),
       minutes=good_or(st.sampled_from([5, [3, 5], "5", 7.5]),
                       st.one_of(numbers, st.lists(numbers, max_size=3))),
       crs=st.sampled_from(["EPSG:4326", "EPSG:3857", "EPSG:32650"]),
       duplicate=st.booleans(), buffer_m=good_or(st.floats(1, 100)))
def test_fuzz_check_coverage(grid, stations, demand, weights, minutes, crs, duplicate,
                             buffer_m):
    layer = demand.assign(weight=pd.Series(weights, dtype=object)).to_crs(crs)
    sites = stations.assign(id=["A", "A"]) if duplicate else stations
    try:
        result = planner.check_coverage(grid, sites, layer, travel="walk", minutes=minutes,
                                        with_isochrones=False, buffer_m=buffer_m)
    except PlannerError:
        return
    assert 0 <= result.covered_share() <= 1


@FUZZ
@given(k=good_or(st.integers(1, 4)), target=good_or(st.floats(0.05, 1.0)),
       spacing=good_or(st.floats(50, 400)), time_limit=good_or(st.floats(1, 30)),
       capacity=good_or(st.none() | st.floats(1, 500)),
       model=st.sampled_from(["mclp", "lscp", "pmedian", "other"]),
       method=st.sampled_from(["auto", "greedy", "exact", 3]))
def test_fuzz_propose(grid, stations, demand, k, target, spacing, time_limit, capacity, model,
                      method):
    try:
        result = planner.propose(grid, stations, demand, travel="walk", minutes=5, k=k,
                                 target_share=target, spacing_m=spacing,
                                 time_limit=time_limit, capacity=capacity, model=model,
                                 method=method, candidate_sources=("intersections",),
                                 curve_k=0, with_coverage=False)
    except PlannerError:
        return
    assert len(result.sites) >= 0
