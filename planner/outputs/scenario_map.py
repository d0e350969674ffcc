"""The scenario comparison map: one section of layers per scenario, each with exactly its own
stations (closed ones drawn closed, moved ones with an arrow, added and proposed ones in the
proposed style), its coverage, and what changed against the baseline."""

from __future__ import annotations

from collections.abc import Sequence

from branca.element import Element

from planner.i18n import _, fmt_minutes, fmt_places, fmt_weight, language, travel_label
from planner.outputs import change_layers, panels
from planner.outputs._base import with_layer_control
from planner.outputs._escape import html_text
from planner.outputs.coverage_layers import add_result_layers, add_streets, map_frame
from planner.outputs.station_marks import MANY_STATIONS, add_station_layer, station_marks

__all__ = ["scenario_map"]


def _badges(result, base_ids: set[str]) -> dict[str, str]:
    """Badge text of the stations a scenario adds: the name the user gave, P<rank> for
    proposed sites (others get P1, P2... in :func:`station_marks`)."""
    badges = {}
    if result.proposal is not None:
        for row in result.proposal.sites.itertuples():
            badges[f"P-{row.id}"] = f"P{int(row.rank)}"
    # stations added by the variant's ``add`` list come first, in its order
    new_ids = [str(i) for i in result.coverage.stations["id"]
               if str(i) not in base_ids and str(i) not in badges]
    for sid, item in zip(new_ids, result.variant.add):
        if item.get("name"):
            badges[sid] = str(item["name"])
    return badges


def scenario_map(run, *, network=None, only: Sequence[int] | None = None,
                 self_contained: bool = True, tiles: Sequence[str] = ("osm",),
                 title: str | None = None, lang: str | None = None):
    """The map of a :class:`planner.apps.scenario.ScenarioRun`: each scenario (or the
    scenarios at the indices in ``only``) as its own section; the first drawn is shown.

    ``lang`` (``"zh"``/``"en"``, None: the language in effect) sets the map's language.
    Every scenario but the baseline is compared with a reference (see :func:`_reference`):
    its stations drawn against the reference's (closed, moved, added), before/after
    highlights and a summary line. Tooltips start with the scenario's name.
    """
    with language(lang):
        return _scenario_map(run, network=network, only=only, self_contained=self_contained,
                             tiles=tiles, title=title)


def _scenario_map(run, *, network, only, self_contained, tiles, title):
    results = list(run.results)
    picked = list(range(len(results))) if only is None else list(only)
    base = results[0]
    coverages = [results[i].coverage for i in picked]
    fmap, tolerance_m, extent_m = map_frame(coverages + [base.coverage],
                                            self_contained=self_contained, tiles=tiles)
    if network is not None:
        add_streets(fmap, network, tolerance_m)
    drawn: set[str] = set()
    base_ids = {str(i) for i in base.coverage.stations["id"]}
    lines = []
    for position, index in enumerate(picked):
        result = results[index]
        show = position == 0
        name = result.name
        ref = _reference(results, index)
        change = None if ref is None else change_layers.compare(ref.coverage, result.coverage)
        drawn |= add_result_layers(fmap, result.coverage, section=name, show=show,
                                   switch=len(picked) > 1, tolerance_deg=tolerance_m / 111_000,
                                   compact=True, change=change, context=name)
        marks = station_marks(None if ref is None else ref.coverage.stations,
                              result.coverage.stations,
                              badges=_badges(result, base_ids))
        drawn |= {"stations" if len(marks) <= MANY_STATIONS else "station_dots"}
        drawn |= {m.state for m in marks if m.state in ("closed", "moved")}
        drawn |= {"proposed"} if any(m.state == "added" for m in marks) else set()
        add_station_layer(fmap, marks, name=_("{name}: stations").format(name=name), section=name,
                          label=_("stations"), show=show,
                          context=name, switch=len(picked) > 1,
                          details=_details(result.coverage))
        if change is not None:
            lines.append(change_layers.change_line(
                change, _("{name} (vs {reference})").format(name=name, reference=ref.name)))
    shown = coverages[0]
    fmap.get_root().html.add_child(Element(panels.legend_html(shown.minutes, drawn=drawn)))
    labels = [results[i].name for i in picked]
    fmap.get_root().html.add_child(Element(panels.summary_html(
        coverages, labels, title or _("Scenarios: {title}").format(title=run.title), None,
        lead_html="<div style='margin-top:4px'><b>" + html_text(_("Before → after"))
        + "</b></div>"
        + "".join(lines) if lines else "")))
    return with_layer_control(fmap)


def _reference(results, index: int):
    """What scenario ``index`` is compared with: an EARLIER scenario with the same travel
    settings and no station edits (the same street network and places), else the baseline;
    None for the baseline itself. The console table uses the same rule."""
    if index == 0:
        return None
    here = results[index]
    for other in results[:index]:
        v = other.variant
        if other is not here and other.coverage.travel == here.coverage.travel and not (
                v.add or v.move or v.close or v.propose or v.services) \
                and v.network == here.variant.network:
            return other
    return results[0]


def _details(result) -> dict[str, list[str]]:
    text = _("{travel}: serves {weight} ({places}) within {minutes}")
    return {str(row.id): [text.format(
                travel=travel_label(result.travel), weight=fmt_weight(row.served_weight),
                places=fmt_places(int(row.served_places)),
                minutes=fmt_minutes(result.threshold))]
            for row in result.stations.itertuples()}
