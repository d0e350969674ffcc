"""The command line: the main job on the sample, and one clear error per bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.apps.cli import cli

from conftest import SAMPLE


def test_coverage_on_the_sample_writes_map_and_report(run, tmp_path):
    result = run("-q", "coverage")
    assert result.exit_code == 0, result.output
    assert "within  15 min" in result.output and "on foot" in result.output
    page = (tmp_path / "maps" / "wudaokou-coverage.html").read_text(encoding="utf-8")
    assert "ebike: within 15 min" in page and "walk: within 5 min" in page
    report = json.loads((tmp_path / "maps" / "wudaokou-coverage.json").read_text())
    modes = [r["summary"]["mode"] for r in report["results"]]
    assert modes == ["ebike", "walk"]
    assert "OpenStreetMap" in report["attribution"]


def test_what_if_close_and_add_change_the_answer(run, tmp_path):
    base = run("-q", "coverage", "-m", "walk", "--report", "base.json", "--map", "base.html")
    closed = run("-q", "coverage", "-m", "walk", "--close", "S2", "--report", "closed.json",
                 "--map", "closed.html")
    assert base.exit_code == closed.exit_code == 0
    share = lambda name: json.loads((tmp_path / name).read_text())["results"][0]["summary"][
        "covered"]["15"]["share"]
    assert share("closed.json") < share("base.json")
    added = run("-q", "coverage", "-m", "walk", "--add", "116.3125,40.0095", "--report",
                "added.json", "--map", "added.html")
    assert added.exit_code == 0 and share("added.json") > share("base.json")
    moved = run("-q", "coverage", "-m", "walk", "--move", "S3=116.3150,40.0075", "--report",
                "moved.json", "--map", "moved.html")
    assert moved.exit_code == 0 and share("moved.json") != share("base.json")
    report = json.loads((tmp_path / "moved.json").read_text())
    assert report["what_if"]["moved"] == {"S3": [116.315, 40.0075]}


def test_networks_lists_the_samples(run):
    result = run("networks")
    assert result.exit_code == 0 and "wudaokou" in result.output and "ODbL" in result.output


@pytest.mark.parametrize("args, message", [
    (["--stations", "nope.geojson"], "does not exist"),
    (["--mode", "rocket"], "unknown mode"),
    (["--minutes", "0,15"], "positive"),
    (["--minutes", "5,abc"], "not a number"),
    (["--minutes", "100000"], "absurdly large"),
    (["--speed", "ebike=40", "--mode", "ebike"], "legal cap"),
    (["--speed", "walk=nan", "--mode", "walk"], "NaN"),
    (["--network", "atlantis"], "no bundled sample"),
    (["--network", "missing.osm.pbf"], "does not exist"),
    (["--close", "S9"], "no such id"),
    (["--add", "116.3"], "LON,LAT"),
    (["--move", "S1"], "ID=LON,LAT"),
    (["--move", "S9=116.3,40.0"], "no such id"),
])
def test_bad_input_exits_non_zero_with_one_clear_line(run, tmp_path, args, message):
    (tmp_path / "maps").mkdir()
    old = tmp_path / "maps" / "wudaokou-coverage.html"
    old.write_text("OLD")
    result = run("coverage", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert old.read_text() == "OLD"  # earlier output untouched
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["wudaokou-coverage.html"]


def test_empty_and_off_network_layers(run, tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    result = run("coverage", "--stations", str(empty))
    assert result.exit_code == 2 and "no features" in result.output
    far = tmp_path / "far.csv"
    far.write_text("id,lon,lat\nX1,116.40,40.05\n")
    result = run("coverage", "--stations", str(far), "--mode", "walk")
    assert result.exit_code == 2 and "farther than 250 m" in result.output
    assert not (tmp_path / "maps").exists()


def test_layers_for_another_city_are_refused(run, tmp_path):
    other = tmp_path / "guixi.csv"
    other.write_text("id,lon,lat\nX1,117.24,28.29\n")
    result = run("coverage", "--stations", str(other))
    assert result.exit_code == 2 and "lon/lat swapped, or is this layer for another city" \
        in result.output.replace("\n", " ")


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from planner.errors import PlannerError

    with pytest.raises(PlannerError):
        CliRunner().invoke(cli, ["--debug", "coverage", "-n", str(
            SAMPLE / "network.osm.bz2"), "-s", "x.geojson"], catch_exceptions=False)
