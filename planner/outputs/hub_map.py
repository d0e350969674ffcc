"""The map of a 1+N plan: coverage before and after, the hub, its satellites and their links."""

from __future__ import annotations

from collections.abc import Sequence

from planner.i18n import _, fmt_minutes, language
from planner.outputs import service_layers
from planner.outputs._base import with_layer_control
from planner.outputs.coverage_layers import coverage_layers

__all__ = ["hub_map"]


def hub_map(plan, before, after, *, network=None, note: str | None = None,
            self_contained: bool = True, tiles: Sequence[str] = ("osm",),
            lang: str | None = None):
    """Coverage before/after (:class:`~planner.analysis.coverage.CoverageResult`, ``before``
    may be None), the plan's hub and satellites with hub-satellite lines, and one layer per
    service after the plan when the plan has per-service coverage; ``lang`` (None: the
    language in effect) sets the map's language."""
    with language(lang):
        return _hub_map(plan, before, after, network=network, note=note,
                        self_contained=self_contained, tiles=tiles)


def _hub_map(plan, before, after, *, network, note, self_contained, tiles):
    results = [r for r in (before, after) if r is not None]
    labels = [_("before"), _("after")] if before is not None else [_("after")]
    h = plan.hub
    plan_name = _("1+{n} plan").format(n=len(plan.satellites))
    text = (f"<div style='margin-top:6px'><b>{service_layers.safe(plan_name)}</b>"
            + service_layers.safe(_(": ") + _(
                "hub {hub}, satellites within {hub_minutes} of it; covered within {minutes} "
                "{before} → {after}").format(
                hub=h["name"], hub_minutes=fmt_minutes(plan.hub_minutes),
                minutes=fmt_minutes(plan.minutes),
                before=f"{plan.covered_share_before * 100:.1f}%",
                after=f"{plan.covered_share_after * 100:.1f}%")) + "</div>")
    hidden = frozenset(plan.satellites["id"].astype(str)) | {h["id"]}
    fmap = with_layer_control(coverage_layers(
        results, labels=labels, network=network, note=note,
        title=_("1+N plan: {network}").format(network=results[0].network), extra_html=text,
        hide_stations=hidden if h["source"] != "existing" else
        frozenset(plan.satellites["id"].astype(str)),
        baselines=[None, before] if before is not None else None,
        change_label=plan_name, drawn={"hub"},
        self_contained=self_contained, tiles=tiles))
    if plan.services_after is not None:
        service_layers.add(fmap, plan.services_after)
    return service_layers.add_hub_plan(fmap, plan)
