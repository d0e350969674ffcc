"""Demand from OSM features, a population raster and order points (grid / H3)."""

import bz2
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from planner.data import demand_sources as ds
from planner.errors import InputError, LayerError

ROOT = Path(__file__).resolve().parents[2]
OSM = ROOT / "layers" / "wudaokou" / "network.osm.bz2"
FIXTURES = Path(__file__).parent / "fixtures"
RASTER = FIXTURES / "wuhan-huanan-pop.tif"
ORDERS = FIXTURES / "wudaokou-orders.csv"


def _expected_osm(role_rules):
    """Independent reading of the OSM XML: tagged nodes and closed ways -> best rule."""
    root = ET.fromstring(bz2.decompress(OSM.read_bytes()))
    expected = {}
    for element in root:
        if element.tag not in ("node", "way"):
            continue
        if element.tag == "way":
            refs = [nd.get("ref") for nd in element.findall("nd")]
            if len(refs) < 4 or refs[0] != refs[-1]:
                continue
        tags = {t.get("k"): t.get("v") for t in element.findall("tag")}
        best = 0.0
        for rules in role_rules:
            for key in ("amenity", "shop", "building", "office", "landuse"):
                if key in tags:
                    best = max(best, rules.get(f"{key}={tags[key]}", 0.0),
                               rules.get(f"{key}=*", 0.0))
        if best > 0:
            expected[f"{element.tag[0]}{element.get('id')}"] = best
    return expected


@pytest.mark.parametrize("role", ["pickup", "dropoff", "all"])
def test_osm_demand_matches_an_independent_xml_reading(role):
    frame = ds.osm_demand(OSM, role=role)
    rules = [ds.DEFAULT_WEIGHTS[r] for r in (ds.ROLES if role == "all" else (role,))]
    expected = _expected_osm(rules)
    ways_and_nodes = frame[frame["id"].str[0].isin(["n", "w"])]
    assert dict(zip(ways_and_nodes["id"], ways_and_nodes["weight"])) == expected
    assert frame.crs.to_epsg() == 4326 and frame["id"].is_unique
    box = shapely.box(116.29, 39.98, 116.34, 40.02)
    assert shapely.contains(box, frame.geometry.to_numpy()).all()
    if role == "pickup":
        assert (frame["role"] == "pickup").all()
        assert (frame["kind"] == "amenity=restaurant").sum() == 32  # 32 restaurants in the file


def test_osm_weights_from_toml(tmp_path):
    toml = tmp_path / "w.toml"
    toml.write_text('[pickup]\n"amenity=restaurant" = 10\n"amenity=cafe" = 0\n', encoding="utf-8")
    frame = ds.osm_demand(OSM, role="pickup", weights=ds.load_weights(toml))
    assert set(frame.loc[frame["kind"] == "amenity=restaurant", "weight"]) == {10.0}
    assert not (frame["kind"] == "amenity=cafe").any()
    for text, match in [('[lunch]\n"a=b" = 1\n', "pickup"), ('[pickup]\n"amenity" = 1\n',
                        "key=value"), ('[pickup]\n"a=b" = -1\n', "0 "),
                        ('[pickup]\n"a=b" = true\n', "number"), ("[pickup\n", "TOML")]:
        toml.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=match):
            ds.load_weights(toml)


def test_osm_demand_on_roads_only_file_says_what_to_do():
    roads = Path("/work/shared/data/osm/china/beijing-wudaokou.roads.osm.bz2")
    if not roads.is_file():
        pytest.skip("shared roads-only extract not present")
    with pytest.raises(LayerError, match="roads-only"):
        ds.osm_demand(roads, role="pickup")


def _cells(path):
    import rasterio

    with rasterio.open(path) as src:
        values = src.read(1, masked=True).filled(0).astype(float)
        rows, cols = np.nonzero(values > 0)
        xs, ys = rasterio.transform.xy(src.transform, rows, cols, offset="center")
    return np.asarray(xs), np.asarray(ys), values[rows, cols]


