"""Shared by the bench scripts: the machine's description and the JSON/CSV result files."""

from __future__ import annotations

import csv
import json
import os
import platform
from pathlib import Path


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def write(out: Path, name: str, rows: list[dict], **extra) -> dict:
    """bench/results/<name>.json (machine, rows, extras) and <name>.csv; returns the machine."""
    info = machine()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps({"machine": info, "rows": rows, **extra},
                                                 indent=2))
    with (out / f"{name}.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    return info


def data_dir() -> Path:
    """The benchmark extracts: $PLANNER_BENCH_DATA, else shared/data/osm/bench above the repo."""
    if os.environ.get("PLANNER_BENCH_DATA"):
        return Path(os.environ["PLANNER_BENCH_DATA"])
    here = Path(__file__).resolve().parent
    for parent in here.parents:
        candidate = parent / "shared" / "data" / "osm" / "bench"
        if candidate.is_dir():
            return candidate
    return here.parent.parent / "shared" / "data" / "osm" / "bench"
