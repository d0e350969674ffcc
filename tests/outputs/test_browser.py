"""Generated maps opened in headless Chromium with the network blocked (as on an offline PC)."""

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


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("maps")
    runner = CliRunner()
    for args in (["coverage", "--map", str(folder / "coverage.html")],
                 ["propose", "--mode", "walk", "-k", "2", "--map", str(folder / "proposal.html")]):
        result = runner.invoke(cli, ["-q", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return folder


LAYER_COUNT_JS = "document.querySelectorAll('.leaflet-control-layers-overlays label').length"
MAP_JS = """() => Object.keys(window).filter(k => k.startsWith('map_')
                 && window[k] instanceof L.Map).length"""


@pytest.mark.parametrize("name, layers", [("coverage.html", 16), ("proposal.html", 12)])
def test_map_works_offline_with_every_layer(open_offline, maps, name, layers):
    opened = open_offline(maps / name)
    page = opened.page
    assert opened.errors == [] and opened.failed == []
    assert all(url.startswith(("file:", "data:")) for url in opened.requested)
    assert page.evaluate(MAP_JS) == 1  # the Leaflet map object exists
    assert page.evaluate(LAYER_COUNT_JS) == layers
    assert page.locator("#planner-legend").is_visible()
    assert page.locator("#planner-summary").is_visible()
    assert "ODbL" in page.inner_text("#planner-legend")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / name.replace(".html", ".png")
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_unticking_a_layer_hides_it(open_offline, maps):
    opened = open_offline(maps / "coverage.html")
    page = opened.page
    markers = "document.querySelectorAll('.leaflet-marker-icon').length"
    assert page.evaluate(markers) == 3  # the three stations
    label = page.locator(".leaflet-control-layers-overlays label", has_text="Stations")
    label.locator("input").uncheck()
    assert page.evaluate(markers) == 0
    label.locator("input").check()
    assert page.evaluate(markers) == 3
    assert opened.errors == []


def test_proposal_map_shows_the_curve_and_proposed_sites(open_offline, maps):
    opened = open_offline(maps / "proposal.html")
    page = opened.page
    assert page.locator("#planner-curve svg polyline").count() == 1
    badges = page.locator(".leaflet-marker-icon", has_text="P1")
    assert badges.count() == 1
    assert opened.errors == []
