"""Fixtures for the map tests: headless Chromium with every http(s) request aborted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page opened from a file with the network blocked; records errors and dialogs."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.requested: list[str] = []
        self.dialogs: list[str] = []
        page = self.page
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("request", lambda r: self.requested.append(r.url))
        page.on("dialog", self._dialog)
        page.route("http://**/*", self._block)
        page.route("https://**/*", self._block)
        page.goto(Path(path).as_uri())
        page.wait_for_function("document.querySelectorAll('.leaflet-interactive').length > 0")

    def _block(self, route):
        self.failed.append(route.request.url)
        route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def open_offline(browser):
    """Open a map file offline; the page is closed after the test."""
    pages: list[OfflinePage] = []

    def opener(path: Path) -> OfflinePage:
        pages.append(OfflinePage(browser, path))
        return pages[-1]

    yield opener
    for page in pages:
        page.close()
