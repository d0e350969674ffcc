"""Proposals: where new stations should go, from layers to a location model and back to sites."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import _validate
from planner.analysis import _models, coverage
from planner.analysis._matrices import MATRIX_CACHE_VERSION, Matrices, build_matrices  # noqa: F401
from planner.analysis._sites import describe_sites, gain_text, plan_stations
from planner.analysis.candidates import (SOURCES, CandidateOptions, candidate_sites,
                                         grid_sites, intersection_sites)
from planner.data import layers
from planner import optimize
from planner.optimize import LSCP, MCLP, Backup, PCenter, PMedian, SolverOptions
from planner.engine.study import Study, as_study
from planner.errors import InputError, LayerError
from planner.data.network import Network, StreetGraph
from planner.settings import Settings, Travel
from planner.i18n import _

__all__ = [
    "ProposalResult",
    "propose",
    "CandidateOptions",
    "MCLP",
    "LSCP",
    "PMedian",
    "Backup",
    "PCenter",
    "SolverOptions",
    "gain_text",
    "candidate_sites",
    "intersection_sites",
    "grid_sites",
    "build_matrices",
    "MODELS",
    "EXISTING",
]

log = logging.getLogger(__name__)

MODELS = ("mclp", "lscp", "pmedian", "backup", "pcenter")
EXISTING = ("fixed", "closable", "ignore")


# --------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class ProposalResult:
    """Proposed sites with what each adds, the solver's answer, the curve, before/after."""

    model: str
    travel: Travel
    minutes: float
    existing: str
    solution: optimize.Solution
    sites: gpd.GeoDataFrame = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    curve: tuple[dict, ...] = field(repr=False)
    before: coverage.CoverageResult | None = field(repr=False)
    after: coverage.CoverageResult | None = field(repr=False)
    details: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        solution = self.solution.to_dict()
        solution.pop("selected", None)
        return {
            "model": self.model,
            "mode": self.travel.mode,
            "speed_kmh": self.travel.speed_kmh,
            "threshold_min": self.minutes,
            "existing_stations": self.existing,
            "candidates": int(len(self.candidates)),
            "proposed": int(len(self.sites)),
            "covered_share_before": None if self.before is None else round(
                self.before.covered_share(), 4),
            "covered_share_after": None if self.after is None else round(
                self.after.covered_share(), 4),
            "headline": self.solution.headline(),
            "solver": solution,
            **self.details,
            **({"measures": m} if (m := _models.measure_summary(self.before, self.after))
               else {}),
        }

    def to_dict(self) -> dict:
        plain = pd.DataFrame(self.sites.drop(columns="geometry"))
        plain["lon"] = self.sites.geometry.x.round(6)
        plain["lat"] = self.sites.geometry.y.round(6)
        return {
            "summary": self.summary(),
            "sites": json.loads(plain.to_json(orient="records", force_ascii=False)),
            "curve": [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in p.items()}
                      for p in self.curve],
        }


_MODEL_KEYS = ("k", "target_share", "unreachable", "capacity", "pmedian_limit_min",
               "min_covered_share")
_CANDIDATE_KEYS = ("candidate_sources", "spacing_m", "exclude")
_SOLVER_KEYS = ("method", "time_limit", "gap")


def _options(model, candidates, solver, legacy: dict):
    """Model, candidate and solver options from the option objects or the older keywords."""
    unknown = set(legacy) - set(_MODEL_KEYS + _CANDIDATE_KEYS + _SOLVER_KEYS)
    if unknown:
        raise TypeError(f"propose() got unexpected keyword(s) {', '.join(sorted(unknown))}")
    given = {k: legacy[k] for k in _MODEL_KEYS if legacy.get(k) is not None}
    if not isinstance(model, str) and given:
        raise InputError(f"give {', '.join(given)} inside the model object, e.g. MCLP(k=3)")
    if isinstance(model, str) and model not in MODELS:
        raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    spec = optimize.model_options(model, **given)
    cand_given = {k: legacy[k] for k in _CANDIDATE_KEYS if legacy.get(k) is not None}
    if isinstance(candidates, CandidateOptions):
        if cand_given:
            raise InputError(f"give {', '.join(cand_given)} inside CandidateOptions(...)")
        cands = candidates
    else:
        renamed = {"sources": cand_given.pop("candidate_sources", ("layer",)), **cand_given}
        cands = CandidateOptions(layer=candidates, **renamed)
    solver = SolverOptions.coerce(solver, method=legacy.get("method"),
                                  time_limit=legacy.get("time_limit"), gap=legacy.get("gap"))
    return spec, cands, solver


