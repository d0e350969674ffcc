"""1+N plans on a street network: one hub plus N satellites in public places near it.

From layers to the matrices of :mod:`planner.optimize.hub` and back to named sites: "satellite
at 石油加油站 (fuel), 3 min from the hub, newly covers 12 places". Per-service coverage before
and after the plan comes from :mod:`planner.analysis.services`.
"""

from __future__ import annotations

import datetime as dt
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import _validate
from planner.analysis import services as service_stage
from planner.data import layers
from planner.data import services as vocab
from planner.data.network import Network, StreetGraph
from planner.engine import traveltime
from planner.errors import InputError, LayerError
from planner.optimize import hub as hub_model
from planner.settings import Travel
from planner.i18n import _, fmt_percent, fmt_places, service_name

__all__ = ["HubPlan", "propose_hub", "plan_stations", "HUB_COLUMN", "HUB_SERVICES", "SATELLITE_SERVICES"]

#: Candidates with a true value here may host the hub (others: satellites only).
HUB_COLUMN = "hub_capable"
#: What a new hub offers by default (a full station).
HUB_SERVICES = ("rest", "water", "microwave", "charging", "battery_swap", "first_aid", "toilet",
                "canteen")
#: What a new satellite offers by default (a corner in an existing public place).
SATELLITE_SERVICES = ("rest", "water", "charging")
_TRUE = {"1", "true", "yes", "y", "t", "是"}


@dataclass(frozen=True)
class HubPlan:
    """One hub and its satellites, what they add, and per-service coverage before/after."""

    travel: Travel
    minutes: float
    hub_minutes: float
    hub: dict
    satellites: gpd.GeoDataFrame = field(repr=False)
    solution: hub_model.HubSolution
    covered_share_before: float
    covered_share_after: float
    services_before: service_stage.ServiceCoverage | None = field(repr=False)
    services_after: service_stage.ServiceCoverage | None = field(repr=False)
    details: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        out = {"model": "hub", "mode": self.travel.mode, "speed_kmh": self.travel.speed_kmh,
               "threshold_min": self.minutes, "hub_minutes": self.hub_minutes,
               "hub": self.hub, "satellites": int(len(self.satellites)),
               "covered_share_before": round(self.covered_share_before, 4),
               "covered_share_after": round(self.covered_share_after, 4),
               "solver": self.solution.to_dict(), **self.details}
        if self.services_before is not None and self.services_after is not None:
            key = f"covered_{self.minutes:g}_share"
            before = self.services_before.table().set_index("service")[key]
            after = self.services_after.table().set_index("service")[key]
            out["services"] = [{"service": s, "covered_share_before": float(before.get(s, 0.0)),
                                "covered_share_after": float(after[s])} for s in after.index]
        return out

    def to_dict(self) -> dict:
        plain = pd.DataFrame(self.satellites.drop(columns="geometry"))
        plain["lon"] = self.satellites.geometry.x.round(6)
        plain["lat"] = self.satellites.geometry.y.round(6)
        return {"summary": self.summary(),
                "satellites": json.loads(plain.to_json(orient="records", force_ascii=False))}

    def lines(self) -> list[str]:
        """Console lines: the hub, coverage before -> after, each satellite, per service."""
        h, sep = self.hub, _(", ")
        gain = _("+{weight} weight, {places}")
        out = [_("hub: {id} {name} ({kind})").format(id=h["id"], name=h["name"],
                                                      kind=h["kind"] or h["source"])
               + (_(" [existing]") if h["source"] == "existing" else ": " + gain.format(
                   weight=f"{h['newly_covered_weight']:g}",
                   places=fmt_places(h["newly_covered_places"]))),
               _("covered within {minutes} min: {before} -> {after} of demand weight").format(
                   minutes=f"{self.minutes:g}", before=fmt_percent(self.covered_share_before),
                   after=fmt_percent(self.covered_share_after))]
        for row in self.satellites.itertuples():
            out.append("  " + _("satellite #{rank} at {name} ({kind}), {minutes} min from hub "
                                "{hub}: {gain}; offers {services}").format(
                rank=row.rank, name=row.name, kind=row.kind or row.source,
                minutes=f"{row.time_to_hub_min:.1f}", hub=row.hub_id,
                gain=gain.format(weight=f"{row.newly_covered_weight:g}",
                                 places=fmt_places(row.newly_covered_places)),
                services=sep.join(service_name(x) for x in str(row.services).split(";") if x)))
        asked = self.details.get("k_requested", len(self.satellites))
        if len(self.satellites) < asked:
            out.append("  " + _("({asked} satellites asked; only {n} add coverage among the "
                                "sites within {minutes} min of the hub)").format(
                asked=asked, n=len(self.satellites), minutes=f"{self.hub_minutes:g}"))
        summary = self.summary()
        if "services" in summary:
            out.append(_("per service, before -> after:"))
            out += ["  " + _("{service}: {before} -> {after}").format(
                service=service_name(x["service"]),
                before=fmt_percent(x["covered_share_before"], 0),
                after=fmt_percent(x["covered_share_after"], 0)) for x in summary["services"]]
        return out


