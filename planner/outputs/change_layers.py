"""Before and after: the places a plan newly covers, the places it leaves without service, and
the summary line ("S2 closed: 15-min walk coverage 84.7 % -> 65.3 %, 44 places lose service")."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from planner.analysis.coverage import CoverageResult
from planner.outputs._base import geojson_dict, import_folium
from planner.outputs._elements import FeatureDetail, feature_group, geojson
from planner.outputs._escape import html_text
from planner.outputs._places import coordinates, place_labels
from planner.outputs.panels import GAINED, LOST

__all__ = ["Change", "compare", "change_line", "add_change_layer"]


@dataclass(frozen=True)
class Change:
    """Coverage of the same places before and after a plan, at the plan's threshold."""

    threshold_min: float
    mode: str
    before_share: float
    after_share: float
    gained: np.ndarray  # bool per place of ``after.demand``
    lost: np.ndarray


def compare(before: CoverageResult | None, after: CoverageResult) -> Change | None:
    """The change from ``before`` to ``after`` (None when they hold different places)."""
    if before is None:
        return None
    ids_before = before.demand["id"].astype(str).to_numpy()
    ids_after = after.demand["id"].astype(str).to_numpy()
    if len(ids_before) != len(ids_after) or not (ids_before == ids_after).all():
        return None
    limit = after.threshold
    was = before.demand["minutes_to_nearest"].to_numpy() <= limit
    now = after.demand["minutes_to_nearest"].to_numpy() <= limit
    weight = after.demand["weight"].to_numpy(float)
    total = weight.sum() or 1.0
    return Change(limit, after.travel.mode, float(weight[was].sum() / total),
                  float(weight[now].sum() / total), now & ~was, was & ~now)


def change_line(change: Change, label: str) -> str:
    """One summary line (HTML, ``label`` escaped)."""
    parts = [f"{change.gained.sum()} places newly covered"] if change.gained.any() else []
    if change.lost.any() or not parts:
        parts.append(f"{change.lost.sum()} places lose service")
    return (f"<div class='planner-change' style='margin-top:3px'><b>{html_text(label)}</b>: "
            f"{change.threshold_min:g}-min {html_text(change.mode)} coverage "
            f"{change.before_share * 100:.1f}&nbsp;% &rarr; "
            f"<b>{change.after_share * 100:.1f}&nbsp;%</b>, {', '.join(parts)}</div>")


def add_change_layer(fmap, after: CoverageResult, change: Change, *, section: str | None,
                     show: bool, context: str = "", switch: bool = False) -> set[str]:
    """Rings around the places newly covered (green) and those losing service (black,
    dashed); returns the legend keys drawn."""
    moved = change.gained | change.lost
    if not moved.any():
        return set()
    demand = after.demand[moved]
    gained = change.gained[moved]
    minutes = demand["minutes_to_nearest"].to_numpy()
    frame = gpd.GeoDataFrame({
        "scenario": context,
        "place": place_labels(demand),
        "change": np.where(gained, "newly covered by the plan",
                           "loses service (was covered before)"),
        "minutes": [f"{m:.1f} min" if np.isfinite(m) else "cannot reach" for m in minutes],
        "at": coordinates(demand.geometry),
        "gained": gained,
        "r": np.round(6.5 + 2.0 * np.sqrt(demand["weight"].to_numpy(float)), 1),
    }, geometry=demand.geometry.to_numpy(), crs="EPSG:4326")
    folium = import_folium()
    name = (f"{section + ': ' if section else ''}before/after: {int(gained.sum())} newly "
            f"covered, {int((~gained).sum())} lose service")
    group = feature_group(name, show=show, section=section, label=name.split(": ", 1)[-1]
                          if section else name, main=True, switch=switch)
    fields = (["scenario"] if context else []) + ["place", "change", "minutes", "at"]
    aliases = (["scenario"] if context else []) + ["", "", "now", "at"]
    geojson(
        geojson_dict(frame),
        marker=folium.CircleMarker(radius=8, weight=3, fill=False),
        style_function=lambda f: {
            "radius": f["properties"]["r"], "fill": False, "weight": 3,
            "color": GAINED if f["properties"]["gained"] else LOST,
            "dashArray": None if f["properties"]["gained"] else "3 3",
            "className": "planner-gained" if f["properties"]["gained"] else "planner-lost"},
        tooltip=FeatureDetail(fields, aliases),
    ).add_to(group)
    group.add_to(fmap)
    return ({"gained"} if gained.any() else set()) | ({"lost"} if (~gained).any() else set())
