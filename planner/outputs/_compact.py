"""Compact GeoJSON layers: the data of a map layer as columns and delta-encoded integers.

folium's ``GeoJson`` writes every feature as a JSON object (keys repeated per feature,
coordinates as 17-character decimals) and evaluates the style function per feature in
Python into a ``switch`` statement (with a colour check per value). Here a layer is written
as columns:

* coordinates quantised to ``10**-precision`` degrees (1e-5: about 1 m, the display
  precision), delta-encoded as integers along the flat coordinate array (zigzag varints, base64),
  nested by part counts (shapely's ragged arrays);
* properties as one list per column; repeated texts dictionary-encoded (``{"v": values,
  "c": codes}``);
* styles deduplicated: a list of style objects and one index per feature.

A constant script (:data:`DECODER_JS`, no data in it) turns that back into GeoJSON features
in the browser, with each feature's properties as before, so tooltips and popups
(:class:`planner.outputs._elements.FeatureDetail`) read them as they did; a layer's features
are built when it is first shown (``layer.plannerFill()`` builds them at once). Layers may share
a *table* (:class:`SharedTable`): geometry and common columns written once, e.g. the demand
places that each mode's layer colours by its own columns. Every value passes through
:func:`planner.outputs._escape.js_value`; only integer arrays are written directly.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping

import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from planner.outputs._decoder import DECODER_JS
from planner.outputs._escape import js_value
from planner.outputs._page import Text

__all__ = ["CompactGeoJson", "SharedTable", "encode_geometry", "encode_columns",
           "decode", "DECODER_JS"]

_TYPES = {
    shapely.GeometryType.POINT: "Point", shapely.GeometryType.LINESTRING: "LineString",
    shapely.GeometryType.POLYGON: "Polygon", shapely.GeometryType.MULTIPOINT: "MultiPoint",
    shapely.GeometryType.MULTILINESTRING: "MultiLineString",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
}

# --------------------------------------------------------------------------- encoding


def encode_geometry(geoms: np.ndarray, precision: int = 5) -> dict:
    """Geometries (EPSG:4326) as delta-encoded integers and part counts (see the module);
    missing and empty ones become null."""
    geoms = np.asarray(geoms, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if present.size == 0:
        return {"kind": None}
    has = None if present.size == geoms.size else present
    try:
        kind, coords, offsets = shapely.to_ragged_array(geoms[present])
    except (ValueError, NotImplementedError):  # mixed families, collections: rare
        from planner.outputs._geojson import geometry_dicts

        return {"kind": "list", "has": has, "geoms": geometry_dicts(geoms[present], precision)}
    flat = np.round(coords[:, :2] * 10.0 ** precision).astype(np.int64).ravel()
    return {"kind": _TYPES[kind], "scale": 10 ** precision, "xy": pack_deltas(flat),
            "has": has, "counts": [np.diff(level) for level in offsets]}


def pack_deltas(flat: np.ndarray) -> dict:
    """Integers ``x0, y0, x1, y1, ...`` as the first pair and the differences to the pair
    before, each zigzag-encoded as a little-endian base-128 varint (1 byte up to 63, 2 up
    to 8191, ...), base64."""
    delta = np.zeros(flat.size, dtype=np.int64)
    delta[2:] = flat[2:] - flat[:-2]
    zig = ((delta << 1) ^ (delta >> 63)).astype(np.uint64)
    size = np.ones(zig.size, dtype=np.int64)
    for k in range(1, 10):
        size += zig >= np.uint64(1 << (7 * k)) if 7 * k < 64 else 0
    first = np.cumsum(size) - size
    out = np.zeros(int(size.sum()), dtype=np.uint8)
    for k in range(int(size.max()) if size.size else 0):
        sel = size > k
        more = (size[sel] > k + 1).astype(np.uint8) << 7
        out[first[sel] + k] = ((zig[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(
            np.uint8) | more
    return {"start": flat[:2].tolist(), "b64": base64.b64encode(out.tobytes()).decode("ascii")}


def unpack_deltas(packed: dict) -> np.ndarray:
    """The integers packed by :func:`pack_deltas` (a plain loop: for tests)."""
    values, value, shift = [], 0, 0
    for byte in base64.b64decode(packed["b64"]):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append((value >> 1) ^ -(value & 1))
            value, shift = 0, 0
    delta = np.asarray(values, dtype=np.int64)
    if delta.size:
        delta[:2] += np.asarray(packed["start"], dtype=np.int64)
    return delta.reshape(-1, 2).cumsum(axis=0).ravel()


def _plain(value):
    """One property value as JSON has it (NaN and None -> null; other objects as text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return _plain(value.item())
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _column(column, n: int):
    values = np.asarray(column)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "b":
        return values.tolist()
    if values.dtype.kind == "f":
        good = np.isfinite(values)
        if good.all():
            return values.tolist()
        out = values.astype(object)
        out[~good] = None
        return out.tolist()
    if values.dtype.kind in "US":
        values = values.astype(object)
    if values.dtype.kind != "O":  # datetimes and the like: as text
        return values.astype(str).tolist()
    from pandas.api.types import infer_dtype

    if infer_dtype(values, skipna=False) != "string":
        return [_plain(v) for v in values.tolist()]
    if n:
        uniques, codes = np.unique(values, return_inverse=True)
        if uniques.size == 1:
            return {"same": uniques[0]}
        if uniques.size * 2 < n:
            return {"v": uniques.tolist(), "c": codes.ravel().astype(np.int64)}
    return values.tolist()


def encode_columns(columns: Mapping[str, object], n: int) -> dict:
    """Columns (name -> array-like of length ``n``) as lists (NaN -> null); a text column
    of one value as ``{"same": value}``, texts repeated often as ``{"v": values, "c":
    codes}``; a dict is written as it is (e.g. ``{"coords": 1}``: the point's coordinates
    as text, made in the page)."""
    return {name: column if isinstance(column, dict) else _column(column, n)
            for name, column in columns.items()}


def styles_of(style_function: Callable | None, columns: Mapping[str, object], n: int):
    """Each feature's style from ``style_function({"properties": {...}})`` (folium's
    convention), deduplicated: ``(styles, index per feature or None)``."""
    if style_function is None:
        return [{}], None
    names = list(columns)
    lists = [np.asarray(columns[k]).tolist() for k in names]
    seen: dict = {}
    styles: list[dict] = []
    index = np.empty(n, dtype=np.int64)
    for i, row in enumerate(zip(*lists) if names else [()] * n):
        style = style_function({"type": "Feature", "properties": dict(zip(names, row))})
        try:
            key = tuple(sorted(style.items()))
            hash(key)
        except TypeError:  # a list or dict inside the style
            key = json.dumps(style, sort_keys=True, default=str)
        if key not in seen:
            seen[key] = len(styles)
            styles.append(style)
        index[i] = seen[key]
    if not styles:  # no features: no style needed
        return [{}], None
    return styles, (index if len(styles) > 1 else None)


def _broadcast(columns: Mapping[str, object], n: int) -> dict:
    """Columns with scalars (e.g. a scenario name) repeated to ``n`` rows."""
    out = {}
    for name, column in columns.items():
        if not isinstance(column, dict) and np.ndim(column) == 0:
            column = np.full(n, column, dtype=object)
        out[name] = column
    return out


def _js(value) -> str:
    """A JS literal: integer arrays written directly, everything else via js_value."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu":  # integers: their decimal text is safe as it is
            return "[" + ",".join(map(str, value.tolist())) + "]"
        return js_value(value.tolist())
    if isinstance(value, dict):
        return "{" + ",".join(f"{js_value(str(k))}:{_js(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (np.ndarray, dict))
                                                for v in value):
        return "[" + ",".join(_js(v) for v in value) + "]"
    return js_value(value)


def decode(data: dict, base: dict | None = None) -> list[dict]:
    """The features of an encoded layer, decoded in Python the way the page does (for
    tests and for anyone reading a map's data)."""
    table = base or data
    n = table["n"]
    geo, geoms = table["geo"], [None] * n
    if geo.get("kind") == "list":
        for k, g in enumerate(geo["geoms"]):
            geoms[geo["has"][k] if geo.get("has") is not None else k] = g
    elif geo.get("kind"):
        flat = unpack_deltas(geo["xy"]).reshape(-1, 2) / geo["scale"]
        nested: list = flat.tolist()
        for counts in geo["counts"]:
            bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
            nested = [nested[bounds[j]:bounds[j + 1]] for j in range(len(counts))]
        for k, c in enumerate(nested):
            geoms[geo["has"][k] if geo.get("has") is not None else k] = {
                "type": geo["kind"], "coordinates": c}
    props = {}
    for source in ((base or {}).get("props", {}), data.get("props", {})):
        for name, column in source.items():
            if isinstance(column, dict) and "c" in column:
                props[name] = [column["v"][i] for i in column["c"]]
            elif isinstance(column, dict) and "same" in column:
                props[name] = [column["same"]] * n
            elif isinstance(column, dict):
                props[name] = [None] * n
            else:
                props[name] = list(column)
    return [{"type": "Feature", "geometry": geoms[i],
             "properties": {k: v[i] for k, v in props.items()}} for i in range(n)]


# --------------------------------------------------------------------------- elements


def _add_decoder(element) -> None:
    root = element.get_root()
    if hasattr(root, "header"):
        root.header.add_child(Text(f"<script>{DECODER_JS}</script>"),
                              name="planner_geo_decoder")


class SharedTable(MacroElement):
    """Geometry (points, EPSG:4326) and columns that several layers of the map share,
    written once into the page's head as a ``var``."""

    _template = Template("")

    def __init__(self, geometry: np.ndarray, columns: Mapping[str, object], *,
                 precision: int = 5):
        super().__init__()
        self._name = "PlannerTable"
        self.geometry = np.asarray(geometry, dtype=object)
        self.columns = dict(columns)
        self.precision = precision

    def planner_move(self, move) -> None:
        """Move every coordinate with ``move(xy) -> xy`` (datum change)."""
        self.geometry = shapely.transform(self.geometry, move)

    def data(self) -> dict:
        return {"n": int(self.geometry.size),
                "geo": encode_geometry(self.geometry, self.precision),
                "props": encode_columns(self.columns, self.geometry.size)}

    def render(self, **kwargs) -> None:
        _add_decoder(self)
        root = self.get_root()
        root.header.add_child(Text(f"<script>var {self.get_name()} = {_js(self.data())};"
                                   "</script>"), name=self.get_name())


class CompactGeoJson(MacroElement):
    """A Leaflet GeoJSON layer of a frame's rows (or of a :class:`SharedTable` plus this
    layer's own columns), with styles from ``style_function`` (folium's convention) and
    points drawn as circle markers with ``marker`` options when given."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = plannerLazy(L.geoJson(null,"
        " plannerGeoOptions({{ this.options_js }})), function () {"
        " return plannerGeo({{ this.data_js() }}"
        "{% if this.table %}, {{ this.table.get_name() }}{% endif %}); })"
        ".addTo({{ this._parent.get_name() }});"
        "{% endmacro %}")

    def __init__(self, geometry: np.ndarray | None, columns: Mapping[str, object], *,
                 style_function: Callable | None = None, marker: dict | None = None,
                 interactive: bool = True, table: SharedTable | None = None,
                 style_columns: Mapping[str, object] | None = None, precision: int = 5):
        super().__init__()
        self._name = "PlannerGeoJson"
        self.table = table
        self.geometry = None if geometry is None else np.asarray(geometry, dtype=object)
        self.n = table.geometry.size if table is not None else self.geometry.size
        self.columns = _broadcast(columns, self.n)
        style_source = {**(table.columns if table is not None else {}), **self.columns,
                        **_broadcast(style_columns or {}, self.n)}
        style_source = {k: v for k, v in style_source.items() if not isinstance(v, dict)}
        self.styles, self.style_index = styles_of(style_function, style_source, self.n)
        self.precision = precision
        options = {"interactive": bool(interactive)}
        if marker:
            options["marker"] = marker
        self.options_js = js_value(options)

    def planner_move(self, move) -> None:
        if self.geometry is not None:
            self.geometry = shapely.transform(self.geometry, move)

    def data(self) -> dict:
        out = {"n": int(self.n), "props": encode_columns(self.columns, self.n),
               "styles": self.styles}
        if self.style_index is not None:
            out["style"] = self.style_index
        if self.table is None:
            out["geo"] = encode_geometry(self.geometry, self.precision)
        return out

    def feature_styles(self) -> list[dict]:
        """The style each feature is drawn with (as the page applies them)."""
        if self.style_index is None:
            return [self.styles[0]] * int(self.n)
        return [self.styles[i] for i in self.style_index.tolist()]

    def data_js(self) -> str:
        return _js(self.data())

    def render(self, **kwargs) -> None:
        _add_decoder(self)
        super().render(**kwargs)
