"""Batch on Dask: the same districts on a local cluster of 1 and of 2 workers, one run.

    pip install -e ".[bench]"
    python bench/bench_batch.py [--districts 8] [--quick]

Districts are counties cut out of one extract by bbox (the Heidelberg extract in
../shared/data/osm/bench, as a province .pbf would be used), each with generated stations and
demand; analysis: 15-minute e-bike coverage + MCLP proposals (k = 3, intersections).
Asserts both runs give the same table, then reports the times and the speed-up as measured
(also when it is poor: on a 2-core machine shared with other work it can be well under 2x).
``startup_s`` is the time to start the local cluster; ``busy_s`` the sum of the districts' own
seconds (busy_s / seconds = how many districts ran at once on average).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import _proc
import _results  # bench/_results.py (the script's own folder is on sys.path)

HERE = Path(__file__).resolve().parent
PBF = _results.data_dir() / "heidelberg.osm.pbf"


def make_districts(folder: Path, count: int, demand_n: int = 3000) -> dict:
    import sys

    sys.path.insert(0, str(HERE))
    from bench_city import node_points, points_on_streets

    from planner.data import network
    from planner.settings import Travel

    districts = []
    west, south = 8.60, 49.36
    for i in range(4 * ((count + 3) // 4) + 8):  # spare tiles where one is empty
        if len(districts) == count:
            break
        col, row = i % 4, i // 4
        bbox = [west + col * 0.06, south + row * 0.05, west + (col + 1) * 0.06,
                south + (row + 1) * 0.05]
        try:
            net = network.from_file(PBF, bbox=bbox, name=f"county-{i}")
        except Exception:
            continue
        street = net.graph(Travel("ebike"))
        if street.n_nodes < 500:
            continue
        stations, _ = node_points(street, 4, seed=i)
        demand = points_on_streets(street, demand_n, seed=100 + i)
        stations.to_file(folder / f"stations-{i}.geojson")
        demand.to_file(folder / f"demand-{i}.geojson")
        districts.append({"name": f"county-{i}", "network": str(PBF), "bbox": bbox,
                          "stations": str(folder / f"stations-{i}.geojson"),
                          "demand": str(folder / f"demand-{i}.geojson")})
    if len(districts) < count:
        raise SystemExit(f"only {len(districts)} usable districts in {PBF}; need {count}")
    return {"title": "bench counties", "districts": districts,
            "defaults": {"mode": "ebike", "minutes": [10, 15],
                         "analysis": ["coverage", "proposals"],
                         "propose": {"k": 3, "candidate_sources": ["intersections"]}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--districts", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="1,000 places per district")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    from planner.apps import batch

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        spec = batch.parse(make_districts(folder, args.districts,
                                          1000 if args.quick else 3000))
        rows, tables = [], []
        for workers in (1, 2):
            # a fresh cache per run: both runs parse their networks and build their matrices
            os.environ["PLANNER_CACHE_DIR"] = str(folder / f"cache-{workers}")
            started = []
            start = time.perf_counter()
            result = batch.run(spec, folder / f"out-{workers}", n_workers=workers, force=True,
                               on_start=lambda client: started.append(time.perf_counter()))
            seconds = time.perf_counter() - start
            assert not result.failed, result.failed
            table = result.table()
            tables.append(table.drop(columns=["seconds", "status"]))
            rows.append({"bench": "batch", "workers": workers, "districts": len(spec.districts),
                         "seconds": round(seconds, 2),
                         "startup_s": round(started[0] - start, 2) if started else None,
                         "busy_s": round(float(table["seconds"].sum()), 2),
                         "load": _proc.load()})
            print(rows[-1], flush=True)
        assert tables[0].equals(tables[1]), "1 and 2 workers disagree"
    speedup = rows[0]["seconds"] / rows[1]["seconds"]
    for row in rows:
        row["speedup"] = round(rows[0]["seconds"] / row["seconds"], 2)
    print(f"\n{len(spec.districts)} districts: 1 worker {rows[0]['seconds']} s, "
          f"2 workers {rows[1]['seconds']} s, speed-up {speedup:.2f}x on {os.cpu_count()} cores"
          f" (machine load {_proc.load()})")
    _results.write(args.out, "batch", rows, speedup=speedup, load=_proc.load())


if __name__ == "__main__":
    main()
