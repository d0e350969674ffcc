"""The 15-minute check: which demand reaches a station in time, the gaps, and each station's load."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from planner import _validate
from planner.i18n import _
from planner.analysis._coverage_arrays import counter, link_labels, records  # noqa: F401
from planner.analysis import _gap_areas
from planner.engine import isochrones
from planner.data import layers
from planner.engine import traveltime
from planner.engine.study import Study, as_study
from planner.analysis.options import DEFAULT_MINUTES, GAP_LINK_M, CoverageOptions
from planner.errors import LayerError
from planner.data.network import Network, StreetGraph
from planner.settings import Travel

__all__ = ["CoverageResult", "CoverageOptions", "analyze", "is_covered", "unreachable_causes", "DEFAULT_MINUTES", "CAUSES"]

log = logging.getLogger(__name__)

#: Why a demand place cannot reach any station (the ``unreachable_cause`` column).
CAUSES: dict[str, str] = {
    "far_from_street": "farther than the snap distance from any street the mode may use",
    "no_path": "on a piece of street network with no path to any station",
    "one_way": "joined to a station only against one-way rules",
}


def is_covered(seconds: np.ndarray, minutes: float | np.ndarray) -> np.ndarray:
    """The one rule for "covered": the unrounded time is at most ``minutes`` x 60 seconds.

    Every count, share, per-place column, gap and map colour uses this; minutes are rounded
    only for display.
    """
    return np.asarray(seconds, dtype=float) <= np.asarray(minutes, dtype=float) * 60.0


@dataclass(frozen=True)
class CoverageResult:
    """The outcome of one coverage check (immutable; frames are in EPSG:4326).

    Attributes
    ----------
    stations
        ``id, name, on_network, access_m, served_weight, served_places, reach_weight`` per
        station; *served* counts demand whose nearest station it is and that reaches it
        within the main threshold, *reach* all demand within the threshold of it.
    demand
        ``id, name, weight, on_network, access_m, seconds_to_nearest, minutes_to_nearest,
        nearest_station, stations_within, unreachable_cause, covered_<m>`` per demand place
        (``inf`` = cannot reach; ``minutes_to_nearest`` is rounded up to 0.01 for display, coverage is
        decided on the unrounded ``seconds_to_nearest`` by :func:`is_covered`;
        ``unreachable_cause`` is a key of :data:`CAUSES` or "").
    gaps
        Uncovered demand grouped into areas: ``gap_id, places, weight, worst_minutes,
        anchor_name, anchor_lon, anchor_lat`` and a polygon.
    isochrones
        ``station_id`` (``all`` for the dissolved service area), ``minutes``, ``area_km2``.
    """

    network: str
    travel: Travel
    minutes: tuple[float, ...]
    stations: gpd.GeoDataFrame = field(repr=False)
    demand: gpd.GeoDataFrame = field(repr=False)
    gaps: gpd.GeoDataFrame = field(repr=False)
    isochrones: gpd.GeoDataFrame = field(repr=False)
    graph_summary: dict = field(repr=False)
    #: Sparse (stations x demand) seconds within the main threshold (pattern = reach).
    reach_s: object = field(default=None, repr=False, compare=False)
    #: Measures added by :func:`planner.analysis.measures.apply` (``None``: none).
    measures: object = field(default=None, repr=False, compare=False)

    @property
    def threshold(self) -> float:
        """The main threshold (the largest of :attr:`minutes`), e.g. 15."""
        return max(self.minutes)

    def covered_share(self, minutes: float | None = None) -> float:
        """Weighted share of demand within ``minutes`` (default: the main threshold)."""
        m = self.threshold if minutes is None else minutes
        weight = self.demand["weight"].to_numpy()
        covered = is_covered(self.demand["seconds_to_nearest"].to_numpy(), m)
        return float(weight[covered].sum() / weight.sum()) if weight.sum() else 0.0

    def unreachable(self) -> dict:
        """Demand that reaches no station, by cause: places, weight and share of the weight."""
        cause = self.demand["unreachable_cause"].to_numpy()
        weight = self.demand["weight"].to_numpy()
        total = float(weight.sum()) or 1.0

        def block(mask: np.ndarray) -> dict:
            return {"places": int(mask.sum()), "weight": round(float(weight[mask].sum()), 3),
                    "share": round(float(weight[mask].sum()) / total, 4)}

        out = block(cause != "")
        out["causes"] = {key: {**block(cause == key), "meaning": text}
                         for key, text in CAUSES.items()}
        return out

    def summary(self) -> dict:
        """Headline numbers as plain JSON-ready data."""
        demand = self.demand
        seconds = demand["seconds_to_nearest"].to_numpy()
        minutes = seconds / 60.0
        reachable = minutes[np.isfinite(minutes)]
        weight = demand["weight"].to_numpy()
        # the 10 slowest (unreachable first), ties in layer order: arrays, not a frame sort
        worst = np.argsort(-seconds, kind="stable")[:10]
        ids, names = demand["id"].to_numpy()[worst], demand["name"].to_numpy()[worst]
        return {
            "network": self.network,
            "mode": self.travel.mode,
            "speed_kmh": self.travel.speed_kmh,
            "thresholds_min": list(self.minutes),
            "stations": int(len(self.stations)),
            "stations_on_network": int(self.stations["on_network"].sum()),
            "demand_places": int(len(demand)),
            "demand_weight": round(float(weight.sum()), 3),
            "demand_off_network": int((~demand["on_network"]).sum()),
            "covered": {
                f"{m:g}": {
                    "share": round(self.covered_share(m), 4),
                    "places": int(is_covered(seconds, m).sum()),
                    "weight": round(float(weight[is_covered(seconds, m)].sum()), 3),
                }
                for m in self.minutes
            },
            "unreachable": self.unreachable(),
            "covered_by_2plus_share": round(
                float(weight[demand["stations_within"].to_numpy() >= 2].sum() / weight.sum()), 4
            ),
            "gaps": int(len(self.gaps)),
            "gap_weight": round(float(self.gaps["weight"].sum()), 3) if len(self.gaps) else 0.0,
            "minutes_to_nearest": {
                "median": _round(np.median(reachable)) if reachable.size else None,
                "p90": _round(np.percentile(reachable, 90)) if reachable.size else None,
                "max": _round(reachable.max()) if reachable.size else None,
                "unreachable_places": int((~np.isfinite(minutes)).sum()),
            },
            "worst_served": [
                {"id": i, "name": n, "minutes": _round(m)} for i, n, m in zip(
                    ids, names, demand["minutes_to_nearest"].to_numpy()[worst])
            ],
            "network_graph": self.graph_summary,
            **({"measures": self.measures.summary()} if self.measures is not None else {}),
        }

    def to_dict(self, *, places: bool = True) -> dict:
        """Summary plus per-station and per-gap rows, and per-demand rows unless ``places``
        is False (reports keep those in a table beside the JSON, and the gap rows then
        leave out their ``place_ids``)."""
        gaps = self.gaps if places or "place_ids" not in self.gaps else self.gaps.drop(
            columns=["place_ids"])
        out = {"summary": self.summary(), "stations": records(self.stations),
               "gaps": records(gaps) if len(gaps) else []}
        if places:
            out["demand"] = records(self.demand)
        return out

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=kwargs.pop("indent", 2),
                          **kwargs)


def _round(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 2)


def analyze(
    study: Study | Network | StreetGraph,
    stations: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    *,
    options: CoverageOptions | None = None,
    travel: Travel | None = None,
    minutes: Sequence[float] | None = None,
    with_isochrones: bool | None = None,
    per_station_isochrones: bool | None = None,
    buffer_m: float | None = None,
    gap_link_m: float | None = None,
    progress: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> CoverageResult:
    """Check which demand reaches a station within each threshold.

    Parameters
    ----------
    study
        A :class:`~planner.engine.study.Study` (its stations and demand, snapped once and
        reused), or a :class:`~planner.data.network.Network` (then ``travel`` picks the mode)
        or a street graph already built for one mode, with ``stations`` and ``demand``.
    stations, demand
        Point layers as returned by :mod:`planner.data.layers` (``id``, ``name``,
        ``weight``); with a study, they replace the study's own.
    options
        Thresholds and outlines (:class:`~planner.analysis.options.CoverageOptions`);
        the keywords ``minutes``, ``with_isochrones``, ``per_station_isochrones``,
        ``buffer_m`` and ``gap_link_m``, where given, override its fields.
    travel
        Mode and speed; defaults to the study's (riders on e-bikes for a bare network).
    progress
        Called with a line of text at each stage (and as per-station outlines advance).
    cache_dir
        Keep the outlines in this folder (``outlines/``), keyed by content: a run with the
        same network, points and settings reads them back.
    """
    say = progress or (lambda message: None)
    options = (options or CoverageOptions()).replace(
        minutes=minutes, isochrones=with_isochrones, per_station=per_station_isochrones,
        buffer_m=buffer_m, gap_link_m=gap_link_m)
    minutes, with_isochrones, per_station_isochrones = (
        options.minutes, options.isochrones, options.per_station)
    buffer_m, gap_link_m = options.buffer_m, options.gap_link_m
    study = as_study(study, stations=stations, demand=demand, travel=travel)
    street, travel = study.street, study.travel
    stations, demand = study.layer("stations"), study.layer("demand")
    snap_s, snap_d = _snap_layers(study, stations, demand, say)
    graph = study.travel_graph({"stations": stations, "demand": demand})
    s_doors, d_doors = graph.door("stations"), graph.door("demand")

    say(_("computing travel times to the nearest station"))
    seconds, nearest_pos = traveltime.time_to_nearest(graph, s_doors)
    d_seconds = np.where(d_doors >= 0, seconds[np.maximum(d_doors, 0)], np.inf)
    d_nearest = np.where(d_doors >= 0, nearest_pos[np.maximum(d_doors, 0)], -1)
    within = traveltime.times_to_each(graph, s_doors, d_doors, limit=max(minutes) * 60)

    station_ids = stations["id"].astype(str).to_numpy()
    demand_out = gpd.GeoDataFrame({
        "id": demand["id"].astype(str).to_numpy(),
        "name": demand["name"].astype(str).to_numpy(),
        "kind": demand["kind"].astype(str).to_numpy() if "kind" in demand else "",
        "weight": demand["weight"].to_numpy(dtype=float),
        "on_network": snap_d.on_network,
        "access_m": np.round(np.where(snap_d.on_network, snap_d.offset_m, np.nan), 1),
        "seconds_to_nearest": d_seconds,
        "minutes_to_nearest": display_minutes(d_seconds),
        "nearest_station": np.where(d_nearest >= 0, station_ids[np.maximum(d_nearest, 0)], ""),
        "stations_within": np.diff(within.tocsc().indptr).astype(int),
        "unreachable_cause": unreachable_causes(graph, s_doors, d_doors, d_seconds),
    }, geometry=demand.geometry.to_numpy(), crs="EPSG:4326")
    for m in minutes:
        demand_out[f"covered_{m:g}"] = is_covered(d_seconds, m)
    station_out = _station_frame(stations, snap_s, demand_out, d_nearest, within, travel,
                                 max(minutes))
    if with_isochrones:
        say(_("drawing isochrones"))
        parts = [isochrones.service_area(graph, seconds, minutes, buffer_m=buffer_m,
                                         cache_dir=cache_dir)]
        if per_station_isochrones:
            parts.append(_station_outlines(graph, s_doors, station_ids, seconds, nearest_pos,
                                           options, say, cache_dir))
        iso = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=street.crs)
        iso = iso.to_crs("EPSG:4326")
    else:
        iso = gpd.GeoDataFrame({"station_id": [], "minutes": [], "outline": [],
                                "area_km2": []},
                               geometry=[], crs="EPSG:4326")
    gaps = find_gaps(demand_out, street.crs, threshold=max(minutes), link_m=gap_link_m)
    return CoverageResult(network=street.network.name, travel=travel, minutes=minutes,
                          stations=station_out, demand=demand_out, gaps=gaps, isochrones=iso,
                          graph_summary=street.summary(), reach_s=within)


def _station_outlines(graph, s_doors, station_ids, seconds, nearest_pos,
                      options: CoverageOptions, say, cache_dir) -> gpd.GeoDataFrame:
    """Each station's isochrones, or beyond ``options.per_station_max`` stations each
    station's catchment within the main threshold (one pass, said on the console)."""
    on = int((s_doors >= 0).sum())
    progress = counter(say, _("outlines of stations"), on)
    if on <= options.per_station_max:
        return isochrones.station_isochrones(
            graph, s_doors, station_ids, options.minutes, buffer_m=options.buffer_m,
            cache_dir=cache_dir, progress=progress)
    say(_("{n} stations (over {most}): each outline is the station's {minutes}-min catchment, "
          "drawn in one pass").format(n=on, most=options.per_station_max,
                                      minutes=f"{options.threshold:g}"))
    return isochrones.station_catchments(
        graph, s_doors, station_ids, options.minutes, seconds=seconds, nearest=nearest_pos,
        buffer_m=options.buffer_m, cache_dir=cache_dir, progress=progress)


