"""`planner coverage` end to end, as a user runs it, against the bare searches it needs.

    python bench/bench_e2e.py                      # Heidelberg case + 200,000 places walk
    python bench/bench_e2e.py --quick              # one timed run, 50,000 places
    python bench/bench_e2e.py --profile            # + cProfile top-20 (cumulative, own time)
    python bench/bench_e2e.py --checkout /work/main --tag before   # measure another checkout
    python bench/bench_e2e.py --against /work/main --against-tag main --tag after
                                                   # two checkouts, runs alternating

Cases (the Heidelberg extract, inputs generated deterministically into a temp folder the way
bench_city.py does: stations on street nodes, weighted places along the streets):

* ``heidelberg``: 50 stations, 5,000 weighted places, e-bike and walk, 5/10/15 minutes,
  per-station isochrones (the CLI's defaults), map + report;
* ``places``: 200,000 weighted places (``--big-places``), walk, 50 stations.

Each run is ``python -m planner coverage ...`` in a fresh child process with the checkout on
PYTHONPATH and its own network cache: one warm-up run (builds the caches: network, street
lines, outlines, and the checkout's bytecode, kept under the cache folder as an installed
package has it), then ``--runs`` timed runs; wall time, CPU time (user + system) and the
child's own peak RSS (``os.wait4`` via bench/_proc.py) and the sizes of the map and the
report. With ``--against`` a second checkout's runs alternate with this one's, so both see
the same load. The *kernel* row is the bounded multi-source Dijkstra
(``traveltime.time_to_nearest``, 15 min) per mode on the same inputs, in its own child process,
in the same run: the ratio whole command / kernel is what issue 15 wants close to 1.
Results: bench/results/e2e[-TAG].{json,csv}; profile in bench/results/e2e-profile[-TAG].txt.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _proc  # bench/_proc.py (the script's own folder is on sys.path)
import _results
import numpy as np

HERE = Path(__file__).resolve().parent
PBF = _results.data_dir() / "heidelberg.osm.pbf"


# --------------------------------------------------------------------------- inputs


def write_inputs(folder: Path, pbf: Path, *, stations: int, places: list[int]) -> dict:
    """stations.csv and places-<n>.csv (id, lon, lat, weight), deterministic seeds."""
    from pyproj import Transformer

    import planner
    from planner.settings import Travel

    street = planner.load_network(str(pbf)).graph(Travel("ebike"))
    to_lonlat = Transformer.from_crs(street.crs, "EPSG:4326", always_xy=True).transform
    rng = np.random.default_rng(1)
    nodes = rng.choice(street.n_nodes, stations, replace=False)
    lon, lat = to_lonlat(street.node_x[nodes], street.node_y[nodes])
    paths = {"stations": folder / "stations.csv"}
    _write_csv(paths["stations"], [f"S{i}" for i in range(stations)], lon, lat, None)
    for count in places:
        rng = np.random.default_rng(3)
        seg = rng.choice(street.n_segments, count, p=street.seg_length / street.seg_length.sum())
        t = rng.random(count)
        ux, uy = street.node_x[street.seg_u[seg]], street.node_y[street.seg_u[seg]]
        vx, vy = street.node_x[street.seg_v[seg]], street.node_y[street.seg_v[seg]]
        x = ux + t * (vx - ux) + rng.uniform(-25, 25, count)
        y = uy + t * (vy - uy) + rng.uniform(-25, 25, count)
        lon, lat = to_lonlat(x, y)
        paths[count] = folder / f"places-{count}.csv"
        _write_csv(paths[count], [f"P{i}" for i in range(count)], lon, lat,
                   rng.integers(1, 21, count))
    return paths


def _write_csv(path: Path, ids, lon, lat, weights) -> None:
    with path.open("w") as handle:
        handle.write("id,lon,lat" + (",weight\n" if weights is not None else "\n"))
        for i, row in enumerate(zip(ids, lon, lat)):
            extra = f",{weights[i]}" if weights is not None else ""
            handle.write(f"{row[0]},{row[1]:.7f},{row[2]:.7f}{extra}\n")


# --------------------------------------------------------------------------- runs


def _env(args) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(args.checkout)
    env["PLANNER_CACHE_DIR"] = str(args.cache_dir)
    # as installed: bytecode cached (pip compiles it; a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 compiles every module on every run, ~0.15 s here), kept
    # beside the cache, not in the checkout
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(args.cache_dir / "pycache")
    return env


def coverage_command(args, paths: dict, places: int, modes: list[str], out: Path,
                     *, profile: Path | None = None) -> list[str]:
    head = [sys.executable]
    if profile:
        head += ["-m", "cProfile", "-o", str(profile)]
    command = head + ["-m", "planner", "coverage", "-n", str(args.pbf),
                      "-s", str(paths["stations"]), "-d", str(paths[places]),
                      "--map", str(out / "map.html"), "--report", str(out / "report.json")]
    for mode in modes:
        command += ["-m", mode]
    return command


def _sizes(out: Path) -> dict:
    files = [p for p in out.rglob("*") if p.is_file()]
    sizes = {"map_mb": 0.0, "report_mb": 0.0, "other_mb": 0.0}
    for path in files:
        key = ("map_mb" if path.name == "map.html" else
               "report_mb" if path.name == "report.json" else "other_mb")
        sizes[key] += path.stat().st_size / 2**20
    return {k: round(v, 2) for k, v in sizes.items()}


def time_case(arms: list, paths, name: str, places: int, modes: list[str],
              folder: Path) -> list[dict]:
    """One warm-up run then ``runs`` timed runs of the CLI per arm (a checkout with its own
    cache), each in a fresh process; with two arms the runs alternate (A B A B ...), so a
    shared machine's load falls on both alike. One row per arm."""
    runs: list[list] = [[] for _ in arms]
    failed: dict[int, str] = {}
    for attempt in range(1 + arms[0].runs):
        for k, arm in enumerate(arms):
            if k in failed:
                continue
            out = folder / f"out-{name}-{k}-{attempt}"
            out.mkdir()
            child = _proc.run(coverage_command(arm, paths, places, modes, out),
                              env=_env(arm), cwd=str(folder), timeout_s=arm.timeout)
            if child.returncode != 0:
                tail = " | ".join((child.stderr or child.stdout).strip().splitlines()[-3:])
                failed[k] = f"failed (exit {child.returncode}): {tail[:400]}"
                continue
            runs[k].append((child, _sizes(out)))
            print(f"  {name} [{arm.tag or arm.checkout.name}] run {attempt}: "
                  f"{child.wall_s:.2f} s wall, {child.cpu_s:.2f} s CPU, {child.peak_mb:.0f} MB"
                  f"{' (warm-up)' if attempt == 0 else ''}  [load {_proc.load()}]", flush=True)
    return [{"case": name, "status": failed[k]} if k in failed else
            _summary(arm, runs[k], name, places, modes) for k, arm in enumerate(arms)]


