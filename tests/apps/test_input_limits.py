"""Hostile and absurd inputs: clear errors, quickly, before anything starts or is written."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner import _validate
from planner.apps import batch, scenario
from planner.apps.cli import cli
from planner.data import layers
from planner.errors import InputError, LayerError, PlannerError, ScenarioError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "layers" / "wudaokou"

BILLION_LAUGHS = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]"
       for i in range(8)]
    + ["baseline: {network: wudaokou}"])


@pytest.mark.parametrize("loader", [scenario.load, batch.load])
@pytest.mark.parametrize("text, message", [
    (BILLION_LAUGHS, "aliases"),
    ("a: &a [*a]\nbaseline: {}\n", "aliases"),  # recursive anchor
    ("base: &b {mode: walk}\nbaseline:\n  <<: *b\n", "aliases"),  # merge key
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    ("x: " + "[" * 40 + "]" * 40 + "\n", "nested"),
])
def test_yaml_bombs_are_refused_within_a_second(tmp_path, loader, text, message):
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match=message):
        loader(path)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("loader", [scenario.load, batch.load])
def test_config_files_too_big_deep_or_not_utf8(tmp_path, loader):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ScenarioError, match="nested"):
        loader(deep)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (2 << 20), encoding="utf-8")
    with pytest.raises(ScenarioError, match="larger than"):
        loader(big)
    latin = tmp_path / "latin.toml"
    latin.write_bytes("title = \"Haidian \xe9t\xe9\"\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8.*offset"):
        loader(latin)
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("title: 海淀\n".encode("gbk"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        loader(gbk)
    with pytest.raises(ScenarioError, match="directory"):
        loader(tmp_path)


def test_deep_geojson_is_a_layer_error_not_recursion(tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * 200_000
                    + "]" * 200_000 + "}", encoding="utf-8")
    with pytest.raises(LayerError, match="nested"):
        layers.read_stations(path)
    path.write_bytes(b'{"type": "FeatureCollection", "features": []}\xff')
    with pytest.raises(LayerError, match="not UTF-8"):
        layers.read_stations(path)


def test_slug_clashes_are_found_when_the_file_is_read(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[baseline]\nname = "A B"\n[[variants]]\nname = "a-b"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="'a-b'.*'A B'"):
        scenario.load(path)
    path.write_text('[baseline]\nname = "Map"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="map.html"):
        scenario.load(path)
    path.write_text('[[districts]]\nname = "Haidian"\nnetwork = "wudaokou"\n[[districts]]\n'
                    'name = "haidian"\nnetwork = "wudaokou"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="'haidian'.*'Haidian'"):
        batch.load(path)


def test_hostile_district_names_stay_inside_the_output_folder(tmp_path):
    out = tmp_path / "out"
    for name in ("../../escape", "/tmp/abs", "..", "a/../../b"):
        row = batch.run_district(
            {"name": name, "network": "wudaokou", "minutes": [10], "analysis": ["coverage"],
             "mode": "walk"}, out)
        assert row["status"] == "ok", row
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(out in p.parents for p in written)
    assert not (tmp_path / "escape").exists() and not Path("/tmp/abs").exists()


@pytest.mark.parametrize("options, message", [
    ({"propose": {"target_share": 95}}, "percentage"),
    ({"propose": {"spacing_m": float("nan")}}, "finite"),
    ({"propose": {"k": True}}, "whole"),
    ({"propose": {"k": 2.5}}, "whole"),
    ({"propose": {"method": "fast"}}, "choose"),
    ({"speed_kmh": float("inf")}, "speed"),
    ({"speed_kmh": 0}, "speed"),
    ({"minutes": [float("nan")]}, "minutes"),
    ({"minutes": [-5]}, "minutes"),
    ({"minutes": [1e308]}, "minutes"),
    ({"max_snap_m": float("inf")}, "max_snap_m"),
])
def test_scenario_numbers(options, message):
    with pytest.raises(ScenarioError, match=message):
        scenario.parse({"baseline": {"network": "wudaokou"},
                        "variants": [{"name": "v", **options}]})
    with pytest.raises(ScenarioError):
        batch.parse({"districts": [{"name": "d", "network": "wudaokou", **options}]})


# --------------------------------------------------------------------------- CLI options


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("args, hint", [
    (["--workers", "0"], "--workers"),
    (["--workers", "-3"], "--workers"),
    (["--workers", "2.5"], "--workers"),
    (["--memory-limit", "1EB"], "--memory-limit"),
    (["--memory-limit", "10kB"], "--memory-limit"),
    (["--memory-limit", "lots"], "--memory-limit"),
    (["--scheduler", "not an address"], "--scheduler"),
    (["--scheduler", "http://example.org:8786"], "--scheduler"),
    (["--scheduler", "tcp://host:99999"], "--scheduler"),
])
def test_batch_cluster_options_fail_before_anything_starts(tmp_path, args, hint):
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["batch", str(ROOT / "batches" / "samples.toml"),
                                      "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and hint in result.output, result.output
    assert time.perf_counter() - start < 5 and not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_fails_quickly(tmp_path):
    spec = batch.parse({"districts": [{"name": "d", "network": "wudaokou"}]})
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="cannot reach"):
        batch.run(spec, tmp_path, scheduler=f"tcp://127.0.0.1:{_free_port()}",
                  connect_timeout="1s")
    assert time.perf_counter() - start < 15
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("args, hint", [
    (["--target", "0.95", "--model", "lscp"], "--target"),
    (["--target", "nan"], "--target"),
    (["--target", "-5"], "--target"),
    (["-k", "0"], "-k"),
    (["-k", "1e308"], "-k"),
    (["--spacing", "inf"], "--spacing"),
    (["--spacing", "0"], "--spacing"),
    (["--time-limit", "0"], "--time-limit"),
    (["--time-limit", "nan"], "--time-limit"),
    (["--capacity", "-1"], "--capacity"),
    (["--curve", "-1"], "--curve"),
    (["--speed", "inf"], "--speed"),
    (["--speed", "nan"], "--speed"),
    (["--speed", "-4"], "--speed"),
    (["--minutes", "0"], "--minutes"),
    (["--minutes", "inf"], "--minutes"),
    (["--max-snap", "nan"], "--max-snap"),
])
def test_propose_numbers_are_refused_with_the_option_named(tmp_path, args, hint):
    result = CliRunner().invoke(cli, ["propose", "--map", str(tmp_path / "m.html"), *args])
    assert result.exit_code == 2 and hint in result.output, result.output
    assert not list(tmp_path.iterdir())


def test_target_help_names_its_unit():
    text = CliRunner().invoke(cli, ["propose", "--help"]).output
    assert "per cent" in text and "metres" in text and "seconds" in text
    assert _validate.percent("95%", name="t") == pytest.approx(0.95)
    with pytest.raises(InputError, match="per cent"):
        _validate.percent(0.95, name="--target")
    with pytest.raises(InputError, match="percentage"):
        _validate.share(95, name="target_share")


def test_cli_refuses_unsafe_outputs_before_running(tmp_path):
    stations = tmp_path / "stations.geojson"
    stations.write_bytes((SAMPLE / "stations.geojson").read_bytes())
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link.html").symlink_to(tmp_path / "elsewhere.html")
    cases = [
        ["coverage", "--map", str(tmp_path / "a.html"), "--report", str(tmp_path / "a.html")],
        ["coverage", "-s", str(stations), "--map", str(stations)],
        ["coverage", "--map", str(SAMPLE / "demand.geojson")],
        ["coverage", "--map", str(tmp_path / "folder")],
        ["coverage", "--map", str(tmp_path / "fifo")],
        ["coverage", "--map", str(tmp_path / "link.html")],
        ["propose", "--map", str(tmp_path / "p.html"), "--sites", str(tmp_path / "p.json")],
    ]
    before = sorted(p.name for p in tmp_path.iterdir())
    for args in cases:
        start = time.perf_counter()
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2 and "Error" in result.output, (args, result.output)
        assert time.perf_counter() - start < 5, args  # refused before loading anything
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert stations.read_bytes() == (SAMPLE / "stations.geojson").read_bytes()


def test_scenario_run_refuses_to_write_over_its_own_file(tmp_path):
    path = tmp_path / "report.json"  # a scenario file named like one of the outputs
    path.write_text("")
    toml = tmp_path / "s.toml"
    toml.write_text('[baseline]\nnetwork = "wudaokou"\n', encoding="utf-8")
    os.replace(toml, tmp_path / "comparison.csv.toml")
    spec = scenario.load(tmp_path / "comparison.csv.toml")
    assert spec.path in scenario.input_paths(spec)
    assert (SAMPLE / "stations.geojson").resolve() in {p.resolve() for p in
                                                       scenario.input_paths(spec)}
    link = tmp_path / "out"
    link.mkdir()
    (link / "map.html").symlink_to(tmp_path / "comparison.csv.toml")
    result = CliRunner().invoke(cli, ["scenario", "run", str(tmp_path / "comparison.csv.toml"),
                                      "--out", str(link), "--force"])
    assert result.exit_code == 2 and "input" in result.output, result.output


def test_errors_are_planner_errors():
    for cls in (ScenarioError, LayerError, InputError):
        assert issubclass(cls, PlannerError)


def test_a_tampered_network_cache_is_detected_and_rebuilt(tmp_path):
    import io
    import warnings

    import numpy as np

    from planner.data import network
    from planner.settings import Settings

    settings = Settings(cache_dir=tmp_path)
    first = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    cache = next((tmp_path / "networks").glob("*.npz"))
    with np.load(cache) as data:  # a valid archive with one street made 10 km long
        arrays = {key: data[key] for key in data.files}
    arrays["seg_length"] = arrays["seg_length"].copy()
    arrays["seg_length"][0] = 10_000.0
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    cache.write_bytes(buffer.getvalue())
    with pytest.warns(RuntimeWarning, match="checksum"):
        again = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    assert np.array_equal(again.seg_length, first.seg_length)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network.from_file(SAMPLE / "network.osm.bz2", settings=settings)  # repaired