def test_real_raster_cells_clipped_to_area():
    xs, ys, values = _cells(RASTER)
    area = shapely.Polygon([(114.25, 30.61), (114.266, 30.612), (114.262, 30.628)])
    frame = ds.raster_demand(RASTER, area=area)
    inside = shapely.contains_xy(area, xs, ys)
    assert len(frame) == inside.sum() > 50
    assert frame["weight"].sum() == pytest.approx(values[inside].sum())
    assert shapely.contains(area, frame.geometry.to_numpy()).all()
    assert (frame["weight"] > 0).all()  # nodata (-3.4e38) and empty cells dropped


def test_raster_resampling_keeps_the_total():
    _, _, values = _cells(RASTER)
    fine = ds.raster_demand(RASTER)
    coarse = ds.raster_demand(RASTER, factor=3)
    assert fine["weight"].sum() == pytest.approx(values.sum())
    assert coarse["weight"].sum() == pytest.approx(values.sum())
    assert len(coarse) < len(fine) / 5


def test_raster_errors(tmp_path):
    with pytest.raises(LayerError, match="does not cover"):
        ds.raster_demand(RASTER, area=shapely.box(116.3, 39.99, 116.33, 40.0))
    with pytest.raises(LayerError, match="does not exist"):
        ds.raster_demand(tmp_path / "nope.tif")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(LayerError, match="cannot read"):
        ds.raster_demand(bad)
    with pytest.raises(InputError, match="factor"):
        ds.raster_demand(RASTER, factor=0)


def _orders():
    from planner.data import layers

    return layers.read_demand(ORDERS)


def test_grid_aggregation_counts_match_brute_force():
    orders = _orders()
    cells = ds.aggregate(orders, "grid:250", crs="EPSG:32650")
    assert cells["weight"].sum() == len(orders) == 3000
    assert (cells["weight"] == cells["points"]).all()
    x, y = pyproj.Transformer.from_crs(4326, 32650, always_xy=True).transform(
        orders.geometry.x.to_numpy(), orders.geometry.y.to_numpy())
    counts = {}
    for i, j in zip(np.floor(np.asarray(x) / 250).astype(int),
                    np.floor(np.asarray(y) / 250).astype(int)):
        counts[f"grid250_{i}_{j}"] = counts.get(f"grid250_{i}_{j}", 0) + 1
    assert dict(zip(cells["id"], cells["weight"].astype(int))) == counts


def test_h3_aggregation_cells_contain_their_points():
    import h3

    orders = _orders()
    cells = ds.aggregate(orders, "h3:9")
    assert cells["weight"].sum() == 3000 and cells["id"].is_unique
    polygons = {cid: shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(cid[3:])])
                for cid in cells["id"]}
    assigned = ds.aggregate(orders.iloc[:200], "h3:9")
    for cid, count in zip(assigned["id"], assigned["weight"]):
        inside = shapely.contains_xy(polygons[cid], orders.geometry.x[:200], orders.geometry.y[:200])
        assert inside.sum() == count
    with pytest.raises(InputError, match="h3:RES"):
        ds.aggregate(orders, "h3:16")
    with pytest.raises(InputError, match="grid:SIZE_M"):
        ds.aggregate(orders, "hex:9")


def test_raster_demand_on_the_sample_network(tmp_path, sample_network):
    """A synthetic GeoTIFF over Wudaokou (no real raster of it is available offline)."""
    import rasterio
    from rasterio.transform import from_origin

    values = np.arange(1, 31 * 31 + 1, dtype="float32").reshape(31, 31)
    values[0, 0] = -1  # nodata
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", height=31, width=31, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(116.29, 40.02, 0.0025, 0.0025),
                       nodata=-1) as dst:
        dst.write(values, 1)
    demand = ds.resolve_demand(path, sample_network)
    area = ds.network_area(sample_network)
    xs, ys, cell_values = _cells(path)
    inside = shapely.contains_xy(area, xs, ys)
    assert len(demand) == inside.sum() < 31 * 31
    assert demand["weight"].sum() == pytest.approx(cell_values[inside].sum())
    assert {"id", "name", "weight", "kind"} <= set(demand.columns)
