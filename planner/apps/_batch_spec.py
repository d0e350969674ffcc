"""Batch files: ``[defaults]`` and ``[[districts]]`` read and validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from planner import _validate
from planner._config import read_config
from planner._paths import file_names
from planner.errors import PlannerError, ScenarioError

DISTRICT_KEYS = {"name", "network", "bbox", "stations", "demand", "candidates", "weight_column",
                 "mode", "speed_kmh", "minutes", "analysis", "propose",
                 "stations_crs", "demand_crs", "candidates_crs", "aggregate", "lang"}
ANALYSES = ("coverage", "proposals")


@dataclass(frozen=True)
class District:
    """One district's inputs and analyses (paths absolute, values validated)."""

    name: str
    network: str
    bbox: tuple[float, float, float, float] | None = None
    stations: str | None = None
    demand: str | None = None
    candidates: str | None = None
    weight_column: str | None = None
    mode: str = "ebike"
    speed_kmh: float | None = None
    minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    analysis: tuple[str, ...] = ("coverage",)
    propose: Mapping = field(default_factory=dict)
    layer_options: Mapping = field(default_factory=dict)  # load_inputs: input_crs, aggregate
    lang: str | None = None  # map and report labels; None: Chinese for a network in China

    def to_dict(self) -> dict:
        return {"name": self.name, "network": self.network, "bbox": self.bbox,
                "stations": self.stations, "demand": self.demand, "candidates": self.candidates,
                "weight_column": self.weight_column, "mode": self.mode,
                "speed_kmh": self.speed_kmh, "minutes": list(self.minutes),
                "analysis": list(self.analysis), "propose": dict(self.propose),
                "layer_options": dict(self.layer_options), "lang": self.lang}


@dataclass(frozen=True)
class BatchSpec:
    title: str
    districts: tuple[District, ...]



def load(path: str | Path) -> BatchSpec:
    """Read a batch file (TOML, or YAML with PyYAML): ``[defaults]`` and ``[[districts]]``.

    Files are read with limits (size, nesting, no YAML aliases): see :mod:`planner._config`.
    """
    data, _ = read_config(path, what="batch file")
    path = Path(path).expanduser()
    return parse(data, base_dir=path.parent, name=str(path))


def parse(data: object, *, base_dir: Path | None = None, name: str = "batch") -> BatchSpec:
    """Validate batch data; mistakes name the district and key."""
    base_dir = base_dir or Path.cwd()
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{name}: expected [defaults] and [[districts]] tables")
    unknown = set(data) - {"title", "defaults", "districts"}
    if unknown:
        raise ScenarioError(f"{name}: unknown key {sorted(unknown)[0]!r}; allowed: title, "
                            "defaults, districts")
    defaults = data.get("defaults", {}) or {}
    districts = data.get("districts")
    if not isinstance(defaults, Mapping):
        raise ScenarioError(f"{name}: defaults must be a table")
    if not isinstance(districts, list) or not districts:
        raise ScenarioError(f"{name}: give at least one [[districts]] table")
    out, seen = [], set()
    for index, raw in enumerate(districts):
        where = f"{name}: districts[{index}]"
        if not isinstance(raw, Mapping):
            raise ScenarioError(f"{where} must be a table")
        merged = {**defaults, **raw}
        bad = set(merged) - DISTRICT_KEYS
        if bad:
            raise ScenarioError(f"{where}.{sorted(bad)[0]}: unknown key; allowed: "
                                f"{', '.join(sorted(DISTRICT_KEYS))}")
        district = _district(merged, where, base_dir)
        if district.name in seen:
            raise ScenarioError(f"{where}.name: duplicate district name {district.name!r}")
        seen.add(district.name)
        out.append(district)
    try:
        folder_names([d.name for d in out])
    except PlannerError as exc:
        raise ScenarioError(f"{name}: {exc}") from None
    return BatchSpec(title=str(data.get("title", "batch")), districts=tuple(out))


def _district(raw: Mapping, where: str, base_dir: Path) -> District:
    from planner.i18n import check_lang
    from planner.settings import Travel

    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{where}.name: every district needs a name")
    network = raw.get("network")
    if not isinstance(network, str) or not network:
        raise ScenarioError(f"{where}.network: give a sample name or an OSM file")

    def resolve(value, key):
        if value is None:
            return None
        if not isinstance(value, str):
            raise ScenarioError(f"{where}.{key}: must be a path")
        if key == "demand" and value.lower().startswith("osm:"):
            return value  # demand from the network's own OSM file
        candidate = Path(value)
        return str(candidate if candidate.is_absolute() else base_dir / candidate)

    if Path(network).suffix:
        network = resolve(network, "network")
    bbox = raw.get("bbox")
    if bbox is not None:
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(
                isinstance(b, (int, float)) and not isinstance(b, bool) for b in bbox)):
            raise ScenarioError(f"{where}.bbox: must be [west, south, east, north]")
        bbox = tuple(float(b) for b in bbox)
    analysis = raw.get("analysis", ["coverage"])
    if isinstance(analysis, str):
        analysis = [analysis]
    if not isinstance(analysis, list) or not set(analysis) <= set(ANALYSES) or not analysis:
        raise ScenarioError(f"{where}.analysis: choose from {', '.join(ANALYSES)}")
    try:
        travel = Travel(raw.get("mode", "ebike"), speed_kmh=raw.get("speed_kmh"))
        lang = None if raw.get("lang") is None else check_lang(raw["lang"], option="lang")
        minutes = _validate.minutes(raw.get("minutes", (5, 10, 15)))
    except PlannerError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    propose = raw.get("propose", {}) or {}
    if not isinstance(propose, Mapping):
        raise ScenarioError(f"{where}.propose: must be a table like {{k = 3}}")
    _check_propose(propose, where)
    from planner.apps._inputs import layer_options

    try:
        options = layer_options(raw, where=where)
    except PlannerError as exc:
        raise ScenarioError(str(exc)) from None
    return District(
        name=name.strip(), network=network, bbox=bbox,
        stations=resolve(raw.get("stations"), "stations"),
        demand=resolve(raw.get("demand"), "demand"),
        candidates=resolve(raw.get("candidates"), "candidates"),
        weight_column=raw.get("weight_column"), mode=travel.mode,
        speed_kmh=raw.get("speed_kmh"), minutes=minutes, analysis=tuple(analysis),
        propose=dict(propose), layer_options=options, lang=lang,
    )


# --------------------------------------------------------------------------- one district


def _check_propose(propose: Mapping, where: str) -> None:
    from planner.apps._scenario_spec import propose_checks

    checks = propose_checks()
    for key, value in propose.items():
        if key not in checks:
            raise ScenarioError(f"{where}.propose.{key}: unknown key; allowed: "
                                f"{', '.join(sorted(checks))}")
        try:
            checks[key](value)
        except PlannerError as exc:
            raise ScenarioError(f"{where}.propose.{key}: {exc}") from None


#: Files every batch writes into its output folder (beside one folder per district).
FIXED_OUTPUTS = ("districts.csv", "districts.md", "districts.json")


def folder_names(names: list[str]) -> dict[str, str]:
    """Each district's folder name (one slug each); an error names both sides of a clash."""
    return file_names(names, reserved=FIXED_OUTPUTS, what="district")
