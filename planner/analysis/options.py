"""Coverage options: thresholds and what to draw, one validated definition for the CLI,
scenario files and the Python API."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from planner import _validate
from planner.engine.isochrones import BUFFER_M

__all__ = ["CoverageOptions", "DEFAULT_MINUTES", "GAP_LINK_M", "PER_STATION_MAX"]

DEFAULT_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0)
#: Uncovered places closer than this (m) to each other form one gap area.
GAP_LINK_M = 400.0
#: Up to this many stations, each station's own isochrones are drawn (every threshold);
#: beyond, each station's catchment within the main threshold, all in one pass.
PER_STATION_MAX = 100


@dataclass(frozen=True)
class CoverageOptions:
    """How a coverage check is measured and drawn (validated on creation).

    Parameters
    ----------
    minutes
        Travel-time thresholds; the largest is the main one (gaps, station loads).
        Stored sorted and unique.
    isochrones
        Draw the service-area outlines.
    per_station
        Also draw each station's own outlines (with ``isochrones``).
    buffer_m
        Half-width of the corridor drawn around covered streets.
    gap_link_m
        Uncovered places closer than this to each other form one gap area.
    per_station_max
        With ``per_station``: up to this many stations (on the network), each station's own
        isochrones at every threshold; with more, each station's catchment within the main
        threshold (the part of the service area it serves as the nearest station), drawn
        for all stations in one pass: full isochrones of thousands of stations overlap into
        an unreadable map and cost time in proportion to the sum of their areas.
    """

    minutes: Sequence[float] = DEFAULT_MINUTES
    isochrones: bool = True
    per_station: bool = True
    buffer_m: float = BUFFER_M
    gap_link_m: float = GAP_LINK_M
    per_station_max: int = PER_STATION_MAX

    def __post_init__(self) -> None:
        checked = {
            "minutes": _validate.minutes(self.minutes),
            "isochrones": _validate.flag(self.isochrones, name="isochrones"),
            "per_station": _validate.flag(self.per_station, name="per_station"),
            "buffer_m": _validate.distance_m(self.buffer_m, name="buffer_m", maximum=1000),
            "gap_link_m": _validate.distance_m(self.gap_link_m, name="gap_link_m",
                                               maximum=10_000),
            "per_station_max": _validate.whole(self.per_station_max, name="per_station_max",
                                               minimum=0),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @property
    def threshold(self) -> float:
        """The main threshold (the largest of :attr:`minutes`), e.g. 15."""
        return max(self.minutes)

    def replace(self, **changes: object) -> CoverageOptions:
        """A copy with the fields given (not ``None``) changed, validated again."""
        given = {name: value for name, value in changes.items() if value is not None}
        return dataclasses.replace(self, **given) if given else self
