"""Proposals on the bundled sample: candidates, caching, before/after, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from planner.analysis import proposals
from planner.apps.cli import cli
from planner.errors import InfeasibleError, InputError
from planner.settings import Travel


@pytest.fixture(scope="module")
def walk_mclp(sample_network, sample_stations, sample_demand, sample_candidates):
    return proposals.propose(sample_network, sample_stations, sample_demand,
                             candidates=sample_candidates, model="mclp", k=2,
                             travel=Travel("walk"), minutes=15)


def test_mclp_proposal_improves_coverage_and_explains_each_site(walk_mclp):
    result = walk_mclp
    assert result.after.covered_share() > result.before.covered_share()
    assert result.after.covered_share() == pytest.approx(result.solution.covered_share)
    assert len(result.sites) <= 2
    assert (result.sites["newly_covered_weight"] > 0).all()
    assert result.sites["rank"].tolist() == list(range(1, len(result.sites) + 1))
    assert result.sites["newly_covered_weight"].is_monotonic_decreasing
    assert "gain_weight" not in result.sites.columns
    gained = result.sites["newly_covered_weight"].sum()
    assert result.solution.objective == pytest.approx(
        result.before.covered_share() * result.before.demand["weight"].sum() + gained, abs=1e-3)
    report = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert report["summary"]["solver"]["status"] == "optimal"
    assert report["summary"]["headline"].startswith("MCLP: ") and "optimal" in report[
        "summary"]["headline"]
    assert report["curve"][0]["k"] == 0
    assert {p["method"] for p in report["curve"][1:]} == {"greedy"}


def test_the_matrix_is_cached_by_content(sample_network, sample_stations, sample_demand,
                                         sample_candidates, walk_mclp):
    again = proposals.propose(sample_network, sample_stations, sample_demand,
                              candidates=sample_candidates, model="mclp", k=2,
                              travel=Travel("walk"), minutes=15, with_coverage=False)
    assert again.details["matrix_cached"] is True
    assert again.sites["id"].tolist() == walk_mclp.sites["id"].tolist()
    moved = sample_demand.copy()
    moved.loc[0, "geometry"] = moved.geometry.iloc[1]
    other = proposals.propose(sample_network, sample_stations, moved,
                              candidates=sample_candidates, model="mclp", k=2,
                              travel=Travel("walk"), minutes=15, with_coverage=False)
    assert other.details["matrix_cached"] is False


def test_intersection_and_grid_candidates(sample_network, sample_stations, sample_demand):
    result = proposals.propose(sample_network, sample_stations, sample_demand,
                               candidate_sources=("intersections", "grid"), spacing_m=250,
                               model="lscp", travel=Travel("walk"), minutes=10)
    assert set(result.candidates["source"]) == {"intersections", "grid"}
    assert result.after.covered_share() >= result.solution.details["target_share"] * (
        1 - result.solution.details["unreachable_weight"] / result.after.demand["weight"].sum()
    ) - 1e-9


def test_closable_existing_stations_may_be_dropped(sample_network, sample_stations,
                                                   sample_demand, sample_candidates):
    result = proposals.propose(sample_network, sample_stations, sample_demand,
                               candidates=sample_candidates, model="pmedian", k=3,
                               existing="closable", travel=Travel("walk"), minutes=15)
    assert len(result.sites) == 3
    assert set(result.details["existing_kept"]) | set(result.details["existing_closed"]) == {
        "S1", "S2", "S3"}
    assert result.details["existing_closed_names"] == [
        dict(zip(sample_stations["id"], sample_stations["name"]))[i]
        for i in result.details["existing_closed"]]
    solver = result.solution.details
    assert solver["mean_min"] <= result.details["mean_min_existing"] + 1e-9 or (
        solver["unreachable_weight"] < result.details["unreachable_weight_existing"])
    assert "saving_weight_min" in result.sites.columns


def test_excluded_areas_hold_no_site(sample_network, sample_stations, sample_demand,
                                     sample_candidates, walk_mclp):
    import geopandas as gpd

    first = walk_mclp.sites.geometry.iloc[0]
    area = gpd.GeoDataFrame(geometry=[first.buffer(0.002)], crs="EPSG:4326")
    result = proposals.propose(sample_network, sample_stations, sample_demand,
                               candidates=sample_candidates, model="mclp", k=2,
                               travel=Travel("walk"), minutes=15, exclude=area,
                               with_coverage=False)
    assert not result.sites.geometry.intersects(area.geometry.iloc[0]).any()


def test_unreachable_demand_in_strict_mode_is_a_clear_error(sample_network, sample_stations,
                                                            sample_demand, sample_candidates):
    few = sample_candidates.iloc[:3]
    with pytest.raises(InfeasibleError, match="out of reach"):
        proposals.propose(sample_network, sample_stations, sample_demand, candidates=few,
                          model="lscp", existing="ignore", unreachable="error",
                          travel=Travel("walk"), minutes=5)


def test_unknown_model_is_refused(sample_network, sample_stations, sample_demand):
    with pytest.raises(InputError, match="unknown model"):
        proposals.propose(sample_network, sample_stations, sample_demand, model="magic")


def test_propose_cli_writes_map_report_and_sites(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["-q", "propose", "--mode", "walk", "-k", "2"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "84.7% -> " in result.output
    assert "MCLP: " in result.output and "optimal" in result.output
    assert "greedy curve" in result.output and "candidates on the network" in result.output
    maps = tmp_path / "maps"
    assert {p.name for p in maps.iterdir()} == {
        "wudaokou-proposal.html", "wudaokou-proposal.json", "wudaokou-proposal-sites.geojson",
        "wudaokou-proposal-sites.csv"}
    page = (maps / "wudaokou-proposal.html").read_text()
    assert "Proposed stations" in page and "planner-curve" in page
    sites = json.loads((maps / "wudaokou-proposal-sites.geojson").read_text())
    assert len(sites["features"]) >= 1
    bad = CliRunner().invoke(cli, ["propose", "--target", "120", "--model", "lscp"])
    assert bad.exit_code == 2 and "--target" in bad.output
    strict = CliRunner().invoke(cli, ["propose", "--model", "lscp", "--mode", "walk",
                                      "--minutes", "3", "--existing", "ignore",
                                      "--unreachable", "error"])
    assert strict.exit_code == 1 and "out of reach" in strict.output
    assert np.isclose(json.loads((maps / "wudaokou-proposal.json").read_text())["summary"][
        "threshold_min"], 15)  # the failed run left the earlier report alone


def test_a_corrupted_matrix_cache_is_rebuilt_with_a_warning(sample_network, sample_stations,
                                                            sample_demand, sample_candidates,
                                                            tmp_path):
    from planner.settings import Settings

    settings = Settings(cache_dir=tmp_path)
    kwargs = dict(candidates=sample_candidates, model="mclp", k=1, travel=Travel("walk"),
                  minutes=10, with_coverage=False, settings=settings)
    first = proposals.propose(sample_network, sample_stations, sample_demand, **kwargs)
    for path in (tmp_path / "matrices").glob("*.npz"):
        path.write_bytes(b"garbage")
    with pytest.warns(RuntimeWarning, match="unreadable"):
        again = proposals.propose(sample_network, sample_stations, sample_demand, **kwargs)
    assert again.sites["id"].tolist() == first.sites["id"].tolist()


@pytest.fixture(scope="module")
def walk_pmedian(sample_network, sample_stations, sample_demand, sample_candidates):
    return proposals.propose(sample_network, sample_stations, sample_demand,
                             candidates=sample_candidates, model=proposals.PMedian(k=2),
                             travel=Travel("walk"), minutes=5)


def test_pmedian_mean_is_the_true_mean_over_reached_demand(walk_pmedian, sample_network,
                                                            sample_stations, sample_demand):
    """The p-median's minutes agree with an independent unbounded search on the plan."""
    from planner.analysis import coverage

    result = walk_pmedian
    solver = result.solution.details
    weight = sample_demand["weight"].to_numpy(float)
    check = coverage.analyze(sample_network, sample_stations, sample_demand,
                             travel=Travel("walk"), minutes=[5], with_isochrones=False)
    minutes = check.demand["minutes_to_nearest"].to_numpy(float)
    ok = np.isfinite(minutes)
    assert solver["mean_min_before"] == pytest.approx(
        (weight[ok] * minutes[ok]).sum() / weight[ok].sum(), abs=0.01)
    assert solver["unreachable_share_before"] == pytest.approx(weight[~ok].sum() / weight.sum())
    minutes_after = result.after.demand["minutes_to_nearest"].to_numpy(float)
    ok = np.isfinite(minutes_after)
    assert solver["mean_min"] == pytest.approx(
        (weight[ok] * minutes_after[ok]).sum() / weight[ok].sum(), abs=0.01)
    assert solver["mean_min"] < solver["mean_min_before"]
    assert result.solution.covered_share is None  # no "within 2x threshold" share any more
    sites = result.sites
    assert "gain_weight" not in sites.columns and (sites["saving_weight_min"] > 0).all()
    assert sites["mean_min_after"].iloc[-1] == pytest.approx(solver["mean_min"], abs=1e-3)
    assert result.details["matrix_limit_min"] is None  # unbounded: true times
    assert result.solution.bound <= result.solution.objective + 1e-6


