"""Read highway ways from OSM files (.osm, .osm.bz2, .osm.gz, .osm.pbf, with pyosmium) or osmnx."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.errors import NetworkError, OfflineError

#: Highway classes the planner knows; anything else routable is "other".
HIGHWAYS: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service", "road", "track", "pedestrian", "footway",
    "path", "cycleway", "steps", "bridleway", "platform", "corridor", "busway", "other",
)
HIGHWAY_CODE = {name: code for code, name in enumerate(HIGHWAYS)}

#: highway=* values that are not (yet) streets.
NOT_STREETS = frozenset({
    "proposed", "construction", "abandoned", "razed", "planned", "disused", "raceway",
    "bus_stop", "elevator", "escalator", "rest_area", "services", "no", "emergency_bay",
    "bus_guideway", "crossing", "traffic_signals", "turning_circle", "street_lamp",
    "platform",  # public-transport platforms: waiting areas, not through routes
})

# Bit flags per way.
FOOT_NO, FOOT_YES, BIKE_NO, BIKE_YES, MOTOR_NO, ACCESS_NO, BIKE_CONTRAFLOW = (
    1, 2, 4, 8, 16, 32, 64
)

_NO = frozenset({"no", "private", "restricted"})
_YES = frozenset({"yes", "designated", "permissive", "official", "destination"})


@dataclass(frozen=True)
class RawStreets:
    """Street segments as read from a file: unprojected, not yet split by mode."""

    node_id: np.ndarray  # int64 [n]
    node_lon: np.ndarray  # float64 [n]
    node_lat: np.ndarray  # float64 [n]
    seg_u: np.ndarray  # int32 [m], index into nodes
    seg_v: np.ndarray  # int32 [m]
    seg_highway: np.ndarray  # int16 [m]
    seg_oneway: np.ndarray  # int8 [m]: 1 forward only, -1 backward only, 0 both
    seg_flags: np.ndarray  # uint8 [m]
    seg_maxspeed: np.ndarray  # float32 [m], km/h, NaN if unknown
    seg_name: np.ndarray  # int32 [m], index into names or -1
    names: tuple[str, ...]
    clipped_ways: int  # ways that referenced nodes missing from the file


def way_attributes(tags: dict[str, str]) -> tuple[int, int, int, float] | None:
    """(highway code, oneway, flags, maxspeed) for a way's tags, or None if not a street."""
    highway = tags.get("highway")
    if not highway or highway in NOT_STREETS or tags.get("area") == "yes" and highway not in (
        "pedestrian", "footway"
    ):
        return None
    code = HIGHWAY_CODE.get(highway, HIGHWAY_CODE["other"])
    flags = 0
    access = tags.get("access", "")
    if access in _NO:
        flags |= ACCESS_NO
    foot = tags.get("foot", "")
    flags |= FOOT_NO if foot in _NO else FOOT_YES if foot in _YES else 0
    bike = tags.get("bicycle", "")
    flags |= BIKE_NO if bike in _NO else BIKE_YES if bike in _YES else 0
    if tags.get("motor_vehicle", tags.get("motorcar", "")) in _NO:
        flags |= MOTOR_NO
    if tags.get("oneway:bicycle") == "no" or tags.get("cycleway", "").startswith("opposite"):
        flags |= BIKE_CONTRAFLOW
    oneway_tag = tags.get("oneway", "")
    if oneway_tag in ("yes", "true", "1"):
        oneway = 1
    elif oneway_tag in ("-1", "reverse"):
        oneway = -1
    elif oneway_tag == "no":
        oneway = 0
    elif highway in ("motorway", "motorway_link") or tags.get("junction") in (
        "roundabout", "circular"
    ):
        oneway = 1
    else:
        oneway = 0
    return code, oneway, flags, parse_maxspeed(tags.get("maxspeed"))


def parse_maxspeed(value: str | None) -> float:
    """km/h from an OSM maxspeed value ("50", "30 mph", "CN:urban"), NaN when unknown."""
    if not value:
        return math.nan
    match = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(mph)?", value)
    if not match:
        return math.nan
    speed = float(match.group(1)) * (1.609344 if match.group(2) else 1.0)
    return speed if speed > 0 else math.nan


