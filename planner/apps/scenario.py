"""What-if scenarios: a baseline and named variants (stations, mode, speed, threshold, demand),
run on cached networks and matrices and compared side by side.

Reading and validating scenario files lives in :mod:`planner.apps._scenario_spec`; the names
are importable from here as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner import _io
from planner._paths import inputs_of
from planner.analysis import coverage, measures
from planner.data import layers
from planner.analysis import proposals
from planner.outputs import maps as render
from planner.outputs.maps import markdown_table  # noqa: F401  (batch imports it from here)
from planner.apps._inputs import load_inputs
from planner.apps import scenario_services
from planner.apps._scenario_spec import (  # noqa: F401  (public names, importable from here)
    BASELINE_KEYS, FIXED_OUTPUTS, PROPOSE_KEYS, TOP_KEYS, VARIANT_KEYS, ScenarioSpec, Variant,
    load, map_names, parse, propose_checks)
from planner.engine.study import Study, as_study
from planner.i18n import _
from planner.errors import PlannerError, ScenarioError

__all__ = ["ScenarioSpec", "Variant", "ScenarioResult", "ScenarioRun", "load", "parse", "run",
           "write_outputs"]


@dataclass(frozen=True)
class ScenarioResult:
    """The coverage (and proposal, if asked) of one scenario."""

    variant: Variant
    coverage: coverage.CoverageResult
    proposal: proposals.ProposalResult | None
    stations: gpd.GeoDataFrame = field(repr=False)
    services: object = field(default=None, repr=False)  # ServiceCoverage or None
    hub_plan: object = field(default=None, repr=False)  # HubPlan or None

    @property
    def name(self) -> str:
        return self.variant.name


@dataclass(frozen=True)
class ScenarioRun:
    """Every scenario's result; the comparison is computed from them."""

    title: str
    results: tuple[ScenarioResult, ...]

    @property
    def baseline(self) -> ScenarioResult:
        return self.results[0]

    def comparison(self) -> pd.DataFrame:
        """One row per scenario: covered share per threshold, gaps, times, change vs baseline.

        Like with like: shares are shown at the baseline's thresholds that the scenario also
        computed (n/a otherwise, with the reason in ``not_compared``), and the change is taken
        at the baseline's main threshold.
        """
        base = self.baseline.coverage
        thresholds = sorted(base.minutes)  # like with like: the baseline's thresholds only
        rows = []
        for result in self.results:
            cov = result.coverage
            summary = cov.summary()
            times = summary["minutes_to_nearest"]
            row = {
                "scenario": result.name,
                "mode": cov.travel.mode,
                "speed_kmh": cov.travel.speed_kmh,
                "stations": int(cov.stations["on_network"].sum()),
            }
            shared = [m for m in cov.minutes if m in base.minutes]
            for m in thresholds:
                row[f"covered_{m:g}min_%"] = (round(100 * cov.covered_share(m), 2)
                                              if m in shared else None)
            main = cov.threshold
            row["threshold_min"] = main
            # like with like: the change at the baseline's own threshold, when both have it
            row["change_vs_baseline_pp"] = (
                round(100 * (cov.covered_share(base.threshold) - base.covered_share(
                    base.threshold)), 2) if base.threshold in shared else None)
            notes = [_("{minutes} min: n/a, not computed for this scenario").format(
                minutes=f"{m:g}") for m in thresholds if m not in shared]
            notes += [_("{minutes} min: not shown, the baseline has no {minutes}-min "
                        "figure").format(minutes=f"{m:g}") for m in cov.minutes if m not in shared]
            if main != base.threshold:
                notes.append(_("gaps at {minutes} min (baseline: {baseline} min)").format(
                    minutes=f"{main:g}", baseline=f"{base.threshold:g}"))
            row["not_compared"] = _("; ").join(notes)
            row["gaps"] = summary["gaps"]
            row["gap_weight"] = summary["gap_weight"]
            row["median_min"] = times["median"]
            row["p90_min"] = times["p90"]
            base_median = base.summary()["minutes_to_nearest"]["median"]
            row["median_change_min"] = (None if times["median"] is None or base_median is None
                                        else round(times["median"] - base_median, 2))
            row.update(_against_reference(self.results, len(rows)))
            row.update(measures.comparison_columns(cov.measures))
            row.update(scenario_services.comparison_columns(result.services))
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        table = self.comparison()
        return {
            "title": self.title,
            "comparison": json.loads(table.to_json(orient="records", force_ascii=False)),
            "scenarios": [
                {"name": r.name, "description": r.variant.description,
                 "settings": _settings(r.variant),
                 "coverage": r.coverage.summary(),
                 "stations": r.stations["id"].astype(str).tolist(),
                 "proposal": None if r.proposal is None else r.proposal.to_dict(),
                 "services": None if r.services is None else r.services.summary(),
                 "hub_plan": None if r.hub_plan is None else r.hub_plan.to_dict()}
                for r in self.results
            ],
        }


