"""Coverage per service, checked against the plain coverage check on station subsets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from planner.analysis import coverage
from planner.analysis import services as service_stage
from planner.data import services as vocab
from planner.errors import InputError, LayerError
from planner.settings import Travel

WALK = Travel("walk")


@pytest.fixture(scope="module")
def walk_graph(sample_network):
    return sample_network.graph(WALK)


def test_each_service_equals_coverage_on_the_stations_offering_it(walk_graph, sample_stations,
                                                                   sample_demand):
    result = service_stage.analyze_services(walk_graph, sample_stations, sample_demand,
                                            minutes=[10, 15])
    offers = vocab.service_table(sample_stations)
    assert result.services[0] == "any" and "battery_swap" in result.services
    for service in result.services:
        keep = (np.ones(len(sample_stations), bool) if service == "any"
                else offers[service].to_numpy())
        check = coverage.analyze(walk_graph, sample_stations[keep], sample_demand,
                                 minutes=[10, 15], with_isochrones=False)
        for m in (10, 15):
            assert result.covered_share(service, m) == pytest.approx(check.covered_share(m))
        assert len(result.gaps[service]) == len(check.gaps)
    # the sample is built so that services differ
    assert result.covered_share("battery_swap") < result.covered_share("rest")


def test_per_service_shares_use_the_one_covered_rule(walk_graph, sample_stations, sample_demand):
    """At thresholds equal to places' own displayed (rounded) minutes, the per-service "any"
    share and its per-place flags equal the coverage check's exactly: unrounded seconds."""
    plain = coverage.analyze(walk_graph, sample_stations, sample_demand, minutes=[15],
                             with_isochrones=False)
    shown = plain.demand["minutes_to_nearest"].to_numpy()
    edges = sorted({float(m) for m in shown[np.isfinite(shown)][::7] if 0 < m <= 60})[:5]
    result = service_stage.analyze_services(walk_graph, sample_stations, sample_demand,
                                            minutes=edges, services=["rest"])
    check = coverage.analyze(walk_graph, sample_stations, sample_demand, minutes=edges,
                             with_isochrones=False)
    for m in edges:
        assert result.covered_share("any", m) == check.covered_share(m)
    seconds = result.demand["seconds_to_any"].to_numpy()  # searched up to the largest edge
    want = check.demand["seconds_to_nearest"].to_numpy()
    inside = want <= max(edges) * 60
    np.testing.assert_array_equal(seconds[inside], want[inside])
    assert np.isinf(seconds[~inside]).all()


def test_at_keeps_only_the_stations_open_then(walk_graph, sample_stations, sample_demand):
    night = service_stage.analyze_services(walk_graph, sample_stations, sample_demand,
                                           minutes=[15], at="Sun 21:30", services=["休息"])
    assert night.services == ("any", "rest") and night.at == "Sun 21:30"
    open_now = vocab.open_at(sample_stations, "Sun 21:30")
    assert 0 < open_now.sum() < len(sample_stations)
    check = coverage.analyze(walk_graph, sample_stations[open_now], sample_demand, minutes=[15],
                             with_isochrones=False)
    assert night.covered_share("rest") == pytest.approx(check.covered_share())
    day = service_stage.analyze_services(walk_graph, sample_stations, sample_demand,
                                         minutes=[15], services=["rest"])
    assert night.covered_share("rest") < day.covered_share("rest")
    lines = night.lines()
    assert lines[0].startswith("covered within 15 min at Sun 21:30: ")
    assert lines[0].endswith("of demand weight for any service")
    assert any(line.startswith("  rest: ") for line in lines[1:])
    report = night.to_dict()
    assert report["summary"]["services"][1]["service"] == "rest"
    assert "minutes_to_rest" in report["demand"][0]


def test_unknown_service_and_missing_column_are_clear(walk_graph, sample_stations,
                                                      sample_demand):
    with pytest.raises(InputError, match="unknown service 'spa'"):
        service_stage.analyze_services(walk_graph, sample_stations, sample_demand,
                                       services=["spa"])
    with pytest.raises(LayerError, match="no 'services' column"):
        service_stage.analyze_services(walk_graph, sample_stations.drop(columns="services"),
                                       sample_demand)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 8), st.data())
def test_nearest_minutes_matches_a_dense_minimum(n_stations, n_demand, data):
    dense = np.array(data.draw(st.lists(
        st.one_of(st.just(np.inf), st.floats(0, 900)),
        min_size=n_stations * n_demand, max_size=n_stations * n_demand))).reshape(
        n_stations, n_demand)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n_stations,
                                       max_size=n_stations)))
    rows, cols = np.nonzero(np.isfinite(dense))
    times = sparse.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)
    expected = (dense[mask].min(axis=0) if mask.any() else np.full(n_demand, np.inf)) / 60
    np.testing.assert_allclose(service_stage.nearest_minutes(times, mask), expected)


def test_propose_for_one_service(sample_network, sample_stations, sample_demand,
                                 sample_candidates):
    with pytest.raises(InputError, match="add battery_swap to --new-services"):
        service_stage.propose_for_service(sample_network, sample_stations, sample_demand,
                                          service="battery_swap", new_services=["rest"],
                                          candidates=sample_candidates)
    result = service_stage.propose_for_service(
        sample_network, sample_stations, sample_demand, service="换电",
        new_services=["rest", "battery_swap"], candidates=sample_candidates, k=2, travel=WALK,
        minutes=10, curve_k=0)
    assert result.details["service"] == "battery_swap"
    assert result.details["stations_offering"] == ["S1"]
    assert (result.sites["services"] == "rest;battery_swap").all()
    # only S1 counts before: the same as coverage with S1 alone
    only_s1 = coverage.analyze(sample_network.graph(WALK), sample_stations.iloc[[0]],
                               sample_demand, minutes=[10], with_isochrones=False)
    assert result.before.covered_share() == pytest.approx(only_s1.covered_share())
    assert result.after.covered_share() > result.before.covered_share()
