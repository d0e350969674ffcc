"""What-if scenarios: a baseline and named variants (stations, mode, speed, threshold, demand),
run on cached networks and matrices and compared side by side."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner import _io, _validate
from planner._config import read_config
from planner._paths import file_names, inputs_of
from planner.analysis import coverage, measures
from planner.data import layers
from planner.analysis import proposals
from planner.outputs import maps as render
from planner.outputs.maps import markdown_table  # noqa: F401  (batch imports it from here)
from planner.apps._inputs import layer_options, load_inputs
from planner.apps import scenario_services
from planner.analysis.options import CoverageOptions
from planner.engine.study import Study, as_study
from planner.errors import InputError, PlannerError, ScenarioError
from planner.settings import Travel

__all__ = ["ScenarioSpec", "Variant", "ScenarioResult", "ScenarioRun", "load", "parse", "run",
           "write_outputs"]

_LAYER_KEYS = {"network", "stations", "demand", "candidates", "weight_column",
               "stations_crs", "demand_crs", "candidates_crs", "aggregate"}
_TRAVEL_KEYS = {"mode", "speed_kmh", "minutes", "max_snap_m"}
BASELINE_KEYS = ({"name", "description"} | _LAYER_KEYS | _TRAVEL_KEYS
                 | {"measures", "areas"} | scenario_services.KEYS)
VARIANT_KEYS = BASELINE_KEYS | {"add", "move", "close", "propose"}
PROPOSE_KEYS = {"k", "model", "candidate_sources", "spacing_m", "method", "target_share",
                "existing"}
TOP_KEYS = {"title", "baseline", "variants"}


@dataclass(frozen=True)
class Variant:
    """One scenario: the baseline's settings with some changed (all validated)."""

    name: str
    description: str
    network: str
    stations: Path | None
    demand: Path | None
    candidates: Path | None
    weight_column: str | None
    travel: Travel
    minutes: tuple[float, ...]
    add: tuple[Mapping, ...] = ()
    move: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    close: tuple[str, ...] = ()
    propose: Mapping | None = None
    where: str = "baseline"
    measures: tuple = ()  # measure names or tables, see planner.analysis.measures
    areas: Path | None = None
    #: services, at, station_services, opening_hours, hub (see planner.apps.scenario_services)
    services: Mapping = field(default_factory=dict)
    layer_options: Mapping = field(default_factory=dict)  # load_inputs: input_crs, aggregate

    @property
    def coverage_options(self) -> CoverageOptions:
        """How this scenario's coverage is checked: its thresholds, no per-station outlines."""
        return CoverageOptions(minutes=self.minutes, per_station=False)


@dataclass(frozen=True)
class ScenarioSpec:
    """A validated scenario file: the baseline first, then the variants."""

    title: str
    path: Path | None
    scenarios: tuple[Variant, ...]


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
            notes = [f"{m:g} min: n/a, not computed for this scenario"
                     for m in thresholds if m not in shared]
            notes += [f"{m:g} min: not shown, the baseline has no {m:g}-min figure"
                      for m in cov.minutes if m not in shared]
            if main != base.threshold:
                notes.append(f"gaps at {main:g} min (baseline: {base.threshold:g} min)")
            row["not_compared"] = "; ".join(notes)
            row["gaps"] = summary["gaps"]
            row["gap_weight"] = summary["gap_weight"]
            row["median_min"] = times["median"]
            row["p90_min"] = times["p90"]
            base_median = base.summary()["minutes_to_nearest"]["median"]
            row["median_change_min"] = (None if times["median"] is None or base_median is None
                                        else round(times["median"] - base_median, 2))
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


# --------------------------------------------------------------------------- parsing


def load(path: str | Path) -> ScenarioSpec:
    """Read and validate a scenario file (.toml, or .yaml/.yml with PyYAML installed).

    Files are read with limits (size, nesting, no YAML aliases): see :mod:`planner._config`.
    """
    data, text = read_config(path, what="scenario file")
    return parse(data, source=Path(path).expanduser(), text=text)


