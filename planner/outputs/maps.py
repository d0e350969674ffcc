"""Folium HTML maps and written reports (JSON, CSV, GeoJSON), always written atomically."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import _io
from planner.analysis.coverage import CoverageResult
from planner.data.network import Network

__all__ = ["coverage_map", "proposal_map", "curve_svg", "save_map", "street_lines", "write_coverage_outputs", "ATTRIBUTION"]

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


def _import_folium():
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        raise ImportError("maps need folium: pip install folium") from exc
    return folium


#: Online tile layers. Gaode (AutoNavi) tiles load fast inside China but are drawn in the
#: GCJ-02 datum: OSM-based overlays (WGS-84) appear shifted by about 100-700 m on them.
TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "OpenStreetMap tiles (online)",
            ATTRIBUTION, None),
    "gaode": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
              "&x={x}&y={y}&z={z}", "Gaode/AutoNavi tiles (online, GCJ-02: shifted)",
              "&copy; AutoNavi (高德地图); overlays " + ATTRIBUTION, "1234"),
}


def new_map(center: Sequence[float], *, self_contained: bool = True, zoom: int = 14,
            tiles: Sequence[str] = ("osm",)):
    """An empty folium map with the planner's tiles, scale bar and (optionally) inlined JS.

    ``tiles`` lists online tile layers (``osm``, ``gaode``); in self-contained mode they
    start hidden so an offline page requests nothing.
    """
    folium = _import_folium()
    from branca.element import MacroElement, Template

    fmap = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True)
    scale = MacroElement()
    scale._template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({metric: true, imperial: false, maxWidth: 160})"
        ".addTo({{ this._parent.get_name() }});"
        "{% endmacro %}")
    fmap.add_child(scale, name="metric_scale")
    for index, key in enumerate(tiles):
        if key not in TILES:
            raise ValueError(f"unknown tiles {key!r}; choose from {', '.join(TILES)}")
        url, name, attribution, subdomains = TILES[key]
        options = {"subdomains": subdomains} if subdomains else {}
        folium.TileLayer(url, name=name, attr=attribution, overlay=True, control=True,
                         show=not self_contained and index == 0, max_zoom=19,
                         **options).add_to(fmap)
    if self_contained:
        _inline_assets(fmap)
    return fmap


def _inline_assets(fmap) -> None:
    """Replace folium's CDN scripts and styles with Leaflet and jQuery inlined from the
    xstatic packages (folium's tooltips use jQuery; Bootstrap and icon fonts are not needed
    because markers are drawn with plain HTML)."""
    from branca.element import Element

    try:
        import xstatic.pkg.jquery as xjquery
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - declared dependencies
        raise ImportError("self-contained maps need xstatic-leaflet and xstatic-jquery: "
                          "pip install xstatic-leaflet xstatic-jquery") from exc
    data = Path(xleaflet.BASE_DIR)
    css = (data / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted((data / "images").glob("*.png")):
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image.name})", f"url(data:image/png;base64,{encoded})")
    js = (data / "leaflet.js").read_text(encoding="utf-8")
    jquery = (Path(xjquery.BASE_DIR) / "jquery.min.js").read_text(encoding="utf-8")
    fmap.default_js = []
    fmap.default_css = []
    header = fmap.get_root().header
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    header.add_child(Element(f"<script>{jquery}</script>"), name="jquery_js_inline")


def street_lines(network: Network, *, tolerance_m: float = 2.0) -> gpd.GeoSeries:
    """The network's streets merged into long lines, simplified, in EPSG:4326."""
    xy = np.column_stack([network.node_x, network.node_y])
    segments = shapely.linestrings(np.stack([xy[network.seg_u], xy[network.seg_v]], axis=1))
    merged = shapely.line_merge(shapely.union_all(segments))
    parts = shapely.get_parts(merged)
    lines = gpd.GeoSeries(shapely.simplify(parts, tolerance_m), crs=network.crs)
    return lines.to_crs("EPSG:4326")


