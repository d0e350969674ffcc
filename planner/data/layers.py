"""Input layers (stations, demand, candidate sites): read, validated, snapped to the streets."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._validate import rows_text
from planner.errors import LayerError
from planner.data import coords
from planner.data.network import StreetGraph

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
]

log = logging.getLogger(__name__)

LON_COLUMNS = ("lon", "lng", "longitude", "long", "x")
LAT_COLUMNS = ("lat", "latitude", "y")
ID_COLUMNS = ("id", "station_id", "site_id", "osm_id", "fid")
SUFFIXES = (".geojson", ".json", ".gpkg", ".csv", ".shp", ".fgb")

#: Columns every layer has after reading (plus any the file carried).
#: ``id`` (str), ``name`` (str), ``weight`` (float > 0), ``kind`` (str), point geometry in
#: EPSG:4326.


def read_layer(
    path: str | Path,
    *,
    role: str,
    id_prefix: str,
    weight_column: str | None = None,
    input_crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a point layer from GeoJSON, GeoPackage, Shapefile or CSV (lon/lat columns).

    Any CRS is accepted and reprojected to EPSG:4326; every row is checked, and a
    :class:`~planner.errors.LayerError` names the file, the rows and what to do.
    ``input_crs`` says what the coordinates really are: ``"gcj02"`` (Amap/Gaode, Tencent),
    ``"bd09"`` (Baidu) or any CRS pyproj reads (e.g. ``"EPSG:4547"`` for x/y columns).
    """
    path = Path(path).expanduser()
    where = f"{role} layer {path}"
    if not path.is_file():
        raise LayerError(f"{where} does not exist; check the path")
    if path.stat().st_size == 0:
        raise LayerError(f"{where} is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LayerError(
            f"{where}: cannot read {suffix or 'files without a suffix'}; use GeoJSON, "
            "GeoPackage, Shapefile or CSV with lon/lat columns"
        )
    crs = coords.parse_crs(input_crs, option=f"{where}: input CRS")
    if suffix == ".csv":
        frame = _read_csv(path, where, geographic=crs is None or crs in ("gcj02", "bd09"))
    else:
        frame = _read_vector(path, where)
    frame = coords.assign_input_crs(frame, crs, where=where)
    return normalize(frame, where=where, id_prefix=id_prefix, weight_column=weight_column)


def read_stations(path: str | Path, *, input_crs: str | None = None) -> gpd.GeoDataFrame:
    """Existing stations (ids ``S1``, ``S2``... unless the file has an id column)."""
    return read_layer(path, role="stations", id_prefix="S", input_crs=input_crs)


def read_demand(path: str | Path, *, weight_column: str | None = None,
                input_crs: str | None = None) -> gpd.GeoDataFrame:
    """Demand points with an optional weight column (``weight`` by default; 1 if absent)."""
    return read_layer(path, role="demand", id_prefix="D", weight_column=weight_column,
                      input_crs=input_crs)


def read_candidates(path: str | Path, *, input_crs: str | None = None) -> gpd.GeoDataFrame:
    """Candidate sites for new stations."""
    return read_layer(path, role="candidates", id_prefix="C", input_crs=input_crs)


def points_from_lonlat(
    coords, *, ids=None, names=None, weights=None, role: str = "points", id_prefix: str = "P"
) -> gpd.GeoDataFrame:
    """A validated point layer from (lon, lat) pairs given in code or on the command line."""
    coords = list(coords)
    frame = pd.DataFrame({
        "lon": [c[0] for c in coords], "lat": [c[1] for c in coords],
    })
    for column, values in (("id", ids), ("name", names), ("weight", weights)):
        if values is not None:
            frame[column] = list(values)
    return normalize(_points_frame(frame, f"{role} given as coordinates", "lon", "lat"),
                     where=f"{role} given as coordinates", id_prefix=id_prefix)


