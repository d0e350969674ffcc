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

import importlib

from planner import errors
from planner.errors import PlannerError
from planner.settings import Settings, Travel

# The stage modules and verbs are imported when first used: ``python -m planner coverage``
# then never loads the optimisation models, and ``import planner`` stays quick.
_LAZY = {
    "optimize": ("planner.optimize", None),
    "coverage": ("planner.analysis.coverage", None),
    "proposals": ("planner.analysis.proposals", None),
    "CoverageResult": ("planner.analysis.coverage", "CoverageResult"),
    "check_coverage": ("planner.analysis.coverage", "analyze"),
    "ProposalResult": ("planner.analysis.proposals", "ProposalResult"),
    "propose": ("planner.analysis.proposals", "propose"),
    "doctor": ("planner.apps.doctor", None),
    "scenario": ("planner.apps.scenario", None),
    "layers": ("planner.data.layers", None),
    "network": ("planner.data.network", None),
    "samples": ("planner.data.samples", None),
    "read_candidates": ("planner.data.layers", "read_candidates"),
    "read_demand": ("planner.data.layers", "read_demand"),
    "read_stations": ("planner.data.layers", "read_stations"),
    "load_network": ("planner.data.network", "load_network"),
    "isochrones": ("planner.engine.isochrones", None),
    "traveltime": ("planner.engine.traveltime", None),
    "render": ("planner.outputs.maps", None),
    "coverage_map": ("planner.outputs.maps", "coverage_map"),
    "save_map": ("planner.outputs.maps", "save_map"),
    "study": ("planner.engine.study", None),
    "Study": ("planner.engine.study", "Study"),
    "prepare": ("planner.engine.study", "prepare"),
    "CoverageOptions": ("planner.analysis.options", "CoverageOptions"),
}


def __getattr__(name: str):
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'planner' has no attribute {name!r}") from None
    value = importlib.import_module(module_name)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
