"""Street networks: read from OSM files, osmnx or the bundled samples; routable per travel mode."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.data import _modes, samples
from planner.data._netcache import (
    CACHE_VERSION, OSM_SUFFIXES, cached as _cached, file_digest as _file_digest,
    project as _project, stem as _stem, utm_crs,
)
from planner.data._osm import HIGHWAY_CODE, RawStreets, clip, raw_from_osmnx as _raw_from_osmnx
from planner.data._osm import check_online as _check_online, offline_error as _offline
from planner.data._osm import read_osm_file
from planner.errors import InputError, NetworkError, OfflineError
from planner.settings import Settings, Travel

__all__ = [
    "Network",
    "StreetGraph",
    "load_network",
    "from_file",
    "from_place",
    "from_bbox",
    "from_point",
    "from_osmnx",
    "from_segments",
    "utm_crs",
    "CACHE_VERSION",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Network:
    """A street network in a projected (metric) CRS, for all modes at once.

    Segments are the straight pieces between consecutive OSM nodes of a way (an unsimplified
    network), so travel along a segment is exact and isochrones can cut segments anywhere.
    """

    name: str
    source: str
    fingerprint: str
    crs: str
    node_id: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_length: np.ndarray
    seg_highway: np.ndarray
    seg_oneway: np.ndarray
    seg_flags: np.ndarray
    seg_maxspeed: np.ndarray
    seg_name: np.ndarray
    names: tuple[str, ...]

    @property
    def n_nodes(self) -> int:
        return int(self.node_id.size)

    @property
    def n_segments(self) -> int:
        return int(self.seg_u.size)

    @property
    def bounds_lonlat(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        return (
            float(self.node_lon.min()), float(self.node_lat.min()),
            float(self.node_lon.max()), float(self.node_lat.max()),
        )

    def graph(self, travel: Travel) -> "StreetGraph":
        """The routable graph for one travel mode: every street it may use, with travel times.

        Nothing is cut away: pieces of network that cannot reach each other stay in the graph
        and what cannot reach a station is reported with its cause by the analysis.
        """
        return StreetGraph(network=self, travel=travel, **_modes.street_arrays(self, travel))

    def street_name(self, segment: int) -> str:
        code = int(self.seg_name[segment])
        return self.names[code] if code >= 0 else ""

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "source": self.source,
            "crs": self.crs,
            "nodes": self.n_nodes,
            "segments": self.n_segments,
            "street_km": round(float(self.seg_length.sum()) / 1000, 1),
            "bounds_lonlat": [round(b, 5) for b in self.bounds_lonlat],
        }


@dataclass(frozen=True, eq=False)
class StreetGraph:
    """The part of a :class:`Network` one travel mode can use, with seconds per segment.

    ``seg_fwd_s`` is the time from ``seg_u`` to ``seg_v``, ``seg_bwd_s`` the time back;
    ``inf`` where the direction is not allowed (one-way streets), the pushing time where the
    rider walks the bike against the one-way direction (``travel.pushes``). ``node_piece``
    numbers the pieces of network connected when direction is ignored (0 = the largest).
    """

    network: Network
    travel: Travel
    node_index: np.ndarray  # int64 [n]: index into network nodes
    node_x: np.ndarray
    node_y: np.ndarray
    seg_index: np.ndarray  # int64 [m]: index into network segments
    seg_u: np.ndarray  # int32, local node index
    seg_v: np.ndarray
    seg_length: np.ndarray
    seg_fwd_s: np.ndarray
    seg_bwd_s: np.ndarray
    node_piece: np.ndarray  # int32 [n]: piece label, 0 = largest

    @property
    def n_pieces(self) -> int:
        """How many pieces of network are not connected to each other (ignoring direction)."""
        return int(self.node_piece.max()) + 1 if self.node_piece.size else 0

    @property
    def seg_piece(self) -> np.ndarray:
        return self.node_piece[self.seg_u]

    @property
    def n_nodes(self) -> int:
        return int(self.node_x.size)

    @property
    def n_segments(self) -> int:
        return int(self.seg_u.size)

    @property
    def crs(self) -> str:
        return self.network.crs

    def segment_coords(self) -> np.ndarray:
        """(m, 2, 2) array of segment end coordinates in the network CRS."""
        xy = np.column_stack([self.node_x, self.node_y])
        return np.stack([xy[self.seg_u], xy[self.seg_v]], axis=1)

    def to_networkx(self):  # -> networkx.DiGraph
        """A networkx DiGraph with ``time`` (s) and ``length`` (m) on each allowed arc."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(range(self.n_nodes))
        for u, v, length, fwd, bwd in zip(
            self.seg_u.tolist(), self.seg_v.tolist(), self.seg_length.tolist(),
            self.seg_fwd_s.tolist(), self.seg_bwd_s.tolist(),
        ):
            for a, b, t in ((u, v, fwd), (v, u, bwd)):
                if np.isfinite(t) and (not graph.has_edge(a, b) or graph[a][b]["time"] > t):
                    graph.add_edge(a, b, time=t, length=length)
        return graph

    def summary(self) -> dict[str, object]:
        return {
            "mode": self.travel.mode,
            "speed_kmh": self.travel.speed_kmh,
            "nodes": self.n_nodes,
            "segments": self.n_segments,
            "street_km": round(float(self.seg_length.sum()) / 1000, 1),
            "pushes_against_oneway": self.travel.pushes,
            "pieces": self.n_pieces,
            "main_piece_node_share": round(float(np.mean(self.node_piece == 0)), 4),
        }


