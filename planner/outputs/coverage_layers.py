"""The coverage map: service-area bands, gaps, demand, density and stations of each result.

Every text given here (labels, titles, notes, names from the layers) is plain text: it is
escaped where it lands (see :mod:`planner.outputs._escape`); only ``extra_html`` is HTML and
must be built by the planner with its data already escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.analysis.coverage import CoverageResult
from planner.data.network import Network
from planner.outputs import panels
from planner.outputs._base import (BAND_COLOURS, COVERED, MAX_DEMAND_MARKERS, STATION, UNCOVERED,
                                   fmt_minutes, for_display, geojson_dict, import_folium,
                                   new_map, street_lines, with_layer_control)
from planner.outputs._elements import (FeatureDetail, HtmlPopup, TextTooltip, feature_group,
                                       geojson)
from planner.outputs._escape import html_text
from planner.i18n import _, fmt_places, fmt_weight, language, mode_name, travel_label
from planner.outputs._datum import map_datum

__all__ = ["coverage_map", "coverage_layers"]

DENSITY_COLOURS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


def coverage_map(results: Sequence[CoverageResult], **options) -> "folium.Map":  # noqa: F821
    """A folium map of one or more coverage results (e.g. riders on e-bikes and on foot).

    The first result's layers are shown; the others start hidden in the layer control.
    Options: ``network`` (draws the streets as a base layer), ``title``, ``note``,
    ``labels`` (one per result), ``grouped`` (one layer group per result: for scenarios),
    ``self_contained`` (default True: Leaflet inlined from the
    installed ``xstatic-leaflet`` package, tiles start hidden, so the file opens with no
    network at all), ``lang`` (``"en"``/``"zh"``: the language of legend, panels, tooltips
    and layer names; default: the one in effect, see :mod:`planner.i18n`). Titles, notes,
    labels and names are plain text, shown as written.
    """
    with language(options.pop("lang", None)):
        return with_layer_control(coverage_layers(results, **options))


def coverage_layers(
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
    """The coverage map without its layer control (callers add layers, then the control)."""
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
        _add_streets(fmap, network, tolerance_m)
    if labels is None:
        labels = [mode_name(r.travel.mode) for r in results] if len(results) > 1 else [""]
    labels = [str(label) for label in labels]
    if len(labels) != len(results):
        raise ValueError("give one label per result")
    show_index = len(results) - 1 if extra_html else 0
    for index, (result, label) in enumerate(zip(results, labels)):
        _add_result_layers(fmap, result, show=index == show_index, label=label,
                           tolerance_deg=tolerance_m / 111_000,
                           density_cell_m=max(150.0, extent_m / 40), grouped=grouped)
    _add_stations(fmap, results, labels, hide_stations)
    from planner.outputs import measure_layers
    import folium
    extra_html = measure_layers.add(folium, fmap, results, labels) + extra_html

    fmap.fit_bounds([[south, west], [north, east]])
    fmap.get_root().html.add_child(Element(panels.legend_html(first.minutes,
                                                              datum=map_datum(fmap))))
    fmap.get_root().html.add_child(Element(panels.summary_html(results, labels, title, note,
                                                               extra_html)))
    return fmap


def _add_streets(fmap, network: Network, tolerance_m: float) -> None:
    lines = street_lines(network, tolerance_m=tolerance_m)
    layer = feature_group(_("Streets (OSM network)"), show=True)
    geojson(
        # one MultiLineString feature: no per-street feature overhead in the file
        geojson_dict(gpd.GeoDataFrame(geometry=[shapely.multilinestrings(lines.to_numpy())],
                                      crs="EPSG:4326")),
        style_function=lambda _: {"color": "#777777", "weight": 1, "opacity": 0.6},
        interactive=False,
    ).add_to(layer)
    layer.add_to(fmap)


def _add_result_layers(fmap, result: CoverageResult, *, show: bool, label: str,
                       tolerance_deg: float = 0.0, density_cell_m: float = 200.0,
                       grouped: bool = False):
    """The layers of one result; ``grouped`` puts its bands, gaps and demand in one layer
    group named ``label`` (one tick box per scenario) and leaves out the optional layers."""
    shared = None
    if grouped:
        shared = feature_group(label or travel_label(result.travel), show=show)
        shared.add_to(fmap)

    def layer(name: str, visible: bool):
        if shared is not None:
            return shared
        group = feature_group(name, show=visible)
        group.add_to(fmap)
        return group

    prefix = f"{label}: " if label else ""
    iso = result.isochrones
    if len(iso):
        iso = iso.set_geometry(for_display(iso.geometry.to_numpy(), tolerance_deg,
                                           outline=(iso["station_id"] != "all").to_numpy()))
    _add_bands(result, iso, prefix, show, layer)
    per_station = iso[(iso["station_id"] != "all") & (iso["minutes"] == result.threshold)]
    if len(per_station) and not grouped:
        group = feature_group(prefix + _("{minutes}-min area of each station").format(
            minutes=f"{result.threshold:g}"), show=False)
        geojson(
            geojson_dict(per_station[["station_id", "minutes", "area_km2", "geometry"]]),
            style_function=lambda _: {"color": STATION, "weight": 2, "fill": False,
                                      "dashArray": "4 4"},
            tooltip=FeatureDetail(["station_id", "area_km2"], [_("station"), _("area (km²)")]),
        ).add_to(group)
        group.add_to(fmap)
    if len(result.gaps):
        geojson(
            geojson_dict(result.gaps.drop(columns=["place_ids"])),
            style_function=lambda _: {"color": UNCOVERED, "weight": 2, "fillColor": UNCOVERED,
                                      "fillOpacity": 0.15, "dashArray": "6 4"},
            tooltip=FeatureDetail(
                ["gap_id", "places", "weight", "worst_minutes", "anchor_name"],
                [_("gap"), _("places"), _("demand weight"), _("worst (min)"),
                 _("largest place")]),
        ).add_to(layer(prefix + _("gaps (beyond {minutes} min)").format(
            minutes=f"{result.threshold:g}"), show))
    if not grouped:
        _add_density(fmap, result.demand, prefix, cell_m=density_cell_m)
    _add_demand(result, layer(prefix + _("demand (size = weight)"), show))


def _add_bands(result: CoverageResult, iso: gpd.GeoDataFrame, prefix: str, show: bool,
               layer) -> None:
    """One filled band per threshold (the dissolved area of every station), widest first."""
    dissolved = iso[iso["station_id"] == "all"].sort_values("minutes", ascending=False)
    colour_of = {m: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]
                 for i, m in enumerate(sorted(result.minutes))}
    for row in dissolved.itertuples():
        colour = colour_of[row.minutes]
        geojson(
            geojson_dict(gpd.GeoDataFrame({"minutes": [row.minutes], "area_km2": [row.area_km2]},
                                          geometry=[row.geometry], crs="EPSG:4326")),
            style_function=lambda _, c=colour: {"color": c, "weight": 1, "fillColor": c,
                                                "fillOpacity": 0.35},
            tooltip=FeatureDetail(["minutes", "area_km2"], [_("within (min)"), _("area (km²)")]),
        ).add_to(layer(prefix + _("within {minutes} min").format(minutes=f"{row.minutes:g}"),
                       show))


def _add_demand(result: CoverageResult, group) -> None:
    """Demand places as circle markers sized by weight, coloured by reached / not reached."""
    demand = result.demand
    covered = demand[f"covered_{result.threshold:g}"].to_numpy(dtype=bool)  # the one rule
    if len(demand) > MAX_DEMAND_MARKERS:
        demand = demand[~covered]  # keep the file small: only the places that need action
        covered = covered[~covered]
    minutes = demand["minutes_to_nearest"].to_numpy()
    points = gpd.GeoDataFrame({
        "name": demand["name"].astype(str).to_numpy(),
        "kind": demand["kind"].astype(str).to_numpy(),
        "weight": demand["weight"].to_numpy(),
        "station": demand["nearest_station"].astype(str).to_numpy(),
        "minutes": [fmt_minutes(m) for m in minutes],
        "r": np.round(2.5 + 2.0 * np.sqrt(demand["weight"].to_numpy()), 1),
        "ok": covered.astype(bool),
    }, geometry=demand.geometry.to_numpy(), crs="EPSG:4326")
    folium = import_folium()
    # one GeoJSON layer of circle markers: far smaller and faster than one marker each
    geojson(
        geojson_dict(points),
        marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.75),
        style_function=lambda f: {
            "radius": f["properties"]["r"],
            "color": COVERED if f["properties"]["ok"] else UNCOVERED,
            "fillColor": COVERED if f["properties"]["ok"] else UNCOVERED,
        },
        tooltip=FeatureDetail(["name", "minutes"], ["", _("to nearest station")]),
        popup=FeatureDetail(["name", "kind", "weight", "station", "minutes"],
                            [_("place"), _("kind"), _("weight"), _("nearest station"),
                             _("travel time")], popup=True),
    ).add_to(group)


def _add_density(fmap, demand: gpd.GeoDataFrame, prefix: str, *, cell_m: float) -> None:
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
    group = feature_group(prefix + _("demand density ({cell} m cells)").format(
        cell=f"{cell_m:.0f}"), show=False)
    geojson(
        geojson_dict(frame),
        style_function=lambda f: {"color": "#7f2704", "weight": 0.3, "fillOpacity": 0.55,
                                  "fillColor": DENSITY_COLOURS[f["properties"]["level"]]},
        tooltip=FeatureDetail(["weight", "places"], [_("demand weight"), _("places")]),
    ).add_to(group)
    group.add_to(fmap)


def _add_stations(fmap, results: Sequence[CoverageResult], labels: Sequence[str],
                  hide: frozenset = frozenset()) -> None:
    """Every station of any result (scenarios may add some) as a badge with its id, where it
    first appears; ``hide`` holds ids drawn by another layer (proposed sites)."""
    folium = import_folium()
    group = feature_group(_("Stations"), show=True)
    everyone = gpd.GeoDataFrame(pd.concat([r.stations for r in results], ignore_index=True),
                                crs="EPSG:4326").drop_duplicates("id")
    everyone = everyone[~everyone["id"].isin(hide)]
    for row in everyone.itertuples():
        station_id = str(row.id)
        badge = (
            f'<div style="background:{STATION};color:#fff;border:2px solid #fff;'
            'border-radius:4px;font:bold 11px sans-serif;padding:2px 4px;'
            f'box-shadow:0 0 3px #000;white-space:nowrap">{html_text(station_id)}</div>'
        )
        marker = folium.Marker(
            location=[row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(html=badge, icon_size=(_badge_width(station_id), 18),
                                icon_anchor=(_badge_width(station_id) // 2, 9)))
        marker.add_child(HtmlPopup(_station_popup(row, results, labels), max_width=320))
        marker.add_child(TextTooltip(row.name))
        marker.add_to(group)
    group.add_to(fmap)


def _station_popup(row, results: Sequence[CoverageResult], labels: Sequence[str]) -> str:
    lines = []
    for result, label in zip(results, labels):
        match = result.stations[result.stations["id"] == row.id]
        if match.empty:
            continue
        station = match.iloc[0]
        lines.append(
            f"{html_text(label + ', ' if label else '')}"
            + html_text(_("{travel}: serves {weight} ({places}) within {minutes} min").format(
                travel=travel_label(result.travel), weight=fmt_weight(station.served_weight),
                places=fmt_places(int(station.served_places)),
                minutes=f"{result.threshold:g}"))
        )
    if not row.on_network:
        lines.append("<i>" + html_text(_("off the street network: not used")) + "</i>")
    return f"<b>{html_text(row.name)}</b> ({html_text(row.id)})<br>" + "<br>".join(lines)


def _badge_width(text: str) -> int:
    """Pixel width of a station badge: long ids (candidate sites) get a wider box."""
    return max(34, 7 * len(str(text)) + 12)
