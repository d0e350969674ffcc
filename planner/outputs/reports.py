"""Writing outputs: maps, JSON reports, GeoJSON/CSV tables and texts, as one atomic set.

CSV tables go through :func:`planner.outputs._escape.csv_text`, so text cells that a
spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import _io
from planner.analysis.coverage import CoverageResult
from planner.outputs._escape import csv_text, markdown_table

__all__ = ["save_map", "write_coverage_outputs", "write_bundle", "csv_text", "markdown_table",
           "frame_csv"]


def save_map(fmap, path: str | Path) -> Path:
    """Write a folium map to ``path`` atomically."""
    return _io.write_text(Path(path), fmap.get_root().render())


def write_coverage_outputs(
    results: Sequence[CoverageResult], fmap, *, map_path: Path, report_path: Path,
    extra: Mapping[str, object] | None = None, writers: Mapping[Path, object] | None = None,
) -> list[Path]:
    """Write the map and the JSON report (and ``writers``' files) together: all or none."""
    report = {**(dict(extra) if extra else {}), "results": [r.to_dict() for r in results]}
    return write_bundle(fmap=fmap, map_path=map_path, report=report, report_path=report_path,
                        extra_writers=writers)


def frame_csv(frame: gpd.GeoDataFrame) -> str:
    """A point layer as CSV text: its columns, then ``lon`` and ``lat``; formulas neutralised."""
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    table.insert(len(table.columns), "lon", frame.geometry.x.round(6))
    table.insert(len(table.columns), "lat", frame.geometry.y.round(6))
    return csv_text(table)


def write_bundle(
    *,
    fmap=None,
    map_path: Path | None = None,
    report: Mapping | None = None,
    report_path: Path | None = None,
    frames: Mapping[Path, gpd.GeoDataFrame] | None = None,
    texts: Mapping[Path, str] | None = None,
    extra_writers: Mapping[Path, object] | None = None,
) -> list[Path]:
    """Write a map, a JSON report, GeoJSON/CSV tables and texts: all replaced, or none.

    Everything is rendered in memory first, so a failure leaves earlier outputs untouched.
    """
    writers: dict[Path, object] = {}
    if fmap is not None and map_path is not None:
        page = fmap.get_root().render()
        writers[Path(map_path)] = lambda p, page=page: p.write_text(page, encoding="utf-8")
    if report is not None and report_path is not None:
        text = json.dumps({**report, "attribution": "Map data © OpenStreetMap contributors, ODbL"},
                          ensure_ascii=False, indent=2, allow_nan=False, default=_json_default)
        writers[Path(report_path)] = lambda p, text=text: p.write_text(text, encoding="utf-8")
    for path, frame in (frames or {}).items():
        path = Path(path)
        if path.suffix.lower() == ".csv":
            text = frame_csv(frame)
        else:
            text = frame.to_json(ensure_ascii=False, drop_id=True)
        writers[path] = lambda p, text=text: p.write_text(text, encoding="utf-8")
    for path, text in (texts or {}).items():
        writers[Path(path)] = lambda p, text=text: p.write_text(text, encoding="utf-8")
    writers.update({Path(path): write for path, write in (extra_writers or {}).items()})
    return _io.write_all(writers)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
