"""Measures beyond "within 15 minutes": redundancy, capacity (E2SFCA), gravity and equity.

Each measure reads a :class:`~planner.analysis.coverage.CoverageResult` (its sparse station x
place travel-time matrix and its frames) and adds a column per place and per station and a
summary. :func:`apply` returns a new result carrying them; the report, the console and the map
show whatever it carries.

>>> result = measures.apply(result, ["backup", "capacity", "gravity:half_life_min=4"])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis.measures import _backup, _capacity, _equity, _gravity
from planner.analysis.measures._backup import BackupOptions, BackupResult, backup
from planner.analysis.measures._capacity import CapacityOptions, CapacityResult, capacity_measure
from planner.analysis.measures._equity import (EquityOptions, EquityResult, equity_measure, gini,
                                               lorenz, palma)
from planner.analysis.measures._gravity import GravityOptions, GravityResult, gravity_measure
from planner.analysis.measures._matrix import Reach
from planner.errors import InputError, LayerError

__all__ = [
    "NAMES", "MeasureOptions", "MeasureSet", "apply", "capacities", "read_areas",
    "comparison_columns",
    "BackupOptions", "BackupResult", "backup",
    "CapacityOptions", "CapacityResult", "capacity_measure",
    "GravityOptions", "GravityResult", "gravity_measure",
    "EquityOptions", "EquityResult", "equity_measure", "gini", "palma", "lorenz", "Reach",
]

NAMES: tuple[str, ...] = ("backup", "capacity", "gravity", "equity")
_OPTION_TYPES = {"backup": BackupOptions, "capacity": CapacityOptions,
                 "gravity": GravityOptions, "equity": EquityOptions}


@dataclass(frozen=True)
class MeasureOptions:
    """Which measures to compute and their options (``None``: not computed)."""

    backup: BackupOptions | None = None
    capacity: CapacityOptions | None = None
    gravity: GravityOptions | None = None
    equity: EquityOptions | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in NAMES if getattr(self, n) is not None)

    @classmethod
    def parse(cls, items: Iterable[object], *, where: str = "--measure") -> "MeasureOptions":
        """From ``"name"``, ``"name:key=value,key=value"`` or ``{"name": ..., key: value}``;
        ``all`` means every measure with its defaults."""
        chosen: dict[str, object] = {}
        for item in items:
            if isinstance(item, Mapping):
                raw = dict(item)
                name = str(raw.pop("name", "")).strip().lower()
            elif isinstance(item, str):
                name, _, rest = item.partition(":")
                name = name.strip().lower()
                raw = {}
                for pair in filter(None, (p.strip() for p in rest.split(","))):
                    key, sep, value = pair.partition("=")
                    if not sep:
                        raise InputError(f"{where}: {pair!r} in {item!r} is not KEY=VALUE")
                    raw[key.strip()] = value.strip()
            else:
                raise InputError(f"{where}: {item!r} is not a measure name or table")
            if name == "all" and not raw:
                chosen.update({n: _OPTION_TYPES[n]() for n in NAMES if n not in chosen})
                continue
            if name not in _OPTION_TYPES:
                raise InputError(f"{where}: unknown measure {name!r}; use "
                                 f"{', '.join(NAMES)} or all")
            chosen[name] = _options(_OPTION_TYPES[name], raw, f"{where} {name}")
        return cls(**chosen)


def _options(kind: type, raw: dict, where: str):
    fields = {f.name: f for f in dataclasses.fields(kind)}
    values = {}
    for key, value in raw.items():
        if key not in fields:
            allowed = ", ".join(fields) or "none"
            raise InputError(f"{where}: unknown option {key!r}; allowed: {allowed}")
        values[key] = _coerce(key, value, where)
    try:
        return kind(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: {exc}") from None


def _coerce(key: str, value: object, where: str):
    if key == "decay":
        return str(value).strip().lower()
    if key == "steps":
        if isinstance(value, str):  # "5:1/10:0.68/15:0.22"
            value = [p.split(":") for p in value.split("/") if p.strip()]
        try:
            return tuple((float(u), float(w)) for u, w in value)
        except (TypeError, ValueError):
            raise InputError(f"{where}: steps are UPPER_MIN:WEIGHT pairs, e.g. "
                             "5:1/10:0.68/15:0.22") from None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {key} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise InputError(f"{where}: {key} must be finite")
    return number


@dataclass(frozen=True, eq=False)
class MeasureSet:
    """The measures computed for one coverage result, with their JSON-ready summaries."""

    options: MeasureOptions
    backup: BackupResult | None = None
    capacity: CapacityResult | None = None
    gravity: GravityResult | None = None
    equity: EquityResult | None = None
    summaries: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        return dict(self.summaries)

    def lines(self) -> list[str]:
        """Console lines, one block per measure."""
        out: list[str] = []
        for name, module in (("backup", _backup), ("capacity", _capacity),
                             ("gravity", _gravity), ("equity", _equity)):
            if name in self.summaries:
                out.extend(module.lines(self.summaries[name]))
        return out


def capacities(stations: pd.DataFrame, *, where: str = "stations") -> np.ndarray:
    """The stations' ``capacity`` column as positive numbers (missing or empty: 1)."""
    if "capacity" not in stations.columns:
        return np.ones(len(stations))
    raw = stations["capacity"].replace("", np.nan)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = (raw.notna().to_numpy() & ~np.isfinite(values)) | (np.isfinite(values) & (values <= 0))
    if bad.any():
        ids = stations["id"].astype(str).to_numpy()[bad][:5]
        raise LayerError(f"{where}: column 'capacity' must hold positive numbers (seats, "
                         f"chargers...); fix station(s) {', '.join(ids)} or leave them empty "
                         "for 1")
    return np.where(np.isfinite(values), values, 1.0)


