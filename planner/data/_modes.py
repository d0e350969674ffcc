"""Which streets each travel mode may use, in which direction, and how fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csgraph, csr_matrix

from planner.data._osm import (
    ACCESS_NO, BIKE_CONTRAFLOW, BIKE_NO, BIKE_YES, FOOT_NO, FOOT_YES, HIGHWAY_CODE, HIGHWAYS,
    MOTOR_NO,
)
from planner.errors import NetworkError
from planner.settings import Travel

if TYPE_CHECKING:  # pragma: no cover
    from planner.data.network import Network


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


def permissions(network: "Network", mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def street_arrays(network: "Network", travel: Travel) -> dict[str, object]:
    """The arrays of a mode's street graph: every usable segment, nothing cut away.

    One-way streets are open against their direction only where the mode may go that way
    (contraflow tags), or, when ``travel.pushes`` is on, at ``travel.push_kmh``: the rider
    gets off and pushes the bike along the pavement. ``node_piece`` labels the pieces of
    network that are connected when direction is ignored (0 = the largest).
    """
    allowed, forward, backward = permissions(network, travel.mode)
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
    if travel.pushes:
        push_s = network.seg_length / (float(travel.push_kmh) / 3.6)
        fwd_s = np.where(allowed & ~forward, push_s, fwd_s)
        bwd_s = np.where(allowed & ~backward, push_s, bwd_s)
    keep_seg = np.flatnonzero(np.isfinite(fwd_s) | np.isfinite(bwd_s))
    if keep_seg.size == 0:
        raise NetworkError(
            f"network {network.name!r} has no streets usable {travel.spec.label} "
            f"(mode {travel.mode!r}); choose another mode or a larger extract"
        )
    n = network.n_nodes
    touched = np.zeros(n, dtype=bool)
    touched[network.seg_u[keep_seg]] = touched[network.seg_v[keep_seg]] = True
    node_index = np.flatnonzero(touched)
    local = np.full(n, -1, dtype=np.int64)
    local[node_index] = np.arange(node_index.size)
    seg_u = local[network.seg_u[keep_seg]].astype(np.int32)
    seg_v = local[network.seg_v[keep_seg]].astype(np.int32)
    return {
        "node_index": node_index,
        "node_x": network.node_x[node_index],
        "node_y": network.node_y[node_index],
        "seg_index": keep_seg,
        "seg_u": seg_u,
        "seg_v": seg_v,
        "seg_length": network.seg_length[keep_seg],
        "seg_fwd_s": fwd_s[keep_seg],
        "seg_bwd_s": bwd_s[keep_seg],
        "node_piece": pieces(seg_u, seg_v, node_index.size),
    }


def pieces(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Label per node of the pieces connected ignoring direction, largest first (0)."""
    links = csr_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, labels = csgraph.connected_components(links, directed=False)
    sizes = np.bincount(labels)
    rank = np.empty(sizes.size, dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(sizes.size)
    return rank[labels].astype(np.int32)
