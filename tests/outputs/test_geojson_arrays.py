"""Map GeoJSON from arrays equals geopandas' output; street cache; demand cells; reports."""

from __future__ import annotations

import csv
import io
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.analysis import coverage
from planner.outputs import _demand_cells, _geojson, maps, reports
from planner.settings import Travel


def _rounded(mapping, digits=5):
    """geopandas' mapping with coordinates rounded as ours are."""
    def walk(value):
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return round(value, digits) if isinstance(value, float) else value
    for feature in mapping["features"]:
        feature.pop("id", None)
        feature.pop("bbox", None)
        geom = feature["geometry"]
        if geom is not None:
            geom["coordinates"] = walk(geom["coordinates"])
    return mapping


def test_geometry_dicts_equal_geopandas():
    # the geometry writer of the compact map layers; their properties (NaN -> null, booleans)
    # are checked against geopandas in test_compact.py
    poly = shapely.Polygon([(116.3, 40.0), (116.31, 40.0), (116.31, 40.01), (116.3, 40.0)],
                           [[(116.303, 40.001), (116.305, 40.001), (116.305, 40.003),
                             (116.303, 40.001)]])
    multi = shapely.MultiPolygon([poly, shapely.box(116.4, 40.1, 116.41, 40.11)])
    frame = gpd.GeoDataFrame({"name": ["a", "b <c>"]}, geometry=[poly, multi], crs="EPSG:4326")
    ours = _geojson.geometry_dicts(frame.geometry.to_numpy())
    theirs = _rounded(json.loads(frame.to_json(drop_id=True)))
    assert ours[1] == theirs["features"][1]["geometry"]
    # a single Polygon is written as a one-part MultiPolygon when mixed with multis
    assert ours[0]["coordinates"][0] == theirs["features"][0]["geometry"]["coordinates"]
    points = shapely.points([[1.123456, 2.0], [3.0, 4.0]])
    assert _geojson.geometry_dicts(points)[0] == {"type": "Point", "coordinates": [1.12346, 2.0]}
    assert _geojson.geometry_dicts(np.array([None, shapely.Polygon()], dtype=object)) == \
        [None, None]


def _loop_for_display(geoms, tolerance_deg, outline):
    out = []
    min_hole = (10 * tolerance_deg) ** 2
    for geom, outline_only in zip(geoms, outline):
        parts = []
        for poly in shapely.get_parts(geom):
            if poly.is_empty:
                continue
            holes = [] if outline_only else [r for r in poly.interiors
                                             if shapely.Polygon(r).area >= min_hole]
            parts.append(shapely.Polygon(poly.exterior, holes))
        merged = shapely.MultiPolygon(parts) if len(parts) != 1 else parts[0] if parts else geom
        out.append(shapely.simplify(merged, tolerance_deg, preserve_topology=False)
                   if tolerance_deg > 0 else merged)
    return out


def test_display_polygons_equal_the_loop(sample_network, sample_stations, sample_demand):
    result = coverage.analyze(sample_network, sample_stations, sample_demand,
                              travel=Travel("walk"))
    geoms = np.append(result.isochrones.geometry.to_numpy(), shapely.Polygon())
    outline = np.append((result.isochrones["station_id"] != "all").to_numpy(), False)
    ours = _geojson.display_polygons(geoms, 2e-5, outline=outline)
    for mine, theirs in zip(ours, _loop_for_display(geoms, 2e-5, outline)):
        assert shapely.equals(mine, theirs) or (mine.is_empty and theirs.is_empty)


