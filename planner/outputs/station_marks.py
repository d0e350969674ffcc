"""Stations as drawn in one plan: open, closed (hollow, struck through, where it was), moved
(a faint mark at the old place and an arrow to the new one), added or proposed (the proposed
style, with the name the user gave or P1, P2...)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd

from planner.outputs._base import PROPOSED, STATION, import_folium
from planner.outputs._elements import HtmlPopup, TextTooltip, feature_group
from planner.outputs._escape import html_text
from planner.i18n import _

__all__ = ["StationMark", "station_marks", "add_station_layer", "CLOSED", "MANY_STATIONS"]

CLOSED = "#777777"
_MOVED_DEG = 1e-6  # about 0.1 m
#: Beyond this many stations the unchanged ones are drawn as one compact layer of dots (with
#: the same tooltip and popup text) instead of one labelled badge each: thousands of badges
#: would cover the map and weigh megabytes.
MANY_STATIONS = 300


@dataclass(frozen=True)
class StationMark:
    """One station as drawn in one plan."""

    id: str
    name: str
    state: str  # open | closed | moved | added
    lon: float
    lat: float
    badge: str
    old_lon: float | None = None
    old_lat: float | None = None
    on_network: bool = True


def station_marks(before: gpd.GeoDataFrame | None, after: gpd.GeoDataFrame, *,
                  badges: Mapping[str, str] | None = None,
                  hide: frozenset = frozenset()) -> list[StationMark]:
    """The stations of ``after`` compared with ``before`` (both with ``id``, ``name`` and
    points; ``before`` None: every station open). Added stations get ``badges[id]`` or
    P1, P2... in their order; ``hide`` lists ids drawn by another layer."""
    badges = dict(badges or {})
    old = {} if before is None else {str(r.id): r for r in before.itertuples()}
    marks, number = [], 0
    for row in after.itertuples():
        sid = str(row.id)
        on = bool(getattr(row, "on_network", True))
        point = row.geometry
        if sid in hide:
            continue
        if before is None or sid in old:
            prev = old.get(sid)
            if prev is not None and (abs(prev.geometry.x - point.x) > _MOVED_DEG
                                     or abs(prev.geometry.y - point.y) > _MOVED_DEG):
                marks.append(StationMark(sid, str(row.name), "moved", point.x, point.y, sid,
                                         prev.geometry.x, prev.geometry.y, on))
            else:
                marks.append(StationMark(sid, str(row.name), "open", point.x, point.y, sid,
                                         on_network=on))
            continue
        number += 1
        marks.append(StationMark(sid, str(row.name), "added", point.x, point.y,
                                 badges.get(sid) or f"P{number}", on_network=on))
    now = {str(i) for i in after["id"]}
    for sid, prev in old.items():
        if sid not in now and sid not in hide:
            marks.append(StationMark(sid, str(prev.name), "closed", prev.geometry.x,
                                     prev.geometry.y, sid, on_network=False))
    return marks


def _badge(mark: StationMark, *, faint: bool = False) -> str:
    text = html_text(mark.badge)
    if mark.state == "closed":
        style = (f"background:#fff;color:{CLOSED};border:2px dashed {CLOSED};"
                 "text-decoration:line-through;border-radius:4px;")
    elif mark.state == "added":
        style = f"background:{PROPOSED};color:#fff;border:2px dashed #fff;border-radius:10px;"
    else:
        style = f"background:{STATION};color:#fff;border:2px solid #fff;border-radius:4px;"
    if faint:
        style += "opacity:.35;"
    return (f'<div class="planner-station planner-{mark.state}{" planner-old" if faint else ""}"'
            f' style="{style}font:bold 11px sans-serif;padding:2px 4px;'
            f'box-shadow:0 0 3px #000;white-space:nowrap">{text}</div>')


def _width(text: str) -> int:
    return max(34, 7 * len(str(text)) + 14)


def _marker(lat: float, lon: float, html: str, badge: str):
    folium = import_folium()
    width = _width(badge)
    return folium.Marker([lat, lon], icon=folium.DivIcon(
        html=html, icon_size=(width, 20), icon_anchor=(width // 2, 10)))


def _arrow(mark: StationMark) -> list[list[list[float]]]:
    """The line from the old place towards the new one, ending short of the new badge, and
    a small arrow head at its end."""
    start = (mark.old_lat, mark.old_lon)
    scale = math.cos(math.radians(mark.lat))
    dx, dy = (mark.lon - mark.old_lon) * scale, mark.lat - mark.old_lat
    length = math.hypot(dx, dy) or 1e-9
    ux, uy = dx / length, dy / length
    stop = length - min(length * 0.25, 0.0004)  # leave the new badge readable
    tip = (start[0] + uy * stop, start[1] + ux * stop / scale)
    size = min(length * 0.12, 0.00025)  # about 25 m
    back = (tip[0] - uy * size * 1.5, tip[1] - ux * size * 1.5 / scale)
    wings = [[back[0] + ux * size, back[1] - uy * size / scale],
             [back[0] - ux * size, back[1] + uy * size / scale]]
    return [[list(start), list(tip)], [wings[0], list(tip), wings[1]]]


def add_station_layer(fmap, marks: Sequence[StationMark], *, name: str, section: str | None,
                      show: bool, context: str = "",
                      details: Mapping[str, Sequence[str]] | None = None,
                      label: str = "stations", switch: bool = False):
    """One layer group of ``marks``; ``context`` (a scenario name) starts every tooltip;
    ``details`` holds extra popup lines (text) per station id. Beyond
    :data:`MANY_STATIONS` marks the open ones are one compact layer of dots."""
    group = feature_group(name, show=show, section=section, label=label, main=True,
                          switch=switch)
    lead = _("{name}: ").format(name=context) if context else ""
    details = details or {}
    if len(marks) > MANY_STATIONS:
        _add_dots(group, [m for m in marks if m.state == "open"], lead, context, details)
        marks = [m for m in marks if m.state != "open"]
    _add_badges(group, marks, lead, context, details)
    group.add_to(fmap)
    return group


def _add_dots(group, marks: Sequence[StationMark], lead: str, context: str,
              details: Mapping[str, Sequence[str]]) -> None:
    """Open stations as one compact layer of dots; tooltip and popup as the badges'."""
    import numpy as np
    import shapely

    from planner.outputs._elements import FeatureDetail, geojson

    if not marks:
        return
    lines = max((len(details.get(m.id, ())) for m in marks), default=0)
    off = _("off the street network: not used")
    columns = {"tip": [f"{lead}{m.id} {m.name}" for m in marks],
               "title": [f"{m.name} ({m.id})" for m in marks],
               "context": [context] * len(marks),
               "off": ["" if m.on_network else off for m in marks]}
    for i in range(lines):
        columns[f"line{i}"] = [(list(details.get(m.id, ())) + [""] * lines)[i] for m in marks]
    points = shapely.points([m.lon for m in marks], [m.lat for m in marks])
    frame = gpd.GeoDataFrame({k: np.asarray(v, dtype=object) for k, v in columns.items()},
                             geometry=points, crs="EPSG:4326")
    fields = ["title", "context", *[f"line{i}" for i in range(lines)], "off"]
    geojson(frame, marker={"radius": 5, "color": "#ffffff", "weight": 1.5,
                           "fillColor": STATION, "fillOpacity": 0.95},
            style_function=lambda _f: {},
            tooltip=FeatureDetail(["tip"], [""]),
            popup=FeatureDetail(fields, [""] * len(fields), popup=True)).add_to(group)


