"""Readable labels for places and stations on the maps: a name, else kind and street, else
coordinates; never a raw OSM id."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np

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
    return [f"{abs(p.y):.5f} {'N' if p.y >= 0 else 'S'}, {abs(p.x):.5f} "
            f"{'E' if p.x >= 0 else 'W'}" for p in geometry]


def kind_texts(frame: gpd.GeoDataFrame) -> list[str]:
    """Kind and street of each place (``restaurant on 成府路``), empty when unknown."""
    kinds = frame["kind"] if "kind" in frame else [""] * len(frame)
    streets = frame["street"] if "street" in frame else [""] * len(frame)
    out = []
    for kind, street in zip(kinds, streets):
        text = _kind_text(kind)
        street = "" if street is None or str(street).lower() in _EMPTY else str(street)
        out.append(f"{text or 'place'} on {street}" if street else text)
    return out


def _is_name(name: object, kind: str) -> bool:
    text = "" if name is None else str(name).strip()
    return bool(text) and text.lower() not in _EMPTY and not _OSM_ID.match(text) \
        and text.lower() != kind.lower() and text.lower() != "building"


def place_labels(frame: gpd.GeoDataFrame) -> list[str]:
    """The label of each place: its name; else its kind and street; else its kind (or
    "place") at its coordinates."""
    kinds = kind_texts(frame)
    coords = coordinates(frame.geometry)
    names = frame["name"] if "name" in frame else [""] * len(frame)
    out = []
    for name, kind, where in zip(names, kinds, coords):
        if _is_name(name, _kind_text(kind.split(" on ")[0]) if kind else ""):
            out.append(str(name))
        elif " on " in kind:
            out.append(kind)
        else:
            out.append(f"{kind or 'place'} at {where}")
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
