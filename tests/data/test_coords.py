"""Chinese datums against an independent implementation (prcoords) and round trips."""

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.data import coords
from planner.errors import InputError

prcoords = pytest.importorskip("prcoords")

N = 5000


def metres(lon1, lat1, lon2, lat2):
    """Haversine distance in metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.asarray(lon2) - lon1) / 2) ** 2)
    return 2 * 6371008.8 * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def china():
    rng = np.random.default_rng(20261125)
    return rng.uniform(73.7, 134.7, N), rng.uniform(18.2, 53.5, N)


def _reference(func, lon, lat, **kw):
    out = np.array([func((b, a), **kw) for a, b in zip(lon, lat)])  # prcoords takes (lat, lon)
    return out[:, 1], out[:, 0]


def test_forward_matches_prcoords(china):
    lon, lat = china
    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    shift = metres(lon, lat, gx, gy)
    assert 10 < shift.min() and np.median(shift) > 100 and shift.max() < 800  # it moves
    assert metres(gx, gy, *_reference(prcoords.wgs_gcj, lon, lat)).max() < 1e-3
    bx, by = coords.wgs84_to_bd09(lon, lat)
    assert metres(bx, by, *_reference(prcoords.wgs_bd, lon, lat)).max() < 1e-3


def test_inverse_matches_prcoords_precise_inverse(china):
    lon, lat = china
    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    wx, wy = coords.gcj02_to_wgs84(gx, gy)
    assert metres(wx, wy, *_reference(prcoords.gcj_wgs_bored, gx, gy)).max() < 0.05
    bx, by = coords.wgs84_to_bd09(lon, lat)
    wx, wy = coords.bd09_to_wgs84(bx, by)
    assert metres(wx, wy, *_reference(prcoords.bd_wgs_bored, bx, by)).max() < 0.05


@pytest.mark.parametrize("source,target", [("wgs84", "gcj02"), ("wgs84", "bd09"),
                                           ("gcj02", "bd09")])
def test_round_trip_under_a_millimetre(china, source, target):
    lon, lat = china
    x, y = coords.transform(lon, lat, source=source, target=target)
    bx, by = coords.transform(x, y, source=target, target=source)
    assert metres(lon, lat, bx, by).max() < 1e-3
    # the rough one-step inverse is metres off: the iteration is what makes it exact
    if (source, target) == ("wgs84", "gcj02"):
        rough = _reference(prcoords.gcj_wgs, x, y)
        assert metres(lon, lat, *rough).max() > 0.5


def test_points_outside_china_unchanged():
    lon = np.array([8.69, -0.12, 139.7, 116.39, np.nan])
    lat = np.array([49.41, 51.5, 35.7, 39.9, 40.0])
    for func in (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84, coords.wgs84_to_bd09,
                 coords.bd09_to_wgs84):
        x, y = func(lon, lat)
        assert np.array_equal(x[:3], lon[:3]) and np.array_equal(y[:3], lat[:3])
        assert x[3] != lon[3]  # Beijing moves
        assert np.isnan(x[4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert prcoords.wgs_gcj((51.5, -0.12)) == (51.5, -0.12)


def test_geodataframe_round_trip_any_geometry():
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=[shapely.Point(116.32, 40.0),
                  shapely.Polygon([(116.3, 39.99), (116.33, 39.99), (116.33, 40.01)])],
        crs="EPSG:4326")
    gcj = coords.from_wgs84(frame, "gcj02")
    assert gcj.crs.to_epsg() == 4326 and list(gcj["id"]) == ["a", "b"]
    assert frame.geometry[0].x == 116.32  # the input is not modified
    moved = metres(116.32, 40.0, gcj.geometry[0].x, gcj.geometry[0].y)
    assert 300 < moved < 800
    back = coords.to_wgs84(gcj, "gcj02")
    assert shapely.equals_exact(back.geometry.to_numpy(), frame.geometry.to_numpy(),
                                tolerance=1e-9).all()
    projected = coords.from_wgs84(frame.to_crs("EPSG:32650"), "bd09")
    assert projected.crs.to_epsg() == 4326
    assert abs(projected.geometry[0].x - coords.wgs84_to_bd09(116.32, 40.0)[0]) < 1e-7


def test_parse_crs():
    assert coords.parse_crs("GCJ-02") == "gcj02"
    assert coords.parse_crs("baidu") == "bd09"
    assert coords.parse_crs("wgs84") is None and coords.parse_crs(None) is None
    assert coords.parse_crs("EPSG:4326") is None
    assert "4547" in coords.parse_crs("4547")
    with pytest.raises(InputError, match="--input-crs.*gcj02"):
        coords.parse_crs("mars")


# --------------------------------------------------------------------------- reading layers

def test_layers_read_in_chinese_datums_land_on_wgs84(tmp_path, sample_stations):
    from planner.data import layers

    lon = sample_stations.geometry.x.to_numpy()
    lat = sample_stations.geometry.y.to_numpy()
    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    csv = tmp_path / "amap.csv"
    csv.write_text("id,name,lng,lat\n" + "".join(
        f"{i},站{i},{x:.8f},{y:.8f}\n" for i, x, y in zip(sample_stations["id"], gx, gy)),
        encoding="utf-8")
    read = layers.read_stations(csv, input_crs="gcj02")
    assert metres(lon, lat, read.geometry.x, read.geometry.y).max() < 0.01
    as_is = layers.read_stations(csv)  # what happened before: 300-700 m off
    assert metres(lon, lat, as_is.geometry.x, as_is.geometry.y).min() > 100

    bd = coords.from_wgs84(sample_stations, "bd09")
    path = tmp_path / "baidu.geojson"
    bd.to_file(path, driver="GeoJSON")
    read = layers.read_stations(path, input_crs="BD-09")
    assert metres(lon, lat, read.geometry.x, read.geometry.y).max() < 0.01


def test_layers_read_with_an_epsg_code(tmp_path, sample_stations):
    from planner.data import layers
    from planner.errors import LayerError

    utm = sample_stations.to_crs("EPSG:32650")
    csv = tmp_path / "utm.csv"
    csv.write_text("id,x,y\n" + "".join(f"{i},{p.x:.3f},{p.y:.3f}\n"
                                        for i, p in zip(utm["id"], utm.geometry)))
    with pytest.raises(LayerError, match="outside"):
        layers.read_stations(csv)
    read = layers.read_stations(csv, input_crs="EPSG:32650")
    assert metres(sample_stations.geometry.x, sample_stations.geometry.y,
                  read.geometry.x, read.geometry.y).max() < 0.01
    gpkg = tmp_path / "utm.gpkg"
    utm.to_file(gpkg, driver="GPKG")
    with pytest.raises(LayerError, match="projected"):
        layers.read_stations(gpkg, input_crs="gcj02")
    with pytest.raises(InputError, match="not a coordinate system"):
        layers.read_stations(gpkg, input_crs="mars")
