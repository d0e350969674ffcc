"""Run the benchmarks and regenerate bench/report.md: one table of every ratio.

    python bench/run_all.py              # all benchmarks, full sizes (long: tens of minutes)
    python bench/run_all.py --quick      # smaller sizes, a few minutes on an idle 2-core machine
    python bench/run_all.py --report     # only rebuild bench/report.md from bench/results/*.json
    python bench/run_all.py --only search,e2e

Each benchmark runs as its own process (``python bench/bench_<name>.py [--quick]``) and writes
bench/results/<name>.json; the report is built from whatever JSON files are there, so results
written by other scripts (literature.json, location.json, city.json ...) are included too,
read tolerantly (a file that cannot be read is named in the report, not fatal). The generated
part of report.md sits between ``<!-- run_all:start -->`` and ``<!-- run_all:end -->``;
anything else in the file (e.g. the literature section) is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REPORT = HERE / "report.md"
START, END = "<!-- run_all:start -->", "<!-- run_all:end -->"
#: (name, script, extra arguments for --quick, whether it runs in --quick)
BENCHES = (
    ("search", "bench_search.py", [], True),
    ("e2e", "bench_e2e.py", [], True),
    ("paint", "bench_paint.py", [], False),
    ("batch", "bench_batch.py", [], True),
    ("location", "bench_location.py", [], True),
    ("literature", "bench_literature.py", [], False),
    ("city", "bench_city.py", [], False),
)


def run_benches(names: list[str], quick: bool) -> dict[str, str]:
    status = {}
    for name, script, extra, in_quick in BENCHES:
        if names and name not in names or (quick and not in_quick and not names):
            continue
        path = HERE / script
        if not path.is_file():
            status[name] = f"{script} not present"
            continue
        command = [sys.executable, str(path)] + (["--quick", *extra] if quick else [])
        print(f"== {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        # this checkout's planner, not whatever `pip install` put on the path
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(HERE.parent)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        done = subprocess.run(command, cwd=str(HERE.parent), env=env)
        took = time.perf_counter() - start
        status[name] = f"exit {done.returncode} after {took:.0f} s"
        print(f"== {name}: {status[name]}", flush=True)
    return status


# --------------------------------------------------------------------------- report rows


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "-" if value is None else str(value)


def rows_search(data: dict) -> list[list]:
    out = []
    for r in data["rows"]:
        case = f"{r['city']} {r['task']} ({r['size']})"
        if r["tool"] == "ours":
            if "vs_scipy" in r:
                out.append(["search", case, "ours / bare scipy dijkstra (time)", r["vs_scipy"],
                            f"ours {_fmt(r.get('search_s'))} s, {_mem(r)}"])
            continue
        ratio = r.get("vs_ours")
        note = (f"{_fmt(r.get('search_s'))} s, {_mem(r)}"
                if "search_s" in r else "")
        if r["status"] != "ok":
            note = f"{note}; {r['status']}".strip("; ")
        if r.get("unverified_s") is not None:
            note += f" (took {_fmt(r['unverified_s'])} s; no ratio: answers differ)"
        out.append(["search", case, f"{r['tool']} / ours (time)", ratio, note])
    return out


def _mem(r: dict) -> str:
    """Peak MB of the tool's process, and over its input-only baseline process."""
    if r.get("peak_mb") is None:
        return "-"
    base = r.get("baseline_mb")
    extra = f" (+{r['peak_mb'] - base} over its baseline)" if base is not None else ""
    return f"peak {r['peak_mb']} MB{extra}"


def rows_e2e(data: dict, name: str) -> list[list]:
    out = []
    for r in data["rows"]:
        where = r.get("tag") or Path(str(r.get("checkout", name))).name
        case = f"{r['case']} {r.get('modes', '')} [{where}]"
        if r.get("status") != "ok":
            out.append(["e2e", case, "coverage command", None, r.get("status")])
            continue
        out.append(["e2e", case, "whole command / kernel searches (time)", r.get("vs_kernel"),
                    f"wall {r['wall_s']} s (median {r.get('wall_median_s')}), "
                    + (f"CPU {r['cpu_s']} s (median {r.get('cpu_median_s')}), "
                       if r.get("cpu_s") is not None else "") + "peak "
                    f"{r['peak_mb']} MB, map {r.get('map_mb')} MB, report "
                    f"{r.get('report_mb')} MB, kernel {r.get('kernel_s')} s"])
    return out