def _hub_capable(candidates: gpd.GeoDataFrame, column: str) -> np.ndarray:
    if column not in candidates.columns:
        return np.ones(len(candidates), bool)
    def true(value) -> bool:
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            return bool(value)
        return str(value).strip().lower() in _TRUE

    return np.array([true(v) for v in candidates[column]], dtype=bool)


def _pick_hub(hub, stations, candidates, capable) -> tuple[str, int]:
    """('existing', station row) or ('candidate', candidate row) for ``hub``; ('', -1) if None."""
    if hub is None:
        return "", -1
    if stations is not None and (stations["id"].astype(str) == str(hub)).any():
        return "existing", int(np.flatnonzero(stations["id"].astype(str) == str(hub))[0])
    match = np.flatnonzero(candidates["id"].astype(str) == str(hub))
    if match.size:
        return "candidate", int(match[0])
    known = ([] if stations is None else stations["id"].astype(str).tolist())
    raise InputError(f"--hub {hub!r} is neither a station nor a candidate id; stations: "
                     f"{', '.join(known[:10]) or '(none)'}")


def propose_hub(
    network: Network | StreetGraph,
    stations: gpd.GeoDataFrame | None,
    demand: gpd.GeoDataFrame,
    *,
    candidates: gpd.GeoDataFrame,
    k: int = 4,
    hub_minutes: float = 10.0,
    minutes: float = 15.0,
    travel: Travel | None = None,
    hub: str | None = None,
    hub_column: str = HUB_COLUMN,
    hub_covers: bool = True,
    service: str | None = None,
    hub_services: Sequence[str] = HUB_SERVICES,
    new_services: Sequence[str] = SATELLITE_SERVICES,
    at: str | dt.datetime | None = None,
    vocabulary: vocab.Vocabulary = vocab.DEFAULT_VOCABULARY,
    time_limit: float = 60.0,
    with_services: bool = True,
    progress: Callable[[str], None] | None = None,
) -> HubPlan:
    """Choose one hub and up to ``k`` satellites within ``hub_minutes`` of it.

    Parameters
    ----------
    stations
        Existing stations: what they cover counts as covered (only those offering ``service``
        and open at ``at`` when these are given).
    candidates
        Sites for satellites (public places); those with a true ``hub_column`` may also host
        the hub (every candidate when the column is absent).
    hub
        An existing station id (plan satellites only, around it) or a candidate id (force the
        hub there); None lets the model choose among the hub-capable candidates.
    service
        Plan for one service: demand counts as covered only by stations offering it; the hub
        and satellites cover only if ``hub_services`` / ``new_services`` include it.
    """
    say = progress or (lambda message: None)
    threshold = _validate.minutes([minutes], name="minutes")[0]
    hub_limit = _validate.minutes([hub_minutes], name="hub_minutes")[0]
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k={k!r}: give at least one satellite")
    street = network if isinstance(network, StreetGraph) else network.graph(travel or Travel())
    if candidates is None or not len(candidates):
        raise LayerError("a hub plan needs candidate sites (--candidates PATH or "
                         "--candidate-source osm:public)")
    hub_offer = [vocabulary.name(s, where="hub services") for s in hub_services]
    sat_offer = [vocabulary.name(s, where="--new-services") for s in new_services]
    name = None if service is None else vocabulary.name(service, where="--service")
    if name is not None and name not in sat_offer:
        raise InputError(f"--service {name}: the satellites would not offer it (--new-services "
                         f"{','.join(sat_offer)}); add {name} to --new-services")
    if name is not None:
        base = service_stage.stations_for(stations, name, at=at, vocabulary=vocabulary)
    else:
        base = _open_only(stations, at)
    kind, hub_points, hub_rows = _hub_points(hub, stations, candidates, hub_column)
    layers.check_area(demand, street, role="demand")
    say(_("travel times: {sites} sites, {hubs} possible hubs, {places} demand places").format(
        sites=len(candidates), hubs=len(hub_points), places=len(demand)))
    hub_covers = kind != "existing" and hub_covers and (name is None or name in hub_offer)
    problem, hub_to_site = _problem(street, candidates, demand, hub_points, hub_rows, base,
                                    limit_s=threshold * 60, hub_limit_s=hub_limit * 60,
                                    hub_covers=hub_covers)
    say(_("solving the hub model: 1 hub + up to {k} satellites (HiGHS)").format(k=k))
    solution = hub_model.solve_hub(problem, int(k), time_limit=time_limit)
    hub_info = _hub_info(kind, hub_points.iloc[solution.hub], hub_offer)
    own = problem.hub_cover[solution.hub].indices
    own = own[~problem.fixed[own]]
    hub_info["newly_covered_places"] = int(own.size)
    hub_info["newly_covered_weight"] = round(float(problem.weights[own].sum()), 3)
    satellites = _describe(problem, solution, candidates, demand, hub_to_site, hub_info,
                           sat_offer)
    total = float(problem.weights.sum())
    details = {"service": name, "at": None if at is None else str(at),
               "hub_candidates": int(len(hub_points)), "sites": int(len(candidates)),
               "hub_covers": hub_covers, "k_requested": int(k)}
    result = HubPlan(travel=street.travel, minutes=threshold, hub_minutes=hub_limit,
                     hub=hub_info, satellites=satellites, solution=solution,
                     covered_share_before=float(problem.weights[problem.fixed].sum()) / total,
                     covered_share_after=solution.objective / total, services_before=None,
                     services_after=None, details=details)
    if with_services and stations is not None and "services" in stations.columns:
        say(_("per-service coverage before and after"))
        result = _with_services(result, street, stations, demand, at=at, vocabulary=vocabulary,
                                extra=[*hub_offer, *sat_offer])
    return result


