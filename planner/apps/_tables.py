"""Console tables that fit a terminal (at most 100 columns): human headers with units, "n/a"
instead of NaN. The full-width tables go to CSV/Markdown; these are for reading."""

from __future__ import annotations

import io
import math
import re
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from planner.i18n import N_, _

#: Widest console output, in terminal columns.
MAX_WIDTH = 100

#: Headers for the columns the planner writes; anything else is derived from the name.
LABELS = {
    "rank": N_("rank"),
    "scenario": N_("scenario"),
    "district": N_("district"),
    "status": N_("status"),
    "mode": N_("mode"),
    "speed_kmh": N_("speed (km/h)"),
    "stations": N_("stations"),
    "demand_places": N_("places"),
    "demand_weight": N_("demand weight"),
    "threshold_min": N_("promise (min)"),
    "covered_main_%": N_("covered (%)"),
    "change_vs_baseline_pp": N_("vs baseline (pp)"),
    "compared_with": N_("compared with"),
    "change_vs_reference_pp": N_("vs reference (pp)"),
    "gaps": N_("gap areas"),
    "gap_weight": N_("gap weight"),
    "median_min": N_("median (min)"),
    "p90_min": N_("p90 (min)"),
    "median_change_min": N_("median change (min)"),
    "proposed_sites": N_("new sites"),
    "covered_after_%": N_("covered after (%)"),
    "seconds": N_("time (s)"),
}
_UNITS = (("_%", "%"), ("_pp", "pp"), ("_kmh", "km/h"), ("_min", "min"), ("_m", "m"),
          ("_s", "s"), ("_share", "share"))


def label(column: str) -> str:
    """A readable header with its unit, e.g. ``covered_15min_%`` -> ``covered 15 min (%)``."""
    if column in LABELS:
        return _(LABELS[column])
    match = re.fullmatch(r"covered_(\d+(?:\.\d+)?)min_%", column)
    if match:
        return _("covered {minutes} min (%)").format(minutes=match.group(1))
    for suffix, unit in _UNITS:
        if column.endswith(suffix):
            return f"{column[: -len(suffix)].replace('_', ' ')} ({unit})"
    return column.replace("_", " ")


def cell_len(text: str) -> int:
    """Terminal columns ``text`` takes (a Chinese character takes two)."""
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def _unbreakable(word: str) -> int:
    """Columns a header word needs on one line: Chinese text may break between any two
    characters, so such a word needs only 3 characters' room."""
    size = cell_len(word)
    return min(size, 6) if size > len(word) else size


def missing(value) -> bool:
    """True for None, NaN and pandas' NA."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell(value) -> str:
    """One value as text: ``n/a`` when missing, whole numbers without ``.0``."""
    if missing(value):
        return _("n/a")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def width(stream=None) -> int:
    """The console width to use: the terminal's, at most :data:`MAX_WIDTH`."""
    stream = stream or sys.stdout
    if hasattr(stream, "isatty") and stream.isatty():
        return max(40, min(MAX_WIDTH, shutil.get_terminal_size((MAX_WIDTH, 24)).columns))
    return MAX_WIDTH


def render(rows: Sequence[Mapping] | pd.DataFrame, *, columns: Sequence[str] | None = None,
           title: str | None = None, notes: Iterable[str] = (), max_width: int | None = None,
           right: Iterable[str] = ()) -> str:
    """A table as text no wider than ``max_width`` (cells wrap), then numbered-free notes."""
    from rich import box
    from rich.table import Table

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    max_width = max_width or width()
    right = set(right)
    numeric = [c in right or pd.api.types.is_numeric_dtype(frame[c]) for c in columns]
    widths = _widths(frame, columns, numeric, max_width)
    spacious = sum(widths) + 2 * (len(columns) - 1) <= max_width
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False,
                  show_edge=False, title_style="bold", padding=(0, 0, 0, int(spacious)))
    for column, is_number, size in zip(columns, numeric, widths):
        table.add_column(label(column), justify="right" if is_number else "left",
                         overflow="fold", width=size)
    for values in frame[columns].itertuples(index=False):
        table.add_row(*(cell(v) for v in values))
    return _print(table, notes, max_width)


def _widths(frame: pd.DataFrame, columns: Sequence[str], numeric: Sequence[bool],
            max_width: int) -> list[int]:
    """Column widths within ``max_width``: each as wide as its longest cell or header word;
    text columns give way first (down to 8), then every column."""
    widths = []
    for column, is_number in zip(columns, numeric):
        longest = max([cell_len(cell(v)) for v in frame[column]] + [1])
        word = max(_unbreakable(w) for w in label(column).split())
        widths.append(max(word, min(longest, 12 if is_number else 24)))
    room = max_width - (len(columns) - 1)  # one space between columns
    for floor, which in ((8, [i for i, n in enumerate(numeric) if not n]),
                         (3, list(range(len(columns))))):
        while sum(widths) > room and any(widths[i] > floor for i in which):
            widest = max(which, key=lambda i: widths[i])
            widths[widest] -= 1
    return widths


def render_transposed(frame: pd.DataFrame, *, key: str, rows: Sequence[str] | None = None,
                      title: str | None = None, notes: Iterable[str] = (),
                      max_width: int | None = None, per_block: int = 5) -> str:
    """One column per record (named by ``key``), one row per field: for a few wide records
    such as scenarios. More than ``per_block`` records are shown in blocks."""
    from rich import box
    from rich.table import Table

    max_width = max_width or width()
    fields = [c for c in (rows or list(frame.columns)) if c in frame.columns and c != key]
    blocks = []
    for start in range(0, max(len(frame), 1), per_block):
        part = frame.iloc[start:start + per_block]
        table = Table(box=box.SIMPLE_HEAD, title=title if start == 0 else None,
                      title_justify="left", pad_edge=False, show_edge=False,
                      title_style="bold")
        table.add_column("", no_wrap=True, min_width=max([cell_len(label(f)) for f in fields] + [8]))
        for name in part[key]:
            table.add_column(cell(name), justify="right", overflow="fold")
        for field in fields:
            table.add_row(label(field), *(cell(v) for v in part[field]))
        blocks.append(table)
    notes = list(notes)
    text = "\n".join(_print(t, (), max_width) for t in blocks)
    return text + ("\n" + _print(None, notes, max_width) if notes else "")


def _print(table, notes: Iterable[str], max_width: int) -> str:
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(file=out, width=max_width, color_system=None, force_terminal=False,
                      highlight=False, emoji=False, markup=False, soft_wrap=False)
    if table is not None:
        console.print(table)
    for note in notes:
        console.print(Text(note))
    return "\n".join(line.rstrip() for line in out.getvalue().rstrip("\n").splitlines())
