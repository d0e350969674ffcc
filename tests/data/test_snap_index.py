"""The KD-tree snapping finds the nearest street exactly (checked by brute force)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.data import _snap, layers
from planner.settings import Travel

from conftest import grid_network, lonlat_of


def _brute(index: _snap.SegmentIndex, xy: np.ndarray, limit: float, allowed=None):
    seg = np.arange(index.u.size)
    dist, t = index.project(seg[None, :], xy[:, 0:1], xy[:, 1:2])
    if allowed is not None:
        dist = np.where(allowed[None, :], dist, np.inf)
    best = dist.min(axis=1)
    return np.where(best <= limit, best, np.inf)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), spread=st.floats(1.0, 400.0), limit=st.floats(5.0, 300.0))
def test_nearest_segment_distance_equals_brute_force(seed, spread, limit):
    rng = np.random.default_rng(seed)
    n = 60
    x, y = rng.random(n) * 2000, rng.random(n) * 2000
    u = rng.integers(0, n, 150)
    v = rng.integers(0, n, 150)
    index = _snap.SegmentIndex(x, y, u, v)
    points = np.column_stack([rng.random(200) * (2000 + spread) - spread / 2,
                              rng.random(200) * (2000 + spread) - spread / 2])
    allowed = rng.random(u.size) < 0.5
    for mask in (None, allowed):
        segment, distance = index.nearest(points, limit, allowed=mask, chunk=37)
        expected = _brute(index, points, limit, mask)
        assert np.allclose(distance, expected, equal_nan=False)
        assert np.array_equal(segment >= 0, np.isfinite(expected))
        found = segment >= 0
        if mask is not None:
            assert mask[segment[found]].all()
        again, _ = index.project(segment[found], points[found, 0], points[found, 1])
        assert np.allclose(again, distance[found])


def test_snap_positions_points_on_their_street():
    net = grid_network(5, 5, spacing=100)
    street = net.graph(Travel("walk", max_snap_m=30))
    x0, y0 = street.node_x.min(), street.node_y.min()
    xs = np.array([x0 + 30, x0 + 250, x0 + 55])
    ys = np.array([y0 + 12, y0 + 100, y0 + 55])  # last one: 45 m from any street
    lon, lat = lonlat_of(net, xs, ys)
    points = layers.points_from_lonlat(list(zip(lon, lat)))
    snapped = layers.snap(points, street)
    assert snapped.on_network.tolist() == [True, True, False]
    assert np.allclose(snapped.offset_m[:2], [12, 0], atol=1e-3)
    seg = snapped.segment[0]
    along = street.node_x[street.seg_u[seg]] + snapped.fraction[0] * (
        street.node_x[street.seg_v[seg]] - street.node_x[street.seg_u[seg]])
    assert abs(along - (x0 + 30)) < 1e-3
