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