def _add_badges(group, marks: Sequence[StationMark], lead: str, context: str,
                details: Mapping[str, Sequence[str]]) -> None:
    folium = import_folium()
    states = {"open": "", "closed": _(" (closed in this plan)"), "moved": _(" (moved)"),
              "added": _(" (added in this plan)")}
    notes = {"open": "", "closed": _("closed in this plan"),
             "moved": _("moved here in this plan"), "added": _("added in this plan")}
    for mark in marks:
        if mark.state == "moved":
            old = StationMark(mark.id, mark.name, "open", mark.old_lon, mark.old_lat, mark.badge)
            faint = _marker(mark.old_lat, mark.old_lon, _badge(old, faint=True), mark.badge)
            faint.add_child(TextTooltip(lead + _("{id} {name}: old place (moved)").format(
                id=mark.id, name=mark.name)))
            faint.add_to(group)
            for line in _arrow(mark):
                folium.PolyLine(line, color=STATION, weight=2, opacity=0.8,
                                dash_array="5 4").add_to(group)
        text = f"{lead}{mark.badge} {mark.name}{states[mark.state]}"
        if mark.badge != mark.id and mark.state != "added":
            text = f"{lead}{mark.id} {mark.name}{states[mark.state]}"
        marker = _marker(mark.lat, mark.lon, _badge(mark), mark.badge)
        popup = (f"<b>{html_text(mark.name)}</b> ({html_text(mark.id)})<br>"
                 + (f"{html_text(context)}<br>" if context else "")
                 + (f"<i>{html_text(notes[mark.state])}</i><br>" if notes[mark.state] else "")
                 + "<br>".join(html_text(line) for line in details.get(mark.id, ())))
        if not mark.on_network and mark.state != "closed":
            popup += "<br><i>" + html_text(_("off the street network: not used")) + "</i>"
        marker.add_child(HtmlPopup(popup, max_width=320))
        marker.add_child(TextTooltip(text))
        marker.add_to(group)