# --------------------------------------------------------------------------- loading


def load_network(source: str | Path, *, settings: Settings | None = None) -> Network:
    """A network from a bundled sample name, an OSM/graphml file, or ``place:<name>``.

    Parameters
    ----------
    source
        ``"wudaokou"`` (a sample in ``layers/``; see ``planner networks``), a path to an
        ``.osm``/``.osm.bz2``/``.osm.pbf``/``.graphml`` file, or an online download through
        osmnx (cached): ``"place:Guixi, Jiangxi"``, ``"bbox:117.19,28.28,117.26,28.32"``
        (west, south, east, north) or ``"point:28.30,117.23,2000"`` (lat, lon, radius in m).
    """
    settings = settings or Settings.from_env()
    text = str(source)
    if text.startswith("place:"):
        return from_place(text[len("place:"):].strip(), settings=settings)
    if text.startswith(("bbox:", "point:")):
        kind, _, rest = text.partition(":")
        try:
            numbers = [float(part) for part in rest.split(",")]
        except ValueError:
            numbers = []
        if kind == "bbox" and len(numbers) == 4:
            return from_bbox(*numbers, settings=settings)
        if kind == "point" and len(numbers) == 3:
            return from_point(*numbers, settings=settings)
        raise InputError(f"network {text!r}: write bbox:WEST,SOUTH,EAST,NORTH or "
                         "point:LAT,LON,RADIUS_M")
    sample = samples.resolve(text)
    if sample is None:
        return from_file(Path(text).expanduser(), settings=settings)
    return from_file(sample.network, name=sample.name, settings=settings)


def from_file(
    path: str | Path, *, name: str | None = None, bbox: Sequence[float] | None = None,
    settings: Settings | None = None,
) -> Network:
    """A network from an OSM file (.osm, .osm.bz2, .osm.pbf) or an osmnx ``.graphml`` file.

    Raw exports with buildings, railways and ways clipped at the border are fine: only
    highway ways are kept, and clipped ways keep the parts whose nodes are in the file.
    ``bbox`` (west, south, east, north in degrees) keeps only the streets inside it, e.g. one
    county of a province extract. The built network is cached by the file's content (and
    the bbox), so a second load does not re-parse.
    """
    settings = settings or Settings.from_env()
    path = Path(path).expanduser()
    if not path.is_file():
        raise NetworkError(
            f"network file {path} does not exist; pass an .osm/.osm.bz2/.osm.pbf/.graphml "
            "file or a bundled sample name (see `planner networks`)"
        )
    lower = path.name.lower()
    if lower.endswith(".graphml"):
        kind = "graphml"
    elif lower.endswith(OSM_SUFFIXES):
        kind = "osm"
    else:
        raise NetworkError(
            f"cannot tell the format of {path}: use a file ending in .osm, .osm.bz2, .osm.pbf "
            "or .graphml"
        )
    digest = _file_digest(path)
    label = name or _stem(path)
    if bbox is not None:
        bbox = _check_bbox(bbox)
        digest = hashlib.sha256(f"{digest}{bbox}".encode()).hexdigest()[:20]

    def build() -> RawStreets:
        if kind == "osm":
            raw = read_osm_file(path)
            return clip(raw, bbox) if bbox is not None else raw
        import osmnx as ox

        try:
            graph = ox.load_graphml(path)
        except Exception as exc:  # osmnx raises many kinds on bad files
            raise NetworkError(
                f"cannot read {path} as an osmnx graphml file ({exc}); save it again with "
                "osmnx.save_graphml or pass an .osm file"
            ) from None
        raw = _raw_from_osmnx(graph, str(path))
        return clip(raw, bbox) if bbox is not None else raw

    return _cached(digest, label, str(path), build, settings, network_cls=Network)


def _check_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(b) for b in bbox)
    except (TypeError, ValueError):
        raise InputError(f"bbox {bbox!r} must be four numbers: west, south, east, north") \
            from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(f"bbox ({west}, {south}, {east}, {north}) is not west<east, "
                         "south<north in degrees")
    return west, south, east, north


