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
import shapely

from planner import _io
from planner.analysis.coverage import CoverageResult
from planner.outputs._escape import csv_text, markdown_table

#: Above this many places the per-place table is GeoParquet, not CSV (faster, smaller).
PARQUET_ABOVE = 100_000

__all__ = ["save_map", "write_coverage_outputs", "write_bundle", "csv_text", "markdown_table",
           "frame_csv"]


def save_map(fmap, path: str | Path) -> Path:
    """Write a folium map to ``path`` atomically."""
    return _io.write_text(Path(path), fmap.get_root().render())


def write_coverage_outputs(
    results: Sequence[CoverageResult], fmap, *, map_path: Path, report_path: Path,
    extra: Mapping[str, object] | None = None, writers: Mapping[Path, object] | None = None,
) -> list[Path]:
    """Write the map, the JSON report and one per-place table per result beside the report
    (``<report>.<mode>.places.csv``, or ``.parquet`` (GeoParquet) above
    :data:`PARQUET_ABOVE` places; WGS-84 like the report, which names it under
    ``places_file``; gap rows leave out their place ids: the table has each place's
    ``gap_id``), with
    ``writers``' files: all or none. The JSON keeps the summaries and the per-station and
    per-gap rows, so it stays small whatever the number of places."""
    report_path = Path(report_path)
    base = report_path.with_suffix("")
    entries, place_writers = [], {}
    for result in results:
        big = len(result.demand) > PARQUET_ABOVE
        target = base.with_name(f"{base.name}.{_result_key(result, results)}.places."
                                + ("parquet" if big else "csv"))
        place_writers[target] = (lambda p, r=result: _write_places_parquet(p, r)) if big \
            else (lambda p, r=result: _write_places_csv(p, r))
        entries.append({**result.to_dict(places=False), "places_file": target.name})
    report = {**(dict(extra) if extra else {}), "results": entries}
    return write_bundle(fmap=fmap, map_path=map_path, report=report, report_path=report_path,
                        extra_writers={**place_writers, **(writers or {})})


def _result_key(result: CoverageResult, results: Sequence[CoverageResult]) -> str:
    from planner.outputs.exports import _key

    return _key(result, results)


def places_table(result: CoverageResult) -> pd.DataFrame:
    """The per-place rows of a coverage result as a plain table with ``gap_id`` (the gap
    area the place is in, "" if none) and ``lon``/``lat``, from its arrays."""
    demand = result.demand
    table = pd.DataFrame({c: demand[c].to_numpy() for c in demand.columns
                          if c != demand.geometry.name})
    gap_of = np.full(len(table), "", dtype=object)
    if len(result.gaps) and "place_ids" in result.gaps:
        members = [str(ids).split(",") if ids else [] for ids in result.gaps["place_ids"]]
        owner = np.repeat(result.gaps["gap_id"].to_numpy(dtype=object),
                          [len(m) for m in members])
        found = pd.Index(table["id"].astype(str)).get_indexer(
            [i for m in members for i in m])  # one look-up for every gap's places
        gap_of[found[found >= 0]] = owner[found >= 0]
    table["gap_id"] = gap_of
    xy = shapely.get_coordinates(demand.geometry.to_numpy())
    if xy.shape[0] == len(table):
        table["lon"], table["lat"] = np.round(xy[:, 0], 6), np.round(xy[:, 1], 6)
    return table


def _write_places_csv(path: Path, result: CoverageResult) -> None:
    """Per-place CSV; text cells a spreadsheet would run as formulas are neutralised
    (vectorised: the same rule as :func:`planner.outputs._escape.csv_cell`)."""
    from planner.outputs._escape import FORMULA_START

    table = places_table(result)
    for column in table.columns:
        values = table[column]
        if values.dtype.kind == "O":
            text = values.map(type).to_numpy() == str
            risky = np.zeros(len(values), dtype=bool)
            risky[text] = values[text].str.startswith(FORMULA_START).to_numpy(dtype=bool)
            if risky.any():
                table[column] = values.where(~risky, "'" + values.where(risky, ""))
    table.to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")


def _write_places_parquet(path: Path, result: CoverageResult) -> None:
    """Per-place GeoParquet (point geometry in WGS-84 plus the same columns as the CSV)."""
    table = places_table(result)
    frame = gpd.GeoDataFrame(table, geometry=result.demand.geometry.to_numpy(),
                             crs="EPSG:4326")
    frame.to_parquet(path, index=False)


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