def _for_display(geoms: np.ndarray, tolerance_deg: float, *, outline: np.ndarray) -> np.ndarray:
    """Simplify to the map's scale; fill holes smaller than (10 x tolerance)^2, and keep only
    the outer ring where a polygon is drawn as an outline (per-station areas)."""
    out = []
    min_hole = (10 * tolerance_deg) ** 2
    for geom, outline_only in zip(geoms, outline):
        parts = []
        for poly in shapely.get_parts(geom):
            if poly.is_empty:
                continue
            holes = [] if outline_only else [r for r in poly.interiors
                                             if shapely.Polygon(r).area >= min_hole]
            parts.append(shapely.Polygon(poly.exterior, holes))
        merged = shapely.MultiPolygon(parts) if len(parts) != 1 else parts[0] if parts else geom
        out.append(shapely.simplify(merged, tolerance_deg) if tolerance_deg > 0 else merged)
    return np.asarray(out, dtype=object)


def _geojson(frame: gpd.GeoDataFrame, precision: int = 5) -> dict:
    """GeoJSON mapping with coordinates rounded (1e-5 degrees is about 1 m)."""
    frame = frame.copy()
    frame.geometry = shapely.set_precision(frame.geometry.to_numpy(), 10.0 ** -precision)
    for column in frame.columns:
        if column != frame.geometry.name and frame[column].dtype.kind not in "biufO":
            frame[column] = frame[column].astype(str)
    return json.loads(frame.to_json(drop_id=True, ensure_ascii=False))


def _fmt_minutes(value: float) -> str:
    return "cannot reach" if not np.isfinite(value) else f"{value:.1f} min"


def coverage_map(results: Sequence[CoverageResult], **options) -> "folium.Map":  # noqa: F821
    """A folium map of one or more coverage results (e.g. riders on e-bikes and on foot).

    The first result's layers are shown; the others start hidden in the layer control.
    Options: ``network`` (draws the streets as a base layer), ``title``, ``note``,
    ``labels`` (one per result), ``grouped`` (one layer group per result: for scenarios),
    ``self_contained`` (default True: Leaflet inlined from the
    installed ``xstatic-leaflet`` package, tiles start hidden, so the file opens with no
    network at all).
    """
    return with_layer_control(_coverage_layers(results, **options))


def with_layer_control(fmap):
    """Add the layer control; it must come after every layer in the page's script."""
    _import_folium().LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _coverage_layers(
    results: Sequence[CoverageResult],
    *,
    network: Network | None = None,
    title: str | None = None,
    note: str | None = None,
    self_contained: bool = True,
    labels: Sequence[str] | None = None,
    extra_html: str = "",
    tiles: Sequence[str] = ("osm",),
    hide_stations: frozenset = frozenset(),
    grouped: bool = False,
):
    folium = _import_folium()
    from branca.element import Element

    if not results:
        raise ValueError("coverage_map needs at least one coverage result")
    first = results[0]
    bounds = first.demand.total_bounds
    station_bounds = first.stations.total_bounds
    west, south = min(bounds[0], station_bounds[0]), min(bounds[1], station_bounds[1])
    east, north = max(bounds[2], station_bounds[2]), max(bounds[3], station_bounds[3])
    fmap = new_map([(south + north) / 2, (west + east) / 2], self_contained=self_contained,
                   tiles=tiles)
    # draw detail to the map's scale: about 1/10,000 of its extent (2 m for a district,
    # 10 m for a 100 km region), so large maps stay small files
    extent_m = max(east - west, north - south) * 111_000
    tolerance_m = max(2.0, extent_m / 10_000)
    if network is not None:
        lines = street_lines(network, tolerance_m=tolerance_m)
        layer = folium.FeatureGroup(name="Streets (OSM network)", show=True)
        folium.GeoJson(
            # one MultiLineString feature: no per-street feature overhead in the file
            _geojson(gpd.GeoDataFrame(geometry=[shapely.multilinestrings(lines.to_numpy())],
                                      crs="EPSG:4326")),
            style_function=lambda _: {"color": "#777777", "weight": 1, "opacity": 0.6},
            interactive=False,
        ).add_to(layer)
        layer.add_to(fmap)

    if labels is None:
        labels = [r.travel.mode for r in results] if len(results) > 1 else [""]
    if len(labels) != len(results):
        raise ValueError("give one label per result")
    show_index = len(results) - 1 if extra_html else 0
    for index, (result, label) in enumerate(zip(results, labels)):
        _add_result_layers(folium, fmap, result, show=index == show_index, label=label,
                           tolerance_deg=tolerance_m / 111_000,
                           density_cell_m=max(150.0, extent_m / 40), grouped=grouped)
    _add_stations(folium, fmap, results, labels, hide_stations)

    fmap.fit_bounds([[south, west], [north, east]])
    fmap.get_root().html.add_child(Element(_legend_html(first.minutes)))
    fmap.get_root().html.add_child(Element(_summary_html(results, labels, title, note,
                                                         extra_html)))
    return fmap



