"""Escaping text for where it lands: HTML, JavaScript in ``<script>``, Markdown cells, CSV.

Every string from a file, OpenStreetMap or the user is data. The outputs put it on a page
only through these helpers, one per context, so a name such as ``</script>``, ``${x}``, a
backtick or ``=HYPERLINK(...)`` is shown as written and never runs.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

import pandas as pd

__all__ = ["html_text", "js_value", "markdown_cell", "markdown_table", "csv_cell",
           "csv_safe", "csv_text", "FORMULA_START"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_JS_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
              "\u2028": "\\u2028", "\u2029": "\\u2029"}
_MARKDOWN_SPECIAL = "\\`*_[]|~"


def html_text(value: object) -> str:
    """``value`` as HTML text or a double- or single-quoted attribute value."""
    return html.escape(str(value), quote=True)


def js_value(value: object) -> str:
    """``value`` as a JavaScript expression safe inside an HTML ``<script>`` element.

    JSON (a JS literal) with ``<``, ``>``, ``&`` and the line separators U+2028/U+2029
    escaped, so neither ``</script>`` nor ``<!--`` can end or change the script element.
    Non-ASCII text (Chinese, emoji) stays readable. NaN and infinity are refused.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    for char, escaped in _JS_UNSAFE.items():
        text = text.replace(char, escaped)
    return text


def markdown_cell(value: object) -> str:
    """Text for one cell of a GitHub-flavoured Markdown table, shown as written.

    HTML special characters become entities (a viewer never runs them), Markdown punctuation
    that could format or end the cell is backslash-escaped, line breaks become ``<br>`` and
    the Unicode line separators entities.
    """
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return "n/a"  # not comparable: the reason is in the table's not_compared column
    if isinstance(value, float):
        return f"{value:g}"
    text = html.escape(str(value), quote=False)
    text = "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)
    text = text.replace("\u2028", "&#8232;").replace("\u2029", "&#8233;")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def markdown_table(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``table``, every header and cell escaped."""
    def line(cells: Iterable[object]) -> str:
        return "| " + " | ".join(markdown_cell(c) for c in cells) + " |"

    header = line(table.columns)
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = [line(row) for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def csv_cell(value: object) -> object:
    """A text cell with a leading ``'`` if a spreadsheet would read it as a formula.

    Only strings change: numbers (negative ones too) stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with formula-like text neutralised in text columns and headers."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype.kind in "OSU" or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(csv_cell)
    out.columns = [csv_cell(c) for c in out.columns]
    return out


def csv_text(table: pd.DataFrame) -> str:
    """``table`` as CSV text (no index), safe to open in a spreadsheet.

    Lines end in CRLF (RFC 4180), so a cell holding a lone CR or LF is quoted and stays
    one cell.
    """
    return csv_safe(table).to_csv(index=False, lineterminator="\r\n")
