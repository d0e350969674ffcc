"""Reading and validating point layers: files, frames from API callers, coordinates.

Public names are re-exported by :mod:`planner.data.layers`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._config import decode_utf8
from planner._validate import rows_text
from planner.errors import LayerError
from planner.data import coords
from planner.data._text import _bracket_depth, numbers

LON_COLUMNS = ("lon", "lng", "longitude", "long", "x")
LAT_COLUMNS = ("lat", "latitude", "y")
ID_COLUMNS = ("id", "station_id", "site_id", "osm_id", "fid")
SUFFIXES = (".geojson", ".json", ".gpkg", ".csv", ".shp", ".fgb")
#: Deepest JSON nesting a GeoJSON layer may have (a point layer needs 5, a multipolygon 7).
MAX_JSON_DEPTH = 64
#: Largest GeoJSON layer read (bigger layers belong in a GeoPackage).
MAX_GEOJSON_BYTES = 512 * 2**20
#: Largest total demand weight accepted (sums and products of weights stay finite).
MAX_TOTAL_WEIGHT = 1e12

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
    centroids: bool = False,
) -> gpd.GeoDataFrame:
    """Read a point layer from GeoJSON, GeoPackage, Shapefile or CSV (lon/lat columns).

    Any CRS is accepted and reprojected to EPSG:4326; every row is checked, and a
    :class:`~planner.errors.LayerError` names the file, the rows and what to do.
    ``input_crs`` says what the coordinates really are: ``"gcj02"`` (Amap/Gaode, Tencent),
    ``"bd09"`` (Baidu) or any CRS pyproj reads (e.g. ``"EPSG:4547"`` for x/y columns).
    ``centroids=True`` turns polygons and lines into their centroids.
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
    return normalize(frame, where=where, id_prefix=id_prefix, weight_column=weight_column,
                     centroids=centroids)


def read_stations(path: str | Path, *, input_crs: str | None = None,
                  centroids: bool = False) -> gpd.GeoDataFrame:
    """Existing stations (ids ``S1``, ``S2``... unless the file has an id column);
    ``centroids=True`` turns building outlines into their centroids."""
    return read_layer(path, role="stations", id_prefix="S", input_crs=input_crs,
                      centroids=centroids)


def read_demand(path: str | Path, *, weight_column: str | None = None,
                input_crs: str | None = None, centroids: bool = False) -> gpd.GeoDataFrame:
    """Demand points with an optional weight column (``weight`` by default; 1 if absent)."""
    return read_layer(path, role="demand", id_prefix="D", weight_column=weight_column,
                      input_crs=input_crs, centroids=centroids)


def read_candidates(path: str | Path, *, input_crs: str | None = None,
                    centroids: bool = False) -> gpd.GeoDataFrame:
    """Candidate sites for new stations."""
    return read_layer(path, role="candidates", id_prefix="C", input_crs=input_crs,
                      centroids=centroids)


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
    try:  # the pyarrow reader is several times faster; anything it refuses goes the C way
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False,
                            engine="pyarrow")
    except Exception:
        frame = _read_csv_c(path, where)
    return _csv_points(frame, where, geographic=geographic)