def _snap_layers(study: Study, stations, demand, say) -> tuple:
    """Check and snap both layers (once per study); refuse a run where no station is on the
    network."""
    street, travel = study.street, study.travel
    for frame, role in ((stations, "stations"), (demand, "demand")):
        if len(frame) == 0:
            raise LayerError(f"the {role} layer is empty; give at least one point")
        layers.check_area(frame, street, role=role)
    say(_("snapping {stations} stations and {places} demand places to the streets").format(
        stations=len(stations), places=len(demand)))
    snap_s, snap_d = study.snap(stations), study.snap(demand)
    if not snap_s.on_network.any():
        raise LayerError(
            f"all {len(stations)} stations are farther than {travel.max_snap_m:g} m from any "
            f"street usable {travel.spec.label}; check the stations layer's coordinates or "
            "raise max_snap_m"
        )
    return snap_s, snap_d


def _station_frame(stations, snap_s, demand_out, d_nearest, within, travel: Travel,
                   threshold: float) -> gpd.GeoDataFrame:
    """Per station: the demand it serves (nearest, within the main threshold) and reaches."""
    weight = demand_out["weight"].to_numpy()
    main = demand_out[f"covered_{threshold:g}"].to_numpy()
    served = np.bincount(d_nearest[main], weights=weight[main], minlength=len(stations))
    served_n = np.bincount(d_nearest[main], minlength=len(stations))
    station_out = gpd.GeoDataFrame({
        "id": stations["id"].astype(str).to_numpy(),
        "name": stations["name"].astype(str).to_numpy(),
        "on_network": snap_s.on_network,
        "access_m": np.round(np.where(snap_s.on_network, snap_s.offset_m, np.nan), 1),
        "served_weight": np.round(served, 3),
        "served_places": served_n.astype(int),
        "reach_weight": np.round(_row_weight(within, weight), 3),
    }, geometry=stations.geometry.to_numpy(), crs="EPSG:4326")
    if "capacity" in stations.columns:
        station_out["capacity"] = stations["capacity"].to_numpy()
    off = station_out.loc[~station_out["on_network"], "id"].tolist()
    if off:
        log.warning("stations off the %s network (more than %g m from a street): %s",
                    travel.mode, travel.max_snap_m, ", ".join(off))
    return station_out


