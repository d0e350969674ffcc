"""The prepared object of a run: a street graph for one mode and speed, with the layers
snapped once and the travel graphs built once, shared by every later stage.

A :class:`Study` is to the planner what r5py's ``TransportNetwork`` or pandana's ``Network``
is to theirs: build it once, pass it to :func:`planner.check_coverage`,
:func:`planner.propose` and the scenario runner. Derived studies
(:meth:`Study.replace`: other stations, another speed...) share one cache, so a what-if
redoes only what it changed: closing a station snaps the edited stations again but not the
demand; the same mode and speed reuse the street graph and the snapped demand.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely

from planner.data import layers, samples
from planner.data.network import Network, StreetGraph, load_network
from planner.engine import traveltime
from planner.errors import InputError, LayerError
from planner.settings import Settings, Travel

__all__ = ["Study", "prepare", "as_study", "ROLES"]

#: The layers a study carries.
ROLES = ("stations", "demand", "candidates")
#: Travel graphs kept per study family (each is about the size of the street graph).
GRAPHS_KEPT = 4
_KEEP = object()


@dataclass(eq=False)
class _Cache:
    """What a family of studies on one network shares: street graphs per travel, snapped
    layers per (travel, layer content) and the last few travel graphs per (travel, groups)."""

    streets: dict[Travel, StreetGraph] = field(default_factory=dict)
    snaps: dict[tuple[Travel, str], layers.Snapped] = field(default_factory=dict)
    graphs: OrderedDict = field(default_factory=OrderedDict)


@dataclass(frozen=True, eq=False)
class Study:
    """A network, a travel mode and speed, and the layers of one planning run.

    Parameters
    ----------
    network
        The street network (all modes).
    travel
        Mode and speed of this study; :attr:`street` is the network's graph for it.
    stations, demand, candidates
        Point layers as read by :mod:`planner.data.layers` (any may be absent).

    Everything derived (street graph, snapped layers, travel graphs) is computed on first
    use and cached: snapping once per (layer, mode, speed), a travel graph once per set of
    point groups. Build one with :func:`prepare`.
    """

    network: Network
    travel: Travel = field(default_factory=Travel)
    stations: gpd.GeoDataFrame | None = field(default=None, repr=False)
    demand: gpd.GeoDataFrame | None = field(default=None, repr=False)
    candidates: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _cache: _Cache = field(default_factory=_Cache, repr=False)

    @property
    def street(self) -> StreetGraph:
        """The street graph for :attr:`travel` (built once per mode and speed)."""
        street = self._cache.streets.get(self.travel)
        if street is None:
            street = self._cache.streets[self.travel] = self.network.graph(self.travel)
        return street

    def layer(self, role: str) -> gpd.GeoDataFrame:
        """The ``stations``, ``demand`` or ``candidates`` layer; an error if it is missing."""
        frame = getattr(self, role) if role in ROLES else None
        if frame is None:
            raise LayerError(f"the study has no {role} layer; give {role}=... to "
                             "planner.prepare (or to this call)")
        return frame

    def snap(self, points: gpd.GeoDataFrame | str) -> layers.Snapped:
        """Where each point meets :attr:`street` (a layer, or the role of one of the study's).

        Cached by the points' coordinates, so an edited layer snaps again and an unchanged
        one (even a copy) does not.
        """
        frame = self.layer(points) if isinstance(points, str) else points
        key = (self.travel, _fingerprint(frame))
        snapped = self._cache.snaps.get(key)
        if snapped is None:
            snapped = self._cache.snaps[key] = layers.snap(frame, self.street)
        return snapped

    def travel_graph(self, groups: Mapping[str, gpd.GeoDataFrame]) -> traveltime.TravelGraph:
        """The street graph with these point groups inserted (``{"stations": frame, ...}``),
        built once per (travel, groups) and reused."""
        key = (self.travel, tuple((name, _fingerprint(frame)) for name, frame in groups.items()))
        graphs = self._cache.graphs
        graph = graphs.get(key)
        if graph is None:
            snapped = {name: self.snap(frame) for name, frame in groups.items()}
            graph = graphs[key] = traveltime.build(self.street, snapped)
            while len(graphs) > GRAPHS_KEPT:
                graphs.popitem(last=False)
        graphs.move_to_end(key)
        return graph

    def replace(self, *, travel: Travel | None = None, stations=_KEEP, demand=_KEEP,
                candidates=_KEEP) -> Study:
        """A study with some inputs changed, sharing this one's cache (what did not change
        is not computed again). ``stations=None`` drops the layer."""
        changes = {"stations": stations, "demand": demand, "candidates": candidates}
        return Study(
            network=self.network, travel=travel or self.travel,
            _cache=self._cache, **{role: getattr(self, role) if value is _KEEP else value
                                   for role, value in changes.items()})

    def summary(self) -> dict[str, object]:
        """The network, the travel, the layers' sizes and what the cache holds."""
        return {
            "network": self.network.name, "mode": self.travel.mode,
            "speed_kmh": self.travel.speed_kmh,
            **{role: None if getattr(self, role) is None else len(getattr(self, role))
               for role in ROLES},
            "cached": {"street_graphs": len(self._cache.streets),
                       "snapped_layers": len(self._cache.snaps),
                       "travel_graphs": len(self._cache.graphs)},
        }