def parse(data: object, *, source: Path | None = None, text: str = "") -> ScenarioSpec:
    """Validate scenario data already read (a mapping), naming the key path of each mistake."""
    name = str(source) if source else "scenario"

    def fail(key_path: str, message: str, key: str | None = None) -> ScenarioError:
        line = _line_of(text, key or key_path.rsplit(".", 1)[-1].split("[")[0], key_path)
        where = f"{name}{f', line {line}' if line else ''}: {key_path}"
        return ScenarioError(f"{where}: {message}")

    if not isinstance(data, Mapping):
        raise ScenarioError(f"{name}: expected a table with [baseline] and [[variants]]")
    for key in data:
        if key not in TOP_KEYS:
            raise fail(str(key), f"unknown key; allowed: {', '.join(sorted(TOP_KEYS))}")
    baseline = data.get("baseline")
    if not isinstance(baseline, Mapping):
        raise fail("baseline", "missing [baseline] table (network, mode, minutes...)")
    variants = data.get("variants", [])
    if not isinstance(variants, list) or not all(isinstance(v, Mapping) for v in variants):
        raise fail("variants", "must be a list of tables ([[variants]])")
    base_dir = source.parent if source else Path.cwd()
    base = _variant(dict(baseline), None, "baseline", BASELINE_KEYS, base_dir, fail)
    scenarios = [base]
    seen = {base.name}
    for index, raw in enumerate(variants):
        where = f"variants[{index}]"
        if "name" not in raw:
            raise fail(where, "every variant needs a name", key="variants")
        variant = _variant(dict(raw), base, where, VARIANT_KEYS, base_dir, fail)
        if variant.name in seen:
            raise fail(f"{where}.name", f"duplicate scenario name {variant.name!r}")
        seen.add(variant.name)
        scenarios.append(variant)
    try:
        map_names([s.name for s in scenarios])
    except PlannerError as exc:
        raise fail("variants", str(exc), key="name") from None
    title = str(data.get("title") or (source.stem if source else "scenarios"))
    return ScenarioSpec(title=title, path=source, scenarios=tuple(scenarios))


