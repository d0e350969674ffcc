"""CLI: layers in GCJ-02/BD-09, demand from OSM/orders, exports, output datum."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from planner.apps.cli import cli
from planner.data import coords


ORDERS = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "wudaokou-orders.csv"
FAST = ("-q", "coverage", "-m", "walk", "-t", "15", "--no-per-station")


def _share(path: Path) -> float:
    return json.loads(path.read_text())["results"][0]["summary"]["covered"]["15"]["share"]


def test_gcj02_stations_give_the_wgs84_answer(run, tmp_path, sample_stations):
    x, y = coords.wgs84_to_gcj02(sample_stations.geometry.x, sample_stations.geometry.y)
    (tmp_path / "amap.csv").write_text("id,lng,lat\n" + "".join(
        f"{i},{a:.7f},{b:.7f}\n" for i, a, b in zip(sample_stations["id"], x, y)))
    add_gcj = coords.wgs84_to_gcj02(116.315, 40.005)
    base = run(*FAST, "--map", "base.html", "--add", "116.315,40.005")
    amap = run(*FAST, "--map", "amap.html", "-s", "amap.csv", "--input-crs", "stations=gcj02",
               "--add", f"{float(add_gcj[0]):.7f},{float(add_gcj[1]):.7f}")
    raw = run(*FAST, "--map", "raw.html", "-s", "amap.csv", "--add", "116.315,40.005")
    assert base.exit_code == amap.exit_code == raw.exit_code == 0, amap.output
    assert _share(tmp_path / "amap.json") == _share(tmp_path / "base.json")
    base_rows = json.loads((tmp_path / "base.json").read_text())["results"][0]["stations"]
    amap_rows = json.loads((tmp_path / "amap.json").read_text())["results"][0]["stations"]
    assert [r["access_m"] for r in amap_rows] == [r["access_m"] for r in base_rows]
    raw_rows = json.loads((tmp_path / "raw.json").read_text())["results"][0]["stations"]
    assert [r["access_m"] for r in raw_rows] != [r["access_m"] for r in base_rows]


def test_osm_demand_with_exports_in_bd09(run, tmp_path):
    result = run(*FAST, "--demand", "osm:pickup", "--export", "xlsx,csv", "--output-crs",
                 "bd09", "--map", "m.html")
    assert result.exit_code == 0, result.output
    for name in ("m.xlsx", "m-walk-stations.csv", "m-walk-places.csv", "m-walk-gaps.csv"):
        assert (tmp_path / name).is_file(), name
    report = json.loads((tmp_path / "m.json").read_text())["results"][0]
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "m-walk-places.csv").read_text(encoding="utf-8-sig"))))
    places = _places(tmp_path, report)
    assert len(rows) == len(places) == 61  # 32 restaurants, 15 cafes, 9 fast food, 4 supermarkets, 1 mall
    bx, by = coords.wgs84_to_bd09([float(r["lon"]) for r in places],
                                  [float(r["lat"]) for r in places])
    assert np.allclose([float(r["lon"]) for r in rows], bx, atol=2e-6)
    assert np.allclose([float(r["lat"]) for r in rows], by, atol=2e-6)


def test_orders_aggregated_to_grid(run, tmp_path):
    result = run(*FAST, "-d", str(ORDERS), "--aggregate", "grid:250", "--map", "g.html")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "g.json").read_text())["results"][0]
    assert report["summary"]["demand_weight"] == 3000
    assert 10 < report["summary"]["demand_places"] < 100
    assert all(r["kind"] == "grid:250" for r in _places(tmp_path, report))


def _places(folder, report) -> list[dict]:
    """The per-place rows the report points to (WGS-84 CSV beside it)."""
    text = (folder / report["places_file"]).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("args,hint", [
    (("--input-crs", "mars"), "--input-crs"),
    (("--input-crs", "depots=gcj02"), "--input-crs"),
    (("--export", "shp"), "--export"),
    (("--aggregate", "hex:3"), "h3:RES"),
    (("--demand", "osm:lunch"), "osm:pickup"),
])
def test_bad_options_are_one_clear_error(run, args, hint):
    result = CliRunner().invoke(cli, [*FAST, *args])
    assert result.exit_code == 2
    assert hint in result.output and "Traceback" not in result.output


def test_propose_sites_in_gcj02(run, tmp_path):
    result = run("-q", "propose", "-m", "walk", "-k", "1", "--curve", "0", "--map", "p.html",
                 "--output-crs", "gcj02")
    assert result.exit_code == 0, result.output
    sites = json.loads((tmp_path / "p-sites.geojson").read_text())["features"]
    report = json.loads((tmp_path / "p.json").read_text())
    wgs = [(s["lon"], s["lat"]) for s in report["sites"]] if "sites" in report else None
    x, y = sites[0]["geometry"]["coordinates"]
    back = coords.gcj02_to_wgs84(x, y)
    if wgs:
        assert abs(float(back[0]) - wgs[0][0]) < 1e-5 and abs(float(back[1]) - wgs[0][1]) < 1e-5
    assert 116.29 < float(back[0]) < 116.37


def test_scenario_per_layer_crs_and_aggregate(tmp_path, sample_stations):
    from planner.apps import scenario
    from planner.errors import ScenarioError

    x, y = coords.wgs84_to_bd09(sample_stations.geometry.x, sample_stations.geometry.y)
    (tmp_path / "baidu.csv").write_text("id,lon,lat\n" + "".join(
        f"{i},{a:.7f},{b:.7f}\n" for i, a, b in zip(sample_stations["id"], x, y)))
    text = ('[baseline]\nmode = "walk"\nminutes = [15]\n\n[[variants]]\nname = "baidu"\n'
            'stations = "baidu.csv"\nstations_crs = "bd09"\n\n[[variants]]\nname = "h3"\n'
            'aggregate = "h3:9"\n')
    (tmp_path / "s.toml").write_text(text)
    run = scenario.run(scenario.load(tmp_path / "s.toml"))
    base, baidu, h3cells = run.results
    assert baidu.coverage.covered_share() == base.coverage.covered_share()
    assert h3cells.coverage.demand["kind"].eq("h3:9").all()
    assert h3cells.coverage.demand["weight"].sum() == pytest.approx(
        base.coverage.demand["weight"].sum())
    (tmp_path / "bad.toml").write_text(text.replace('"bd09"', '"mars"'))
    with pytest.raises(ScenarioError, match=r"line 8: variants\[0\].stations_crs: 'mars'"):
        scenario.load(tmp_path / "bad.toml")


def test_batch_district_layer_options(tmp_path):
    from planner.apps import batch
    from planner.errors import ScenarioError

    spec = batch.parse({"districts": [{"name": "a", "network": "wudaokou", "demand": "osm:all",
                                       "stations_crs": "gcj02", "aggregate": "grid:300"}]},
                       base_dir=tmp_path)
    district = spec.districts[0]
    assert district.demand == "osm:all"
    assert district.layer_options == {"input_crs": {"stations": "gcj02"},
                                      "aggregate": "grid:300"}
    assert batch.District(**district.to_dict()).layer_options == district.layer_options
    with pytest.raises(ScenarioError, match="demand_crs"):
        batch.parse({"districts": [{"name": "a", "network": "wudaokou", "demand_crs": 5}]},
                    base_dir=tmp_path)
