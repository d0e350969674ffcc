"""Gap areas hold only unreached demand: no reached place lies inside a gap polygon."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.analysis import coverage
from planner.apps._inputs import load_inputs
from planner.settings import Travel


def _check(demand: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame, threshold: float) -> None:
    reached = demand["minutes_to_nearest"].to_numpy() <= threshold
    areas = shapely.union_all(gaps.geometry.to_numpy())
    inside = shapely.contains(areas, demand.geometry.to_numpy())
    assert not (inside & reached).any(), demand.loc[inside & reached, "name"].tolist()
    # every gap's own places are in (or on the edge of) its polygon, except a place on the
    # very spot of a reached one
    spots = {(round(p.x, 7), round(p.y, 7)) for p in demand.geometry[reached]}
    for gap in gaps.itertuples():
        ids = set(gap.place_ids.split(","))
        members = demand[demand["id"].isin(ids)]
        members = members[[(round(p.x, 7), round(p.y, 7)) not in spots
                           for p in members.geometry]]
        assert shapely.intersects(gap.geometry.buffer(1e-6), members.geometry.to_numpy()).all()


@pytest.mark.parametrize("sample,mode", [("wudaokou", "walk"), ("guixi", "walk"),
                                         ("guixi", "ebike")])
def test_no_reached_place_lies_inside_a_gap_area(sample, mode):
    inputs = load_inputs(sample)
    result = coverage.analyze(inputs.network, inputs.stations, inputs.demand,
                              travel=Travel(mode), per_station_isochrones=False,
                              with_isochrones=False)
    if mode == "walk":  # the samples have gaps on foot: the check is not vacuous
        assert len(result.gaps) > 0
    _check(result.demand, result.gaps, result.threshold)


def test_gaps_from_random_points_never_hold_a_reached_place():
    rng = np.random.default_rng(7)
    for trial in range(20):
        n = int(rng.integers(2, 300))
        xy = rng.uniform(0, 3000, size=(n, 2)) + (440_000.0, 4_428_000.0)
        if trial % 4 == 0:  # places on the very same spot, reached and not
            xy[1] = xy[0]
        minutes = np.where(rng.random(n) < 0.4, 30.0, 5.0)
        demand = gpd.GeoDataFrame(
            {"id": [f"d{i}" for i in range(n)], "name": [f"p{i}" for i in range(n)],
             "weight": rng.uniform(0.5, 3, n), "minutes_to_nearest": minutes},
            geometry=shapely.points(xy), crs="EPSG:32650").to_crs("EPSG:4326")
        gaps = coverage.find_gaps(demand, "EPSG:32650", threshold=15.0)
        assert gaps["places"].sum() == int((minutes > 15).sum())
        _check(demand, gaps, 15.0)