def _variant(raw: dict, base: Variant | None, where: str, allowed: set, base_dir: Path,
             fail) -> Variant:
    for key in raw:
        if key not in allowed:
            raise fail(f"{where}.{key}", f"unknown key; allowed here: {', '.join(sorted(allowed))}",
                       key=str(key))

    def text(key: str, default):
        value = raw.get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail(f"{where}.{key}", f"must be text, got {type(value).__name__}", key=key)
        return value

    def path(key: str, default):
        value = text(key, None)
        if value is None:
            return default
        if value.lower().startswith("osm:"):
            return Path(value)  # demand from the network's own OSM file
        return (base_dir / value) if not Path(value).is_absolute() else Path(value)

    name = text("name", "baseline") or "baseline"
    network = text("network", None) or (base.network if base else "wudaokou")
    if "network" in raw and Path(network).suffix and not Path(network).is_absolute():
        network = str(base_dir / network)  # a file next to the scenario file
    try:
        travel_base = base.travel if base else Travel()
        mode = raw.get("mode", travel_base.mode)
        # a variant that changes the mode without a speed takes that mode's default speed
        speed = raw.get("speed_kmh", None if "mode" in raw or base is None
                        else travel_base.speed_kmh)
        if isinstance(speed, bool) or (speed is not None and not isinstance(speed, (int, float))):
            raise fail(f"{where}.speed_kmh", "must be a number of km/h", key="speed_kmh")
        snap = raw.get("max_snap_m", travel_base.max_snap_m)
        travel = Travel(mode, speed_kmh=speed, max_snap_m=snap)
    except InputError as exc:
        key = "mode" if "mode" in str(exc) else "speed_kmh" if "speed" in str(exc) else \
            "max_snap_m"
        raise fail(f"{where}.{key}", str(exc), key=key) from None
    try:
        minutes_raw = raw.get("minutes", base.minutes if base else coverage.DEFAULT_MINUTES)
        minutes = CoverageOptions(minutes=minutes_raw).minutes
    except InputError as exc:
        raise fail(f"{where}.minutes", str(exc), key="minutes") from None

    add = raw.get("add", [])
    if not isinstance(add, list):
        raise fail(f"{where}.add", "must be a list of {lon, lat} or {candidate} tables",
                   key="add")
    checked_add = []
    for i, item in enumerate(add):
        if isinstance(item, list) and len(item) == 2:
            item = {"lon": item[0], "lat": item[1]}
        if not isinstance(item, Mapping) or not ({"lon", "lat"} <= set(item) or "candidate"
                                                 in item):
            raise fail(f"{where}.add[{i}]", "give lon and lat, or a candidate id", key="add")
        extra = set(item) - {"lon", "lat", "candidate", "id", "name"}
        if extra:
            raise fail(f"{where}.add[{i}].{sorted(extra)[0]}", "unknown key; allowed: lon, lat, "
                       "candidate, id, name", key=sorted(extra)[0])
        for coord, low, high in (("lon", -180, 180), ("lat", -90, 90)):
            if coord in item and (isinstance(item[coord], bool) or not isinstance(
                    item[coord], (int, float)) or not low <= item[coord] <= high
                    or math.isnan(item[coord])):
                raise fail(f"{where}.add[{i}].{coord}", f"must be a number in {low}..{high}",
                           key=coord)
        checked_add.append(dict(item))
    move = raw.get("move", {})
    if not isinstance(move, Mapping):
        raise fail(f"{where}.move", "must map station ids to [lon, lat]", key="move")
    checked_move = {}
    for sid, value in move.items():
        if not (isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise fail(f"{where}.move.{sid}", "must be [lon, lat]", key=str(sid))
        checked_move[str(sid)] = (float(value[0]), float(value[1]))
    close = raw.get("close", [])
    if not isinstance(close, list) or not all(isinstance(c, (str, int)) for c in close):
        raise fail(f"{where}.close", "must be a list of station ids", key="close")
    propose = raw.get("propose")
    if propose is not None:
        if not isinstance(propose, Mapping):
            raise fail(f"{where}.propose", "must be a table like {k = 2, model = 'mclp'}",
                       key="propose")
        unknown = set(propose) - PROPOSE_KEYS
        if unknown:
            raise fail(f"{where}.propose.{sorted(unknown)[0]}",
                       f"unknown key; allowed: {', '.join(sorted(PROPOSE_KEYS))}",
                       key=sorted(unknown)[0])
        k = propose.get("k", 1)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise fail(f"{where}.propose.k", "must be a whole number >= 1", key="k")
        if propose.get("model", "mclp") not in proposals.MODELS:
            raise fail(f"{where}.propose.model", f"choose one of {', '.join(proposals.MODELS)}",
                       key="model")
        for key, check in propose_checks().items():
            if key in propose:
                try:
                    check(propose[key])
                except InputError as exc:
                    raise fail(f"{where}.propose.{key}", str(exc), key=key) from None
    inherit = base if base is not None else None
    measure_items = raw.get("measures", base.measures if base else ())
    if not isinstance(measure_items, (list, tuple)):
        raise fail(f"{where}.measures", 'must be a list like ["backup", {name = "gravity", '
                   'half_life_min = 4}]', key="measures")
    try:
        measures.MeasureOptions.parse(measure_items, where=f"{where}.measures")
    except InputError as exc:
        raise fail(f"{where}.measures", str(exc).split(": ", 1)[-1], key="measures") from None
    try:
        options = layer_options(raw, where=where, inherit=base.layer_options if base else None)
    except InputError as exc:
        key, _, message = str(exc).removeprefix(f"{where}.").partition(": ")
        raise fail(f"{where}.{key}", message, key=key) from None
    return Variant(
        name=name,
        description=str(raw.get("description", "")),
        network=network,
        stations=path("stations", inherit.stations if inherit else None),
        demand=path("demand", inherit.demand if inherit else None),
        candidates=path("candidates", inherit.candidates if inherit else None),
        weight_column=text("weight_column", inherit.weight_column if inherit else None),
        travel=travel,
        minutes=minutes,
        add=tuple(checked_add),
        move=checked_move,
        close=tuple(str(c) for c in close),
        propose=dict(propose) if propose is not None else None,
        where=where,
        measures=tuple(measure_items),
        areas=path("areas", inherit.areas if inherit else None),
        services=scenario_services.check(raw, base.services if base else None, where, fail),
        layer_options=options,
    )


def propose_checks() -> dict[str, Callable[[object], object]]:
    """How each ``propose`` option of a scenario or batch file is checked (units named)."""
    return {
        "k": lambda v: _validate.whole(v, name="k", maximum=10_000),
        "target_share": lambda v: _validate.share(v, name="target_share"),
        "spacing_m": lambda v: _validate.number_in(v, name="spacing_m", unit="metres",
                                                   minimum=20, maximum=5000,
                                                   open_minimum=False),
        "method": lambda v: _validate.choice(v, ("auto", "exact", "greedy"), name="method"),
        "existing": lambda v: _validate.choice(v, proposals.EXISTING, name="existing"),
        "model": lambda v: _validate.choice(v, proposals.MODELS, name="model"),
        "candidate_sources": lambda v: [
            _validate.choice(x, ("layer", "intersections", "grid"), name="candidate_sources")
            for x in (v if isinstance(v, list) else [v])],
    }


def _line_of(text: str, key: str, key_path: str) -> int | None:
    """Best-effort line number of ``key`` in the part of the file ``key_path`` points to."""
    if not text:
        return None
    lines = text.splitlines()
    start = 0
    match = re.match(r"variants\[(\d+)\]", key_path)
    if match:
        count = -1
        for number, line in enumerate(lines):
            if line.strip().startswith("[[variants]]") or re.match(r"\s*- name\s*:", line):
                count += 1
                if count == int(match.group(1)):
                    start = number
                    break
    elif key_path.startswith("baseline"):
        start = next((n for n, l in enumerate(lines) if l.strip().startswith("[baseline")), 0)
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*[=:]|[{{,]\s*\"?{re.escape(key)}\"?\s*=")
    for number in range(start, len(lines)):
        if pattern.search(lines[number]):
            return number + 1
    return start + 1 if start else None


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
        say(f"scenario {variant.name!r}")
        key = (variant.network, variant.stations, variant.demand, variant.candidates,
               variant.weight_column, repr(sorted(variant.layer_options.items())))
        try:
            inputs = inputs_cache.get(key)
            if inputs is None:
                inputs = inputs_cache[key] = load_inputs(
                    variant.network, stations=variant.stations, demand=variant.demand,
                    candidates=variant.candidates, weight_column=variant.weight_column,
                    **variant.layer_options)
        except PlannerError as exc:
            raise ScenarioError(f"{variant.where}: {exc}") from None
        if inputs.stations is None or inputs.demand is None:
            raise ScenarioError(f"{variant.where}: give stations and demand layers (the "
                                "network is not a bundled sample)")
        root = studies.setdefault(variant.network, as_study(inputs.network))
        study = root.replace(travel=variant.travel, stations=inputs.stations,
                             demand=inputs.demand, candidates=inputs.candidates)
        stations = _edited_stations(variant, inputs, study.street)
        proposal = None
        if variant.propose is not None:
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
                with_coverage=False)
            if len(proposal.sites):
                stations = layers.edit_stations(stations, add=[
                    {"id": f"P-{r.id}", "name": f"proposed: {r.name}", "kind": "proposed",
                     "lon": r.geometry.x, "lat": r.geometry.y} for r in proposal.sites.itertuples()
                ], where=variant.where)
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


#: Files every scenario run writes into its output folder.
FIXED_OUTPUTS = ("comparison.csv", "comparison.md", "report.json", "map.html")


def map_names(names: list[str]) -> dict[str, str]:
    """Each scenario's map file name (one slug each); an error names both sides of a clash."""
    return file_names(names, suffix=".html", reserved=FIXED_OUTPUTS, what="scenario")