def _summary(arm, runs: list, name: str, places: int, modes: list[str]) -> dict:
    timed = runs[1:] or runs
    walls = [c.wall_s for c, _ in timed]
    cpus = [c.cpu_s for c, _ in timed]
    return {"case": name, "places": places, "stations": arm.stations,
            "modes": "+".join(modes), "status": "ok", "warmup_s": round(runs[0][0].wall_s, 2),
            "wall_s": round(min(walls), 2), "wall_median_s": round(statistics.median(walls), 2),
            "cpu_s": round(min(cpus), 2), "cpu_median_s": round(statistics.median(cpus), 2),
            "runs": len(walls), "peak_mb": round(max(c.peak_mb for c, _ in timed)),
            **timed[-1][1], "load": _proc.load()}


def time_kernel(args, paths, places: int, modes: list[str]) -> dict:
    command = [sys.executable, __file__, "--kernel", "--stations-csv", str(paths["stations"]),
               "--places-csv", str(paths[places]), "--pbf", str(args.pbf),
               "--modes", ",".join(modes)]
    child = _proc.run(command, env=_env(args), timeout_s=args.timeout)
    result = child.result()
    if result is None:
        tail = " | ".join((child.stderr or child.stdout).strip().splitlines()[-3:])
        return {"status": f"failed: {tail[:400]}"}
    return {**result, "status": "ok", "kernel_peak_mb": round(child.peak_mb)}


def run_kernel(args) -> None:
    """Child: the bare searches the command needs, per mode (best of 5 after one warm-up)."""
    import planner
    from planner.data import layers
    from planner.engine import traveltime
    from planner.settings import Travel

    net = planner.load_network(str(args.pbf))
    stations = layers.read_stations(args.stations_csv)
    demand = layers.read_demand(args.places_csv)
    result = {}
    for mode in args.modes.split(","):
        street = net.graph(Travel(mode))
        graph = traveltime.build(street, {"stations": layers.snap(stations, street),
                                          "demand": layers.snap(demand, street)})
        best = np.inf
        for _ in range(6):
            start = time.perf_counter()
            traveltime.time_to_nearest(graph, graph.door("stations"), limit=15 * 60)
            best = min(best, time.perf_counter() - start)
        result[f"kernel_{mode}_s"] = round(best, 4)
    result["kernel_s"] = round(sum(result.values()), 4)
    print("RESULT " + json.dumps(result), flush=True)


