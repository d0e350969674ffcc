"""Helpers of :mod:`proposals`: model dispatch, per-site capacities, each model's own
before/after figures and the measures (redundancy, load, fairness) before and after a plan."""

from __future__ import annotations

import numpy as np

from planner import optimize
from planner.analysis import measures as measure_stage
from planner.optimize.problem import Problem, Solution

#: Labels of the measure headline numbers (``measures.comparison_columns``) on the console.
_LABELS = {"covered_2plus_%": ("covered twice", "%"),
           "critical_stations": ("critical stations", ""),
           "max_riders_per_seat": ("busiest station, riders per seat", ""),
           "overloaded": ("overloaded stations", ""),
           "gravity_mean_access": ("gravity mean access", ""), "gini": ("Gini of travel time", ""),
           "palma": ("Palma ratio", "")}


def site_capacities(spec, pool_on, fixed_on) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Demand weight each candidate and fixed station may serve (capacitated MCLP only).

    A site's capacity is its ``capacity`` column (seats, chargers...; empty or missing: 1,
    the same column the E2SFCA measure reads) times the model's ``capacity`` (demand weight
    per unit), so without the column every site serves ``capacity`` as before.
    """
    per_unit = getattr(spec, "capacity", None)
    if per_unit is None:
        return None, None
    candidates = measure_stage.capacities(pool_on, where="candidates") * float(per_unit)
    fixed = (np.zeros(0) if fixed_on is None or not len(fixed_on)
             else measure_stage.capacities(fixed_on, where="stations") * float(per_unit))
    return candidates, fixed


def solve(problem: Problem, spec, solver, *, capacity=None, fixed_capacity=None) -> Solution:
    """Run the model ``spec`` names on ``problem``."""
    if spec.name == "mclp":
        if capacity is not None:
            return optimize.capacitated_mclp(problem, spec.k, capacity, solver,
                                             fixed_capacity=fixed_capacity)
        return optimize.mclp(problem, spec.k, solver=solver)
    if spec.name == "lscp":
        return optimize.lscp(problem, target_share=spec.target_share,
                             unreachable=spec.unreachable, solver=solver)
    if spec.name == "backup":
        return optimize.backup_cover(problem, spec.k, min_covered_share=spec.min_covered_share,
                                     time_limit=solver.time_limit_s)
    if spec.name == "pcenter":
        return optimize.pcenter(problem, spec.k, min_covered_share=spec.min_covered_share,
                                time_limit=solver.time_limit_s)
    penalty = None if spec.penalty_min is None else spec.penalty_min * 60
    return optimize.pmedian(problem, spec.k, penalty_s=penalty, solver=solver)


def model_details(problem: Problem, solution: Solution, capacity=None) -> dict:
    """The model's own figure before (fixed stations only) and after the plan."""
    w, total = problem.weights, max(problem.total_weight, 1e-12)
    fixed = problem.fixed.tocsr()
    out: dict = {}
    if solution.model == "backup":
        reach = np.bincount(fixed.indices, minlength=problem.n_demand)
        out["covered_2plus_share_before"] = round(float(w[reach >= 2].sum()) / total, 6)
        out["covered_2plus_share_after"] = solution.details["covered_2plus_share"]
    elif solution.model == "pcenter":
        best = np.full(problem.n_demand, np.inf)
        coo = fixed.tocoo()
        np.minimum.at(best, coo.col, coo.data)
        seen = np.isfinite(best)
        out["worst_min_before"] = round(float(best[seen].max()) / 60, 3) if seen.any() else None
        out["covered_share_fixed"] = round(float(w[seen].sum()) / total, 6)
        out["worst_min_after"] = solution.details["worst_min"]
    elif solution.model == "mclp-capacitated" and capacity is not None:
        out["site_capacity"] = "per site: capacity column (default 1) x capacity weight"
    return out


def with_measures(before, after, wanted, areas):
    """``before``/``after`` with the measures applied (unchanged when none are wanted)."""
    if wanted is None:
        return before, after
    options = (wanted if isinstance(wanted, measure_stage.MeasureOptions)
               else measure_stage.MeasureOptions.parse(list(wanted)))
    if not options.names:
        return before, after
    return tuple(None if r is None else measure_stage.apply(r, options, areas=areas)
                 for r in (before, after))


def measure_summary(before, after) -> dict | None:
    """The measures of the coverage before and after the plan and their headline change."""
    sets = [getattr(r, "measures", None) for r in (before, after)]
    if not any(s is not None for s in sets):
        return None
    heads = [measure_stage.comparison_columns(s) for s in sets]
    keys = [k for k in {**heads[0], **heads[1]}]
    return {"before": None if sets[0] is None else sets[0].summary(),
            "after": None if sets[1] is None else sets[1].summary(),
            "change": {k: {"before": heads[0].get(k), "after": heads[1].get(k)} for k in keys}}


def change_lines(summary: dict | None) -> list[str]:
    """Console lines ``covered twice: 15.8% -> 39.4%`` for each headline measure."""
    if not summary:
        return []
    lines = []
    for key, pair in summary["change"].items():
        label, unit = _LABELS.get(key, (key, ""))
        text = [("-" if v is None else f"{v:g}{unit}") for v in (pair["before"], pair["after"])]
        lines.append(f"{label}: {text[0]} -> {text[1]}")
    return lines
