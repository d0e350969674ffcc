"""Coverage exports: GeoPackage, GeoParquet, Excel, CSV (atomic, formula-safe, any datum)."""

import csv
import io

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from planner import _io
from planner.analysis import coverage
from planner.data import coords
from planner.errors import InputError
from planner.outputs import exports
from planner.settings import Travel

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "@SUM(A1)"]


@pytest.fixture(scope="module")
def result(sample_network, sample_stations, sample_demand):
    stations = sample_stations.copy()
    stations["name"] = (HOSTILE * len(stations))[:len(stations)]
    demand = sample_demand.copy()
    demand.loc[0, "name"] = "-2+3"
    demand.loc[1, "name"] = "\tcmd"
    return coverage.analyze(sample_network, stations, demand, travel=Travel("walk"),
                            minutes=(10, 15))


def _write(result, tmp_path, formats, **kw):
    writers = exports.coverage_writers([result], formats, base=tmp_path / "out", **kw)
    return _io.write_all(writers)


def test_all_formats_round_trip(result, tmp_path):
    written = _write(result, tmp_path, ("gpkg", "parquet", "xlsx", "csv"))
    names = sorted(p.name for p in written)
    assert names == sorted(["out.gpkg", "out.xlsx"] + [
        f"out-walk-{n}.parquet" for n in ("stations", "places", "isochrones", "gaps")] + [
        f"out-walk-{n}.csv" for n in ("stations", "places", "gaps")])
    assert not list(tmp_path.glob(".*"))  # no staging leftovers
    layers = dict(pyogrio.list_layers(tmp_path / "out.gpkg"))
    assert set(layers) == {"walk_stations", "walk_places", "walk_isochrones", "walk_gaps"}
    places = gpd.read_file(tmp_path / "out.gpkg", layer="walk_places")
    assert len(places) == len(result.demand)
    assert (places["covered_15"].astype(bool).to_numpy()
            == result.demand["covered_15"].to_numpy()).all()
    stations = gpd.read_file(tmp_path / "out.gpkg", layer="walk_stations")
    assert np.allclose(stations["served_weight"], result.stations["served_weight"])
    parquet = gpd.read_parquet(tmp_path / "out-walk-places.parquet")
    assert parquet.crs.to_epsg() == 4326
    assert np.array_equal(parquet["minutes_to_nearest"].to_numpy(),
                          result.demand["minutes_to_nearest"].to_numpy())
    iso = gpd.read_parquet(tmp_path / "out-walk-isochrones.parquet")
    assert iso.geometry.geom_equals_exact(result.isochrones.geometry, 1e-9).all()


def test_csv_and_excel_neutralise_formulas(result, tmp_path):
    from openpyxl import load_workbook

    _write(result, tmp_path, ("csv", "xlsx"))
    text = (tmp_path / "out-walk-stations.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["'" + n for n in (HOSTILE * 5)[:len(rows)]]
    places = list(csv.DictReader(io.StringIO(
        (tmp_path / "out-walk-places.csv").read_text(encoding="utf-8-sig"))))
    assert places[0]["name"] == "'-2+3" and places[1]["name"] == "'\tcmd"
    assert float(places[2]["lon"]) > 116  # numbers are left alone
    book = load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["Summary", "Stations walk", "Places walk", "Gaps walk"]
    sheet = book["Stations walk"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["ID", "Name", "On the street network"]
    for row in sheet.iter_rows(min_row=2):
        assert row[1].data_type == "s" and row[1].value in HOSTILE
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows(min_row=2)}
    assert summary["Covered within 15 min (share of weight)"] == pytest.approx(
        result.covered_share(15), abs=1e-4)
    assert summary["Coordinates"].startswith("WGS-84")


def test_output_crs_gcj02(result, tmp_path):
    _write(result, tmp_path, ("csv", "gpkg"), output_crs="gcj02")
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "out-walk-stations.csv").read_text(encoding="utf-8-sig"))))
    gx, gy = coords.wgs84_to_gcj02(result.stations.geometry.x, result.stations.geometry.y)
    assert np.allclose([float(r["lon"]) for r in rows], gx, atol=2e-6)
    assert np.allclose([float(r["lat"]) for r in rows], gy, atol=2e-6)
    back = coords.to_wgs84(gpd.read_file(tmp_path / "out.gpkg", layer="walk_stations"), "gcj02")
    assert np.allclose(back.geometry.x, result.stations.geometry.x, atol=1e-8)


def test_exports_are_all_or_nothing(result, tmp_path):
    writers = exports.coverage_writers([result], ("csv", "xlsx", "gpkg"), base=tmp_path / "out")

    def broken(path):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _io.write_all({**writers, tmp_path / "out.html": broken})  # e.g. the map fails last
    assert list(tmp_path.iterdir()) == []


def test_parse_formats():
    assert exports.parse_formats(["xlsx,csv", "GPKG", "csv"]) == ("xlsx", "csv", "gpkg")
    assert exports.parse_formats(["geoparquet"]) == ("parquet",)
    with pytest.raises(InputError, match="gpkg, parquet"):
        exports.parse_formats(["shp"])


def test_neutralize():
    assert [exports.neutralize(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "ok", 5)] \
        == ["'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "ok", 5]
