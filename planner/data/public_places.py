"""Public places in an OSM extract that could house a satellite station ("1+N"), with names.

Read with pyosmium like :mod:`planner.data._osm`: nodes, and closed ways / relations as areas
(their representative point). ``--candidate-source osm:public`` uses these.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from planner.data._osm import iter_points
from planner.errors import NetworkError

__all__ = ["PUBLIC_KINDS", "HUB_KINDS", "read_public_places"]

#: (key, value) -> label: places that could host a satellite (a corner of an existing place).
PUBLIC_KINDS: dict[tuple[str, str], str] = {
    ("amenity", "community_centre"): "community centre",
    ("amenity", "townhall"): "town hall",
    ("amenity", "police"): "police",
    ("amenity", "fuel"): "fuel",
    ("amenity", "bank"): "bank",
    ("amenity", "post_office"): "post office",
    ("amenity", "library"): "library",
    ("amenity", "social_facility"): "social facility",
    ("amenity", "toilets"): "toilets",
    ("amenity", "fire_station"): "fire station",
    ("amenity", "clinic"): "clinic",
    ("amenity", "pharmacy"): "pharmacy",
    ("office", "government"): "government office",
    ("office", "administrative"): "administrative office",
    ("shop", "convenience"): "convenience shop",
    ("shop", "supermarket"): "supermarket",
    ("leisure", "park"): "park",
}
#: Kinds big enough to host the hub (a full station).
HUB_KINDS = frozenset({"community_centre", "townhall", "library", "social_facility",
                       "government", "administrative", "fire_station", "police"})


def _kind(tags: Mapping[str, str]) -> tuple[str, str] | None:
    for (key, value) in PUBLIC_KINDS:
        if tags.get(key) == value:
            return key, value
    return None


def read_public_places(path: str | Path, *,
                       bbox: tuple[float, float, float, float] | None = None
                       ) -> gpd.GeoDataFrame:
    """Public places in an OSM file: ``id`` (n123/w123/r123), ``name`` (Chinese name first,
    else e.g. "bank (no name)"), ``kind`` (the tag value), ``label``, ``hub_capable``,
    ``source`` = ``osm:public``; points in EPSG:4326, optionally only inside ``bbox``
    (west, south, east, north)."""
    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"cannot read public places: {path} is not an OSM file "
                           "(osm:public needs a network read from an .osm/.pbf file)")
    rows = []
    seen: set[str] = set()
    try:
        for osm_id, tags, point in iter_points(path):
            found = _kind(tags)
            if found is None:
                continue
            if osm_id in seen:
                continue
            seen.add(osm_id)
            label = PUBLIC_KINDS[found]
            name = (tags.get("name:zh") or tags.get("name") or "").strip()
            rows.append({"id": osm_id, "name": name or f"{label} (no name)", "kind": found[1],
                         "label": label, "hub_capable": found[1] in HUB_KINDS,
                         "weight": 1.0, "source": "osm:public", "geometry": point})
    except RuntimeError as exc:
        raise NetworkError(f"cannot read {path} as OpenStreetMap data ({exc})") from None
    frame = gpd.GeoDataFrame(rows, columns=["id", "name", "kind", "label", "hub_capable",
                                            "weight", "source", "geometry"],
                             geometry="geometry", crs="EPSG:4326")
    if bbox is not None and len(frame):
        west, south, east, north = bbox
        x, y = frame.geometry.x, frame.geometry.y
        frame = frame[((x >= west) & (x <= east) & (y >= south) & (y <= north)).to_numpy()]
    return frame.reset_index(drop=True)
