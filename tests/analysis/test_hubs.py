"""1+N plans on the bundled sample, checked by independent coverage runs."""

from __future__ import annotations

import numpy as np
import pytest

from planner.analysis import coverage, hubs
from planner.data.public_places import read_public_places
from planner.errors import InputError, LayerError
from planner.settings import Travel

WALK = Travel("walk")


@pytest.fixture(scope="module")
def public(sample_network):
    return read_public_places(sample_network.source, bbox=sample_network.bounds_lonlat)


def test_public_places_have_names_kinds_and_hub_flags(public):
    assert len(public) > 20
    assert {"bank", "convenience", "post_office", "police"} <= set(public["kind"])
    assert "中国建设银行" in set(public["name"])
    assert public.loc[public["kind"] == "police", "hub_capable"].all()
    assert not public.loc[public["kind"] == "bank", "hub_capable"].any()
    assert public["id"].is_unique and (public["source"] == "osm:public").all()


def test_public_places_need_an_osm_file(tmp_path):
    from planner.errors import NetworkError

    with pytest.raises(NetworkError, match="osm:public"):
        read_public_places(tmp_path / "missing.osm")


@pytest.fixture(scope="module")
def plan(sample_network, sample_stations, sample_demand, public):
    return hubs.propose_hub(sample_network, sample_stations, sample_demand, candidates=public,
                            k=4, hub_minutes=10, minutes=10, travel=WALK)


def test_hub_plan_respects_the_hub_time_and_its_coverage_is_real(plan, sample_network,
                                                                 sample_stations, sample_demand,
                                                                 public):
    assert plan.solution.status == "optimal"
    assert plan.hub["source"] == "osm:public"
    assert bool(public.loc[public["id"] == plan.hub["id"], "hub_capable"].iloc[0])
    assert 1 <= len(plan.satellites) <= 4
    assert (plan.satellites["time_to_hub_min"] <= 10).all()
    assert (plan.satellites["hub_id"] == plan.hub["id"]).all()
    assert plan.hub["id"] not in set(plan.satellites["id"])
    street = sample_network.graph(WALK)
    before = coverage.analyze(street, sample_stations, sample_demand, minutes=[10],
                              with_isochrones=False)
    after = coverage.analyze(street, hubs.plan_stations(sample_stations, plan), sample_demand,
                             minutes=[10], with_isochrones=False)
    assert plan.covered_share_before == pytest.approx(before.covered_share())
    assert plan.covered_share_after == pytest.approx(after.covered_share())
    assert plan.covered_share_after > plan.covered_share_before
    gained = plan.satellites["newly_covered_weight"].sum()
    assert gained <= (after.covered_share() - before.covered_share()) * sample_demand[
        "weight"].sum() + 1e-6


def test_hub_plan_reports_per_service_before_and_after(plan):
    rows = {r["service"]: r for r in plan.summary()["services"]}
    swap = rows["battery_swap"]
    assert swap["covered_share_after"] > swap["covered_share_before"]  # the new hub swaps
    text = "\n".join(plan.lines())
    assert "satellite #1 at" in text and "min from hub" in text and "battery swap" in text
    assert plan.to_dict()["satellites"][0]["services"] == "rest;water;charging"


def test_existing_hub_plans_satellites_only(sample_network, sample_stations, sample_demand,
                                            public):
    plan = hubs.propose_hub(sample_network, sample_stations, sample_demand, candidates=public,
                            k=2, hub="S1", hub_minutes=8, minutes=10, travel=WALK,
                            service="battery_swap", new_services=["rest", "battery_swap"],
                            with_services=False)
    assert plan.hub["id"] == "S1" and plan.hub["source"] == "existing"
    assert (plan.satellites["time_to_hub_min"] <= 8).all()
    street = sample_network.graph(WALK)
    s1 = coverage.analyze(street, sample_stations.iloc[[0]], sample_demand, minutes=[10],
                          with_isochrones=False)
    assert plan.covered_share_before == pytest.approx(s1.covered_share())
    with pytest.raises(InputError, match="neither a station nor a candidate"):
        hubs.propose_hub(sample_network, sample_stations, sample_demand, candidates=public,
                         hub="nowhere", travel=WALK)
    with pytest.raises(InputError, match="add first_aid to --new-services"):
        hubs.propose_hub(sample_network, sample_stations, sample_demand, candidates=public,
                         service="first_aid", travel=WALK)
    with pytest.raises(LayerError, match="none can host the hub"):
        hubs.propose_hub(sample_network, sample_stations, sample_demand,
                         candidates=public.assign(hub_capable=False), travel=WALK)
