"""The console in Chinese: scenario and batch tables, measure and per-service lines, batch maps
in each district's language, and a bug reported in one line without a traceback."""

from __future__ import annotations

import json

import pytest
from rich.cells import cell_len

from planner import i18n
from planner.apps import _tables
from planner.apps import batch as batch_stage
from planner.apps.cli.scenario import comparison_text


def test_table_headers_and_cells_in_chinese_fit_100_columns():
    import pandas as pd

    frame = pd.DataFrame({"scenario": ["今天", "晚高峰，S2 关闭并新增两处驿站"],
                          "mode": ["ebike", "walk"], "covered_15min_%": [93.2, None],
                          "median_min": [3.08, 9.35], "gap_weight": [0, 55.5]})
    with i18n.language("zh"):
        text = _tables.render_transposed(frame, key="scenario", title="什么如果", max_width=60)
        assert "15分钟覆盖%" in text and "中位数(分)" in text
        assert "无" in text  # the missing figure
        assert max(cell_len(line) for line in text.splitlines()) <= 60
        wide = _tables.render(pd.concat([frame] * 3), max_width=100)
        assert max(cell_len(line) for line in wide.splitlines()) <= 100
    assert "covered 15 min (%)" in _tables.render_transposed(frame, key="scenario")


def test_scenario_comparison_in_chinese(run, tmp_path):
    from planner.apps import scenario

    spec = scenario.parse({"title": "五道口", "baseline": {"name": "今天", "network": "wudaokou",
                                                          "mode": "walk", "minutes": [10, 15]},
                           "variants": [{"name": "关闭 S2", "close": ["S2"]}]})
    result = scenario.run(spec)
    with i18n.language("zh"):
        text = comparison_text(result.title, result.comparison())
    assert "步行" in text and "较基准(百分点)" in text and "mode" not in text
    assert max(cell_len(line) for line in text.splitlines()) <= 100


def test_measure_and_service_lines_in_chinese(run, monkeypatch):
    monkeypatch.setenv("PLANNER_LANG", "zh")
    result = run("-q", "coverage", "-m", "walk", "--measure", "all", "--by-service",
                 "--no-per-station", "--map", "c.html")
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("备用覆盖：", "容量（E2SFCA", "引力可达性（", "公平性：基尼系数", "各项服务，步行",
                 "任一服务覆盖需求的", "  换电："):
        assert text in out, text
    for english in ("backup:", "riders per seat", "per service", "for any", "area cell"):
        assert english not in out, english
    assert max(cell_len(line) for line in out.splitlines()) <= 100


@pytest.mark.parametrize("lang, expect, absent", [(None, "分钟覆盖", "-minute coverage"),
                                                  ("en", "-minute coverage", "分钟覆盖")])
def test_batch_district_maps_in_the_district_language(tmp_path, monkeypatch, lang, expect,
                                                      absent):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    district = {"name": "wudaokou", "network": "wudaokou", "mode": "walk", "minutes": [15]}
    if lang:
        district["lang"] = lang
    spec = batch_stage.parse({"districts": [district]})
    row = batch_stage.run_district(spec.districts[0], tmp_path)
    assert row["status"] == "ok" and row["lang"] == (lang or "zh")
    page = (tmp_path / "wudaokou" / "coverage.html").read_text(encoding="utf-8")
    assert expect in page and absent not in page
    done = json.loads((tmp_path / "wudaokou" / "done.json").read_text(encoding="utf-8"))
    assert done["row"]["lang"] == row["lang"]


def test_batch_lang_is_checked():
    from planner.errors import ScenarioError

    with pytest.raises(ScenarioError, match="lang"):
        batch_stage.parse({"districts": [{"name": "a", "network": "wudaokou", "lang": "fr"}]})


def test_a_bug_is_one_line_and_exit_70_without_traceback(run, monkeypatch):
    from planner.apps.cli import coverage

    def broken(results):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(coverage, "print_coverage", broken)
    from click.testing import CliRunner

    from planner.apps.cli import cli

    result = CliRunner().invoke(cli, ["-q", "coverage", "--no-per-station"])
    assert result.exit_code == 70
    assert "Internal error (ZeroDivisionError: boom)" in result.stderr
    assert "--debug" in result.stderr and "Traceback" not in result.stderr + result.stdout
    with pytest.raises(ZeroDivisionError):
        CliRunner().invoke(cli, ["--debug", "-q", "coverage", "--no-per-station"],
                           catch_exceptions=False)