def rows_paint(data: dict, name: str) -> list[list]:
    """bench_paint.py: time to first paint of each map in headless Chromium."""
    return [["paint", f"{r['case']} [{r.get('tag') or 'this checkout'}]",
             "time to first paint (ms)", r.get("paint_ms"),
             f"map {r.get('map_mb')} MB, min {r.get('paint_min_ms')} ms of {r.get('runs')}, "
             f"FCP {r.get('fcp_ms')} ms, {r.get('paths')} shapes drawn; {r.get('status')}"]
            for r in data.get("rows", []) if isinstance(r, dict)]


def rows_batch(data: dict) -> list[list]:
    rows = data["rows"]
    if len(rows) < 2:
        return []
    one, two = rows[0], rows[-1]
    return [["batch", f"{one['districts']} districts", "1 worker / 2 workers (speed-up)",
             round(one["seconds"] / two["seconds"], 2),
             f"{one['seconds']} s vs {two['seconds']} s; cluster start "
             f"{two.get('startup_s')} s; busy {two.get('busy_s')} s"]]


RATIO_WORDS = ("speedup", "ratio", "vs_")
CASE_KEYS = ("benchmark", "step", "instance", "case", "model", "size", "n", "p")


def rows_generic(data: dict, name: str) -> list[list]:
    """Any other result file: its ratio-like fields, and peer_s / ours_s where both exist."""
    out = []
    for r in data.get("rows", []):
        if not isinstance(r, dict):
            continue
        case = " ".join(f"{k}={r[k]}" if k in ("n", "p") else str(r[k])
                        for k in CASE_KEYS if r.get(k) not in (None, ""))
        found = False
        for key, value in r.items():
            if any(word in key.lower() for word in RATIO_WORDS) and value is not None:
                out.append([name, case, key, value, _status(r)])
                found = True
        ours = r.get("ours_s")
        if not found and isinstance(ours, (int, float)) and ours > 0:
            for key, value in r.items():
                if (key.endswith("_s") and key != "ours_s" and not key.startswith("ours")
                        and isinstance(value, (int, float))):
                    out.append([name, case, f"{key[:-2]} / ours (time)",
                                round(value / ours, 2), _status(r)])
    return out


def rows_city(data: dict, name: str) -> list[list]:
    """Whole-command runs without a peer (bench_city.py --many-stations): wall time."""
    return [[name, r.get("step", "?"), "wall time (s)", r["ours_s"],
             f"{r.get('size', '')}; peak {r.get('peak_mb')} MB, map {r.get('map_mb')} MB, "
             f"{r.get('status', '')}; load {r.get('load', '?')}"]
            for r in data.get("rows", []) if isinstance(r, dict) and r.get("ours_s")]


