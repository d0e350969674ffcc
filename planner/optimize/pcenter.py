"""p-center on sparse time matrices: the plan whose worst travel time of covered demand is least."""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from planner import _validate
from planner.errors import InfeasibleError
from planner.optimize import _cover_milp
from planner.optimize.models import Problem, Solution

__all__ = ["pcenter"]


def pcenter(problem: Problem, p: int, *, min_covered_share: float | None = None,
            time_limit: float = 60.0) -> Solution:
    """Choose ``p`` new sites minimising the worst travel time of the covered demand.

    The covered weight must stay at the maximal-covering optimum within the matrix's
    threshold (or at ``min_covered_share`` of all weight). Solved exactly as a search over
    the matrix's distinct times: the answer is the least radius r at which ``p`` sites (with
    the fixed stations) cover the target weight with times <= r, each step an MCLP solved by
    HiGHS. If the time limit stops a step, the answer is the best radius proven feasible and
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

    def attempt(r: float):
        fixed_r = _cover_milp.counts(_cover_milp.pattern(fixed, r)) > 0
        answer, got, upper = _cover_milp.max_cover(_cover_milp.pattern(cover, r), w, fixed_r, p,
                                                   time_limit=budget())
        if got >= target - tolerance:
            return "yes", answer
        return ("no" if upper < target - tolerance else "unknown"), answer

    lo, hi = 0, radii.size - 1  # search the least feasible index in [lo, hi]
    if target <= 0 or radii.size == 0 or attempt(radii[hi])[0] != "yes":
        raise InfeasibleError(f"no {p} sites cover {target / max(total, 1e-12):.1%} of the "
                              "demand weight within the matrix's threshold; lower "
                              "min_covered_share, raise p or the threshold")
    best, proven_below, exact = hi, -1, True
    while lo < hi:
        mid = (lo + hi) // 2
        verdict, _ = attempt(radii[mid])
        if verdict == "yes":
            best = hi = mid
        else:
            exact &= verdict == "no"
            if verdict == "no":
                proven_below = max(proven_below, mid)
            lo = mid + 1
    r = float(radii[best])
    _, answer = attempt(r)
    a_r = _cover_milp.pattern(cover, r)
    n_c = a_r.shape[0]
    chosen = np.flatnonzero(answer.x[:n_c] > 0.5) if answer.x is not None else np.array([], int)
    reach = _cover_milp.counts(_cover_milp.pattern(fixed))
    if chosen.size:
        reach = reach + _cover_milp.counts(_cover_milp.pattern(cover.tocsr()[chosen]))
    covered = float(w[reach > 0].sum())
    lower = r if exact else float(radii[proven_below + 1]) if proven_below + 1 <= best else r
    return Solution(
        model="pcenter", method="exact", status="optimal" if exact else "time_limit",
        selected=tuple(int(c) for c in chosen), objective=r, bound=lower,
        gap=(r - lower) / r if r > 0 else 0.0, seconds=time.perf_counter() - start,
        covered_weight=covered, covered_share=covered / total if total else 0.0,
        details={"worst_s": round(r, 3), "worst_min": round(r / 60.0, 3),
                 "lower_bound_s": round(lower, 3), "target_weight": round(target, 6),
                 "radii_tried": int(np.ceil(np.log2(max(radii.size, 2)))) + 2},
    )
