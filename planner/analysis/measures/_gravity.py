"""Gravity access (Hansen 1959): stations counted with a weight that decays with travel time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.analysis.measures import _decay
from planner.analysis.measures._matrix import Reach
from planner.errors import InputError
from planner.i18n import _, fmt_percent

DECAYS = ("exponential", "gaussian", "power")


@dataclass(frozen=True)
class GravityOptions:
    """Options of the ``gravity`` measure.

    Parameters
    ----------
    decay
        ``exponential`` 2^(-t/h), ``gaussian`` 2^(-(t/h)^2) or ``power`` (1 + c t)^(-beta);
        each weighs a station 0.5 at the half-life.
    half_life_min
        Travel time (minutes) at which a station counts half.
    beta
        Exponent of the power decay.
    """

    decay: str = "exponential"
    half_life_min: float = 5.0
    beta: float = 2.0

    def __post_init__(self) -> None:
        if self.decay not in DECAYS:
            raise InputError(f"gravity decay {self.decay!r} is unknown; use one of "
                             f"{', '.join(DECAYS)}")
        for name in ("half_life_min", "beta"):
            value = float(getattr(self, name))
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"gravity {name} must be a positive number, got {value!r}")
            object.__setattr__(self, name, value)

    def weights(self, minutes: np.ndarray) -> np.ndarray:
        return _decay.half_life(minutes, self.decay, self.half_life_min, self.beta)


@dataclass(frozen=True, eq=False)
class GravityResult:
    """Per place: A_i = sum_j S_j f(t_ij) over stations within the threshold (S_j: capacity).
    Per station: its potential, sum_i P_i f(t_ij)."""

    access: np.ndarray = field(repr=False)
    potential: np.ndarray = field(repr=False)
    options: GravityOptions


def gravity_measure(reach: Reach, weight: np.ndarray, capacity: np.ndarray, *,
                    options: GravityOptions | None = None) -> GravityResult:
    options = options or GravityOptions()
    f = options.weights(reach.minutes)
    weight = np.asarray(weight, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    return GravityResult(access=reach.per_place(capacity[reach.station] * f),
                         potential=reach.per_station(weight[reach.place] * f),
                         options=options)


def summary(result: GravityResult, weight: np.ndarray) -> dict:
    weight = np.asarray(weight, dtype=float)
    total = float(weight.sum()) or 1.0
    access = result.access
    return {
        "decay": result.options.decay,
        "half_life_min": result.options.half_life_min,
        "mean_access": round(float((access * weight).sum() / total), 4),
        "below_half_share": round(float(weight[access < 0.5].sum() / total), 4),
    }


def lines(summary_: dict) -> list[str]:
    return [_("gravity ({decay}, half-life {half_life} min): mean access {access}; {share} of "
              "weight below 0.5 (less than one station at the half-life)").format(
        decay=summary_["decay"], half_life=f"{summary_['half_life_min']:g}",
        access=f"{summary_['mean_access']:.2f}", share=fmt_percent(summary_["below_half_share"]))]
