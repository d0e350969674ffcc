"""Backup and p-center proposals through the API, CLI and scenario files; measures before and
after a plan; per-site capacities read from the layers (bundled sample, walking 15 min)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.analysis import coverage, measures, proposals
from planner.apps import scenario
from planner.apps.cli import cli
from planner.data import layers
from planner.errors import ScenarioError
from planner.optimize import Backup, PCenter
from planner.settings import Travel

from conftest import SAMPLE

PICK = ["n4503942721", "n1362305692", "n380744293", "n1747551900", "w226623032"]


@pytest.fixture(scope="module")
def tiny(sample_network, sample_stations, sample_demand, sample_candidates):
    """Five candidates and every plan of two of them, each checked by coverage.analyze."""
    cands = sample_candidates[sample_candidates["id"].astype(str).isin(PICK)].reset_index(
        drop=True)
    assert len(cands) == len(PICK)
    study = planner.Study(sample_network, stations=sample_stations, demand=sample_demand,
                          travel=Travel("walk"))
    plans = {}
    for pair in itertools.combinations(range(len(cands)), 2):
        stations = layers.edit_stations(sample_stations, add=[
            {"id": cands["id"].iloc[i], "lon": cands.geometry.iloc[i].x,
             "lat": cands.geometry.iloc[i].y} for i in pair])
        result = coverage.analyze(study.replace(stations=stations), minutes=[15],
                                  per_station_isochrones=False)
        reach = result.reach_s.tocsc()
        w = result.demand["weight"].to_numpy(float)
        count = np.diff(reach.indptr)
        best = np.array([reach.data[reach.indptr[i]:reach.indptr[i + 1]].min()
                         if count[i] else np.inf for i in range(reach.shape[1])])
        plans[frozenset(cands["id"].iloc[list(pair)])] = {
            "once": float(w[count >= 1].sum()), "twice": float(w[count >= 2].sum()),
            "worst_s": float(best[np.isfinite(best)].max())}
    return study, cands, plans


def test_backup_through_the_api_equals_brute_force(tiny):
    study, cands, plans = tiny
    result = planner.propose(study, candidates=cands, model=Backup(k=2), minutes=15,
                             curve_k=0, with_coverage=False)
    once = max(p["once"] for p in plans.values())
    best = max(p["twice"] for p in plans.values() if p["once"] >= once - 1e-6)
    assert result.solution.proven_optimal
    assert result.solution.objective == pytest.approx(best, abs=1e-6)
    chosen = plans[frozenset(result.sites["id"])]
    assert chosen["twice"] == pytest.approx(best) and chosen["once"] == pytest.approx(once)
    assert result.summary()["covered_2plus_share_after"] == pytest.approx(
        best / study.layer("demand")["weight"].sum(), abs=1e-6)
    by_name = planner.propose(study, candidates=cands, model="backup", k=2, minutes=15,
                              curve_k=0, with_coverage=False)
    assert by_name.sites["id"].tolist() == result.sites["id"].tolist()
    assert result.curve == ()


def test_pcenter_through_the_api_equals_brute_force(tiny):
    study, cands, plans = tiny
    result = planner.propose(study, candidates=cands, model=PCenter(k=2), minutes=15,
                             curve_k=0, with_coverage=False)
    once = max(p["once"] for p in plans.values())
    best = min(p["worst_s"] for p in plans.values() if p["once"] >= once - 1e-6)
    assert result.solution.status == "optimal"
    assert result.solution.objective == pytest.approx(best, rel=1e-6)
    assert result.summary()["worst_min_after"] == pytest.approx(best / 60, abs=1e-3)
    assert "p-center:" in result.solution.headline() and "worst time" in result.solution.headline()
    share = planner.propose(study, candidates=cands, model="pcenter", k=2,
                            min_covered_share=0.5, minutes=15, curve_k=0, with_coverage=False)
    assert share.solution.objective <= result.solution.objective + 1e-9


def test_measures_before_and_after_in_the_result_and_report(tiny):
    study, cands, _ = tiny
    result = planner.propose(study, candidates=cands, model=Backup(k=1), minutes=15,
                             curve_k=0, measures=["backup", "equity"])
    assert result.before.measures is not None and result.after.measures is not None
    report = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    block = report["summary"]["measures"]
    assert set(block["before"]) == set(block["after"]) == {"backup", "equity"}
    twice = block["change"]["covered_2plus_%"]
    # the backup measure on the routed plan agrees with the model's own figure
    assert twice["after"] == pytest.approx(
        100 * report["summary"]["covered_2plus_share_after"], abs=0.01)
    assert twice["before"] == pytest.approx(
        100 * report["summary"]["covered_2plus_share_before"], abs=0.01)
    assert twice["after"] > twice["before"]
    assert {"gini", "palma"} <= set(block["change"])
    plain = planner.propose(study, candidates=cands, model="mclp", k=1, minutes=15, curve_k=0)
    assert "measures" not in plain.summary()


def test_per_site_capacities_from_the_layers(sample_network, sample_stations, sample_demand,
                                             tiny):
    _, cands, _ = tiny
    seats = cands.assign(capacity=[2, 1, "", 3, 0.5])
    stations = sample_stations.assign(capacity=[4, None, 1])
    result = proposals.propose(sample_network, stations, sample_demand, candidates=seats,
                               model="mclp", k=2, capacity=20, travel=Travel("walk"),
                               minutes=15, curve_k=0, measures=["capacity"])
    details = result.solution.details
    assert details["capacity"] == [40.0, 20.0, 20.0, 60.0, 10.0]
    assert details["fixed_capacity"] == [80.0, 20.0, 20.0]
    served = dict(zip(result.sites["id"], result.sites["served_weight"]))
    caps = dict(zip(seats["id"], np.array([40.0, 20.0, 20.0, 60.0, 10.0])))
    assert all(served[i] <= caps[i] + 1e-6 for i in served)
    assert result.solution.objective <= sum(details["fixed_capacity"]) + sum(
        sorted(caps.values())[-2:]) + 1e-6
    after = result.after.stations.set_index("id")
    for site in result.sites["id"]:  # the proposed sites carry their seats into the measures
        expected = float(seats.set_index("id").loc[site, "capacity"] or 1)
        assert float(after.loc[site, "capacity"]) == expected


def test_cli_backup_and_pcenter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    out = runner.invoke(cli, ["-q", "propose", "-m", "walk", "--model", "backup", "-k", "1",
                              "--measure", "backup", "--measure", "equity", "--map", "b.html"],
                        catch_exceptions=False)
    assert out.exit_code == 0, out.output
    for text in ("maximal backup coverage:", "weight covered twice", "optimal",
                 "covered twice: 15.8% -> 39.4% of demand weight",
                 "measures, before -> after the plan:", "Gini of travel time:"):
        assert text in out.output
    report = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert report["summary"]["model"] == "backup"
    assert report["summary"]["measures"]["after"]["backup"]["covered_2plus_share"] > 0.39
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "after: backup" in html and "before: backup" in html
    out = runner.invoke(cli, ["-q", "propose", "-m", "walk", "--model", "pcenter", "-k", "2",
                              "--min-covered", "90", "--map", "p.html"],
                        catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "p-center:" in out.output and "worst time of the covered demand: 15 min ->" \
        in out.output
    bad = runner.invoke(cli, ["propose", "--model", "backup", "--min-covered", "150"])
    assert bad.exit_code == 2 and "--min-covered" in bad.output
    bad = runner.invoke(cli, ["propose", "--measure", "speed"])
    assert bad.exit_code == 2 and "unknown measure" in bad.output


def test_scenario_file_proposes_with_backup_and_pcenter(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        "title = 't'\n[baseline]\nnetwork = 'wudaokou'\nmode = 'walk'\nminutes = [15]\n"
        "measures = ['backup']\n"
        "[[variants]]\nname = 'backup'\npropose = {model = 'backup', k = 1}\n"
        "[[variants]]\nname = 'pcenter'\npropose = {model = 'pcenter', k = 1, "
        "min_covered_share = 0.9}\n", encoding="utf-8")
    run = scenario.run(scenario.load(path))
    by_name = {r.variant.name: r for r in run.results}
    assert by_name["backup"].proposal.solution.model == "backup"
    assert by_name["pcenter"].proposal.solution.model == "pcenter"
    assert by_name["backup"].coverage.measures.summaries["backup"]["covered_2plus_share"] == \
        pytest.approx(by_name["backup"].proposal.solution.details["covered_2plus_share"],
                      abs=1e-4)
    path.write_text("[baseline]\nnetwork = 'wudaokou'\n[[variants]]\nname = 'x'\n"
                    "propose = {model = 'backup', k = 1, min_covered_share = 'most'}\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"variants\[0\]\.propose\.min_covered_share"):
        scenario.load(path)


def test_backup_sites_sum_to_the_weight_covered_twice(tiny):
    study, cands, _ = tiny
    result = planner.propose(study, candidates=cands, model="backup", k=2, minutes=15,
                             curve_k=0, with_coverage=False)
    summary = result.summary()
    total = study.layer("demand")["weight"].sum()
    added = result.sites["newly_covered_2plus_weight"].sum()
    assert added == pytest.approx(
        (summary["covered_2plus_share_after"] - summary["covered_2plus_share_before"]) * total,
        abs=1e-2)
    assert "covered twice" in proposals.gain_text(next(result.sites.itertuples()))


def test_cli_capacity_column_times_capacity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stations = json.loads((SAMPLE / "stations.geojson").read_text(encoding="utf-8"))
    for feature, seats in zip(stations["features"], (8, 2, "")):
        feature["properties"]["capacity"] = seats
    (tmp_path / "st.geojson").write_text(json.dumps(stations), encoding="utf-8")
    out = CliRunner().invoke(cli, ["-q", "propose", "-m", "walk", "-s", "st.geojson", "-k", "1",
                                   "--capacity", "20", "--curve", "0", "--map", "c.html"],
                             catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "capacitated MCLP:" in out.output and "serves" in out.output
    solver = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["summary"]["solver"]
    assert solver["fixed_capacity"] == [160.0, 40.0, 20.0]
    assert all(s <= c + 1e-6 for s, c in zip(solver["fixed_served"], solver["fixed_capacity"]))
    stations["features"][1]["properties"]["capacity"] = "lots"
    (tmp_path / "st.geojson").write_text(json.dumps(stations), encoding="utf-8")
    bad = CliRunner().invoke(cli, ["propose", "-m", "walk", "-s", "st.geojson", "--capacity",
                                   "20", "--map", "c.html"])
    assert bad.exit_code == 2 and "S2" in bad.output and "capacity" in bad.output
