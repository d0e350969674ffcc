"""The proposal map: existing and proposed stations over before/after coverage, the curve."""

from __future__ import annotations

from collections.abc import Sequence

from planner.data.network import Network
from planner.outputs._base import PROPOSED, import_folium, with_layer_control
from planner.outputs._elements import HtmlPopup, TextTooltip, feature_group
from planner.outputs._escape import html_text
from planner.i18n import _, language
from planner.outputs.coverage_layers import coverage_layers
from planner.outputs.panels import curve_svg

__all__ = ["proposal_map"]


def proposal_map(result, *, network: Network | None = None, self_contained: bool = True,
                 note: str | None = None, tiles: Sequence[str] = ("osm",),
                 lang: str | None = None):
    """Existing vs proposed stations with before/after coverage bands and the curve.

    Names from the layers and OSM (sites, streets, places) and ``note`` are shown as text;
    ``lang`` is the language of the map's own text (default: the one in effect).
    """
    with language(lang):
        return _proposal_map(result, network=network, self_contained=self_contained,
                             note=note, tiles=tiles)


def _proposal_map(result, *, network, self_contained, note, tiles):
    results, labels = [], []
    if result.before is not None:
        results.append(result.before)
        labels.append(_("before"))
    if result.after is not None:
        results.append(result.after)
        labels.append(_("after"))
    if not results:
        raise ValueError("the proposal has no coverage to draw (with_coverage=False)")
    solver = result.solution
    text = ("<div style='margin-top:6px'><b>" + html_text(_("Proposal")) + "</b>: "
            f"{html_text(solver.headline())}: "
            + html_text(_("{sites} new site(s) from {candidates} candidates").format(
                sites=len(result.sites), candidates=len(result.candidates)))
            + (html_text(_(" (curve: greedy, a lower bound)")) if result.curve else "")
            + "</div>")
    fmap = coverage_layers(results, network=network, labels=labels,
                           self_contained=self_contained,
                           title=_("Proposed stations: {network}").format(
                               network=results[0].network), note=note,
                           tiles=tiles, hide_stations=frozenset(result.sites["id"].astype(str)),
                           extra_html=text + curve_svg(result.curve),
                           baselines=[None, result.before] if len(results) == 2 else None,
                           change_label=f"{len(result.sites)} proposed station(s)",
                           drawn={"proposed"} if len(result.sites) else ())
    _add_sites(fmap, result.sites)
    return with_layer_control(fmap)


def _add_sites(fmap, sites) -> None:
    """One dashed badge ``P<rank>`` per proposed site, with its popup and tooltip."""
    from planner.analysis.proposals import gain_text

    folium = import_folium()
    group = feature_group("Proposed stations", show=True, section="Stations",
                          label="proposed stations")
    for row in sites.itertuples():
        rank = int(row.rank)
        popup = (
            f"<b>#{rank} {html_text(row.name)}</b> ({html_text(row.id)})<br>"
            f"{html_text(row.source)}: {html_text(row.kind)}<br>"
            f"{html_text(gain_text(row))}<br>"
            f"street: {html_text(str(row.street) or '-')}<br>"
            f"near: {html_text(str(row.nearest_place) or '-')}"
        )
        badge = (
            f'<div style="background:{PROPOSED};color:#fff;border:2px dashed #fff;'
            'border-radius:10px;font:bold 11px sans-serif;padding:2px 5px;'
            f'box-shadow:0 0 3px #000;white-space:nowrap">P{rank}</div>'
        )
        marker = folium.Marker(
            [row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(html=badge, icon_size=(30, 18), icon_anchor=(15, 9)))
        marker.add_child(HtmlPopup(popup, max_width=320))
        marker.add_child(TextTooltip(f"proposed #{rank}: {row.name}"))
        marker.add_to(group)
    group.add_to(fmap)
