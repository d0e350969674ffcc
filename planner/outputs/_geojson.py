"""GeoJSON for the maps straight from arrays, and the map's street lines cached on disk.

No DataFrame -> JSON text -> dict round trip: coordinates come from shapely's ragged arrays
(rounded once, as one numpy array), properties from the frame's columns. The merged,
simplified street lines of a network are kept in the cache folder keyed by the network's
content and the tolerance, with a checksum, so a second map of the same network skips
the merge.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from planner import _io
from planner.engine._isocache import load_geometries, save_geometries

__all__ = ["geometry_dicts", "street_lines", "square_cells",
           "display_polygons", "cached_display_polygons"]

log = logging.getLogger(__name__)

#: Bump when the street-line drawing changes.
STREETS_VERSION = 1
#: Bump when the display simplification of polygons changes.
DISPLAY_VERSION = 2  # 2: files written by engine/_isocache's geometry store

_TYPES = {
    shapely.GeometryType.POINT: "Point", shapely.GeometryType.LINESTRING: "LineString",
    shapely.GeometryType.POLYGON: "Polygon", shapely.GeometryType.MULTIPOINT: "MultiPoint",
    shapely.GeometryType.MULTILINESTRING: "MultiLineString",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
}


def geometry_dicts(geoms: np.ndarray, precision: int = 5) -> list[dict | None]:
    """GeoJSON geometry mappings of shapely geometries, coordinates rounded to
    ``precision`` decimals (1e-5 degrees is about 1 m); None for missing geometries."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[dict | None] = [None] * geoms.size
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if present.size == 0:
        return out
    kinds = shapely.get_type_id(geoms[present])
    for family in ((0, 4), (1, 5), (3, 6)):  # point, line, polygon families
        members = present[np.isin(kinds, family)]
        if members.size:
            for i, mapping in zip(members, _family_dicts(geoms[members], precision)):
                out[i] = mapping
    for i in present[~np.isin(kinds, (0, 1, 3, 4, 5, 6))]:  # collections: rare, slow path
        out[i] = shapely.geometry.mapping(shapely.set_precision(geoms[i], 10.0 ** -precision))
    return out


def _family_dicts(geoms: np.ndarray, precision: int) -> list[dict]:
    kind, coords, offsets = shapely.to_ragged_array(geoms)
    points = np.round(coords, precision).tolist()
    name = _TYPES[kind]
    if kind == shapely.GeometryType.POINT:
        return [{"type": name, "coordinates": p} for p in points]
    # nest the flat point list by the offsets, innermost level first
    nested = points
    for level in offsets:
        bounds = level.tolist()
        nested = [nested[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
    return [{"type": name, "coordinates": c} for c in nested]


# --------------------------------------------------------------------------- street lines


def _network_digest(network, tolerance_m: float) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((STREETS_VERSION, float(tolerance_m), network.crs)).encode())
    for array in (network.node_x, network.node_y, network.seg_u, network.seg_v):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def street_lines(network, *, tolerance_m: float = 2.0,
                 cache_dir: Path | None = None) -> gpd.GeoSeries:
    """The network's streets merged into long lines, simplified to ``tolerance_m``, in
    EPSG:4326; read from / kept in ``cache_dir`` (``map-streets/``) when given."""
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / "map-streets" / f"{_network_digest(network, tolerance_m)}.npz"
        if path.is_file():
            lines = _load_lines(path)
            if lines is not None:
                return gpd.GeoSeries(lines, crs="EPSG:4326")
    lines = _merge_streets(network, tolerance_m)
    if path is not None:
        try:
            _save_lines(path, lines)
        except OSError as exc:
            warnings.warn(f"could not write street cache {path}: {exc}", RuntimeWarning,
                          stacklevel=2)
    return gpd.GeoSeries(lines, crs="EPSG:4326")


def _merge_streets(network, tolerance_m: float) -> np.ndarray:
    """Merge segments at nodes where exactly two meet (each street once, whatever its
    directions), simplify, and project to lon/lat."""
    from pyproj import Transformer

    u = np.minimum(network.seg_u, network.seg_v)
    v = np.maximum(network.seg_u, network.seg_v)
    pairs = np.unique(np.column_stack([u, v])[u != v], axis=0)
    xy = np.column_stack([network.node_x, network.node_y])
    segments = shapely.linestrings(np.stack([xy[pairs[:, 0]], xy[pairs[:, 1]]], axis=1))
    merged = shapely.line_merge(shapely.multilinestrings(segments))
    parts = shapely.simplify(shapely.get_parts(merged), tolerance_m)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    lon, lat = Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True).transform(
        coords[:, 0], coords[:, 1])
    return shapely.linestrings(np.column_stack([lon, lat]), indices=index)


def _checksum(coords: np.ndarray, index: np.ndarray) -> str:
    return hashlib.sha256(coords.tobytes() + index.tobytes()).hexdigest()


def _save_lines(path: Path, lines: np.ndarray) -> None:
    coords, index = shapely.get_coordinates(lines, return_index=True)
    index = index.astype(np.int64)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez(handle, coords=coords, index=index,
                     checksum=np.array(_checksum(coords, index)))

    _io.write_all({path: write})


