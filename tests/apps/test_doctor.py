"""`planner doctor`: lists what is wrong with the inputs, exits 2 on errors."""

from __future__ import annotations

import re
import unicodedata

import pytest
from click.testing import CliRunner

from planner.apps import doctor
from planner.apps.cli import cli


def flat(text: str) -> str:
    """Text with the line wrapping undone."""
    return " ".join(text.split())


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


@pytest.mark.parametrize("sample", ["wudaokou", "guixi"])
def test_the_bundled_samples_pass_their_own_doctor(sample):
    findings = doctor.check(sample)  # e-bike and walk
    assert [str(f) for f in findings if f.level != "info"] == []
    subjects = {f.subject for f in findings}
    assert {"network", "stations", "demand", "candidates", "walk network"} <= subjects


def test_bicycles_that_may_not_push_are_told_about_one_way_streets():
    # in Guixi one place reaches a station by bicycle only against a one-way street
    findings = doctor.check("guixi", modes=("bike",))
    warnings = [flat(str(f)) for f in findings if f.level == "warning"]
    assert len(warnings) == 1 and "only against one-way rules" in warnings[0]
    assert "check the oneway tags" in warnings[0] and "near " in warnings[0]


def test_doctor_names_the_cause_with_names_in_lines_of_100_columns(tmp_path):
    # a place far outside the streets and the real Wudaokou stations, riders and walkers
    demand = tmp_path / "demand.csv"
    demand.write_text("id,name,lon,lat\nfar,远处的小区 far estate,116.3,39.97\n"
                      "near,清华东门 near,116.3265,39.9930\n")
    result = CliRunner().invoke(cli, ["doctor", "-d", str(demand), "-m", "ebike"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(columns(line) for line in lines) <= doctor.WIDTH
    text = flat(result.output)
    assert "[WARN] demand (ebike): 1 of 2 places" in text
    assert "远处的小区 far estate" in text and "farther than" in text and "widen" in text
    assert not re.search(r"\b[nwr]\d{6,}\b", text)  # names, not raw OSM ids
    assert "1 warning" in text and "1 warnings" not in text


def test_severity_levels_are_checked():
    assert doctor.LEVELS == ("error", "warning", "info")
    with pytest.raises(ValueError):
        doctor.Finding("ok", "x", "y")
    long = doctor.Finding("info", "demand", "word " * 60 + "x" * 150)
    assert all(columns(line) <= doctor.WIDTH for line in long.lines())


def test_problems_are_listed_not_raised(tmp_path):
    stations = tmp_path / "stations.csv"
    stations.write_text("id,lon,lat\nA,116.32,40.0\nA,116.33,40.0\n")
    demand = tmp_path / "demand.geojson"
    demand.write_text('{"type": "FeatureCollection", "features": [')
    findings = doctor.check("wudaokou", stations=stations, demand=demand)
    errors = [flat(str(f)) for f in findings if f.level == "error"]
    assert any("duplicate ids A" in e for e in errors)
    assert any("not valid JSON" in e for e in errors)


def test_cli_doctor_exit_codes(tmp_path):
    ok = CliRunner().invoke(cli, ["doctor", "-m", "walk"])
    assert ok.exit_code == 0 and "0 errors" in ok.output
    far = tmp_path / "far.csv"
    far.write_text("id,lon,lat\nX,117.24,28.29\n")
    bad = CliRunner().invoke(cli, ["doctor", "-s", str(far), "-m", "walk"])
    assert bad.exit_code == 2 and "another city" in flat(bad.output)
    missing = CliRunner().invoke(cli, ["doctor", "-n", str(tmp_path / "none.osm.pbf")])
    assert missing.exit_code == 2 and "does not exist" in flat(missing.output)


def test_coverage_console_and_report_name_the_causes(tmp_path):
    import json

    demand = tmp_path / "demand.csv"
    demand.write_text("id,name,weight,lon,lat\nfar,远处 far,3,116.3,39.97\n"
                      "near,near,1,116.3265,39.9930\n")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["coverage", "-d", str(demand), "-m", "ebike",
                                      "--no-per-station", "--map", str(tmp_path / "m.html"),
                                      "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert ("cannot reach a station: 1 place, weight 3 (75.0%), farther than the snap "
            "distance") in " ".join(result.output.split())  # lines wrap at 100 columns
    summary = json.loads(report.read_text())
    found = json.dumps(summary, ensure_ascii=False)
    assert '"far_from_street": {"places": 1, "weight": 3.0, "share": 0.75' in found