def display_minutes(seconds: np.ndarray) -> np.ndarray:
    """Minutes rounded UP to 0.01 for display: shown <= m exactly when :func:`is_covered`
    at any threshold m given to 0.01 min (a place shown at "15.00" is covered at 15), up to
    a float rounding error of the threshold itself."""
    seconds = np.asarray(seconds, dtype=float)
    with np.errstate(invalid="ignore"):
        shown = np.ceil(seconds / 60 * 100) / 100
        shown = np.where(is_covered(seconds, shown), shown, shown + 0.01)  # fp: never below
        lower = shown - 0.01
        shown = np.where(is_covered(seconds, lower), lower, shown)  # fp: never a step above
    return np.round(shown, 2)


def unreachable_causes(graph: traveltime.TravelGraph, s_doors: np.ndarray, d_doors: np.ndarray,
            d_seconds: np.ndarray) -> np.ndarray:
    """Why each place reaches no station (a key of :data:`CAUSES`), "" where it does."""
    cause = np.full(d_doors.size, "", dtype=object)
    cause[d_doors < 0] = "far_from_street"
    stuck = np.flatnonzero((d_doors >= 0) & ~np.isfinite(d_seconds))
    if stuck.size:
        # connected ignoring direction: a path exists, but only against one-way rules
        _count, label = connected_components(graph.csr_to, directed=False)
        with_station = np.zeros(label.max() + 1, dtype=bool)
        with_station[label[s_doors[s_doors >= 0]]] = True
        joined = with_station[label[d_doors[stuck]]]
        cause[stuck] = np.where(joined, "one_way", "no_path")
    return cause.astype(str)


