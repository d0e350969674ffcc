"""Layers: every format and CRS in, one clear error per kind of bad input."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.data import layers
from planner.errors import LayerError
from planner.settings import Travel



def test_sample_layers_have_the_standard_columns(sample_stations, sample_demand,
                                                  sample_candidates):
    for frame in (sample_stations, sample_demand, sample_candidates):
        assert {"id", "name", "weight", "kind"} <= set(frame.columns)
        assert frame.crs.to_epsg() == 4326
        assert frame["id"].is_unique
        assert (frame.geometry.geom_type == "Point").all()
    assert sample_demand["weight"].gt(0).all()
    assert sample_demand["weight"].nunique() > 1  # weighted pick-up and drop-off points


def test_csv_geojson_and_gpkg_in_any_crs_read_the_same(tmp_path, sample_stations):
    csv = tmp_path / "stations.csv"
    frame = sample_stations.assign(lon=sample_stations.geometry.x, lat=sample_stations.geometry.y)
    frame[["id", "name", "lon", "lat"]].to_csv(csv, index=False)
    gpkg = tmp_path / "stations.gpkg"
    sample_stations[["id", "name", "geometry"]].to_crs("EPSG:3857").to_file(gpkg)
    from_csv = layers.read_stations(csv)
    from_gpkg = layers.read_stations(gpkg)
    for other in (from_csv, from_gpkg):
        assert other["id"].tolist() == sample_stations["id"].tolist()
        assert np.allclose(shapely.get_coordinates(other.geometry.to_numpy()),
                           shapely.get_coordinates(sample_stations.geometry.to_numpy()),
                           atol=1e-7)


def test_csv_without_ids_gets_numbered_ids_and_unit_weights(tmp_path):
    path = tmp_path / "demand.csv"
    path.write_text("Longitude,Latitude,name\n116.32,40.0,a\n116.33,40.001,b\n",
                    encoding="utf-8")
    demand = layers.read_demand(path)
    assert demand["id"].tolist() == ["D1", "D2"]
    assert demand["weight"].tolist() == [1.0, 1.0]


def _geojson(tmp_path, features, name="layer.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def _point(lon, lat, **props):
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


@pytest.mark.parametrize("case, message", [
    ("missing", "does not exist"),
    ("empty_file", "empty"),
    ("bad_json", "not valid JSON"),
    ("not_collection", "FeatureCollection"),
    ("no_features", "no features"),
    ("polygon", "not points"),
    ("null_geometry", "no geometry"),
    ("duplicate_ids", "duplicate ids"),
    ("zero_weight", "weights must be positive"),
    ("text_weight", "non-numeric"),
    ("csv_no_lonlat", "longitude and latitude columns"),
    ("csv_bad_number", "row 3"),
    ("csv_swapped", "swapped"),
    ("csv_header_only", "no rows"),
    ("unknown_suffix", "cannot read .xlsx"),
    ("gpkg_without_crs", "no coordinate reference system"),
])
def test_bad_layers_fail_with_a_message_naming_the_file(tmp_path, case, message):
    path = tmp_path / "layer.geojson"
    if case == "empty_file":
        path.write_bytes(b"")
    elif case == "bad_json":
        path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    elif case == "not_collection":
        path.write_text("[1, 2, 3]", encoding="utf-8")
    elif case == "no_features":
        path = _geojson(tmp_path, [])
    elif case == "polygon":
        path = _geojson(tmp_path, [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[116.3, 40], [116.31, 40], [116.31, 40.01],
                                                [116.3, 40]]]}}])
    elif case == "null_geometry":
        path = _geojson(tmp_path, [_point(116.3, 40), {"type": "Feature", "properties": {},
                                                       "geometry": None}])
    elif case == "duplicate_ids":
        path = _geojson(tmp_path, [_point(116.3, 40, id="A"), _point(116.31, 40, id="A")])
    elif case == "zero_weight":
        path = _geojson(tmp_path, [_point(116.3, 40, weight=0)])
    elif case == "text_weight":
        path = _geojson(tmp_path, [_point(116.3, 40, weight="many")])
    elif case.startswith("csv"):
        path = tmp_path / "layer.csv"
        path.write_text({
            "csv_no_lonlat": "name,address\na,b\n",
            "csv_bad_number": "lon,lat\n116.3,40\n116.3,forty\n",
            "csv_swapped": "lon,lat\n40.0,116.3\n",
            "csv_header_only": "lon,lat\n",
        }[case], encoding="utf-8")
    elif case == "unknown_suffix":
        path = tmp_path / "layer.xlsx"
        path.write_bytes(b"PK\x03\x04")
    elif case == "gpkg_without_crs":
        path = tmp_path / "layer.gpkg"
        gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(116.3, 40)]).to_file(path)
    with pytest.raises(LayerError, match=message) as info:
        layers.read_demand(path)
    assert str(path) in str(info.value)


def test_points_far_outside_the_network_are_refused(sample_network):
    street = sample_network.graph(Travel("walk"))
    swapped = layers.points_from_lonlat([(40.0, 116.3 - 100)])  # lat/lon swapped and bent
    with pytest.raises(LayerError, match="swapped"):
        layers.check_area(swapped, street, role="stations")


def test_off_network_points_are_reported_not_snapped(sample_network):
    street = sample_network.graph(Travel("walk", max_snap_m=50))
    w, s, e, n = sample_network.bounds_lonlat
    far = layers.points_from_lonlat([(e + 0.01, n + 0.01), (116.3265, 39.9925)])
    snapped = layers.snap(far, street)
    assert snapped.on_network.tolist() == [False, True]


def test_edit_stations_adds_moves_and_closes(sample_stations):
    edited = layers.edit_stations(sample_stations, add=[(116.315, 40.005)], close=["S2"],
                                  move={"S1": (116.327, 39.993)})
    assert edited["id"].tolist() == ["S1", "S3", "N1"]
    assert np.isclose(edited.geometry.iloc[0].x, 116.327)
    with pytest.raises(LayerError, match="no such id"):
        layers.edit_stations(sample_stations, close=["S9"])
    with pytest.raises(LayerError, match="keep at least one"):
        layers.edit_stations(sample_stations, close=["S1", "S2", "S3"])
