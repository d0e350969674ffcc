"""Frozen option objects shared by the API, the CLI and scenario files: the models and the solver."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from planner import _validate
from planner.errors import InputError

__all__ = ["SolverOptions", "MCLP", "LSCP", "PMedian", "Backup", "PCenter", "parse_gap",
           "model_options", "METHODS"]

#: ``auto`` picks by size and time budget; ``exact`` runs HiGHS (warm-started from the
#: heuristic); ``greedy`` (alias ``heuristic``) is greedy + local search with a proven bound.
METHODS = ("auto", "exact", "greedy", "heuristic")


def parse_gap(value: object) -> float:
    """A relative gap: ``"0.1%"`` -> 0.001, ``0.001`` -> 0.001; in [0, 1)."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise InputError(f"gap {value!r} is not a number; write it like 0.1% or 0.001") from None
    if not math.isfinite(number) or not 0 <= number < 1:
        raise InputError(f"gap {value!r} must be at least 0 and below 100 %")
    return number


@dataclass(frozen=True)
class SolverOptions:
    """How to solve a location model.

    Parameters
    ----------
    method
        ``auto``, ``exact`` or ``greedy`` (see :data:`METHODS`).
    time_limit_s
        Wall-clock limit for the exact solver (the heuristic always finishes first).
    gap
        Relative gap at which the exact solver may stop (0: prove optimality; ``"0.1%"`` ok).
    seed
        Seed of any randomised step (ties are broken by index, so runs are deterministic).
    local_search
        Improve every heuristic start by swaps (vertex substitution / fast interchange).
    """

    method: str = "auto"
    time_limit_s: float = 60.0
    gap: float = 0.0
    seed: int = 0
    local_search: bool = True

    def __post_init__(self) -> None:
        method = "greedy" if self.method == "heuristic" else self.method
        if method not in METHODS:
            raise InputError(f"method={self.method!r}: use exact, greedy or auto")
        object.__setattr__(self, "method", method)
        limit = _validate.number_in(self.time_limit_s, name="time_limit", unit="seconds",
                                    maximum=86400)
        object.__setattr__(self, "time_limit_s", limit)
        object.__setattr__(self, "gap", parse_gap(self.gap))

    @classmethod
    def coerce(cls, solver: "SolverOptions | None" = None, *, method: str | None = None,
               time_limit: float | None = None, gap: object | None = None) -> "SolverOptions":
        """``solver`` (or the defaults) with any explicitly given field replaced."""
        base = solver or cls()
        changes = {k: v for k, v in (("method", method), ("time_limit_s", time_limit),
                                     ("gap", gap)) if v is not None}
        return replace(base, **changes) if changes else base


def _k(value: object) -> int:
    try:
        return _validate.whole(value, name="k", maximum=10_000)
    except InputError:
        raise InputError(f"k={value!r}: the number of stations must be an integer >= 1") \
            from None


@dataclass(frozen=True)
class MCLP:
    """Maximal covering: the ``k`` new sites covering the most demand within the threshold.

    ``capacity`` (demand weight per station) makes it the capacitated variant.
    """

    k: int = 3
    capacity: float | None = None
    name = "mclp"

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _k(self.k))
        _validate.optional_number(self.capacity, name="capacity", unit="demand weight")


@dataclass(frozen=True)
class LSCP:
    """Set covering: the fewest new sites reaching ``target_share`` of the demand.

    ``unreachable``: ``exclude`` (aim at the demand some site can reach) or ``error``.
    """

    target_share: float = 1.0
    unreachable: str = "exclude"
    name = "lscp"

    def __post_init__(self) -> None:
        # one rule everywhere in the API: a share in (0, 1]; 95 is refused as a percentage
        # (the CLI's --target takes per cent and converts)
        object.__setattr__(self, "target_share",
                           _validate.share(self.target_share, name="target_share"))
        if self.unreachable not in ("exclude", "error"):
            raise InputError(f"unreachable={self.unreachable!r}: use 'exclude' or 'error'")


@dataclass(frozen=True)
class PMedian:
    """p-median: ``k`` new sites minimising the weighted mean travel time.

    ``limit_min`` bounds the travel-time search (None: unbounded, i.e. true times for every
    place that can reach a site); ``penalty_min`` is what a place counts when it can reach
    some candidate but none of the chosen sites (None: the longest time in the matrix).
    """

    k: int = 3
    limit_min: float | None = None
    penalty_min: float | None = None
    name = "pmedian"

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _k(self.k))
        for field_name in ("limit_min", "penalty_min"):
            value = getattr(self, field_name)
            _validate.optional_number(value, name=field_name, unit="minutes",
                                      maximum=_validate.MAX_MINUTES * 2)


def _min_share(value: object) -> float | None:
    return None if value is None else _validate.share(value, name="min_covered_share")


@dataclass(frozen=True)
class Backup:
    """Maximal backup coverage (Hogan & ReVelle 1986): ``k`` new sites maximising the demand
    weight reached by two or more stations, single coverage kept at the MCLP optimum (or at
    ``min_covered_share`` of all weight)."""

    k: int = 3
    min_covered_share: float | None = None
    name = "backup"

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _k(self.k))
        object.__setattr__(self, "min_covered_share", _min_share(self.min_covered_share))


@dataclass(frozen=True)
class PCenter:
    """p-center: ``k`` new sites minimising the worst travel time of the covered demand, the
    covered weight kept at the MCLP optimum (or at ``min_covered_share`` of all weight)."""

    k: int = 3
    min_covered_share: float | None = None
    name = "pcenter"

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _k(self.k))
        object.__setattr__(self, "min_covered_share", _min_share(self.min_covered_share))


MODEL_TYPES = (MCLP, LSCP, PMedian, Backup, PCenter)


def model_options(model: "str | MCLP | LSCP | PMedian | Backup | PCenter", *,
                  k: int | None = None, target_share: float | None = None,
                  capacity: float | None = None, unreachable: str | None = None,
                  pmedian_limit_min: float | None = None,
                  min_covered_share: float | None = None
                  ) -> "MCLP | LSCP | PMedian | Backup | PCenter":
    """A model object from a model object or a name plus the old keywords ("mclp", k=2)."""
    if isinstance(model, MODEL_TYPES):
        return model
    name = str(model).lower().replace("-", "")
    if name == "mclp":
        return MCLP(k=3 if k is None else k, capacity=capacity)
    if name == "lscp":
        return LSCP(target_share=1.0 if target_share is None else target_share,
                    unreachable=unreachable or "exclude")
    if name in ("pmedian", "pmed"):
        return PMedian(k=3 if k is None else k, limit_min=pmedian_limit_min)
    if name in ("backup", "pcenter"):
        kind = Backup if name == "backup" else PCenter
        return kind(k=3 if k is None else k, min_covered_share=min_covered_share)
    raise InputError(f"unknown model {model!r}; choose one of mclp, lscp, pmedian, backup, "
                     "pcenter")
