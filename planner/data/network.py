"""Street networks: read from OSM files, osmnx or the bundled samples; routable per travel mode."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csgraph, csr_matrix

from planner import _io
from planner.data import samples
from planner.data._osm import (
    ACCESS_NO, BIKE_CONTRAFLOW, BIKE_NO, BIKE_YES, FOOT_NO, FOOT_YES, HIGHWAY_CODE, HIGHWAYS,
    MOTOR_NO, RawStreets, clip, read_osm_file, way_attributes,
)
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
]

log = logging.getLogger(__name__)

#: Bump when the cached network layout or the parsing rules change.
CACHE_VERSION = 4

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml", ".osm.xml")


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
        """The routable graph for one travel mode: allowed streets, travel times, and only the
        largest strongly connected part (what was dropped is counted on the result)."""
        return _build_street_graph(self, travel)

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
    ``inf`` where the direction is not allowed (one-way streets).
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
    dropped_nodes: int
    dropped_segments: int

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
            "dropped_nodes": self.dropped_nodes,
            "dropped_segments": self.dropped_segments,
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

    return _cached(digest, label, str(path), build, settings)


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
    return _project(raw, name=name, source=name, fingerprint="osmnx-" + name)


def _online(kind: str, args: dict, label: str, settings: Settings | None) -> Network:
    settings = settings or Settings.from_env()
    digest = hashlib.sha256(json.dumps([kind, args], sort_keys=True).encode()).hexdigest()[:20]

    def build() -> RawStreets:
        import osmnx as ox

        ox.settings.use_cache = True
        ox.settings.cache_folder = str(settings.cache_dir / "osmnx")
        function = {
            "place": ox.graph_from_place,
            "bbox": ox.graph_from_bbox,
            "point": ox.graph_from_point,
        }[kind]
        try:
            graph = function(**args, network_type="all", simplify=False, retain_all=True)
        except (ConnectionError, OSError) as exc:
            raise OfflineError(
                f"could not download {label!r} from OpenStreetMap ({exc.__class__.__name__}); "
                "this machine seems offline: pass a local .osm/.osm.pbf file with --network "
                "or use a bundled sample (see `planner networks`)"
            ) from None
        except Exception as exc:
            if "request" in type(exc).__module__ or "urllib3" in type(exc).__module__:
                raise OfflineError(
                    f"could not download {label!r} from OpenStreetMap ({exc}); pass a local "
                    "file or a bundled sample (see `planner networks`)"
                ) from None
            raise NetworkError(f"osmnx could not build {label!r}: {exc}") from None
        return _raw_from_osmnx(graph, label)

    return _cached("online-" + digest, label, f"OpenStreetMap ({kind}: {label})", build, settings)


# --------------------------------------------------------------------------- cache


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:20]


def _stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(OSM_SUFFIXES + (".graphml",), key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


_ARRAYS = (
    "node_id", "node_x", "node_y", "node_lon", "node_lat", "seg_u", "seg_v", "seg_length",
    "seg_highway", "seg_oneway", "seg_flags", "seg_maxspeed", "seg_name",
)


def _cached(digest, name, source, build, settings: Settings) -> Network:
    fingerprint = f"{digest}-v{CACHE_VERSION}"
    cache_file = settings.cache_dir / "networks" / f"{fingerprint}.npz"
    stored = _io.read_checked(cache_file, what="network cache")
    if stored is not None:
        try:
            with np.load(io.BytesIO(stored), allow_pickle=False) as data:
                arrays = {key: data[key] for key in _ARRAYS}
                names = tuple(str(n) for n in data["names"])
                crs = str(data["crs"])
            log.info("network %s loaded from cache %s", name, cache_file)
            return Network(name=name, source=source, fingerprint=fingerprint, crs=crs,
                           names=names, **arrays)
        except Exception as exc:  # corrupted or from an incompatible version: rebuild
            warnings.warn(
                f"network cache {cache_file} is unreadable ({exc}); rebuilding it",
                RuntimeWarning, stacklevel=3,
            )
    network = _project(build(), name=name, source=source, fingerprint=fingerprint)
    try:
        _save(network, cache_file)
    except OSError as exc:
        warnings.warn(f"could not write network cache {cache_file}: {exc}", RuntimeWarning,
                      stacklevel=3)
    return network


def _save(network: Network, cache_file: Path) -> None:
    arrays = {key: getattr(network, key) for key in _ARRAYS}
    names = np.array(network.names if network.names else [""], dtype=str)

    buffer = io.BytesIO()
    np.savez(buffer, names=names, crs=np.array(network.crs), **arrays)
    _io.write_checked(cache_file, buffer.getvalue())


# --------------------------------------------------------------------------- building


def utm_crs(lon: float, lat: float) -> str:
    """The UTM zone CRS (as ``EPSG:326xx``/``327xx``) containing a lon/lat point."""
    zone = int((lon + 180) // 6) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _project(raw: RawStreets, *, name: str, source: str, fingerprint: str) -> Network:
    from pyproj import Transformer

    crs = utm_crs(float(np.median(raw.node_lon)), float(np.median(raw.node_lat)))
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = transformer.transform(raw.node_lon, raw.node_lat)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    length = np.hypot(x[raw.seg_v] - x[raw.seg_u], y[raw.seg_v] - y[raw.seg_u])
    return Network(
        name=name, source=source, fingerprint=fingerprint, crs=crs,
        node_id=raw.node_id, node_x=x, node_y=y, node_lon=raw.node_lon, node_lat=raw.node_lat,
        seg_u=raw.seg_u, seg_v=raw.seg_v, seg_length=length, seg_highway=raw.seg_highway,
        seg_oneway=raw.seg_oneway, seg_flags=raw.seg_flags, seg_maxspeed=raw.seg_maxspeed,
        seg_name=raw.seg_name, names=raw.names,
    )


def _raw_from_osmnx(graph, label: str) -> RawStreets:
    """Segments from an osmnx MultiDiGraph (edge geometries become intermediate nodes)."""
    from pyproj import Transformer

    if graph.number_of_edges() == 0:
        raise NetworkError(f"{label} has no streets (the osmnx graph has no edges)")
    crs = graph.graph.get("crs", "EPSG:4326")
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    ids: dict[object, int] = {}
    lons: list[float] = []
    lats: list[float] = []

    def node(key: object, x: float, y: float) -> int:
        index = ids.get(key)
        if index is None:
            index = ids[key] = len(lons)
            lon, lat = to_lonlat.transform(x, y)
            lons.append(lon)
            lats.append(lat)
        return index

    us, vs, attrs = [], [], []
    names: dict[str, int] = {}
    seen: set[tuple] = set()
    synthetic = 0
    for u, v, data in graph.edges(data=True):
        tags = {
            key: (value[0] if isinstance(value, list) else str(value))
            for key, value in data.items()
            if key in ("highway", "access", "foot", "bicycle", "motor_vehicle", "maxspeed",
                       "junction", "name", "ref", "service")
        }
        oneway = data.get("oneway", False)
        oneway = oneway if isinstance(oneway, bool) else str(oneway) in ("True", "yes", "1")
        if not oneway:
            key = (min(str(u), str(v)), max(str(u), str(v)), round(float(data.get("length", 0)), 1))
            if key in seen:
                continue
            seen.add(key)
        tags["oneway"] = "yes" if oneway else "no"
        attributes = way_attributes(tags)
        if attributes is None:
            continue
        name = tags.get("name") or tags.get("ref") or ""
        name_code = names.setdefault(name, len(names)) if name else -1
        geometry = data.get("geometry")
        if geometry is not None:
            coords = list(geometry.coords)
        else:
            coords = [(graph.nodes[u]["x"], graph.nodes[u]["y"]),
                      (graph.nodes[v]["x"], graph.nodes[v]["y"])]
        chain = [node(("n", u), *coords[0])]
        for x, y in coords[1:-1]:
            synthetic += 1
            chain.append(node(("s", synthetic), x, y))
        chain.append(node(("n", v), *coords[-1]))
        for a, b in zip(chain[:-1], chain[1:]):
            if a != b:
                us.append(a)
                vs.append(b)
                attrs.append((*attributes, name_code))
    if not us:
        raise NetworkError(f"{label} has no streets usable by the planner")
    array = np.asarray(attrs, dtype=np.float64)
    node_keys = list(ids)
    node_id = np.array(
        [int(k[1]) if k[0] == "n" and str(k[1]).lstrip("-").isdigit() else -(i + 1)
         for i, k in enumerate(node_keys)], dtype=np.int64,
    )
    return RawStreets(
        node_id=node_id, node_lon=np.asarray(lons), node_lat=np.asarray(lats),
        seg_u=np.asarray(us, dtype=np.int32), seg_v=np.asarray(vs, dtype=np.int32),
        seg_highway=array[:, 0].astype(np.int16), seg_oneway=array[:, 1].astype(np.int8),
        seg_flags=array[:, 2].astype(np.uint8), seg_maxspeed=array[:, 3].astype(np.float32),
        seg_name=array[:, 4].astype(np.int32), names=tuple(names), clipped_ways=0,
    )


def _codes(*names: str) -> np.ndarray:
    return np.array([HIGHWAY_CODE[n] for n in names], dtype=np.int16)


_MOTORWAYS = _codes("motorway", "motorway_link")
_DRIVE = _codes(
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential",
    "living_street", "service", "road",
)
_NO_BIKE = _codes("motorway", "motorway_link", "footway", "steps", "platform", "corridor",
                  "busway")
_NO_FOOT = _codes("motorway", "motorway_link", "cycleway", "busway")

#: Typical driving speeds (km/h) per class where no maxspeed is tagged.
_DRIVE_KMH = np.full(len(HIGHWAYS), 20.0)
for _name, _kmh in {
    "motorway": 90, "motorway_link": 50, "trunk": 60, "trunk_link": 40, "primary": 45,
    "primary_link": 35, "secondary": 40, "secondary_link": 30, "tertiary": 35,
    "tertiary_link": 30, "unclassified": 30, "residential": 25, "living_street": 10,
    "service": 15, "road": 25,
}.items():
    _DRIVE_KMH[HIGHWAY_CODE[_name]] = _kmh


def _permissions(network: Network, mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(allowed, forward ok, backward ok) per segment for a travel mode."""
    hw, flags, oneway = network.seg_highway, network.seg_flags, network.seg_oneway
    access_no = (flags & ACCESS_NO) > 0
    if mode == "walk":
        explicit = (flags & FOOT_YES) > 0
        allowed = (~np.isin(hw, _NO_FOOT) | explicit) & ((flags & FOOT_NO) == 0)
        allowed &= ~access_no | explicit
        return allowed, allowed.copy(), allowed.copy()
    if mode in ("bike", "ebike"):
        explicit = (flags & BIKE_YES) > 0
        allowed = (~np.isin(hw, _NO_BIKE) | explicit) & ((flags & BIKE_NO) == 0)
        allowed &= ~access_no | explicit
        contraflow = (flags & BIKE_CONTRAFLOW) > 0
        forward = allowed & ((oneway >= 0) | contraflow)
        backward = allowed & ((oneway <= 0) | contraflow)
        return allowed, forward, backward
    allowed = np.isin(hw, _DRIVE) & ~access_no & ((flags & MOTOR_NO) == 0)
    return allowed, allowed & (oneway >= 0), allowed & (oneway <= 0)


