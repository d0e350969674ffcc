"""Resolve what entry points (CLI, scenarios, batches) are given into loaded inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from planner.data import layers
from planner.data import network
from planner.data import samples
from planner.errors import InputError, LayerError
from planner.settings import Settings


@dataclass(frozen=True)
class Inputs:
    """A network and the layers to analyse on it (candidates may be absent)."""

    network: network.Network
    stations: gpd.GeoDataFrame | None
    demand: gpd.GeoDataFrame | None
    candidates: gpd.GeoDataFrame | None
    sample: samples.Sample | None


def load_inputs(
    source: str | Path,
    *,
    stations: str | Path | None = None,
    demand: str | Path | None = None,
    candidates: str | Path | None = None,
    weight_column: str | None = None,
    settings: Settings | None = None,
    input_crs: str | Mapping[str, str | None] | None = None,
    aggregate: str | None = None,
    demand_weights: str | Path | None = None,
) -> Inputs:
    """Load a network (sample name, file or ``place:...``) and the layers for it.

    Layers not given fall back to the bundled sample's own layers when ``source`` names a
    sample; for other networks, stations and demand must be given. ``input_crs`` (one for
    all, or per role) is the CRS of the layers given here (``gcj02``, ``bd09``, EPSG...);
    ``demand`` may also be ``osm:pickup|dropoff|all`` or a population raster, and
    ``aggregate`` (``grid:250``, ``h3:9``) sums demand into cells (see
    :mod:`planner.data.demand_sources`).
    """
    from planner.data import demand_sources

    sample, paths = layer_paths(source, stations=stations, demand=demand, candidates=candidates)
    given = {"stations": stations, "demand": demand, "candidates": candidates}
    crs = {role: (input_crs.get(role) if isinstance(input_crs, Mapping) else input_crs)
           if given[role] is not None else None for role in given}
    stations_path, demand_path, candidates_path = (
        paths["stations"], paths["demand"], paths["candidates"])
    # the layers first: a mistake in them shows before a (possibly slow) network download
    station_layer = (layers.read_stations(stations_path, input_crs=crs["stations"])
                     if stations_path else None)
    candidate_layer = (layers.read_candidates(candidates_path, input_crs=crs["candidates"])
                       if candidates_path else None)
    if demand_path and not str(demand_path).lower().startswith("osm:") \
            and not Path(demand_path).exists():
        raise LayerError(f"demand layer {demand_path} does not exist; check the path")
    net = network.load_network(source, settings=settings)
    return Inputs(
        network=net,
        stations=station_layer,
        demand=(demand_sources.resolve_demand(
            demand_path, net, weight_column=weight_column, input_crs=crs["demand"],
            aggregate_spec=aggregate, weights_file=demand_weights) if demand_path else None),
        candidates=candidate_layer,
        sample=sample,
    )


def layer_paths(
    source: str | Path, *, stations=None, demand=None, candidates=None
) -> tuple[samples.Sample | None, dict[str, Path | None]]:
    """The sample ``source`` names (if any) and each layer's path: the one given, else the
    sample's own, else None."""
    sample = samples.resolve(source)
    given = {"stations": stations, "demand": demand, "candidates": candidates}
    return sample, {
        role: Path(path) if path is not None else (getattr(sample, role) if sample else None)
        for role, path in given.items()
    }


#: Per-layer keys of scenario and batch files: the CRS of each layer and demand aggregation.
LAYER_OPTION_KEYS = ("stations_crs", "demand_crs", "candidates_crs", "aggregate")


def layer_options(raw, *, where: str, inherit=None) -> dict:
    """``load_inputs`` keyword arguments from a scenario/batch table's ``<role>_crs`` and
    ``aggregate`` keys (values of ``inherit`` where the table has none)."""
    from planner.data.coords import parse_crs

    inherit = inherit or {}
    crs = dict(inherit.get("input_crs") or {})
    for role in ("stations", "demand", "candidates"):
        value = raw.get(f"{role}_crs")
        if value is not None:
            if not isinstance(value, str):
                raise InputError(f"{where}.{role}_crs: must be text like \"gcj02\"")
            crs[role] = parse_crs(value, option=f"{where}.{role}_crs")
    aggregate = raw.get("aggregate", inherit.get("aggregate"))
    if aggregate is not None:
        from planner.data.demand_sources import _parse_aggregate

        if not isinstance(aggregate, str):
            raise InputError(f"{where}.aggregate: must be text like \"grid:250\" or \"h3:9\"")
        _parse_aggregate(aggregate)
    return {"input_crs": crs, "aggregate": aggregate}


def require(value, what: str, option: str):
    """The value, or an error telling which option to give."""
    if value is None:
        raise InputError(f"no {what} layer: pass {option} PATH (GeoJSON, GeoPackage or CSV)")
    return value
