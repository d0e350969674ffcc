"""``python -m planner``: the same as the ``planner`` command."""

from planner.apps.cli import main

main()
