"""The search kernel against its peers, each measured in its own process in the same run.

    pip install -e ".[bench]"          # pandana, igraph, networkit (skipped if absent)
    python bench/bench_search.py       # Heidelberg, Helsinki, Andorra; --quick: smaller matrix

For each extract (read through planner's own network loader, e-bike graph) the parent inserts
50 stations, the candidates and the demand places with ``traveltime.build`` and saves the
resulting reversed CSR. Every tool then runs in a fresh child process on that same CSR:

* ``nearest``: seconds from every node to its nearest station, 15-minute limit (one
  multi-source search where the tool has one; a zero-cost super-source otherwise);
* ``matrix``: candidates x demand seconds within 15 minutes (bounded per-candidate search).

Tools: ours (``traveltime.time_to_nearest`` / ``times_to_each`` on the pickled TravelGraph),
a bare ``scipy.sparse.csgraph.dijkstra`` on the CSR, networkx, pandana, python-igraph and
networkit. igraph and networkit have no distance cut-off, so they search the whole graph (that
is what a user of them gets). Before a time is reported, the answer is asserted equal to ours:
the same reached nodes / matrix entries, times equal to 1e-6 s. Times are the best of
``--repeat`` runs after building the tool's graph (build time reported separately); peak
memory is each child's own max RSS (``os.wait4``); ``baseline_mb`` is that of a child that
only loads its inputs (peers: Python + numpy + scipy + the CSR; ours: planner imported and the
pickled TravelGraph loaded), so peak_mb - baseline_mb is what the search itself adds.
Results: bench/results/search.{json,csv}.
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
import sys
import tempfile
import time
from pathlib import Path

import _proc  # bench/_proc.py (the script's own folder is on sys.path)
import _results
import numpy as np

HERE = Path(__file__).resolve().parent
DATA = _results.data_dir()
CITIES = ("heidelberg", "helsinki", "andorra")
TOOLS = ("ours", "scipy", "networkx", "pandana", "igraph", "networkit")
MODULE = {"networkx": "networkx", "pandana": "pandana", "igraph": "igraph",
          "networkit": "networkit"}
TOLERANCE_S = 1e-6


# --------------------------------------------------------------------------- parent: inputs


def prepare(city: str, folder: Path, *, stations: int, candidates: int, demand: int,
            pbf: Path | None = None) -> dict:
    """Load the extract, insert the points, save the CSR + doors + the pickled TravelGraph."""
    import planner
    from bench_city import node_points, points_on_streets
    from planner.data import layers
    from planner.engine import traveltime
    from planner.settings import Travel

    pbf = pbf or DATA / f"{city}.osm.pbf"
    street = planner.load_network(str(pbf)).graph(Travel("ebike"))
    n_cand = min(candidates, street.n_nodes // 4)
    station_pts, _ = node_points(street, stations, seed=1)
    cand_pts, _ = node_points(street, n_cand, seed=2)
    demand_pts = points_on_streets(street, demand, seed=3)
    graph = traveltime.build(street, {
        "stations": layers.snap(station_pts, street),
        "candidates": layers.snap(cand_pts, street),
        "demand": layers.snap(demand_pts, street)})
    csr = graph.csr_to.tocsr()
    np.savez(folder / "csr.npz", indptr=csr.indptr, indices=csr.indices, data=csr.data,
             n=csr.shape[0], x=np.resize(graph.node_x, csr.shape[0]),
             y=np.resize(graph.node_y, csr.shape[0]),
             stations=graph.door("stations"), candidates=graph.door("candidates"),
             demand=graph.door("demand"))
    with (folder / "graph.pickle").open("wb") as handle:
        pickle.dump(graph, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"city": city, "nodes": int(csr.shape[0]), "arcs": int(csr.nnz),
            "street_nodes": int(street.n_nodes), "stations": stations,
            "candidates": n_cand, "demand": demand}


# --------------------------------------------------------------------------- child: tools


def _load(folder: Path):
    from scipy.sparse import csr_matrix

    data = np.load(folder / "csr.npz")
    n = int(data["n"])
    csr = csr_matrix((data["data"], data["indices"], data["indptr"]), shape=(n, n))
    return csr, {k: data[k] for k in ("stations", "candidates", "demand", "x", "y")}


def _best(function, repeat: int):
    best, value = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return value, best


def _dense_to_nearest(dist: np.ndarray, limit: float) -> dict:
    reached = np.flatnonzero(dist <= limit)
    return {"nodes": reached, "seconds": dist[reached]}


def _rows_to_matrix(rows: list[tuple[int, np.ndarray, np.ndarray]]) -> dict:
    """(candidate position, demand positions, seconds) rows -> sorted COO arrays."""
    r = np.concatenate([np.full(c.size, i) for i, c, _ in rows]) if rows else np.empty(0, int)
    c = np.concatenate([c for _, c, _ in rows]) if rows else np.empty(0, int)
    v = np.concatenate([v for _, _, v in rows]) if rows else np.empty(0)
    order = np.lexsort((c, r))
    return {"rows": r[order], "cols": c[order], "seconds": v[order]}


def _within(dist_row: np.ndarray, targets: np.ndarray, limit: float):
    values = dist_row[targets]
    keep = np.flatnonzero(values <= limit)
    return keep, values[keep]


def tool_ours(folder, csr, points, task, limit, repeat):
    from planner.engine import traveltime

    start = time.perf_counter()
    with (folder / "graph.pickle").open("rb") as handle:
        graph = pickle.load(handle)
    build = time.perf_counter() - start
    if task == "nearest":
        (dist, _), best = _best(lambda: traveltime.time_to_nearest(
            graph, points["stations"], limit=limit), repeat)
        return build, best, _dense_to_nearest(dist, limit)
    matrix, best = _best(lambda: traveltime.times_to_each(
        graph, points["candidates"], points["demand"], limit=limit), repeat)
    coo = matrix.tocoo()
    order = np.lexsort((coo.col, coo.row))
    return build, best, {"rows": coo.row[order], "cols": coo.col[order],
                         "seconds": coo.data[order]}


def tool_scipy(folder, csr, points, task, limit, repeat):
    from scipy.sparse.csgraph import dijkstra

    if task == "nearest":
        dist, best = _best(lambda: dijkstra(csr, directed=True, indices=points["stations"],
                                            min_only=True, limit=limit), repeat)
        return 0.0, best, _dense_to_nearest(dist, limit)
    cands, demand = points["candidates"], points["demand"]
    chunk = max(1, (64 * 2**20) // (8 * csr.shape[0]))

    def run():
        rows = []
        for start in range(0, cands.size, chunk):
            block = dijkstra(csr, directed=True, indices=cands[start:start + chunk], limit=limit)
            for i, row in enumerate(np.atleast_2d(block)):
                rows.append((start + i, *_within(row, demand, limit)))
        return _rows_to_matrix(rows)

    answer, best = _best(run, repeat)
    return 0.0, best, answer


def tool_networkx(folder, csr, points, task, limit, repeat):
    import networkx as nx

    start = time.perf_counter()
    coo = csr.tocoo()
    graph = nx.DiGraph()
    graph.add_nodes_from(range(csr.shape[0]))
    graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    build = time.perf_counter() - start
    if task == "nearest":
        def run():
            lengths = nx.multi_source_dijkstra_path_length(
                graph, set(points["stations"].tolist()), cutoff=limit)
            nodes = np.fromiter(lengths, dtype=np.int64, count=len(lengths))
            dist = np.full(csr.shape[0], np.inf)
            dist[nodes] = np.fromiter(lengths.values(), dtype=float, count=len(lengths))
            return _dense_to_nearest(dist, limit)
        answer, best = _best(run, min(repeat, 2))
        return build, best, answer
    demand = points["demand"]

    def run():
        rows = []
        for i, source in enumerate(points["candidates"].tolist()):
            lengths = nx.single_source_dijkstra_path_length(graph, source, cutoff=limit)
            row = np.full(csr.shape[0], np.inf)
            row[np.fromiter(lengths, dtype=np.int64)] = np.fromiter(lengths.values(), float)
            rows.append((i, *_within(row, demand, limit)))
        return _rows_to_matrix(rows)

    answer, best = _best(run, 1)
    return build, best, answer


def tool_igraph(folder, csr, points, task, limit, repeat):
    import igraph

    n = csr.shape[0]
    start = time.perf_counter()
    coo = csr.tocoo()
    super_edges = np.column_stack([np.full(points["stations"].size, n), points["stations"]])
    edges = np.vstack([np.column_stack([coo.row, coo.col]), super_edges])
    weights = np.concatenate([coo.data, np.zeros(points["stations"].size)])
    graph = igraph.Graph(n=n + 1, edges=edges.tolist(), directed=True)
    graph.es["w"] = weights.tolist()
    build = time.perf_counter() - start
    if task == "nearest":  # no cut-off: a zero-cost super-source, whole-graph Dijkstra
        def run():
            dist = np.asarray(graph.distances(source=[n], weights="w", mode="out")[0][:n])
            return _dense_to_nearest(dist, limit)
        answer, best = _best(run, repeat)
        return build, best, answer
    cands, demand = points["candidates"], points["demand"]

    def run():
        rows = []
        for start in range(0, cands.size, 32):
            block = np.asarray(graph.distances(source=cands[start:start + 32].tolist(),
                                               target=demand.tolist(), weights="w",
                                               mode="out"))
            for i, values in enumerate(block):
                keep = np.flatnonzero(values <= limit)
                rows.append((start + i, keep, values[keep]))
        return _rows_to_matrix(rows)

    answer, best = _best(run, 1)
    return build, best, answer


def tool_networkit(folder, csr, points, task, limit, repeat):
    import networkit as nk

    n = csr.shape[0]
    start = time.perf_counter()
    coo = csr.tocoo()
    graph = nk.graph.Graph(n + 1, weighted=True, directed=True)
    rows = np.concatenate([coo.row, np.full(points["stations"].size, n)]).astype(np.uint64)
    cols = np.concatenate([coo.col, points["stations"]]).astype(np.uint64)
    graph.addEdges((np.concatenate([coo.data, np.zeros(points["stations"].size)]),
                    (rows, cols)))
    build = time.perf_counter() - start

    def distances(source: int) -> np.ndarray:
        search = nk.distance.Dijkstra(graph, source, storePaths=False)
        search.run()
        dist = np.asarray(search.getDistances())[:n]
        dist[dist > 1e300] = np.inf  # unreached: the largest double
        return dist

    if task == "nearest":  # no cut-off: a zero-cost super-source, whole-graph Dijkstra
        answer, best = _best(lambda: _dense_to_nearest(distances(n), limit), repeat)
        return build, best, answer
    demand = points["demand"]

    def run():
        return _rows_to_matrix([(i, *_within(distances(int(s)), demand, limit))
                                for i, s in enumerate(points["candidates"].tolist())])

    answer, best = _best(run, 1)
    return build, best, answer


def tool_pandana(folder, csr, points, task, limit, repeat):
    import pandana
    import pandas as pd

    n = csr.shape[0]
    start = time.perf_counter()
    coo = csr.tocoo()
    ids = pd.RangeIndex(n)
    net = pandana.Network(pd.Series(points["x"], index=ids), pd.Series(points["y"], index=ids),
                          pd.Series(coo.row), pd.Series(coo.col),
                          pd.DataFrame({"s": coo.data}), twoway=False)
    build = time.perf_counter() - start
    sources = points["stations"] if task == "nearest" else points["candidates"]

    def search() -> pd.DataFrame:
        frame = net.nodes_in_range(sources.tolist(), limit)
        frame.columns = ["source", "node", "s"]
        return frame

    if task == "nearest":
        def run():
            best_s = search().groupby("node")["s"].min()
            dist = np.full(n, np.inf)
            dist[best_s.index.to_numpy(dtype=np.int64)] = best_s.to_numpy()
            return _dense_to_nearest(dist, limit)
        answer, best = _best(run, repeat)
        return build, best, answer
    demand = points["demand"]

    def run():
        frame = search()
        position = {int(s): i for i, s in enumerate(sources.tolist())}
        rows = []
        for source, group in frame.groupby("source"):
            row = np.full(n, np.inf)
            row[group["node"].to_numpy(dtype=np.int64)] = group["s"].to_numpy()
            rows.append((position[int(source)], *_within(row, demand, limit)))
        return _rows_to_matrix(rows)

    answer, best = _best(run, 1)
    return build, best, answer


def _vmhwm_mb() -> float:
    """This process's own peak RSS (VmHWM: reset at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def run_child(args) -> None:
    csr, points = _load(args.data)
    if args.tool == "baseline":
        result = {"build_s": 0.0, "search_s": 0.0}
    elif args.tool == "baseline_ours":  # planner imported and the TravelGraph loaded, no search
        with (args.data / "graph.pickle").open("rb") as handle:
            pickle.load(handle)
        result = {"build_s": 0.0, "search_s": 0.0}
    else:
        tool = globals()[f"tool_{args.tool}"]
        build, best, answer = tool(args.data, csr, points, args.task, args.minutes * 60,
                                   args.repeat)
        np.savez(args.data / f"answer-{args.task}-{args.tool}.npz", **answer)
        result = {"build_s": round(build, 4), "search_s": best}
    result["vmhwm_mb"] = _vmhwm_mb()
    print("RESULT " + __import__("json").dumps(result), flush=True)


