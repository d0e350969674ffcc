"""--measure on the command line and measures in scenario files, end to end on the sample."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.apps import scenario
from planner.apps.cli import cli
from planner.errors import ScenarioError

from conftest import SAMPLE


def test_coverage_measures_reach_console_report_and_map(run, tmp_path):
    stations = json.loads((SAMPLE / "stations.geojson").read_text(encoding="utf-8"))
    for feature, seats in zip(stations["features"], (12, 2, 2)):
        feature["properties"]["capacity"] = seats
    (tmp_path / "st.geojson").write_text(json.dumps(stations), encoding="utf-8")
    areas = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "north", "name": "<b>North</b> 街道"},
        "geometry": {"type": "Polygon", "coordinates": [[[116.29, 40.0], [116.35, 40.0],
                                                        [116.35, 40.03], [116.29, 40.03],
                                                        [116.29, 40.0]]]}}]}
    (tmp_path / "areas.geojson").write_text(json.dumps(areas), encoding="utf-8")
    result = run("-q", "coverage", "-m", "walk", "-s", "st.geojson", "--measure", "all",
                 "--measure", "gravity:decay=power,half_life_min=4", "--areas", "areas.geojson",
                 "--map", "m.html")
    assert result.exit_code == 0, result.output
    for text in ("backup:", "capacity (E2SFCA", "gravity (power, half-life 4 min)", "equity:",
                 "Gini"):
        assert text in result.output
    report = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    res = report["results"][0]
    assert set(res["summary"]["measures"]) == {"backup", "capacity", "gravity", "equity"}
    assert res["summary"]["measures"]["equity"]["areas"][0]["area_id"] == "north"
    station = res["stations"][0]
    assert station["capacity"] == 12 and "riders_per_seat" in station
    assert "demand" not in res  # per-place rows live in the table beside the report
    header = (tmp_path / res["places_file"]).read_text(encoding="utf-8").splitlines()[0]
    assert {"e2sfca_access", "gravity_access", "covered_2plus", "area_id"} <= set(
        header.split(","))
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "planner-lorenz" in page and "planner-measure-legend" in page
    assert "walk: equity: areas by covered share" in page
    assert "<b>North</b>" not in page  # area names are data, escaped


@pytest.mark.parametrize("item, fragment", [("speed", "unknown measure"),
                                            ("gravity:half_life_min=0", "half_life_min"),
                                            ("capacity:decay=linear", "decay")])
def test_bad_measures_are_parameter_errors(run, item, fragment):
    result = CliRunner().invoke(cli, ["coverage", "--measure", item])
    assert result.exit_code == 2 and fragment in result.output


def test_capacity_column_must_be_positive(run, tmp_path):
    stations = json.loads((SAMPLE / "stations.geojson").read_text(encoding="utf-8"))
    stations["features"][1]["properties"]["capacity"] = "many"
    (tmp_path / "st.geojson").write_text(json.dumps(stations), encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "coverage", "-m", "walk", "-s", "st.geojson",
                                      "--measure", "capacity", "--map", "m.html"])
    assert result.exit_code == 2 and "S2" in result.output and "capacity" in result.output


def test_scenario_measures_are_inherited_and_validated(tmp_path):
    text = ('title = "t"\n[baseline]\nnetwork = "wudaokou"\nmode = "walk"\nminutes = [15]\n'
            'measures = ["backup", "equity"]\n[[variants]]\nname = "S2 closed"\n'
            'close = ["S2"]\n')
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    run = scenario.run(path)
    table = run.comparison()
    assert {"covered_2plus_%", "gini"} <= set(table.columns)
    assert table["covered_2plus_%"].iloc[1] <= table["covered_2plus_%"].iloc[0]
    path.write_text(text.replace('"equity"]', '"equity", "colour"]'), encoding="utf-8")
    with pytest.raises(ScenarioError, match="measures"):
        scenario.load(path)