def _add_result_layers(folium, fmap, result: CoverageResult, *, show: bool, label: str,
                       tolerance_deg: float = 0.0, density_cell_m: float = 200.0,
                       grouped: bool = False):
    """The layers of one result; ``grouped`` puts its bands, gaps and demand in one layer
    group named ``label`` (one tick box per scenario) and leaves out the optional layers."""
    shared = None
    if grouped:
        shared = folium.FeatureGroup(name=label or result.travel.label, show=show)
        shared.add_to(fmap)

    def layer(name: str, visible: bool):
        if shared is not None:
            return shared
        group = folium.FeatureGroup(name=name, show=visible)
        group.add_to(fmap)
        return group

    label = f"{label}: " if label else ""
    iso = result.isochrones
    if len(iso):
        iso = iso.set_geometry(_for_display(iso.geometry.to_numpy(), tolerance_deg,
                                            outline=(iso["station_id"] != "all").to_numpy()))
    dissolved = iso[iso["station_id"] == "all"].sort_values("minutes", ascending=False)
    colour_of = {m: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]
                 for i, m in enumerate(sorted(result.minutes))}
    for row in dissolved.itertuples():
        group = layer(f"{label}within {row.minutes:g} min", show)
        colour = colour_of[row.minutes]
        folium.GeoJson(
            _geojson(gpd.GeoDataFrame({"minutes": [row.minutes], "area_km2": [row.area_km2]},
                                      geometry=[row.geometry], crs="EPSG:4326")),
            style_function=lambda _, c=colour: {"color": c, "weight": 1, "fillColor": c,
                                                "fillOpacity": 0.35},
            tooltip=folium.GeoJsonTooltip(["minutes", "area_km2"],
                                          aliases=["within (min)", "area (km²)"]),
        ).add_to(group)

    per_station = iso[(iso["station_id"] != "all") & (iso["minutes"] == result.threshold)]
    if len(per_station) and not grouped:
        group = folium.FeatureGroup(
            name=f"{label}{result.threshold:g}-min area of each station", show=False)
        folium.GeoJson(
            _geojson(per_station[["station_id", "minutes", "area_km2", "geometry"]]),
            style_function=lambda _: {"color": STATION, "weight": 2, "fill": False,
                                      "dashArray": "4 4"},
            tooltip=folium.GeoJsonTooltip(["station_id", "area_km2"],
                                          aliases=["station", "area (km²)"]),
        ).add_to(group)
        group.add_to(fmap)

    if len(result.gaps):
        group = layer(f"{label}gaps (beyond {result.threshold:g} min)", show)
        gaps = result.gaps.drop(columns=["place_ids"])
        folium.GeoJson(
            _geojson(gaps),
            style_function=lambda _: {"color": UNCOVERED, "weight": 2, "fillColor": UNCOVERED,
                                      "fillOpacity": 0.15, "dashArray": "6 4"},
            tooltip=folium.GeoJsonTooltip(
                ["gap_id", "places", "weight", "worst_minutes", "anchor_name"],
                aliases=["gap", "places", "demand weight", "worst (min)", "largest place"]),
        ).add_to(group)

    demand = result.demand
    covered = demand["minutes_to_nearest"].to_numpy() <= result.threshold
    if len(demand) > MAX_DEMAND_MARKERS:
        demand = demand[~covered]  # keep the file small: only the places that need action
        covered = covered[~covered]
    if not grouped:
        _add_density(folium, fmap, result.demand, label, cell_m=density_cell_m)
    group = layer(f"{label}demand (size = weight)", show)
    minutes = demand["minutes_to_nearest"].to_numpy()
    points = gpd.GeoDataFrame({
        "name": demand["name"].astype(str).to_numpy(),
        "kind": demand["kind"].astype(str).to_numpy(),
        "weight": demand["weight"].to_numpy(),
        "station": demand["nearest_station"].astype(str).to_numpy(),
        "minutes": [_fmt_minutes(m) for m in minutes],
        "r": np.round(2.5 + 2.0 * np.sqrt(demand["weight"].to_numpy()), 1),
        "ok": covered.astype(bool),
    }, geometry=demand.geometry.to_numpy(), crs="EPSG:4326")
    # one GeoJSON layer of circle markers: far smaller and faster than one marker each
    folium.GeoJson(
        _geojson(points),
        marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.75),
        style_function=lambda f: {
            "radius": f["properties"]["r"],
            "color": COVERED if f["properties"]["ok"] else UNCOVERED,
            "fillColor": COVERED if f["properties"]["ok"] else UNCOVERED,
        },
        tooltip=folium.GeoJsonTooltip(["name", "minutes"], aliases=["", "to nearest station"]),
        popup=folium.GeoJsonPopup(["name", "kind", "weight", "station", "minutes"],
                                  aliases=["place", "kind", "weight", "nearest station",
                                           "travel time"]),
    ).add_to(group)


