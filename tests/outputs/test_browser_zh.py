"""A Chinese map in headless Chromium with CJK fonts: text present and really drawn.

Screenshots land in maps/screenshots/ (gitignored; CI keeps them as test artefacts).
"""

from __future__ import annotations

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