def _row_weight(matrix, weight: np.ndarray) -> np.ndarray:
    """Sum of target weights per row of a sparse reach matrix (pattern, not values)."""
    pattern = matrix.tocsr()
    row_of = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    return np.bincount(row_of, weights=weight[pattern.indices], minlength=pattern.shape[0])


def find_gaps(
    demand: gpd.GeoDataFrame, crs: str, *, threshold: float, link_m: float = GAP_LINK_M
) -> gpd.GeoDataFrame:
    """Group demand not covered within ``threshold`` minutes into gap areas.

    Places closer than ``link_m`` to each other join one gap; each gap gets its total
    weight, its heaviest place as the anchor and a polygon around its places: the union of
    its places' Voronoi cells (among all demand places, reached ones included), each cut to
    a disc of ``link_m / 2``, so a gap area holds no reached place. Exact up to
    :data:`~planner.analysis._gap_areas.EXACT_PLACES` demand places, drawn on a raster of
    ``link_m / 16`` cells beyond (the same two rules hold: no reached place inside, every
    gap place inside or on the edge).
    """
    times = (demand["seconds_to_nearest"].to_numpy() if "seconds_to_nearest" in demand
             else demand["minutes_to_nearest"].to_numpy() * 60.0)
    return _gap_areas.find_gaps(demand, crs, reached=is_covered(times, threshold),
                                link_m=link_m)
