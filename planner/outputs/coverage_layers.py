"""The coverage map: service-area bands, gaps, demand, density and stations of each result.

Every text given here (labels, titles, notes, names from the layers) is plain text: it is
escaped where it lands (see :mod:`planner.outputs._escape`); only ``extra_html`` is HTML and
must be built by the planner with its data already escaped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

import geopandas as gpd
import numpy as np
import shapely

from planner.analysis.coverage import CoverageResult
from planner.data.network import Network
from planner.outputs import change_layers, panels
from planner.outputs._demand_cells import CELLS_ABOVE, add_demand_cells
from planner.outputs._base import (BAND_COLOURS, COVERED, MAX_DEMAND_MARKERS, STATION, UNCOVERED,
                                   fmt_minutes, for_display, import_folium,
                                   new_map, street_lines, with_layer_control)
from planner.outputs._compact import SharedTable
from planner.outputs._elements import FeatureDetail, feature_group, geojson
from planner.i18n import _, fmt_places, fmt_weight, language, mode_name, travel_label
from planner.outputs._datum import map_datum
from planner.outputs._places import kind_texts, nearest_texts, place_labels
from planner.outputs.panels import OFF_NETWORK
from planner.outputs.station_marks import MANY_STATIONS, add_station_layer, station_marks

__all__ = ["coverage_map", "coverage_layers", "add_result_layers", "add_streets", "map_frame",
           "add_demand", "add_density"]

DENSITY_COLOURS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


def coverage_map(results: Sequence[CoverageResult], **options) -> "folium.Map":  # noqa: F821
    """A folium map of one or more coverage results (e.g. riders on e-bikes and on foot).

    The map opens on the result with the largest gap weight (the others are listed, hidden,
    in their own sections of the layer panel). Options: ``network`` (draws the streets),
    ``title``, ``note``, ``labels`` (one per result), ``baselines`` (per result, a coverage
    result to compare with: before/after highlights and a summary line), ``change_label``
    (what changed, e.g. "S2 closed"), ``show`` (index of the result shown first),
    ``self_contained`` (default True: Leaflet inlined from the installed ``xstatic-leaflet``
    package, tiles start hidden, so the file opens with no network at all). Titles, notes,
    labels and names are plain text, shown as written. ``lang`` (``"en"``/``"zh"``): the
    language of legend, panels, tooltips and layer names (default: the one in effect, see
    :mod:`planner.i18n`).
    """
    with language(options.pop("lang", None)):
        return with_layer_control(coverage_layers(results, **options))


def map_frame(results: Sequence[CoverageResult], *, self_contained: bool,
              tiles: Sequence[str]):
    """An empty map around the results' stations and demand; (map, tolerance_m, extent_m)."""
    boxes = np.array([frame.total_bounds for r in results for frame in (r.demand, r.stations)
                      if len(frame)])
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    fmap = new_map([(south + north) / 2, (west + east) / 2], self_contained=self_contained,
                   tiles=tiles)
    fmap.planner_bounds = [[float(south), float(west)], [float(north), float(east)]]
    # draw detail to the map's scale: about 1/10,000 of its extent (2 m for a district,
    # 10 m for a 100 km region), so large maps stay small files
    extent_m = max(east - west, north - south) * 111_000
    return fmap, max(2.0, extent_m / 10_000), extent_m


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
    baselines: Sequence[CoverageResult | None] | None = None,
    change_label: str | None = None,
    show: int | None = None,
    drawn: Collection[str] = (),
):
    """The coverage map without its layer panel (callers add layers, then the panel)."""
    from branca.element import Element

    if not results:
        raise ValueError("coverage_map needs at least one coverage result")
    fmap, tolerance_m, extent_m = map_frame(results, self_contained=self_contained,
                                            tiles=tiles)
    if network is not None:
        add_streets(fmap, network, tolerance_m)
    if labels is None:
        labels = [mode_name(r.travel.mode) for r in results] if len(results) > 1 else [""]
    labels = [str(label) for label in labels]
    baselines = list(baselines) if baselines is not None else [None] * len(results)
    if len(labels) != len(results) or len(baselines) != len(results):
        raise ValueError("give one label (and one baseline) per result")
    if show is None:
        show = len(results) - 1 if extra_html else int(np.argmax(
            [r.gaps["weight"].sum() if len(r.gaps) else 0.0 for r in results]))
    drawn = set(drawn)
    changes = []
    for index, (result, label, base) in enumerate(zip(results, labels, baselines)):
        section = label or travel_label(result.travel)
        change = change_layers.compare(base, result)
        drawn |= add_result_layers(fmap, result, section=section, show=index == show,
                                   switch=len(results) > 1, tolerance_deg=tolerance_m / 111_000,
                                   density_cell_m=max(150.0, extent_m / 40), change=change)
        if change is not None:
            changes.append(change_layers.change_line(
                change, change_label or (_("{label}: plan").format(label=label) if label
                                         else _("plan"))))
    main = results[show]
    before = baselines[show].stations if baselines[show] is not None else None
    marks = station_marks(before, main.stations, hide=hide_stations)
    drawn |= {"stations" if len(marks) <= MANY_STATIONS else "station_dots"}
    drawn |= {m.state for m in marks if m.state in ("closed", "moved")}
    drawn |= {"proposed"} if any(m.state == "added" for m in marks) else set()
    add_station_layer(fmap, marks, name=_("Stations"), section=_("Stations"), show=True,
                      label=_("stations"),
                      details=_station_details(results, labels))
    from planner.outputs import measure_layers

    extra_html = measure_layers.add(fmap, results, labels) + extra_html
    fmap.get_root().html.add_child(Element(panels.legend_html(main.minutes, drawn=drawn,
                                                              datum=map_datum(fmap))))
    fmap.get_root().html.add_child(Element(panels.summary_html(
        results, labels, title, note, extra_html, lead_html="".join(changes))))
    return fmap


