"""What a station offers and when it is open: the service vocabulary and opening hours.

Stations and candidate sites may carry a ``services`` column: a list, or a string separated by
``;`` (also ``,``, ``、``, ``，``, ``；``, ``|``), of names from a :class:`Vocabulary`. The
standard vocabulary (:data:`SERVICES`) covers what districts report for rider rest stations;
Chinese names are accepted as synonyms (休息, 饮水, 微波炉, 充电, 换电, 急救, 卫生间, 食堂...).
Users extend it with a TOML file (:func:`read_vocabulary`)::

    [services]
    parcel_locker = "parcel lockers"
    [synonyms]
    "快递柜" = "parcel_locker"

An optional ``opening_hours`` column holds OSM ``opening_hours`` syntax (``Mo-Fr 08:00-20:00;
Sa 10:00-14:00``, ``24/7``), parsed with the ``opening-hours-py`` library. A missing or empty
value means "always open" (most layers list no hours). Public holidays (``PH``) are not
modelled: the reference week has none.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError, LayerError

__all__ = [
    "SERVICES",
    "SYNONYMS",
    "Vocabulary",
    "DEFAULT_VOCABULARY",
    "read_vocabulary",
    "parse_services",
    "service_table",
    "parse_at",
    "open_at",
    "check_opening_hours",
]

#: The standard services: name -> what it means.
SERVICES: dict[str, str] = {
    "rest": "seats or a room to rest",
    "water": "drinking water (hot and cold)",
    "microwave": "a microwave to heat food",
    "charging": "phone / power-bank charging",
    "battery_swap": "e-bike battery swap or charging cabinet",
    "first_aid": "first-aid kit or medical help",
    "toilet": "toilet",
    "canteen": "meals (canteen, discounted food)",
    "wifi": "free Wi-Fi",
    "repair": "e-bike repair or tyre pump",
    "umbrella": "umbrellas, raincoats or cooling supplies (seasonal)",
}

#: Other spellings (English and Chinese) -> standard name.
SYNONYMS: dict[str, str] = {
    "休息": "rest", "休息区": "rest", "歇脚": "rest", "seating": "rest", "rest_area": "rest",
    "饮水": "water", "喝水": "water", "热水": "water", "drinking_water": "water",
    "微波炉": "microwave", "热饭": "microwave",
    "充电": "charging", "手机充电": "charging", "phone_charging": "charging",
    "换电": "battery_swap", "电池更换": "battery_swap", "换电柜": "battery_swap",
    "battery": "battery_swap", "swap": "battery_swap",
    "急救": "first_aid", "医药箱": "first_aid", "药箱": "first_aid", "aid": "first_aid",
    "卫生间": "toilet", "厕所": "toilet", "洗手间": "toilet", "toilets": "toilet", "wc": "toilet",
    "食堂": "canteen", "餐饮": "canteen", "用餐": "canteen", "food": "canteen", "meals": "canteen",
    "无线网": "wifi", "wi-fi": "wifi", "维修": "repair", "打气": "repair", "雨具": "umbrella",
}

_SPLIT = re.compile(r"[;,、，；|]")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_SERVICES = 64


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(text).strip().lower()) if text is not None else ""


@dataclass(frozen=True)
class Vocabulary:
    """Known services (name -> description) and synonyms (spelling -> name)."""

    services: Mapping[str, str] = field(default_factory=lambda: dict(SERVICES))
    synonyms: Mapping[str, str] = field(default_factory=lambda: dict(SYNONYMS))

    def __post_init__(self) -> None:
        bad = [n for n in self.services if not _NAME.match(n)]
        if bad:
            raise InputError(f"service names {bad[:5]} are not lower_case_words (a-z, 0-9, _; "
                             "at most 40 characters)")
        if len(self.services) > MAX_SERVICES:
            raise InputError(f"{len(self.services)} services: at most {MAX_SERVICES}")
        dangling = {k: v for k, v in self.synonyms.items() if v not in self.services}
        if dangling:
            raise InputError(f"synonyms {dangling} point at unknown services; known: "
                             f"{', '.join(self.services)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.services)

    def extend(self, services: Mapping[str, str] | Iterable[str] = (),
               synonyms: Mapping[str, str] | None = None) -> "Vocabulary":
        """A new vocabulary with more services and synonyms."""
        extra = dict(services) if isinstance(services, Mapping) else {s: s for s in services}
        extra = {_key(k): str(v) for k, v in extra.items()}
        more = {_key(k): _key(v) for k, v in (synonyms or {}).items()}
        return Vocabulary({**self.services, **extra}, {**self.synonyms, **more})

    def canonical(self, name: str) -> str | None:
        """The standard name for ``name`` (any known spelling), or None if unknown."""
        key = _key(name)
        if key in self.services:
            return key
        return self.synonyms.get(key) or self.synonyms.get(str(name).strip())

    def name(self, text: str, *, where: str = "services") -> str:
        """Like :meth:`canonical`, but an unknown name is an :class:`InputError`."""
        found = self.canonical(text)
        if found is None:
            raise InputError(f"{where}: unknown service {str(text)[:60]!r}; known services: "
                             f"{', '.join(self.names)} (extend the list with --services-file)")
        return found


DEFAULT_VOCABULARY = Vocabulary()


def read_vocabulary(path: str | Path, *, base: Vocabulary = DEFAULT_VOCABULARY) -> Vocabulary:
    """Extend ``base`` with the ``[services]`` and ``[synonyms]`` tables of a TOML file."""
    import tomllib

    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"services file {path} does not exist")
    if path.stat().st_size > 1_000_000:
        raise InputError(f"services file {path} is larger than 1 MB")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"services file {path}: {exc}") from None
    unknown = set(data) - {"services", "synonyms"}
    if unknown:
        raise InputError(f"services file {path}: unknown tables {sorted(unknown)}; use "
                         "[services] and [synonyms]")
    services, synonyms = data.get("services", {}), data.get("synonyms", {})
    for table, values in (("services", services), ("synonyms", synonyms)):
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise InputError(f"services file {path}: [{table}] must map names to strings")
    try:
        return base.extend(services, synonyms)
    except InputError as exc:
        raise InputError(f"services file {path}: {exc}") from None


def _items(value: object) -> list[str]:
    """The raw service names in one cell: a list, a JSON list or a separated string."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [part for v in value for part in _SPLIT.split(str(v)) if part.strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v) for v in parsed if str(v).strip()]
    return [part for part in _SPLIT.split(text) if part.strip()]


