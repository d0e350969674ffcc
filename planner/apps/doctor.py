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

from planner import i18n
from planner.analysis import coverage
from planner.apps._inputs import layer_paths
from planner.data import layers
from planner.data import network as network_stage
from planner.engine import traveltime
from planner.errors import PlannerError
from planner.i18n import N_
from planner.settings import Travel

__all__ = ["Finding", "check", "LEVELS", "WIDTH"]

#: Severity levels, most severe first: ``error`` must be fixed (exit 2), ``warning`` changes
#: the results (places or sites lost), ``info`` is for the record.
LEVELS = ("error", "warning", "info")
#: Lines of :meth:`Finding.lines` fit this many terminal columns (wide CJK glyphs count 2).
WIDTH = 100

_MARKS = {"error": N_("FAIL"), "warning": N_("WARN"), "info": N_("info")}
_ROLES = {"network": N_("network"), "stations": N_("stations"), "demand": N_("demand"),
          "candidates": N_("candidates")}
_FIX = {
    "far_from_street": N_("check their coordinates; if they lie at the extract's edge, "
                          "widen it"),
    "no_path": N_("widen the extract so these streets join the rest, or add a station there"),
    "one_way": N_("check the oneway tags of the streets named, or widen the extract if "
                  "one-way streets leave it (pushing is on by default for e-bikes: "
                  "Travel(push_oneway))"),
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
        return _wrap(f"[{i18n._(_MARKS[self.level])}] {_subject(self.subject)}"
                     f"{i18n._(': ')}{self.message}", width)

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
    lang: str | None = None,
) -> list[Finding]:
    """Every problem found in the network and the layers, most important per topic first;
    messages in ``lang`` (None: the language in effect; subjects stay machine keys)."""
    with i18n.language(lang):
        return _check(source, stations=stations, demand=demand, candidates=candidates,
                      weight_column=weight_column, modes=modes, max_snap_m=max_snap_m)


def _fix(key: str) -> str:
    """What to do about the problem ``key``, in the current language."""
    return i18n._(_FIX[key])


def _subject(subject: str) -> str:
    """A finding's subject (``demand (walk)``, ``walk network``) in the current language."""
    role, _sep, mode = subject.partition(" (")
    if mode.endswith(")") and role in _ROLES:
        return i18n._("{role} ({mode})").format(role=i18n._(_ROLES[role]),
                                                 mode=i18n.mode_name(mode[:-1]))
    if subject.endswith(" network") and subject != "network":
        return i18n._("{mode} network").format(mode=i18n.mode_name(subject[:-8]))
    return i18n._(_ROLES[subject]) if subject in _ROLES else subject


def _check(source, *, stations, demand, candidates, weight_column, modes,
           max_snap_m) -> list[Finding]:
    findings: list[Finding] = []
    try:
        _, paths = layer_paths(source, stations=stations, demand=demand, candidates=candidates)
        net = network_stage.load_network(source)
    except PlannerError as exc:
        return [Finding("error", "network", str(exc))]
    findings.append(Finding("info", "network", i18n._(
        "{name}: {nodes} nodes, {km} km of streets").format(
        name=net.name, nodes=f"{net.n_nodes:,}", km=f"{net.seg_length.sum() / 1000:,.1f}")))
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
                findings.append(Finding("error", role, i18n._(
                    "no {role} layer given (--{option} PATH)").format(
                    role=i18n._(_ROLES[role]), option=role)))
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
        findings.append(Finding("info", role, i18n._("{n} points read from {path}").format(
            n=len(frame), path=path)))
        xy = np.round(np.column_stack([frame.geometry.x, frame.geometry.y]), 6)
        _, counts = np.unique(xy, axis=0, return_counts=True)
        if (counts > 1).any():
            findings.append(Finding("warning", role, i18n._(
                "{n} location(s) hold more than one point").format(n=int((counts > 1).sum()))))
    if "demand" in frames:
        weight = frames["demand"]["weight"].to_numpy()
        if weight.max() > 100 * np.median(weight):
            findings.append(Finding("warning", "demand", i18n._(
                "weights range {low}..{high}: the largest is over 100x the median; check the "
                "units").format(low=f"{weight.min():g}", high=f"{weight.max():g}")))
    return frames


