"""Location models on sparse candidate x demand matrices only (no geography here).

One module per family: :mod:`~planner.optimize.problem` (inputs, answer, reduction),
:mod:`~planner.optimize.coverage` (MCLP), :mod:`~planner.optimize.capacitated`,
:mod:`~planner.optimize.lscp`, :mod:`~planner.optimize.pmedian`; one HiGHS wrapper
(``_highs``); options in :mod:`~planner.optimize.options`.
"""

from planner.optimize.backup import backup_cover
from planner.optimize.capacitated import capacitated_mclp
from planner.optimize.coverage import coverage_curve, greedy_mclp, mclp
from planner.optimize.lscp import lscp
from planner.optimize.options import (LSCP, MCLP, Backup, PCenter, PMedian, SolverOptions,
                                      model_options, parse_gap)
from planner.optimize.pcenter import pcenter
from planner.optimize.pmedian import pmedian
from planner.optimize.problem import AUTO_EXACT_NNZ, Problem, Solution

__all__ = [
    "Problem",
    "Solution",
    "SolverOptions",
    "MCLP",
    "LSCP",
    "PMedian",
    "Backup",
    "PCenter",
    "model_options",
    "parse_gap",
    "mclp",
    "lscp",
    "pmedian",
    "greedy_mclp",
    "capacitated_mclp",
    "coverage_curve",
    "AUTO_EXACT_NNZ",
    "backup_cover",
    "pcenter",
]
