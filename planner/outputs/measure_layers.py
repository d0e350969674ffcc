"""Map layers, legend and summary panel (with a Lorenz curve) for the coverage measures."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from planner.outputs._base import import_folium
from planner.outputs._elements import FeatureDetail, TextTooltip, feature_group, geojson
from planner.outputs._escape import html_text
from planner.i18n import N_, _

__all__ = ["add", "lorenz_svg", "BACKUP_COLOURS", "SHARE_COLOURS"]

#: Places by number of stations in reach: 0, 1, 2, 3+.
BACKUP_COLOURS = ("#d7301f", "#fc8d59", "#91cf60", "#1a9850")
#: Areas by covered share: < 50 %, < 80 %, < 95 %, >= 95 %.
SHARE_COLOURS = ("#d7301f", "#fc8d59", "#fee08b", "#1a9850")
SHARE_BREAKS = (0.5, 0.8, 0.95)
#: Gravity access (station-equivalents): < 0.25, < 0.5, < 1, >= 1.
GRAVITY_COLOURS = ("#f0f9e8", "#bae4bc", "#7bccc4", "#2b8cbe")
GRAVITY_BREAKS = (0.25, 0.5, 1.0)
OVERLOADED, LOADED = "#b2182b", "#2166ac"
WORST = "#762a83"


def _features(frame: gpd.GeoDataFrame) -> dict:
    """GeoJSON of a frame (strings stay data: the tooltips set them as text)."""
    return frame


def _group(where: tuple[str, str], name: str):
    """A hidden layer group in the panel section ``where[0]``, named ``<where[1]>: name``."""
    section, prefix = where
    return feature_group(_("{name}: ").format(name=prefix) + name, show=False,
                         section=section, label=name, main=False)


def _dot(colour: str) -> str:
    return (f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
            f'margin-right:6px;background:{colour}"></span>')


def _points(folium, group, frame: gpd.GeoDataFrame, fields: list[str], aliases: list[str]):
    geojson(
        _features(frame),
        marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.85),
        style_function=lambda f: {"radius": f["properties"]["r"],
                                  "color": f["properties"]["c"],
                                  "fillColor": f["properties"]["c"]},
        tooltip=FeatureDetail(fields, aliases),
    ).add_to(group)


def _radius(weight: np.ndarray) -> np.ndarray:
    return np.round(2.5 + 2.0 * np.sqrt(np.asarray(weight, dtype=float)), 1)


def _backup(folium, fmap, result, prefix: tuple[str, str]) -> str:
    demand, stations = result.demand, result.stations
    counts = demand["stations_within"].to_numpy()
    group = _group(prefix, _("backup: stations in reach"))
    _points(folium, group, gpd.GeoDataFrame({
        "name": demand["name"].astype(str).to_numpy(), "stations": counts,
        "r": _radius(demand["weight"]),
        "c": [BACKUP_COLOURS[min(int(c), 3)] for c in counts],
    }, geometry=demand.geometry.to_numpy(), crs="EPSG:4326"), ["name", "stations"],
        ["", _("stations within the threshold")])
    critical = stations[stations["critical"].to_numpy()]
    if len(critical):
        _points(folium, group, gpd.GeoDataFrame({
            "id": critical["id"].astype(str).to_numpy(),
            "sole_weight": critical["sole_weight"].to_numpy(),
            "r": np.full(len(critical), 16.0), "c": [OVERLOADED] * len(critical),
        }, geometry=critical.geometry.to_numpy(), crs="EPSG:4326"), ["id", "sole_weight"],
            [_("critical station"), _("weight only it reaches")])
    group.add_to(fmap)
    labels = (N_("no station in reach"), N_("1 station"), N_("2 stations"), N_("3 or more"))
    return ("<div><b>" + html_text(_("Backup")) + "</b></div>" + "".join(
        f"<div>{_dot(c)}{html_text(_(label))}</div>" for c, label in zip(BACKUP_COLOURS, labels))
            + f"<div>{_dot(OVERLOADED)}" + html_text(_("critical station (large ring)"))
            + "</div>")


def _capacity(folium, fmap, result, prefix: tuple[str, str]) -> str:
    stations = result.stations
    load = stations["load_vs_mean"].to_numpy(dtype=float)
    over = stations["overloaded"].to_numpy(dtype=bool)
    group = _group(prefix, _("capacity: riders per seat"))
    _points(folium, group, gpd.GeoDataFrame({
        "id": stations["id"].astype(str).to_numpy(),
        "capacity": stations["capacity"].to_numpy(),
        "riders_per_seat": stations["riders_per_seat"].to_numpy(),
        "load_vs_mean": load,
        "r": np.round(6 + 10 * np.sqrt(np.clip(load, 0, 9)), 1),
        "c": np.where(over, OVERLOADED, LOADED),
    }, geometry=stations.geometry.to_numpy(), crs="EPSG:4326"),
        ["id", "capacity", "riders_per_seat", "load_vs_mean"],
        [_("station"), _("capacity (seats)"), _("riders per seat (E2SFCA)"), _("x mean load")])
    group.add_to(fmap)
    return ("<div><b>" + html_text(_("Capacity")) + "</b> "
            + html_text(_("(circle size = load)")) + f"</div><div>{_dot(OVERLOADED)}"
            + html_text(_("overloaded")) + f"</div><div>{_dot(LOADED)}"
            + html_text(_("within capacity")) + "</div>")


def _gravity(folium, fmap, result, prefix: tuple[str, str]) -> str:
    demand = result.demand
    access = demand["gravity_access"].to_numpy(dtype=float)
    group = _group(prefix, _("gravity access"))
    _points(folium, group, gpd.GeoDataFrame({
        "name": demand["name"].astype(str).to_numpy(), "access": access,
        "r": _radius(demand["weight"]),
        "c": [GRAVITY_COLOURS[int(np.searchsorted(GRAVITY_BREAKS, a, side="right"))]
              for a in access],
    }, geometry=demand.geometry.to_numpy(), crs="EPSG:4326"), ["name", "access"],
        ["", _("gravity access")])
    group.add_to(fmap)
    labels = (_("below 0.25"), "0.25-0.5", "0.5-1", _("1 or more"))
    return ("<div><b>" + html_text(_("Gravity access")) + "</b> "
            + html_text(_("(stations, decayed)")) + "</div>" + "".join(
                f"<div>{_dot(c)}{html_text(t)}</div>" for c, t in zip(GRAVITY_COLOURS, labels)))


def _equity(folium, fmap, result, prefix: tuple[str, str]) -> str:
    equity = result.measures.equity
    table = equity.areas.copy()
    table["covered_pct"] = (table["covered_share"] * 100).round(1)
    table["c"] = [SHARE_COLOURS[int(np.searchsorted(SHARE_BREAKS, s, side="right"))]
                  for s in table["covered_share"]]
    group = _group(prefix, _("equity: areas by covered share"))
    geojson(
        _features(table[["name", "covered_pct", "mean_min", "weight", "c", "geometry"]]),
        style_function=lambda f: {"color": "#555", "weight": 1, "fillOpacity": 0.45,
                                  "fillColor": f["properties"]["c"]},
        tooltip=FeatureDetail(["name", "covered_pct", "mean_min", "weight"],
                              [_("area"), _("covered (%)"), _("mean time (min)"),
                               _("demand weight")]),
    ).add_to(group)
    if equity.worst_outline is not None:
        outline = geojson(
            _features(gpd.GeoDataFrame({"what": ["worst-served"]},
                                       geometry=[equity.worst_outline], crs="EPSG:4326")),
            style_function=lambda _: {"color": WORST, "weight": 3, "fill": False,
                                      "dashArray": "8 4"})
        outline.add_child(TextTooltip(
            _("worst-served {share} of demand weight").format(
                share=f"{equity.worst_weight_share:.0%}")))
        outline.add_to(group)
    group.add_to(fmap)
    labels = (_("under 50 % covered"), "50-80 %", "80-95 %", _("95 % or more"))
    return ("<div><b>" + html_text(_("Equity areas")) + "</b></div>" + "".join(
        f"<div>{_dot(c)}{html_text(t)}</div>" for c, t in zip(SHARE_COLOURS, labels))
            + f'<div><span style="display:inline-block;width:14px;height:10px;border:2px dashed '
              f'{WORST};margin-right:6px"></span>' + html_text(_("worst-served places"))
            + "</div>")


def lorenz_svg(points: Sequence[Sequence[float]], *, size: int = 130) -> str:
    """An inline SVG of a Lorenz curve ((weight share, time share) points) with the diagonal."""
    if len(points) < 2:
        return ""
    pad = 18
    span = size - 2 * pad

    def xy(p: float, s: float) -> str:
        return f"{pad + span * p:.1f},{size - pad - span * s:.1f}"

    line = " ".join(xy(float(p), float(s)) for p, s in points)
    return (
        f'<svg id="planner-lorenz" width="{size}" height="{size}" style="font:9px sans-serif">'
        f'<rect x="{pad}" y="{pad}" width="{span}" height="{span}" fill="none" stroke="#888"/>'
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" stroke="#bbb" '
        'stroke-dasharray="3 3"/>'
        f'<polyline points="{line}" fill="none" stroke="{WORST}" stroke-width="2"/>'
        f'<text x="{pad}" y="{size - 4}">' + html_text(_("riders (by time) →")) + "</text>"
        f'<text x="2" y="{pad - 6}">' + html_text(_("share of time")) + "</text></svg>"
    )


def _panel(result, label: str) -> str:
    lines = [html_text(line) for line in result.measures.lines()]
    svg = ""
    equity = result.measures.summaries.get("equity")
    if equity:
        svg = ("<div style='margin-top:2px'>" + html_text(_(
            "Lorenz curve of time to the nearest station (Gini {gini})").format(
            gini=f"{equity['gini']:.2f}")) + f"<br>{lorenz_svg(equity['lorenz'])}</div>")
    title = html_text(_("{label}: measures").format(label=label) if label else _("Measures"))
    sums = result.measures.summaries
    head = [_("2+ stations {share}").format(
                share=f"{sums['backup']['covered_2plus_share']:.0%}") if "backup" in sums
            else "", f"Gini {sums['equity']['gini']:.2f}" if "equity" in sums else "",
            _("{n} overloaded").format(
                n=sum(s["overloaded"] for s in sums["capacity"]["stations"]))
            if "capacity" in sums else ""]
    return (f"<div class='planner-measures' style='margin-top:6px'><details><summary><b>{title}"
            f"</b> {html_text(' · '.join(h for h in head if h))}</summary>"
            + "".join(f"<div>{line}</div>" for line in lines) + "</details>" + svg + "</div>")


def add(fmap, results: Sequence, labels: Sequence[str]) -> str:
    """Add each result's measure layers (in the result's section of the layer panel) and one
    legend; return the summary panel's HTML."""
    from branca.element import Element

    folium = import_folium()
    legend: dict[str, str] = {}
    panels = []
    for result, label in zip(results, labels):
        if getattr(result, "measures", None) is None:
            continue
        prefix = (label or result.travel.label, label or result.travel.mode)
        for name, draw in (("backup", _backup), ("capacity", _capacity),
                           ("gravity", _gravity), ("equity", _equity)):
            if getattr(result.measures, name) is not None:
                legend[name] = draw(folium, fmap, result, prefix)
        panels.append(_panel(result, label or result.travel.label))
    if legend:
        fmap.get_root().html.add_child(Element(
            '<div id="planner-measure-legend" style="position:fixed;top:80px;left:10px;'
            'z-index:9999;background:rgba(255,255,255,.92);padding:8px 10px;border-radius:6px;'
            'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-height:45vh;'
            'overflow-y:auto"><b>' + html_text(_("Measure layers")) + "</b> "
            + html_text(_("(tick them in the layer control)"))
            + "".join(legend.values()) + "</div>"))
    return "".join(panels)
