"""Redundancy: how many stations reach each place, and which stations nobody else backs up."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.analysis.measures._matrix import Reach
from planner.i18n import _, fmt_percent


@dataclass(frozen=True)
class BackupOptions:
    """Options of the ``backup`` measure (none yet: it uses the main threshold)."""


@dataclass(frozen=True, eq=False)
class BackupResult:
    """Per place: stations reached within the threshold; per station: weight only it covers.

    Attributes
    ----------
    stations_within
        Number of stations each place reaches within the threshold.
    sole_weight, sole_places
        Per station, the demand weight / places that reach *only* this station: what would
        lose coverage if it closed.
    covered_share, covered_2plus_share
        Weighted share of demand reached by at least one / at least two stations.
    """

    stations_within: np.ndarray = field(repr=False)
    sole_weight: np.ndarray = field(repr=False)
    sole_places: np.ndarray = field(repr=False)
    covered_share: float
    covered_2plus_share: float
    total_weight: float

    @property
    def critical(self) -> np.ndarray:
        """Stations that are the only one in reach of some demand weight."""
        return self.sole_weight > 0


def backup(reach: Reach, weight: np.ndarray, *, options: BackupOptions | None = None
           ) -> BackupResult:
    """Count the stations reaching each place and the weight each station alone covers."""
    weight = np.asarray(weight, dtype=float)
    counts = np.bincount(reach.place, minlength=reach.n_places)
    sole = counts[reach.place] == 1
    total = float(weight.sum())
    share = (lambda mask: float(weight[mask].sum() / total) if total > 0 else 0.0)
    return BackupResult(
        stations_within=counts.astype(int),
        sole_weight=reach.per_station(np.where(sole, weight[reach.place], 0.0)),
        sole_places=np.bincount(reach.station[sole], minlength=reach.n_stations).astype(int),
        covered_share=share(counts >= 1),
        covered_2plus_share=share(counts >= 2),
        total_weight=total,
    )


def summary(result: BackupResult, station_ids: np.ndarray) -> dict:
    """JSON-ready headline numbers: shares by number of stations and the critical stations."""
    total = result.total_weight or 1.0
    order = np.argsort(-result.sole_weight, kind="stable")
    return {
        "covered_share": round(result.covered_share, 4),
        "covered_2plus_share": round(result.covered_2plus_share, 4),
        "critical_stations": [
            {"id": str(station_ids[j]), "sole_weight": round(float(result.sole_weight[j]), 3),
             "sole_places": int(result.sole_places[j]),
             "sole_share": round(float(result.sole_weight[j] / total), 4)}
            for j in order if result.sole_weight[j] > 0
        ],
    }


def lines(summary_: dict) -> list[str]:
    critical = summary_["critical_stations"]
    text = _(", ").join(f"{c['id']} ({fmt_percent(c['sole_share'])})" for c in critical[:5])
    return [_("backup: {share} of demand weight reaches 2+ stations; critical (weight only "
              "they reach): {stations}").format(share=fmt_percent(summary_["covered_2plus_share"]),
                                                stations=text or _("none"))]
