"""Demand from real sources: OSM features, a population raster, order/GPS points.

``resolve_demand`` turns what ``--demand`` says into a demand layer:

* ``osm:pickup`` / ``osm:dropoff`` / ``osm:all``: features of the network's own OSM file,
  weighted by :data:`DEFAULT_WEIGHTS` (overridable from a TOML file);
* ``pop.tif``: a population raster (WorldPop, GHS-POP), one weighted place per cell inside the
  network's area, optionally summed over ``factor`` x ``factor`` blocks first;
* any other path: a point layer (e.g. an order CSV of lon/lat), as :mod:`planner.data.layers`
  reads it.

``aggregate="grid:250"`` or ``"h3:9"`` then sums the weights into square cells (metres, in the
network's projection) or H3 cells, one place per cell at its centre: for order points (weight
1 each) the weight is the order count.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Mapping

import geopandas as gpd
import numpy as np
import shapely

from planner.data._osm import iter_points
from planner.errors import InputError, LayerError

__all__ = [
    "DEFAULT_WEIGHTS",
    "ROLES",
    "load_weights",
    "osm_demand",
    "raster_demand",
    "aggregate",
    "network_area",
    "resolve_demand",
]

ROLES = ("pickup", "dropoff")

#: Relative demand per OSM feature (rules ``key=value`` or ``key=*``; a feature takes the
#: largest weight among the rules it matches). Pickup: where riders wait for orders;
#: dropoff: where orders are delivered. A TOML file with ``[pickup]``/``[dropoff]`` tables
#: overrides single rules (0 drops a rule).
DEFAULT_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "pickup": {
        "amenity=restaurant": 3.0, "amenity=fast_food": 3.0, "amenity=food_court": 3.0,
        "amenity=cafe": 1.5, "amenity=marketplace": 3.0, "shop=mall": 5.0,
        "shop=department_store": 3.0, "shop=supermarket": 2.0,
    },
    "dropoff": {
        "building=residential": 2.0, "building=apartments": 3.0, "building=dormitory": 3.0,
        "building=house": 0.5, "landuse=residential": 3.0, "building=office": 2.0,
        "office=*": 1.0, "building=university": 2.0, "amenity=university": 5.0,
        "amenity=college": 3.0,
    },
}
_OSM_KEYS = ("amenity", "shop", "building", "office", "landuse")
_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")
_MAX_TOML_BYTES = 1_000_000
_MAX_WEIGHT = 1e6


def load_weights(path: str | Path | None) -> dict[str, dict[str, float]]:
    """:data:`DEFAULT_WEIGHTS` with the rules of a TOML file laid over them."""
    weights = {role: dict(rules) for role, rules in DEFAULT_WEIGHTS.items()}
    if path is None:
        return weights
    path = Path(path).expanduser()
    where = f"demand weights file {path}"
    if not path.is_file():
        raise InputError(f"{where} does not exist; check the path")
    if path.stat().st_size > _MAX_TOML_BYTES:
        raise InputError(f"{where} is larger than 1 MB; a weights file is a few lines")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{where} is not valid UTF-8 TOML ({exc})") from None
    for role, rules in data.items():
        if role not in ROLES or not isinstance(rules, dict):
            raise InputError(f"{where}: [{role}] is not a table of rules; use [pickup] and "
                             "[dropoff] tables of \"key=value\" = weight")
        for rule, value in rules.items():
            key, sep, val = str(rule).partition("=")
            if not sep or not key.strip() or not val.strip():
                raise InputError(f"{where}: [{role}] {rule!r} is not key=value or key=*")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                math.isfinite(value) and 0 <= value <= _MAX_WEIGHT
            ):
                raise InputError(f"{where}: [{role}] {rule!r} = {value!r}: give a number from "
                                 f"0 (drop the rule) to {_MAX_WEIGHT:g}")
            weights[role][f"{key.strip()}={val.strip()}"] = float(value)
    return weights


def _match(tags: Mapping[str, str], rules: Mapping[str, float]) -> tuple[str, float] | None:
    best = None
    for key in _OSM_KEYS:
        value = tags.get(key)
        if not value:
            continue
        for rule in (f"{key}={value}", f"{key}=*"):
            weight = rules.get(rule, 0.0)
            if weight > 0 and (best is None or weight > best[1]):
                best = (rule, weight)
    return best


def osm_demand(path: str | Path, *, role: str = "all",
               weights: Mapping[str, Mapping[str, float]] | None = None) -> gpd.GeoDataFrame:
    """Weighted demand places from the OSM features of ``path`` (.osm, .osm.bz2, .osm.pbf).

    Nodes and areas (closed ways, multipolygons) count; an area counts once, at a point
    inside it. Columns: ``id`` (``n123``/``w123``/``r123``), ``name``, ``kind`` (the rule
    matched), ``role`` (pickup/dropoff), ``weight``; EPSG:4326.
    """
    if role not in (*ROLES, "all"):
        raise InputError(f"--demand osm:{role}: use osm:pickup, osm:dropoff or osm:all")
    weights = weights or DEFAULT_WEIGHTS
    roles = ROLES if role == "all" else (role,)
    rules = {r: weights.get(r, {}) for r in roles}
    path = Path(path)
    rows: list[tuple] = []
    try:
        for osm_id, tags, point in iter_points(path, keys=_OSM_KEYS):
            best = max(((r, *m) for r in roles if (m := _match(tags, rules[r]))),
                       key=lambda item: item[2], default=None)
            if best is None:
                continue
            name = tags.get("name:zh") or tags.get("name") or ""
            rows.append((osm_id, name, best[1], best[0], best[2], point))
    except RuntimeError as exc:
        raise LayerError(f"cannot read OSM features from {path} ({exc})") from None
    if not rows:
        raise LayerError(
            f"{path} has no OSM features for osm:{role} demand (amenity/shop/building/office/"
            "landuse tags); is it a roads-only extract? Use a full export or another --demand")
    ids, names, kinds, row_roles, values, points = zip(*rows)
    frame = gpd.GeoDataFrame({"id": ids, "name": names, "kind": kinds, "role": row_roles,
                              "weight": values}, geometry=list(points), crs="EPSG:4326")
    frame["name"] = frame["name"].where(frame["name"] != "", frame["kind"])
    return frame.drop_duplicates("id").reset_index(drop=True)


def network_area(network, *, buffer_m: float = 250.0):
    """The network's area: convex hull of its nodes buffered by ``buffer_m``, in lon/lat."""
    hull = shapely.multipoints(np.column_stack([network.node_x, network.node_y])).convex_hull
    area = gpd.GeoSeries([hull.buffer(buffer_m)], crs=network.crs).to_crs("EPSG:4326")
    return area.iloc[0]


