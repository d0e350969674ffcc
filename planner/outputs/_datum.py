"""The datum a map is drawn in: overlays follow the primary tiles (GCJ-02 under Gaode).

Gaode/AutoNavi tiles are drawn in China's GCJ-02 datum; the planner's layers are WGS-84.
:func:`new_map` records the datum of the first (primary) tile layer on the map; when the
page is rendered, :func:`align_overlays` moves every overlay of such a map (GeoJSON layers,
markers, lines, the view) from WGS-84 to that datum with
:func:`planner.data.coords.transform`, once per element, whatever stage added it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.i18n import _

__all__ = ["TILE_DATUM", "map_datum", "tiles_datum", "tile_name", "legend_line",
           "align_overlays", "geojson_to"]

#: The datum each tile source is drawn in (None: WGS-84, like the planner's layers).
TILE_DATUM = {"osm": None, "gaode": "gcj02"}
_ATTR = "_planner_datum"
_DONE = "_planner_datum_done"


def tiles_datum(tiles: Sequence[str]) -> str | None:
    """The datum of the primary (first) tiles: overlays are drawn in it."""
    return TILE_DATUM.get(tiles[0]) if tiles else None


def map_datum(fmap) -> str | None:
    """The datum recorded on ``fmap`` by :func:`new_map` (None: WGS-84)."""
    return getattr(fmap, _ATTR, None)


def set_map_datum(fmap, datum: str | None) -> None:
    setattr(fmap, _ATTR, datum)


def tile_name(key: str, datum: str | None) -> str:
    """The layer-control name of tiles ``key``; says so when they do not match the overlays."""
    names = {"osm": _("OpenStreetMap tiles (online)"),
             "gaode": _("Gaode/AutoNavi tiles (online, GCJ-02)")}
    name = names.get(key, key)
    if TILE_DATUM.get(key) != datum:
        name += " " + _("(overlays not aligned: shifted 100-700 m)")
    return name


def legend_line(datum: str | None) -> str:
    """One legend row saying which datum the overlays are drawn in (empty for WGS-84)."""
    if datum != "gcj02":
        return ""
    return ('<div style="margin-top:4px;color:#555">'
            + _("Overlays drawn in GCJ-02 to match the Gaode tiles") + "</div>")


def _move(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[np.ndarray, np.ndarray]:
    from planner.data.coords import transform

    return transform(lon, lat, source="wgs84", target=datum)


def geojson_to(data: dict, datum: str) -> dict:
    """GeoJSON (Feature, FeatureCollection or geometry) with every position moved from
    WGS-84 to ``datum`` (all geometries in one vectorised call); a new object, ``data`` is
    not changed. Coordinates are kept to 1e-6 degrees (about 0.1 m)."""
    import copy

    import shapely
    from shapely.geometry import mapping, shape

    out = copy.deepcopy(data)
    holders: list[tuple[dict, str]] = []  # (object holding a geometry, its key)

    def visit(obj):
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "FeatureCollection":
            for feature in obj.get("features", []):
                visit(feature)
        elif kind == "Feature":
            if isinstance(obj.get("geometry"), dict):
                holders.append((obj, "geometry"))

    visit(out)
    if out.get("type") not in ("FeatureCollection", "Feature") and "type" in out:
        out = {"__root__": out}
        holders.append((out, "__root__"))
    if holders:
        geoms = np.array([shape(holder[key]) for holder, key in holders], dtype=object)

        def move(xy: np.ndarray) -> np.ndarray:
            lon, lat = _move(xy[:, 0], xy[:, 1], datum)
            return np.column_stack([lon, lat])

        moved = shapely.set_precision(shapely.transform(geoms, move), 1e-6,
                                      mode="pointwise")
        for (holder, key), geom in zip(holders, moved):
            holder[key] = json_ready(mapping(geom))
    return out["__root__"] if "__root__" in out else out


def _mover(datum: str):
    """``xy -> xy`` moved from WGS-84 to ``datum`` (for ``shapely.transform``)."""
    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = _move(xy[:, 0], xy[:, 1], datum)
        return np.column_stack([lon, lat])

    return move


def json_ready(obj):
    """Tuples (from shapely's ``mapping``) as lists, as JSON has them."""
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    return obj


def _latlon(points, datum: str):
    """``[lat, lon]`` pairs (any nesting) moved to ``datum``, same nesting."""
    array = np.asarray(points, dtype=float)
    flat = array.reshape(-1, 2)
    lon, lat = _move(flat[:, 1], flat[:, 0], datum)
    return np.column_stack([lat, lon]).reshape(array.shape).tolist()


def _walk(element):
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def align_overlays(root) -> None:
    """Move the overlays of every map under ``root`` that is drawn in a Chinese datum;
    each element is moved once (rendering again, or adding layers later, is safe)."""
    import folium
    from folium.vector_layers import BaseMultiLocation

    for fmap in _walk(root):
        datum = map_datum(fmap)
        if not datum:
            continue
        for element in _walk(fmap):
            if getattr(element, _DONE, False):
                continue
            if hasattr(element, "planner_move"):  # compact layers and shared tables
                element.planner_move(_mover(datum))
            elif isinstance(element, folium.GeoJson) and isinstance(element.data, dict):
                element.data = geojson_to(element.data, datum)
            elif isinstance(element, BaseMultiLocation) and element.locations:
                element.locations = _latlon(element.locations, datum)
            elif isinstance(element, (folium.Marker, folium.Map)) and \
                    getattr(element, "location", None) is not None:
                element.location = _latlon(element.location, datum)
            elif isinstance(element, folium.map.FitBounds) and element.bounds:
                element.bounds = _latlon(element.bounds, datum)
            elif type(element).__name__ == "Rectangle" and getattr(element, "locations", None):
                element.locations = _latlon(element.locations, datum)
            setattr(element, _DONE, True)
