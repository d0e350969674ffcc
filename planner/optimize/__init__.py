"""Location models on sparse candidate x demand matrices only (no geography here)."""

from planner.optimize.models import *  # noqa: F401,F403
from planner.optimize.models import __all__  # noqa: F401
from planner.optimize.backup import backup_cover  # noqa: E402,F401
from planner.optimize.pcenter import pcenter  # noqa: E402,F401
