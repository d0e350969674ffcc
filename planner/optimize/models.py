"""Former home of the location models, kept so old imports work; see :mod:`planner.optimize`."""

from planner.optimize import *  # noqa: F401,F403
from planner.optimize import __all__  # noqa: F401
