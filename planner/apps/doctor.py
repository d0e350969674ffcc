"""Check input layers against a network and say what is wrong, without running an analysis."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from planner.analysis import coverage
from planner.apps._inputs import layer_paths
from planner.data import layers
from planner.data import network as network_stage
from planner.engine import traveltime
from planner.errors import PlannerError
from planner.settings import Travel

__all__ = ["Finding", "check", "LEVELS", "WIDTH"]

#: Severity levels, most severe first: ``error`` must be fixed (exit 2), ``warning`` changes
#: the results (places or sites lost), ``info`` is for the record.
LEVELS = ("error", "warning", "info")
#: Lines of :meth:`Finding.lines` fit this many terminal columns (wide CJK glyphs count 2).
WIDTH = 100

_MARKS = {"error": "FAIL", "warning": "WARN", "info": "info"}
_FIX = {
    "far_from_street": "check their coordinates; if they lie at the extract's edge, widen it",
    "no_path": "widen the extract so these streets join the rest, or add a station there",
    "one_way": "check the oneway tags of the streets named, or widen the extract if one-way "
               "streets leave it (pushing is on by default for e-bikes: Travel(push_oneway))",
}


@dataclass(frozen=True)
class Finding:
    """One result of the check: ``level`` is ``error``, ``warning`` or ``info``."""

    level: str
    subject: str
    message: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level {self.level!r}: use one of {', '.join(LEVELS)}")

    def lines(self, width: int = WIDTH) -> list[str]:
        """The finding wrapped to ``width`` terminal columns (continuations indented)."""
        return _wrap(f"[{_MARKS[self.level]}] {self.subject}: {self.message}", width)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def check(
    source: str | Path,
    *,
    stations: str | Path | None = None,
    demand: str | Path | None = None,
    candidates: str | Path | None = None,
    weight_column: str | None = None,
    modes: Sequence[str] = ("ebike", "walk"),
    max_snap_m: float = 250.0,
) -> list[Finding]:
    """Every problem found in the network and the layers, most important per topic first."""
    findings: list[Finding] = []
    try:
        _, paths = layer_paths(source, stations=stations, demand=demand, candidates=candidates)
        net = network_stage.load_network(source)
    except PlannerError as exc:
        return [Finding("error", "network", str(exc))]
    findings.append(Finding("info", "network", f"{net.name}: {net.n_nodes:,} nodes, "
                                               f"{net.seg_length.sum() / 1000:,.1f} km of streets"))
    frames = _read_layers(paths, weight_column, findings, net)
    for mode in modes:
        try:
            travel = Travel(mode, max_snap_m=max_snap_m)
            street = net.graph(travel)
        except PlannerError as exc:
            findings.append(Finding("error", f"{mode} network", str(exc)))
            continue
        findings.append(_network_finding(street))
        _check_mode(street, frames, findings)
    return findings


def _read_layers(paths, weight_column, findings: list[Finding], net) -> dict:
    frames = {}
    for role, path in paths.items():
        if path is None:
            if role != "candidates":
                findings.append(Finding("error", role, f"no {role} layer given (--{role} PATH)"))
            continue
        try:
            if role == "demand":  # a layer, osm:pickup|dropoff|all or a population raster
                from planner.data.demand_sources import resolve_demand

                frame = resolve_demand(path, net, weight_column=weight_column)
            else:
                frame = layers.read_layer(path, role=role, id_prefix=role[0].upper())
        except PlannerError as exc:
            findings.append(Finding("error", role, str(exc)))
            continue
        frames[role] = frame
        findings.append(Finding("info", role, f"{len(frame)} points read from {path}"))
        xy = np.round(np.column_stack([frame.geometry.x, frame.geometry.y]), 6)
        _, counts = np.unique(xy, axis=0, return_counts=True)
        if (counts > 1).any():
            findings.append(Finding("warning", role, f"{int((counts > 1).sum())} location(s) "
                                                     "hold more than one point"))
    if "demand" in frames:
        weight = frames["demand"]["weight"].to_numpy()
        if weight.max() > 100 * np.median(weight):
            findings.append(Finding("warning", "demand", f"weights range {weight.min():g}.."
                                    f"{weight.max():g}: the largest is over 100x the median; "
                                    "check the units"))
    return frames


def _network_finding(street) -> Finding:
    """How the mode's network hangs together: pieces, and one-way dead ends."""
    travel = street.travel
    stray = float(np.mean(street.node_piece != 0))
    text = (f"{street.n_nodes:,} nodes usable {travel.spec.label}, all kept; "
            f"{street.n_pieces - 1:,} stray piece(s) not joined to the main network "
            f"({stray:.1%} of nodes)")
    if travel.pushes:
        text += f"; one-way streets may be pushed against at {travel.push_kmh:g} km/h"
    elif travel.spec.respects_oneway:
        fwd, bwd = np.isfinite(street.seg_fwd_s), np.isfinite(street.seg_bwd_s)
        u, v = street.seg_u, street.seg_v
        arcs = csr_matrix((np.ones(int(fwd.sum() + bwd.sum())),
                           (np.concatenate([u[fwd], v[bwd]]), np.concatenate([v[fwd], u[bwd]]))),
                          shape=(street.n_nodes, street.n_nodes))
        _, label = connected_components(arcs, directed=True, connection="strong")
        trapped = 1.0 - np.bincount(label).max() / max(1, street.n_nodes)
        text += (f"; {trapped:.1%} of nodes can be left or entered only against one-way "
                 "rules (one-way streets cut at the extract's edge end there)")
    return Finding("info", f"{travel.mode} network", text)