# --------------------------------------------------------------------------- parent: compare


def same_answer(task: str, ours: dict, other: dict) -> str | None:
    """None when equal (same reached nodes / entries, seconds within 1e-6); else why not."""
    keys = ("nodes",) if task == "nearest" else ("rows", "cols")
    for key in keys:
        if ours[key].shape != other[key].shape or not np.array_equal(ours[key], other[key]):
            a = set(map(tuple, np.column_stack([ours[k] for k in keys]).tolist()))
            b = set(map(tuple, np.column_stack([other[k] for k in keys]).tolist()))
            return f"{len(a - b)} reached only by ours, {len(b - a)} only by the peer"
    gap = float(np.max(np.abs(ours["seconds"] - other["seconds"]), initial=0.0))
    return None if gap <= TOLERANCE_S else f"approx: same reached set, seconds off <= {gap:.3g}"


def spawn(args, folder: Path, tool: str, task: str) -> dict:
    command = [sys.executable, __file__, "--child", tool, "--task", task, "--data", str(folder),
               "--minutes", str(args.minutes), "--repeat", str(args.repeat)]
    child = _proc.run(command, timeout_s=args.timeout)
    result = child.result()
    if child.returncode != 0 or result is None:
        tail = (child.stderr or child.stdout).strip().splitlines()[-3:]
        return {"status": f"failed: {' | '.join(tail)[:300]}", "peak_mb": round(child.peak_mb)}
    return {**result, "status": "ok", "peak_mb": round(child.peak_mb)}


