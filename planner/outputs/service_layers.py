"""Map layers per service (covered / not covered for rest, battery swap...) and for 1+N plans.

Added to a map built by :mod:`planner.outputs.maps`; the layer panel is rebuilt after the new
layers so it lists them. Tooltips show text with :class:`TextTooltip`/:class:`FeatureDetail`;
popup and badge HTML is built with every data string escaped (:func:`safe`).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from planner.outputs._base import (COVERED, STATION, UNCOVERED, geojson_dict, import_folium,
                                   with_layer_control)
from planner.outputs._elements import FeatureDetail, HtmlPopup, TextTooltip, feature_group, \
    geojson
from planner.outputs._escape import html_text

__all__ = ["add", "add_hub_plan", "safe", "HUB", "SATELLITE"]

HUB = "#b2182b"
SATELLITE = "#2166ac"
CLOSED = "#999999"


def safe(text: object) -> str:
    """``text`` as HTML text (for HTML built by the planner and passed to :class:`HtmlPopup`
    or a badge); tooltips take plain text through :class:`TextTooltip` instead."""
    return html_text(text)


def add(fmap, results, *, show: bool = False):
    """One layer per service (and per result, e.g. per mode): demand coloured by whether an
    open station offering the service is within the threshold; the stations offering it."""
    folium = import_folium()
    results = [results] if not isinstance(results, Sequence) else list(results)
    many = len(results) > 1
    for result in results:
        suffix = f" ({result.travel.mode})" if many else ""
        when = f" at {result.at}" if result.at else ""
        for service in result.services[1:]:
            share = result.covered_share(service)
            name = (f"{service.replace('_', ' ')} {share * 100:.0f}% within "
                    f"{result.threshold:g} min{when}{suffix}")
            group = feature_group(f"service: {name}", show=show, section="Services",
                                  main=False)
            minutes = result.demand[f"minutes_to_{service}"].to_numpy()
            ok = minutes <= result.threshold
            points = gpd.GeoDataFrame({
                "name": result.demand["name"].astype(str).to_numpy(),
                "minutes": [f"{m:.1f} min" if np.isfinite(m) else
                            f"> {result.threshold:g} min" for m in minutes],
                "ok": ok, "r": np.round(2.5 + 2.0 * np.sqrt(result.demand["weight"]), 1),
            }, geometry=result.demand.geometry.to_numpy(), crs="EPSG:4326")
            geojson(
                geojson_dict(points),
                marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.7),
                style_function=lambda f: {
                    "radius": f["properties"]["r"],
                    "color": COVERED if f["properties"]["ok"] else UNCOVERED,
                    "fillColor": COVERED if f["properties"]["ok"] else UNCOVERED},
                tooltip=FeatureDetail(["name", "minutes"], ["", f"to {service}"]),
            ).add_to(group)
            offering = result.stations[result.stations[service].to_numpy(bool)]
            for row in offering.itertuples():
                colour = STATION if row.open else CLOSED
                state = "open" if row.open else f"closed{when}"
                marker = folium.CircleMarker(
                    [row.geometry.y, row.geometry.x], radius=9, color=colour, weight=3,
                    fill=True, fill_opacity=0.9 if row.open else 0.3)
                marker.add_child(TextTooltip(f"{row.name} ({row.id}): {service}, {state}"))
                marker.add_to(group)
            group.add_to(fmap)
    return with_layer_control(fmap)


def _badge(text: str, colour: str, *, dashed: bool = False) -> str:
    border = "2px dashed #fff" if dashed else "2px solid #fff"
    return (f'<div style="background:{colour};color:#fff;border:{border};border-radius:10px;'
            'font:bold 11px sans-serif;padding:2px 5px;box-shadow:0 0 3px #000;'
            f'white-space:nowrap">{safe(text)}</div>')


def add_hub_plan(fmap, plan, *, show: bool = True):
    """The hub (red H), the satellites (blue N1, N2...) and a line from the hub to each
    satellite labelled with its travel time."""
    folium = import_folium()
    name = f"1+{len(plan.satellites)} plan: hub and satellites"
    group = feature_group(name, show=show, section="Hub plan", label=name)
    hub = plan.hub
    popup = (f"<b>hub: {safe(hub['name'])}</b> ({safe(hub['id'])})<br>"
             f"{safe(hub['kind'] or hub['source'])}"
             f"{' (existing station)' if hub['source'] == 'existing' else ''}<br>"
             f"services: {safe(hub['services'].replace(';', ', ') or '-')}")
    for row in plan.satellites.itertuples():
        line = folium.PolyLine([[hub["lat"], hub["lon"]], [row.geometry.y, row.geometry.x]],
                               color=HUB, weight=3, opacity=0.8, dash_array="6 6")
        line.add_child(TextTooltip(f"{row.name}: {row.time_to_hub_min:.1f} min from the hub"))
        line.add_to(group)
        text = (f"<b>satellite #{row.rank}: {safe(row.name)}</b> "
                f"({safe(row.id)})<br>{safe(row.kind or row.source)}<br>"
                f"{row.time_to_hub_min:.1f} min from hub {safe(row.hub_id)}<br>"
                f"newly covers {row.newly_covered_places} places "
                f"(weight {row.newly_covered_weight:g})<br>"
                f"services: {safe(row.services.replace(';', ', '))}")
        marker = folium.Marker([row.geometry.y, row.geometry.x], icon=folium.DivIcon(
            html=_badge(f"N{row.rank}", SATELLITE, dashed=True), icon_size=(30, 18),
            icon_anchor=(15, 9)))
        marker.add_child(HtmlPopup(text, max_width=320))
        marker.add_child(TextTooltip(f"satellite #{row.rank}: {row.name}"))
        marker.add_to(group)
    marker = folium.Marker([hub["lat"], hub["lon"]], icon=folium.DivIcon(
        html=_badge("H", HUB), icon_size=(24, 20), icon_anchor=(12, 10)))
    marker.add_child(HtmlPopup(popup, max_width=320))
    marker.add_child(TextTooltip(f"hub: {hub['name']}"))
    marker.add_to(group)
    group.add_to(fmap)
    return with_layer_control(fmap)
