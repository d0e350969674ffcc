"""Check input layers against a network and say what is wrong, without running an analysis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.data import layers
from planner.data import network as network_stage
from planner.apps._inputs import layer_paths
from planner.errors import PlannerError
from planner.settings import Travel

__all__ = ["Finding", "check"]


@dataclass(frozen=True)
class Finding:
    """One line of the check: ``level`` is ``ok``, ``warning`` or ``error``."""

    level: str
    subject: str
    message: str

    def __str__(self) -> str:
        mark = {"ok": "ok  ", "warning": "WARN", "error": "FAIL"}[self.level]
        return f"[{mark}] {self.subject}: {self.message}"


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
    """Every problem found in the network and the layers (errors and warnings), in order."""
    findings: list[Finding] = []
    try:
        _, paths = layer_paths(source, stations=stations, demand=demand, candidates=candidates)
        net = network_stage.load_network(source)
    except PlannerError as exc:
        return [Finding("error", "network", str(exc))]
    findings.append(Finding("ok", "network", f"{net.name}: {net.n_nodes:,} nodes, "
                                             f"{net.seg_length.sum() / 1000:,.1f} km of streets"))
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
        findings.append(Finding("ok", role, f"{len(frame)} points read from {path}"))
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
    for mode in modes:
        try:
            street = net.graph(Travel(mode, max_snap_m=max_snap_m))
        except PlannerError as exc:
            findings.append(Finding("error", f"{mode} network", str(exc)))
            continue
        share = street.dropped_nodes / max(1, street.dropped_nodes + street.n_nodes)
        findings.append(Finding(
            "warning" if share > 0.05 else "ok", f"{mode} network",
            f"{street.n_nodes:,} nodes in the largest connected part; {street.dropped_nodes:,} "
            f"nodes ({share:.1%}) in disconnected pieces are left out"))
        for role, frame in frames.items():
            try:
                layers.check_area(frame, street, role=role)
            except PlannerError as exc:
                findings.append(Finding("error", role, str(exc)))
                continue
            snapped = layers.snap(frame, street)
            off = np.flatnonzero(~snapped.on_network)
            if off.size == len(frame) and role == "stations":
                findings.append(Finding("error", f"{role} ({mode})", f"all {len(frame)} are "
                                        f"farther than {max_snap_m:g} m from a usable street"))
            elif off.size:
                ids = ", ".join(frame["id"].astype(str).iloc[off[:8]])
                findings.append(Finding("warning", f"{role} ({mode})",
                                        f"{off.size} point(s) farther than {max_snap_m:g} m from "
                                        f"a usable street, left out: {ids}"
                                        + (" ..." if off.size > 8 else "")))
            else:
                far = float(np.max(snapped.offset_m))
                findings.append(Finding("ok", f"{role} ({mode})",
                                        f"all on the network (farthest {far:.0f} m from a street)"))
    return findings
