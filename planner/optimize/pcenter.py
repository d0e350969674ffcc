"""p-center on sparse time matrices: the plan whose worst travel time of covered demand is least."""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from planner import _validate
from planner.errors import InfeasibleError, SolverError
from planner.optimize import _cover_milp
from planner.optimize.problem import Problem, Solution

__all__ = ["pcenter"]


def pcenter(problem: Problem, p: int, *, min_covered_share: float | None = None,
            time_limit: float = 60.0) -> Solution:
    """Choose ``p`` new sites minimising the worst travel time of the covered demand.

    The covered weight must stay at the maximal-covering optimum within the matrix's
    threshold (or at ``min_covered_share`` of all weight). Solved exactly as a search over
    the matrix's distinct times: the answer is the least radius r at which ``p`` sites (with
    the fixed stations) cover the target weight with times <= r, each step a greedy cover
    (enough to prove "feasible") or else an MCLP solved by HiGHS (to prove "too small"). If the time limit stops a step, the answer is the best radius proven feasible and
    ``bound`` the largest radius proven too small (so the optimum lies between them).

    ``objective`` and ``bound`` are seconds (the stored values of ``problem.cover``).
    """
    start = time.perf_counter()
    p = _validate.positive_int(p, name="p")
    w, total = problem.weights, problem.total_weight
    cover = sparse.coo_matrix(problem.cover)
    fixed = sparse.coo_matrix(problem.fixed)
    budget = lambda: max(0.1, time_limit - (time.perf_counter() - start))  # noqa: E731
    if min_covered_share is None:
        fixed_any = _cover_milp.counts(_cover_milp.pattern(fixed)) > 0
        _, target, _ = _cover_milp.max_cover(_cover_milp.pattern(cover), w, fixed_any, p,
                                             time_limit=budget())
    else:
        target = _validate.share(min_covered_share, name="min_covered_share") * total
    tolerance = 1e-9 * max(total, 1.0)
    radii = np.unique(np.concatenate([cover.data, fixed.data]))

    def attempt(r: float) -> tuple[str, np.ndarray | None]:
        """Is radius r feasible? yes (with the sites), no (proven), or unknown (time)."""
        fixed_r = _cover_milp.counts(_cover_milp.pattern(fixed, r)) > 0
        a_r = _cover_milp.pattern(cover, r)
        sites, got = _cover_milp.greedy_cover(a_r, w, fixed_r, p)  # cheap proof of "yes"
        if got >= target - tolerance:
            return "yes", sites
        _, _, upper = _cover_milp.max_cover(a_r, w, fixed_r, p, time_limit=budget(), relax=True)
        if upper < target - tolerance:  # even the LP relaxation falls short
            return "no", None
        answer, got, upper = _cover_milp.max_cover(a_r, w, fixed_r, p, time_limit=budget())
        if got >= target - tolerance:
            return "yes", np.flatnonzero(answer.x[:a_r.shape[0]] > 0.5)
        return ("no" if upper < target - tolerance else "unknown"), None

    if not radii.size or target <= 0:
        raise InfeasibleError("no site reaches any demand within the matrix's threshold")
    best, chosen, proven_below, tried = _least_feasible(radii, attempt, time_limit=time_limit)
    if best < 0:
        raise InfeasibleError(f"no {p} sites cover {target / max(total, 1e-12):.1%} of the "
                              "demand weight within the matrix's threshold; lower "
                              "min_covered_share, raise p or the threshold")
    exact = proven_below == best - 1
    r = float(radii[best])
    reach = _cover_milp.counts(_cover_milp.pattern(fixed))
    if chosen.size:
        reach = reach + _cover_milp.counts(_cover_milp.pattern(cover.tocsr()[chosen]))
    covered = float(w[reach > 0].sum())
    order, gains = _cover_milp.order_by_gain(_cover_milp.pattern(cover), w,
                                             _cover_milp.counts(_cover_milp.pattern(fixed)) > 0,
                                             chosen)
    lower = float(radii[proven_below + 1])
    return Solution(
        model="pcenter", method="exact", status="optimal" if exact else "time_limit",
        selected=tuple(int(c) for c in order), objective=r, bound=lower, gains=gains,
        gap=(r - lower) / r if r > 0 else 0.0, seconds=time.perf_counter() - start,
        covered_weight=covered, covered_share=covered / total if total else 0.0,
        details={"worst_s": round(r, 3), "worst_min": round(r / 60.0, 3),
                 "lower_bound_s": round(lower, 3), "target_weight": round(target, 6),
                 "radii_tried": tried, "objective_unit": "s"},
    )


def _least_feasible(radii: np.ndarray, attempt, *, time_limit: float
                    ) -> tuple[int, np.ndarray | None, int, int]:
    """Binary search for the least feasible radius (feasibility grows with the radius).

    Returns its index (-1 if even the largest is proven infeasible), its sites, the largest
    index proven infeasible (-1: none) and the number of radii tried. An undecided step
    (time limit) is passed over, so the answer is then only an upper bound.
    """
    lo, hi = 0, radii.size - 1
    verdict, sites = attempt(radii[hi])
    if verdict == "unknown":
        raise SolverError(f"HiGHS found no plan covering the target weight within "
                          f"{time_limit:g} s; raise the time limit")
    if verdict == "no":
        return -1, None, hi, 1
    best, proven_below, tried = hi, -1, 1
    while lo < hi:
        mid = (lo + hi) // 2
        verdict, found = attempt(radii[mid])
        tried += 1
        if verdict == "yes":
            best = hi = mid
            sites = found
        else:
            if verdict == "no":
                proven_below = max(proven_below, mid)
            lo = mid + 1
    return best, sites, proven_below, tried