def test_option_objects_and_the_old_keywords_give_the_same_plan(
        sample_network, sample_stations, sample_demand, sample_candidates, walk_mclp):
    new = proposals.propose(
        sample_network, sample_stations, sample_demand,
        candidates=proposals.CandidateOptions(layer=sample_candidates),
        model=proposals.MCLP(k=2), solver=proposals.SolverOptions(gap="0%", time_limit_s=30),
        travel=Travel("walk"), minutes=15, with_coverage=False)
    assert new.sites["id"].tolist() == walk_mclp.sites["id"].tolist()
    with pytest.raises(InputError, match="inside the model object"):
        proposals.propose(sample_network, sample_stations, sample_demand,
                          candidates=sample_candidates, model=proposals.MCLP(k=2), k=3)
    with pytest.raises(TypeError, match="unexpected"):
        proposals.propose(sample_network, sample_stations, sample_demand, kk=3)
    with pytest.raises(InputError, match="gap"):
        proposals.SolverOptions(gap="lots")
    assert proposals.SolverOptions(gap="0.1%").gap == pytest.approx(0.001)


def test_fewer_sites_than_asked_say_why(sample_network, sample_stations, sample_demand,
                                        sample_candidates):
    result = proposals.propose(sample_network, sample_stations, sample_demand,
                               candidates=sample_candidates.iloc[:2], model="mclp", k=5,
                               travel=Travel("walk"), minutes=10, with_coverage=False)
    assert len(result.sites) < 5
    assert "site" in result.details["fewer_sites_reason"]


def test_propose_cli_pmedian_speaks_minutes_and_names_closed_stations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["-q", "propose", "--mode", "walk", "--model", "pmedian",
                                      "-k", "2", "--minutes", "5", "--existing", "closable",
                                      "--gap", "0.1%"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "p-median: " in result.output and "weight x s" in result.output
    assert "mean travel time over the demand reached: " in result.output
    assert "not in the mean" in result.output and "closed: S" in result.output
    assert "gain_weight" not in result.output and " weight, " not in result.output
    report = json.loads((tmp_path / "maps" / "wudaokou-proposal.json").read_text())
    assert report["summary"]["solver"]["gains_weight_min"]
    bad = CliRunner().invoke(cli, ["propose", "--gap", "lots"])
    assert bad.exit_code == 2 and "--gap" in bad.output
