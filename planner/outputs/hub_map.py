"""The map of a 1+N plan: coverage before and after, the hub, its satellites and their links."""

from __future__ import annotations

from collections.abc import Sequence

from planner.outputs import service_layers
from planner.outputs._base import with_layer_control
from planner.outputs.coverage_layers import coverage_layers

__all__ = ["hub_map"]


def hub_map(plan, before, after, *, network=None, note: str | None = None,
            self_contained: bool = True, tiles: Sequence[str] = ("osm",)):
    """Coverage before/after (:class:`~planner.analysis.coverage.CoverageResult`, ``before``
    may be None), the plan's hub and satellites with hub-satellite lines, and one layer per
    service after the plan when the plan has per-service coverage."""
    results = [r for r in (before, after) if r is not None]
    labels = ["before", "after"] if before is not None else ["after"]
    h = plan.hub
    text = (f"<div style='margin-top:6px'><b>1+{len(plan.satellites)} plan</b>: hub "
            f"{service_layers.safe(h['name'])}, satellites within {plan.hub_minutes:g} min "
            f"of it; covered within {plan.minutes:g} min "
            f"{plan.covered_share_before * 100:.1f}% &rarr; "
            f"{plan.covered_share_after * 100:.1f}%</div>")
    hidden = frozenset(plan.satellites["id"].astype(str)) | {h["id"]}
    fmap = with_layer_control(coverage_layers(
        results, labels=labels, network=network, note=note,
        title=f"1+N plan: {results[0].network}", extra_html=text,
        hide_stations=hidden if h["source"] != "existing" else
        frozenset(plan.satellites["id"].astype(str)),
        baselines=[None, before] if before is not None else None,
        change_label=f"1+{len(plan.satellites)} plan", drawn={"hub"},
        self_contained=self_contained, tiles=tiles))
    if plan.services_after is not None:
        service_layers.add(fmap, plan.services_after)
    return service_layers.add_hub_plan(fmap, plan)