def add_streets(fmap, network: Network, tolerance_m: float) -> None:
    lines = street_lines(network, tolerance_m=tolerance_m)
    layer = feature_group(_("Streets (OSM network)"), show=True, section=_("Base map"),
                          label=_("streets (OSM network)"))
    geojson(
        # one MultiLineString feature: no per-street feature overhead in the file
        gpd.GeoDataFrame(geometry=[shapely.multilinestrings(lines.to_numpy())], crs="EPSG:4326"),
        style_function=lambda _: {"color": "#777777", "weight": 1, "opacity": 0.6},
        interactive=False,
    ).add_to(layer)
    layer.add_to(fmap)


def _per_station_name(per_station, threshold: float) -> str:
    """The per-station layer's name: each station's own outline, or (many stations) its
    catchment, the part of the service area where it is the nearest station."""
    catchments = "outline" in per_station and (per_station["outline"] == "catchment").all()
    text = (_("{minutes}-min catchment of each station (nearest station)") if catchments
            else _("{minutes}-min area of each station"))
    return text.format(minutes=f"{threshold:g}")


def add_result_layers(fmap, result: CoverageResult, *, section: str, show: bool,
                      switch: bool = False, tolerance_deg: float = 0.0,
                      density_cell_m: float = 200.0, compact: bool = False,
                      change=None, context: str = "") -> set[str]:
    """The layers of one result in the panel section ``section``; ``compact`` (scenarios)
    draws the bands as one layer and leaves out the optional layers; ``change`` (from
    :func:`planner.outputs.change_layers.compare`) adds the before/after highlights.
    Returns the legend keys drawn."""
    def layer(name: str, visible: bool = show, main: bool = True):
        group = feature_group(f"{section}: {name}", show=visible, section=section,
                              label=name, main=main, switch=switch)
        group.add_to(fmap)
        return group

    drawn: set[str] = set()
    iso = result.isochrones
    if len(iso):
        iso = iso.set_geometry(for_display(iso.geometry.to_numpy(), tolerance_deg,
                                           outline=(iso["station_id"] != "all").to_numpy()))
    minutes = "/".join(f"{m:g}" for m in sorted(result.minutes))
    bands = layer(_("service area ({minutes} min)").format(minutes=minutes)) if compact \
        else None
    _add_bands(result, iso, lambda name: bands or layer(name))
    per_station = iso[(iso["station_id"] != "all") & (iso["minutes"] == result.threshold)]
    if len(per_station) and not compact:
        geojson(
            per_station[["station_id", "minutes", "area_km2", "geometry"]],
            style_function=lambda _: {"color": STATION, "weight": 2, "fill": False,
                                      "dashArray": "4 4"},
            tooltip=FeatureDetail(["station_id", "area_km2"], [_("station"), _("area (km²)")]),
        ).add_to(layer(_per_station_name(per_station, result.threshold), False, False))
    if len(result.gaps):
        drawn.add("gaps")
        gaps = result.gaps.drop(columns=["place_ids"]).assign(scenario=context)
        fields = ["gap_id", "places", "weight", "worst_minutes", "anchor_name"]
        aliases = [_("gap"), _("places"), _("demand weight"), _("worst (min)"),
                   _("largest place")]
        geojson(
            gaps,
            style_function=lambda _: {"color": UNCOVERED, "weight": 2, "fillColor": UNCOVERED,
                                      "fillOpacity": 0.15, "dashArray": "6 4"},
            tooltip=FeatureDetail((["scenario"] if context else []) + fields,
                                  (["scenario"] if context else []) + aliases),
        ).add_to(layer(_("gaps (beyond {minutes} min)").format(
            minutes=f"{result.threshold:g}")))
    if not compact:
        group = layer(_("demand density ({cell} m cells)").format(cell=f"{density_cell_m:.0f}"),
                      False, False)
        if add_density(group, result.demand, cell_m=density_cell_m):
            drawn.add("density")
    cells = len(result.demand) > CELLS_ABOVE
    drawn |= add_demand(result, layer(_("demand cells (share of weight reached)") if cells
                                      else _("demand (size = weight)")), context=context)
    if change is not None:
        drawn |= change_layers.add_change_layer(fmap, result, change, section=section,
                                                show=show, context=context, switch=switch)
    return drawn


