"""Batch runs on a local Dask cluster with 2 workers: same answers as one by one, failures
reported without stopping the others, up-to-date districts skipped."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

pytest.importorskip("dask.distributed")

from planner.apps import batch  # noqa: E402
from planner.apps.cli import cli  # noqa: E402
from planner.errors import ScenarioError  # noqa: E402

SPEC = {
    "title": "test batch",
    "defaults": {"mode": "walk", "minutes": [10, 15]},
    "districts": [
        {"name": "wudaokou", "network": "wudaokou"},
        {"name": "wudaokou-ebike", "network": "wudaokou", "mode": "ebike"},
        {"name": "guixi", "network": "guixi", "analysis": ["coverage", "proposals"],
         "propose": {"k": 1}},
    ],
}


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           memory_limit="3GiB", dashboard_address=None, silence_logs=40)
    with Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def comparable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("seconds", "status")}


def test_batch_on_two_workers_equals_each_district_alone(client, tmp_path):
    spec = batch.parse(SPEC)
    result = batch.run(spec, tmp_path / "dask", client=client)
    assert [r["status"] for r in result.rows] == ["ok"] * 3
    assert len(client.scheduler_info()["workers"]) == 2
    for district, row in zip(spec.districts, result.rows):
        alone = batch.run_district(district, tmp_path / "alone")
        assert comparable(alone) == comparable(row)
        assert (tmp_path / "dask" / district.name / "coverage.html").is_file()
    assert (tmp_path / "dask" / "guixi" / "proposal.html").is_file()
    table = result.table()
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["covered_main_%"].is_monotonic_increasing  # worst covered first
    written = batch.write_table(result, tmp_path / "dask")
    assert {p.name for p in written} == {"districts.csv", "districts.md", "districts.json"}


def test_a_broken_district_is_reported_and_the_others_finish(client, tmp_path):
    broken = {**SPEC, "districts": SPEC["districts"][:2] + [
        {"name": "broken", "network": str(tmp_path / "missing.osm.pbf"),
         "stations": "x.geojson", "demand": "y.geojson"}]}
    result = batch.run(batch.parse(broken), tmp_path, client=client)
    status = {r["district"]: r["status"] for r in result.rows}
    assert status == {"wudaokou": "ok", "wudaokou-ebike": "ok", "broken": "failed"}
    assert "does not exist" in result.failed[0]["error"]
    table = result.table()
    assert table.iloc[-1]["district"] == "broken" and table.iloc[-1]["rank"] is None or str(
        table.iloc[-1]["rank"]) == "<NA>"


def test_up_to_date_districts_are_skipped(tmp_path):
    district = batch.parse(SPEC).districts[0]
    first = batch.run_district(district, tmp_path)
    again = batch.run_district(district, tmp_path)
    assert first["status"] == "ok" and again["status"] == "skipped"
    assert comparable(first) == comparable(again)
    forced = batch.run_district(district, tmp_path, force=True)
    assert forced["status"] == "ok"


def test_cli_batch_exit_code_says_partial_failure(tmp_path):
    path = tmp_path / "batch.toml"
    path.write_text("""
[defaults]
mode = "walk"
[[districts]]
name = "ok"
network = "wudaokou"
[[districts]]
name = "bad"
network = "wudaokou"
stations = "nope.geojson"
""", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "batch", str(path), "--out", str(tmp_path / "out"),
                                      "--workers", "2"], catch_exceptions=False)
    assert result.exit_code == 3, result.output
    assert (tmp_path / "out" / "districts.md").read_text().count("bad") >= 1
    assert (tmp_path / "out" / "ok" / "coverage.html").is_file()


@pytest.mark.parametrize("data, message", [
    ({"districts": []}, "at least one"),
    ({"districts": [{"network": "wudaokou"}]}, "needs a name"),
    ({"districts": [{"name": "a", "network": "wudaokou", "colour": 1}]}, "colour: unknown key"),
    ({"districts": [{"name": "a", "network": "wudaokou", "bbox": [1, 2]}]}, "bbox"),
    ({"districts": [{"name": "a", "network": "wudaokou", "mode": "jet"}]}, "unknown mode"),
    ({"districts": [{"name": "a", "network": "x"}, {"name": "a", "network": "y"}]},
     "duplicate district"),
])
def test_bad_batch_files(data, message):
    with pytest.raises(ScenarioError, match=message):
        batch.parse(data)