def profile_case(args, paths, folder: Path) -> Path:
    import pstats

    out = folder / f"out-profile-{args.tag}"
    out.mkdir()
    stats_file = folder / f"coverage-{args.tag}.prof"
    child = _proc.run(coverage_command(args, paths, args.places, ["ebike", "walk"], out,
                                       profile=stats_file), env=_env(args), cwd=str(folder),
                      timeout_s=args.timeout)
    text = folder / f"profile-{args.tag}.txt"
    with text.open("w") as handle:
        handle.write(f"# planner coverage, Heidelberg case, {args.checkout}; wall "
                     f"{child.wall_s:.2f} s under cProfile; load {_proc.load()}\n")
        if stats_file.exists():
            stats = pstats.Stats(str(stats_file), stream=handle)
            handle.write(_phases(stats) + "\n")
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(25)  # where the time itself goes
        else:
            handle.write(child.stderr[-3000:])
    target = args.out / f"e2e-profile{'-' + args.tag if args.tag else ''}.txt"
    args.out.mkdir(parents=True, exist_ok=True)
    target.write_text(text.read_text())
    return target


PHASES = {"imports (all, also those inside the phases below)": ("<frozen importlib._bootstrap>",
                                                                "_find_and_load"),
          "loading": ("apps/cli/_options.py", "_load"),
          "analysis": ("apps/cli/coverage.py", "_analyse"),
          "map + report + tables": ("apps/cli/coverage.py", "_write"),
          "  map built": ("outputs/coverage_layers.py", "coverage_map"),
          "  map rendered": ("outputs/_page.py", "render"),
          "  files written": ("planner/_io.py", "write_all")}


def _phases(stats) -> str:
    """One line: total and the cumulative seconds of each phase of the command."""
    found = {}
    for (path, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        for phase, (where, function) in PHASES.items():
            if name == function and path.endswith(where):
                found[phase] = max(found.get(phase, 0.0), cumulative)
    parts = [f"{phase.strip()} {found[phase]:.2f} s" for phase in PHASES if phase in found]
    return f"# total {stats.total_tt:.2f} s; " + "; ".join(parts)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--checkout", type=Path, default=HERE.parent,
                        help="planner checkout to measure (default: this one)")
    parser.add_argument("--tag", default="", help="suffix of the result files, e.g. before")
    parser.add_argument("--against", type=Path,
                        help="another checkout, timed in alternation with this one")
    parser.add_argument("--against-tag", default="", help="its tag in the rows (e.g. main)")
    parser.add_argument("--pbf", type=Path, default=PBF)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--places", type=int, default=5_000)
    parser.add_argument("--big-places", type=int)
    parser.add_argument("--runs", type=int)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "planner-bench-cache")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--kernel", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stations-csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--places-csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--modes", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kernel:
        run_kernel(args)
        return
    args.checkout = args.checkout.resolve()
    args.big_places = args.big_places or (50_000 if args.quick else 200_000)
    args.runs = args.runs or (1 if args.quick else 3)
    # a separate cache per checkout: cache formats may differ between versions
    root = args.cache_dir
    args.cache_dir = root / (args.tag or args.checkout.name)
    arms = [args]
    if args.against:
        other = argparse.Namespace(**vars(args))
        other.checkout = args.against.resolve()
        other.tag = args.against_tag or other.checkout.name
        other.cache_dir = root / other.tag
        arms.append(other)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:
        folder = Path(folder)
        sizes = [args.places] + ([] if args.skip_big else [args.big_places])
        paths = write_inputs(folder, args.pbf, stations=args.stations, places=sizes)
        cases = [("heidelberg", args.places, ["ebike", "walk"])]
        if not args.skip_big:
            cases.append((f"places-{args.big_places}", args.big_places, ["walk"]))
        for name, places, modes in cases:
            for arm, row in zip(arms, time_case(arms, paths, name, places, modes, folder)):
                row.update({"bench": "e2e", "checkout": str(arm.checkout), "tag": arm.tag})
                kernel = time_kernel(arm, paths, places, modes)
                if kernel.pop("status") == "ok" and row["status"] == "ok":
                    row.update(kernel, vs_kernel=round(row["wall_s"] / kernel["kernel_s"], 1))
                rows.append(row)
                print({k: v for k, v in row.items() if k != "load"}, flush=True)
        if args.profile:
            for arm in arms:
                print(f"profile: {profile_case(arm, paths, folder)}")
    name = "e2e" + (f"-{args.tag}" if args.tag else "")
    _results.write(args.out, name, rows, load=_proc.load())
    for r in rows:
        print(f"{r['case']:<16} [{r.get('tag') or Path(r.get('checkout', '')).name}] "
              f"{r.get('wall_s', '-')!s:>7} s  CPU {r.get('cpu_s', '-')} s  "
              f"{r.get('peak_mb', '-')!s:>6} MB  "
              f"map {r.get('map_mb', '-')} MB  report {r.get('report_mb', '-')} MB  "
              f"kernel {r.get('kernel_s', '-')} s  x{r.get('vs_kernel', '-')}  {r['status']}")
    print(f"machine load: {_proc.load()}")


if __name__ == "__main__":
    main()
