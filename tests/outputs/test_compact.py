"""Compact map layers: what the page decodes equals the frame (geopandas' own GeoJSON, to
1e-5 degrees), in Python and in Chromium; the places are written once for both modes."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.analysis import coverage
from planner.outputs import maps as render
from planner.outputs._base import COVERED, UNCOVERED
from planner.outputs.panels import OFF_NETWORK
from planner.outputs._compact import (CompactGeoJson, decode, encode_columns,
                                      encode_geometry, pack_deltas, unpack_deltas)
from planner.settings import Travel

TABLE = re.compile(r"var (planner_table_\w+) = (\{.*?\});</script>", flags=re.S)


def _frame() -> gpd.GeoDataFrame:
    poly = shapely.Polygon([(116.3, 40.0), (116.31, 40.0), (116.31, 40.01), (116.3, 40.0)],
                           [[(116.303, 40.001), (116.305, 40.001), (116.305, 40.003),
                             (116.303, 40.001)]])
    multi = shapely.MultiPolygon([poly, shapely.box(-73.99, -40.71, -73.98, -40.70)])
    return gpd.GeoDataFrame({
        "name": ["a", "b </script>", "a", "a"], "minutes": [5.0, np.nan, np.inf, 2.5],
        "n": [1, 2, 3, 4], "ok": [True, False, True, True], "same": ["x"] * 4,
    }, geometry=[poly, None, multi, shapely.Polygon()], crs="EPSG:4326")


def _rounded(value):
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return round(value, 5)


def test_decoded_layer_equals_geopandas():
    frame = _frame()
    layer = CompactGeoJson(frame.geometry.to_numpy(),
                           {c: frame[c].to_numpy() for c in frame.columns if c != "geometry"})
    got = decode(json.loads(layer.data_js()))
    want = json.loads(frame.to_json(na="null"))["features"]
    assert len(got) == len(want) == 4
    for mine, theirs in zip(got, want):
        geom = theirs["geometry"]
        if geom is None or not geom["coordinates"]:
            assert mine["geometry"] is None  # missing and empty: not drawn
            continue
        # a Polygon among MultiPolygons is written as a MultiPolygon of one (drawn the same)
        assert mine["geometry"]["type"].removeprefix("Multi") == \
            geom["type"].removeprefix("Multi")
        np.testing.assert_allclose(np.concatenate([np.ravel(x) for x in _flat(
            mine["geometry"]["coordinates"])]), np.concatenate([np.ravel(x) for x in _flat(
                _rounded(geom["coordinates"]))]), atol=1e-9)
    assert [f["properties"]["name"] for f in got] == list(frame["name"])
    assert [f["properties"]["minutes"] for f in got] == [5.0, None, None, 2.5]
    assert [f["properties"]["ok"] for f in got] == [True, False, True, True]
    assert {f["properties"]["same"] for f in got} == {"x"}
    assert "</script>" not in layer.data_js()  # escaped as \u003c/script>


def _flat(coords):
    """Every position of a nested coordinate list, in order."""
    if coords and isinstance(coords[0], (int, float)):
        return [coords]
    return [p for c in coords for p in _flat(c)]


def test_mixed_families_and_points():
    points = encode_geometry(np.array([shapely.Point(1, 2), None, shapely.Point(3.123456, 4)]))
    assert points["kind"] == "Point" and list(points["has"]) == [0, 2]
    mixed = encode_geometry(np.array([shapely.Point(1, 2), shapely.box(0, 0, 1, 1)]))
    assert mixed["kind"] == "list" and mixed["geoms"][1]["type"] == "Polygon"
    got = decode({"n": 3, "geo": points, "props": {}})
    assert got[1]["geometry"] is None and got[2]["geometry"]["coordinates"] == [3.12346, 4.0]


def test_varints_round_trip_any_step():
    rng = np.random.default_rng(5)
    for scale in (1, 63, 64, 8191, 8192, 10**5, 10**9, 2**40):
        values = rng.integers(-scale, scale, 501 * 2).astype(np.int64)
        np.testing.assert_array_equal(unpack_deltas(pack_deltas(values)), values)
    assert unpack_deltas(pack_deltas(np.zeros(0, dtype=np.int64))).size == 0


def test_texts_are_dictionary_encoded_only_when_repeated():
    columns = encode_columns({"kind": np.array(["cafe", "shop"] * 50, dtype=object),
                              "name": np.array([f"P{i}" for i in range(100)], dtype=object)},
                             100)
    assert columns["kind"]["v"] == ["cafe", "shop"] and len(columns["kind"]["c"]) == 100
    assert columns["name"][:2] == ["P0", "P1"]


@pytest.fixture(scope="module")
def two_modes(sample_network, sample_stations, sample_demand):
    return [coverage.analyze(sample_network, sample_stations, sample_demand,
                             travel=Travel(mode), per_station_isochrones=False)
            for mode in ("ebike", "walk")]


def test_places_are_written_once_for_both_modes(two_modes, sample_network):
    page = render.coverage_map(two_modes, network=sample_network).get_root().render()
    tables = TABLE.findall(page)
    assert len(tables) == 1  # the same places for both modes: one table
    name, blob = tables[0]
    assert page.count(", " + name + ")") == 2  # each mode's layer reads it
    places = decode(json.loads(blob))
    assert len(places) == len(two_modes[0].demand)


PAGE_JS = """() => {
  const out = [];
  for (const key of Object.keys(window)) {
    const layer = window[key];
    if (!(layer instanceof L.GeoJSON)) continue;
    if (layer.plannerFill) layer.plannerFill();  // hidden layers are built when shown
    const features = [];
    layer.eachLayer(sub => features.push({
      p: sub.feature.properties,
      c: sub.getLatLng ? [sub.getLatLng().lng, sub.getLatLng().lat] : null,
      color: sub.options.fillColor}));
    out.push(features);
  }
  return out;
}"""


@pytest.mark.browser
def test_page_decodes_what_python_decodes(open_offline, two_modes, sample_network, tmp_path):
    """Chromium's decoder (JS) and the Python reference agree on every demand place and
    its per-mode properties; each mode colours by its own covered rule."""
    path = render.save_map(render.coverage_map(two_modes, network=sample_network),
                           tmp_path / "two.html")
    layers = open_offline(path).page.evaluate(PAGE_JS)
    demand = [f for f in layers if f and "station" in f[0]["p"]]
    # the shown mode's demand layer is on the map; tick the other to check it too
    assert demand, "no demand layer drawn"
    places = decode(json.loads(TABLE.findall(path.read_text(encoding="utf-8"))[0][1]))
    want = np.array([f["geometry"]["coordinates"] for f in places])
    for features in demand:
        got = np.array([f["c"] for f in features])
        np.testing.assert_allclose(got, want, atol=1e-9)
        assert [f["p"]["place"] for f in features] == [p["properties"]["place"]
                                                       for p in places]
        at = [f["p"]["at"] for f in features]
        assert at[0] == (f"{abs(want[0, 1]):.5f} {'N' if want[0, 1] >= 0 else 'S'}, "
                         f"{abs(want[0, 0]):.5f} {'E' if want[0, 0] >= 0 else 'W'}")
    # colours per mode: the covered rule of that mode (the same rule as the report)
    expected = []
    for result in two_modes:
        covered = result.demand[f"covered_{result.threshold:g}"].to_numpy(bool)
        off = ~result.demand["on_network"].to_numpy(bool)
        expected.append([OFF_NETWORK if o else COVERED if c else UNCOVERED
                         for c, o in zip(covered, off)])
    assert expected[0] != expected[1]  # the modes differ, so the check below can fail
    assert sorted([f["color"] for f in features] for features in demand) == sorted(expected)
