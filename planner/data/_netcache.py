"""Built networks: projection to a metric CRS and the on-disk cache keyed by content."""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from planner import _io
from planner.data._osm import RawStreets
from planner.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from planner.data.network import Network

log = logging.getLogger("planner.data.network")

#: Bump when the cached network layout or the parsing rules change.
CACHE_VERSION = 4

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml", ".osm.xml")


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:20]


def stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(OSM_SUFFIXES + (".graphml",), key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


_ARRAYS = (
    "node_id", "node_x", "node_y", "node_lon", "node_lat", "seg_u", "seg_v", "seg_length",
    "seg_highway", "seg_oneway", "seg_flags", "seg_maxspeed", "seg_name",
)


def cached(digest, name, source, build, settings: Settings, *, network_cls) -> "Network":
    """The network from the cache, or ``build()`` projected and saved to it.

    ``network_cls`` is :class:`planner.data.network.Network` (passed in, so that this module
    does not import its caller).
    """
    Network = network_cls

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
    network = project(build(), name=name, source=source, fingerprint=fingerprint,
                      network_cls=network_cls)
    try:
        save(network, cache_file)
    except OSError as exc:
        warnings.warn(f"could not write network cache {cache_file}: {exc}", RuntimeWarning,
                      stacklevel=3)
    return network


def save(network: "Network", cache_file: Path) -> None:
    arrays = {key: getattr(network, key) for key in _ARRAYS}
    names = np.array(network.names if network.names else [""], dtype=str)

    buffer = io.BytesIO()
    np.savez(buffer, names=names, crs=np.array(network.crs), **arrays)
    _io.write_checked(cache_file, buffer.getvalue())



# --------------------------------------------------------------------------- projection


def utm_crs(lon: float, lat: float) -> str:
    """The UTM zone CRS (as ``EPSG:326xx``/``327xx``) containing a lon/lat point."""
    zone = int((lon + 180) // 6) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def project(raw: RawStreets, *, name: str, source: str, fingerprint: str,
            network_cls) -> "Network":
    """Project raw streets to their UTM zone and measure the segments (into a
    ``network_cls``, i.e. :class:`planner.data.network.Network`)."""
    from pyproj import Transformer

    Network = network_cls

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