def _network_finding(street) -> Finding:
    """How the mode's network hangs together: pieces, and one-way dead ends."""
    travel = street.travel
    stray = float(np.mean(street.node_piece != 0))
    text = i18n._("{nodes} nodes usable {how}, all kept; {pieces} stray piece(s) not joined to "
                  "the main network ({share} of nodes)").format(
        nodes=f"{street.n_nodes:,}", how=i18n._(travel.spec.label),
        pieces=f"{street.n_pieces - 1:,}", share=f"{stray:.1%}")
    if travel.pushes:
        text += i18n._("; one-way streets may be pushed against at {speed}").format(
            speed=i18n.fmt_speed(travel.push_kmh))
    elif travel.spec.respects_oneway:
        fwd, bwd = np.isfinite(street.seg_fwd_s), np.isfinite(street.seg_bwd_s)
        u, v = street.seg_u, street.seg_v
        arcs = csr_matrix((np.ones(int(fwd.sum() + bwd.sum())),
                           (np.concatenate([u[fwd], v[bwd]]), np.concatenate([v[fwd], u[bwd]]))),
                          shape=(street.n_nodes, street.n_nodes))
        _, label = connected_components(arcs, directed=True, connection="strong")
        trapped = 1.0 - np.bincount(label).max() / max(1, street.n_nodes)
        text += i18n._("; {share} of nodes can be left or entered only against one-way rules "
                       "(one-way streets cut at the extract's edge end there)").format(
            share=f"{trapped:.1%}")
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
        findings.append(Finding("error", f"stations ({mode})", i18n._(
            "all {n} are farther than {metres} m from a street usable by this mode; check "
            "their coordinates").format(n=len(frames["stations"]),
                                        metres=f"{street.travel.max_snap_m:g}")))
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
            i18n._("{n} of {total} farther than {metres} m from a usable street, left out: "
                   "{names}; {fix}").format(
                n=off.size, total=len(frame), metres=f"{street.travel.max_snap_m:g}",
                names=_names(frame, off), fix=_fix("far_from_street"))))
    if stray.size:
        findings.append(Finding(
            "warning", f"{role} ({mode})",
            i18n._("{n} of {total} on stray pieces of network: {names} (near {streets}); "
                   "{fix}").format(n=stray.size, total=len(frame), names=_names(frame, stray),
                                   streets=_streets(street, snapped, stray),
                                   fix=_fix("no_path"))))
    if not off.size and not stray.size:
        far = float(np.max(snapped.offset_m)) if len(frame) else 0.0
        findings.append(Finding("info", f"{role} ({mode})", i18n._(
            "all {n} on the network (farthest {metres} m from a street)").format(
            n=len(frame), metres=f"{far:.0f}")))


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
        near = "" if key == "far_from_street" else i18n._(" (near {streets})").format(
            streets=_streets(street, snapped, rows))
        findings.append(Finding(
            "warning", f"demand ({mode})",
            i18n._("{n} of {total} places ({share} of the weight) cannot reach a station, "
                   "{meaning}: {names}{near}; {fix}").format(
                n=rows.size, total=len(frame), share=f"{weight[rows].sum() / weight.sum():.1%}",
                meaning=i18n._(meaning), names=_names(frame, rows), near=near,
                fix=_fix(key))))
    if not (cause != "").any():
        far = float(np.max(snapped.offset_m))
        findings.append(Finding("info", f"demand ({mode})", i18n._(
            "all {n} places reach a station (farthest {metres} m from a street)").format(
            n=len(frame), metres=f"{far:.0f}")))


def _names(frame, rows: np.ndarray, most: int = 4) -> str:
    """The places' names, most common first, e.g. '贵溪五中, building x12'."""
    counts = Counter(frame["name"].astype(str).iloc[rows])
    parts = [name if n == 1 else f"{name} x{n}" for name, n in counts.most_common(most)]
    rest = len(counts) - most
    return i18n._(", ").join(parts) + (i18n._(" and {n} more").format(n=rest) if rest > 0
                                        else "")


def _streets(street, snapped, rows: np.ndarray, most: int = 3) -> str:
    """Names of the streets the points are snapped to ('unnamed street' when untagged)."""
    segs = snapped.segment[rows]
    names = [street.network.street_name(int(street.seg_index[s])) or i18n._("unnamed street")
             for s in segs[segs >= 0]]
    common = [name for name, _ in Counter(names).most_common(most)]
    return i18n._(", ").join(common) if common else i18n._("no street")


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

