"""City-scale benchmarks: ours vs the usual peers, each measured in the same run.

    pip install -e ".[bench]"
    python bench/bench_city.py                 # everything (about 5-10 minutes on 2 cores)
    python bench/bench_city.py --quick         # smaller counts, no osmnx XML build

Steps (Heidelberg extract from ../shared/data/osm/bench unless --pbf is given):
  1 network build from .osm.pbf (first build, cached reload) vs osmnx's XML reader
  2 15-minute coverage from 50 stations vs networkx ego_graph per station and networkx
    multi-source Dijkstra (same covered node set asserted)
  3 isochrone polygons, 50 stations x 3 thresholds (auto) vs our exact vector buffer, for
    e-bike and for walk
  4 candidate x demand matrix, 2,000 x 50,000, 15 min e-bike vs networkx per candidate
    (entries asserted equal on a sample of candidates)
  6 scale curve on generated street-like grids of 10k, 100k, 1M nodes
Each step runs in its own process so its peak memory (max RSS) is its own.
Results: terminal table, bench/results/city.json and city.csv.

    python bench/bench_city.py --many-stations 5000   # the whole `planner coverage`, 5,000
                                                      # stations, per-station outlines

runs the CLI end to end (a child process per run, network cache warm, outline cache empty)
with 5,000 stations on street nodes and 5,000 weighted places, walk and e-bike + walk, and
reports wall time, peak RSS and the map's size (bench/results/city-stations.json/.csv).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import _proc
import _results  # bench/_results.py (the script's own folder is on sys.path)
import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_PBF = _results.data_dir() / "heidelberg.osm.pbf"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


# --------------------------------------------------------------------------- networks


def load(source: str, nodes: int | None):
    import planner

    if nodes:
        return synthetic(nodes)
    return planner.load_network(source)


def synthetic(nodes: int, seed: int = 7):
    """A street-like network: a jittered grid, 10 % of streets missing, 15 % one-way."""
    from planner.data import network

    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(nodes)))
    ys, xs = np.divmod(np.arange(side * side), side)
    x = 400_000 + xs * 90.0 + rng.normal(0, 12, xs.size)
    y = 4_400_000 + ys * 90.0 + rng.normal(0, 12, ys.size)
    index = np.arange(side * side).reshape(side, side)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    keep = rng.random(u.size) > 0.10
    u, v = u[keep], v[keep]
    oneway = np.where(rng.random(u.size) < 0.15, rng.choice([-1, 1], u.size), 0)
    return network.from_segments(x, y, u, v, oneway=oneway, name=f"grid-{side * side}")


def points_on_streets(street, count: int, seed: int, spread_m: float = 25.0):
    """Random points along the streets (length-weighted), a little off the kerb, as lon/lat."""
    from pyproj import Transformer

    from planner.data import layers

    rng = np.random.default_rng(seed)
    p = street.seg_length / street.seg_length.sum()
    seg = rng.choice(street.n_segments, count, p=p)
    t = rng.random(count)
    x = street.node_x[street.seg_u[seg]] + t * (street.node_x[street.seg_v[seg]]
                                                - street.node_x[street.seg_u[seg]])
    y = street.node_y[street.seg_u[seg]] + t * (street.node_y[street.seg_v[seg]]
                                                - street.node_y[street.seg_u[seg]])
    x += rng.uniform(-spread_m, spread_m, count)
    y += rng.uniform(-spread_m, spread_m, count)
    lon, lat = Transformer.from_crs(street.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return layers.points_from_lonlat(list(zip(lon, lat)))


def node_points(street, count: int, seed: int):
    from pyproj import Transformer

    from planner.data import layers

    rng = np.random.default_rng(seed)
    nodes = rng.choice(street.n_nodes, count, replace=False)
    lon, lat = Transformer.from_crs(street.crs, "EPSG:4326", always_xy=True).transform(
        street.node_x[nodes], street.node_y[nodes])
    return layers.points_from_lonlat(list(zip(lon, lat))), nodes


# --------------------------------------------------------------------------- steps


def step_build(args) -> dict:
    from planner.data import network
    from planner.settings import Settings

    with tempfile.TemporaryDirectory() as cache:
        settings = Settings(cache_dir=Path(cache))
        net, first = timed(network.from_file, args.pbf, settings=settings)
        _, reload = timed(network.from_file, args.pbf, settings=settings)
    row = {"step": "1 network build", "size": f"{net.n_nodes} nodes / {net.n_segments} segs",
           "ours_s": round(first, 2), "ours_cached_s": round(reload, 3)}
    if not args.quick:
        import osmium
        import osmnx as ox

        with tempfile.TemporaryDirectory() as folder:
            xml = Path(folder) / "roads.osm"
            with osmium.SimpleWriter(str(xml)) as writer:
                fp = osmium.FileProcessor(str(args.pbf)).with_locations().with_filter(
                    osmium.filter.KeyFilter("highway"))
                for obj in fp:
                    if obj.is_way():
                        for ref in obj.nodes:
                            writer.add_node(osmium.osm.mutable.Node(id=ref.ref,
                                                                    location=ref.location))
                        writer.add_way(obj)
            graph, peer = timed(ox.graph_from_xml, xml, simplify=True, retain_all=True)
        row.update(peer="osmnx graph_from_xml", peer_s=round(peer, 2),
                   ratio=round(peer / first, 1))
    return row


def _prepare(args, stations_n: int):
    from planner.data import layers
    from planner.engine import traveltime
    from planner.settings import Travel

    net = load(str(args.pbf), args.nodes)
    street = net.graph(Travel(getattr(args, "mode", None) or "ebike"))
    stations, nodes = node_points(street, stations_n, seed=1)
    return net, street, stations, nodes, layers, traveltime


def step_coverage(args) -> dict:
    import networkx as nx

    n_stations = args.stations
    net, street, stations, nodes, layers, traveltime = _prepare(args, n_stations)
    limit = args.minutes * 60

    def ours():
        snapped = layers.snap(stations, street)
        graph = traveltime.build(street, {"stations": snapped})
        seconds, _ = traveltime.time_to_nearest(graph, graph.door("stations"), limit=limit)
        return set(np.flatnonzero(seconds[: street.n_nodes] <= limit).tolist())

    ours()  # build the segment index once: what-ifs reuse it
    covered, ours_s = timed(ours)
    row = {"step": "2 coverage", "size": f"{street.n_nodes} nodes, {n_stations} stations",
           "ours_s": round(ours_s, 3), "covered_nodes": len(covered)}
    if not args.nodes or args.nodes <= 200_000:
        reverse = street.to_networkx().reverse(copy=True)
        multi, multi_s = timed(nx.multi_source_dijkstra_path_length, reverse,
                               set(nodes.tolist()), cutoff=limit, weight="time")
        assert set(multi) == covered, "networkx multi-source disagrees"

        def ego():
            reached = set()
            for node in nodes.tolist():
                reached |= set(nx.ego_graph(reverse, node, radius=limit, distance="time"))
            return reached

        ego_nodes, ego_s = timed(ego)
        assert ego_nodes == covered, "ego_graph disagrees"
        row.update(peer="nx multi-source | ego_graph", peer_s=f"{multi_s:.2f} | {ego_s:.2f}",
                   ratio=f"{multi_s / ours_s:.0f}x | {ego_s / ours_s:.0f}x")
    return row


def step_isochrones(args) -> dict:
    from planner.engine import isochrones

    net, street, stations, nodes, layers, traveltime = _prepare(args, args.iso_stations)
    graph = traveltime.build(street, {"stations": layers.snap(stations, street)})
    ids = [f"S{i}" for i in range(len(stations))]
    frame, ours_s = timed(isochrones.station_isochrones, graph, graph.door("stations"), ids,
                          [5, 10, 15])
    row = {"step": f"3 isochrones {street.travel.mode}", "size": f"{len(stations)} stations x 3",
           "ours_s": round(ours_s, 2), "polygons": len(frame)}
    sample = min(3, len(stations))
    vector, vector_s = timed(isochrones.station_isochrones, graph, graph.door("stations")[:sample],
                             ids[:sample], [5, 10, 15], method="vector")
    per_ours = ours_s / len(stations)
    per_vector = vector_s / sample
    area_gap = float(np.max(np.abs(frame.area.to_numpy()[: 3 * sample] - vector.area.to_numpy())
                            / vector.area.to_numpy()))
    row.update(peer=f"exact vector buffer ({sample} stations)", peer_s=round(vector_s, 2),
               ratio=f"{per_vector / per_ours:.1f}x per station",
               max_area_difference=round(area_gap, 4))
    return row


def step_matrix(args) -> dict:
    import networkx as nx

    net, street, _, _, layers, traveltime = _prepare(args, 1)
    candidates, cand_nodes = node_points(street, args.candidates, seed=2)
    demand = points_on_streets(street, args.demand, seed=3)
    limit = args.minutes * 60

    def ours():
        graph = traveltime.build(street, {"candidates": layers.snap(candidates, street),
                                          "demand": layers.snap(demand, street)})
        return graph, traveltime.times_to_each(graph, graph.door("candidates"),
                                               graph.door("demand"), limit=limit)

    # the street graph's segment index and CSR are built once and reused by every later
    # matrix (what-ifs); warm them as the networkx peer's graph is built before timing
    traveltime.build(street, {"warm": layers.snap(candidates.iloc[:1], street)})
    (graph, matrix), ours_s = timed(ours)
    row = {"step": "4 matrix", "size": f"{args.candidates} x {args.demand}",
           "ours_s": round(ours_s, 2), "nnz": int(matrix.nnz),
           "density": round(matrix.nnz / (args.candidates * args.demand), 4)}
    # networkx on the same augmented graph for a few candidates
    sample = 10
    reverse = _augmented_networkx(graph)
    doors = graph.door("demand")
    position = {int(d): i for i, d in enumerate(doors) if d >= 0}

    def peer():
        rows = []
        for door in graph.door("candidates")[:sample]:
            lengths = nx.single_source_dijkstra_path_length(reverse, int(door), cutoff=limit,
                                                            weight="w")
            rows.append({position[n]: t for n, t in lengths.items() if n in position})
        return rows

    rows, peer_s = timed(peer)
    for i, expected in enumerate(rows):
        got = matrix.getrow(i)
        assert set(got.indices.tolist()) == set(expected), "networkx matrix row disagrees"
    per_ours = ours_s / args.candidates
    per_peer = peer_s / sample
    row.update(peer=f"networkx per candidate ({sample})", peer_s=round(peer_s, 2),
               ratio=f"{per_peer / per_ours:.0f}x per candidate")
    return row


def _augmented_networkx(graph):
    import networkx as nx

    coo = graph.csr_to.tocoo()
    reverse = nx.DiGraph()
    reverse.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()),
                                    weight="w")
    return reverse


STEPS = {"build": step_build, "coverage": step_coverage, "isochrones": step_isochrones,
         "matrix": step_matrix}


def run_child(args) -> None:
    row = STEPS[args.step](args)
    row["peak_mb"] = round(peak_mb())
    print("RESULT " + json.dumps(row), flush=True)


def spawn(step: str, args, **overrides) -> dict:
    command = [sys.executable, __file__, "--child", "--step", step, "--pbf", str(args.pbf),
               "--minutes", str(args.minutes)]
    options = {"stations": args.stations, "iso_stations": args.iso_stations, "mode": None,
               "candidates": args.candidates, "demand": args.demand, **overrides}
    for key, value in options.items():
        if value is not None:
            command += [f"--{key.replace('_', '-')}", str(value)]
    if args.quick:
        command.append("--quick")
    done = _proc.run(command)
    row = done.result()
    if row is None:
        raise RuntimeError(f"{step} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    row["peak_mb"] = round(done.peak_mb)  # the child's own peak (os.wait4, see _proc.py)
    row["load"] = _proc.load()
    print(row, flush=True)
    return row


def many_stations(args) -> list[dict]:
    """`planner coverage` with ``args.many_stations`` stations and per-station outlines."""
    import os
    import shutil

    import bench_e2e

    cache = Path(tempfile.gettempdir()) / "planner-bench-cache" / "many-stations"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "PLANNER_CACHE_DIR": str(cache)}
    os.environ["PLANNER_CACHE_DIR"] = str(cache)  # the inputs' network build warms the cache
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-stations-") as folder:
        folder = Path(folder)
        paths = bench_e2e.write_inputs(folder, args.pbf, stations=args.many_stations,
                                       places=[args.places])
        for modes in (["walk"], ["ebike", "walk"]):
            shutil.rmtree(cache / "outlines", ignore_errors=True)  # outlines drawn, not read
            out = folder / f"out-{'-'.join(modes)}"
            out.mkdir()
            command = [sys.executable, "-m", "planner", "coverage", "-n", str(args.pbf),
                       "-s", str(paths["stations"]), "-d", str(paths[args.places]),
                       "--map", str(out / "map.html"), "--report", str(out / "report.json")]
            for mode in modes:
                command += ["-m", mode]
            child = _proc.run(command, env=env, cwd=str(folder), timeout_s=1800)
            steps = [line for line in child.stderr.splitlines() if line.startswith("[")]
            row = {"step": f"coverage {args.many_stations} stations {'+'.join(modes)}",
                   "size": f"{args.many_stations} stations, {args.places} places",
                   "ours_s": round(child.wall_s, 2), "peak_mb": round(child.peak_mb),
                   "map_mb": round((out / "map.html").stat().st_size / 2**20, 2)
                   if (out / "map.html").exists() else None,
                   "status": "ok" if child.returncode == 0 else
                   f"failed (exit {child.returncode}): {child.stderr.strip()[-300:]}",
                   "load": _proc.load()}
            rows.append(row)
            print(row, flush=True)
            print("\n".join("    " + line for line in steps[-12:]), flush=True)
    machine = _results.write(args.out, "city-stations", rows)
    print(f"\nmachine: {machine}")
    for r in rows:
        print(f"{r['step']:<40} {r['ours_s']:>8} s {r['peak_mb']:>6} MB  map {r['map_mb']} MB  "
              f"{r['status']}  [load {r['load']}]")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pbf", type=Path, default=DEFAULT_PBF)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--stations", type=int)
    parser.add_argument("--iso-stations", type=int)
    parser.add_argument("--candidates", type=int)
    parser.add_argument("--demand", type=int)
    parser.add_argument("--nodes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--many-stations", type=int, metavar="N",
                        help="only the CLI case with N stations (e.g. 5000) and outlines")
    parser.add_argument("--places", type=int, default=5_000,
                        help="weighted places of the --many-stations case")
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    if not args.pbf.is_file():
        sys.exit(f"benchmark network {args.pbf} not found; pass --pbf FILE.osm.pbf")
    if args.many_stations:
        many_stations(args)
        return
    quick = args.quick
    args.stations = args.stations or 50
    args.iso_stations = args.iso_stations or (10 if quick else 50)
    args.candidates = args.candidates or (300 if quick else 2000)
    args.demand = args.demand or (10_000 if quick else 50_000)
    rows = [spawn("build", args), spawn("coverage", args), spawn("isochrones", args),
            spawn("isochrones", args, mode="walk"), spawn("matrix", args)]
    sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    for nodes in sizes:
        for step, extra in (("coverage", {"stations": 200}),
                            ("isochrones", {"iso_stations": 10}),
                            ("matrix", {"candidates": 200, "demand": 10_000})):
            row = spawn(step, args, nodes=nodes, **extra)
            row["step"] = f"6 scale {nodes // 1000}k: {row['step'][2:]}"
            rows.append(row)
    machine = _results.write(args.out, "city", rows)
    print(f"\nmachine: {machine}")
    print(f"{'step':<28} {'size':<34} {'ours s':>8} {'peer s':>14} {'ratio':>22} {'peak MB':>8}")
    for r in rows:
        print(f"{r['step']:<28} {r['size']:<34} {r['ours_s']!s:>8} {r.get('peer_s', '-')!s:>14} "
              f"{r.get('ratio', '-')!s:>22} {r['peak_mb']:>8}")


if __name__ == "__main__":
    main()
