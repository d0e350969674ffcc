"""Chinese map datums: WGS-84 <-> GCJ-02 (Amap/Gaode, Tencent) <-> BD-09 (Baidu).

GCJ-02 is WGS-84 plus a published, deterministic offset (100-700 m) applied inside China;
BD-09 is a further rotation/offset of GCJ-02 used by Baidu. The forward formulas are the
published ones (as in eviltransform, coordtransform, prcoords); the inverses are solved by
fixed-point iteration until the forward transform reproduces the input to < 1e-10 degrees
(about 0.01 mm), so a round trip is exact far below street-snapping accuracy.

Points outside China's bounding box (lon 72.004-137.8347, lat 0.8293-55.8271, the box the
reference implementations use) are left as they are, as the datum does. Everything is
vectorised over numpy arrays; :func:`to_wgs84` / :func:`from_wgs84` work on GeoDataFrames and
geometry arrays of any type.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from planner.errors import InputError

__all__ = [
    "CHINESE_DATUMS",
    "parse_crs",
    "in_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "transform",
    "to_wgs84",
    "from_wgs84",
    "assign_input_crs",
]

#: Names accepted for the two Chinese datums (lower case).
CHINESE_DATUMS = {
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "gaode": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09", "baidu": "bd09",
}
_WGS84_NAMES = {"wgs84", "wgs-84", "epsg:4326", "4326"}

# Krasovsky 1940 ellipsoid, used by the GCJ-02 formulas.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30


def parse_crs(text: str | None, *, option: str = "--input-crs") -> str | None:
    """``"gcj02"``, ``"bd09"``, None for WGS-84/absent, or a pyproj-readable CRS string.

    Raises :class:`~planner.errors.InputError` naming ``option`` when the text is neither a
    Chinese datum nor a CRS pyproj knows (EPSG code, WKT, PROJ string).
    """
    if text is None:
        return None
    key = str(text).strip().lower()
    if not key or key in _WGS84_NAMES:
        return None
    if key in CHINESE_DATUMS:
        return CHINESE_DATUMS[key]
    import pyproj

    candidate = f"EPSG:{key}" if key.isdigit() else str(text).strip()
    try:
        crs = pyproj.CRS.from_user_input(candidate)
    except pyproj.exceptions.CRSError:
        raise InputError(
            f"{option}: {text!r} is not a coordinate system; use gcj02 (Amap/Gaode, Tencent), "
            "bd09 (Baidu), wgs84 or an EPSG code such as EPSG:4547"
        ) from None
    return None if crs.equals(pyproj.CRS.from_epsg(4326)) else crs.to_string()


def in_china(lon, lat) -> np.ndarray:
    """True where (lon, lat) falls inside the box where the Chinese datums apply."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dlon, dlat) in degrees that GCJ-02 adds to a WGS-84 point (no China check)."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    waves = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
            + waves * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
            + waves * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon = np.array(lon, dtype=float, copy=True)
    lat = np.array(lat, dtype=float, copy=True)
    return np.broadcast_arrays(lon, lat)


