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
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "maps" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("maps")
    runner = CliRunner()
    for args in (["coverage", "--map", str(folder / "coverage.html")],
                 ["propose", "--mode", "walk", "-k", "2", "--map", str(folder / "proposal.html")]):
        result = runner.invoke(cli, ["-q", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return folder


def open_offline(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors, failed, requested = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("request", lambda r: requested.append(r.url))

    def block(route):
        failed.append(route.request.url)
        route.abort()

    page.route("http://**/*", block)
    page.route("https://**/*", block)
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.leaflet-interactive').length > 0")
    return page, errors, failed, requested


LAYER_COUNT_JS = "document.querySelectorAll('.leaflet-control-layers-overlays label').length"
MAP_JS = """() => Object.keys(window).filter(k => k.startsWith('map_')
                 && window[k] instanceof L.Map).length"""


@pytest.mark.parametrize("name, layers", [("coverage.html", 16), ("proposal.html", 11)])
def test_map_works_offline_with_every_layer(browser, maps, name, layers):
    page, errors, failed, requested = open_offline(browser, maps / name)
    try:
        assert errors == [] and failed == []
        assert all(url.startswith(("file:", "data:")) for url in requested)
        assert page.evaluate(MAP_JS) == 1  # the Leaflet map object exists
        assert page.evaluate(LAYER_COUNT_JS) == layers
        assert page.locator("#planner-legend").is_visible()
        assert page.locator("#planner-summary").is_visible()
        assert "ODbL" in page.inner_text("#planner-legend")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / name.replace(".html", ".png")
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 20_000
    finally:
        page.close()


def test_unticking_a_layer_hides_it(browser, maps):
    page, errors, _, _ = open_offline(browser, maps / "coverage.html")
    try:
        markers = "document.querySelectorAll('.leaflet-marker-icon').length"
        assert page.evaluate(markers) == 3  # the three stations
        label = page.locator(".leaflet-control-layers-overlays label", has_text="Stations")
        label.locator("input").uncheck()
        assert page.evaluate(markers) == 0
        label.locator("input").check()
        assert page.evaluate(markers) == 3
        assert errors == []
    finally:
        page.close()


def test_proposal_map_shows_the_curve_and_proposed_sites(browser, maps):
    page, errors, _, _ = open_offline(browser, maps / "proposal.html")
    try:
        assert page.locator("#planner-curve svg polyline").count() == 1
        badges = page.locator(".leaflet-marker-icon", has_text="P1")
        assert badges.count() == 1
        assert errors == []
    finally:
        page.close()
