"""Beyond MANY_STATIONS stations the unchanged ones are one compact layer of dots: same
tooltip and popup text as the badges, hostile names still inert, and a much smaller page."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from planner.analysis import coverage
from planner.data import layers
from planner.outputs import maps as render
from planner.outputs.station_marks import MANY_STATIONS
from planner.settings import Travel

from test_browser_hostile import PAYLOADS, probe  # noqa: E402  (tests/outputs on sys.path)

DEMAND = Path(__file__).resolve().parents[2] / "layers" / "wudaokou" / "demand.geojson"


def _stations(count: int) -> gpd.GeoDataFrame:
    demand = layers.read_demand(DEMAND)
    rng = np.random.default_rng(7)
    pick = rng.integers(0, len(demand), count)
    x = demand.geometry.x.to_numpy()[pick] + rng.normal(0, 3e-4, count)
    y = demand.geometry.y.to_numpy()[pick] + rng.normal(0, 3e-4, count)
    names = [PAYLOADS[i % len(PAYLOADS)] for i in range(count)]
    return gpd.GeoDataFrame({"id": [f"S{i}" for i in range(count)], "name": names},
                            geometry=shapely.points(x, y), crs="EPSG:4326")


def test_many_stations_are_dots_with_the_same_texts(open_offline, tmp_path, sample_network):
    stations = _stations(MANY_STATIONS + 20)
    demand = layers.read_demand(DEMAND)
    before = coverage.analyze(sample_network, stations, demand, travel=Travel("walk"),
                              per_station_isochrones=False)
    after = coverage.analyze(sample_network, stations[stations["id"] != "S3"], demand,
                             travel=Travel("walk"), per_station_isochrones=False)
    fmap = render.coverage_map([after], baselines=[before], network=sample_network)
    path = render.save_map(fmap, tmp_path / "many.html")
    found = probe(open_offline, path)
    # one badge: the closed station; every other station is a dot
    assert [b.strip() for b in found["badges"]] == ["S3"]
    texts = "\n".join(found["features"])
    for sid, name in zip(stations["id"], stations["name"]):
        if sid != "S3":
            assert f"{sid} {name}" in texts  # the tooltip, exactly as the badge's
            assert f"{name} ({sid})" in texts  # the popup's title
    assert "serves" in texts  # each popup says what the station serves
    assert path.stat().st_size < 1_500_000
    assert "station (many stations: a dot each)" in path.read_text(encoding="utf-8")
