"""Enhanced two-step floating catchment (E2SFCA, Luo & Qi 2009): seats per rider and load."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.analysis.measures import _decay
from planner.analysis.measures._matrix import Reach
from planner.errors import InputError
from planner.i18n import _

DECAYS = ("stepped", "gaussian")


@dataclass(frozen=True)
class CapacityOptions:
    """Options of the ``capacity`` measure.

    Parameters
    ----------
    decay
        ``stepped`` (zones of the threshold, default thirds weighted 1, 0.68, 0.22 as in
        Luo & Qi 2009) or ``gaussian`` (exp(-t^2 / 2 sigma^2)).
    steps
        ``((upper_min, weight), ...)`` for the stepped decay; default: thirds of the threshold.
    sigma_min
        Width of the Gaussian decay; default: half the threshold.
    overload_factor
        A station is overloaded when its riders per seat exceed this multiple of the
        district's mean load (sum_j of the decay-weighted demand D_j / all capacity), unless
        ``max_load`` is given.
    max_load
        Absolute limit of riders per seat (overrides ``overload_factor``).
    """

    decay: str = "stepped"
    steps: tuple[tuple[float, float], ...] | None = None
    sigma_min: float | None = None
    overload_factor: float = 1.5
    max_load: float | None = None

    def __post_init__(self) -> None:
        if self.decay not in DECAYS:
            raise InputError(f"capacity decay {self.decay!r} is unknown; use one of "
                             f"{', '.join(DECAYS)}")
        for name in ("sigma_min", "max_load"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0):
                raise InputError(f"capacity {name} must be a positive number, got {value!r}")
        if not (np.isfinite(self.overload_factor) and self.overload_factor > 0):
            raise InputError("capacity overload_factor must be a positive number")
        if self.steps is not None:
            steps = tuple((float(u), float(w)) for u, w in self.steps)
            if not steps or any(not (u > 0 and 0 <= w <= 1) for u, w in steps):
                raise InputError("capacity steps are (upper_min > 0, 0 <= weight <= 1) pairs")
            object.__setattr__(self, "steps", steps)

    def weights(self, minutes: np.ndarray, threshold_min: float) -> np.ndarray:
        """Decay weight of each travel time (0 beyond the threshold)."""
        minutes = np.asarray(minutes, dtype=float)
        if self.decay == "stepped":
            w = _decay.stepped(minutes, self.steps or _decay.default_steps(threshold_min))
        else:
            w = _decay.gaussian_sigma(minutes, self.sigma_min or threshold_min / 2.0)
        return np.where(minutes <= threshold_min, w, 0.0)


@dataclass(frozen=True, eq=False)
class CapacityResult:
    """E2SFCA outcome.

    Attributes
    ----------
    access
        Per place: A_i = sum_j R_j W(t_ij), seats per rider within reach (decay-weighted).
    load_ratio
        Per station: riders per seat, sum_i P_i W(t_ij) / S_j (1 / R_j); 0 if none reach it.
    load_vs_mean
        ``load_ratio`` over the district's mean load (sum of station demand / all seats).
    overloaded
        Per station flag (see :class:`CapacityOptions`).
    """

    capacity: np.ndarray = field(repr=False)
    access: np.ndarray = field(repr=False)
    load_ratio: np.ndarray = field(repr=False)
    load_vs_mean: np.ndarray = field(repr=False)
    overloaded: np.ndarray = field(repr=False)
    district_load: float
    options: CapacityOptions


def capacity_measure(reach: Reach, weight: np.ndarray, capacity: np.ndarray, *,
                     threshold_min: float, options: CapacityOptions | None = None
                     ) -> CapacityResult:
    """E2SFCA on the reach pairs: step 1 supply/demand ratio per station, step 2 per place."""
    options = options or CapacityOptions()
    weight = np.asarray(weight, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    w = options.weights(reach.minutes, threshold_min)
    demand_j = reach.per_station(weight[reach.place] * w)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_j = np.where(demand_j > 0, capacity / demand_j, 0.0)
        load = np.where(capacity > 0, demand_j / capacity, 0.0)
    access = reach.per_place(ratio_j[reach.station] * w)
    district = float(demand_j.sum() / capacity.sum()) if capacity.sum() > 0 else 0.0
    load_vs_mean = load / district if district > 0 else np.zeros_like(load)
    limit = options.max_load if options.max_load is not None else \
        options.overload_factor * district
    return CapacityResult(capacity=capacity, access=access, load_ratio=load,
                          load_vs_mean=load_vs_mean, overloaded=load > limit,
                          district_load=district, options=options)


def summary(result: CapacityResult, station_ids: np.ndarray, weight: np.ndarray) -> dict:
    weight = np.asarray(weight, dtype=float)
    total = float(weight.sum()) or 1.0
    order = np.argsort(-result.load_ratio, kind="stable")
    return {
        "decay": result.options.decay,
        "mean_riders_per_seat": round(result.district_load, 4),
        "mean_access_seats_per_rider": round(float((result.access * weight).sum() / total), 6),
        "no_access_share": round(float(weight[result.access <= 0].sum() / total), 4),
        "stations": [
            {"id": str(station_ids[j]), "capacity": float(result.capacity[j]),
             "riders_per_seat": round(float(result.load_ratio[j]), 3),
             "load_vs_mean": round(float(result.load_vs_mean[j]), 3),
             "overloaded": bool(result.overloaded[j])}
            for j in order
        ],
    }


def lines(summary_: dict) -> list[str]:
    over = [s for s in summary_["stations"] if s["overloaded"]]
    text = _(", ").join(
        _("{id} {load}x ({riders} riders/seat)").format(
            id=s["id"], load=f"{s['load_vs_mean']:.1f}", riders=f"{s['riders_per_seat']:.1f}")
        for s in over[:5])
    top = summary_["stations"][0] if summary_["stations"] else None
    busiest = _(" (busiest {id}: {riders} riders/seat, {load}x mean)").format(
        id=top["id"], riders=f"{top['riders_per_seat']:.1f}",
        load=f"{top['load_vs_mean']:.2f}") if top and not over else ""
    return [_("capacity (E2SFCA, {decay}): mean {riders} riders per seat; overloaded: "
              "{stations}").format(decay=summary_["decay"],
                                   riders=f"{summary_['mean_riders_per_seat']:.1f}",
                                   stations=text or _("none")) + busiest]
