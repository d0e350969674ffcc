"""One exception family for every mistake the planner reports to its users."""

from __future__ import annotations

__all__ = [
    "PlannerError",
    "InputError",
    "LayerError",
    "NetworkError",
    "OfflineError",
    "SolverError",
    "InfeasibleError",
    "ScenarioError",
    "OutputError",
]


class PlannerError(Exception):
    """Root of every error the planner raises on purpose.

    Messages say what went wrong, where (file, row, key or parameter) and what to do next.
    """


class InputError(PlannerError, ValueError):
    """A parameter given by the user is out of range or of the wrong kind."""


class LayerError(InputError):
    """A stations / demand / candidates layer cannot be used as given."""


class NetworkError(PlannerError, ValueError):
    """A street network source cannot be read or has no usable streets."""


class OfflineError(NetworkError, ConnectionError):
    """An online download was asked for but the OSM servers cannot be reached."""


class SolverError(PlannerError, RuntimeError):
    """A location model could not be solved."""


class InfeasibleError(SolverError, ValueError):
    """A location model has no feasible answer (for example demand no site can reach)."""


class ScenarioError(InputError):
    """A scenario file is malformed or refers to things that do not exist."""


class OutputError(InputError):
    """An output path cannot be written safely (an input, a directory, a special file...)."""
