"""A Chinese map in headless Chromium with CJK fonts: text present and really drawn.

Screenshots land in maps/screenshots/ (gitignored; CI keeps them as test artefacts).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.apps.cli import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "maps" / "screenshots"

# draws text on a canvas in the page's font and returns the pixels (tofu boxes are the same
# for every missing glyph; real glyphs differ from each other and from a private-use char)
INK_JS = """(text) => { const c = document.createElement('canvas'); c.width = 64; c.height = 32;
  const g = c.getContext('2d'); g.font = '24px sans-serif'; g.fillStyle = '#000';
  g.fillText(text, 2, 26); return c.toDataURL(); }"""


@pytest.fixture(scope="module")
def chinese_map(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zh")
    result = CliRunner().invoke(cli, ["-q", "coverage", "--lang", "zh", "--map",
                                      str(folder / "coverage-zh.html")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "分钟内：覆盖需求的" in result.output  # the console summary is Chinese too
    return folder / "coverage-zh.html"


def test_chinese_legend_summary_and_layers_are_shown_and_drawn(open_offline, chinese_map):
    opened = open_offline(chinese_map)
    page = opened.page
    page.set_viewport_size({"width": 1400, "height": 900})
    legend = page.inner_text("#planner-legend")
    summary = page.inner_text("#planner-summary")
    layers = page.text_content(".leaflet-control-layers-overlays")  # closed sections too
    assert "电动自行车" in layers and "15 分钟内" in layers and "示例街区" in summary
    assert "底图" in layers and "Base map" not in layers
    assert "图例" in legend and "距驿站 15 分钟以内" in legend and "服务空白区" in legend
    assert "15 分钟服务圈" in summary and "个驿站" in summary and "覆盖率" in summary
    assert "街道（OSM 路网）" in layers and "驿站" in layers and "需求点（大小 = 人次）" in layers
    assert "Legend" not in legend and "within" not in summary
    assert page.is_visible("#planner-legend") and page.is_visible("#planner-summary")
    box = page.locator("#planner-legend").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    # the CJK text is drawn with real glyphs (fonts-noto-cjk), not empty boxes
    ink = {text: page.evaluate(INK_JS, text) for text in ("分", "钟", "\ue000")}
    assert ink["分"] != ink["钟"] and ink["分"] != ink["\ue000"]
    assert not opened.errors and not opened.dialogs
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "coverage-zh.png"))
    assert (SCREENSHOTS / "coverage-zh.png").stat().st_size > 20_000


# Words the English interface uses in the legend and panels; none may be left on a Chinese map.
ENGLISH = re.compile(r"\b(?:station|stations|closed|moved|newly|covered|coverage|lose|service|"
                     r"hub|satellite|plan|scenario|scenarios|before|after|weight|places?|"
                     r"within|min|legend|demand|gap|proposed|added|Layers|Map)\b", re.IGNORECASE)
SCENARIO_NAMES = ("基准", "关闭S2", "迁移S3", "新增驿站")  # names from data: allowed as written


# the tooltip and popup texts of every marker and line drawn (the shown layers)
OVERLAYS_JS = """() => { const out = [];
  for (const key of Object.keys(window)) {
    const layer = window[key];
    if (!(layer instanceof L.Layer) || layer instanceof L.Map || !layer._map) continue;
    for (const overlay of [layer.getPopup && layer.getPopup(), layer.getTooltip && layer.getTooltip()]) {
      if (overlay && typeof overlay._content === 'string') {
        const div = document.createElement('div'); div.innerHTML = overlay._content;
        out.push(div.textContent);
      } else if (overlay && overlay._content && overlay._content.textContent) {
        out.push(overlay._content.textContent);
      }
    }
  }
  return out; }"""


def _english_left(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    for name in allowed:
        text = text.replace(name, " ")
    return ENGLISH.findall(text)


@pytest.fixture(scope="module")
def chinese_scenario_map(tmp_path_factory, sample_network):
    from planner.apps import scenario
    from planner.outputs import maps as render
    from planner.outputs.scenario_map import scenario_map

    spec = scenario.parse({
        "title": "五道口调整", "baseline": {"name": SCENARIO_NAMES[0], "network": "wudaokou",
                                       "mode": "walk"},
        "variants": [{"name": SCENARIO_NAMES[1], "close": ["S2"]},
                     {"name": SCENARIO_NAMES[2], "move": {"S3": [116.3150, 40.0075]}},
                     {"name": SCENARIO_NAMES[3], "add": [{"lon": 116.33, "lat": 40.0,
                                                           "name": "清华附中驿站"}]}]})
    run = scenario.run(spec)
    path = tmp_path_factory.mktemp("zh-scenario") / "scenario-zh.html"
    names = tuple(str(n) for n in run.results[0].coverage.stations["name"])
    return render.save_map(scenario_map(run, network=sample_network, lang="zh"), path), names


def test_chinese_scenario_map_has_no_english_in_legend_or_panels(open_offline,
                                                               chinese_scenario_map):
    path, station_names = chinese_scenario_map
    page = open_offline(path).page
    page.set_viewport_size({"width": 1400, "height": 900})
    for name in SCENARIO_NAMES[1:]:  # each variant's closed/moved/added marks and rings
        page.evaluate("title => window.plannerShowOnly(title)", name)
    page.evaluate("title => window.plannerShowOnly(title)", SCENARIO_NAMES[1])
    legend = page.inner_text("#planner-legend")
    summary = page.inner_text("#planner-summary")
    layers = page.text_content(".leaflet-control-layers-overlays")
    assert "关闭的驿站（原位置）" in legend and "失去服务（原先已覆盖）" in legend
    assert "迁移的驿站：原位置，箭头指向新位置" in legend and "建议新增或已添加的驿站" in legend
    assert "情景对比：五道口调整" in summary and "调整前 → 调整后" in summary
    assert "关闭S2（对比 基准）：15 分钟步行覆盖率" in summary and "处失去服务" in summary
    assert "关闭S2：驿站" in layers or "驿站" in layers
    assert "调整前后：" in layers
    assert _english_left(legend, ("OpenStreetMap contributors", "ODbL", "S1", "S2", "S3",
                                  "P1")) == []
    assert _english_left(summary, SCENARIO_NAMES + ("五道口调整",)) == []
    assert _english_left(layers, ("OSM",)) == [], layers
    overlays = page.evaluate(OVERLAYS_JS)
    assert any("本方案中关闭" in t for t in overlays), overlays
    stations = station_names + ("S1", "S2", "S3")  # station names and ids from the data
    assert [t for t in overlays if _english_left(t, stations)] == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scenario-zh.png"))


def test_chinese_hub_map_legend_and_panels(open_offline, tmp_path):
    path = tmp_path / "hub-zh.html"
    result = CliRunner().invoke(cli, [
        "-q", "propose", "--lang", "zh", "--mode", "walk", "--minutes", "10", "--model", "hub",
        "-k", "2", "--hub-minutes", "10", "--candidate-source", "osm:public", "--map",
        str(path), "--report", str(tmp_path / "hub.json")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = open_offline(path).page
    page.set_viewport_size({"width": 1400, "height": 900})
    legend = page.inner_text("#planner-legend")
    summary = page.inner_text("#planner-summary")
    layers = page.text_content(".leaflet-control-layers-overlays")
    assert "枢纽站" in legend and "卫星点" in legend and "方案实施后新覆盖" in legend
    assert "1+2 枢纽方案" in summary and "卫星点距枢纽" in summary
    assert "枢纽方案" in layers and "枢纽站与卫星点" in layers
    assert _english_left(legend, ("OpenStreetMap contributors", "ODbL", "S1", "P1", "H",
                                  "N1")) == []
    assert _english_left(summary, ("wudaokou",)) == [], summary
    assert _english_left(layers, ("OSM", "OpenStreetMap")) == [], layers
    overlays = page.evaluate(OVERLAYS_JS)
    assert any(t.startswith("枢纽站：") for t in overlays), overlays
    assert any(t.startswith("卫星点 #1：") for t in overlays), overlays


def test_chinese_measure_legend(open_offline, tmp_path):
    path = tmp_path / "measures-zh.html"
    result = CliRunner().invoke(cli, ["-q", "coverage", "--lang", "zh", "-m", "walk",
                                      "--measure", "all", "--map", str(path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = open_offline(path).page
    legend = page.inner_text("#planner-measure-legend")
    assert "指标图层" in legend and "备用覆盖" in legend and "公平性分区" in legend
    assert re.findall(r"[A-Za-z]{2,}", legend) == [], legend
    layers = page.text_content(".leaflet-control-layers-overlays")
    assert "备用覆盖：可达驿站数" in layers and "公平性：各区覆盖率" in layers