def _station_details(results: Sequence[CoverageResult], labels: Sequence[str]) -> dict:
    """Popup lines per station id: what it serves in each result (plain text; the station
    layer escapes them)."""
    lines: dict[str, list[str]] = {}
    for result, label in zip(results, labels):
        for row in result.stations.itertuples():
            lines.setdefault(str(row.id), []).append(
                (label + ", " if label else "")
                + _("{travel}: serves {weight} ({places}) within {minutes} min").format(
                    travel=travel_label(result.travel), weight=fmt_weight(row.served_weight),
                    places=fmt_places(int(row.served_places)),
                    minutes=f"{result.threshold:g}"))
    return lines


def _add_bands(result: CoverageResult, iso: gpd.GeoDataFrame, layer) -> None:
    """One filled band per threshold (the dissolved area of every station), widest first;
    ``layer(name)`` gives the group each band goes into."""
    dissolved = iso[iso["station_id"] == "all"].sort_values("minutes", ascending=False)
    colour_of = {m: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]
                 for i, m in enumerate(sorted(result.minutes))}
    for row in dissolved.itertuples():
        colour = colour_of[row.minutes]
        geojson(
            gpd.GeoDataFrame({"minutes": [row.minutes], "area_km2": [row.area_km2]},
                             geometry=[row.geometry], crs="EPSG:4326"),
            style_function=lambda _, c=colour: {"color": c, "weight": 1, "fillColor": c,
                                                "fillOpacity": 0.35},
            tooltip=FeatureDetail(["minutes", "area_km2"], [_("within (min)"), _("area (km²)")]),
        ).add_to(layer(_("within {minutes} min").format(minutes=f"{row.minutes:g}")))


def add_demand(result: CoverageResult, group, *, context: str = "") -> set[str]:
    """Demand places as circle markers sized by weight, coloured by reached / not reached
    (places off the street network grey with a red ring); returns the legend keys drawn."""
    demand = result.demand
    if len(demand) > CELLS_ABOVE:  # too many for markers: cells, finer on zoom
        add_demand_cells(result, group)
        return {"demand_cells"}
    covered = demand[f"covered_{result.threshold:g}"].to_numpy(dtype=bool)  # the one rule
    if len(demand) > MAX_DEMAND_MARKERS:
        demand = demand[~covered]  # keep the file small: only the places that need action
        covered = covered[~covered]
    minutes = demand["minutes_to_nearest"].to_numpy()
    off = ~demand["on_network"].to_numpy(bool) if "on_network" in demand else \
        np.zeros(len(demand), dtype=bool)
    folium = import_folium()
    lead = ["scenario"] if context else []
    # one layer of circle markers (far smaller and faster than one marker each); the places
    # themselves (points, names, weights) are written once for every mode of the map
    geojson(
        None,
        table=_place_table(group._parent, demand),
        columns={"scenario": context, "station": nearest_texts(demand, result.stations),
                 "minutes": _minutes_texts(minutes, off)},
        style_columns={"ok": covered.astype(bool), "off": off},
        marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.75),
        style_function=lambda f: {
            "radius": f["properties"]["r"],
            "color": UNCOVERED if f["properties"]["off"] else
            COVERED if f["properties"]["ok"] else UNCOVERED,
            "weight": 2 if f["properties"]["off"] else 1,
            "fillColor": OFF_NETWORK if f["properties"]["off"] else
            COVERED if f["properties"]["ok"] else UNCOVERED,
        },
        tooltip=FeatureDetail(lead + ["place", "what", "minutes"],
                              lead + ["", "", _("to nearest station")]),
        popup=FeatureDetail(lead + ["place", "kind", "at", "weight", "station", "minutes"],
                            lead + [_("place"), _("kind"), _("at"), _("weight"),
                                    _("nearest station"), _("travel time")], popup=True),
    ).add_to(group)
    drawn = {"demand"} if covered.any() else set()
    drawn |= {"uncovered"} if (~covered & ~off).any() else set()
    return drawn | ({"off_network"} if off.any() else set())