def raster_demand(path: str | Path, *, area=None, factor: int = 1) -> gpd.GeoDataFrame:
    """One weighted place per populated raster cell (at the cell centre) inside ``area``.

    ``area`` is a lon/lat polygon (e.g. :func:`network_area`); ``factor`` > 1 sums
    ``factor`` x ``factor`` blocks of cells first (coarser places, same total). Cells with
    no data or a value <= 0 are dropped. Columns ``id`` (``cell_<row>_<col>``), ``name``,
    ``kind`` (``population``), ``weight``.
    """
    import rasterio

    path = Path(path).expanduser()
    if not path.is_file():
        raise LayerError(f"population raster {path} does not exist; check the path")
    if not (isinstance(factor, int) and 1 <= factor <= 1000):
        raise InputError(f"raster resampling factor {factor!r}: give a whole number 1..1000")
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise LayerError(f"cannot read {path} as a raster ({exc})") from None
    with src:
        if src.crs is None:
            raise LayerError(f"raster {path} has no CRS; save it with one (e.g. EPSG:4326)")
        clip = (gpd.GeoSeries([area], crs="EPSG:4326").to_crs(src.crs).iloc[0]
                if area is not None else None)
        window = _window(src, clip)
        if window is None:
            raise LayerError(f"raster {path} does not cover the network's area; use a raster "
                             "of this district (WorldPop/GHS-POP tile)")
        values = src.read(1, window=window, masked=True).astype(float).filled(np.nan)
        transform = src.window_transform(window)
        crs = src.crs
    values[~np.isfinite(values) | (values <= 0)] = 0.0
    if factor > 1:
        rows = -(-values.shape[0] // factor) * factor
        cols = -(-values.shape[1] // factor) * factor
        padded = np.zeros((rows, cols))
        padded[:values.shape[0], :values.shape[1]] = values
        values = padded.reshape(rows // factor, factor, cols // factor, factor).sum(axis=(1, 3))
    t = transform  # cell centres by the affine transform (cells scaled by ``factor``)
    row, col = np.nonzero(values > 0)
    xs = t.c + t.a * factor * (col + 0.5) + t.b * factor * (row + 0.5)
    ys = t.f + t.d * factor * (col + 0.5) + t.e * factor * (row + 0.5)
    keep = np.ones(row.size, dtype=bool)
    if clip is not None:
        keep = shapely.contains_xy(clip, xs, ys)
    if not keep.any():
        raise LayerError(f"raster {path} has no populated cells inside the network's area")
    row0, col0 = int(window.row_off), int(window.col_off)
    ids = [f"cell_{row0 + r * factor}_{col0 + c * factor}" for r, c in zip(row[keep], col[keep])]
    frame = gpd.GeoDataFrame(
        {"id": ids, "name": ids, "kind": "population", "weight": values[row[keep], col[keep]]},
        geometry=gpd.points_from_xy(xs[keep], ys[keep]), crs=crs)
    return frame.to_crs("EPSG:4326")


def _window(src, clip):
    """The whole-cell window of ``src`` covering ``clip`` (None when they do not meet)."""
    from rasterio.windows import Window, from_bounds

    if clip is None:
        return Window(0, 0, src.width, src.height)
    w = from_bounds(*clip.bounds, transform=src.transform)
    col0, row0 = max(0, math.floor(w.col_off)), max(0, math.floor(w.row_off))
    col1 = min(src.width, math.ceil(w.col_off + w.width))
    row1 = min(src.height, math.ceil(w.row_off + w.height))
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def aggregate(points: gpd.GeoDataFrame, spec: str, *, crs: str | None = None
              ) -> gpd.GeoDataFrame:
    """Sum point weights into cells: ``"grid:SIZE_M"`` (square cells in ``crs``, a metric
    CRS; default: the points' UTM zone) or ``"h3:RES"`` (H3 resolution 0-15).

    One place per non-empty cell at the cell's centre; ``weight`` is the summed weight
    (the count when every point weighs 1) and ``points`` the number of points.
    """
    kind, size = _parse_aggregate(spec)
    if points.empty:
        raise LayerError("no demand points to aggregate")
    weight = (points["weight"].to_numpy(dtype=float) if "weight" in points
              else np.ones(len(points)))
    geometry = points.geometry if points.crs is not None and points.crs.to_epsg() == 4326 \
        else points.geometry.to_crs("EPSG:4326")
    lon, lat = shapely.get_coordinates(geometry.to_numpy()).T
    if kind == "h3":
        import h3
        from h3.api import basic_int

        res = int(size)
        cell_of = basic_int.latlng_to_cell
        keys = np.fromiter((cell_of(y, x, res) for x, y in zip(lon.tolist(), lat.tolist())),
                           dtype=np.uint64, count=lon.size)
        cells, inverse = np.unique(keys, return_inverse=True)
        centres = np.array([basic_int.cell_to_latlng(int(c)) for c in cells]).reshape(-1, 2)
        cx, cy = centres[:, 1], centres[:, 0]
        ids = [f"h3_{h3.int_to_str(int(c))}" for c in cells]
    else:
        import pyproj

        crs = crs or gpd.GeoSeries(geometry.iloc[:1000], crs="EPSG:4326").estimate_utm_crs()
        to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = to_metric.transform(lon, lat)
        i = np.floor(np.asarray(x) / size).astype(np.int64)
        j = np.floor(np.asarray(y) / size).astype(np.int64)
        span = int(j.max() - j.min()) + 1
        cells, inverse = np.unique((i - i.min()) * span + (j - j.min()), return_inverse=True)
        ci, cj = cells // span + i.min(), cells % span + j.min()
        cx, cy = to_metric.transform((ci + 0.5) * size, (cj + 0.5) * size,
                                     direction="INVERSE")
        ids = [f"grid{size:g}_{a}_{b}" for a, b in zip(ci.tolist(), cj.tolist())]
    inverse = np.asarray(inverse).ravel()
    return gpd.GeoDataFrame({
        "id": ids, "name": ids, "kind": spec,
        "weight": np.bincount(inverse, weights=weight, minlength=len(ids)),
        "points": np.bincount(inverse, minlength=len(ids)),
    }, geometry=gpd.points_from_xy(cx, cy), crs="EPSG:4326")


def _parse_aggregate(spec: str) -> tuple[str, float]:
    kind, _, value = str(spec).strip().lower().partition(":")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if kind == "h3" and number.is_integer() and 0 <= number <= 15:
        return kind, number
    if kind == "grid" and math.isfinite(number) and 1 <= number <= 100_000:
        return kind, number
    raise InputError(f"--aggregate {spec!r}: write grid:SIZE_M (e.g. grid:250) or h3:RES "
                     "(e.g. h3:9, resolution 0-15)")


def resolve_demand(spec: str | Path, network, *, weight_column: str | None = None,
                   input_crs: str | None = None, aggregate_spec: str | None = None,
                   weights_file: str | Path | None = None, raster_factor: int = 1
                   ) -> gpd.GeoDataFrame:
    """The demand layer ``spec`` names, validated, on ``network``'s area (see module doc)."""
    from planner.data import layers

    text = str(spec)
    if text.lower().startswith("osm:"):
        source = Path(str(getattr(network, "source", "")))
        if not source.is_file() or not source.name.lower().endswith((".osm", ".bz2", ".gz",
                                                                       ".pbf")):
            raise InputError(f"--demand {text}: needs a network read from an OSM file "
                             "(.osm/.osm.bz2/.osm.pbf); this network came from "
                             f"{getattr(network, 'source', '?')}")
        frame = osm_demand(source, role=text[4:].strip().lower(),
                           weights=load_weights(weights_file))
        where = f"demand {text}"
    elif Path(text).suffix.lower() in _RASTER_SUFFIXES:
        frame = raster_demand(text, area=network_area(network), factor=raster_factor)
        where = f"demand raster {text}"
    else:
        frame = layers.read_demand(text, weight_column=weight_column, input_crs=input_crs)
        if not aggregate_spec:
            return frame
        where = f"demand layer {text}"
    if aggregate_spec:
        frame = aggregate(frame, aggregate_spec, crs=network.crs)
        where = f"{where} aggregated to {aggregate_spec}"
    return layers.normalize(frame, where=where, id_prefix="D")