def parse_services(values: Iterable[object], *, vocabulary: Vocabulary = DEFAULT_VOCABULARY,
                   where: str = "layer", ids: Sequence[str] | None = None
                   ) -> list[tuple[str, ...]]:
    """Standard service names per row; an unknown name is an error naming the row."""
    out = []
    for row, value in enumerate(values):
        label = f"row {row + 1}" + (f" (id {ids[row]})" if ids is not None else "")
        names = []
        for item in _items(value):
            try:
                name = vocabulary.name(item, where=f"{where}, {label}")
            except InputError as exc:
                raise LayerError(str(exc)) from None
            if name not in names:
                names.append(name)
        out.append(tuple(names))
    return out


def service_table(layer: pd.DataFrame, *, vocabulary: Vocabulary = DEFAULT_VOCABULARY,
                  where: str = "stations layer", default: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """A boolean (rows x services) table: which row offers which service.

    A layer without a ``services`` column is an error unless ``default`` says what every
    row offers (e.g. proposed sites offering what the user says).
    """
    if "services" not in layer.columns:
        if default is None:
            raise LayerError(f"{where} has no 'services' column; add one listing what each "
                             f"station offers (e.g. 'rest;water;charging'; known: "
                             f"{', '.join(vocabulary.names)})")
        names = [tuple(vocabulary.name(s, where=where) for s in default)] * len(layer)
    else:
        ids = layer["id"].astype(str).tolist() if "id" in layer.columns else None
        names = parse_services(layer["services"].tolist(), vocabulary=vocabulary, where=where,
                               ids=ids)
    table = pd.DataFrame(False, index=range(len(layer)), columns=list(vocabulary.names))
    for row, offered in enumerate(names):
        table.loc[row, list(offered)] = True
    return table


# --------------------------------------------------------------------------- opening hours

#: Monday of the reference week used for "Mon 21:30" (a week with no public holidays).
REFERENCE_MONDAY = dt.date(2024, 1, 8)
_DAYS = {
    "mo": 0, "mon": 0, "monday": 0, "周一": 0, "星期一": 0,
    "tu": 1, "tue": 1, "tues": 1, "tuesday": 1, "周二": 1, "星期二": 1,
    "we": 2, "wed": 2, "wednesday": 2, "周三": 2, "星期三": 2,
    "th": 3, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "周四": 3, "星期四": 3,
    "fr": 4, "fri": 4, "friday": 4, "周五": 4, "星期五": 4,
    "sa": 5, "sat": 5, "saturday": 5, "周六": 5, "星期六": 5,
    "su": 6, "sun": 6, "sunday": 6, "周日": 6, "星期日": 6, "周天": 6, "星期天": 6,
}


def parse_at(text: str | dt.datetime) -> dt.datetime:
    """A moment from ``"Mon 21:30"`` (a day of the reference week), ``"周一 21:30"`` or an
    ISO date-time ``"2026-05-01 21:30"``."""
    if isinstance(text, dt.datetime):
        return text.replace(tzinfo=None)
    raw = str(text).strip()
    match = re.fullmatch(r"(\S+)\s+(\d{1,2}):(\d{2})", raw)
    if match and match.group(1).lower().rstrip(".") in _DAYS:
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour <= 24 and minute < 60 and (hour < 24 or minute == 0):
            day = REFERENCE_MONDAY + dt.timedelta(days=_DAYS[match.group(1).lower().rstrip(".")])
            return dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hour, minutes=minute)
    try:
        return dt.datetime.fromisoformat(raw).replace(tzinfo=None)
    except ValueError:
        raise InputError(f"--at {raw[:40]!r}: give a day and a time like 'Mon 21:30' "
                         "(Mon..Sun or 周一..周日) or a date-time like '2026-05-01 21:30'") \
            from None


