"""Input layers (stations, demand, candidate sites): read, validated, snapped to the streets."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import LayerError
from planner.data.network import StreetGraph
from planner.data._read import (  # noqa: F401 (re-exported)
    ID_COLUMNS, LAT_COLUMNS, LON_COLUMNS, MAX_GEOJSON_BYTES, MAX_JSON_DEPTH, MAX_TOTAL_WEIGHT,
    SUFFIXES, _points_frame, _read_vector, as_layer, normalize, points_from_lonlat,
    read_candidates, read_demand, read_layer, read_stations,
)

__all__ = [
    "Snapped",
    "read_layer",
    "read_stations",
    "read_demand",
    "read_candidates",
    "points_from_lonlat",
    "snap",
    "check_area",
    "edit_stations",
    "read_areas",
    "as_layer",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True)
class Snapped:
    """Where each point meets the street graph.

    ``segment`` indexes the graph's segments (-1 when the point is off-network),
    ``fraction`` is the position along it from ``seg_u`` (0..1), ``offset_m`` the distance
    from the point to the street (the access leg, walked); ``x``/``y`` are the points in the
    network CRS (``None`` when not known).
    """

    segment: np.ndarray
    fraction: np.ndarray
    offset_m: np.ndarray
    x: np.ndarray | None = None
    y: np.ndarray | None = None

    @property
    def on_network(self) -> np.ndarray:
        return self.segment >= 0

    def __len__(self) -> int:
        return int(self.segment.size)

    def take(self, index) -> "Snapped":
        return Snapped(self.segment[index], self.fraction[index], self.offset_m[index],
                       None if self.x is None else self.x[index],
                       None if self.y is None else self.y[index])


def projected_xy(points: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """(n, 2) coordinates of a point layer in the network CRS (arrays only: no geometry
    objects are built)."""
    from pyproj import Transformer

    xy = shapely.get_coordinates(points.geometry.to_numpy())
    if xy.shape[0] != len(points):  # empty or multi-part geometries: the general path
        return shapely.get_coordinates(points.geometry.to_crs(crs).to_numpy())
    source = points.crs or "EPSG:4326"
    x, y = Transformer.from_crs(source, crs, always_xy=True).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def snap(points: gpd.GeoDataFrame, graph: StreetGraph) -> Snapped:
    """Join points to their nearest street segment usable by the graph's mode.

    Points farther than ``graph.travel.max_snap_m`` from every such street are marked
    off-network (``segment == -1``) instead of being pulled onto a far street. A point whose
    nearest street lies on a stray piece of network (not connected to the main street
    network even ignoring direction, e.g. a path inside a gated compound) joins the nearest
    street of the main network instead when one is within ``max_snap_m``: people walk there.
    """
    from planner.data import _snap

    xy = projected_xy(points, graph.crs)
    index = _snap.index_of(graph)
    limit = graph.travel.max_snap_m
    segment, offset = index.nearest(xy, limit)
    stray = np.flatnonzero(segment >= 0)
    stray = stray[graph.seg_piece[segment[stray]] != 0]
    if stray.size:
        main = graph.seg_piece == 0
        if main.any():
            seg, dist = index.nearest(xy[stray], limit, allowed=main)
            back = seg >= 0
            segment[stray[back]] = seg[back]
            offset[stray[back]] = dist[back]
    fraction = np.zeros(xy.shape[0])
    on = np.flatnonzero(segment >= 0)
    _, fraction[on] = index.project(segment[on], xy[on, 0], xy[on, 1])
    return Snapped(segment=segment, fraction=fraction, offset_m=offset, x=xy[:, 0].copy(),
                   y=xy[:, 1].copy())


def check_area(points: gpd.GeoDataFrame, graph: StreetGraph, *, role: str,
               tolerance_m: float = 20_000) -> None:
    """Refuse layers whose points lie far outside the network (swapped lon/lat, wrong city)."""
    xy = projected_xy(points, graph.crs)
    x0, x1 = graph.node_x.min() - tolerance_m, graph.node_x.max() + tolerance_m
    y0, y1 = graph.node_y.min() - tolerance_m, graph.node_y.max() + tolerance_m
    outside = np.flatnonzero(~((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0)
                               & (xy[:, 1] <= y1)))
    if outside.size:
        ids = ", ".join(points["id"].iloc[outside[:5]].astype(str))
        w, s, e, n = graph.network.bounds_lonlat
        raise LayerError(
            f"{role}: {outside.size} point(s) ({ids}) lie more than {tolerance_m / 1000:g} km "
            f"outside the network {graph.network.name!r} (lon {w:.3f}..{e:.3f}, lat "
            f"{s:.3f}..{n:.3f}); are lon/lat swapped, or is this layer for another city?"
        )


def read_areas(path: str | Path, *, role: str = "exclusion areas") -> gpd.GeoDataFrame:
    """Polygons (e.g. where no station may go) from GeoJSON / GeoPackage, in EPSG:4326."""
    path = Path(path).expanduser()
    where = f"{role} layer {path}"
    if not path.is_file():
        raise LayerError(f"{where} does not exist; check the path")
    frame = _read_vector(path, where)
    kinds = set(frame.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise LayerError(f"{where} has {'/'.join(sorted(kinds - {'Polygon', 'MultiPolygon'}))} "
                         "geometries; give polygons")
    return frame[["geometry"]].to_crs("EPSG:4326")


def edit_stations(
    stations: gpd.GeoDataFrame,
    *,
    add: Sequence[tuple[float, float]] | Sequence[dict] = (),
    close: Sequence[str] = (),
    move: Mapping[str, tuple[float, float]] | None = None,
    where: str = "stations",
) -> gpd.GeoDataFrame:
    """A what-if copy of a stations layer: some closed, some moved, some added.

    ``add`` holds (lon, lat) pairs or dicts with ``lon``, ``lat`` and optional ``id``/``name``;
    unknown ids in ``close``/``move`` are errors that list the ids that exist.
    """
    known = stations["id"].astype(str).tolist()
    for key, ids in (("close", list(close)), ("move", list((move or {}).keys()))):
        unknown = [i for i in ids if str(i) not in known]
        if unknown:
            raise LayerError(
                f"{where}: cannot {key} station(s) {', '.join(map(str, unknown))}: no such id; "
                f"known ids: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}"
            )
    out = stations[~stations["id"].astype(str).isin([str(c) for c in close])].copy()
    for station_id, (lon, lat) in (move or {}).items():
        _check_lonlat(lon, lat, f"{where}: move {station_id}")
        out.loc[out["id"].astype(str) == str(station_id), "geometry"] = shapely.Point(lon, lat)
    if add:
        rows = []
        taken = set(out["id"].astype(str)) | set(known)
        number = 1
        for item in add:
            spec = dict(item) if isinstance(item, Mapping) else {"lon": item[0], "lat": item[1]}
            _check_lonlat(spec.get("lon"), spec.get("lat"), f"{where}: add")
            new_id = str(spec.get("id") or "")
            if not new_id:
                while f"N{number}" in taken:
                    number += 1
                new_id = f"N{number}"
            if new_id in taken:
                raise LayerError(f"{where}: cannot add station {new_id!r}: the id is taken")
            taken.add(new_id)
            rows.append({"id": new_id, "name": str(spec.get("name") or f"new station {new_id}"),
                         "weight": 1.0, "kind": str(spec.get("kind") or "added"),
                         "geometry": shapely.Point(float(spec["lon"]), float(spec["lat"]))})
        added = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
        out = gpd.GeoDataFrame(pd.concat([out, added], ignore_index=True), crs="EPSG:4326")
    if out.empty:
        raise LayerError(f"{where}: every station was closed; keep at least one")
    return out.reset_index(drop=True)


def _check_lonlat(lon: object, lat: object, where: str) -> None:
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LayerError(f"{where}: ({lon!r}, {lat!r}) is not a lon, lat pair of numbers") from None
    if not (np.isfinite(x) and np.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise LayerError(f"{where}: ({lon}, {lat}) is not a valid lon, lat pair")
