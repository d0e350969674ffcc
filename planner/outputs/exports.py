"""Coverage results as files GIS users and officials open: GeoPackage, GeoParquet, Excel, CSV.

:func:`coverage_writers` returns ``{target path: writer}`` for :func:`planner._io.write_all`, so
the exports are staged and moved in together with the map and the report. Text cells in CSV
and Excel files are neutralised against spreadsheet formula injection.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.i18n import N_, _, current, language, travel_label

__all__ = ["FORMATS", "COLUMN_LABELS", "parse_formats", "coverage_writers", "neutralize",
           "layer_tables"]

FORMATS = ("gpkg", "parquet", "xlsx", "csv")

#: Human column names for the Excel workbook.
COLUMN_LABELS = {
    "id": N_("ID"), "name": N_("Name"), "kind": N_("Kind"), "weight": N_("Demand weight"),
    "on_network": N_("On the street network"), "access_m": N_("Walk to street (m)"),
    "minutes_to_nearest": N_("Minutes to nearest station"),
    "nearest_station": N_("Nearest station"), "stations_within": N_("Stations within reach"),
    "served_weight": N_("Demand weight served"), "served_places": N_("Places served"),
    "reach_weight": N_("Demand weight in reach"), "gap_id": N_("Gap"), "places": N_("Places"),
    "worst_minutes": N_("Worst minutes"), "anchor_name": N_("Around"),
    "anchor_lon": N_("Around: longitude"), "anchor_lat": N_("Around: latitude"),
    "lon": N_("Longitude"), "lat": N_("Latitude"), "station_id": N_("Station"),
    "minutes": N_("Minutes"), "area_km2": N_("Area (km²)"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_formats(values: Iterable[str]) -> tuple[str, ...]:
    """Export formats from ``--export`` values (repeatable, comma separated), in order."""
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            name = part.strip().lower().lstrip(".")
            name = {"geopackage": "gpkg", "geoparquet": "parquet", "excel": "xlsx"}.get(name, name)
            if not name:
                continue
            if name not in FORMATS:
                raise InputError(f"--export {part.strip()!r}: use gpkg, parquet, xlsx or csv")
            if name not in out:
                out.append(name)
    return tuple(out)


def neutralize(value):
    """A text cell made safe for spreadsheets: a leading ``'`` when it starts like a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def layer_tables(result, *, output_crs: str | None = None) -> dict[str, gpd.GeoDataFrame]:
    """``stations``, ``places``, ``isochrones`` and ``gaps`` of one coverage result (copies),
    in WGS-84 or in ``output_crs`` (``"gcj02"``/``"bd09"``) for pasting into Amap/Baidu."""
    from planner.data import coords

    tables = {"stations": result.stations, "places": result.demand,
              "isochrones": result.isochrones, "gaps": result.gaps}
    out = {}
    for name, frame in tables.items():
        frame = frame.copy() if frame.crs is not None else frame.set_crs("EPSG:4326")
        if output_crs:
            frame = coords.from_wgs84(frame, output_crs)
            if name == "gaps" and len(frame):
                lon, lat = coords.transform(frame["anchor_lon"], frame["anchor_lat"],
                                            source="wgs84", target=output_crs)
                frame["anchor_lon"], frame["anchor_lat"] = lon.round(6), lat.round(6)
        if name in ("stations", "places"):
            frame["lon"] = frame.geometry.x.round(6)
            frame["lat"] = frame.geometry.y.round(6)
        out[name] = frame
    return out


def coverage_writers(results: Sequence, formats: Sequence[str], *, base: Path,
                     output_crs: str | None = None,
                     lang: str | None = None) -> dict[Path, Callable[[Path], None]]:
    """Writers for the coverage exports next to ``base`` (a path without suffix).

    gpkg: ``<base>.gpkg`` with layers ``<mode>_stations|places|isochrones|gaps``;
    parquet: ``<base>-<mode>-<layer>.parquet`` (GeoParquet); xlsx: ``<base>.xlsx`` (summary,
    per-station, per-place and gap sheets); csv: ``<base>-<mode>-stations|places|gaps.csv``.
    The workbook's sheet and column names are in ``lang`` (default: the one in effect).
    """
    base = Path(base)
    lang = lang or current()
    tables = {_key(r, results): layer_tables(r, output_crs=output_crs) for r in results}
    writers: dict[Path, Callable[[Path], None]] = {}
    for fmt in formats:
        if fmt == "gpkg":
            writers[base.with_name(base.name + ".gpkg")] = lambda p: _write_gpkg(p, tables)
        elif fmt == "xlsx":
            writers[base.with_name(base.name + ".xlsx")] = (
                lambda p: _in_lang(lang, _write_xlsx, p, results, tables, output_crs))
        elif fmt == "parquet":
            for key, layers in tables.items():
                for name, frame in layers.items():
                    target = base.with_name(f"{base.name}-{key}-{name}.parquet")
                    writers[target] = lambda p, f=frame: f.to_parquet(p, index=False)
        elif fmt == "csv":
            for key, layers in tables.items():
                for name in ("stations", "places", "gaps"):
                    text = _csv_text(layers[name])
                    target = base.with_name(f"{base.name}-{key}-{name}.csv")
                    writers[target] = lambda p, t=text: p.write_text(t, encoding="utf-8-sig")
        else:
            raise InputError(f"unknown export format {fmt!r}; use {', '.join(FORMATS)}")
    return writers