def _parser(text: str, where: str):
    from opening_hours import OpeningHours, ParserError

    try:
        return OpeningHours(text)
    except (ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "cannot parse"
        raise LayerError(f"{where}: opening_hours {text[:80]!r} is not valid OSM "
                         f"opening_hours syntax ({first}); e.g. 'Mo-Fr 08:00-20:00; "
                         "Sa 10:00-14:00' or '24/7'") from None


def _hours(layer: pd.DataFrame) -> list[str]:
    if "opening_hours" not in layer.columns:
        return [""] * len(layer)
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
            for v in layer["opening_hours"].tolist()]


def check_opening_hours(layer: pd.DataFrame, *, where: str = "stations layer") -> None:
    """Raise a :class:`LayerError` naming the first row whose opening_hours do not parse."""
    ids = layer["id"].astype(str).tolist() if "id" in layer.columns else None
    for row, text in enumerate(_hours(layer)):
        if text:
            _parser(text, f"{where}, row {row + 1}" + (f" (id {ids[row]})" if ids else ""))


def open_at(layer: pd.DataFrame, at: str | dt.datetime | None, *,
            where: str = "stations layer") -> np.ndarray:
    """Which rows are open at ``at`` (all when ``at`` is None; no hours = always open).

    A row whose hours say "unknown" at that moment (e.g. ``Mo-Fr 08:00-20:00 "call us"``
    with an ``unknown`` state) counts as closed.
    """
    if at is None:
        return np.ones(len(layer), dtype=bool)
    moment = parse_at(at)
    ids = layer["id"].astype(str).tolist() if "id" in layer.columns else None
    out = np.ones(len(layer), dtype=bool)
    for row, text in enumerate(_hours(layer)):
        if text:
            label = f"{where}, row {row + 1}" + (f" (id {ids[row]})" if ids else "")
            out[row] = bool(_parser(text, label).is_open(moment))
    return out
