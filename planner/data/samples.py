"""The bundled sample districts in ``layers/``: their street networks and input layers."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError

__all__ = ["Sample", "layers_dir", "list_samples", "get_sample", "resolve"]


@dataclass(frozen=True)
class Sample:
    """One bundled district: a street network file and its stations/demand/candidates layers."""

    name: str
    title: str
    folder: Path
    network: Path
    stations: Path | None
    demand: Path | None
    candidates: Path | None
    description: str
    attribution: str


def layers_dir() -> Path:
    """The ``layers/`` folder (``PLANNER_LAYERS_DIR`` overrides the one beside the package)."""
    override = os.environ.get("PLANNER_LAYERS_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "layers"


def list_samples() -> list[Sample]:
    """Every sample district found in :func:`layers_dir`, sorted by name."""
    root = layers_dir()
    if not root.is_dir():
        return []
    return [_read(meta) for meta in sorted(root.glob("*/sample.json"))]


def get_sample(name: str) -> Sample:
    """The bundled sample called ``name``; a clear error lists the ones that exist."""
    for sample in list_samples():
        if sample.name == name:
            return sample
    known = ", ".join(s.name for s in list_samples()) or f"none found in {layers_dir()}"
    raise InputError(f"no bundled sample called {name!r}; known samples: {known}")


def _read(meta_path: Path) -> Sample:
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    folder = meta_path.parent

    def optional(key: str) -> Path | None:
        return folder / meta[key] if meta.get(key) else None

    return Sample(
        name=folder.name,
        title=meta["title"],
        folder=folder,
        network=folder / meta["network"],
        stations=optional("stations"),
        demand=optional("demand"),
        candidates=optional("candidates"),
        description=meta.get("description", ""),
        attribution=meta.get("attribution", "© OpenStreetMap contributors, ODbL"),
    )


def resolve(source: object) -> Sample | None:
    """The sample a network source names, or None when it is a file path or ``place:...``."""
    text = str(source)
    path = Path(text).expanduser()
    if text.startswith(("place:", "bbox:", "point:")) or path.suffix or path.exists() or "/" in text or "\\" in text:
        return None
    return get_sample(text)
