"""Demand drawn as square cells when there are too many places for one marker each.

Two grids: coarse cells for the whole district, cells a third the size once the map is
zoomed in far enough for them to be a few pixels wide (a constant script swaps the two on
zoom; no data goes into it). Each cell shows its places, their weight and the share of the
weight reached within the main threshold (the one rule, :func:`is_covered`).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from planner.analysis.coverage import CoverageResult, is_covered
from planner.outputs._elements import FeatureDetail, geojson
from planner.outputs._escape import js_value
from planner.outputs._geojson import square_cells

__all__ = ["CELLS_ABOVE", "add_demand_cells"]

#: Above this many places the demand layer is drawn as cells instead of markers.
CELLS_ABOVE = 10_000
#: Colours from "little of the weight reached" to "all of it reached".
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6")


class _ZoomSwap(MacroElement):
    """Show ``fine`` instead of ``coarse`` from zoom level ``zoom`` on."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function () { var map = {{ this.map_name }}, group = {{ this.group_name }};"
        " var coarse = {{ this.coarse_name }}, fine = {{ this.fine_name }};"
        " function swap() { var near = map.getZoom() >= {{ this.zoom_js }};"
        "  if (!map.hasLayer(group)) { return; }"
        "  if (near) { group.removeLayer(coarse); group.addLayer(fine); }"
        "  else { group.removeLayer(fine); group.addLayer(coarse); } }"
        " map.on('zoomend overlayadd', swap); swap(); })();"
        "{% endmacro %}")

    def __init__(self, fmap, group, coarse, fine, zoom: int):
        super().__init__()
        self._name = "ZoomSwap"
        self.map_name, self.group_name = fmap.get_name(), group.get_name()
        self.coarse_name, self.fine_name = coarse.get_name(), fine.get_name()
        self.zoom_js = js_value(int(zoom))


def _cells_frame(result: CoverageResult, cell_m: float) -> gpd.GeoDataFrame:
    demand = result.demand
    xy = shapely.get_coordinates(demand.geometry.to_numpy())
    weight = demand["weight"].to_numpy(dtype=float)
    reached = is_covered(demand["seconds_to_nearest"].to_numpy(), result.threshold)
    boxes, sums, count = square_cells(xy[:, 0], xy[:, 1],
                                      {"weight": weight, "reached": weight * reached},
                                      cell_m=cell_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(sums["weight"] > 0, sums["reached"] / sums["weight"], 0.0)
    level = np.minimum((share * len(SHARE_COLOURS)).astype(int), len(SHARE_COLOURS) - 1)
    return gpd.GeoDataFrame({
        "places": count, "weight": np.round(sums["weight"], 1),
        "reached_pct": np.round(100 * share, 1), "level": level,
    }, geometry=boxes, crs="EPSG:4326")


def add_demand_cells(result: CoverageResult, group) -> None:
    """Demand of ``result`` as coarse and fine square cells in ``group`` (a layer group
    already on the map; see the module)."""
    fmap = group._parent
    demand = result.demand
    west, south, east, north = demand.total_bounds
    extent_m = max(east - west, north - south) * 111_000
    coarse_m = max(250.0, extent_m / 60)
    fine_m = coarse_m / 3
    layers = []
    for cell_m in (coarse_m, fine_m):
        layer = geojson(
            _cells_frame(result, cell_m),
            style_function=lambda f: {"color": "#555555", "weight": 0.3, "fillOpacity": 0.6,
                                      "fillColor": SHARE_COLOURS[f["properties"]["level"]]},
            tooltip=FeatureDetail(["places", "weight", "reached_pct"],
                                  ["places", "demand weight",
                                   f"% reached in {result.threshold:g} min"]))
        layers.append(layer)
    layers[0].add_to(group)
    layers[1].add_to(group)
    # zoom at which a fine cell is about 8 pixels wide (Web Mercator metres per pixel)
    lat = math.radians((south + north) / 2)
    zoom = math.ceil(math.log2(156_543.0 * math.cos(lat) * 8 / fine_m))
    group.add_child(_ZoomSwap(fmap, group, layers[0], layers[1], zoom))
