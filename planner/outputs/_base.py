"""Shared pieces of the planner's maps: colours, tiles, an empty map, streets, GeoJSON."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np

from planner.data.network import Network
from planner.outputs import _datum
from planner.outputs._page import Page

__all__ = ["ATTRIBUTION", "TILES", "new_map", "street_lines", "with_layer_control",
           "import_folium", "for_display", "fmt_minutes"]

ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
    "contributors, ODbL"
)
#: Band colours, nearest first (5 / 10 / 15 minutes ...).
BAND_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fdae61", "#f46d43")
COVERED = "#2b83ba"
UNCOVERED = "#d7191c"
STATION = "#5e3c99"
PROPOSED = "#e66101"
MAX_DEMAND_MARKERS = 5000


def import_folium():
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        raise ImportError("maps need folium: pip install folium") from exc
    return folium


#: Online tile layers. Gaode (AutoNavi) tiles load fast inside China but are drawn in the
#: GCJ-02 datum: when they are the primary tiles every overlay is moved to GCJ-02 too.
TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "OpenStreetMap tiles (online)",
            ATTRIBUTION, None),
    "gaode": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
              "&x={x}&y={y}&z={z}", "Gaode/AutoNavi tiles (online, GCJ-02)",
              "&copy; AutoNavi (高德地图); overlays " + ATTRIBUTION, "1234"),
}


def new_map(center: Sequence[float], *, self_contained: bool = True, zoom: int = 14,
            tiles: Sequence[str] = ("osm",)):
    """An empty folium map with the planner's tiles, scale bar and (optionally) inlined JS.

    ``tiles`` lists online tile layers (``osm``, ``gaode``); in self-contained mode they
    start hidden so an offline page requests nothing. The first one sets the datum the
    overlays are drawn in (GCJ-02 for ``gaode``: see :mod:`planner.outputs._datum`). The
    map sits in a :class:`Page`, so text from the data is never run as a Jinja template
    when the page is rendered.
    """
    folium = import_folium()
    from branca.element import MacroElement, Template

    fmap = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True,
                      zoom_snap=0.25)
    Page().add_child(fmap)  # no second template pass over names from the data
    scale = MacroElement()
    scale._template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({metric: true, imperial: false, maxWidth: 160})"
        ".addTo({{ this._parent.get_name() }});"
        "{% endmacro %}")
    fmap.add_child(scale, name="metric_scale")
    datum = _datum.tiles_datum(tiles)  # overlays follow the primary tiles (GCJ-02 on Gaode)
    _datum.set_map_datum(fmap, datum)
    for index, key in enumerate(tiles):
        if key not in TILES:
            raise ValueError(f"unknown tiles {key!r}; choose from {', '.join(TILES)}")
        url, _name, attribution, subdomains = TILES[key]
        name = _datum.tile_name(key, datum)
        options = {"subdomains": subdomains} if subdomains else {}
        folium.TileLayer(url, name=name, attr=attribution, overlay=True, control=True,
                         show=not self_contained and index == 0, max_zoom=19,
                         **options).add_to(fmap)
    if self_contained:
        _inline_assets(fmap)
    return fmap


def _inline_assets(fmap) -> None:
    """Replace folium's CDN scripts and styles with Leaflet inlined from the xstatic package
    (jQuery, Bootstrap and icon fonts are not needed: tooltips and popups are the planner's
    own, markers are drawn with plain HTML)."""
    from branca.element import Element

    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ImportError("self-contained maps need xstatic-leaflet: "
                          "pip install xstatic-leaflet") from exc
    data = Path(xleaflet.BASE_DIR)
    css = (data / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted((data / "images").glob("*.png")):
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image.name})", f"url(data:image/png;base64,{encoded})")
    js = (data / "leaflet.js").read_text(encoding="utf-8")
    fmap.default_js = []
    fmap.default_css = []
    header = fmap.get_root().header
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")


def street_lines(network: Network, *, tolerance_m: float = 2.0) -> gpd.GeoSeries:
    """The network's streets merged into long lines, simplified, in EPSG:4326 (kept in the
    cache folder between runs: see :func:`planner.outputs._geojson.street_lines`)."""
    from planner.outputs import _geojson
    from planner.settings import Settings

    return _geojson.street_lines(network, tolerance_m=tolerance_m,
                                 cache_dir=Settings.from_env().cache_dir)


def for_display(geoms: np.ndarray, tolerance_deg: float, *, outline: np.ndarray) -> np.ndarray:
    """Simplify to the map's scale; fill holes smaller than (10 x tolerance)^2, and keep only
    the outer ring where a polygon is drawn as an outline (per-station areas); vectorised in
    :func:`planner.outputs._geojson.display_polygons` and kept in the cache folder."""
    from planner.outputs._geojson import cached_display_polygons
    from planner.settings import Settings

    return cached_display_polygons(geoms, tolerance_deg, outline=outline,
                                   cache_dir=Settings.from_env().cache_dir)
def fmt_minutes(value: float) -> str:
    # rounded up, so a place shown at a threshold is covered at it (the one rule)
    from planner.i18n import fmt_minutes as localised

    return localised(float(value), round_up=True)


def with_layer_control(fmap):
    """Add the layer panel and the opening view; it must come after every layer in the
    page's script (calling it again moves it after layers added since)."""
    from planner.outputs._control import add_layer_panel

    return add_layer_panel(fmap)
