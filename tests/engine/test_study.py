"""The prepared study: layers snapped once per (layer, mode, speed), travel graphs built once."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest
import shapely

import planner
from planner.analysis import coverage, proposals
from planner.analysis.options import CoverageOptions
from planner.apps import scenario
from planner.data import layers
from planner.engine import traveltime
from planner.engine.study import Study, as_study, prepare
from planner.errors import InputError, LayerError
from planner.settings import Travel


def _coords_key(frame) -> tuple:
    coords = shapely.get_coordinates(frame.geometry.to_numpy())
    return len(frame), hashlib.sha1(coords.tobytes()).hexdigest()


class Counts:
    """What was snapped (per travel and layer content) and which travel graphs were built."""

    def __init__(self) -> None:
        self.snaps: Counter = Counter()
        self.builds: Counter = Counter()

    def snapped(self, frame, travel: Travel) -> int:
        return self.snaps[(travel, _coords_key(frame))]

    def duplicate_builds(self) -> list:
        return [key for key, n in self.builds.items() if n > 1]


@pytest.fixture
def counts(monkeypatch) -> Counts:
    """Count calls of ``layers.snap`` and ``traveltime.build`` (the real ones still run)."""
    found = Counts()
    real_snap, real_build = layers.snap, traveltime.build

    def snap(points, graph):
        found.snaps[(graph.travel, _coords_key(points))] += 1
        return real_snap(points, graph)

    def build(street, points):
        key = (street.travel, tuple(
            (name, hashlib.sha1(s.segment.tobytes() + s.fraction.tobytes()).hexdigest())
            for name, s in points.items()))
        found.builds[key] += 1
        return real_build(street, points)

    monkeypatch.setattr(layers, "snap", snap)
    monkeypatch.setattr(traveltime, "build", build)
    return found


def test_proposal_snaps_demand_once(sample_network, sample_stations, sample_demand,
                                    sample_candidates, settings, counts):
    travel = Travel("walk")
    result = proposals.propose(sample_network, sample_stations, sample_demand,
                               candidates=sample_candidates, k=2, travel=travel,
                               curve_k=0, settings=settings)
    assert result.before is not None and result.after is not None
    assert counts.snapped(sample_demand, travel) == 1
    assert counts.snapped(sample_stations, travel) == 1
    assert counts.duplicate_builds() == []
    # matrices (candidates+demand+stations), before (stations+demand), after (plan+demand)
    assert sum(counts.builds.values()) == 3


def test_coverage_and_proposal_share_one_study(sample_network, sample_stations, sample_demand,
                                               sample_candidates, settings, counts):
    travel = Travel("walk")
    study = prepare(sample_network, stations=sample_stations, demand=sample_demand,
                    candidates=sample_candidates, travel=travel)
    checked = planner.check_coverage(study, minutes=[15], per_station_isochrones=False)
    result = planner.propose(study, k=2, curve_k=0, settings=settings)
    assert counts.snapped(sample_demand, travel) == 1
    assert counts.snapped(sample_stations, travel) == 1
    assert counts.duplicate_builds() == []
    # the "before" check of the proposal is the coverage check already done
    assert sum(counts.builds.values()) == 3
    assert result.before.covered_share() == pytest.approx(checked.covered_share())
    assert result.before.demand["minutes_to_nearest"].tolist() == \
        checked.demand["minutes_to_nearest"].tolist()


def test_scenario_snaps_demand_once_per_mode_and_speed(sample_demand, counts):
    spec = scenario.parse({
        "baseline": {"network": "wudaokou", "mode": "walk", "minutes": [10, 15]},
        "variants": [
            {"name": "S2 closed", "close": ["S2"]},
            {"name": "S3 moved", "move": {"S3": [116.3150, 40.0075]}},
            {"name": "one more", "propose": {"k": 1}},
            {"name": "slow", "speed_kmh": 3.5},
            {"name": "slow, S2 closed", "speed_kmh": 3.5, "close": ["S2"]},
            {"name": "riders", "mode": "ebike"},
        ],
    })
    run = scenario.run(spec)
    assert len(run.results) == 7
    travels = {r.variant.travel for r in run.results}
    assert len(travels) == 3
    for travel in travels:
        assert counts.snapped(sample_demand, travel) == 1, travel
    assert counts.duplicate_builds() == []
    # the closed-S2 layer is the same points under both walking speeds: snapped once each
    closed = run.results[1].stations
    assert counts.snapped(closed, Travel("walk")) == 1
    assert counts.snapped(closed, Travel("walk", speed_kmh=3.5)) == 1


def test_snapping_through_the_study_matches_a_fresh_snap(sample_network, sample_demand):
    study = as_study(sample_network, demand=sample_demand, travel=Travel("bike"))
    cached = study.snap("demand")
    again = study.snap(sample_demand.copy())  # a copy is the same points: the cached answer
    assert again is cached
    fresh = layers.snap(sample_demand, sample_network.graph(Travel("bike")))
    np.testing.assert_array_equal(cached.segment, fresh.segment)
    np.testing.assert_allclose(cached.offset_m, fresh.offset_m)
    moved = sample_demand.copy()
    moved.geometry = moved.geometry.translate(0.0005, 0.0)
    assert study.snap(moved) is not cached


def test_replace_shares_the_cache_and_keeps_what_is_not_named(sample_network, sample_stations,
                                                             sample_demand):
    study = Study(sample_network, Travel("walk"), sample_stations, sample_demand)
    street = study.street
    fewer = study.replace(stations=sample_stations.iloc[:2])
    assert fewer.street is street and fewer.demand is sample_demand
    assert len(fewer.stations) == 2 and len(study.stations) == len(sample_stations)
    faster = study.replace(travel=Travel("walk", speed_kmh=6))
    assert faster.street is not street and faster.street.travel.speed_kmh == 6
    assert study.replace(stations=None).stations is None
    assert study.summary()["cached"]["street_graphs"] == 2


def test_a_street_graph_fixes_the_travel(sample_network, sample_stations, sample_demand):
    street = sample_network.graph(Travel("bike"))
    study = as_study(street, stations=sample_stations, demand=sample_demand,
                     travel=Travel("drive"))
    assert study.street is street and study.travel.mode == "bike"


def test_prepare_reads_a_bundled_sample_and_its_layers():
    study = planner.prepare("wudaokou", travel=Travel("walk"))
    assert study.network.name and len(study.stations) and len(study.demand)
    assert study.candidates is not None


def test_a_missing_layer_says_what_to_give(sample_network, sample_stations):
    study = Study(sample_network, stations=sample_stations)
    with pytest.raises(LayerError, match="demand=") as info:
        planner.check_coverage(study)
    assert isinstance(info.value, planner.PlannerError)
    with pytest.raises(planner.PlannerError, match="planner.prepare"):  # our error, not TypeError
        as_study("wudaokou")  # type: ignore[arg-type]


def test_coverage_options_validate_once_and_match_the_keywords(sample_network, sample_stations,
                                                               sample_demand):
    options = CoverageOptions(minutes=[15, 5, 5], per_station=False, isochrones=False)
    assert options.minutes == (5.0, 15.0) and options.threshold == 15.0
    study = prepare(sample_network, stations=sample_stations, demand=sample_demand)
    by_options = coverage.analyze(study, options=options)
    by_keywords = coverage.analyze(sample_network, sample_stations, sample_demand,
                                   minutes=[5, 15], with_isochrones=False)
    assert by_options.minutes == by_keywords.minutes == (5.0, 15.0)
    assert by_options.summary() == by_keywords.summary()
    # a keyword given overrides the options' field
    assert coverage.analyze(study, options=options, minutes=[10]).minutes == (10.0,)


@pytest.mark.parametrize("bad", [
    {"minutes": [0]}, {"minutes": "soon"}, {"isochrones": "yes"}, {"per_station": 1},
    {"buffer_m": -5}, {"buffer_m": float("nan")}, {"gap_link_m": float("inf")},
])
def test_coverage_options_refuse_bad_values(bad):
    with pytest.raises(InputError):
        CoverageOptions(**bad)
