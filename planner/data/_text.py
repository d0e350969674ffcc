"""Text of input files: numbers from text columns, the nesting depth of JSON text.

Internal to :mod:`planner.data._read`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def numbers(column: pd.Series) -> np.ndarray:
    """Floats from a column of text or numbers (spaces trimmed; NaN where not a number)."""
    if column.dtype.kind in "iuf":
        return column.to_numpy(dtype=float)
    try:  # Arrow parses text columns in one vectorised pass; it refuses what pandas coerces
        import pyarrow as pa
        import pyarrow.compute as pc

        text = pc.utf8_trim_whitespace(pa.array(column, type=pa.string()))
        return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    except Exception:
        return pd.to_numeric(column.astype(str).str.strip(), errors="coerce").to_numpy(
            dtype=float)


def _bracket_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` outside JSON strings (no recursion, linear time)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