def propose(
    network: Study | Network | StreetGraph,
    stations: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    *,
    candidates: gpd.GeoDataFrame | CandidateOptions | None = None,
    model: str | MCLP | LSCP | PMedian | Backup | PCenter = "mclp",
    solver: SolverOptions | None = None,
    measures=None,
    areas: gpd.GeoDataFrame | None = None,
    travel: Travel | None = None,
    minutes: float = 15.0,
    existing: str = "fixed",
    curve_k: int = 10,
    with_coverage: bool = True,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
    **legacy,
) -> ProposalResult:
    """Propose new station sites on a network.

    Parameters
    ----------
    network
        A :class:`~planner.engine.study.Study` (its layers, snapped once and reused; layers
        given here replace its own), a :class:`~planner.data.network.Network` (``travel``
        picks the mode) or a street graph already built for one mode (then ``travel`` is
        ignored).
    candidates
        A candidates layer, or :class:`CandidateOptions` (layer, sources, spacing, excluded
        areas).
    model
        ``MCLP(k=3)`` (the ``k`` sites covering the most demand within ``minutes``),
        ``LSCP(target_share=0.95)`` (the fewest sites reaching the share) or ``PMedian(k=3)``
        (``k`` sites minimising the mean travel time), ``Backup(k=2)`` (maximal backup
        coverage: the most weight covered twice, single coverage kept at its optimum),
        ``PCenter(k=2)`` (the least worst travel time of the covered weight); or the model's
        name. ``MCLP(capacity=W)`` is capacitated: a site serves W demand weight times its
        ``capacity`` column (candidates and stations layers; empty or missing: 1).
    solver
        :class:`SolverOptions` (method, time limit, gap tolerance, seed).
    measures, areas
        Measures (``["backup", "capacity", "gravity", "equity"]``, see
        :mod:`planner.analysis.measures`) applied to the coverage before and after the plan,
        so the report and the map show redundancy, load and fairness beside coverage.
    existing
        ``fixed`` (existing stations stay and their coverage counts), ``closable`` (they join
        the candidates; ``k`` then counts every station of the plan) or ``ignore``.
    **legacy
        The older keywords still work and are converted: ``k``, ``target_share``,
        ``unreachable``, ``capacity``, ``pmedian_limit_min``, ``min_covered_share`` (model),
        ``candidate_sources``,
        ``spacing_m``, ``exclude`` (candidates), ``method``, ``time_limit``, ``gap`` (solver).
    """
    say = progress or (lambda message: None)
    study = as_study(network, stations=stations, demand=demand, travel=travel)
    street, travel = study.street, study.travel
    stations, demand = study.stations, study.layer("demand")
    if candidates is None:
        candidates = study.candidates
    elif isinstance(candidates, CandidateOptions) and candidates.layer is None:
        candidates = dataclasses.replace(candidates, layer=study.candidates)
    spec, cands, solver = _options(model, candidates, solver, legacy)
    model = spec.name
    if existing not in EXISTING:
        raise InputError(f"existing={existing!r}: choose one of {', '.join(EXISTING)}")
    threshold = _validate.minutes([minutes], name="minutes")[0]
    layers.check_area(demand, street, role="demand")
    if stations is not None and len(stations) and existing != "ignore":
        layers.check_area(stations, street, role="stations")
    if existing == "ignore":
        stations = None
    pool, fixed_stations = _pool(street, cands, stations, existing)
    limit_min = threshold if model != "pmedian" else (spec.limit_min or math.inf)
    say(_("building the travel-time matrix: {sites} candidate sites x {places} demand "
          "places").format(sites=len(pool), places=len(demand)))
    matrices = build_matrices(study, pool, demand, fixed_stations, limit_s=limit_min * 60,
                              settings=settings)
    on = matrices.candidate_on_network
    if not on.any():
        raise LayerError(f"none of the {len(pool)} candidate sites is within "
                         f"{travel.max_snap_m:g} m of a street usable {travel.spec.label}")
    pool_on = pool[on].reset_index(drop=True)
    if not on.all():
        say(_("{on} of {total} candidate sites are on the network ({off} more than {metres} m "
              "from a usable street)").format(on=len(pool_on), total=len(pool),
                                              off=int((~on).sum()),
                                              metres=f"{travel.max_snap_m:g}"))
    fixed = matrices.stations
    if fixed.shape[0]:
        fixed = fixed[np.flatnonzero(matrices.station_on_network)]
    # MCLP/LSCP read the pattern (within the threshold); the p-median the seconds
    problem = optimize.Problem.from_matrix(matrices.candidates[np.flatnonzero(on)],
                                           demand["weight"].to_numpy(float), fixed=fixed)
    fixed_on = (None if fixed_stations is None else
                fixed_stations[matrices.station_on_network].reset_index(drop=True))
    capacity, fixed_capacity = _models.site_capacities(spec, pool_on, fixed_on)
    say(_("solving the {model} model ({method})").format(model=model.upper(),
                                                         method=solver.method))
    solution = _models.solve(problem, spec, solver, capacity=capacity,
                             fixed_capacity=fixed_capacity)
    curve = (_curve(problem, pool_on, curve_k) if curve_k and model in ("mclp", "lscp")
             else [])
    sites = describe_sites(street, pool_on, demand, problem, solution,
                           matrices.candidate_segment[on], threshold)
    before, after = _models.with_measures(*_before_after(
        study, stations, sites, existing, threshold, with_coverage, say), measures, areas)
    details = _details(problem, solution, spec, pool, pool_on, stations, sites, existing,
                       matrices, limit_min)
    details.update(_models.model_details(problem, solution, capacity))
    return ProposalResult(model=model, travel=travel, minutes=threshold, existing=existing,
                          solution=solution, sites=sites, candidates=pool_on, curve=tuple(curve),
                          before=before, after=after, details=details)


