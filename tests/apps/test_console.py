"""The console reads like a report: every line within 100 columns on the bundled samples,
-q before or after the subcommand leaves only the summary, what-ifs are echoed and written
under their own names, an offline download fails fast, and a short proposal says why."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from planner.apps.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, code: int = 0):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=cwd):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        files = sorted(str(p) for p in Path().rglob("*") if p.is_file())
    assert result.exit_code == code, result.output
    return result, files


def assert_fits(text: str, width: int = 100) -> None:
    wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not wide, f"{len(wide)} line(s) wider than {width} columns:\n" + "\n".join(wide)


def test_coverage_what_if_fits_is_echoed_and_has_its_own_name(tmp_path):
    result, files = run("coverage", "--close", "S2", "--no-per-station", cwd=tmp_path)
    assert_fits(result.stdout)
    assert_fits(result.stderr)
    assert "What-if: S2 closed" in result.stdout
    walk = next(line for line in result.stdout.splitlines() if "15-min on foot" in line)
    before, after = (float(x) for x in
                     walk.split("coverage: ")[1].split("% of")[0].split("% -> "))
    assert before > after  # closing a station cannot add coverage
    assert "places lose service" in result.stdout or "place loses" in result.stdout
    assert "maps/wudaokou-coverage-whatif-close-S2.html" in files
    assert "maps/wudaokou-coverage.html" not in files  # the baseline's map is not replaced
    assert not re.search(r"(?<![\d.])1 places", result.stdout)


def test_propose_says_why_it_has_fewer_sites_than_asked(tmp_path):
    result, _ = run("propose", "--mode", "walk", "-k", "3", "--curve", "0", cwd=tmp_path)
    assert_fits(result.stdout)
    sites = [line for line in result.stdout.splitlines() if line.startswith("  #")]
    assert len(sites) < 3
    reason = next(line for line in result.stdout.splitlines()
                  if line.startswith(f"  {len(sites)} site"))
    assert ": " in reason and len(reason.split(": ", 1)[1]) > 10  # says why
    assert not re.search(r"(?<![\d.])1 places", result.stdout)


def test_scenario_run_table_fits_and_explains_na(tmp_path):
    result, files = run("scenario", "run", str(ROOT / "scenarios" / "wudaokou.toml"),
                        "--no-per-scenario-maps", "-q", cwd=tmp_path)
    assert_fits(result.stdout)
    assert result.stderr == ""
    assert "NaN" not in result.stdout and "_%" not in result.stdout
    assert "covered 15 min (%)" in result.stdout and "n/a" in result.stdout
    assert "not computed for this scenario" in result.stdout  # why n/a
    # the full-width table is still written
    comparison = tmp_path.glob("*/maps/wudaokou/comparison.csv")
    assert "covered_15min_%" in next(comparison).read_text(encoding="utf-8")


def test_doctor_fits(tmp_path):
    for sample in ("wudaokou", "guixi"):
        result, _ = run("doctor", "-n", sample, cwd=tmp_path)
        assert_fits(result.stdout)


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_before_or_after_the_subcommand(tmp_path, where):
    args = ["coverage", "--mode", "walk", "--no-per-station"]
    args = ["-q", *args] if where == "before" else [*args, "-q"]
    result, _ = run(*args, cwd=tmp_path)
    assert result.stderr == ""  # no progress lines
    assert "within  15 min" in result.stdout  # the summary stays
    loud, _ = run("coverage", "--mode", "walk", "--no-per-station", cwd=tmp_path)
    assert "loading the street network" in loud.stderr


def test_verbose_after_the_subcommand(tmp_path):
    result, _ = run("networks", "-v", cwd=tmp_path)
    assert logging.getLogger().level == logging.INFO
    assert "wudaokou" in result.stdout


def test_offline_bbox_fails_in_seconds_with_a_clear_message(tmp_path, monkeypatch):
    import osmnx
    import requests

    def no_network(*args, **kwargs):
        raise requests.ConnectionError("no route to host")

    def must_not_run(*args, **kwargs):
        raise AssertionError("osmnx was called although the servers are unreachable")

    monkeypatch.setattr(requests, "head", no_network)
    monkeypatch.setattr(requests, "get", no_network)
    monkeypatch.setattr(osmnx, "graph_from_bbox", must_not_run)
    monkeypatch.setattr(osmnx, "graph_from_point", must_not_run)
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    stations = ROOT / "layers" / "wudaokou" / "stations.geojson"
    demand = ROOT / "layers" / "wudaokou" / "demand.geojson"
    for network in ("bbox:116.30,39.99,116.31,40.00", "point:40.0,116.3,500"):
        start = time.perf_counter()
        result, _ = run("coverage", "-n", network, "-s", str(stations), "-d", str(demand),
                        cwd=tmp_path, code=2)
        assert time.perf_counter() - start < 10
        assert "seems offline" in result.stderr and "planner networks" in result.stderr
        assert "Traceback" not in result.output


def test_layers_are_checked_before_the_download(tmp_path, monkeypatch):
    from planner.data import network

    def must_not_download(*args, **kwargs):
        raise AssertionError("the network was loaded before the layers were checked")

    monkeypatch.setattr(network, "load_network", must_not_download)
    result, _ = run("coverage", "-n", "bbox:116.30,39.99,116.31,40.00", "-s",
                    str(tmp_path / "missing.csv"), "-d", str(tmp_path / "missing.csv"),
                    cwd=tmp_path, code=2)
    assert "missing.csv does not exist" in result.stderr


def test_batch_up_to_date_starts_no_cluster_fits_and_is_quiet(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    from planner.apps import batch

    spec_path = ROOT / "batches" / "samples.toml"
    spec = batch.load(spec_path)
    out = tmp_path / "out"
    for district in spec.districts:  # run each in-process, as a previous batch would have
        assert batch.run_district(district, out)["status"] == "ok"

    def no_cluster(*args, **kwargs):
        raise AssertionError("a Dask cluster was started with nothing to run")

    monkeypatch.setattr(batch, "_connect", no_cluster)
    result, _ = run("batch", str(spec_path), "--out", str(out), "-q", cwd=tmp_path)
    stdout = "\n".join(line for line in result.stdout.splitlines()
                        if not line.startswith("wrote "))  # long tmp paths
    assert result.stderr == ""
    assert_fits(stdout)
    assert "NaN" not in stdout and "2.0" not in stdout
    assert "covered" in stdout and "(%)" in stdout
    assert "skipped (up to date" in stdout


def test_dask_logs_go_to_a_file_unless_verbose(tmp_path, capsys):
    from planner.apps.cli.batch import _dask_logs

    with _dask_logs(tmp_path, verbose=0):
        logging.getLogger("distributed.scheduler").warning("scheduler chatter")
    assert "scheduler chatter" in (tmp_path / "dask.log").read_text(encoding="utf-8")
    assert "scheduler chatter" not in capsys.readouterr().err
