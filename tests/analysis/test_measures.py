"""Measures checked against independent answers: PySAL access (E2SFCA), brute force, by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.analysis import measures
from planner.analysis.measures import (BackupOptions, CapacityOptions, EquityOptions,
                                       GravityOptions, MeasureOptions, Reach)
from planner.errors import InputError, LayerError

# the access package itself still uses pandas' deprecated inplace=True
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")


def _case(seed: int, n_stations: int = 4, n_places: int = 9, limit: float = 15.0):
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(0, 25, size=(n_stations, n_places)).round(2)
    weight = rng.integers(1, 20, size=n_places).astype(float)
    capacity = rng.integers(1, 6, size=n_stations).astype(float)
    return minutes, weight, capacity, Reach.from_dense(minutes, limit_min=limit)


def _access_e2sfca(minutes, weight, capacity, limit, weight_fn):
    access = pytest.importorskip("access")
    demand = pd.DataFrame({"geoid": [f"d{i}" for i in range(len(weight))], "pop": weight})
    supply = pd.DataFrame({"geoid": [f"s{j}" for j in range(len(capacity))], "cap": capacity})
    cost = pd.DataFrame([(f"d{i}", f"s{j}", minutes[j, i]) for j in range(minutes.shape[0])
                         for i in range(minutes.shape[1])], columns=["o", "d", "cost"])
    model = access.Access(demand_df=demand, demand_index="geoid", demand_value="pop",
                          supply_df=supply, supply_index="geoid", supply_value="cap", cost_df=cost, cost_origin="o", cost_dest="d",
                          cost_name="cost")
    out = model.enhanced_two_stage_fca(name="e2", max_cost=limit, weight_fn=weight_fn)
    return out.iloc[:, 0].reindex(demand["geoid"]).fillna(0.0).to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_e2sfca_stepped_matches_pysal_access(seed):
    from access import weights

    minutes, weight, capacity, reach = _case(seed)
    ours = measures.capacity_measure(reach, weight, capacity, threshold_min=15.0,
                                     options=CapacityOptions(decay="stepped"))
    theirs = _access_e2sfca(minutes, weight, capacity, 15.0,
                            weights.step_fn({5.0: 1.0, 10.0: 0.68, 15.0: 0.22}))
    np.testing.assert_allclose(ours.access, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", [3, 4])
def test_e2sfca_gaussian_and_2sfca_match_pysal_access(seed):
    from access import weights

    minutes, weight, capacity, reach = _case(seed, n_stations=5, n_places=12)
    ours = measures.capacity_measure(reach, weight, capacity, threshold_min=15.0,
                                     options=CapacityOptions(decay="gaussian", sigma_min=6.0))
    theirs = _access_e2sfca(minutes, weight, capacity, 15.0, weights.gaussian(6.0))
    np.testing.assert_allclose(ours.access, theirs, rtol=1e-9, atol=1e-12)
    # plain 2SFCA = one step of weight 1 over the whole catchment
    flat = measures.capacity_measure(reach, weight, capacity, threshold_min=15.0,
                                     options=CapacityOptions(steps=((15.0, 1.0),)))
    theirs = _access_e2sfca(minutes, weight, capacity, 15.0, weights.step_fn({15.0: 1.0}))
    np.testing.assert_allclose(flat.access, theirs, rtol=1e-9, atol=1e-12)


def test_load_ratio_by_hand_and_overload_flag():
    # station 0 reaches places 0,1 (3 and 4 min), station 1 reaches place 1 (12 min)
    minutes = np.array([[3.0, 4.0, 30.0], [30.0, 12.0, 2.0]])
    reach = Reach.from_dense(minutes, limit_min=15.0)
    weight = np.array([10.0, 20.0, 5.0])
    result = measures.capacity_measure(reach, weight, np.array([2.0, 1.0]), threshold_min=15.0,
                                       options=CapacityOptions(overload_factor=1.1))
    # stepped zones 5/10/15 min -> weights 1, 1, 0.22 and 1
    d0, d1 = 10 + 20, 20 * 0.22 + 5
    np.testing.assert_allclose(result.load_ratio, [d0 / 2, d1 / 1])
    mean = (d0 + d1) / 3
    np.testing.assert_allclose(result.load_vs_mean, [d0 / 2 / mean, d1 / mean])
    assert result.overloaded.tolist() == [True, False]
    absolute = measures.capacity_measure(reach, weight, np.array([2.0, 1.0]),
                                         threshold_min=15.0,
                                         options=CapacityOptions(max_load=5.0))
    assert absolute.overloaded.tolist() == [True, True]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 8), st.integers(0, 10_000))
def test_backup_counts_match_brute_force(n_stations, n_places, seed):
    minutes, weight, _, reach = _case(seed, n_stations, n_places)
    result = measures.backup(reach, weight)
    for i in range(n_places):
        assert result.stations_within[i] == sum(minutes[j, i] <= 15 for j in range(n_stations))
    total = weight.sum()
    twice = sum(weight[i] for i in range(n_places) if (minutes[:, i] <= 15).sum() >= 2)
    assert result.covered_2plus_share == pytest.approx(twice / total)
    for j in range(n_stations):  # closing j uncovers exactly its sole weight
        others = np.delete(minutes, j, axis=0)
        before = minutes[:, :] <= 15
        lost = sum(weight[i] for i in range(n_places)
                   if before[:, i].any() and not (others[:, i] <= 15).any())
        assert result.sole_weight[j] == pytest.approx(lost)


def test_gini_palma_by_hand():
    values, weights = np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)
    assert measures.gini(values, weights) == pytest.approx(0.25)
    # L(0.9) = 0.6 + 0.6 * 0.4 = 0.84, L(0.4) = 0.1 + 0.6 * 0.2 = 0.22
    assert measures.palma(values, weights) == pytest.approx(0.16 / 0.22)
    assert measures.gini(np.full(5, 7.0), np.arange(1, 6)) == pytest.approx(0.0)
    # weights behave as repeated people: (1, 3) with weights (1, 2) == [1, 3, 3]
    assert measures.gini(np.array([1.0, 3.0]), np.array([1.0, 2.0])) == pytest.approx(
        measures.gini(np.array([1.0, 3.0, 3.0]), np.ones(3)))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 60), st.integers(1, 9)), min_size=1, max_size=12))
def test_gini_equals_mean_absolute_difference(pairs):
    x = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs], dtype=float)
    mean = np.average(x, weights=w)
    if mean <= 0:
        return
    pairwise = sum(w[i] * w[j] * abs(x[i] - x[j]) for i, j in itertools.product(
        range(x.size), repeat=2)) / (2 * w.sum() ** 2 * mean)
    assert measures.gini(x, w) == pytest.approx(pairwise, abs=1e-9)


def test_gravity_half_life():
    minutes = np.array([[0.0, 5.0, 10.0]])
    reach = Reach.from_dense(minutes, limit_min=15.0)
    for decay, expected in (("exponential", [1, 0.5, 0.25]), ("gaussian", [1, 0.5, 1 / 16]),
                            ("power", [1, 0.5, None])):
        result = measures.gravity_measure(reach, np.ones(3), np.array([2.0]),
                                          options=GravityOptions(decay=decay, half_life_min=5))
        assert result.access[0] == pytest.approx(2.0)
        assert result.access[1] == pytest.approx(1.0)
        if expected[2] is not None:
            assert result.access[2] == pytest.approx(2 * expected[2])
        assert result.access[2] < result.access[1]


def test_parse_options_and_errors():
    parsed = MeasureOptions.parse(["backup", "gravity:decay=power,half_life_min=4",
                                   {"name": "capacity", "steps": [[5, 1], [15, 0.5]]}])
    assert parsed.names == ("backup", "capacity", "gravity")
    assert parsed.gravity == GravityOptions(decay="power", half_life_min=4.0)
    assert parsed.capacity.steps == ((5.0, 1.0), (15.0, 0.5))
    assert MeasureOptions.parse(["all"]).names == measures.NAMES
    for bad in (["nope"], ["gravity:half_life_min=-1"], ["gravity:colour=red"],
                ["capacity:decay=linear"], ["equity:worst_share=2"], ["gravity:half_life_min"]):
        with pytest.raises(InputError):
            MeasureOptions.parse(bad)
    frame = pd.DataFrame({"id": ["S1", "S2", "S3"], "capacity": ["4", "", "-1"]})
    with pytest.raises(LayerError, match="S3"):
        measures.capacities(frame)
    assert measures.capacities(frame.iloc[:2]).tolist() == [4.0, 1.0]


def test_apply_on_bundled_district(guixi_coverage):
    result = measures.apply(guixi_coverage, ["all"])
    summary = result.summary()["measures"]
    assert set(summary) == set(measures.NAMES)
    # one definition: backup agrees with the coverage stage's own count
    assert summary["backup"]["covered_2plus_share"] == result.summary()["covered_by_2plus_share"]
    assert (result.demand["stations_within"] >= 2).eq(result.demand["covered_2plus"]).all()
    for column in ("e2sfca_access", "gravity_access", "area_id", "in_worst_share"):
        assert column in result.demand
    for column in ("sole_weight", "riders_per_seat", "overloaded", "gravity_potential"):
        assert column in result.stations
    eq = summary["equity"]
    assert 0 <= eq["gini"] < 1 and eq["lorenz"][0] == [0.0, 0.0] and eq["lorenz"][-1] == [1, 1]
    shares = [a["covered_share"] for a in eq["areas"]]
    assert shares == sorted(shares)
    assert result.measures.lines()
    import json
    json.dumps(result.to_dict(), allow_nan=False, default=str)


@pytest.fixture(scope="module")
def guixi_coverage():
    import planner
    from planner.analysis import coverage
    from planner.data.samples import layers_dir

    folder = layers_dir() / "guixi"
    return coverage.analyze(planner.load_network("guixi"),
                            planner.read_stations(folder / "stations.geojson"),
                            planner.read_demand(folder / "demand.geojson"),
                            travel=planner.Travel("ebike"), with_isochrones=False)