def read_osm_file(path: Path) -> RawStreets:
    """Street segments from an OSM file; ways clipped at the file's edge keep their parts."""
    import osmium

    if not path.is_file():
        raise NetworkError(f"network file {path} does not exist; check the path")
    if path.stat().st_size == 0:
        raise NetworkError(f"network file {path} is empty; download the extract again")
    ids: dict[int, int] = {}
    lons: list[float] = []
    lats: list[float] = []
    us: list[int] = []
    vs: list[int] = []
    seg_way: list[int] = []
    way_attrs: list[tuple[int, int, int, float, int]] = []
    names: dict[str, int] = {}
    clipped = 0
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            tags = {tag.k: tag.v for tag in way.tags}
            attrs = way_attributes(tags)
            if attrs is None:
                continue
            name = tags.get("name") or tags.get("name:zh") or tags.get("ref") or ""
            name_code = names.setdefault(name, len(names)) if name else -1
            way_index = len(way_attrs)
            way_attrs.append((*attrs, name_code))
            previous = -1
            was_clipped = False
            for ref in way.nodes:
                location = ref.location
                if not location.valid():
                    was_clipped = True
                    previous = -1  # missing node: the way is cut here
                    continue
                index = ids.get(ref.ref)
                if index is None:
                    index = ids[ref.ref] = len(lons)
                    lons.append(location.lon)
                    lats.append(location.lat)
                if previous >= 0 and previous != index:
                    us.append(previous)
                    vs.append(index)
                    seg_way.append(way_index)
                previous = index
            clipped += was_clipped
    except RuntimeError as exc:
        raise NetworkError(
            f"cannot read {path} as OpenStreetMap data ({exc}); the file may be truncated or "
            "not an .osm/.osm.bz2/.osm.pbf file: download it again or pass another file"
        ) from None
    if not us:
        raise NetworkError(
            f"{path} contains no streets (no highway=* ways with their nodes); is it an OSM "
            "extract of a built-up area?"
        )
    attrs_array = np.array(way_attrs, dtype=np.float64)
    way_of = np.asarray(seg_way, dtype=np.int64)
    return RawStreets(
        node_id=np.fromiter(ids.keys(), dtype=np.int64, count=len(ids)),
        node_lon=np.asarray(lons, dtype=np.float64),
        node_lat=np.asarray(lats, dtype=np.float64),
        seg_u=np.asarray(us, dtype=np.int32),
        seg_v=np.asarray(vs, dtype=np.int32),
        seg_highway=attrs_array[way_of, 0].astype(np.int16),
        seg_oneway=attrs_array[way_of, 1].astype(np.int8),
        seg_flags=attrs_array[way_of, 2].astype(np.uint8),
        seg_maxspeed=attrs_array[way_of, 3].astype(np.float32),
        seg_name=attrs_array[way_of, 4].astype(np.int32),
        names=tuple(names),
        clipped_ways=clipped,
    )


def clip(raw: RawStreets, bbox: tuple[float, float, float, float]) -> RawStreets:
    """The streets with both ends inside (west, south, east, north), nodes renumbered."""
    west, south, east, north = bbox
    inside = ((raw.node_lon >= west) & (raw.node_lon <= east) & (raw.node_lat >= south)
              & (raw.node_lat <= north))
    keep = inside[raw.seg_u] & inside[raw.seg_v]
    if not keep.any():
        raise NetworkError(f"no streets inside the bbox {bbox} (west, south, east, north); "
                           "check the order of the coordinates")
    used = np.zeros(raw.node_id.size, dtype=bool)
    used[raw.seg_u[keep]] = used[raw.seg_v[keep]] = True
    new_index = np.cumsum(used) - 1
    return RawStreets(
        node_id=raw.node_id[used], node_lon=raw.node_lon[used], node_lat=raw.node_lat[used],
        seg_u=new_index[raw.seg_u[keep]].astype(np.int32),
        seg_v=new_index[raw.seg_v[keep]].astype(np.int32),
        seg_highway=raw.seg_highway[keep], seg_oneway=raw.seg_oneway[keep],
        seg_flags=raw.seg_flags[keep], seg_maxspeed=raw.seg_maxspeed[keep],
        seg_name=raw.seg_name[keep], names=raw.names, clipped_ways=raw.clipped_ways,
    )


def raw_from_osmnx(graph, label: str) -> RawStreets:
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


def offline_error(label: str, exc: Exception) -> OfflineError:
    return OfflineError(
        f"could not download {label!r} from OpenStreetMap ({exc.__class__.__name__}); "
        "this machine seems offline: pass a local .osm/.osm.pbf file with --network "
        "or use a bundled sample (see `planner networks`)")


def check_online(urls: Sequence[str], label: str, timeout_s: float = 4.0) -> None:
    """Fail in seconds when the OpenStreetMap servers cannot be reached (osmnx itself would
    wait a minute on the Overpass status endpoint first). Any HTTP answer counts as online."""
    import requests

    for url in urls:
        try:
            requests.head(url, timeout=timeout_s, allow_redirects=False)
        except requests.RequestException as exc:
            raise offline_error(label, exc) from None


def iter_points(path: Path, *, keys: Sequence[str] = ()):
    """Every tagged OSM node and area of a file as ``(osm_id, tags, point)``: nodes at their
    location (``n123``), areas (closed ways ``w123``, multipolygons ``r123``) at a point
    inside them; areas cut at the extract's edge are skipped. ``keys`` keeps only objects
    with one of these tag keys (read faster). Raises ``RuntimeError`` on an unreadable file.
    """
    import osmium
    import shapely

    processor = osmium.FileProcessor(str(path)).with_locations().with_areas()
    if keys:
        processor = processor.with_filter(osmium.filter.KeyFilter(*keys))
    factory = osmium.geom.WKBFactory()
    for obj in processor:
        if not obj.tags:
            continue
        if obj.is_node():
            osm_id, point = f"n{obj.id}", shapely.Point(obj.location.lon, obj.location.lat)
        elif obj.is_area():
            try:
                point = shapely.from_wkb(factory.create_multipolygon(obj)).representative_point()
            except (RuntimeError, shapely.errors.GEOSException):
                continue  # incomplete area at the file's edge
            osm_id = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
        else:
            continue
        yield osm_id, {tag.k: tag.v for tag in obj.tags}, point
