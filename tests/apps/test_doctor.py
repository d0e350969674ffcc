"""`planner doctor`: lists what is wrong with the inputs, exits 2 on errors."""

from __future__ import annotations

from click.testing import CliRunner

from planner.apps import doctor
from planner.apps.cli import cli


def test_the_sample_is_healthy():
    findings = doctor.check("wudaokou")
    assert not [f for f in findings if f.level == "error"]
    subjects = {f.subject for f in findings}
    assert {"network", "stations", "demand", "candidates", "walk network"} <= subjects


def test_problems_are_listed_not_raised(tmp_path):
    stations = tmp_path / "stations.csv"
    stations.write_text("id,lon,lat\nA,116.32,40.0\nA,116.33,40.0\n")
    demand = tmp_path / "demand.geojson"
    demand.write_text('{"type": "FeatureCollection", "features": [')
    findings = doctor.check("wudaokou", stations=stations, demand=demand)
    errors = [str(f) for f in findings if f.level == "error"]
    assert any("duplicate ids A" in e for e in errors)
    assert any("not valid JSON" in e for e in errors)


def test_cli_doctor_exit_codes(tmp_path):
    ok = CliRunner().invoke(cli, ["doctor", "-m", "walk"])
    assert ok.exit_code == 0 and "0 error(s)" in ok.output
    far = tmp_path / "far.csv"
    far.write_text("id,lon,lat\nX,117.24,28.29\n")
    bad = CliRunner().invoke(cli, ["doctor", "-s", str(far), "-m", "walk"])
    assert bad.exit_code == 2 and "another city" in bad.output
    missing = CliRunner().invoke(cli, ["doctor", "-n", str(tmp_path / "none.osm.pbf")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