def _gcj_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _bd_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_rough_inverse(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(forward: Callable, lon: np.ndarray, lat: np.ndarray, start: tuple
            ) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = (lon, lat) by fixed-point iteration from ``start``."""
    x, y = start
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if not (np.nanmax(np.abs(ex), initial=0.0) > _TOLERANCE_DEG
                or np.nanmax(np.abs(ey), initial=0.0) > _TOLERANCE_DEG):
            break
    return x, y


def _masked(func: Callable, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _arrays(lon, lat)
    out_lon, out_lat = lon.copy(), lat.copy()
    inside = in_china(lon, lat) & np.isfinite(lon) & np.isfinite(lat)
    if inside.any():
        out_lon[inside], out_lat[inside] = func(lon[inside], lat[inside])
    return out_lon, out_lat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 -> GCJ-02 (published formula); points outside China unchanged."""
    return _masked(_gcj_forward, lon, lat)


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> WGS-84, iterated until the forward transform reproduces the input."""
    def inverse(x, y):
        dlon, dlat = _gcj_offset(x, y)
        return _invert(_gcj_forward, x, y, (x - dlon, y - dlat))

    return _masked(inverse, lon, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09; points outside China unchanged."""
    return _masked(_bd_forward, lon, lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> GCJ-02, iterated to an exact inverse of :func:`gcj02_to_bd09`."""
    def inverse(x, y):
        return _invert(_bd_forward, x, y, _bd_rough_inverse(x, y))

    return _masked(inverse, lon, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 -> BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> WGS-84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_FUNCS = {
    ("wgs84", "gcj02"): wgs84_to_gcj02, ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09, ("bd09", "gcj02"): bd09_to_gcj02,
    ("wgs84", "bd09"): wgs84_to_bd09, ("bd09", "wgs84"): bd09_to_wgs84,
}


def transform(lon, lat, *, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert between ``"wgs84"``, ``"gcj02"`` and ``"bd09"`` (arrays of any shape)."""
    if source == target:
        return _arrays(lon, lat)
    try:
        func = _FUNCS[(source, target)]
    except KeyError:
        raise InputError(f"cannot convert {source} to {target}; use wgs84, gcj02 or bd09") \
            from None
    return func(lon, lat)


def _geometries(geoms, source: str, target: str):
    import shapely

    def apply(xy: np.ndarray) -> np.ndarray:
        x, y = transform(xy[:, 0], xy[:, 1], source=source, target=target)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms), apply)


def to_wgs84(frame, datum: str):
    """A copy of a lon/lat GeoDataFrame (or geometry array) given in ``datum``, in WGS-84.

    The frame's geometry must hold lon/lat numbers in the Chinese datum (its declared CRS is
    usually EPSG:4326, which such files wrongly claim); the result declares EPSG:4326.
    """
    return _convert(frame, datum, "wgs84")


def from_wgs84(frame, datum: str):
    """A copy of a GeoDataFrame (any CRS) or WGS-84 geometry array with coordinates in
    ``datum`` (``"gcj02"`` or ``"bd09"``), for pasting into Amap/Baidu. The declared CRS stays
    EPSG:4326 (there is no EPSG code for the Chinese datums)."""
    return _convert(frame, "wgs84", datum)


def _convert(frame, source: str, target: str):
    import geopandas as gpd

    if isinstance(frame, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if frame.crs is not None and source == "wgs84":
            frame = frame.to_crs("EPSG:4326")
        out = frame.copy()
        if isinstance(out, gpd.GeoDataFrame):
            out[out.geometry.name] = _geometries(out.geometry.to_numpy(), source, target)
            return out.set_crs("EPSG:4326", allow_override=True)
        return gpd.GeoSeries(_geometries(out.to_numpy(), source, target), index=out.index,
                             crs="EPSG:4326")
    return _geometries(frame, source, target)


def assign_input_crs(frame, crs: str | None, *, where: str):
    """A layer as read from a file, with its coordinates declared as ``crs`` (from
    :func:`parse_crs`) and, for the Chinese datums, converted to WGS-84.

    ``None`` keeps the file's own CRS. A Chinese datum needs lon/lat numbers: a file that
    declares a projected CRS raises :class:`~planner.errors.LayerError`.
    """
    from planner.errors import LayerError

    if crs is None:
        return frame
    if crs in ("gcj02", "bd09"):
        if frame.crs is not None and not frame.crs.is_geographic:
            raise LayerError(
                f"{where} declares the projected CRS {frame.crs.to_string()}, but "
                f"{crs} coordinates are longitudes/latitudes; drop the input CRS or save the "
                "layer with lon/lat numbers")
        return to_wgs84(frame, crs)
    return frame.set_crs(crs, allow_override=True)