def _hub_points(hub, stations, candidates, column):
    """Where the hub may go: ``(kind, points, candidate rows)``; kind is ``existing``,
    ``candidate`` (forced) or ``""`` (the model picks among the hub-capable candidates)."""
    capable = _hub_capable(candidates, column)
    kind, where = _pick_hub(hub, stations, candidates, capable)
    if kind == "existing":
        return kind, stations.iloc[[where]], np.array([-1])
    if kind == "candidate":
        return kind, candidates.iloc[[where]], np.array([where])
    if not capable.any():
        raise LayerError(f"no candidate has a true {column!r}: none can host the hub; "
                         "mark some or pass --hub ID")
    return kind, candidates[capable], np.flatnonzero(capable)


def _problem(street, candidates, demand, hub_points, hub_rows, base, *, limit_s, hub_limit_s,
             hub_covers):
    """The hub model's matrices from one travel graph; also the (sites x hubs) seconds from
    each hub to each site within the hub limit."""
    groups = {"sites": layers.snap(candidates, street), "demand": layers.snap(demand, street),
              "hubs": layers.snap(hub_points, street)}
    if base is not None and len(base):
        groups["stations"] = layers.snap(base, street)
    graph = traveltime.build(street, groups)
    sites_d, demand_d, hub_d = graph.door("sites"), graph.door("demand"), graph.door("hubs")
    cover = traveltime.times_to_each(graph, sites_d, demand_d, limit=limit_s)
    hub_to_site = traveltime.times_to_each(graph, sites_d, hub_d, limit=hub_limit_s)
    fixed = np.zeros(len(demand), bool)
    if "stations" in groups:
        fixed_m = traveltime.times_to_each(graph, graph.door("stations"), demand_d,
                                           limit=limit_s)
        fixed[np.unique(fixed_m.indices)] = True
    hub_cover = (traveltime.times_to_each(graph, hub_d, demand_d, limit=limit_s)
                 if hub_covers else None)
    problem = hub_model.HubProblem.from_matrix(
        cover, hub_to_site.T.tocsr(), hub_cover=hub_cover, hub_site=hub_rows,
        weights=demand["weight"].to_numpy(float), fixed=fixed)
    return problem, hub_to_site


