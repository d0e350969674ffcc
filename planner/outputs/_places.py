"""Readable labels for places and stations on the maps: a name, else kind and street, else
coordinates; never a raw OSM id."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np

from planner.i18n import _

__all__ = ["place_labels", "kind_texts", "coordinates", "station_labels"]

_OSM_ID = re.compile(r"^(node|way|relation|[nwr])[/ ]?\d+$", re.IGNORECASE)
_EMPTY = {"", "nan", "none", "null", "yes", "unnamed"}


def _kind_text(kind: object) -> str:
    """``building=yes`` -> ``building``; ``amenity=cafe`` -> ``cafe``; ``cafe`` stays."""
    text = "" if kind is None else str(kind).strip()
    if "=" in text:
        key, _, value = text.partition("=")
        text = key if value.strip().lower() in _EMPTY else value
    return "" if text.lower() in _EMPTY else text.replace("_", " ")


def coordinates(geometry) -> list[str]:
    """``40.00092 N, 116.32055 E`` per point (EPSG:4326)."""
    import shapely

    xy = shapely.get_coordinates(np.asarray(geometry, dtype=object))
    if len(xy) != len(geometry):  # a missing or empty point: one at a time
        return [coordinates([p])[0] if p is not None and not p.is_empty else ""
                for p in geometry]
    return [f"{abs(y):.5f} {'N' if y >= 0 else 'S'}, {abs(x):.5f} {'E' if x >= 0 else 'W'}"
            for x, y in xy.tolist()]


def kind_texts(frame: gpd.GeoDataFrame) -> list[str]:
    """Kind and street of each place (``restaurant on 成府路``), empty when unknown."""
    return [_on_street(kind, street) if street else kind for kind, street in _kinds(frame)]


def _kinds(frame: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """(kind text, street or "") of each place."""
    kinds = frame["kind"] if "kind" in frame else [""] * len(frame)
    streets = frame["street"] if "street" in frame else [""] * len(frame)
    return [(_kind_text(kind),
             "" if street is None or str(street).lower() in _EMPTY else str(street))
            for kind, street in zip(kinds, streets)]


def _on_street(kind: str, street: str) -> str:
    return _("{kind} on {street}").format(kind=kind or _("place"), street=street)


def _is_name(name: object, kind: str) -> bool:
    text = "" if name is None else str(name).strip()
    return bool(text) and text.lower() not in _EMPTY and not _OSM_ID.match(text) \
        and text.lower() != kind.lower() and text.lower() != "building"


def place_labels(frame: gpd.GeoDataFrame) -> list[str]:
    """The label of each place: its name; else its kind and street; else its kind (or
    "place") at its coordinates."""
    coords = coordinates(frame.geometry)
    names = frame["name"] if "name" in frame else [""] * len(frame)
    out = []
    for name, (kind, street), where in zip(names, _kinds(frame), coords):
        if _is_name(name, kind):
            out.append(str(name))
        elif street:
            out.append(_on_street(kind, street))
        else:
            out.append(_("{kind} at {where}").format(kind=kind or _("place"), where=where))
    return out


def station_labels(stations: gpd.GeoDataFrame) -> dict[str, str]:
    """``{id: "S2 成府路驿站"}`` for the stations' tooltips and the demand popups."""
    return {str(i): f"{i} {n}" if str(n).strip() and str(n) != str(i) else str(i)
            for i, n in zip(stations["id"].astype(str), stations["name"].astype(str))}


def nearest_texts(demand: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> np.ndarray:
    """The nearest station of each place as ``S2 name`` (``-`` when none is reachable)."""
    labels = station_labels(stations)
    return np.asarray([labels.get(str(s), str(s)) if str(s) else "-"
                       for s in demand["nearest_station"]], dtype=object)
