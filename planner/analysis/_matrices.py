"""Candidate x demand and station x demand travel-time matrices, cached on disk by content."""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

from planner import _io
from planner.engine import traveltime
from planner.engine.study import Study, as_study
from planner.data.network import StreetGraph
from planner.settings import Settings

MATRIX_CACHE_VERSION = 3  # 2: whole graph kept, push arcs in the key; 3: arc times quantised



@dataclass(frozen=True, eq=False)
class Matrices:
    """Sparse travel-time matrices (seconds, within ``limit_s``) for one network and mode."""

    candidates: sparse.csr_matrix  # candidates x demand
    stations: sparse.csr_matrix  # stations x demand
    limit_s: float
    candidate_on_network: np.ndarray
    station_on_network: np.ndarray
    candidate_segment: np.ndarray
    cached: bool = False


def _xy_bytes(frame: gpd.GeoDataFrame | None) -> bytes:
    if frame is None or len(frame) == 0:
        return b""
    return np.round(shapely.get_coordinates(frame.geometry.to_numpy()), 7).tobytes()


def build_matrices(
    study: Study | StreetGraph,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame | None,
    *,
    limit_s: float,
    settings: Settings | None = None,
) -> Matrices:
    """Candidate x demand and station x demand time matrices, cached by content.

    The cache key covers the network file, mode, speeds, limit and every point's
    coordinates, so a changed layer or setting never reuses a stale matrix. Points are
    snapped through the study (``study`` may also be a street graph), so a layer it has
    snapped already is not snapped again.
    """
    settings = settings or Settings.from_env()
    study = as_study(study)
    street = study.street
    travel = street.travel
    key = hashlib.sha256(json.dumps([
        MATRIX_CACHE_VERSION, street.network.fingerprint, travel.mode, travel.speed_kmh,
        travel.access_kmh, travel.max_snap_m, travel.pushes, travel.push_kmh,
        float(limit_s)]).encode()
        + _xy_bytes(candidates) + b"|" + _xy_bytes(demand) + b"|" + _xy_bytes(stations)
    ).hexdigest()[:24]
    path = settings.cache_dir / "matrices" / f"{key}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                return Matrices(
                    candidates=_csr_from(data, "c"), stations=_csr_from(data, "s"),
                    limit_s=float(data["limit_s"]),
                    candidate_on_network=data["c_on"], station_on_network=data["s_on"],
                    candidate_segment=data["c_seg"], cached=True)
        except Exception as exc:
            warnings.warn(f"matrix cache {path} is unreadable ({exc}); rebuilding it",
                          RuntimeWarning, stacklevel=2)
    groups = {"candidates": candidates, "demand": demand}
    snap_c, snap_s = study.snap(candidates), None
    if stations is not None and len(stations):
        snap_s = study.snap(stations)
        groups["stations"] = stations
    graph = study.travel_graph(groups)
    c_matrix = traveltime.times_to_each(graph, graph.door("candidates"), graph.door("demand"),
                                        limit=limit_s)
    if snap_s is not None:
        s_matrix = traveltime.times_to_each(graph, graph.door("stations"), graph.door("demand"),
                                            limit=limit_s)
        s_on = snap_s.on_network
    else:
        s_matrix = sparse.csr_matrix((0, len(demand)))
        s_on = np.zeros(0, dtype=bool)
    result = Matrices(c_matrix, s_matrix, float(limit_s), snap_c.on_network, s_on,
                      snap_c.segment)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez(handle, limit_s=limit_s, c_on=snap_c.on_network, s_on=s_on,
                     c_seg=snap_c.segment, **_csr_parts(c_matrix, "c"),
                     **_csr_parts(s_matrix, "s"))

    try:
        _io.write_all({path: write})
    except OSError as exc:
        warnings.warn(f"could not write matrix cache {path}: {exc}", RuntimeWarning,
                      stacklevel=2)
    return result


def _csr_parts(matrix: sparse.csr_matrix, prefix: str) -> dict:
    return {f"{prefix}_data": matrix.data, f"{prefix}_indices": matrix.indices,
            f"{prefix}_indptr": matrix.indptr, f"{prefix}_shape": np.array(matrix.shape)}


def _csr_from(data, prefix: str) -> sparse.csr_matrix:
    return sparse.csr_matrix((data[f"{prefix}_data"], data[f"{prefix}_indices"],
                              data[f"{prefix}_indptr"]), shape=tuple(data[f"{prefix}_shape"]))