def _with_services(result, street, stations, demand, *, at, vocabulary, extra):
    """The plan with per-service coverage before and after (services offered today or by
    the new sites)."""
    offers = vocab.service_table(stations, vocabulary=vocabulary)
    wanted = list(dict.fromkeys([*(c for c in offers.columns if offers[c].any()), *extra]))
    minutes = [result.minutes]
    before = service_stage.analyze_services(street, stations, demand, at=at, services=wanted,
                                            vocabulary=vocabulary, minutes=minutes)
    after = service_stage.analyze_services(street, plan_stations(stations, result), demand,
                                           at=at, services=wanted, vocabulary=vocabulary,
                                           minutes=minutes)
    return dataclasses.replace(result, services_before=before, services_after=after)


def _open_only(stations, at):
    if stations is None or at is None:
        return stations
    keep = vocab.open_at(stations, at)
    return stations[keep].reset_index(drop=True) if keep.any() else None


def _hub_info(kind, row, offer) -> dict:
    services = (str(row.get("services", "") or "") if kind == "existing" else ";".join(offer))
    return {"id": str(row["id"]), "name": str(row["name"]), "kind": str(row.get("kind", "")),
            "source": "existing" if kind == "existing" else str(row.get("source", "candidate")),
            "services": services, "lon": round(float(row.geometry.x), 6),
            "lat": round(float(row.geometry.y), 6)}


def _describe(problem, solution, candidates, demand, hub_to_site, hub_info, offer):
    covered = problem.covered(solution.hub, [])
    ids = demand["id"].astype(str).to_numpy()
    rows = []
    for rank, j in enumerate(solution.satellites, start=1):
        reach = problem.cover[j].indices
        fresh = reach[~covered[reach]]
        covered[reach] = True
        seconds = hub_to_site[j, solution.hub] if hub_to_site[j].nnz else np.nan
        site = candidates.iloc[j]
        rows.append({"rank": rank, "id": str(site["id"]), "name": str(site["name"]),
                     "kind": str(site.get("kind", "")), "source": str(site.get("source", "layer")),
                     "hub_id": hub_info["id"], "time_to_hub_min": round(float(seconds) / 60, 2),
                     "services": ";".join(offer), "newly_covered_places": int(fresh.size),
                     "newly_covered_weight": round(float(problem.weights[fresh].sum()), 3),
                     "newly_covered_ids": ",".join(ids[fresh][:50]),
                     "geometry": site.geometry})
    columns = ["rank", "id", "name", "kind", "source", "hub_id", "time_to_hub_min", "services",
               "newly_covered_places", "newly_covered_weight", "newly_covered_ids", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:4326")


def plan_stations(stations: gpd.GeoDataFrame | None, plan: "HubPlan") -> gpd.GeoDataFrame:
    """Existing stations plus the plan's new hub (unless it exists) and satellites, with the
    services each offers (new sites: always open)."""
    import shapely

    parts = [] if stations is None or not len(stations) else [stations]
    hub = plan.hub
    if hub["source"] != "existing":
        parts.append(gpd.GeoDataFrame({"id": [hub["id"]], "name": [hub["name"]],
                                       "weight": [1.0], "kind": ["hub (proposed)"],
                                       "services": [hub["services"]]},
                                      geometry=[shapely.Point(hub["lon"], hub["lat"])],
                                      crs="EPSG:4326"))
    sats = plan.satellites
    if len(sats):
        parts.append(gpd.GeoDataFrame({
            "id": sats["id"].to_numpy(), "name": sats["name"].to_numpy(), "weight": 1.0,
            "kind": "satellite (proposed)", "services": sats["services"].to_numpy()},
            geometry=sats.geometry.to_numpy(), crs="EPSG:4326"))
    if not parts:
        raise LayerError("the plan has no stations")
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    ids = out["id"].astype(str)
    if ids.duplicated().any():
        out["id"] = [f"{i}-new" if d else i for i, d in zip(ids, ids.duplicated())]
    return out