def _build_street_graph(network: Network, travel: Travel) -> StreetGraph:
    allowed, forward, backward = _permissions(network, travel.mode)
    if not travel.spec.respects_oneway:
        forward = backward = allowed
    kmh = np.full(network.n_segments, float(travel.speed_kmh))
    if travel.mode == "drive":
        kmh = np.minimum(kmh, _DRIVE_KMH[network.seg_highway])
    tagged = np.isfinite(network.seg_maxspeed)
    kmh[tagged] = np.minimum(kmh[tagged], network.seg_maxspeed[tagged])
    seconds = network.seg_length / (kmh / 3.6)
    fwd_s = np.where(forward, seconds, np.inf)
    bwd_s = np.where(backward, seconds, np.inf)

    usable = np.flatnonzero(forward | backward)
    if usable.size == 0:
        raise NetworkError(
            f"network {network.name!r} has no streets usable {travel.spec.label} "
            f"(mode {travel.mode!r}); choose another mode or a larger extract"
        )
    u, v = network.seg_u[usable], network.seg_v[usable]
    f, b = forward[usable], backward[usable]
    n = network.n_nodes
    arcs = csr_matrix(
        (np.ones(int(f.sum() + b.sum())), (np.concatenate([u[f], v[b]]),
                                           np.concatenate([v[f], u[b]]))),
        shape=(n, n),
    )
    _, labels = csgraph.connected_components(arcs, directed=True, connection="strong")
    touched = np.zeros(n, dtype=bool)
    touched[u] = touched[v] = True
    counts = np.bincount(labels[touched])
    largest = int(np.argmax(counts))
    keep_node = (labels == largest) & touched
    keep_seg = usable[keep_node[u] & keep_node[v]]
    node_index = np.flatnonzero(keep_node)
    local = np.full(n, -1, dtype=np.int64)
    local[node_index] = np.arange(node_index.size)
    dropped_nodes = int(touched.sum() - node_index.size)
    dropped_segments = int(usable.size - keep_seg.size)
    if dropped_nodes:
        log.info("%s/%s: kept the largest connected part, dropped %d nodes / %d segments",
                 network.name, travel.mode, dropped_nodes, dropped_segments)
    return StreetGraph(
        network=network,
        travel=travel,
        node_index=node_index,
        node_x=network.node_x[node_index],
        node_y=network.node_y[node_index],
        seg_index=keep_seg,
        seg_u=local[network.seg_u[keep_seg]].astype(np.int32),
        seg_v=local[network.seg_v[keep_seg]].astype(np.int32),
        seg_length=network.seg_length[keep_seg],
        seg_fwd_s=fwd_s[keep_seg],
        seg_bwd_s=bwd_s[keep_seg],
        dropped_nodes=dropped_nodes,
        dropped_segments=dropped_segments,
    )


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
