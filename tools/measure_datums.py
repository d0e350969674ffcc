"""Measure the datum conversions against prcoords (pip install prcoords): forward difference
and round-trip error in metres on 100,000 random points across China.

Run from the repository root: PYTHONPATH=$PWD python tools/measure_datums.py
"""
import numpy as np
import prcoords

from planner.data import coords
def m(x1, y1, x2, y2):
    p1, p2 = np.radians(y1), np.radians(y2)
    a = np.sin((p2-p1)/2)**2 + np.cos(p1)*np.cos(p2)*np.sin(np.radians(np.asarray(x2)-x1)/2)**2
    return 2*6371008.8*np.arcsin(np.sqrt(a))
rng = np.random.default_rng(2026); n = 100_000
lon, lat = rng.uniform(73.5, 135.0, n), rng.uniform(18.0, 53.5, n)
ref = lambda f, x, y: np.array([f((b, a)) for a, b in zip(x, y)])[:, ::-1].T
gx, gy = coords.wgs84_to_gcj02(lon, lat); bx, by = coords.wgs84_to_bd09(lon, lat)
print("points", n)
print("GCJ-02 shift from WGS-84: min %.1f m, max %.1f m" % (m(lon, lat, gx, gy).min(), m(lon, lat, gx, gy).max()))
print("BD-09 shift from WGS-84: min %.1f m, max %.1f m" % (m(lon, lat, bx, by).min(), m(lon, lat, bx, by).max()))
print("forward WGS->GCJ vs prcoords: max %.3g m" % m(gx, gy, *ref(prcoords.wgs_gcj, lon, lat)).max())
print("forward WGS->BD vs prcoords: max %.3g m" % m(bx, by, *ref(prcoords.wgs_bd, lon, lat)).max())
wx, wy = coords.gcj02_to_wgs84(gx, gy)
print("round trip WGS->GCJ->WGS: max %.3g m" % m(lon, lat, wx, wy).max())
print("inverse GCJ->WGS vs prcoords gcj_wgs_bored: max %.3g m" % m(wx, wy, *ref(prcoords.gcj_wgs_bored, gx, gy)).max())
print("one-step (rough) GCJ->WGS inverse, prcoords gcj_wgs: max %.3g m" % m(lon, lat, *ref(prcoords.gcj_wgs, gx, gy)).max())
wx, wy = coords.bd09_to_wgs84(bx, by)
print("round trip WGS->BD->WGS: max %.3g m" % m(lon, lat, wx, wy).max())
print("inverse BD->WGS vs prcoords bd_wgs_bored: max %.3g m" % m(wx, wy, *ref(prcoords.bd_wgs_bored, bx, by)).max())
