"""Maps on Gaode tiles draw every overlay in GCJ-02; on OSM tiles nothing moves."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely

from planner.analysis import coverage
from planner.data import coords
from planner.outputs import maps as render
from planner.outputs._compact import decode
from planner.outputs._datum import geojson_to
from planner.settings import Travel

MARKER = re.compile(r"L\.marker\(\s*\[\s*([-\d.e]+),\s*([-\d.e]+)\s*\]")
TABLE = re.compile(r"var planner_table_\w+ = (\{.*?\});</script>", flags=re.S)


@pytest.fixture(scope="module")
def result(sample_network, sample_stations, sample_demand):
    return coverage.analyze(sample_network, sample_stations, sample_demand,
                            travel=Travel("walk"))


def station_markers(page: str) -> np.ndarray:
    return np.array([[float(lon), float(lat)] for lat, lon in MARKER.findall(page)])


def expected_stations(result, datum):
    frame = result.stations if datum is None else coords.from_wgs84(result.stations, datum)
    return np.column_stack([frame.geometry.x, frame.geometry.y])


def demand_points(page: str) -> np.ndarray:
    for blob in TABLE.findall(page):  # the demand places, shared by the modes' layers
        features = decode(json.loads(blob))
        if features and "weight" in features[0]["properties"]:
            return np.array([f["geometry"]["coordinates"] for f in features])
    raise AssertionError("no demand layer in the page")


@pytest.mark.parametrize("tiles, datum", [(("gaode",), "gcj02"), (("osm",), None),
                                          (("osm", "gaode"), None), (("gaode", "osm"), "gcj02")])
def test_station_markers_follow_the_primary_tiles(result, sample_network, tiles, datum):
    fmap = render.coverage_map([result], network=sample_network, tiles=tiles)
    page = fmap.get_root().render()
    found = station_markers(page)
    want = expected_stations(result, datum)
    assert found.shape == want.shape == (len(result.stations), 2)
    np.testing.assert_allclose(found, want, atol=1e-9, rtol=0)
    if datum:  # the shift is real (hundreds of metres), so the check above can fail
        shift = np.abs(want - expected_stations(result, None)).max()
        assert shift > 1e-3
        assert "GCJ-02" in page and "shifted" not in page.split("L.tileLayer")[1][:400]
    # the demand GeoJSON moved the same way (to its 1e-5 degree rounding)
    demand = result.demand if datum is None else coords.from_wgs84(result.demand, datum)
    place = shapely.get_coordinates(demand.geometry.to_numpy())
    points = demand_points(page)
    assert len(points) == len(place)
    assert np.abs(np.sort(points, axis=0) - np.sort(place, axis=0)).max() < 2e-5


def test_rendering_twice_moves_nothing_twice(result):
    fmap = render.coverage_map([result], tiles=("gaode",))
    first = station_markers(fmap.get_root().render())
    second = station_markers(fmap.get_root().render())
    np.testing.assert_array_equal(first, second)


def test_the_legend_says_which_datum_and_which_tiles_are_shifted(result):
    gaode = render.coverage_map([result], tiles=("gaode", "osm")).get_root().render()
    assert "Overlays drawn in GCJ-02 to match the Gaode tiles" in gaode
    assert "OpenStreetMap tiles (online) (overlays not aligned" in gaode
    osm = render.coverage_map([result], tiles=("osm", "gaode")).get_root().render()
    assert "Overlays drawn in GCJ-02" not in osm
    assert "Gaode/AutoNavi tiles (online, GCJ-02) (overlays not aligned" in osm


def test_geojson_every_geometry_type_and_holes():
    ring = [[116.30, 40.0], [116.31, 40.0], [116.31, 40.01], [116.30, 40.0]]
    hole = [[116.305, 40.002], [116.306, 40.002], [116.306, 40.003], [116.305, 40.002]]
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": 1},
         "geometry": {"type": "MultiPolygon", "coordinates": [[ring, hole], [ring]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "GeometryCollection",
         "geometries": [{"type": "Point", "coordinates": [2.35, 48.85]},
                        {"type": "LineString", "coordinates": ring}]}},
        {"type": "Feature", "properties": {}, "geometry": None}]}
    moved = geojson_to(data, "gcj02")
    assert data["features"][0]["geometry"]["coordinates"][0][1] == hole  # input unchanged
    got = np.array(moved["features"][0]["geometry"]["coordinates"][0][1])
    lon, lat = coords.transform(np.array(hole)[:, 0], np.array(hole)[:, 1],
                                source="wgs84", target="gcj02")
    np.testing.assert_allclose(got, np.column_stack([lon, lat]), atol=1e-6)
    paris = moved["features"][1]["geometry"]["geometries"][0]["coordinates"]
    assert paris == [2.35, 48.85]  # outside China: left as it is, as the datum does
    assert moved["features"][2]["geometry"] is None
    assert moved["features"][0]["properties"] == {"n": 1}