def _settings(variant: Variant) -> dict:
    return {
        "network": variant.network, "mode": variant.travel.mode,
        "speed_kmh": variant.travel.speed_kmh, "minutes": list(variant.minutes),
        "stations": None if variant.stations is None else str(variant.stations),
        "demand": None if variant.demand is None else str(variant.demand),
        "added": [dict(a) for a in variant.add], "moved": {k: list(v) for k, v in
                                                         variant.move.items()},
        "closed": list(variant.close), "propose": None if variant.propose is None else dict(
            variant.propose),
        "layer_options": dict(variant.layer_options),
    }




# --------------------------------------------------------------------------- running


def run(spec: ScenarioSpec | str | Path, *,
        progress: Callable[[str], None] | None = None) -> ScenarioRun:
    """Run every scenario of a spec (or a scenario file) and return their results."""
    say = progress or (lambda message: None)
    if not isinstance(spec, ScenarioSpec):
        spec = load(spec)
    inputs_cache: dict[tuple, object] = {}
    # one study per network: every variant derives from it and shares its street graphs,
    # snapped layers and travel graphs
    studies: dict[str, Study] = {}
    results = []
    for variant in spec.scenarios:
        say(_("scenario '{name}'").format(name=variant.name))
        inputs = _inputs_for(variant, inputs_cache)
        root = studies.setdefault(variant.network, as_study(inputs.network))
        study = root.replace(travel=variant.travel, stations=inputs.stations,
                             demand=inputs.demand, candidates=inputs.candidates)
        stations = _edited_stations(variant, inputs, study.street)
        stations, proposal = _with_proposal(variant, study, inputs, stations)
        stations, hub_plan = scenario_services.apply(
            variant.services, stations, inputs, study.street, minutes=max(variant.minutes),
            where=variant.where)
        result = coverage.analyze(study.replace(stations=stations),
                                  options=variant.coverage_options)
        result = measures.apply(result, variant.measures, areas=measures.read_areas(
            variant.areas) if variant.areas else None)
        by_service = scenario_services.service_coverage(
            variant.services, stations, inputs.demand, study.replace(stations=stations),
            minutes=variant.minutes)
        results.append(ScenarioResult(variant, result, proposal, stations, by_service,
                                      hub_plan))
    return ScenarioRun(title=spec.title, results=tuple(results))


def _inputs_for(variant: Variant, cache: dict):
    """The variant's layers, loaded once per distinct set of layer settings."""
    key = (variant.network, variant.stations, variant.demand, variant.candidates,
           variant.weight_column, repr(sorted(variant.layer_options.items())))
    try:
        inputs = cache.get(key)
        if inputs is None:
            inputs = cache[key] = load_inputs(
                variant.network, stations=variant.stations, demand=variant.demand,
                candidates=variant.candidates, weight_column=variant.weight_column,
                **variant.layer_options)
    except PlannerError as exc:
        raise ScenarioError(f"{variant.where}: {exc}") from None
    if inputs.stations is None or inputs.demand is None:
        raise ScenarioError(f"{variant.where}: give stations and demand layers (the "
                            "network is not a bundled sample)")
    return inputs


def _with_proposal(variant: Variant, study: Study, inputs, stations: gpd.GeoDataFrame):
    """The stations plus the sites proposed for this variant (if it asks for a proposal)."""
    if variant.propose is None:
        return stations, None
    options = dict(variant.propose)
    proposal = proposals.propose(
        study, stations, inputs.demand, candidates=inputs.candidates,
        model=options.get("model", "mclp"), k=options.get("k", 1),
        target_share=options.get("target_share", 1.0), travel=variant.travel,
        minutes=max(variant.minutes),
        existing=options.get("existing", "fixed"),
        candidate_sources=tuple(options.get("candidate_sources") or (
            ("layer",) if inputs.candidates is not None else ("intersections",))),
        spacing_m=options.get("spacing_m", 300.0), method=options.get("method", "auto"),
        min_covered_share=options.get("min_covered_share"),
        capacity=options.get("capacity"), with_coverage=False)
    if len(proposal.sites):
        stations = layers.edit_stations(stations, add=[
            {"id": f"P-{r.id}", "name": f"proposed: {r.name}", "kind": "proposed",
             "lon": r.geometry.x, "lat": r.geometry.y} for r in proposal.sites.itertuples()
        ], where=variant.where)
    return stations, proposal


