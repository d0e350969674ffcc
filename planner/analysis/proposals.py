"""Proposals: where new stations should go, from layers to a location model and back to sites."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from planner import _io
from planner import _validate
from planner.analysis import coverage
from planner.data import layers
from planner import optimize
from planner.engine import traveltime
from planner.engine.study import Study, as_study
from planner.errors import InputError, LayerError
from planner.data.network import Network, StreetGraph
from planner.settings import Settings, Travel

__all__ = [
    "ProposalResult",
    "propose",
    "candidate_sites",
    "intersection_sites",
    "grid_sites",
    "build_matrices",
    "MODELS",
    "EXISTING",
]

log = logging.getLogger(__name__)

MODELS = ("mclp", "lscp", "pmedian")
EXISTING = ("fixed", "closable", "ignore")
SOURCES = ("layer", "intersections", "grid")
MATRIX_CACHE_VERSION = 2  # 2: whole graph kept, push arcs in the key


# --------------------------------------------------------------------------- candidates


def intersection_sites(street: StreetGraph, *, spacing_m: float = 300.0) -> gpd.GeoDataFrame:
    """Street intersections (3+ streets meet) thinned to about one per ``spacing_m`` square."""
    degree = np.bincount(np.concatenate([street.seg_u, street.seg_v]),
                         minlength=street.n_nodes)
    nodes = np.flatnonzero(degree >= 3)
    if nodes.size == 0:
        nodes = np.arange(street.n_nodes)
    cells = np.column_stack([np.floor(street.node_x[nodes] / spacing_m),
                             np.floor(street.node_y[nodes] / spacing_m)]).astype(np.int64)
    order = np.lexsort((-degree[nodes], cells[:, 1], cells[:, 0]))
    cells, nodes = cells[order], nodes[order]
    first = np.ones(nodes.size, dtype=bool)
    first[1:] = (cells[1:] != cells[:-1]).any(axis=1)
    nodes = nodes[first]
    names = []
    network = street.network
    seg_of_node: dict[int, list[int]] = {}
    wanted = set(nodes.tolist())
    for seg, (a, b) in enumerate(zip(street.seg_u.tolist(), street.seg_v.tolist())):
        for node in (a, b):
            if node in wanted:
                seg_of_node.setdefault(node, []).append(seg)
    for node in nodes.tolist():
        streets = sorted({network.street_name(int(street.seg_index[s]))
                          for s in seg_of_node.get(node, [])} - {""})
        names.append(" / ".join(streets[:2]) if streets else "street corner")
    return _sites(street, street.node_x[nodes], street.node_y[nodes], "X", names,
                  "intersections", kind="street intersection")


def grid_sites(street: StreetGraph, *, spacing_m: float = 300.0) -> gpd.GeoDataFrame:
    """A regular grid of points over the network's extent (snapping drops those off-street)."""
    xs = np.arange(street.node_x.min(), street.node_x.max() + spacing_m / 2, spacing_m)
    ys = np.arange(street.node_y.min(), street.node_y.max() + spacing_m / 2, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    return _sites(street, gx, gy, "G", [f"grid point {i + 1}" for i in range(gx.size)], "grid",
                  kind="grid point")


def _sites(street, x, y, prefix, names, source, *, kind) -> gpd.GeoDataFrame:
    geometry = gpd.GeoSeries(shapely.points(x, y), crs=street.crs).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({
        "id": [f"{prefix}{i + 1}" for i in range(len(names))], "name": names,
        "weight": 1.0, "kind": kind, "source": source,
    }, geometry=geometry.to_numpy(), crs="EPSG:4326")


def candidate_sites(
    street: StreetGraph,
    *,
    layer: gpd.GeoDataFrame | None = None,
    sources: Sequence[str] = ("layer",),
    spacing_m: float = 300.0,
    exclude: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites from a layer, thinned intersections and/or a grid, minus excluded areas."""
    unknown = set(sources) - set(SOURCES)
    if unknown or not sources:
        raise InputError(f"candidate sources {sorted(unknown) or '(none)'}: choose from "
                         f"{', '.join(SOURCES)}")
    if not spacing_m > 0:
        raise InputError(f"spacing {spacing_m} m must be positive")
    parts = []
    if "layer" in sources:
        if layer is None:
            raise LayerError("candidate source 'layer' needs a candidates layer "
                             "(--candidates PATH); or use --candidate-source intersections")
        parts.append(layer.assign(source="layer"))
    if "intersections" in sources:
        parts.append(intersection_sites(street, spacing_m=spacing_m))
    if "grid" in sources:
        parts.append(grid_sites(street, spacing_m=spacing_m))
    sites = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    if len(parts) > 1:
        sites["id"] = sites["source"].str[0].str.upper() + "-" + sites["id"].astype(str)
    if exclude is not None and len(exclude):
        inside = sites.geometry.intersects(exclude.geometry.union_all())
        sites = sites[~inside.to_numpy()].reset_index(drop=True)
        if sites.empty:
            raise LayerError("every candidate site lies inside the excluded areas")
    return sites


# --------------------------------------------------------------------------- matrices


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


# --------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class ProposalResult:
    """Proposed sites with what each adds, the solver's answer, the curve, before/after."""

    model: str
    travel: Travel
    minutes: float
    existing: str
    solution: optimize.Solution
    sites: gpd.GeoDataFrame = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    curve: tuple[dict, ...] = field(repr=False)
    before: coverage.CoverageResult | None = field(repr=False)
    after: coverage.CoverageResult | None = field(repr=False)
    details: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        solution = self.solution.to_dict()
        solution.pop("selected", None)
        return {
            "model": self.model,
            "mode": self.travel.mode,
            "speed_kmh": self.travel.speed_kmh,
            "threshold_min": self.minutes,
            "existing_stations": self.existing,
            "candidates": int(len(self.candidates)),
            "proposed": int(len(self.sites)),
            "covered_share_before": None if self.before is None else round(
                self.before.covered_share(), 4),
            "covered_share_after": None if self.after is None else round(
                self.after.covered_share(), 4),
            "solver": solution,
            **self.details,
        }

    def to_dict(self) -> dict:
        plain = pd.DataFrame(self.sites.drop(columns="geometry"))
        plain["lon"] = self.sites.geometry.x.round(6)
        plain["lat"] = self.sites.geometry.y.round(6)
        return {
            "summary": self.summary(),
            "sites": json.loads(plain.to_json(orient="records", force_ascii=False)),
            "curve": [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in p.items()}
                      for p in self.curve],
        }


def propose(
    network: Study | Network | StreetGraph,
    stations: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    model: str = "mclp",
    k: int = 3,
    target_share: float = 1.0,
    travel: Travel | None = None,
    minutes: float = 15.0,
    existing: str = "fixed",
    candidate_sources: Sequence[str] = ("layer",),
    spacing_m: float = 300.0,
    exclude: gpd.GeoDataFrame | None = None,
    capacity: float | None = None,
    method: str = "auto",
    time_limit: float = 60.0,
    curve_k: int = 10,
    unreachable: str = "exclude",
    pmedian_limit_min: float | None = None,
    with_coverage: bool = True,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> ProposalResult:
    """Propose new station sites on a network.

    Parameters
    ----------
    network
        A :class:`~planner.engine.study.Study` (its layers, snapped once and reused; layers
        given here replace its own), a :class:`~planner.data.network.Network` (``travel``
        picks the mode) or a street graph already built for one mode (then ``travel`` is
        ignored).
    model
        ``mclp`` (the ``k`` sites covering the most demand within ``minutes``), ``lscp`` (the
        fewest sites reaching ``target_share``) or ``pmedian`` (``k`` sites minimising the
        mean travel time).
    existing
        ``fixed`` (existing stations stay and their coverage counts), ``closable`` (they join
        the candidates; ``k`` then counts every station of the plan) or ``ignore``.
    candidate_sources
        ``layer`` (the candidates layer: public places), ``intersections`` (thinned to
        ``spacing_m``), ``grid``.
    """
    say = progress or (lambda message: None)
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if existing not in EXISTING:
        raise InputError(f"existing={existing!r}: choose one of {', '.join(EXISTING)}")
    threshold = _validate.minutes([minutes], name="minutes")[0]
    study = as_study(network, stations=stations, demand=demand, candidates=candidates,
                     travel=travel)
    street, travel = study.street, study.travel
    stations, demand, candidates = study.stations, study.layer("demand"), study.candidates
    layers.check_area(demand, street, role="demand")
    if stations is not None and len(stations) and existing != "ignore":
        layers.check_area(stations, street, role="stations")
    if existing == "ignore":
        stations = None
    pool = candidate_sites(street, layer=candidates, sources=candidate_sources,
                           spacing_m=spacing_m, exclude=exclude)
    if candidates is not None and "layer" in candidate_sources:
        layers.check_area(pool[pool["source"] == "layer"], street, role="candidates")
    if existing == "closable" and stations is not None:
        pool = gpd.GeoDataFrame(pd.concat(
            [stations.assign(source="existing"), pool], ignore_index=True), crs="EPSG:4326")
        fixed_stations = None
    else:
        fixed_stations = stations
    limit_min = threshold if model != "pmedian" else (pmedian_limit_min or 2 * threshold)
    say(f"building the travel-time matrix: {len(pool)} candidate sites x {len(demand)} demand "
        "places")
    matrices = build_matrices(study, pool, demand, fixed_stations, limit_s=limit_min * 60,
                              settings=settings)
    on = matrices.candidate_on_network
    dropped = int((~on).sum())
    if not on.any():
        raise LayerError(f"none of the {len(pool)} candidate sites is within "
                         f"{travel.max_snap_m:g} m of a street usable {travel.spec.label}")
    pool_on = pool[on].reset_index(drop=True)
    if dropped:
        say(f"{len(pool_on)} of {len(pool)} candidate sites are on the network ({dropped} more "
            f"than {travel.max_snap_m:g} m from a usable street)")
    cover = matrices.candidates[np.flatnonzero(on)]
    fixed = matrices.stations
    if fixed.shape[0]:
        fixed = fixed[np.flatnonzero(matrices.station_on_network)]
    # MCLP/LSCP read the pattern (within the threshold); the p-median the seconds
    problem = optimize.Problem.from_matrix(cover, demand["weight"].to_numpy(float), fixed=fixed)
    say(f"solving the {model.upper()} model ({method})")
    if model == "mclp":
        solution = optimize.mclp(problem, k, method=method, time_limit=time_limit,
                                 capacity=capacity)
    elif model == "lscp":
        solution = optimize.lscp(problem, target_share=target_share, unreachable=unreachable,
                                 method=method, time_limit=time_limit)
    else:
        solution = optimize.pmedian(problem, k, penalty_s=limit_min * 60, method=method,
                                    time_limit=time_limit)
    curve: list[dict] = []
    if curve_k and model != "pmedian":
        curve = optimize.coverage_curve(problem, curve_k)
        for point in curve:
            if "site" in point:
                point["site"] = str(pool_on["id"].iloc[point["site"]])
    sites = _describe_sites(street, pool_on, demand, problem, solution,
                            matrices.candidate_segment[on], threshold)
    before = after = None
    if with_coverage:
        say("checking coverage before and after")
        base = stations if existing == "fixed" else None
        if base is not None and len(base):
            before = coverage.analyze(study.replace(stations=base), minutes=[threshold],
                                      per_station_isochrones=False)
        plan = _plan_stations(base, sites)
        if plan is not None:
            after = coverage.analyze(study.replace(stations=plan), minutes=[threshold],
                                     per_station_isochrones=False)
    details = {"candidates_off_network": dropped, "matrix_cached": matrices.cached,
               "matrix_nnz": int(cover.nnz)}
    if existing == "closable" and stations is not None:
        kept = [s for s in sites["id"] if s in set(stations["id"].astype(str))]
        details["existing_kept"] = kept
        details["existing_closed"] = sorted(set(stations["id"].astype(str)) - set(kept))
    return ProposalResult(model=model, travel=travel, minutes=threshold, existing=existing,
                          solution=solution, sites=sites, candidates=pool_on, curve=tuple(curve),
                          before=before, after=after, details=details)


def _plan_stations(base, sites) -> gpd.GeoDataFrame | None:
    """The stations of the plan: the fixed ones (if any) plus the proposed sites."""
    if base is None or not len(base):
        if sites.empty:
            return None
        return layers.points_from_lonlat(list(zip(sites.geometry.x, sites.geometry.y)),
                                         ids=sites["id"].astype(str), names=sites["name"],
                                         role="proposal")
    existing_ids = set(base["id"].astype(str))
    fresh = [{"id": r.id, "name": r.name, "kind": "proposed", "lon": r.geometry.x,
              "lat": r.geometry.y} for r in sites.itertuples() if r.id not in existing_ids]
    return layers.edit_stations(base, add=fresh) if fresh else base


def _describe_sites(street, pool, demand, problem, solution, segments, threshold):
    selected = list(solution.selected)
    rows = pool.iloc[selected].reset_index(drop=True).copy()
    gains = list(solution.gains) + [0.0] * (len(selected) - len(solution.gains))
    covered = problem.fixed_mask().copy()
    newly = []
    for j in selected:
        row = problem.cover[j]
        reach = row.indices[row.data <= threshold * 60 + 1e-9]
        fresh = reach[~covered[reach]]
        newly.append(fresh)
        covered[reach] = True
    demand_ids = demand["id"].astype(str).to_numpy()
    rows.insert(0, "rank", np.arange(1, len(selected) + 1))
    rows["gain_weight"] = np.round(gains[:len(selected)], 3)
    rows["newly_covered_places"] = [int(n.size) for n in newly]
    rows["newly_covered_weight"] = [round(float(problem.weights[n].sum()), 3) for n in newly]
    rows["newly_covered_ids"] = [",".join(demand_ids[n][:50]) for n in newly]
    rows["street"] = [street.network.street_name(int(street.seg_index[segments[j]]))
                      if segments[j] >= 0 else "" for j in selected]
    rows["nearest_place"] = _nearest_names(rows, demand, street.crs)
    rows["threshold_min"] = threshold
    columns = ["rank", "id", "name", "source", "kind", "gain_weight", "newly_covered_places",
               "newly_covered_weight", "street", "nearest_place", "threshold_min",
               "newly_covered_ids"]
    return gpd.GeoDataFrame(rows[columns], geometry=rows.geometry.to_numpy(), crs="EPSG:4326")


def _nearest_names(sites, demand, crs, radius_m: float = 200.0) -> list[str]:
    named = demand[demand["name"].astype(str) != demand["id"].astype(str)]
    named = named[~named["name"].astype(str).str.contains(r"building|\(no name\)", regex=True)]
    if named.empty or sites.empty:
        return [""] * len(sites)
    tree = cKDTree(layers.projected_xy(named, crs))
    dist, index = tree.query(layers.projected_xy(sites, crs), k=1)
    names = named["name"].astype(str).to_numpy()
    return [f"{names[i]} ({d:.0f} m)" if d <= radius_m else "" for d, i in zip(dist, index)]
