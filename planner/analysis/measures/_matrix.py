"""The station x place reach matrix as plain triplets (explicit zero times kept)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import spmatrix


@dataclass(frozen=True, eq=False)
class Reach:
    """Pairs (station, place) within the threshold and their travel time in minutes.

    Built from the coverage stage's sparse seconds matrix; membership is the matrix's
    sparsity pattern (a stored 0 is a real zero time), so the triplets are read directly
    instead of through arithmetic that would drop explicit zeros.
    """

    station: np.ndarray
    place: np.ndarray
    minutes: np.ndarray
    n_stations: int
    n_places: int

    @classmethod
    def from_seconds(cls, matrix: spmatrix, *, limit_min: float | None = None) -> "Reach":
        coo = matrix.tocoo()
        minutes = np.asarray(coo.data, dtype=float) / 60.0
        keep = np.isfinite(minutes)
        if limit_min is not None:
            keep &= minutes <= limit_min + 1e-9
        return cls(station=coo.row[keep].astype(np.int64), place=coo.col[keep].astype(np.int64),
                   minutes=minutes[keep], n_stations=int(matrix.shape[0]),
                   n_places=int(matrix.shape[1]))

    @classmethod
    def from_dense(cls, minutes: np.ndarray, *, limit_min: float) -> "Reach":
        """From a dense (stations x places) array of minutes (``inf`` = unreachable)."""
        minutes = np.asarray(minutes, dtype=float)
        station, place = np.nonzero(minutes <= limit_min)
        return cls(station=station, place=place, minutes=minutes[station, place],
                   n_stations=minutes.shape[0], n_places=minutes.shape[1])

    def per_station(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.station, weights=values, minlength=self.n_stations)

    def per_place(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.place, weights=values, minlength=self.n_places)