def _edited_stations(variant: Variant, inputs, street) -> gpd.GeoDataFrame:
    add = []
    for i, item in enumerate(variant.add):
        if "candidate" in item:
            if inputs.candidates is None:
                raise ScenarioError(f"{variant.where}.add[{i}]: candidate {item['candidate']!r}"
                                    " given but there is no candidates layer")
            match = inputs.candidates[inputs.candidates["id"].astype(str) == str(
                item["candidate"])]
            if match.empty:
                raise ScenarioError(f"{variant.where}.add[{i}]: no candidate with id "
                                    f"{item['candidate']!r}")
            row = match.iloc[0]
            add.append({"id": item.get("id") or f"C-{row['id']}", "name": item.get("name")
                        or row["name"], "lon": row.geometry.x, "lat": row.geometry.y})
        else:
            add.append(item)
    try:
        stations = layers.edit_stations(inputs.stations, add=add, close=variant.close,
                                        move=variant.move, where=variant.where)
        layers.check_area(stations, street, role=f"{variant.where} stations")
    except PlannerError as exc:
        raise ScenarioError(str(exc)) from None
    return stations


# --------------------------------------------------------------------------- output


def write_outputs(result: ScenarioRun, out_dir: str | Path, *, network=None,
                  per_scenario_maps: bool = True, self_contained: bool = True,
                  tiles: tuple[str, ...] = ("osm",)) -> list[Path]:
    """comparison.csv/.md, report.json, map.html (each scenario a layer group) and one map per
    scenario, written together: all replaced, or none."""
    out = Path(out_dir)
    names = map_names([r.name for r in result.results])
    table = result.comparison()
    texts = {out / "comparison.csv": render.csv_text(table),
             out / "comparison.md": f"# {render.markdown_cell(result.title)}\n\n"
             + markdown_table(table)}
    from planner.outputs.scenario_map import scenario_map

    combined = scenario_map(result, network=network, self_contained=self_contained,
                            tiles=tiles)
    texts[out / "map.html"] = combined.get_root().render()
    if per_scenario_maps:
        for index, r in enumerate(result.results):
            single = scenario_map(result, network=network, only=[index],
                                  title=f"{result.title}: {r.name}",
                                  self_contained=self_contained, tiles=tiles)
            texts[out / names[r.name]] = single.get_root().render()
    inputs = [p for r in result.results for p in (
        r.variant.stations, r.variant.demand, r.variant.candidates, r.variant.network,
        r.variant.areas)]
    with _io.also_inputs(inputs_of(*inputs)):
        return render.write_bundle(report=result.to_dict(), report_path=out / "report.json",
                                   texts=texts)


def output_paths(spec: ScenarioSpec, out_dir: str | Path,
                 per_scenario_maps: bool = True) -> list[Path]:
    """Every file ``write_outputs`` writes for ``spec`` (to check them before running)."""
    out = Path(out_dir)
    names = map_names([v.name for v in spec.scenarios]) if per_scenario_maps else {}
    return [out / name for name in (*FIXED_OUTPUTS, *names.values())]


def input_paths(spec: ScenarioSpec) -> list[Path]:
    """Every existing file a run of ``spec`` reads: the scenario file, networks and layers
    (a bundled sample's own files included)."""
    from planner._paths import inputs_of
    from planner.apps._inputs import layer_paths

    found = inputs_of(spec.path)
    for variant in spec.scenarios:
        sample, paths = layer_paths(variant.network, stations=variant.stations,
                                    demand=variant.demand, candidates=variant.candidates)
        found += inputs_of(variant.network, sample.network if sample else None, variant.areas,
                           mapping=paths)
    return found


def _against_reference(results, index: int) -> dict:
    """The change that the scenario map shows: against the scenario with the same travel and
    no station edits (else the baseline), at the main threshold both computed."""
    from planner.outputs.scenario_map import _reference  # the map's rule, so both agree

    ref = _reference(results, index)
    if ref is None:
        return {"compared_with": "", "change_vs_reference_pp": None}
    here, there = results[index].coverage, ref.coverage
    shared = [m for m in here.minutes if m in there.minutes]
    m = max(shared) if shared else None
    change = (None if m is None else
              round(100 * (here.covered_share(m) - there.covered_share(m)), 2))
    return {"compared_with": ref.name, "change_vs_reference_pp": change}
