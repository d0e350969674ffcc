"""Location models against the literature: OR-Library p-median instances (Beasley), offline.

    python bench/bench_literature.py                 # every instance present, 60 s each
    python bench/bench_literature.py --time-limit 20 --no-cbc

Instances: bench/data/orlib/ (all 40 of OR-Library; pmed1 and pmed5 also in tests/data/orlib/
for the tests); see the README there for the format, the sources and the citation:
J. E. Beasley, EJOR 21 (1985) 270-273; JORS 41 (1990) 1069-1072). For each instance:
- the heuristic (greedy + fast interchange + Lagrangian bound, ``method="greedy"``),
- exact with bound (``method="auto"``, HiGHS on what the Lagrangian fixing leaves),
each with its objective, the published optimum, the gap to it, the proven gap and the time;
- MCLP on the same graph (coverage radius = the 5th percentile of the distances, p = min(p, 10)),
checked against CBC through PuLP on the full model (``pip install pulp``).
Results go to the terminal, bench/results/literature.{json,csv}, and with ``--report`` into
bench/report.md (the section between the ``literature`` markers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import _orlib  # bench/_orlib.py
import _results
import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's planner
from planner import optimize  # noqa: E402

START, END = "<!-- literature:start -->", "<!-- literature:end -->"


def pmedian_rows(number: int, path: Path, time_limit: float) -> dict:
    d, p = _orlib.read(path)
    n = d.shape[0]
    problem = optimize.Problem.from_matrix(_orlib.full_matrix(d), np.ones(n))
    published = _orlib.OPTIMA[number]
    row = {"instance": f"pmed{number}", "n": n, "p": p, "published": published}
    for label, method in (("heur", "greedy"), ("exact", "auto")):
        start = time.perf_counter()
        s = optimize.pmedian(problem, p, method=method, time_limit=time_limit)
        row.update({f"{label}_obj": s.objective,
                    f"{label}_vs_published_%": round(100 * (s.objective - published) / published,
                                                     3),
                    f"{label}_bound": s.bound, f"{label}_proven_gap_%": round(100 * s.gap, 3),
                    f"{label}_s": round(time.perf_counter() - start, 2),
                    f"{label}_status": s.status})
    return row


def mclp_row(number: int, path: Path, time_limit: float, cbc: bool) -> dict:
    d, p = _orlib.read(path)
    n = d.shape[0]
    p = min(p, 10)  # with the instance's p (up to 133) every node is covered: no contest
    radius = float(np.percentile(d, 5))
    a = sparse.csr_matrix((d <= radius).astype(float))
    problem = optimize.Problem.from_matrix(a, np.ones(n))
    start = time.perf_counter()
    s = optimize.mclp(problem, p, method="auto", time_limit=time_limit)
    row = {"instance": f"pmed{number}", "n": n, "p": p, "radius": radius,
           "ours_obj": s.objective, "ours_proven_gap_%": round(100 * s.gap, 3),
           "ours_s": round(time.perf_counter() - start, 2), "ours_method": s.method}
    if cbc:
        row.update(cbc_mclp(d <= radius, p, time_limit))
    return row


def cbc_mclp(a: np.ndarray, p: int, time_limit: float) -> dict:
    import pulp

    start = time.perf_counter()
    n_c, n_d = a.shape
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(n_c)]
    y = [pulp.LpVariable(f"y{j}", 0, 1) for j in range(n_d)]
    model += pulp.lpSum(y)
    for j in range(n_d):
        model += y[j] <= pulp.lpSum(x[i] for i in np.flatnonzero(a[:, j]))
    model += pulp.lpSum(x) == p
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    # PuLP says "Optimal" also when CBC stopped at the time limit with a feasible plan: the
    # solution status tells the two apart ("Optimal Solution Found" vs "... Feasible ...")
    proven = model.sol_status == pulp.LpSolutionOptimal
    return {"cbc_obj": float(pulp.value(model.objective)),
            "cbc_status": "Optimal" if proven else "time_limit" if model.status == 1 else
            pulp.LpStatus[model.status],
            "cbc_s": round(time.perf_counter() - start, 2)}


def summary(pm: list[dict], mc: list[dict]) -> list[str]:
    """The headline counts and the MCLP time ratio against CBC (where both proved it)."""
    lines = []
    if pm:
        near = sum(r["heur_vs_published_%"] <= 0.5 for r in pm)
        proven = sum(r["exact_status"] == "optimal" or r["exact_proven_gap_%"] < 0.1
                     for r in pm)
        lines.append(
            f"p-median: heuristic within 0.5 % of the published optimum on {near}/{len(pm)} "
            f"(worst {max(r['heur_vs_published_%'] for r in pm):.2f} %, slowest "
            f"{max(r['heur_s'] for r in pm):.1f} s); exact proven optimal (or gap < 0.1 %) on "
            f"{proven}/{len(pm)}, slowest {max(r['exact_s'] for r in pm):.1f} s.")
    both = [r for r in mc if r.get("cbc_status") == "Optimal" and r["ours_proven_gap_%"] == 0]
    if both:
        ratios = sorted(r["ours_s"] / max(r["cbc_s"], 1e-3) for r in both)
        faster = sum(r["ours_s"] <= r["cbc_s"] for r in both)
        open_cbc = [r for r in mc if r.get("cbc_status") != "Optimal"]
        neither = sum(r["ours_proven_gap_%"] > 0 for r in open_cbc)
        cbc_only = sum(r.get("cbc_status") == "Optimal" and r["ours_proven_gap_%"] > 0
                       for r in mc)
        lines += ["", f"MCLP: equal objective wherever both proved optimality ({len(both)} "
                  f"instances); ours at least as fast as CBC on {faster} of them; our time / "
                  f"CBC's: median {ratios[len(ratios) // 2]:.2f}, range {ratios[0]:.2f}-"
                  f"{ratios[-1]:.2f}. Proven within the limit by neither: {neither}; by CBC "
                  f"only: {cbc_only}; by ours only: {len(open_cbc) - neither}."]
    return lines


def markdown(pm: list[dict], mc: list[dict], args, load: str) -> str:
    lines = [START, "## Location models against the literature (OR-Library p-median)", "",
             f"`python bench/bench_literature.py --time-limit {args.time_limit:g}` "
             f"(load average at start: {load}; 2 cores shared); {len(pm)} of the 40 "
             "OR-Library instances (bench/data/orlib).", "", *summary(pm, mc), "",
             "| instance | n | p | published | heuristic | vs published | proven gap | s "
             "| exact | bound | proven gap | s | status |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in pm:
        lines.append(
            f"| {r['instance']} | {r['n']} | {r['p']} | {r['published']:,} | "
            f"{r['heur_obj']:,.0f} | {r['heur_vs_published_%']:.2f} % | "
            f"{r['heur_proven_gap_%']:.2f} % | {r['heur_s']:.1f} | {r['exact_obj']:,.0f} | "
            f"{r['exact_bound']:,.0f} | {r['exact_proven_gap_%']:.2f} % | {r['exact_s']:.1f} | "
            f"{r['exact_status']} |")
    lines += ["", "MCLP on the same graphs (radius = 5th percentile of the distances, "
              "p = min(p, 10)), against CBC on the full model:",
              "", "| instance | p | radius | ours | proven gap | s | CBC (PuLP) | s |",
              "|---|---|---|---|---|---|---|---|"]
    for r in mc:
        lines.append(f"| {r['instance']} | {r['p']} | {r['radius']:g} | {r['ours_obj']:g} | "
                     f"{r['ours_proven_gap_%']:.2f} % | {r['ours_s']:.2f} | "
                     f"{r.get('cbc_obj', '-')} ({r.get('cbc_status', 'not run')}) | "
                     f"{r.get('cbc_s', '-')} |")
    return "\n".join(lines + ["", END])


def write_report(text: str, path: Path) -> None:
    old = path.read_text() if path.exists() else "# Benchmark report\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    new = pattern.sub(lambda _: text, old) if pattern.search(old) else old.rstrip() + \
        "\n\n" + text + "\n"
    path.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--no-cbc", action="store_true", help="skip the PuLP/CBC check")
    parser.add_argument("--report", action="store_true", help="update bench/report.md")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--only", type=lambda t: {int(x) for x in t.split(",")}, default=None,
                        help="instance numbers, e.g. 16,38 (default: all present)")
    parser.add_argument("--no-mclp", action="store_true", help="skip the MCLP table")
    parser.add_argument("--no-pmedian", action="store_true", help="skip the p-median table")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="re-render the tables from an earlier run's literature.json")
    args = parser.parse_args()
    if args.from_json is not None:
        saved = json.loads(args.from_json.read_text())
        rows = saved["rows"]
        text = markdown([r for r in rows if "published" in r], [r for r in rows if "radius" in r],
                        args, saved.get("load", "not recorded"))
        print(text)
        if args.report:
            write_report(text, Path(__file__).resolve().parent / "report.md")
        return
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    pm, mc = [], []
    instances = [(k, v) for k, v in _orlib.available() if args.only is None or k in args.only]
    for number, path in [] if args.no_pmedian else instances:
        pm.append(pmedian_rows(number, path, args.time_limit))
        print(pm[-1], flush=True)
        assert pm[-1]["exact_bound"] <= pm[-1]["published"] <= pm[-1]["exact_obj"], "bound"
    for number, path in [] if args.no_mclp else instances:
        mc.append(mclp_row(number, path, args.time_limit, not args.no_cbc))
        print(mc[-1], flush=True)
        if "cbc_obj" in mc[-1] and mc[-1]["cbc_status"] == "Optimal":
            assert mc[-1]["ours_obj"] >= mc[-1]["cbc_obj"] - 1e-6, "MCLP below CBC's optimum"
            if mc[-1]["ours_proven_gap_%"] == 0:
                assert mc[-1]["ours_obj"] == mc[-1]["cbc_obj"], "two different optima"
    text = markdown(pm, mc, args, load)
    print(text)
    _results.write(args.out, "literature", pm + mc, load=load)
    if args.report:
        write_report(text, Path(__file__).resolve().parent / "report.md")


if __name__ == "__main__":
    main()