def _pool(street, cands: CandidateOptions, stations, existing):
    """The candidate pool (existing stations join it when closable) and the fixed stations."""
    pool = candidate_sites(street, layer=cands.layer, sources=cands.sources,
                           spacing_m=cands.spacing_m, exclude=cands.exclude)
    if cands.layer is not None and "layer" in cands.sources:
        layers.check_area(pool[pool["source"] == "layer"], street, role="candidates")
    if existing == "closable" and stations is not None:
        pool = gpd.GeoDataFrame(pd.concat(
            [stations.assign(source="existing"), pool], ignore_index=True), crs="EPSG:4326")
        return pool, None
    return pool, stations


def _curve(problem, pool_on, curve_k) -> list[dict]:
    """The greedy coverage curve (each point says ``method: greedy``), with site ids."""
    curve = optimize.coverage_curve(problem, curve_k)
    for point in curve:
        if "site" in point:
            point["site"] = str(pool_on["id"].iloc[point["site"]])
    return curve


def _before_after(study, stations, sites, existing, threshold, with_coverage, say):
    if not with_coverage:
        return None, None
    say(_("checking coverage before and after"))
    base = stations if existing == "fixed" else None
    before = after = None
    if base is not None and len(base):
        before = coverage.analyze(study.replace(stations=base), minutes=[threshold],
                                  per_station_isochrones=False)
    plan = plan_stations(base, sites)
    if plan is not None:
        after = coverage.analyze(study.replace(stations=plan), minutes=[threshold],
                                 per_station_isochrones=False)
    return before, after


def _details(problem, solution, spec, pool, pool_on, stations, sites, existing, matrices,
             limit_min) -> dict:
    reaching = np.diff(problem.cover.tocsr().indptr) > 0
    details = {"candidates_off_network": int((~matrices.candidate_on_network).sum()),
               "candidates_reaching_no_place": int((~reaching).sum()),
               "curve_method": "greedy", "matrix_limit_min": _finite(limit_min),
               "matrix_cached": matrices.cached, "matrix_nnz": int(problem.cover.nnz)}
    wanted = getattr(spec, "k", None)
    if wanted is not None and len(sites) < wanted:
        reason = solution.details.get("fewer_sites_reason") or "no other candidate adds anything"
        if details["candidates_off_network"] or details["candidates_reaching_no_place"]:
            reason += (f" (of the candidates, {details['candidates_off_network']} are off "
                       f"the network and {details['candidates_reaching_no_place']} reach no "
                       "place)")
        details["fewer_sites_reason"] = reason
    if existing == "closable" and stations is not None:
        ids = stations["id"].astype(str)
        kept = [s for s in sites["id"] if s in set(ids)]
        closed = [s for s in ids if s not in set(kept)]
        names = dict(zip(ids, stations["name"].astype(str)))
        details["existing_kept"] = kept
        details["existing_closed"] = closed
        details["existing_closed_names"] = [names[s] for s in closed]
        if spec.name == "pmedian":
            details.update(_existing_minutes(problem, pool_on))
    return details


def _existing_minutes(problem, pool_on) -> dict:
    """Mean time and unreachable weight with every existing station open (closable plans)."""
    rows = np.flatnonzero(pool_on["source"].to_numpy() == "existing")
    best = np.full(problem.n_demand, np.inf)
    if rows.size:
        coo = problem.cover[rows].tocoo()
        np.minimum.at(best, coo.col, coo.data)
    ok = np.isfinite(best)
    w = problem.weights
    return {"mean_min_existing": (float((w[ok] * best[ok]).sum() / w[ok].sum() / 60)
                                  if ok.any() else None),
            "unreachable_weight_existing": float(w[~ok].sum()),
            "unreachable_share_existing": float(w[~ok].sum() / w.sum())}


def _finite(value: float):
    return None if not math.isfinite(value) else float(value)
