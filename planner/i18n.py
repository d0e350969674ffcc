"""The planner's languages: message catalogs (gettext .po, read with Babel) and locale-aware
numbers and units.

Text for people goes through :func:`_` (and :func:`ngettext` for counts); machine keys
(JSON fields, column names, layer ids) stay English. The catalogs are the ``.po`` files in
``planner/locale/<lang>/LC_MESSAGES/planner.po``, read at run time (no compiled ``.mo``).
The language is a context value: :func:`language` sets it for a block (the map and report
builders take ``lang=`` and do this), :func:`activate` sets it for the rest of a command.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from planner.errors import InputError

__all__ = ["LANGUAGES", "_", "N_", "ngettext", "language", "activate", "current", "resolve_lang",
           "default_lang", "fmt_minutes", "fmt_percent", "fmt_number", "fmt_places",
           "fmt_speed", "fmt_weight", "travel_label",
           "mode_name", "service_name"]

#: Languages with a catalog (English is the source language: its catalog is the identity).
LANGUAGES = ("en", "zh")
_LOCALE_DIR = Path(__file__).with_name("locale")
_BABEL_LOCALE = {"en": "en", "zh": "zh_Hans_CN"}
_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("planner_lang", default="en")


def check_lang(lang: str | None, *, option: str = "--lang") -> str:
    """``lang`` normalised (``zh-CN``, ``zh_Hans`` -> ``zh``); an :class:`InputError` naming
    ``option`` for a language without a catalog."""
    text = str(lang or "").strip().lower().replace("-", "_")
    code = text.split("_", 1)[0].split(".", 1)[0]
    if code not in LANGUAGES:
        raise InputError(f"{option}: {lang!r} is not a supported language; use "
                         + " or ".join(LANGUAGES))
    return code


@functools.lru_cache(maxsize=None)
def catalog(lang: str) -> Mapping[str, str | tuple[str, ...]]:
    """msgid -> translation (a tuple of plural forms for plural messages) of ``lang``."""
    if lang == "en":
        return {}
    try:
        from babel.messages.pofile import read_po
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ImportError("translations need Babel: pip install babel") from exc
    path = _LOCALE_DIR / lang / "LC_MESSAGES" / "planner.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale=_BABEL_LOCALE[lang])
    out: dict[str, str | tuple[str, ...]] = {}
    for message in messages:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            if all(message.string):
                out[message.id[0]] = tuple(message.string)
        elif message.string:
            out[message.id] = message.string
    return out


def current() -> str:
    """The language in effect (``"en"`` unless set)."""
    return _LANG.get()


def activate(lang: str | None) -> str:
    """Set the language for the rest of this context (a CLI command); returns it."""
    code = check_lang(lang) if lang else "en"
    _LANG.set(code)
    return code


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Use ``lang`` inside the block; ``None`` keeps the language in effect."""
    if lang is None:
        yield current()
        return
    token = _LANG.set(check_lang(lang, option="lang"))
    try:
        yield _LANG.get()
    finally:
        _LANG.reset(token)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog where it is defined; translate it with :func:`_`
    where it is shown (e.g. a table of column labels)."""
    return message


def _(message: str) -> str:
    """``message`` in the current language (as it is when there is no translation)."""
    found = catalog(current()).get(message)
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, n: float) -> str:
    """The form of a counted message for ``n`` (Chinese has one form)."""
    found = catalog(current()).get(singular)
    if isinstance(found, tuple):
        return found[0] if len(found) == 1 else found[0 if n == 1 else 1]
    return singular if n == 1 else plural


def default_lang(*, environ: Mapping[str, str] | None = None, in_china: bool = False) -> str:
    """The language when none is asked for: ``PLANNER_LANG`` if set; Chinese when the locale
    (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, the first set) starts with ``zh``, or when the
    network lies in China (``in_china``: e.g. the bundled Wudaokou/Guixi samples); English
    otherwise."""
    env = os.environ if environ is None else environ
    if env.get("PLANNER_LANG"):
        return check_lang(env["PLANNER_LANG"], option="PLANNER_LANG")
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(key):
            if env[key].lower().startswith("zh"):
                return "zh"
            break
    return "zh" if in_china else "en"


def resolve_lang(lang: str | None, *, in_china: bool = False) -> str:
    """``lang`` if given (checked), else :func:`default_lang`."""
    return check_lang(lang) if lang else default_lang(in_china=in_china)


# ----------------------------------------------------------------------- numbers and units


def fmt_number(value: float, digits: int = 1) -> str:
    """A number with the locale's grouping, at most ``digits`` decimals (trailing zeros
    dropped)."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_BABEL_LOCALE[current()])


def fmt_percent(share: float, digits: int = 1) -> str:
    """A share (0..1) as a percentage, e.g. ``85.3%`` (the same rounding as Python's
    formatting, so the map, console and report agree)."""
    return f"{share * 100:.{int(digits)}f}%"


def fmt_minutes(value: float, *, round_up: bool = False, digits: int = 1) -> str:
    """Minutes with their unit (``12.5 min`` / ``12.5 分钟``); infinite: cannot reach.
    ``round_up`` rounds up to 0.1 min, so a place shown at a threshold is covered at it."""
    if value is None or not math.isfinite(value):
        return _("cannot reach")
    if round_up:
        value = math.ceil(value * 10 - 1e-9) / 10
        return _("{minutes} min").format(minutes=f"{value:.1f}")
    return _("{minutes} min").format(minutes=fmt_number(value, digits))


def fmt_speed(kmh: float) -> str:
    """A speed with its unit (``15 km/h`` / ``15 公里/小时``)."""
    return _("{speed} km/h").format(speed=fmt_number(kmh))


def fmt_places(n: int) -> str:
    """A count of demand places (``3 places`` / ``3 个地点``)."""
    return ngettext("{n} place", "{n} places", n).format(n=fmt_number(n, 0))


#: Mode keys as shown in layer names (the keys themselves stay English in files).
MODE_NAMES = {"walk": N_("walk"), "bike": N_("bike"), "ebike": N_("ebike"),
              "drive": N_("drive")}


def mode_name(mode: str) -> str:
    """A travel mode's short name in the current language (``ebike`` / ``电动自行车``)."""
    return _(MODE_NAMES[mode]) if mode in MODE_NAMES else str(mode)


def service_name(service: str) -> str:
    """A service key as shown (``battery_swap`` -> ``battery swap`` / ``换电``)."""
    return _(str(service).replace("_", " "))


def travel_label(travel) -> str:
    """How a :class:`planner.settings.Travel` reads (``e-bike at 15 km/h`` / ``电动自行车，
    15 公里/小时``); ``travel.label`` stays English for the reports' machine fields."""
    return _("{mode} at {speed}").format(mode=_(travel.spec.label),
                                         speed=fmt_speed(travel.speed_kmh))


def fmt_weight(value: float) -> str:
    """Demand weight (riders, orders: ``weight 120`` / ``120 人次``)."""
    return _("weight {weight}").format(weight=fmt_number(value, 2))
