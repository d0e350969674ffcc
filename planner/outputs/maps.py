"""Folium HTML maps and written reports (JSON, CSV, GeoJSON), always written atomically.

The public face of :mod:`planner.outputs`: the maps are built in :mod:`.coverage_layers` and
:mod:`.proposal_layers`, their panels in :mod:`.panels`, the files written by :mod:`.reports`;
every text from the data is escaped for where it lands by :mod:`._escape`.
"""

from __future__ import annotations

# the names below the public ones stay importable from here, as before the split
from planner.outputs._base import (ATTRIBUTION, BAND_COLOURS, COVERED,  # noqa: F401
                                   MAX_DEMAND_MARKERS, PROPOSED, STATION, TILES, UNCOVERED,
                                   new_map, street_lines, with_layer_control)
from planner.outputs._escape import (csv_text, html_text, js_value,  # noqa: F401
                                     markdown_cell, markdown_table)
from planner.outputs.coverage_layers import coverage_map
from planner.outputs.panels import curve_svg
from planner.outputs.proposal_layers import proposal_map
from planner.outputs.reports import save_map, write_bundle, write_coverage_outputs  # noqa: F401

__all__ = ["coverage_map", "proposal_map", "curve_svg", "save_map", "street_lines",
           "write_coverage_outputs", "ATTRIBUTION"]