def bench_city(args, city: str, folder: Path) -> list[dict]:
    sizes = prepare(city, folder, stations=args.stations, candidates=args.candidates,
                    demand=args.demand, pbf=args.pbf if city == "heidelberg" else None)
    print(f"{city}: {sizes}", flush=True)
    rows = []
    baseline = spawn(args, folder, "baseline", "nearest")
    baseline_ours = spawn(args, folder, "baseline_ours", "nearest")
    for task in ("nearest", "matrix"):
        size = (f"{sizes['nodes']} nodes, {sizes['stations']} stations" if task == "nearest"
                else f"{sizes['candidates']} x {sizes['demand']}")
        measured = {}
        for tool in TOOLS:
            row = {"bench": "search", "city": city, "task": task, "size": size, "tool": tool,
                   "baseline_mb": baseline_ours["peak_mb"] if tool == "ours"
                   else baseline["peak_mb"], "load": _proc.load()}
            if tool in MODULE and importlib.util.find_spec(MODULE[tool]) is None:
                row["status"] = f"skipped: {MODULE[tool]} is not installed"
            elif tool == "networkx" and task == "matrix" and args.skip_nx_matrix:
                row["status"] = "skipped (--quick)"
            else:
                row.update(spawn(args, folder, tool, task))
            if row["status"] == "ok":
                answer = dict(np.load(folder / f"answer-{task}-{tool}.npz"))
                if tool != "ours":
                    why = same_answer(task, measured["ours"][1], answer)
                    if why:  # "approx": timed, flagged; otherwise no time is reported
                        row["status"] = why if why.startswith("approx") else f"differs: {why}"
                        if not why.startswith("approx"):  # kept aside, not as a result
                            row["unverified_s"] = row.pop("search_s", None)
                measured[tool] = (row, answer)
            rows.append(row)
            print({k: v for k, v in row.items() if k != "load"}, flush=True)
        _ratios(measured)
    return rows


