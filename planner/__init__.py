"""Station-coverage planner: 15-minute service circles for gig-worker rest stations.

A few verbs cover the usual job; the stage modules (network, layers, study, traveltime,
isochrones, coverage, render) hold the rest. One prepared :class:`Study` (a network's street
graph for a mode and speed, with the layers snapped once) is passed to every stage.

>>> import planner
>>> study = planner.prepare("wudaokou", travel=planner.Travel("ebike"))  # the sample's layers
>>> result = planner.check_coverage(study, options=planner.CoverageOptions(minutes=[10, 15]))
>>> round(result.covered_share(15), 2)  # doctest: +SKIP
>>> plan = planner.propose(study, k=2)  # reuses the snapped demand  # doctest: +SKIP
"""

from __future__ import annotations

from planner._version import __version__
from planner import errors, optimize
from planner.analysis import coverage, proposals
from planner.analysis.options import CoverageOptions
from planner.analysis.coverage import CoverageResult
from planner.analysis.coverage import analyze as check_coverage
from planner.analysis.proposals import ProposalResult, propose
from planner.apps import doctor, scenario
from planner.data import layers, network, samples
from planner.data.layers import read_candidates, read_demand, read_stations
from planner.data.network import load_network
from planner.engine import isochrones, study, traveltime
from planner.engine.study import Study, prepare
from planner.errors import PlannerError
from planner.outputs import maps as render
from planner.outputs.maps import coverage_map, save_map
from planner.settings import Settings, Travel

__all__ = [
    "__version__",
    # verbs
    "prepare",
    "load_network",
    "read_stations",
    "read_demand",
    "read_candidates",
    "check_coverage",
    "propose",
    "coverage_map",
    "save_map",
    # the prepared object, inputs and results
    "Study",
    "Travel",
    "CoverageOptions",
    "Settings",
    "CoverageResult",
    "ProposalResult",
    "PlannerError",
    # stage modules
    "network",
    "layers",
    "study",
    "traveltime",
    "isochrones",
    "coverage",
    "optimize",
    "proposals",
    "scenario",
    "render",
    "doctor",
    "samples",
    "errors",
]