def _in_lang(lang: str, func, *args):
    with language(lang):
        return func(*args)


def _key(result, results: Sequence) -> str:
    """A file-name part per result: the mode, plus the speed when a mode repeats."""
    mode = re.sub(r"[^a-z0-9]+", "-", str(result.travel.mode).lower()).strip("-") or "mode"
    if sum(r.travel.mode == result.travel.mode for r in results) > 1:
        mode += f"-{result.travel.speed_kmh:g}kmh".replace(".", "_")
    return mode


def _plain(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for column in table.columns:
        if table[column].dtype.kind == "f":
            values = table[column].to_numpy(dtype=float)
            table[column] = pd.Series(np.where(np.isfinite(values), values, np.nan),
                                      index=table.index)
    return table


def _csv_text(frame: gpd.GeoDataFrame) -> str:
    table = _plain(frame)
    for column in table.columns:
        if not (pd.api.types.is_numeric_dtype(table[column])
                or pd.api.types.is_bool_dtype(table[column])):
            table[column] = table[column].map(neutralize)
    table.columns = [neutralize(str(c)) for c in table.columns]
    return table.to_csv(index=False)


def _write_gpkg(path: Path, tables: dict[str, dict[str, gpd.GeoDataFrame]]) -> None:
    path.unlink(missing_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the staged name does not end .gpkg
        first = True
        for key, layers in tables.items():
            for name, frame in layers.items():
                frame = frame.copy()
                for column in frame.columns:
                    if frame[column].dtype == bool:
                        frame[column] = frame[column].astype("int8")
                frame.to_file(path, driver="GPKG", layer=f"{key}_{name}",
                              mode="w" if first else "a")
                first = False


def _summary_rows(results: Sequence, output_crs: str | None) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [
        (_("Coordinates"), {"gcj02": _("GCJ-02 (Amap/Gaode, Tencent)"),
                            "bd09": _("BD-09 (Baidu)")}.get(output_crs or "", "WGS-84 (GPS)")),
        (_("Map data"), "© OpenStreetMap contributors, ODbL"),
    ]
    for result in results:
        s = result.summary()
        label = travel_label(result.travel)
        rows += [("", None), (_("Mode"), label), (_("Network"), s["network"]),
                 (_("Stations (on the network)"),
                  f"{s['stations']} ({s['stations_on_network']})"),
                 (_("Demand places"), s["demand_places"]),
                 (_("Demand weight"), s["demand_weight"])]
        for minutes, row in s["covered"].items():
            rows.append((_("Covered within {minutes} min (share of weight)").format(
                minutes=minutes), row["share"]))
        times = s["minutes_to_nearest"]
        rows += [(_("Median minutes to nearest station"), times["median"]),
                 (_("90th percentile minutes"), times["p90"]),
                 (_("Places that cannot reach a station"), times["unreachable_places"]),
                 (_("Gap areas beyond {minutes} min").format(
                     minutes=f"{result.threshold:g}"), s["gaps"]),
                 (_("Demand weight in gaps"), s["gap_weight"])]
    return rows


def _write_xlsx(path: Path, results: Sequence, tables, output_crs: str | None) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(_("Summary"))
    _fill(sheet, [_("Item"), _("Value")], _summary_rows(results, output_crs))
    for key, layers in tables.items():
        for name, title in (("stations", _("Stations")), ("places", _("Places")),
                            ("gaps", _("Gaps"))):
            table = _plain(layers[name])
            ws = book.create_sheet(_sheet_title(f"{title} {key}"))
            _fill(ws, [_label(c) for c in table.columns], table.itertuples(index=False))
            for index, column in enumerate(table.columns, start=1):
                width = max([len(_label(column))] + [len(str(v)) for v in table[column][:200]])
                ws.column_dimensions[get_column_letter(index)].width = min(40, width + 2)
    book.save(path)


def _label(column: str) -> str:
    column = str(column)
    if column.startswith("covered_"):
        return _("Covered within {minutes} min").format(minutes=column[len("covered_"):])
    return _(COLUMN_LABELS[column]) if column in COLUMN_LABELS else column


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31]


def _fill(ws, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    ws.append([_cell(h) for h in header])
    for row in rows:
        ws.append([_cell(v) for v in row])
    for cells in ws.iter_rows():
        for cell in cells:
            if cell.data_type == "f":  # text that openpyxl took for a formula stays text
                cell.data_type = "s"
    ws.freeze_panes = "A2"


def _cell(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    return str(value)