DENSITY_COLOURS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


def _add_density(folium, fmap, demand: gpd.GeoDataFrame, label: str, *, cell_m: float) -> None:
    """Demand weight per square cell (a heat map that needs no JavaScript plugin), hidden at
    first; colours by quintile of the cells' weight."""
    if demand.empty:
        return
    crs = demand.estimate_utm_crs()
    xy = shapely.get_coordinates(demand.geometry.to_crs(crs).to_numpy())
    cells = np.floor(xy / cell_m).astype(np.int64)
    keys, inverse = np.unique(cells, axis=0, return_inverse=True)
    weight = np.bincount(inverse.ravel(), weights=demand["weight"].to_numpy(float))
    count = np.bincount(inverse.ravel())
    edges = np.quantile(weight, [0.2, 0.4, 0.6, 0.8]) if weight.size > 4 else np.array([])
    level = np.searchsorted(edges, weight, side="right") if edges.size else np.full(
        weight.size, len(DENSITY_COLOURS) - 1)
    boxes = shapely.box(keys[:, 0] * cell_m, keys[:, 1] * cell_m, (keys[:, 0] + 1) * cell_m,
                        (keys[:, 1] + 1) * cell_m)
    frame = gpd.GeoDataFrame({"weight": np.round(weight, 2), "places": count,
                              "level": level.astype(int)}, geometry=boxes, crs=crs)
    frame = frame.to_crs("EPSG:4326")
    group = folium.FeatureGroup(name=f"{label}demand density ({cell_m:.0f} m cells)", show=False)
    folium.GeoJson(
        _geojson(frame),
        style_function=lambda f: {"color": "#7f2704", "weight": 0.3, "fillOpacity": 0.55,
                                  "fillColor": DENSITY_COLOURS[f["properties"]["level"]]},
        tooltip=folium.GeoJsonTooltip(["weight", "places"],
                                      aliases=["demand weight", "places"]),
    ).add_to(group)
    group.add_to(fmap)