def _read_csv_c(path: Path, where: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        raise LayerError(f"{where} is not UTF-8 text; save it as UTF-8 CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise LayerError(f"{where} is not a readable CSV file ({exc})") from None


def _csv_points(frame: pd.DataFrame, where: str, *, geographic: bool) -> gpd.GeoDataFrame:
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
    xs, ys = pd.Series(numbers(frame[lon])), pd.Series(numbers(frame[lat]))
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
    if path.stat().st_size > MAX_GEOJSON_BYTES:
        raise LayerError(f"{where} is larger than {MAX_GEOJSON_BYTES >> 20} MiB; use a "
                         "GeoPackage for layers this big")
    text = decode_utf8(path.read_bytes(), where, LayerError)
    depth = _bracket_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise LayerError(f"{where} is nested {depth} levels deep (limit {MAX_JSON_DEPTH}); "
                         "a GeoJSON point layer needs about 5")
    try:
        data = json.loads(text)
    except RecursionError:
        raise LayerError(f"{where} is nested too deeply to be a GeoJSON layer") from None
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


def _centroids(frame: gpd.GeoDataFrame, where: str):
    shapes = ~frame.geometry.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    if not shapes.any() or frame.crs is None:
        return frame, frame.geometry
    try:
        metric = frame.estimate_utm_crs() if frame.crs.is_geographic else frame.crs
        centres = frame.geometry.to_crs(metric).centroid.to_crs(frame.crs)
    except Exception as exc:
        raise LayerError(f"{where}: cannot compute centroids ({exc})") from None
    geometry = frame.geometry.copy()
    geometry[shapes] = centres[shapes]
    return frame.set_geometry(geometry), geometry


_COORDINATE_TEXT = re.compile(r"^\s*[-+]?\d+(\.\d*)?\s*[,; ]\s*[-+]?\d+(\.\d*)?\s*$")


def as_layer(value: object, *, role: str, id_prefix: str, weight_column: str | None = None,
             centroids: bool = False) -> gpd.GeoDataFrame:
    """A validated point layer from what an API caller gave: a GeoDataFrame (any CRS), a
    DataFrame with lon/lat columns, or a path to a layer file.

    Everything else (a coordinate string, a list, a number) is a :class:`LayerError`.
    """
    where = f"the {role} layer"
    if isinstance(value, gpd.GeoDataFrame):
        if len(value) == 0:
            raise LayerError(f"{where} is empty; give at least one point")
        if value.crs is None:
            raise LayerError(f"{where} has no CRS; set one (e.g. .set_crs('EPSG:4326'))")
        return normalize(value, where=where, id_prefix=id_prefix, weight_column=weight_column,
                         centroids=centroids)
    if isinstance(value, pd.DataFrame):
        columns = {str(c).strip().lower(): c for c in value.columns}
        lon = next((columns[c] for c in LON_COLUMNS if c in columns), None)
        lat = next((columns[c] for c in LAT_COLUMNS if c in columns), None)
        if lon is None or lat is None:
            raise LayerError(f"{where} is a DataFrame without lon/lat columns; give a "
                             "GeoDataFrame or lon and lat columns")
        points = _points_frame(value.astype({lon: str, lat: str}), where, lon, lat)
        return normalize(points, where=where, id_prefix=id_prefix, weight_column=weight_column)
    if isinstance(value, str) and _COORDINATE_TEXT.match(value):
        raise LayerError(f"{where} is the text {value!r}; give points as a GeoDataFrame or "
                         "use planner.layers.points_from_lonlat([(lon, lat), ...])")
    if isinstance(value, (str, Path)):
        return read_layer(value, role=role, id_prefix=id_prefix, weight_column=weight_column,
                          centroids=centroids)
    raise LayerError(f"{where} must be a GeoDataFrame of points, a DataFrame with lon/lat "
                     f"columns or a path to a layer file, not {type(value).__name__}")


def normalize(
    frame: gpd.GeoDataFrame, *, where: str, id_prefix: str, weight_column: str | None = None,
    centroids: bool = False,
) -> gpd.GeoDataFrame:
    """Check geometry, ids and weights and return the standard columns in EPSG:4326.

    Polygons and lines are an error unless ``centroids`` (then each becomes its centroid,
    computed in a local metric CRS).
    """
    frame = frame.reset_index(drop=True)
    geometry = frame.geometry
    missing = np.flatnonzero((geometry.isna() | geometry.is_empty).to_numpy())
    if missing.size:
        raise LayerError(
            f"{where}: features {', '.join(str(i + 1) for i in missing[:5])} have no "
            "geometry; give every feature a point"
        )
    if centroids:
        frame, geometry = _centroids(frame, where)
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
            f"{'/'.join(kinds)}, not points; give one point per site, or use the centre of "
            "each shape: planner.read_stations(path, centroids=True) or "
            "planner.layers.as_layer(frame, role=..., id_prefix=..., centroids=True)"
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
    values = pd.Series(numbers(frame[source]))
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
    weights = values.to_numpy(dtype=float)
    with np.errstate(over="ignore"):
        total = float(weights.sum())
    if not total <= MAX_TOTAL_WEIGHT:
        raise LayerError(f"{where}: the weights in {source!r} add up to {total:g}, more than "
                         f"{MAX_TOTAL_WEIGHT:g}; give people or orders per place")
    return weights
