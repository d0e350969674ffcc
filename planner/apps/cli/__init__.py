"""Command line: thin commands over the Python API (``planner --help``).

One module per command; the options they share are defined once in :mod:`._options`, the
group and its error handling in :mod:`._group`.
"""

from __future__ import annotations

import sys

from planner.apps.cli import batch, coverage, doctor, networks, propose, scenario  # noqa: F401
from planner.apps.cli._group import add_verbosity, cli
from planner.apps.cli._options import (  # noqa: F401  (importable from here as before)
    datum_options, map_options, network_options, parse_input_crs, parse_lonlat,
    parse_minutes, parse_travels, travel_options)

__all__ = ["cli", "main"]

for _command in cli.commands.values():
    add_verbosity(_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="planner")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
