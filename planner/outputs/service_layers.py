"""Map layers per service (covered / not covered for rest, battery swap...) and for 1+N plans.

Added to a map built by :mod:`planner.outputs.maps`; the layer panel is rebuilt after the new
layers so it lists them. Tooltips show text with :class:`TextTooltip`/:class:`FeatureDetail`;
popup and badge HTML is built with every data string escaped (:func:`safe`).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from planner.analysis.coverage import is_covered
from planner.outputs._base import (COVERED, STATION, UNCOVERED, import_folium,
                                   with_layer_control)
from planner.outputs._elements import FeatureDetail, HtmlPopup, TextTooltip, feature_group, \
    geojson
from planner.outputs._escape import html_text
from planner.i18n import (_, fmt_minutes, fmt_percent, fmt_places, fmt_weight, mode_name,
                          service_name)

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
        suffix = _(" ({mode})").format(mode=mode_name(result.travel.mode)) if many else ""
        when = _(" at {time}").format(time=result.at) if result.at else ""
        for service in result.services[1:]:
            share = result.covered_share(service)
            name = _("{service} {share} within {minutes}").format(
                service=service_name(service), share=fmt_percent(share, 0),
                minutes=fmt_minutes(result.threshold)) + when + suffix
            group = feature_group(_("service: {name}").format(name=name), show=show,
                                  section=_("Services"), main=False)
            minutes = result.demand[f"minutes_to_{service}"].to_numpy()
            ok = is_covered(result.demand[f"seconds_to_{service}"].to_numpy(),
                            result.threshold)  # the one rule, as in the report
            points = gpd.GeoDataFrame({
                "name": result.demand["name"].astype(str).to_numpy(),
                "minutes": [fmt_minutes(m) if np.isfinite(m) else
                            "> " + fmt_minutes(result.threshold) for m in minutes],
                "ok": ok, "r": np.round(2.5 + 2.0 * np.sqrt(result.demand["weight"]), 1),
            }, geometry=result.demand.geometry.to_numpy(), crs="EPSG:4326")
            geojson(
                points,
                marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.7),
                style_function=lambda f: {
                    "radius": f["properties"]["r"],
                    "color": COVERED if f["properties"]["ok"] else UNCOVERED,
                    "fillColor": COVERED if f["properties"]["ok"] else UNCOVERED},
                tooltip=FeatureDetail(["name", "minutes"], [
                    "", _("to {service}").format(service=service_name(service))]),
            ).add_to(group)
            offering = result.stations[result.stations[service].to_numpy(bool)]
            for row in offering.itertuples():
                colour = STATION if row.open else CLOSED
                state = _("open") if row.open else _("closed") + when
                marker = folium.CircleMarker(
                    [row.geometry.y, row.geometry.x], radius=9, color=colour, weight=3,
                    fill=True, fill_opacity=0.9 if row.open else 0.3)
                marker.add_child(TextTooltip(f"{row.name} ({row.id}): "
                                             f"{service_name(service)}, {state}"))
                marker.add_to(group)
            group.add_to(fmap)
    return with_layer_control(fmap)


def _services(text: str) -> str:
    """``rest;battery_swap`` as ``rest, battery swap`` in the current language."""
    names = [service_name(s.strip()) for s in str(text or "").split(";") if s.strip()]
    return _(", ").join(names) or "-"


def _badge(text: str, colour: str, *, dashed: bool = False) -> str:
    border = "2px dashed #fff" if dashed else "2px solid #fff"
    return (f'<div style="background:{colour};color:#fff;border:{border};border-radius:10px;'
            'font:bold 11px sans-serif;padding:2px 5px;box-shadow:0 0 3px #000;'
            f'white-space:nowrap">{safe(text)}</div>')


def add_hub_plan(fmap, plan, *, show: bool = True):
    """The hub (red H), the satellites (blue N1, N2...) and a line from the hub to each
    satellite labelled with its travel time."""
    folium = import_folium()
    name = _("1+{n} plan: hub and satellites").format(n=len(plan.satellites))
    group = feature_group(name, show=show, section=_("Hub plan"), label=name)
    hub = plan.hub
    popup = (f"<b>{safe(_('hub: {name}').format(name=hub['name']))}</b> ({safe(hub['id'])})<br>"
             f"{safe(hub['kind'] or hub['source'])}"
             f"{safe(_(' (existing station)')) if hub['source'] == 'existing' else ''}<br>"
             + safe(_("services: {services}").format(services=_services(hub["services"]))))
    for row in plan.satellites.itertuples():
        line = folium.PolyLine([[hub["lat"], hub["lon"]], [row.geometry.y, row.geometry.x]],
                               color=HUB, weight=3, opacity=0.8, dash_array="6 6")
        line.add_child(TextTooltip(_("{name}: {minutes} from the hub").format(
            name=row.name, minutes=fmt_minutes(row.time_to_hub_min))))
        line.add_to(group)
        text = (f"<b>{safe(_('satellite #{rank}: {name}').format(rank=row.rank, name=row.name))}"
                f"</b> ({safe(row.id)})<br>{safe(row.kind or row.source)}<br>"
                + safe(_("{minutes} from hub {hub}").format(
                    minutes=fmt_minutes(row.time_to_hub_min), hub=row.hub_id)) + "<br>"
                + safe(_("newly covers {places} ({weight})").format(
                    places=fmt_places(int(row.newly_covered_places)),
                    weight=fmt_weight(row.newly_covered_weight))) + "<br>"
                + safe(_("services: {services}").format(services=_services(row.services))))
        marker = folium.Marker([row.geometry.y, row.geometry.x], icon=folium.DivIcon(
            html=_badge(f"N{row.rank}", SATELLITE, dashed=True), icon_size=(30, 18),
            icon_anchor=(15, 9)))
        marker.add_child(HtmlPopup(text, max_width=320))
        marker.add_child(TextTooltip(_("satellite #{rank}: {name}").format(
            rank=row.rank, name=row.name)))
        marker.add_to(group)
    marker = folium.Marker([hub["lat"], hub["lon"]], icon=folium.DivIcon(
        html=_badge("H", HUB), icon_size=(24, 20), icon_anchor=(12, 10)))
    marker.add_child(HtmlPopup(popup, max_width=320))
    marker.add_child(TextTooltip(_("hub: {name}").format(name=hub["name"])))
    marker.add_to(group)
    group.add_to(fmap)
    return with_layer_control(fmap)
