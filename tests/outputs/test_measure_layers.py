"""The measure layers in a real browser: they draw, the Lorenz curve shows, nothing errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from planner.apps.cli import cli
from planner.outputs import measure_layers

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_lorenz_svg_maps_points_into_the_box():
    svg = measure_layers.lorenz_svg([[0, 0], [0.5, 0.2], [1, 1]], size=100)
    assert svg.startswith("<svg") and 'points="18.0,82.0 50.0,69.2 82.0,18.0"' in svg
    assert measure_layers.lorenz_svg([[0, 0]]) == ""


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_measure_layers_draw_offline(open_offline, tmp_path):
    path = tmp_path / "m.html"
    result = CliRunner().invoke(cli, ["-q", "coverage", "-m", "walk", "--measure", "all",
                                      "--map", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    opened = open_offline(path)
    page = opened.page
    page.evaluate("document.querySelectorAll('#planner-layers details')"
                  ".forEach(d => { d.open = true; })")  # sections start collapsed
    for name in ("backup", "capacity", "gravity", "equity"):
        before = page.screenshot()
        label = page.locator(".leaflet-control-layers label", has_text=name).first
        label.locator("input").check()
        page.wait_for_timeout(200)
        assert label.locator("input").is_checked()
        assert page.screenshot() != before, f"ticking {name} drew nothing"
    assert page.locator("#planner-lorenz polyline").is_visible()
    assert page.locator("#planner-measure-legend").is_visible()
    assert not opened.errors and not opened.failed
