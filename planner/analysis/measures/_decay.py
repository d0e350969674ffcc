"""Distance-decay functions of travel time in minutes (weight 1 at 0 minutes)."""

from __future__ import annotations

import math

import numpy as np

#: Luo & Qi (2009): weights of the three travel-time zones of the catchment.
LUO_QI_STEPS: tuple[float, ...] = (1.0, 0.68, 0.22)


def default_steps(threshold_min: float) -> tuple[tuple[float, float], ...]:
    """Three equal zones of the threshold weighted as in Luo & Qi (2009)."""
    return tuple((threshold_min * (i + 1) / 3, w) for i, w in enumerate(LUO_QI_STEPS))


def stepped(minutes: np.ndarray, steps: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Weight of the first zone whose upper bound (minutes) is >= the time; 0 beyond."""
    minutes = np.asarray(minutes, dtype=float)
    out = np.zeros_like(minutes)
    done = np.zeros(minutes.shape, dtype=bool)
    for upper, weight in sorted(steps):
        hit = ~done & (minutes <= upper)
        out[hit] = weight
        done |= hit
    return out


def gaussian_sigma(minutes: np.ndarray, sigma_min: float) -> np.ndarray:
    """exp(-t^2 / (2 sigma^2)), the Gaussian used by the PySAL ``access`` package."""
    minutes = np.asarray(minutes, dtype=float)
    return np.exp(-(minutes ** 2) / (2.0 * sigma_min ** 2))


def half_life(minutes: np.ndarray, kind: str, half_life_min: float, beta: float = 2.0
              ) -> np.ndarray:
    """Decay with weight 0.5 at ``half_life_min``.

    exponential: 2^(-t/h); gaussian: 2^(-(t/h)^2); power: (1 + c t)^(-beta) with
    c = (2^(1/beta) - 1) / h, a power law kept finite at t = 0.
    """
    t = np.asarray(minutes, dtype=float)
    h = float(half_life_min)
    if kind == "exponential":
        return np.exp2(-t / h)
    if kind == "gaussian":
        return np.exp2(-(t / h) ** 2)
    if kind == "power":
        c = (math.pow(2.0, 1.0 / beta) - 1.0) / h
        return (1.0 + c * t) ** (-beta)
    raise ValueError(f"unknown decay {kind!r}")