def _add_stations(folium, fmap, results: Sequence[CoverageResult], labels,
                  hide: frozenset = frozenset()) -> None:
    group = folium.FeatureGroup(name="Stations", show=True)
    # every station of any result, where it first appears (scenarios may add stations);
    # ``hide`` holds ids drawn by another layer (proposed sites)
    everyone = gpd.GeoDataFrame(pd.concat([r.stations for r in results], ignore_index=True),
                                crs="EPSG:4326").drop_duplicates("id")
    everyone = everyone[~everyone["id"].isin(hide)]
    for row in everyone.itertuples():
        lines = []
        for result, label in zip(results, labels):
            match = result.stations[result.stations["id"] == row.id]
            if match.empty:
                continue
            station = match.iloc[0]
            lines.append(
                f"{html.escape(label + ', ' if label else '')}"
                f"{html.escape(result.travel.label)}: serves {station.served_weight:g} "
                f"weight ({station.served_places} places) within {result.threshold:g} min"
            )
        if not row.on_network:
            lines.append("<i>off the street network: not used</i>")
        popup = f"<b>{html.escape(str(row.name))}</b> ({html.escape(row.id)})<br>" + "<br>".join(
            lines)
        badge = (
            f'<div style="background:{STATION};color:#fff;border:2px solid #fff;'
            'border-radius:4px;font:bold 11px sans-serif;padding:2px 4px;'
            f'box-shadow:0 0 3px #000;white-space:nowrap">{html.escape(row.id)}</div>'
        )
        folium.Marker(
            location=[row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(html=badge, icon_size=(_badge_width(row.id), 18),
                                icon_anchor=(_badge_width(row.id) // 2, 9)),
            popup=folium.Popup(popup, max_width=320),
            tooltip=str(row.name),
        ).add_to(group)
    group.add_to(fmap)


def _badge_width(text: str) -> int:
    """Pixel width of a station badge: long ids (candidate sites) get a wider box."""
    return max(34, 7 * len(str(text)) + 12)


def _legend_html(minutes: Sequence[float]) -> str:
    rows = "".join(
        f'<div><span style="background:{BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]};'
        'display:inline-block;width:14px;height:10px;opacity:.7;margin-right:6px"></span>'
        f"within {m:g} min of a station</div>"
        for i, m in enumerate(sorted(minutes))
    )
    dot = ('display:inline-block;width:10px;height:10px;border-radius:50%;'
           'margin-right:6px;background:')
    return (
        '<div id="planner-legend" style="position:fixed;bottom:28px;left:10px;z-index:9999;'
        'background:rgba(255,255,255,.92);padding:8px 10px;border-radius:6px;'
        'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<b>Legend</b>{rows}"
        f'<div><span style="background:{STATION};color:#fff;font-size:10px;padding:0 3px;'
        'border-radius:3px;margin-right:6px">S1</span>station</div>'
        f'<div><span style="background:{PROPOSED};color:#fff;font-size:10px;padding:0 3px;'
        'border-radius:6px;margin-right:6px">P1</span>proposed station (if any)</div>'
        f'<div><span style="{dot}{COVERED}"></span>demand reached in time (size = weight)</div>'
        f'<div><span style="{dot}{UNCOVERED}"></span>demand not reached in time</div>'
        f'<div><span style="display:inline-block;width:14px;height:10px;border:2px dashed '
        f'{UNCOVERED};margin-right:6px"></span>gap area</div>'
        f'<div style="margin-top:4px;color:#555">Map data {ATTRIBUTION}</div></div>'
    )


def _summary_html(results: Sequence[CoverageResult], labels, title: str | None,
                  note: str | None, extra_html: str = "") -> str:
    first = results[0]
    blocks = []
    for result, label in zip(results, labels):
        summary = result.summary()
        heading = f"{label}: " if label and label != result.travel.mode else ""
        shares = " · ".join(
            f"{m}&nbsp;min&nbsp;<b>{v['share'] * 100:.1f}%</b>"
            for m, v in summary["covered"].items()
        )
        times = summary["minutes_to_nearest"]
        blocks.append(
            f"<div style='margin-top:4px'><b>{html.escape(heading + result.travel.label)}</b><br>"
            f"covered: {shares}<br>"
            f"gaps: <b>{summary['gaps']}</b> (weight {summary['gap_weight']:g}); "
            f"median {times['median']} min, p90 {times['p90']} min</div>"
        )
    heading = html.escape(title or f"15-minute service circle: {first.network}")
    return (
        '<div id="planner-summary" style="position:fixed;bottom:28px;right:10px;z-index:9999;'
        'max-width:330px;max-height:45vh;overflow-y:auto;background:rgba(255,255,255,.94);padding:8px 10px;border-radius:6px;'
        'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<div style='font-size:14px'><b>{heading}</b></div>"
        f"<div>{len(first.stations)} stations · {len(first.demand)} demand places "
        f"(weight {first.demand['weight'].sum():g})</div>"
        + "".join(blocks)
        + extra_html
        + (f"<div style='margin-top:4px;color:#a33'>{html.escape(note)}</div>" if note else "")
        + "</div>"
    )


def curve_svg(curve: Sequence[Mapping], *, width: int = 300, height: int = 110) -> str:
    """A small inline SVG chart of covered share against stations added (no JS needed)."""
    if len(curve) < 2:
        return ""
    ks = [float(p["k"]) for p in curve]
    shares = [float(p["covered_share"]) for p in curve]
    left, bottom, top, right = 30, height - 18, 8, width - 8
    low = min(shares)
    span = max(1e-9, 1.0 - low)

    def x(k):
        return left + (right - left) * (k - ks[0]) / max(1e-9, ks[-1] - ks[0])

    def y(s):
        return bottom - (bottom - top) * (s - low) / span

    points = " ".join(f"{x(k):.1f},{y(s):.1f}" for k, s in zip(ks, shares))
    dots = "".join(f'<circle cx="{x(k):.1f}" cy="{y(s):.1f}" r="2.5" fill="{PROPOSED}">'
                   f"<title>{int(k)} new: {s:.1%}</title></circle>" for k, s in zip(ks, shares))
    return (
        f'<div id="planner-curve" style="margin-top:6px"><b>Coverage curve</b> '
        f"(share covered as stations are added)<br>"
        f'<svg width="{width}" height="{height}" style="font:10px sans-serif">'
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>'
        f'<text x="2" y="{top + 8}">100%</text><text x="2" y="{bottom}">{low:.0%}</text>'
        f'<text x="{left}" y="{height - 4}">0</text>'
        f'<text x="{right - 40}" y="{height - 4}">{int(ks[-1])} new</text>'
        f'<polyline points="{points}" fill="none" stroke="{PROPOSED}" stroke-width="2"/>'
        f"{dots}</svg></div>"
    )


def proposal_map(result, *, network: Network | None = None, self_contained: bool = True,
                 note: str | None = None, tiles: Sequence[str] = ("osm",)):
    """Existing vs proposed stations with before/after coverage bands and the curve."""
    from planner.analysis.proposals import gain_text

    folium = _import_folium()
    results, labels = [], []
    if result.before is not None:
        results.append(result.before)
        labels.append("before")
    if result.after is not None:
        results.append(result.after)
        labels.append("after")
    if not results:
        raise ValueError("the proposal has no coverage to draw (with_coverage=False)")
    solver = result.solution
    text = (f"<div style='margin-top:6px'><b>Proposal</b>: {html.escape(solver.headline())}: "
            f"{len(result.sites)} new site(s) from {len(result.candidates)} candidates"
            + (" (curve: greedy, a lower bound)" if result.curve else "") + "</div>")
    fmap = _coverage_layers(results, network=network, labels=labels, self_contained=self_contained,
                        title=f"Proposed stations: {results[0].network}", note=note, tiles=tiles,
                        hide_stations=frozenset(result.sites["id"].astype(str)),
                        extra_html=text + curve_svg(result.curve))
    group = folium.FeatureGroup(name="Proposed stations", show=True)
    for row in result.sites.itertuples():
        popup = (
            f"<b>#{row.rank} {html.escape(str(row.name))}</b> ({html.escape(str(row.id))})<br>"
            f"{html.escape(str(row.source))}: {html.escape(str(row.kind))}<br>"
            f"{html.escape(gain_text(row))}<br>"
            f"street: {html.escape(str(row.street) or '-')}<br>"
            f"near: {html.escape(str(row.nearest_place) or '-')}"
        )
        badge = (
            f'<div style="background:{PROPOSED};color:#fff;border:2px dashed #fff;'
            'border-radius:10px;font:bold 11px sans-serif;padding:2px 5px;'
            f'box-shadow:0 0 3px #000;white-space:nowrap">P{row.rank}</div>'
        )
        folium.Marker([row.geometry.y, row.geometry.x],
                      icon=folium.DivIcon(html=badge, icon_size=(30, 18), icon_anchor=(15, 9)),
                      popup=folium.Popup(popup, max_width=320),
                      tooltip=f"proposed #{row.rank}: {row.name}").add_to(group)
    group.add_to(fmap)
    return with_layer_control(fmap)


def save_map(fmap, path: str | Path) -> Path:
    """Write a folium map to ``path`` atomically."""
    return _io.write_text(Path(path), fmap.get_root().render())


def write_coverage_outputs(
    results: Sequence[CoverageResult], fmap, *, map_path: Path, report_path: Path,
    extra: Mapping[str, object] | None = None,
) -> list[Path]:
    """Write the map and the JSON report together: both replaced, or neither."""
    report = {**(dict(extra) if extra else {}), "results": [r.to_dict() for r in results]}
    return write_bundle(fmap=fmap, map_path=map_path, report=report, report_path=report_path)


def write_bundle(
    *,
    fmap=None,
    map_path: Path | None = None,
    report: Mapping | None = None,
    report_path: Path | None = None,
    frames: Mapping[Path, gpd.GeoDataFrame] | None = None,
    texts: Mapping[Path, str] | None = None,
) -> list[Path]:
    """Write a map, a JSON report, GeoJSON/CSV tables and texts: all replaced, or none.

    Everything is rendered in memory first, so a failure leaves earlier outputs untouched.
    """
    writers: dict[Path, object] = {}
    if fmap is not None and map_path is not None:
        page = fmap.get_root().render()
        writers[Path(map_path)] = lambda p, page=page: p.write_text(page, encoding="utf-8")
    if report is not None and report_path is not None:
        text = json.dumps({**report, "attribution": "Map data © OpenStreetMap contributors, ODbL"},
                          ensure_ascii=False, indent=2, allow_nan=False, default=_json_default)
        writers[Path(report_path)] = lambda p, text=text: p.write_text(text, encoding="utf-8")
    for path, frame in (frames or {}).items():
        path = Path(path)
        if path.suffix.lower() == ".csv":
            table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
            table.insert(len(table.columns), "lon", frame.geometry.x.round(6))
            table.insert(len(table.columns), "lat", frame.geometry.y.round(6))
            text = table.to_csv(index=False)
        else:
            text = frame.to_json(ensure_ascii=False, drop_id=True)
        writers[path] = lambda p, text=text: p.write_text(text, encoding="utf-8")
    for path, text in (texts or {}).items():
        writers[Path(path)] = lambda p, text=text: p.write_text(text, encoding="utf-8")
    return _io.write_all(writers)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