def _load_lines(path: Path) -> np.ndarray | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            coords, index, checksum = data["coords"], data["index"], str(data["checksum"])
        if _checksum(coords, index) != checksum:
            raise ValueError("checksum mismatch")
        log.info("street lines loaded from cache %s", path)
        return shapely.linestrings(coords, indices=index)
    except Exception as exc:  # damaged or foreign file: rebuild it
        warnings.warn(f"street cache {path} is unreadable ({exc}); rebuilding it",
                      RuntimeWarning, stacklevel=3)
        return None


# --------------------------------------------------------------------------- cells


def square_cells(lon: np.ndarray, lat: np.ndarray, values: dict[str, np.ndarray], *,
                 cell_m: float) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Sum ``values`` (name -> per-point array) over square cells of ``cell_m`` metres in
    the local UTM zone; returns ``(polygons in EPSG:4326, sums per cell, points per cell)``."""
    from pyproj import Transformer

    from planner.data._netcache import utm_crs

    crs = utm_crs(float(np.median(lon)), float(np.median(lat)))
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    cells = np.floor(np.column_stack([x, y]) / cell_m).astype(np.int64)
    keys, inverse = np.unique(cells, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    sums = {name: np.bincount(inverse, weights=np.asarray(v, dtype=float),
                              minlength=len(keys)) for name, v in values.items()}
    count = np.bincount(inverse, minlength=len(keys))
    x0, y0 = keys[:, 0] * cell_m, keys[:, 1] * cell_m
    corners_x = np.column_stack([x0, x0 + cell_m, x0 + cell_m, x0, x0])
    corners_y = np.column_stack([y0, y0, y0 + cell_m, y0 + cell_m, y0])
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon_c, lat_c = back.transform(corners_x.ravel(), corners_y.ravel())
    rings = np.stack([np.reshape(lon_c, corners_x.shape), np.reshape(lat_c, corners_y.shape)],
                     axis=-1)
    return shapely.polygons(rings), sums, count


# --------------------------------------------------------------------------- display


def display_polygons(geoms: np.ndarray, tolerance_deg: float, *,
                     outline: np.ndarray) -> np.ndarray:
    """Polygons simplified to the map's scale, all at once: holes smaller than
    ``(10 x tolerance)^2`` filled, only the outer rings where ``outline`` (drawn as an
    outline only, e.g. per-station areas). Same result as a loop per polygon, in a few
    vectorised GEOS calls."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts) & (shapely.get_type_id(parts) == 3)
    parts, owner = parts[keep], owner[keep]
    if parts.size == 0:
        return out
    rings, part_of = shapely.get_rings(parts, return_index=True)
    first = np.ones(rings.size, dtype=bool)
    first[1:] = part_of[1:] != part_of[:-1]
    min_hole = (10 * tolerance_deg) ** 2
    hole_ok = ~np.asarray(outline, dtype=bool)[owner[part_of]]
    hole_ok &= shapely.area(shapely.polygons(rings)) >= min_hole
    chosen = first | hole_ok
    polys = shapely.polygons(rings[chosen], indices=part_of[chosen])
    owners = np.unique(owner)
    merged = shapely.multipolygons(polys, indices=np.searchsorted(owners, owner))
    single = np.bincount(owner, minlength=geoms.size)[owners] == 1
    merged = np.where(single, shapely.get_geometry(merged, 0), merged)
    if tolerance_deg > 0:  # plain Douglas-Peucker: ~10x faster, and Leaflet draws any ring
        merged = shapely.simplify(merged, tolerance_deg, preserve_topology=False)
    out[owners] = merged
    return out


def cached_display_polygons(geoms: np.ndarray, tolerance_deg: float, *, outline: np.ndarray,
                            cache_dir: Path | None) -> np.ndarray:
    """:func:`display_polygons`, kept in ``cache_dir`` (``map-display/``) keyed by the
    polygons' WKB, the tolerance and ``outline``: the same outlines (e.g. from the
    isochrone cache) are simplified once, not on every run."""
    geoms = np.asarray(geoms, dtype=object)
    if cache_dir is None or geoms.size == 0:
        return display_polygons(geoms, tolerance_deg, outline=outline)
    wkb = shapely.to_wkb(geoms)
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((DISPLAY_VERSION, float(tolerance_deg))).encode())
    h.update(np.asarray(outline, dtype=bool).tobytes())
    for blob in wkb:
        h.update(b"-" if blob is None else len(blob).to_bytes(8, "little") + blob)
    path = Path(cache_dir) / "map-display" / f"{h.hexdigest()}.npz"
    if path.is_file():
        cached = load_geometries(path, "display")
        if cached is not None and len(cached) == geoms.size:
            return np.array(cached, dtype=object)
    out = display_polygons(geoms, tolerance_deg, outline=outline)
    try:
        save_geometries(path, out)
    except OSError as exc:
        warnings.warn(f"could not write display cache {path}: {exc}", RuntimeWarning,
                      stacklevel=2)
    return out