def from_place(query: str, *, settings: Settings | None = None) -> Network:
    """Download the street network of a named place through osmnx (needs the internet)."""
    if not query:
        raise InputError("place name is empty; give e.g. 'place:Guixi, Yingtan, Jiangxi'")
    return _online("place", {"query": query}, query, settings)


def from_bbox(
    west: float, south: float, east: float, north: float, *, settings: Settings | None = None
) -> Network:
    """Download the streets inside a lon/lat bounding box through osmnx (needs the internet)."""
    west, south, east, north = _check_bbox((west, south, east, north))
    return _online("bbox", {"bbox": (west, south, east, north)},
                   f"bbox {west:.4f},{south:.4f},{east:.4f},{north:.4f}", settings)


def from_point(
    lat: float, lon: float, radius_m: float, *, settings: Settings | None = None
) -> Network:
    """Download the streets within ``radius_m`` of a point through osmnx (needs the internet)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"point ({lat}, {lon}) is not a latitude, longitude pair")
    if not 0 < radius_m <= 50_000:
        raise InputError(f"radius {radius_m} m must be between 0 and 50,000 m")
    return _online("point", {"center_point": (lat, lon), "dist": radius_m},
                   f"{lat:.5f},{lon:.5f} r{radius_m:g}m", settings)


def from_osmnx(graph, *, name: str = "osmnx graph") -> Network:
    """A network from an osmnx MultiDiGraph already in memory (not cached)."""
    raw = _raw_from_osmnx(graph, name)
    return _project(raw, name=name, source=name, fingerprint="osmnx-" + name,
                    network_cls=Network)


def _online(kind: str, args: dict, label: str, settings: Settings | None) -> Network:
    settings = settings or Settings.from_env()
    digest = hashlib.sha256(json.dumps([kind, args], sort_keys=True).encode()).hexdigest()[:20]

    def build() -> RawStreets:
        import osmnx as ox

        ox.settings.use_cache = True
        ox.settings.cache_folder = str(settings.cache_dir / "osmnx")
        _check_online([ox.settings.overpass_url] + (
            [ox.settings.nominatim_url] if kind == "place" else []), label)
        function = {
            "place": ox.graph_from_place,
            "bbox": ox.graph_from_bbox,
            "point": ox.graph_from_point,
        }[kind]
        try:
            graph = function(**args, network_type="all", simplify=False, retain_all=True)
        except (ConnectionError, OSError) as exc:
            raise _offline(label, exc) from None
        except Exception as exc:
            if "request" in type(exc).__module__ or "urllib3" in type(exc).__module__:
                raise OfflineError(
                    f"could not download {label!r} from OpenStreetMap ({exc}); pass a local "
                    "file or a bundled sample (see `planner networks`)"
                ) from None
            raise NetworkError(f"osmnx could not build {label!r}: {exc}") from None
        return _raw_from_osmnx(graph, label)

    return _cached("online-" + digest, label, f"OpenStreetMap ({kind}: {label})", build, settings,
                   network_cls=Network)


def from_segments(
    x: np.ndarray,
    y: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    *,
    crs: str = "EPSG:32650",
    oneway: np.ndarray | None = None,
    highway: str = "residential",
    name: str = "synthetic",
) -> Network:
    """A network from projected node coordinates and segment end indices.

    For generated networks (tests, benchmarks) and other tools with their own street data.
    ``oneway`` holds 1 (u to v only), -1 (v to u only) or 0 (both) per segment.
    """
    from pyproj import Transformer

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    u = np.asarray(u, dtype=np.int32)
    v = np.asarray(v, dtype=np.int32)
    if u.shape != v.shape or x.shape != y.shape or u.size == 0:
        raise NetworkError("from_segments needs equal-length x/y and non-empty equal u/v arrays")
    if u.min() < 0 or max(u.max(), v.max()) >= x.size:
        raise NetworkError("from_segments: u/v refer to nodes that do not exist")
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    m = u.size
    return Network(
        name=name, source=name,
        fingerprint="segments-" + hashlib.sha256(
            b"".join(a.tobytes() for a in (x, y, u, v)) + crs.encode()
            + (b"" if oneway is None else np.asarray(oneway, np.int8).tobytes())
        ).hexdigest()[:20],
        crs=crs, node_id=np.arange(x.size, dtype=np.int64), node_x=x, node_y=y,
        node_lon=np.asarray(lon, dtype=np.float64), node_lat=np.asarray(lat, dtype=np.float64),
        seg_u=u, seg_v=v, seg_length=np.hypot(x[v] - x[u], y[v] - y[u]),
        seg_highway=np.full(m, HIGHWAY_CODE.get(highway, HIGHWAY_CODE["other"]), np.int16),
        seg_oneway=np.zeros(m, np.int8) if oneway is None else np.asarray(oneway, np.int8),
        seg_flags=np.zeros(m, np.uint8), seg_maxspeed=np.full(m, np.nan, np.float32),
        seg_name=np.full(m, -1, np.int32), names=(),
    )
