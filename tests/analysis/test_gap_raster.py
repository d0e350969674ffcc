"""Gap areas of large layers (raster drawing) keep the rules of the exact drawing and agree
with it to the raster's resolution.

Tolerance: a raster cell belongs to a gap when its centre's nearest place (exact, by a
KD-tree at every edge) is one of the gap's and within link_m / 2, so a point can be put on
the wrong side only inside a cell that the exact outline crosses, a cell holding a reached
place (never a gap's: the reached place is in it and the exact outline passes between it
and the gap place), or a gap place's small square beside a reached one: all within a
cell's diagonal (cell = link_m / 16) of the exact outline, plus the exact drawing's own
error (its discs are 32-gons: 1 m at 200 m).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.analysis import _gap_areas, coverage

from test_gap_areas import _check

CRS = "EPSG:32650"


def _demand(rng, n, *, scale=3000.0, clustered=False):
    xy = rng.uniform(0, scale, size=(n, 2))
    if clustered:  # streets of places: pairs of close reached and unreached places
        xy = np.repeat(xy[: n // 4], 4, axis=0) + rng.normal(0, 15, size=(n // 4 * 4, 2))
        n = len(xy)
    xy += (440_000.0, 4_428_000.0)
    minutes = np.where(rng.random(n) < 0.5, 30.0, 5.0)
    frame = gpd.GeoDataFrame(
        {"id": [f"d{i}" for i in range(n)], "name": [f"p{i}" for i in range(n)],
         "weight": rng.integers(1, 5, n).astype(float), "minutes_to_nearest": minutes},
        geometry=shapely.points(xy), crs=CRS).to_crs("EPSG:4326")
    return frame, minutes


@pytest.mark.parametrize("clustered", [False, True])
def test_raster_gaps_keep_the_rules_and_agree_with_the_exact_drawing(monkeypatch, clustered):
    rng = np.random.default_rng(11)
    for trial in range(4):
        demand, minutes = _demand(rng, int(rng.integers(50, 1500)), clustered=clustered)
        if trial == 1:  # places on the very same spot, reached and not
            demand.loc[1, "geometry"] = demand.geometry.iloc[0]
        exact = coverage.find_gaps(demand, CRS, threshold=15.0)
        monkeypatch.setattr(_gap_areas, "EXACT_PLACES", 0)
        raster = coverage.find_gaps(demand, CRS, threshold=15.0)
        monkeypatch.undo()
        _check(demand, raster, 15.0)
        columns = ["gap_id", "places", "weight", "worst_minutes", "anchor_name", "anchor_lon",
                   "anchor_lat", "place_ids"]
        assert raster[columns].equals(exact[columns])
        # every point where the drawings disagree lies near the exact outline
        cell = coverage.GAP_LINK_M / 16
        a = shapely.union_all(raster.to_crs(CRS).geometry.to_numpy())
        b = shapely.make_valid(shapely.union_all(exact.to_crs(CRS).geometry.to_numpy()))
        x0, y0, x1, y1 = b.bounds
        probe = rng.uniform((x0, y0), (x1, y1), size=(20_000, 2))
        differ = shapely.contains_xy(a, *probe.T) != shapely.contains_xy(b, *probe.T)
        near = shapely.distance(b.boundary, shapely.points(probe[differ]))
        assert (near <= cell * 2 ** 0.5 + 1.0).all(), near.max()


def test_raster_gaps_of_one_place_and_of_none_reached(monkeypatch):
    monkeypatch.setattr(_gap_areas, "EXACT_PLACES", 0)
    rng = np.random.default_rng(3)
    demand, _ = _demand(rng, 40)
    demand["minutes_to_nearest"] = 60.0
    gaps = coverage.find_gaps(demand, CRS, threshold=15.0)
    assert gaps["places"].sum() == 40
    _check(demand, gaps, 15.0)
    one = demand.iloc[:1]
    gaps = coverage.find_gaps(one, CRS, threshold=15.0)
    assert len(gaps) == 1 and gaps.to_crs(CRS).area.iloc[0] > 0.9 * np.pi * 200 ** 2
