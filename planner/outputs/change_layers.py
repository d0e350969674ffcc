"""Before and after: the places a plan newly covers, the places it leaves without service, and
the summary line ("S2 closed: 15-min walk coverage 84.7 % -> 65.3 %, 44 places lose service")."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from planner.analysis.coverage import CoverageResult
from planner.outputs._base import import_folium
from planner.outputs._elements import FeatureDetail, feature_group, geojson
from planner.outputs._escape import html_text
from planner.outputs._places import coordinates, place_labels
from planner.outputs.panels import GAINED, LOST
from planner.i18n import _, fmt_minutes, fmt_percent, mode_name

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
    parts = [_("{n} places newly covered").format(n=int(change.gained.sum()))] \
        if change.gained.any() else []
    if change.lost.any() or not parts:
        parts.append(_("{n} places lose service").format(n=int(change.lost.sum())))
    text = html_text(_("{minutes}-min {mode} coverage {before} → {after}"))
    return (f"<div class='planner-change' style='margin-top:3px'><b>{html_text(label)}</b>"
            + html_text(_(": ")) + text.format(
                minutes=f"{change.threshold_min:g}", mode=html_text(mode_name(change.mode)),
                before=f"{change.before_share * 100:.1f}&nbsp;%",
                after=f"<b>{change.after_share * 100:.1f}&nbsp;%</b>")
            + html_text(_(", ") + _(", ").join(parts)) + "</div>")


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
        "change": np.where(gained, _("newly covered by the plan"),
                           _("loses service (was covered before)")),
        "minutes": [fmt_minutes(m) if np.isfinite(m) else _("cannot reach") for m in minutes],
        "at": coordinates(demand.geometry),
        "gained": gained,
        "r": np.round(6.5 + 2.0 * np.sqrt(demand["weight"].to_numpy(float)), 1),
    }, geometry=demand.geometry.to_numpy(), crs="EPSG:4326")
    folium = import_folium()
    label = _("before/after: {gained} newly covered, {lost} lose service").format(
        gained=int(gained.sum()), lost=int((~gained).sum()))
    name = f"{section}: {label}" if section else label
    group = feature_group(name, show=show, section=section, label=label, main=True,
                          switch=switch)
    fields = (["scenario"] if context else []) + ["place", "change", "minutes", "at"]
    aliases = ([_("scenario")] if context else []) + ["", "", _("now"), _("at")]
    geojson(
        frame,
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