def _read_csv(path: Path, where: str, *, geographic: bool = True) -> gpd.GeoDataFrame:
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        raise LayerError(f"{where} is not UTF-8 text; save it as UTF-8 CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise LayerError(f"{where} is not a readable CSV file ({exc})") from None
    columns = {c.strip().lower(): c for c in frame.columns}
    lon = next((columns[c] for c in LON_COLUMNS if c in columns), None)
    lat = next((columns[c] for c in LAT_COLUMNS if c in columns), None)
    if lon is None or lat is None:
        raise LayerError(
            f"{where} needs longitude and latitude columns (named lon/lat, lng, longitude/"
            f"latitude or x/y); found {', '.join(map(str, frame.columns)) or 'no columns'}"
        )
    return _points_frame(frame, where, lon, lat, geographic=geographic)


def _points_frame(frame: pd.DataFrame, where: str, lon: str, lat: str, *,
                  geographic: bool = True) -> gpd.GeoDataFrame:
    if frame.empty:
        raise LayerError(f"{where} has no rows; add at least one point")
    xs = pd.to_numeric(frame[lon].astype(str).str.strip(), errors="coerce")
    ys = pd.to_numeric(frame[lat].astype(str).str.strip(), errors="coerce")
    bad = np.flatnonzero(xs.isna().to_numpy() | ys.isna().to_numpy())
    if bad.size:
        raise LayerError(
            f"{where}: {rows_text([int(i) + 2 for i in bad])} (counting the header as row 1) "
            f"have missing or non-numeric {lon}/{lat}; fix or delete them"
        )
    outside = np.flatnonzero(((xs.abs() > 180) | (ys.abs() > 90)).to_numpy())
    if outside.size and geographic:
        raise LayerError(
            f"{where}: {rows_text([int(i) + 2 for i in outside])} have coordinates outside "
            f"lon -180..180 / lat -90..90; are {lon}/{lat} swapped or projected?"
        )
    rest = frame.drop(columns=[lon, lat])
    return gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326")


def _read_vector(path: Path, where: str) -> gpd.GeoDataFrame:
    if path.suffix.lower() in (".geojson", ".json"):
        _check_geojson_text(path, where)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several kinds for unreadable files
        raise LayerError(f"{where} cannot be read as a vector layer ({exc})") from None
    if frame.empty:
        raise LayerError(f"{where} has no features; add at least one point")
    if frame.crs is None:
        raise LayerError(
            f"{where} has no coordinate reference system; save it with a CRS (e.g. EPSG:4326)"
        )
    return frame


def _check_geojson_text(path: Path, where: str) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise LayerError(f"{where} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise LayerError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise LayerError(f"{where} is not a GeoJSON FeatureCollection")
    features = data.get("features", [data] if data.get("type") == "Feature" else None)
    if not isinstance(features, list):
        raise LayerError(f"{where}: 'features' must be a list of GeoJSON features")
    if not features:
        raise LayerError(f"{where} has no features; add at least one point")
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise LayerError(f"{where}: feature {number} is not a GeoJSON Feature")
        geometry = feature.get("geometry")
        if geometry is not None and not (
            isinstance(geometry, dict) and isinstance(geometry.get("type"), str)
        ):
            raise LayerError(f"{where}: feature {number} has a malformed geometry")
        properties = feature.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise LayerError(f"{where}: feature {number} has properties that are not an object")


def normalize(
    frame: gpd.GeoDataFrame, *, where: str, id_prefix: str, weight_column: str | None = None
) -> gpd.GeoDataFrame:
    """Check geometry, ids and weights and return the standard columns in EPSG:4326."""
    frame = frame.reset_index(drop=True)
    geometry = frame.geometry
    missing = np.flatnonzero((geometry.isna() | geometry.is_empty).to_numpy())
    if missing.size:
        raise LayerError(
            f"{where}: features {', '.join(str(i + 1) for i in missing[:5])} have no "
            "geometry; give every feature a point"
        )
    types = geometry.geom_type.to_numpy()
    singles = geometry.copy()
    multi = types == "MultiPoint"
    if multi.any():
        counts = shapely.get_num_geometries(geometry[multi].to_numpy())
        if (counts == 1).all():
            singles[multi] = shapely.get_geometry(geometry[multi].to_numpy(), 0)
            types = singles.geom_type.to_numpy()
    wrong = np.flatnonzero(types != "Point")
    if wrong.size:
        kinds = sorted(set(types[wrong]))
        raise LayerError(
            f"{where}: features {', '.join(str(i + 1) for i in wrong[:5])} are "
            f"{'/'.join(kinds)}, not points; give one point per site (for buildings use "
            "their centroid)"
        )
    frame = frame.set_geometry(singles)
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    try:
        frame = frame.to_crs("EPSG:4326")
    except Exception as exc:
        raise LayerError(f"{where}: cannot reproject from {frame.crs} to lon/lat ({exc})") from None
    coords = shapely.get_coordinates(frame.geometry.to_numpy())
    if not np.isfinite(coords).all():
        raise LayerError(f"{where}: some coordinates are not finite numbers")

    columns = {str(c).strip().lower(): c for c in frame.columns if c != frame.geometry.name}
    id_source = next((columns[c] for c in ID_COLUMNS if c in columns), None)
    if id_source is not None:
        ids = frame[id_source].astype(str).str.strip()
        blank = np.flatnonzero((ids == "") | frame[id_source].isna().to_numpy())
        if blank.size:
            raise LayerError(f"{where}: features {', '.join(str(i + 1) for i in blank[:5])} "
                             f"have an empty {id_source!r}")
    else:
        ids = pd.Series([f"{id_prefix}{i + 1}" for i in range(len(frame))])
    duplicated = ids[ids.duplicated(keep=False)]
    if not duplicated.empty:
        raise LayerError(
            f"{where}: duplicate ids {', '.join(sorted(set(duplicated))[:5])}; every "
            f"{id_source or 'id'} must be unique"
        )
    out = gpd.GeoDataFrame({"id": ids.to_numpy()}, geometry=frame.geometry.to_numpy(),
                           crs="EPSG:4326")
    name_source = columns.get("name") or columns.get("name:zh") or columns.get("title")
    out["name"] = (frame[name_source].fillna("").astype(str).to_numpy()
                   if name_source is not None else out["id"].to_numpy())
    out.loc[out["name"].str.strip() == "", "name"] = out["id"]
    out["weight"] = _weights(frame, columns, where, weight_column)
    kind_source = columns.get("kind") or columns.get("type") or columns.get("category")
    out["kind"] = (frame[kind_source].fillna("").astype(str).to_numpy()
                   if kind_source is not None else "")
    for column in frame.columns:
        if column != frame.geometry.name and column not in out.columns and str(column) not in (
            "lon", "lat"
        ):
            out[column] = frame[column].to_numpy()
    return out


def _weights(frame, columns, where: str, weight_column: str | None) -> np.ndarray:
    if weight_column is not None:
        source = columns.get(weight_column.strip().lower())
        if source is None:
            raise LayerError(f"{where} has no column {weight_column!r} for the weights")
    else:
        source = columns.get("weight")
    if source is None:
        return np.ones(len(frame))
    raw = frame[source]
    values = pd.to_numeric(raw.astype(str).str.strip().replace("", "nan"), errors="coerce")
    bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
    if bad.size:
        raise LayerError(
            f"{where}: features {', '.join(str(i + 1) for i in bad[:5])} have a missing or "
            f"non-numeric {source!r}; give every feature a number"
        )
    nonpositive = np.flatnonzero(values.to_numpy(dtype=float) <= 0)
    if nonpositive.size:
        raise LayerError(
            f"{where}: features {', '.join(str(i + 1) for i in nonpositive[:5])} have "
            f"{source!r} <= 0; weights must be positive (drop places with no demand)"
        )
    return values.to_numpy(dtype=float)


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
