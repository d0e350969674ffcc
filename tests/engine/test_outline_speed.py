"""The fast isochrone paths give the same answers: disc filter, per-chunk outlines, cache."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from planner.engine import _isocache, _raster, isochrones, traveltime
from planner.settings import Travel

from conftest import grid_network


@settings(max_examples=40, deadline=None)
@given(radius=st.floats(0.5, 7.0), seed=st.integers(0, 1000))
def test_disc_minimum_equals_the_footprint_filter(radius, seed):
    rng = np.random.default_rng(seed)
    grid = np.where(rng.random((40, 50)) < 0.1, rng.random((40, 50)) * 900, _raster._FAR)
    grid = grid.astype(np.float32)
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    # the disc of cells dx**2 + dy**2 <= r**2, with the implementation's 1e-9 tolerance so a
    # radius a rounding error below a whole number keeps the cells at that distance
    disc = ((np.abs(yy) <= np.floor(radius + 1e-9))
            & (np.abs(xx) <= np.floor(np.sqrt(np.maximum(radius ** 2 - yy ** 2, 0.0)) + 1e-9)))
    expected = ndimage.minimum_filter(grid, footprint=disc, mode="constant", cval=_raster._FAR)
    assert np.array_equal(_raster.disc_minimum(grid, radius), expected)


def _graph(rows=12, cols=12):
    net = grid_network(rows, cols, spacing=150)
    return traveltime.build(net.graph(Travel("walk")), {})


def test_auto_takes_raster_for_large_areas_and_vector_for_a_few_pieces():
    graph = _graph()
    a, b, *_ , x, y = isochrones._pieces(graph)
    many = np.arange(a.size)
    assert isochrones.choose_method(x[a[many]], y[a[many]], x[b[many]], y[b[many]], 40, 10,
                                    3) == "raster"
    few = many[:2]
    assert isochrones.choose_method(x[a[few]], y[a[few]], x[b[few]], y[b[few]], 40, 10,
                                    1) == "vector"


def test_station_outlines_match_one_search_per_station(monkeypatch):
    monkeypatch.setattr(traveltime, "SUBGRAPH_MIN_NODES", 1)  # local subgraphs per chunk
    graph = _graph()
    sources = np.array([0, 77, 143, -1, 60])
    told = []
    frame = isochrones.station_isochrones(graph, sources, list("abcde"), [3, 6],
                                          progress=told.append)
    assert sum(told) == 4 and frame["station_id"].unique().tolist() == list("abce")
    for position, sid in ((0, "a"), (2, "c"), (4, "e")):
        seconds, _ = traveltime.time_to_nearest(graph, sources[position:position + 1])
        alone = isochrones.threshold_polygons(graph, seconds, [3, 6], cell_m=20.0)
        drawn = frame[frame["station_id"] == sid].geometry.tolist()
        for mine, theirs in zip(drawn, alone):  # same streets, cells may differ (<= 20 m)
            assert shapely.difference(mine, theirs.buffer(25)).area < 1.0
            assert shapely.difference(theirs, mine.buffer(25)).area < 1.0


def test_outlines_come_back_from_the_cache_and_a_damaged_file_is_redrawn(tmp_path,
                                                                         monkeypatch):
    graph = _graph(8, 8)
    sources = np.array([0, 40])
    first = isochrones.station_isochrones(graph, sources, ["a", "b"], [3, 6],
                                          cache_dir=tmp_path)
    files = list((tmp_path / "outlines").glob("*.npz"))
    assert len(files) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("computed although cached")

    monkeypatch.setattr(isochrones, "_station_outlines", refuse)
    told = []
    again = isochrones.station_isochrones(graph, sources, ["a", "b"], [3, 6],
                                          cache_dir=tmp_path, progress=told.append)
    assert told == [2]
    assert all(shapely.equals(p, q) for p, q in zip(first.geometry, again.geometry))
    monkeypatch.undo()
    data = dict(np.load(files[0]))
    data["blob"] = data["blob"].copy()
    data["blob"][-1] ^= 0xFF  # one flipped byte: the checksum no longer matches
    with files[0].open("wb") as handle:
        np.savez(handle, **data)
    with pytest.warns(RuntimeWarning, match="checksum"):
        redrawn = isochrones.station_isochrones(graph, sources, ["a", "b"], [3, 6],
                                                cache_dir=tmp_path)
    assert all(shapely.equals(p, q) for p, q in zip(first.geometry, redrawn.geometry))
    # other settings, other key
    isochrones.station_isochrones(graph, sources, ["a", "b"], [3, 5], cache_dir=tmp_path)
    assert len(list((tmp_path / "outlines").glob("*.npz"))) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _isocache.key(graph, "stations", sources, [3, 6], 40.0, "auto") == \
            _isocache.key(graph, "stations", sources, [3, 6], 40.0, "auto")
