"""Coverage per service: a place is covered for battery swap only by stations that swap batteries.

One station x demand travel-time matrix is computed once; each service then masks the stations
that offer it (and, with ``at``, are open then). The ``any`` row uses every open station and
equals :func:`planner.analysis.coverage.analyze` on the same stations.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from planner import _validate
from planner.analysis.coverage import (DEFAULT_MINUTES, GAP_LINK_M, display_minutes, find_gaps,
                                      is_covered)
from planner.data import services as vocab
from planner.engine import traveltime
from planner.errors import InputError, LayerError
from planner.i18n import N_, _, fmt_percent, service_name
from planner.settings import Travel

__all__ = ["ServiceCoverage", "analyze_services", "nearest_minutes", "nearest_seconds", "propose_for_service",
           "ANY"]

#: The pseudo-service "any station at all".
ANY = N_("any")  # the key of "any service"; N_ marks it for the catalog


@dataclass(frozen=True)
class ServiceCoverage:
    """Coverage for each service (immutable; frames in EPSG:4326).

    Attributes
    ----------
    services
        The services analysed, ``any`` first.
    stations
        ``id, name, services, open`` and one boolean column per service (offers it).
    demand
        ``id, name, weight`` and ``minutes_to_<service>`` (``inf``: not within the largest
        threshold).
    gaps
        Per service, the uncovered demand grouped into areas (as in coverage results).
    """

    network: str
    travel: Travel
    minutes: tuple[float, ...]
    at: str | None
    services: tuple[str, ...]
    stations: gpd.GeoDataFrame = field(repr=False)
    demand: gpd.GeoDataFrame = field(repr=False)
    gaps: dict = field(repr=False)

    @property
    def threshold(self) -> float:
        return max(self.minutes)

    def covered_share(self, service: str = ANY, minutes: float | None = None) -> float:
        """Weighted share of demand within ``minutes`` of an open station offering ``service``."""
        if service not in self.services:
            raise InputError(f"service {service!r} was not analysed; analysed: "
                             f"{', '.join(self.services)}")
        m = self.threshold if minutes is None else minutes
        weight = self.demand["weight"].to_numpy(float)
        covered = is_covered(self.demand[f"seconds_to_{service}"].to_numpy(), m)  # the one rule
        return float(weight[covered].sum() / weight.sum()) if weight.sum() else 0.0

    def table(self) -> pd.DataFrame:
        """One row per service: stations offering it, open ones, covered shares, gaps."""
        rows = []
        for service in self.services:
            offers = (np.ones(len(self.stations), bool) if service == ANY
                      else self.stations[service].to_numpy(bool))
            gaps = self.gaps[service]
            row = {"service": service, "stations": int(offers.sum()),
                   "stations_open": int((offers & self.stations["open"].to_numpy(bool)).sum())}
            for m in self.minutes:
                row[f"covered_{m:g}_share"] = round(self.covered_share(service, m), 4)
            row["gaps"] = int(len(gaps))
            row["gap_weight"] = round(float(gaps["weight"].sum()), 3) if len(gaps) else 0.0
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        return {"network": self.network, "mode": self.travel.mode,
                "speed_kmh": self.travel.speed_kmh, "thresholds_min": list(self.minutes),
                "at": self.at, "services": json.loads(self.table().to_json(orient="records"))}

    def lines(self) -> list[str]:
        """Console lines: the share covered for any service, then one line per service
        (share, stations open, gaps and where the largest is)."""
        table = self.table()
        key = f"covered_{self.threshold:g}_share"
        when = _(" at {when}").format(when=self.at) if self.at else ""
        rows = table.to_dict(orient="records")
        share = {r["service"]: fmt_percent(r[key], 0) for r in rows}
        out = [_("covered within {minutes} min{when}: {share} of demand weight for any "
                 "service").format(minutes=f"{self.threshold:g}", when=when,
                                   share=share.get(ANY, "-"))]
        for r in rows:
            if r["service"] == ANY:
                continue
            gaps = self.gaps[r["service"]]
            where = (_("; largest around {name}").format(name=gaps["anchor_name"].iloc[0])
                     if len(gaps) else "")
            out.append("  " + _("{service}: {share}; {open}/{stations} stations open; {gaps} "
                                "gap areas, weight {weight}{where}").format(
                service=service_name(r["service"]), share=share[r["service"]],
                open=r["stations_open"], stations=r["stations"], gaps=r["gaps"],
                weight=f"{r['gap_weight']:g}", where=where))
        return out

    def to_dict(self) -> dict:
        demand = pd.DataFrame(self.demand.drop(columns="geometry"))
        demand = demand.replace([np.inf], np.nan)
        return {"summary": self.summary(),
                "stations": json.loads(pd.DataFrame(self.stations.drop(columns="geometry"))
                                       .to_json(orient="records", force_ascii=False)),
                "gaps": {s: json.loads(pd.DataFrame(g.drop(columns="geometry"))
                                       .to_json(orient="records", force_ascii=False))
                         for s, g in self.gaps.items()},
                "demand": json.loads(demand.to_json(orient="records", force_ascii=False))}


def nearest_seconds(times: sparse.spmatrix, mask: np.ndarray) -> np.ndarray:
    """Seconds (unrounded) from each demand column to the nearest station row with ``mask``
    True.

    ``times`` holds seconds within some limit (a stored 0 is a real zero); demand with no
    masked station within the limit gets ``inf``.
    """
    times = sparse.csr_matrix(times)
    rows = np.flatnonzero(np.asarray(mask, bool))
    out = np.full(times.shape[1], np.inf)
    if rows.size == 0:
        return out
    sub = times[rows].tocsc()
    sub.sort_indices()
    starts = sub.indptr[:-1]
    nonempty = np.diff(sub.indptr) > 0
    if sub.nnz:
        out[nonempty] = np.minimum.reduceat(sub.data, starts[nonempty])
    return out


def nearest_minutes(times: sparse.spmatrix, mask: np.ndarray) -> np.ndarray:
    """:func:`nearest_seconds` in minutes (unrounded)."""
    return nearest_seconds(times, mask) / 60.0


def analyze_services(
    network,
    stations: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    services: Sequence[str] | None = None,
    at: str | dt.datetime | None = None,
    vocabulary: vocab.Vocabulary = vocab.DEFAULT_VOCABULARY,
    travel: Travel | None = None,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    gap_link_m: float = GAP_LINK_M,
    progress: Callable[[str], None] | None = None,
) -> ServiceCoverage:
    """Coverage per service from one station x demand matrix.

    Parameters
    ----------
    stations
        Needs a ``services`` column (see :mod:`planner.data.services`); ``opening_hours``
        is optional (none = always open).
    services
        Services to analyse (any spelling the vocabulary knows); default: every service
        some station offers.
    at
        A moment like ``"Mon 21:30"``: only stations open then count.
    """
    say = progress or (lambda message: None)
    minutes = _validate.minutes(minutes)
    from planner.engine.study import as_study

    study = as_study(network, stations=stations, demand=demand, travel=travel)
    street = study.street
    if len(stations) == 0 or len(demand) == 0:
        raise LayerError("per-service coverage needs at least one station and one demand place")
    offers = vocab.service_table(stations, vocabulary=vocabulary)
    vocab.check_opening_hours(stations)
    is_open = vocab.open_at(stations, at)
    if services:
        wanted = [vocabulary.name(s, where="--service") for s in services]
    else:
        wanted = [s for s in offers.columns if offers[s].any()]
    wanted = list(dict.fromkeys(wanted))
    say(_("snapping {stations} stations and {places} demand places").format(
        stations=len(stations), places=len(demand)))
    snap_s = study.snap(stations)  # cached per study: demand is snapped once per mode
    graph = study.travel_graph({"stations": stations, "demand": demand})
    say(_("computing the station x demand travel times once"))
    times = traveltime.times_to_each(graph, graph.door("stations"), graph.door("demand"),
                                     limit=max(minutes) * 60)
    weight = demand["weight"].to_numpy(float)
    out = gpd.GeoDataFrame({"id": demand["id"].astype(str).to_numpy(),
                            "name": demand["name"].astype(str).to_numpy(), "weight": weight},
                           geometry=demand.geometry.to_numpy(), crs="EPSG:4326")
    gaps = {}
    for service in [ANY, *wanted]:
        mask = is_open & (True if service == ANY else offers[service].to_numpy(bool))
        seconds = nearest_seconds(times, mask)
        shown = display_minutes(seconds)  # rounded for display only
        out[f"seconds_to_{service}"] = seconds
        out[f"minutes_to_{service}"] = shown
        frame = out[["id", "name", "weight", "geometry"]].assign(
            seconds_to_nearest=seconds, minutes_to_nearest=shown)
        gaps[service] = find_gaps(frame, street.crs, threshold=max(minutes), link_m=gap_link_m)
    station_out = _station_table(stations, offers, is_open, snap_s.on_network, wanted)
    when = None if at is None else _moment_text(vocab.parse_at(at))
    return ServiceCoverage(network=street.network.name, travel=street.travel, minutes=minutes,
                           at=when, services=(ANY, *wanted), stations=station_out, demand=out,
                           gaps=gaps)


def _station_table(stations, offers, is_open, on_network, wanted) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame({
        "id": stations["id"].astype(str).to_numpy(),
        "name": stations["name"].astype(str).to_numpy(),
        "services": [";".join(c for c in offers.columns if offers.loc[i, c])
                     for i in range(len(stations))],
        "open": is_open,
        "on_network": on_network,
    }, geometry=stations.geometry.to_numpy(), crs="EPSG:4326")
    for service in wanted:
        out[service] = offers[service].to_numpy(bool)
    return out


def _moment_text(moment: dt.datetime) -> str:
    """'Mon 21:30' for a day of the reference week, else '2026-05-01 21:30'."""
    week = vocab.REFERENCE_MONDAY
    if week <= moment.date() < week + dt.timedelta(days=7):
        return moment.strftime("%a %H:%M")
    return moment.isoformat(sep=" ", timespec="minutes")


def stations_for(stations: gpd.GeoDataFrame | None, service: str, *,
                 at: str | dt.datetime | None = None,
                 vocabulary: vocab.Vocabulary = vocab.DEFAULT_VOCABULARY
                 ) -> gpd.GeoDataFrame | None:
    """The stations that offer ``service`` (and are open at ``at``); None if there are none."""
    if stations is None or not len(stations):
        return None
    offers = vocab.service_table(stations, vocabulary=vocabulary)
    keep = offers[vocabulary.name(service, where="--service")].to_numpy(bool).copy()
    keep &= vocab.open_at(stations, at)
    subset = stations[keep].reset_index(drop=True)
    return subset if len(subset) else None


def propose_for_service(network, stations, demand, *, service: str,
                        new_services: Sequence[str],
                        at: str | dt.datetime | None = None,
                        vocabulary: vocab.Vocabulary = vocab.DEFAULT_VOCABULARY, **options):
    """Plan new stations for one service: only stations offering it (and open at ``at``)
    count as covering; the new sites offer ``new_services``, which must include ``service``.

    ``options`` go to :func:`planner.analysis.proposals.propose` (model, k, candidates...).
    Returns its :class:`~planner.analysis.proposals.ProposalResult`, with ``service``,
    ``new_services`` and the ids of the stations that count in ``details``.
    """
    from planner.analysis import proposals

    name = vocabulary.name(service, where="--service")
    offered = [vocabulary.name(s, where="--new-services") for s in new_services]
    if name not in offered:
        raise InputError(f"--service {name}: the new sites would not offer it (--new-services "
                         f"{','.join(offered) or '(none)'}); add {name} to --new-services")
    if options.get("existing", "fixed") == "closable":
        raise InputError("--service plans keep the stations that offer the service; use "
                         "--existing fixed or ignore")
    subset = stations_for(stations, name, at=at, vocabulary=vocabulary)
    result = proposals.propose(network, subset, demand, **options)
    details = {**result.details, "service": name, "new_services": offered,
               "at": None if at is None else str(at),
               "stations_offering": [] if subset is None else subset["id"].astype(str).tolist()}
    sites = result.sites.assign(services=";".join(offered))
    return type(result)(**{**{f: getattr(result, f) for f in result.__dataclass_fields__},
                           "details": details, "sites": sites})
