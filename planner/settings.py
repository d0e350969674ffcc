"""Machine settings (cache, logging) and the planning inputs that describe how people travel."""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError

__all__ = ["Settings", "ModeSpec", "MODES", "Travel", "LEGAL_EBIKE_CAP_KMH"]

#: China's e-bike standard (GB 17761-2018) caps electric bicycles at 25 km/h.
LEGAL_EBIKE_CAP_KMH = 25.0


@dataclass(frozen=True)
class Settings:
    """Where the planner keeps its caches and how much it logs.

    Read from the environment with :meth:`from_env` (``PLANNER_CACHE_DIR``,
    ``PLANNER_LOG_LEVEL``); every field is validated on creation.
    """

    cache_dir: Path = Path.home() / ".cache" / "planner"
    log_level: str = "WARNING"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cache_dir", Path(self.cache_dir).expanduser())
        if self.cache_dir.exists() and not self.cache_dir.is_dir():
            raise InputError(f"cache folder {self.cache_dir} is a file, not a folder; set "
                             "PLANNER_CACHE_DIR to a folder")
        level = str(self.log_level).upper()
        if level not in logging.getLevelNamesMapping():
            raise InputError(
                f"log level {self.log_level!r} is not known; use DEBUG, INFO, WARNING or ERROR"
            )
        object.__setattr__(self, "log_level", level)

    @classmethod
    def from_env(cls) -> "Settings":
        """Settings from ``PLANNER_CACHE_DIR`` / ``PLANNER_LOG_LEVEL`` (defaults otherwise)."""
        kwargs: dict[str, object] = {}
        if os.environ.get("PLANNER_CACHE_DIR"):
            kwargs["cache_dir"] = Path(os.environ["PLANNER_CACHE_DIR"])
        if os.environ.get("PLANNER_LOG_LEVEL"):
            kwargs["log_level"] = os.environ["PLANNER_LOG_LEVEL"]
        return cls(**kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ModeSpec:
    """How one travel mode uses the street network.

    Attributes
    ----------
    default_kmh, max_kmh
        Default travel speed and the highest speed a user may set.
    respects_oneway
        Whether one-way streets may only be used in their direction.
    label
        Human-readable name for maps and reports.
    """

    default_kmh: float
    max_kmh: float
    respects_oneway: bool
    label: str


MODES: dict[str, ModeSpec] = {
    "walk": ModeSpec(4.5, 8.0, respects_oneway=False, label="on foot"),
    "bike": ModeSpec(15.0, 30.0, respects_oneway=True, label="by bicycle"),
    # Delivery riders on e-bikes: typical urban average speed, capped by law at 25 km/h.
    "ebike": ModeSpec(18.0, LEGAL_EBIKE_CAP_KMH, respects_oneway=True, label="by e-bike"),
    # Cap on driving speed (China's urban limit); street classes and maxspeed tags lower it.
    "drive": ModeSpec(50.0, 120.0, respects_oneway=True, label="by car"),
}


@dataclass(frozen=True)
class Travel:
    """How demand reaches a station: mode, speed and the walk between street and door.

    Parameters
    ----------
    mode
        One of ``walk``, ``bike``, ``ebike`` (delivery riders), ``drive``.
    speed_kmh
        Travel speed on the street network; ``None`` takes the mode's default.
    access_kmh
        Speed of the access leg between a point and its nearest street (on foot).
    max_snap_m
        A point farther than this from every street usable by the mode is reported as
        off-network instead of being snapped.
    push_oneway
        Whether a rider may get off and push the bike against a one-way street (on the
        pavement, at ``push_kmh``), as delivery riders do. ``None`` takes the mode's default:
        on for ``ebike``, off for ``bike``; never for ``walk`` (one-way rules do not apply on
        foot) or ``drive``.
    push_kmh
        Speed of pushing a bike against a one-way street (walking pace).
    """

    mode: str = "ebike"
    speed_kmh: float | None = None
    access_kmh: float = 4.5
    max_snap_m: float = 250.0
    push_oneway: bool | None = None
    push_kmh: float = 4.5

    def __post_init__(self) -> None:
        mode = str(self.mode).strip().lower().replace("-", "")
        if mode not in MODES:
            raise InputError(
                f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}"
            )
        object.__setattr__(self, "mode", mode)
        spec = MODES[mode]
        speed = spec.default_kmh if self.speed_kmh is None else self.speed_kmh
        _check_speed("speed_kmh", speed, spec.max_kmh, f"the {mode} mode")
        object.__setattr__(self, "speed_kmh", float(speed))
        _check_speed("access_kmh", self.access_kmh, MODES["walk"].max_kmh, "walking to the door")
        snap = _as_float("max_snap_m", self.max_snap_m)
        if not 0 < snap <= 5000:
            raise InputError(
                f"max_snap_m={self.max_snap_m!r} must be between 0 and 5000 metres"
            )
        object.__setattr__(self, "max_snap_m", snap)
        _check_speed("push_kmh", self.push_kmh, MODES["walk"].max_kmh, "pushing a bike")
        object.__setattr__(self, "push_kmh", float(self.push_kmh))
        if self.push_oneway not in (None, True, False):
            raise InputError(f"push_oneway={self.push_oneway!r} must be true, false or unset")
        if self.push_oneway and mode not in ("bike", "ebike"):
            raise InputError(f"push_oneway applies to bike and ebike, not to mode {mode!r}")

    @property
    def pushes(self) -> bool:
        """Whether one-way streets may be pushed against (see ``push_oneway``)."""
        if self.push_oneway is None:
            return self.mode == "ebike"
        return bool(self.push_oneway) and self.mode in ("bike", "ebike")

    @property
    def spec(self) -> ModeSpec:
        return MODES[self.mode]

    @property
    def speed_ms(self) -> float:
        return float(self.speed_kmh) / 3.6  # type: ignore[arg-type]

    @property
    def access_ms(self) -> float:
        return float(self.access_kmh) / 3.6

    @property
    def label(self) -> str:
        return f"{self.spec.label} at {self.speed_kmh:g} km/h"

    def replace(self, **changes: object) -> "Travel":
        """A copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _as_float(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a number") from None
    if math.isnan(number):
        raise InputError(f"{name} is NaN; give a number")
    return number


def _check_speed(name: str, value: object, maximum: float, what: str) -> None:
    speed = _as_float(name, value)
    if not 0 < speed <= maximum:
        hint = (
            f" (China's legal cap for e-bikes is {LEGAL_EBIKE_CAP_KMH:g} km/h)"
            if maximum == LEGAL_EBIKE_CAP_KMH
            else ""
        )
        raise InputError(
            f"{name}={value!r} km/h is not plausible for {what}; give a speed above 0 and "
            f"at most {maximum:g} km/h{hint}"
        )