def _ratios(measured: dict) -> None:
    ours = measured.get("ours", ({}, None))[0].get("search_s")
    bare = measured.get("scipy", ({}, None))[0].get("search_s")
    for row, _ in measured.values():
        if row["status"] != "ok" and not row["status"].startswith("approx"):
            continue
        if ours:
            row["vs_ours"] = round(row["search_s"] / ours, 2)
        if bare:
            row["vs_scipy"] = round(row["search_s"] / bare, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cities", default=",".join(CITIES))
    parser.add_argument("--pbf", type=Path, help="Heidelberg-like extract to use instead")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--candidates", type=int)
    parser.add_argument("--demand", type=int)
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--timeout", type=float, default=900.0, help="per child, seconds")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--child", choices=TOOLS + ("baseline", "baseline_ours"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--task", choices=("nearest", "matrix"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.tool = args.child
        run_child(args)
        return
    args.candidates = args.candidates or (40 if args.quick else 300)
    args.demand = args.demand or (5_000 if args.quick else 20_000)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.skip_nx_matrix = False
    rows = []
    for city in [c.strip() for c in args.cities.split(",") if c.strip()]:
        with tempfile.TemporaryDirectory(prefix=f"bench-search-{city}-") as folder:
            rows += bench_city(args, city, Path(folder))
    _results.write(args.out, "search", rows, minutes=args.minutes, load=_proc.load())
    print(f"\n{'city':<11} {'task':<8} {'tool':<10} {'search s':>9} {'vs ours':>8} "
          f"{'vs scipy':>8} {'build s':>8} {'peak MB':>8}  status")
    for r in rows:
        seconds = r.get("search_s", float("nan"))
        print(f"{r['city']:<11} {r['task']:<8} {r['tool']:<10} {seconds:>9.4f} "
              f"{r.get('vs_ours', '-')!s:>8} {r.get('vs_scipy', '-')!s:>8} "
              f"{r.get('build_s', '-')!s:>8} {r.get('peak_mb', '-')!s:>8}  {r['status']}")
    print(f"machine load: {_proc.load()}")


if __name__ == "__main__":
    main()