def rows_literature(data: dict) -> list[list]:
    """The OR-Library run in a few rows (its full tables are in their own section)."""
    rows = [r for r in data.get("rows", []) if isinstance(r, dict)]
    med = [r for r in rows if r.get("heur_vs_published_%") is not None]
    mclp = [r for r in rows if r.get("cbc_s") is not None and r.get("ours_s")]
    out = []
    if med:
        worst = max(med, key=lambda r: r["heur_vs_published_%"])
        slow_h = max(med, key=lambda r: r.get("heur_s") or 0)
        proven = [r for r in med if r.get("exact_status") == "optimal"
                  or (r.get("exact_proven_gap_%") or 100) < 0.1]
        slow_e = max(med, key=lambda r: r.get("exact_s") or 0)
        out += [["literature", f"p-median, {len(med)} OR-Library instances",
                 "heuristic within 0.5 % of the published optimum",
                 f"{sum(r['heur_vs_published_%'] <= 0.5 for r in med)}/{len(med)}",
                 f"worst {worst['instance']} {worst['heur_vs_published_%']:.2f} %, slowest "
                 f"{slow_h['instance']} {slow_h['heur_s']} s"],
                ["literature", f"p-median, {len(med)} OR-Library instances",
                 "exact proven optimal (or gap < 0.1 %)", f"{len(proven)}/{len(med)}",
                 f"slowest {slow_e['instance']} {slow_e['exact_s']} s"]]
    both = [r for r in mclp if str(r.get("cbc_status")).lower() == "optimal"
            and r.get("ours_proven_gap_%") == 0]
    if both:
        ratios = sorted(r["cbc_s"] / r["ours_s"] for r in both)
        out.append(["literature", f"MCLP on the same graphs, {len(both)} proven by both",
                    "CBC / ours (time), median", round(ratios[len(ratios) // 2], 2),
                    f"range {ratios[0]:.2f}-{ratios[-1]:.2f}; equal objectives: "
                    f"{sum(r['cbc_obj'] == r['ours_obj'] for r in both)}/{len(both)}"])
    return out


def _status(r: dict) -> str:
    bits = [f"{k} {r[k]}" for k in ("status", "peer", "ours_s", "peer_s") if r.get(k)]
    return ", ".join(str(b) for b in bits)


def collect() -> tuple[list[list], list[str]]:
    rows, notes = [], []
    first = {"search": 0, "e2e": 1, "paint": 1, "batch": 2}
    paths = sorted(RESULTS.glob("*.json"),
                   key=lambda p: (first.get(p.stem.split("-")[0], 3), p.stem))
    for path in paths:
        name = path.stem
        try:
            data = json.loads(path.read_text())
            if name == "search":
                rows += rows_search(data)
            elif name.startswith("e2e"):
                rows += rows_e2e(data, name)
            elif name.startswith("paint"):
                rows += rows_paint(data, name)
            elif name == "batch":
                rows += rows_batch(data)
            elif name == "literature":
                rows += rows_literature(data)
            elif name.startswith("city-stations"):
                rows += rows_city(data, name)
            else:
                rows += rows_generic(data, name)
            load = data.get("load")
            took = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))
            notes.append(f"`{path.name}`: written {took}" + (f", load {load}" if load else ""))
        except Exception as exc:  # one odd file must not hide the others
            notes.append(f"`{path.name}`: not read ({type(exc).__name__}: {exc})")
    return rows, notes


def render(rows: list[list], notes: list[str], status: dict[str, str]) -> str:
    lines = [START, "## All ratios", "",
             f"Regenerated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
             "`python bench/run_all.py` from bench/results/*.json. Ratios of times are "
             "*peer / ours* (above 1: ours faster) unless the measure says otherwise. "
             "Figures taken on a shared, often heavily loaded 2-core machine: the load "
             "average of each run is given below; compare ratios from the same run only.", "",
             "| bench | case | measure | value | notes |", "|---|---|---|---|---|"]
    for bench, case, measure, value, note in rows:
        cells = [bench, case, measure, _fmt(value), note or ""]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    lines += ["", "Result files:", ""] + [f"- {n}" for n in notes]
    if status:
        lines += ["", "This run:", ""] + [f"- {k}: {v}" for k, v in status.items()]
    return "\n".join(lines + [END])


def write_report(text: str) -> None:
    """Replace the run_all section of report.md, keeping every other section."""
    old = REPORT.read_text() if REPORT.exists() else "# Benchmark report\n"
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        title, _, body = old.partition("\n")
        new = f"{title}\n\n{text}\n{body}"
    REPORT.write_text(new.rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--report", action="store_true", help="only rebuild report.md")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    status = {} if args.report else run_benches(names, args.quick)
    rows, notes = collect()
    write_report(render(rows, notes, status))
    print(f"wrote {REPORT} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