def read_areas(path) -> gpd.GeoDataFrame:
    """Area polygons (street offices, communities) with ``area_id`` and ``name``."""
    import pyogrio

    from planner.data import layers

    polygons = layers.read_areas(path, role="areas")
    attributes = pyogrio.read_dataframe(path, read_geometry=False)
    columns = {str(c).strip().lower(): c for c in attributes.columns}
    ids = [f"A{i + 1}" for i in range(len(polygons))]
    source = columns.get("id") or columns.get("area_id")
    if source is not None:
        ids = attributes[source].astype(str).to_numpy()
        if len(set(ids)) != len(ids):
            raise LayerError(f"areas layer {path}: column {source!r} has duplicate ids")
    name_source = columns.get("name") or columns.get("name:zh")
    names = attributes[name_source].fillna("").astype(str).to_numpy() if name_source else ids
    names = np.where(pd.Series(names).str.strip() == "", ids, names)
    return gpd.GeoDataFrame({"area_id": ids, "name": names},
                            geometry=polygons.geometry.to_numpy(), crs="EPSG:4326")


def apply(result, measures: MeasureOptions | Iterable[object], *,
          areas: gpd.GeoDataFrame | None = None):
    """A copy of a coverage result with the requested measures' columns and summaries."""
    options = measures if isinstance(measures, MeasureOptions) else MeasureOptions.parse(measures)
    if not options.names:
        return result
    if getattr(result, "reach_s", None) is None:
        raise InputError("this coverage result carries no travel-time matrix; run "
                         "coverage.analyze again to compute measures")
    threshold = float(result.threshold)
    reach = Reach.from_seconds(result.reach_s, limit_min=threshold)
    demand, stations = result.demand.copy(), result.stations.copy()
    weight = demand["weight"].to_numpy(dtype=float)
    ids = stations["id"].astype(str).to_numpy()
    capacity = capacities(stations)
    found: dict[str, object] = {}
    summaries: dict[str, dict] = {}
    if options.backup is not None:
        res = found["backup"] = backup(reach, weight, options=options.backup)
        demand["covered_2plus"] = res.stations_within >= 2
        stations["sole_weight"] = np.round(res.sole_weight, 3)
        stations["sole_places"] = res.sole_places
        stations["critical"] = res.critical
        summaries["backup"] = _backup.summary(res, ids)
    if options.capacity is not None:
        res = found["capacity"] = capacity_measure(reach, weight, capacity,
                                                   threshold_min=threshold,
                                                   options=options.capacity)
        demand["e2sfca_access"] = np.round(res.access, 6)
        stations["capacity"] = capacity
        stations["riders_per_seat"] = np.round(res.load_ratio, 3)
        stations["load_vs_mean"] = np.round(res.load_vs_mean, 3)
        stations["overloaded"] = res.overloaded
        summaries["capacity"] = _capacity.summary(res, ids, weight)
    if options.gravity is not None:
        res = found["gravity"] = gravity_measure(reach, weight, capacity, options=options.gravity)
        demand["gravity_access"] = np.round(res.access, 4)
        stations["gravity_potential"] = np.round(res.potential, 3)
        summaries["gravity"] = _gravity.summary(res, weight)
    if options.equity is not None:
        res = found["equity"] = equity_measure(demand, threshold_min=threshold, areas=areas,
                                               options=options.equity)
        demand["area_id"] = res.place_area
        demand["in_worst_share"] = res.worst
        summaries["equity"] = _equity.summary(res, demand)
    measure_set = MeasureSet(options=options, summaries=summaries, **found)
    return dataclasses.replace(result, demand=demand, stations=stations, measures=measure_set)


def comparison_columns(measure_set: MeasureSet | None) -> dict:
    """Headline measure numbers as columns of a scenario comparison table (none if absent)."""
    if measure_set is None:
        return {}
    sums = measure_set.summaries
    out: dict[str, object] = {}
    if "backup" in sums:
        out["covered_2plus_%"] = round(100 * sums["backup"]["covered_2plus_share"], 2)
        out["critical_stations"] = len(sums["backup"]["critical_stations"])
    if "capacity" in sums:
        stations = sums["capacity"]["stations"]
        out["max_riders_per_seat"] = stations[0]["riders_per_seat"] if stations else None
        out["overloaded"] = sum(s["overloaded"] for s in stations)
    if "gravity" in sums:
        out["gravity_mean_access"] = sums["gravity"]["mean_access"]
    if "equity" in sums:
        out["gini"] = sums["equity"]["gini"]
        out["palma"] = sums["equity"]["palma"]
    return out
