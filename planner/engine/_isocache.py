"""On-disk cache of isochrone outlines, keyed by content, each file checked by a checksum.

The key hashes everything an outline depends on: the travel graph (arcs, node and door
coordinates), the sources or the times, the thresholds and the drawing settings (and a
version of the drawing code). A file whose checksum does not match its outlines is
ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from planner import _io

log = logging.getLogger(__name__)

#: Bump when the drawing of outlines changes.
VERSION = 1

_graph_digests: "weakref.WeakKeyDictionary[object, str]" = weakref.WeakKeyDictionary()


def graph_digest(graph) -> str:
    """Content digest of a travel graph (built once per graph)."""
    digest = _graph_digests.get(graph)
    if digest is None:
        h = hashlib.blake2b(digest_size=20)
        h.update(repr(graph.street.travel).encode())
        csr = graph.csr_to
        for array in (csr.indptr, csr.indices, csr.data, graph.node_x, graph.node_y,
                      graph.door_x, graph.door_y):
            h.update(np.ascontiguousarray(array).tobytes())
        digest = _graph_digests[graph] = h.hexdigest()
    return digest


def key(graph, kind: str, values: np.ndarray, minutes, buffer_m: float, method: str,
        cells: tuple = ()) -> str:
    """The cache key of one set of outlines (``cells``: the raster limits in force)."""
    h = hashlib.blake2b(digest_size=20)
    settings = (kind, VERSION, tuple(float(m) for m in minutes), float(buffer_m), method,
                *cells)
    h.update(repr(settings).encode())
    h.update(graph_digest(graph).encode())
    h.update(np.ascontiguousarray(values).tobytes())
    return f"{kind}-{h.hexdigest()}"


def fetch(cache_dir: Path | None, cache_key: str | None,
          compute: Callable[[], list]) -> tuple[list, bool]:
    """``(outlines, computed)``: from the cache when there, else computed and stored."""
    if cache_dir is None or cache_key is None:
        return compute(), True
    path = Path(cache_dir) / "outlines" / f"{cache_key}.npz"
    if path.is_file():
        geoms = load_geometries(path, "outline")
        if geoms is not None:
            log.info("outlines loaded from cache %s", path)
            return geoms, False
    geoms = compute()
    try:
        save_geometries(path, geoms)
    except OSError as exc:
        warnings.warn(f"could not write outline cache {path}: {exc}", RuntimeWarning,
                      stacklevel=3)
    return geoms, True


def _checksum(blob: np.ndarray, offsets: np.ndarray) -> str:
    return hashlib.sha256(blob.tobytes() + offsets.tobytes()).hexdigest()


def save_geometries(path: Path, geoms) -> None:
    """Write shapely geometries (None allowed) to ``path`` as one WKB blob with offsets and
    a checksum, as one whole file (:func:`planner._io.write_all`)."""
    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object), hex=False) if len(geoms) else []
    parts = [b"" if w is None else w for w in wkb]
    sizes = np.array([len(w) for w in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    blob = np.frombuffer(b"".join(parts), dtype=np.uint8)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez(handle, blob=blob, offsets=offsets,
                     checksum=np.array(_checksum(blob, offsets)))

    _io.write_all({path: write})


def load_geometries(path: Path, what: str) -> list | None:
    """The geometries :func:`save_geometries` wrote, or None (with a warning naming the
    ``what`` cache) when the file is damaged or foreign."""
    try:
        with np.load(path, allow_pickle=False) as data:
            blob, offsets, checksum = data["blob"], data["offsets"], str(data["checksum"])
        if _checksum(blob, offsets) != checksum:
            raise ValueError("checksum mismatch")
        raw = blob.tobytes()
        parts = [raw[offsets[i]:offsets[i + 1]] or None for i in range(offsets.size - 1)]
        return list(shapely.from_wkb(np.array(parts, dtype=object))) if parts else []
    except Exception as exc:  # damaged or foreign file: recompute and rewrite it
        warnings.warn(f"{what} cache {path} is unreadable ({exc}); recomputing it",
                      RuntimeWarning, stacklevel=3)
        return None