def _minutes_texts(minutes: np.ndarray, off: np.ndarray) -> np.ndarray:
    """:func:`fmt_minutes` of each place (each distinct value formatted once)."""
    values, inverse = np.unique(np.asarray(minutes, dtype=float), return_inverse=True)
    texts = np.asarray([fmt_minutes(v) for v in values.tolist()], dtype=object)[inverse.ravel()]
    texts[np.asarray(off, dtype=bool)] = "off the street network"
    return texts


def _place_table(fmap, demand: gpd.GeoDataFrame) -> SharedTable:
    """The demand places of the map (points, labels, weights) as one shared table: the
    same places drawn for another mode reuse it."""
    weight = demand["weight"].to_numpy(dtype=float)
    geometry = demand.geometry.to_numpy()
    key = hashlib.blake2b(shapely.get_coordinates(geometry).tobytes() + weight.tobytes(),
                          digest_size=16)
    for column in ("name", "kind", "street"):  # what the labels are made of
        if column in demand:
            key.update("\x00".join(map(str, demand[column].tolist())).encode(
                "utf-8", "surrogatepass") + b"\x01")
    key = key.hexdigest()
    tables = fmap.__dict__.setdefault("planner_tables", {})
    if key not in tables:
        labels, kinds = place_labels(demand), kind_texts(demand)
        tables[key] = SharedTable(geometry, {
            "place": np.asarray(labels, dtype=object), "kind": np.asarray(kinds, dtype=object),
            # the tooltip's second line: the kind, unless the label already says it
            "what": np.asarray(["" if not k or p.startswith(k) else k
                                for p, k in zip(labels, kinds)], dtype=object),
            "at": {"coords": 1},  # "49.41741 N, 8.67378 E", made in the page
            "weight": demand["weight"].to_numpy(),
            "r": np.round(2.5 + 2.0 * np.sqrt(weight), 1),
        })
        fmap.add_child(tables[key])
    return tables[key]


def add_density(group, demand: gpd.GeoDataFrame, *, cell_m: float) -> bool:
    """Demand weight per square cell (a heat map that needs no JavaScript plugin) into
    ``group``; colours by quintile of the cells' weight. False when there is no demand."""
    if demand.empty:
        return False
    from planner.outputs._geojson import square_cells

    lon, lat = shapely.get_coordinates(demand.geometry.to_numpy()).T
    boxes, sums, count = square_cells(lon, lat, {"weight": demand["weight"].to_numpy(float)},
                                      cell_m=cell_m)  # in the local UTM zone, as the cells
    weight = sums["weight"]
    edges = np.quantile(weight, [0.2, 0.4, 0.6, 0.8]) if weight.size > 4 else np.array([])
    level = np.searchsorted(edges, weight, side="right") if edges.size else np.full(
        weight.size, len(DENSITY_COLOURS) - 1)
    frame = gpd.GeoDataFrame({"weight": np.round(weight, 2), "places": count,
                              "level": level.astype(int)}, geometry=boxes, crs="EPSG:4326")
    geojson(
        frame,
        style_function=lambda f: {"color": "#7f2704", "weight": 0.3, "fillOpacity": 0.55,
                                  "fillColor": DENSITY_COLOURS[f["properties"]["level"]]},
        tooltip=FeatureDetail(["weight", "places"], ["demand weight", "places"]),
    ).add_to(group)
    return True