def test_display_polygons_are_cached_by_content(sample_network, sample_stations,
                                                sample_demand, tmp_path, monkeypatch):
    result = coverage.analyze(sample_network, sample_stations, sample_demand,
                              travel=Travel("walk"))
    geoms = np.append(result.isochrones.geometry.to_numpy(), [shapely.Polygon(), None])
    outline = np.append((result.isochrones["station_id"] != "all").to_numpy(), [False, False])
    want = _geojson.display_polygons(geoms, 2e-5, outline=outline)
    first = _geojson.cached_display_polygons(geoms, 2e-5, outline=outline, cache_dir=tmp_path)
    files = list((tmp_path / "map-display").glob("*.npz"))
    assert len(files) == 1
    monkeypatch.setattr(_geojson, "display_polygons", lambda *a, **k: pytest.fail("again"))
    again = _geojson.cached_display_polygons(geoms, 2e-5, outline=outline, cache_dir=tmp_path)
    for a, b, c in zip(want, first, again):
        assert (a is None and b is None and c is None) or (
            shapely.equals_exact(a, b, 0) and shapely.equals_exact(a, c, 0))
    monkeypatch.undo()
    other = _geojson.cached_display_polygons(geoms, 4e-5, outline=outline, cache_dir=tmp_path)
    assert len(list((tmp_path / "map-display").glob("*.npz"))) == 2  # keyed by tolerance
    assert shapely.get_num_coordinates(other).sum() <= shapely.get_num_coordinates(want).sum()
    files[0].write_bytes(b"damaged")
    redrawn = _geojson.cached_display_polygons(geoms, 2e-5, outline=outline,
                                               cache_dir=tmp_path)
    assert all(a is None or shapely.equals_exact(a, b, 0) for a, b in zip(want, redrawn))


def test_street_lines_are_cached_and_checked(sample_network, tmp_path, monkeypatch):
    first = _geojson.street_lines(sample_network, tolerance_m=3, cache_dir=tmp_path)
    files = list((tmp_path / "map-streets").glob("*.npz"))
    assert len(files) == 1
    monkeypatch.setattr(_geojson, "_merge_streets", lambda *a: pytest.fail("merged again"))
    again = _geojson.street_lines(sample_network, tolerance_m=3, cache_dir=tmp_path)
    assert shapely.equals(shapely.union_all(first.to_numpy()),
                          shapely.union_all(again.to_numpy()))
    monkeypatch.undo()
    data = dict(np.load(files[0]))
    data["coords"] = data["coords"] + 1e-3
    with files[0].open("wb") as handle:
        np.savez(handle, **data)
    with pytest.warns(RuntimeWarning, match="checksum"):
        redrawn = _geojson.street_lines(sample_network, tolerance_m=3, cache_dir=tmp_path)
    assert len(redrawn) == len(first)
    length = sum(shapely.length(first.to_crs(sample_network.crs).to_numpy()))
    assert length == pytest.approx(sample_network.seg_length.sum(), rel=0.02)


def test_many_places_are_drawn_as_cells_with_the_covered_rule(sample_network, sample_stations,
                                                             sample_demand, monkeypatch):
    result = coverage.analyze(sample_network, sample_stations, sample_demand,
                              travel=Travel("walk"), per_station_isochrones=False)
    monkeypatch.setattr("planner.outputs.coverage_layers.CELLS_ABOVE", 10)
    page = maps.coverage_map([result]).get_root().render()
    assert "reached_pct" in page and "zoomend overlayadd" in page
    # the legend and the layer name describe cells, not one dot per place
    assert "demand cell: share of its weight reached in time" in page
    assert "demand cells (share of weight reached)" in page
    assert "demand reached in time (size = weight)" not in page
    cells = _demand_cells._cells_frame(result, 300.0)
    assert cells["places"].sum() == len(result.demand)
    weight = result.demand["weight"].to_numpy()
    reached = coverage.is_covered(result.demand["seconds_to_nearest"], result.threshold)
    assert (cells["weight"] * cells["reached_pct"] / 100).sum() == pytest.approx(
        weight[reached].sum(), rel=0.01)


def test_report_keeps_summaries_and_the_places_go_beside_it(sample_network, sample_stations,
                                                            sample_demand, tmp_path):
    demand = sample_demand.copy()
    demand.loc[demand.index[0], "name"] = "=HYPERLINK(\"x\")"
    result = coverage.analyze(sample_network, sample_stations, demand, travel=Travel("walk"),
                              per_station_isochrones=False)
    fmap = maps.coverage_map([result])
    written = reports.write_coverage_outputs([result], fmap, map_path=tmp_path / "m.html",
                                             report_path=tmp_path / "m.json")
    report = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["results"][0]
    assert "demand" not in report and report["stations"]
    assert all("place_ids" not in gap for gap in report["gaps"])
    assert tmp_path / report["places_file"] in written
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / report["places_file"]).read_text(encoding="utf-8"))))
    assert len(rows) == len(result.demand)
    assert rows[0]["name"].startswith("'=")
    in_gaps = {r["id"] for r in rows if r["gap_id"]}
    expected = {i for ids in result.gaps["place_ids"] for i in str(ids).split(",") if i}
    assert in_gaps == expected
