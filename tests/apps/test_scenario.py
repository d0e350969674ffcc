"""Scenario files: the example runs, invariants hold, malformed files fail cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.apps import scenario
from planner.apps.cli import cli
from planner.errors import ScenarioError

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "wudaokou.toml"


@pytest.fixture(scope="module")
def example_run():
    return scenario.run(EXAMPLE)


def test_the_example_file_runs_and_compares(example_run):
    table = example_run.comparison()
    assert table["scenario"].tolist()[0] == "today"
    assert len(table) == len(scenario.load(EXAMPLE).scenarios)
    rows = table.set_index("scenario")
    assert rows.loc["on foot, S2 closed", "covered_15min_%"] < rows.loc["on foot", "covered_15min_%"]
    assert rows.loc["on foot, plus 2 proposed", "covered_15min_%"] >= rows.loc[
        "on foot", "covered_15min_%"]
    assert rows.loc["rush hour", "covered_5min_%"] < rows.loc["today", "covered_5min_%"]
    assert rows.loc["on foot, new station at the high-school", "stations"] == 4
    json.dumps(example_run.to_dict(), allow_nan=False)


def test_the_table_compares_each_what_if_as_the_map_does(example_run):
    """A walking what-if is compared with the earlier walking scenario without station edits
    (not with the e-bike baseline), and the change is the difference of the two shares."""
    from planner.outputs.scenario_map import _reference

    rows = example_run.comparison().set_index("scenario")
    closed = rows.loc["on foot, S2 closed"]
    assert closed["compared_with"] == "on foot"
    assert closed["change_vs_reference_pp"] == pytest.approx(
        closed["covered_15min_%"] - rows.loc["on foot", "covered_15min_%"], abs=0.011)
    assert rows.loc["on foot", "compared_with"] == "today"  # no earlier walking scenario
    for index, result in enumerate(example_run.results[1:], start=1):
        assert rows.loc[result.name, "compared_with"] == _reference(
            example_run.results, index).name


def write(tmp_path, text: str, name="s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_variant_identical_to_the_baseline_shows_zero_change(tmp_path):
    path = write(tmp_path, """
[baseline]
network = "wudaokou"
mode = "walk"
[[variants]]
name = "same"
mode = "walk"
""")
    row = scenario.run(path).comparison().iloc[1]
    assert row["change_vs_baseline_pp"] == 0 and row["median_change_min"] == 0


@settings(max_examples=6, deadline=None)
@given(closed=st.lists(st.sampled_from(["S1", "S2", "S3"]), min_size=1, max_size=2, unique=True),
       mode=st.sampled_from(["walk", "ebike"]))
def test_closing_stations_never_raises_coverage(closed, mode):
    spec = scenario.parse({"baseline": {"network": "wudaokou", "mode": mode},
                           "variants": [{"name": "closed", "close": closed}]})
    table = scenario.run(spec).comparison()
    assert (table.iloc[1][[c for c in table.columns if c.startswith("covered_")]]
            <= table.iloc[0][[c for c in table.columns if c.startswith("covered_")]]).all()


@pytest.mark.parametrize("text, message", [
    ("[baseline]\nnetwork = 'wudaokou'\nspeeed_kmh = 12\n", "line 3: baseline.speeed_kmh: unknown key"),
    ("[baseline]\nmode = 'walk'\n[[variants]]\nname = 'x'\nclose = 'S2'\n",
     "line 5: variants[0].close: must be a list"),
    ("[baseline]\nmode = 'walk'\n[[variants]]\nname = 'x'\nspeed_kmh = 'fast'\n",
     "variants[0].speed_kmh: must be a number"),
    ("[baseline]\nmode = 'rocket'\n", "baseline.mode: unknown mode"),
    ("[baseline]\nminutes = [0]\n", "baseline.minutes"),
    ("[baseline]\n[[variants]]\nmode = 'walk'\n", "every variant needs a name"),
    ("[baseline]\n[[variants]]\nname = 'a'\n[[variants]]\nname = 'a'\n", "duplicate scenario name"),
    ("[baseline]\n[[variants]]\nname = 'a'\nadd = [{lon = 116.3, lat = 40.0, height = 3}]\n",
     "variants[0].add[0].height: unknown key"),
    ("[baseline]\n[[variants]]\nname = 'a'\npropose = {k = 0}\n", "variants[0].propose.k"),
    ("baseline = 3\n", "missing [baseline]"),
    ("[baseline\n", "not valid TOML"),
    ("[baseline]\ncolour = 'red'\n[[variants]]\nname = 'a'\n", "baseline.colour"),
])
def test_malformed_files_name_the_key_path_and_line(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        scenario.load(write(tmp_path, text))


@pytest.mark.parametrize("variant, message", [
    ("close = ['S9']", "no such id"),
    ("add = [{lon = 117.24, lat = 28.29}]", "another city"),
    ("add = [{candidate = 'nope'}]", "no candidate with id 'nope'"),
    ("move = {S1 = [10.0, 10.0]}", "another city"),
])
def test_references_that_do_not_exist_fail_when_run(tmp_path, variant, message):
    path = write(tmp_path, f"[baseline]\nmode = 'walk'\n[[variants]]\nname = 'v'\n{variant}\n")
    with pytest.raises(ScenarioError, match=message):
        scenario.run(path)


def test_yaml_files_work_too(tmp_path):
    path = write(tmp_path, "baseline:\n  mode: walk\nvariants:\n  - name: closed\n"
                           "    close: [S1]\n", name="s.yaml")
    assert scenario.run(path).comparison()["scenario"].tolist() == ["baseline", "closed"]


def test_cli_runs_the_example_and_fails_cleanly_on_a_bad_file(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["-q", "scenario", "run", str(EXAMPLE), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert {"comparison.csv", "comparison.md", "report.json", "map.html", "today.html"} <= {
        p.name for p in out.iterdir()}
    page = (out / "map.html").read_text()
    assert '"on foot, S2 closed"' in page  # one layer group per scenario
    assert (out / "comparison.md").read_text().startswith("# Wudaokou")
    bad = write(tmp_path, "[baseline]\nmode = 'walk'\n[[variants]]\nname = 'x'\nclose = ['S9']\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = CliRunner().invoke(cli, ["scenario", "run", str(bad), "--out", str(out)])
    assert result.exit_code == 2 and "no such id" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    result = CliRunner().invoke(cli, ["scenario", "check", str(EXAMPLE)])
    assert result.exit_code == 0 and "8 scenarios OK" in result.output
