"""Shared fixtures: an isolated cache, the bundled sample, and small generated networks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings as hypothesis_settings

import planner
from planner.data import network as network_stage
from planner.settings import Settings

#: headless Chromium fixtures for the map tests (browser, open_offline)
pytest_plugins = ["browser_support"]

# CI runs the same examples every time (a failure there is reproducible here with CI=true);
# local runs explore new random examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "layers" / "wudaokou"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Every test run uses its own cache folder, never the user's."""
    folder = tmp_path_factory.mktemp("planner-cache")
    old = os.environ.get("PLANNER_CACHE_DIR")
    os.environ["PLANNER_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("PLANNER_CACHE_DIR", None)
    else:
        os.environ["PLANNER_CACHE_DIR"] = old


@pytest.fixture(autouse=True, scope="session")
def _english_by_default():
    """Tests read English unless they ask for a language (the bundled samples are in China,
    so the CLI would otherwise default to Chinese): ``PLANNER_LANG=en``."""
    old = os.environ.get("PLANNER_LANG")
    os.environ["PLANNER_LANG"] = "en"
    yield
    if old is None:
        os.environ.pop("PLANNER_LANG", None)
    else:
        os.environ["PLANNER_LANG"] = old


@pytest.fixture(scope="session")
def sample_network():
    return planner.load_network("wudaokou")


@pytest.fixture(scope="session")
def sample_stations():
    return planner.read_stations(SAMPLE / "stations.geojson")


@pytest.fixture(scope="session")
def sample_demand():
    return planner.read_demand(SAMPLE / "demand.geojson")


@pytest.fixture(scope="session")
def sample_candidates():
    return planner.read_candidates(SAMPLE / "candidates.geojson")


def grid_network(rows: int = 6, cols: int = 6, spacing: float = 100.0, *, oneway=None,
                 origin=(440_000.0, 4_428_000.0), name: str = "grid"):
    """A rows x cols street grid in UTM zone 50N (Beijing), ``spacing`` metres apart."""
    ys, xs = np.divmod(np.arange(rows * cols), cols)
    x = origin[0] + xs * spacing
    y = origin[1] + ys * spacing
    index = np.arange(rows * cols).reshape(rows, cols)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    return network_stage.from_segments(x, y, u, v, oneway=oneway, name=name)


def lonlat_of(net, x, y):
    from pyproj import Transformer

    return Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(x, y)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache")


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI in a fresh working folder: ``run("-q", "coverage", ...)``."""
    from click.testing import CliRunner

    from planner.apps.cli import cli

    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke
