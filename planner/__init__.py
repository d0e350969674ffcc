"""Station-coverage planner: 15-minute service circles for gig-worker rest stations.

A few verbs cover the usual job; the stage modules (network, layers, traveltime,
isochrones, coverage, render) hold the rest.

>>> import planner
>>> net = planner.load_network("wudaokou")
>>> stations = planner.read_stations("layers/wudaokou/stations.geojson")
>>> demand = planner.read_demand("layers/wudaokou/demand.geojson")
>>> result = planner.check_coverage(net, stations, demand, travel=planner.Travel("ebike"))
>>> round(result.covered_share(15), 2)  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from planner import errors, optimize
from planner.analysis import coverage, proposals
from planner.analysis.coverage import CoverageResult
from planner.analysis.coverage import analyze as check_coverage
from planner.analysis.proposals import ProposalResult, propose
from planner.apps import doctor, scenario
from planner.data import layers, network, samples
from planner.data.layers import read_candidates, read_demand, read_stations
from planner.data.network import load_network
from planner.engine import isochrones, traveltime
from planner.errors import PlannerError
from planner.outputs import maps as render
from planner.outputs.maps import coverage_map, save_map
from planner.settings import Settings, Travel

__all__ = [
    "__version__",
    # verbs
    "load_network",
    "read_stations",
    "read_demand",
    "read_candidates",
    "check_coverage",
    "propose",
    "coverage_map",
    "save_map",
    # inputs and results
    "Travel",
    "Settings",
    "CoverageResult",
    "ProposalResult",
    "PlannerError",
    # stage modules
    "network",
    "layers",
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