def _fingerprint(frame: gpd.GeoDataFrame) -> str:
    """A digest of a layer's point coordinates and CRS: what snapping depends on."""
    coords = shapely.get_coordinates(frame.geometry.to_numpy())
    digest = hashlib.blake2b(coords.tobytes(), digest_size=16)
    digest.update(str(frame.crs).encode())
    return f"{len(frame)}:{digest.hexdigest()}"


Layer = gpd.GeoDataFrame | str | Path | None


def prepare(
    network: Network | StreetGraph | str | Path,
    *,
    stations: Layer = None,
    demand: Layer = None,
    candidates: Layer = None,
    travel: Travel | None = None,
    weight_column: str | None = None,
    settings: Settings | None = None,
) -> Study:
    """Prepare a study: a network (object, bundled sample name, OSM file or ``place:...``)
    and its layers (frames or paths; for a sample, those not given are the sample's).

    >>> study = prepare("wudaokou", travel=Travel("walk"))  # doctest: +SKIP
    >>> planner.check_coverage(study).covered_share()  # doctest: +SKIP
    """
    given = {"stations": stations, "demand": demand, "candidates": candidates}
    if isinstance(network, (str, Path)):
        sample = samples.resolve(network)
        if sample is not None:
            given = {role: getattr(sample, role) if value is None else value
                     for role, value in given.items()}
        network = load_network(network, settings=settings)
    readers = {"stations": layers.read_stations, "candidates": layers.read_candidates,
               "demand": lambda path: layers.read_demand(path, weight_column=weight_column)}
    frames = {role: readers[role](value) if isinstance(value, (str, Path)) else value
              for role, value in given.items()}
    return as_study(network, travel=travel, **frames)


def as_study(
    source: Study | Network | StreetGraph,
    *,
    stations: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    travel: Travel | None = None,
) -> Study:
    """The study a stage works on: ``source`` itself (with any layer or travel given
    replacing its own), or a new one around a network or street graph.

    A street graph fixes the travel (``travel`` is then ignored) and seeds the cache.
    Layers given here are checked at this door (:func:`planner.data.layers.as_layer`: any
    CRS, points only, ids, weights); anything else is a :class:`~planner.errors.PlannerError`.
    """
    from planner import _validate

    if not isinstance(source, (Study, Network, StreetGraph)):
        raise InputError(f"give a study from planner.prepare(...) or a network from "
                         f"planner.load_network(...), not {type(source).__name__}")
    travel = None if travel is None else _validate.travel(travel)
    stations, demand, candidates = (
        None if frame is None else layers.as_layer(frame, role=role, id_prefix=prefix)
        for frame, role, prefix in ((stations, "stations", "S"), (demand, "demand", "D"),
                                    (candidates, "candidates", "C")))
    if isinstance(source, Study):
        given = {role: frame for role, frame in (("stations", stations), ("demand", demand),
                                                 ("candidates", candidates))
                 if frame is not None}
        if not given and (travel is None or travel == source.travel):
            return source
        return source.replace(travel=travel, **given)
    if isinstance(source, StreetGraph):
        study = Study(source.network, source.travel, stations, demand, candidates)
        study._cache.streets[source.travel] = source
        return study
    if isinstance(source, Network):
        return Study(source, travel or Travel(), stations, demand, candidates)
    raise TypeError(f"expected a Study, Network or StreetGraph, got {type(source).__name__}; "
                    "build one with planner.prepare(...)")
