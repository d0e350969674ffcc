"""Scenario files: reading and validating a baseline and its variants (see scenarios/)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from planner import _validate
from planner._config import read_config
from planner._paths import file_names
from planner.analysis import coverage, measures, proposals
from planner.analysis.options import CoverageOptions
from planner.apps import scenario_services
from planner.apps._inputs import layer_options
from planner.errors import InputError, PlannerError, ScenarioError
from planner.settings import Travel


_LAYER_KEYS = {"network", "stations", "demand", "candidates", "weight_column",
               "stations_crs", "demand_crs", "candidates_crs", "aggregate"}
_TRAVEL_KEYS = {"mode", "speed_kmh", "minutes", "max_snap_m"}
BASELINE_KEYS = ({"name", "description"} | _LAYER_KEYS | _TRAVEL_KEYS
                 | {"measures", "areas"} | scenario_services.KEYS)
VARIANT_KEYS = BASELINE_KEYS | {"add", "move", "close", "propose"}
PROPOSE_KEYS = {"k", "model", "candidate_sources", "spacing_m", "method", "target_share",
                "existing", "min_covered_share", "capacity"}
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
    travel = _travel(raw, base, where, fail)
    try:
        minutes_raw = raw.get("minutes", base.minutes if base else coverage.DEFAULT_MINUTES)
        minutes = CoverageOptions(minutes=minutes_raw).minutes
    except InputError as exc:
        raise fail(f"{where}.minutes", str(exc), key="minutes") from None
    checked_add = _check_add(raw.get("add", []), where, fail)
    checked_move = _check_move(raw.get("move", {}), where, fail)
    close = raw.get("close", [])
    if not isinstance(close, list) or not all(isinstance(c, (str, int)) for c in close):
        raise fail(f"{where}.close", "must be a list of station ids", key="close")
    propose = _check_propose(raw.get("propose"), where, fail)
    inherit = base if base is not None else None
    measure_items = _check_measures(raw.get("measures", base.measures if base else ()),
                                    where, fail)
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


def _check_measures(measure_items, where: str, fail):
    if not isinstance(measure_items, (list, tuple)):
        raise fail(f"{where}.measures", 'must be a list like ["backup", {name = "gravity", '
                   'half_life_min = 4}]', key="measures")
    try:
        measures.MeasureOptions.parse(measure_items, where=f"{where}.measures")
    except InputError as exc:
        raise fail(f"{where}.measures", str(exc).split(": ", 1)[-1], key="measures") from None
    return measure_items


def _travel(raw: dict, base: Variant | None, where: str, fail) -> Travel:
    try:
        travel_base = base.travel if base else Travel()
        mode = raw.get("mode", travel_base.mode)
        # a variant that changes the mode without a speed takes that mode's default speed
        speed = raw.get("speed_kmh", None if "mode" in raw or base is None
                        else travel_base.speed_kmh)
        if isinstance(speed, bool) or (speed is not None and not isinstance(speed, (int, float))):
            raise fail(f"{where}.speed_kmh", "must be a number of km/h", key="speed_kmh")
        snap = raw.get("max_snap_m", travel_base.max_snap_m)
        return Travel(mode, speed_kmh=speed, max_snap_m=snap)
    except InputError as exc:
        key = "mode" if "mode" in str(exc) else "speed_kmh" if "speed" in str(exc) else \
            "max_snap_m"
        raise fail(f"{where}.{key}", str(exc), key=key) from None


def _check_add(add, where: str, fail) -> list[dict]:
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
    return checked_add


def _check_move(move, where: str, fail) -> dict[str, tuple[float, float]]:
    if not isinstance(move, Mapping):
        raise fail(f"{where}.move", "must map station ids to [lon, lat]", key="move")
    checked_move = {}
    for sid, value in move.items():
        if not (isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise fail(f"{where}.move.{sid}", "must be [lon, lat]", key=str(sid))
        checked_move[str(sid)] = (float(value[0]), float(value[1]))
    return checked_move


def _check_propose(propose, where: str, fail) -> Mapping | None:
    if propose is None:
        return None
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
    return propose


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
        "min_covered_share": lambda v: _validate.share(v, name="min_covered_share"),
        "capacity": lambda v: _validate.number_in(v, name="capacity", unit="demand weight"),
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


#: Files every scenario run writes into its output folder.
FIXED_OUTPUTS = ("comparison.csv", "comparison.md", "report.json", "map.html")


def map_names(names: list[str]) -> dict[str, str]:
    """Each scenario's map file name (one slug each); an error names both sides of a clash."""
    return file_names(names, suffix=".html", reserved=FIXED_OUTPUTS, what="scenario")
