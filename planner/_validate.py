"""Checks at the door of each stage: one place for the messages users see."""

from __future__ import annotations

import math
import re
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
    """An integer >= 1 (and <= maximum); bools and fractions are refused."""
    return whole(value, name=name, minimum=1, maximum=maximum)


def share(value: object, *, name: str) -> float:
    """A share in (0, 1] (0.95 = 95 %); a number in (1, 100] is refused as a likely
    percentage, so that 0.95 and 95 can never be confused."""
    number = number_in(value, name=name, unit="share", minimum=0.0, maximum=100.0,
                       open_minimum=True)
    if number > 1:
        raise InputError(f"{name}={value!r} looks like a percentage; give a share in (0, 1], "
                         f"e.g. {number / 100:g} for {number:g} %")
    return number


def percent(value: object, *, name: str) -> float:
    """A percentage in [1, 100] (``95`` or ``95%``) returned as a share (0.95); a number
    below 1 is refused as a likely share, so that 0.95 and 95 can never be confused."""
    text = str(value).strip()
    number = number_in(text[:-1] if text.endswith("%") else text, name=name, unit="per cent",
                       minimum=0.0, maximum=100.0, open_minimum=True)
    if number < 1:
        raise InputError(f"{name}={value!r}: give per cent in [1, 100], e.g. {number * 100:g} "
                         f"for a share of {number:g}")
    return number / 100.0


def number_in(value: object, *, name: str, unit: str, minimum: float = 0.0,
              maximum: float = math.inf, open_minimum: bool = True) -> float:
    """A finite real number (not a bool) in the range; the message names the unit."""
    if isinstance(value, bool):
        raise InputError(f"{name}={value!r} is not a number of {unit}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name}={value!r} is not a number of {unit}") from None
    if not math.isfinite(number):
        raise InputError(f"{name}={value!r}: give a finite number of {unit}")
    too_low = number <= minimum if open_minimum else number < minimum
    if too_low or number > maximum:
        low = f"above {minimum:g}" if open_minimum else f"at least {minimum:g}"
        high = f" and at most {maximum:g}" if math.isfinite(maximum) else ""
        raise InputError(f"{name}={value!r} {unit}: give a number {low}{high}")
    return number


def optional_number(value: object, **options) -> float | None:
    """``None`` stays ``None``; anything else goes through :func:`number_in`."""
    return None if value is None else number_in(value, **options)


def whole(value: object, *, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number (not a bool, not 2.5) in [minimum, maximum]."""
    if isinstance(value, bool):
        raise InputError(f"{name}={value!r} is not a whole number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name}={value!r} is not a whole number") from None
    if not math.isfinite(number) or not number.is_integer():
        raise InputError(f"{name}={value!r} is not a whole number")
    if number < minimum or (maximum is not None and number > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise InputError(f"{name}={value!r} must be at least {minimum}{bound}")
    return int(number)


def rows_text(rows: Sequence[int], limit: int = 5) -> str:
    """'rows 2, 5, 9 and 3 more' for messages (rows as the user counts them)."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


# --------------------------------------------------------------------------- Dask clusters

#: Most local worker processes accepted (each is a Python process with its own memory).
MAX_WORKERS = 256
#: Smallest memory per worker that can hold a district's street network.
MIN_WORKER_BYTES = 256 * 2**20


def workers(value: object, *, name: str = "--workers") -> int:
    """Number of local worker processes: a whole number in [1, MAX_WORKERS]."""
    return whole(value, name=name, minimum=1, maximum=MAX_WORKERS)


def memory_limit(value: object, *, name: str = "--memory-limit") -> str:
    """Memory per worker like ``4GiB`` or ``500MB`` (or ``auto``): at least 256 MiB and at
    most this machine's memory (Dask pauses and restarts workers that exceed it)."""
    text = str(value).strip()
    if text.lower() == "auto":
        return "auto"
    from dask.utils import parse_bytes

    try:
        size = parse_bytes(text)
    except (ValueError, TypeError, KeyError):
        raise InputError(f"{name}={value!r} is not a memory size; give e.g. 2GiB or 500MB") \
            from None
    total = _machine_memory()
    if size < MIN_WORKER_BYTES:
        raise InputError(f"{name}={value!r} is too small; give at least 256MiB per worker")
    if total and size > total:
        raise InputError(
            f"{name}={value!r} per worker is more than this machine's "
            f"{total / 2**30:.1f} GiB of memory; give e.g. 2GiB")
    return text


def _machine_memory() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # psutil missing or unsupported platform: no upper check
        return None


_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|[0-9.]+)$")


def scheduler_address(value: object, *, name: str = "--scheduler") -> str:
    """A Dask scheduler address ``tcp://HOST:PORT`` (or ``tls://``; ``HOST:PORT`` means
    tcp), checked by its syntax only: nothing is contacted here."""
    text = str(value).strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    host, colon, port = rest.rpartition(":")
    if (scheme not in ("tcp", "tls") or not colon or not _HOST.match(host or "")
            or not port.isdigit() or not 1 <= int(port) <= 65535):
        raise InputError(f"{name}={value!r} is not a scheduler address; give "
                         "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    return f"{scheme}://{host}:{int(port)}"


# --------------------------------------------------------------------------- API doors


def travel(value: object):
    """A :class:`~planner.settings.Travel` from a Travel, a mode name or None (e-bike)."""
    from planner.settings import Travel

    if value is None:
        return Travel()
    if isinstance(value, Travel):
        return value
    if isinstance(value, str):
        return Travel(value)
    raise InputError(f"travel={value!r}: give planner.Travel('ebike', speed_kmh=...) or a "
                     "mode name")


def choice(value: object, options, *, name: str) -> str:
    """One of ``options`` (strings)."""
    if not isinstance(value, str) or value not in options:
        raise InputError(f"{name}={value!r}: choose one of {', '.join(options)}")
    return value


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
