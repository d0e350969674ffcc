"""Candidate sites for new stations: a layer, thinned street intersections or a grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import _validate
from planner.data.network import StreetGraph
from planner.errors import InputError, LayerError

__all__ = ["CandidateOptions", "candidate_sites", "intersection_sites", "grid_sites", "SOURCES"]

SOURCES = ("layer", "intersections", "grid")


@dataclass(frozen=True, eq=False)
class CandidateOptions:
    """Where candidate sites come from.

    Parameters
    ----------
    layer
        A candidates layer (public places, idle assets...), used by the ``layer`` source.
    sources
        Any of ``layer``, ``intersections`` (thinned to ``spacing_m``), ``grid``.
    spacing_m
        Spacing of intersection and grid candidates.
    exclude
        Polygons where no station may go.
    """

    layer: gpd.GeoDataFrame | None = None
    sources: tuple[str, ...] = ("layer",)
    spacing_m: float = 300.0
    exclude: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        sources = (self.sources,) if isinstance(self.sources, str) else tuple(self.sources)
        unknown = set(sources) - set(SOURCES)
        if unknown or not sources:
            raise InputError(f"candidate sources {sorted(unknown) or '(none)'}: choose from "
                             f"{', '.join(SOURCES)}")
        object.__setattr__(self, "sources", sources)
        object.__setattr__(self, "spacing_m", _validate.number_in(
            self.spacing_m, name="spacing_m", unit="metres", minimum=20, maximum=5000,
            open_minimum=False))

    @classmethod
    def default_for(cls, layer: gpd.GeoDataFrame | None, **changes) -> "CandidateOptions":
        """The layer if there is one, else thinned intersections."""
        sources = ("layer",) if layer is not None else ("intersections",)
        return cls(layer=layer, **{"sources": sources, **changes})


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