def _check_mode(street, frames: dict, findings: list[Finding]) -> None:
    mode = street.travel.mode
    snapped = {}
    for role, frame in frames.items():
        try:
            layers.check_area(frame, street, role=role)
        except PlannerError as exc:
            findings.append(Finding("error", role, str(exc)))
            continue
        snapped[role] = layers.snap(frame, street)
    if "stations" in snapped and not snapped["stations"].on_network.any():
        findings.append(Finding("error", f"stations ({mode})", f"all {len(frames['stations'])} "
                                f"are farther than {street.travel.max_snap_m:g} m from a "
                                "street usable by this mode; check their coordinates"))
        return
    graph = traveltime.build(street, snapped)
    for role in snapped:
        if role == "demand" and "stations" in snapped:
            _demand_findings(street, graph, frames["demand"], snapped["demand"], findings)
        else:
            _placement_finding(street, role, frames[role], snapped[role], findings)


def _placement_finding(street, role: str, frame, snapped, findings: list[Finding]) -> None:
    mode = street.travel.mode
    off = np.flatnonzero(~snapped.on_network)
    on = snapped.on_network
    stray = np.flatnonzero(on)[street.seg_piece[snapped.segment[on]] != 0]
    if off.size:
        findings.append(Finding(
            "warning", f"{role} ({mode})",
            f"{off.size} of {len(frame)} farther than {street.travel.max_snap_m:g} m from a "
            f"usable street, left out: {_names(frame, off)}; {_FIX['far_from_street']}"))
    if stray.size:
        findings.append(Finding(
            "warning", f"{role} ({mode})",
            f"{stray.size} of {len(frame)} on stray pieces of network: "
            f"{_names(frame, stray)} (near {_streets(street, snapped, stray)}); "
            f"{_FIX['no_path']}"))
    if not off.size and not stray.size:
        far = float(np.max(snapped.offset_m)) if len(frame) else 0.0
        findings.append(Finding("info", f"{role} ({mode})", f"all {len(frame)} on the "
                                f"network (farthest {far:.0f} m from a street)"))


def _demand_findings(street, graph, frame, snapped, findings: list[Finding]) -> None:
    mode = street.travel.mode
    s_doors, d_doors = graph.door("stations"), graph.door("demand")
    seconds, _ = traveltime.time_to_nearest(graph, s_doors)
    d_seconds = np.where(d_doors >= 0, seconds[np.maximum(d_doors, 0)], np.inf)
    cause = coverage.unreachable_causes(graph, s_doors, d_doors, d_seconds)
    weight = frame["weight"].to_numpy(dtype=float)
    for key, meaning in coverage.CAUSES.items():
        rows = np.flatnonzero(cause == key)
        if not rows.size:
            continue
        near = "" if key == "far_from_street" else f" (near {_streets(street, snapped, rows)})"
        findings.append(Finding(
            "warning", f"demand ({mode})",
            f"{rows.size} of {len(frame)} places ({weight[rows].sum() / weight.sum():.1%} of "
            f"the weight) cannot reach a station, {meaning}: {_names(frame, rows)}{near}; "
            f"{_FIX[key]}"))
    if not (cause != "").any():
        far = float(np.max(snapped.offset_m))
        findings.append(Finding("info", f"demand ({mode})", f"all {len(frame)} places reach a "
                                f"station (farthest {far:.0f} m from a street)"))


def _names(frame, rows: np.ndarray, most: int = 4) -> str:
    """The places' names, most common first, e.g. '贵溪五中, building x12'."""
    counts = Counter(frame["name"].astype(str).iloc[rows])
    parts = [name if n == 1 else f"{name} x{n}" for name, n in counts.most_common(most)]
    rest = len(counts) - most
    return ", ".join(parts) + (f" and {rest} more" if rest > 0 else "")


def _streets(street, snapped, rows: np.ndarray, most: int = 3) -> str:
    """Names of the streets the points are snapped to ('unnamed street' when untagged)."""
    segs = snapped.segment[rows]
    names = [street.network.street_name(int(street.seg_index[s])) or "unnamed street"
             for s in segs[segs >= 0]]
    common = [name for name, _ in Counter(names).most_common(most)]
    return ", ".join(common) if common else "no street"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """Wrap at spaces so no line is wider than ``width`` columns (wide glyphs count 2)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = word if not line else f"{line} {word}"
        if line and _width(candidate) > width:
            lines.append(line)
            line = "       " + word
        else:
            line = candidate
    lines.append(line)
    out = []
    for line in lines:  # a single word longer than the width (a long path): cut it
        while _width(line) > width:
            cut = width
            while _width(line[:cut]) > width:
                cut -= 1
            out.append(line[:cut])
            line = "       " + line[cut:]
        out.append(line)
    return out

