"""Checks at the door of each stage: one place for the messages users see."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from planner.errors import InputError

#: Longest threshold the planner accepts (a "service circle" of more than 3 hours is a typo).
MAX_MINUTES = 180.0


def minutes(values: float | Iterable[float], *, name: str = "minutes") -> tuple[float, ...]:
    """Sorted unique travel-time thresholds in minutes, each in (0, MAX_MINUTES]."""
    if isinstance(values, (int, float, str)):
        values = [values]
    if isinstance(values, (dict, bytes)) or not hasattr(values, "__iter__"):
        raise InputError(f"{name}: give a number or a list of numbers of minutes, e.g. [5, 10, 15]")
    result = []
    for value in values:
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"{name}: {value!r} is not a number of minutes") from None
        if math.isnan(number) or number <= 0:
            raise InputError(f"{name}: {value!r} must be a positive number of minutes")
        if number > MAX_MINUTES:
            raise InputError(
                f"{name}: {value!r} minutes is absurdly large (limit {MAX_MINUTES:g}); "
                "thresholds are travel times such as 5, 10, 15"
            )
        result.append(number)
    if not result:
        raise InputError(f"{name}: give at least one threshold, e.g. 15")
    return tuple(sorted(set(result)))


def positive_int(value: object, *, name: str, maximum: int | None = None) -> int:
    """An integer >= 1 (and <= maximum)."""
    try:
        number = int(value)  # type: ignore[arg-type]
        if number != value and not isinstance(value, str):
            float_value = float(value)  # type: ignore[arg-type]
            if not float_value.is_integer():
                raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a whole number") from None
    if number < 1 or (maximum is not None and number > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise InputError(f"{name}={value!r} must be at least 1{bound}")
    return number


def share(value: object, *, name: str) -> float:
    """A fraction in (0, 1]; percentages above 1 (like 95) are read as per cent."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a number") from None
    if number > 1:
        number /= 100.0
    if math.isnan(number) or not 0 < number <= 1:
        raise InputError(f"{name}={value!r} must be a share in (0, 1] or a percentage (0, 100]")
    return number


def rows_text(rows: Sequence[int], limit: int = 5) -> str:
    """'rows 2, 5, 9 and 3 more' for messages (rows as the user counts them)."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def distance_m(value: object, *, name: str, maximum: float = 100_000.0,
               allow_zero: bool = False) -> float:
    """A finite distance in metres, positive (or zero when allowed) and at most ``maximum``."""
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name}={value!r} is not a number of metres") from None
    low_ok = number >= 0 if allow_zero else number > 0
    if not (math.isfinite(number) and low_ok and number <= maximum):
        low = "0 or more" if allow_zero else "above 0"
        raise InputError(f"{name}={value!r} must be a distance {low} and at most "
                         f"{maximum:g} m")
    return number


def flag(value: object, *, name: str) -> bool:
    """A true/false switch (not a number or a string that merely looks like one)."""
    if not isinstance(value, bool):
        raise InputError(f"{name}={value!r} must be true or false")
    return value
