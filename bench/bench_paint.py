"""Time to first paint of the coverage maps `planner coverage` writes, in headless Chromium.

    python bench/bench_paint.py                       # 5,000 (e-bike + walk), 200,000, 1,000,000
    python bench/bench_paint.py --quick               # 5,000 and 200,000
    python bench/bench_paint.py --places 5000,200000  # chosen sizes
    python bench/bench_paint.py --maps a.html b.html  # maps made elsewhere
    python bench/bench_paint.py --keep /tmp/paint     # keep the inputs and maps (reused)

Inputs as in bench_e2e.py (Heidelberg extract, 50 stations, weighted places along the
streets); 5,000 places with e-bike and walk (the Heidelberg case), larger sizes walk only
(the CLI draws more than 10,000 places as cells). Each map is opened ``--runs`` times in a
fresh page of Debian's Chromium (playwright, offline: every http(s) request aborted; the
maps are self-contained) at 1400x900. Measured per open, with ``performance.now()`` (ms
since navigation start):

* ``paint_ms``: the first animation frame after the page's ``load`` event (the map script has
  run: the Leaflet map and all its layers exist and the shown ones are added), plus one more
  frame, so the canvas has drawn them: what the user sees;
* ``fcp_ms``: Chromium's first-contentful-paint entry;
* ``layers``: overlay layers on the map at that moment, ``paths`` vector shapes drawn.

Results: bench/results/paint.{json,csv} (median over runs, the map's size).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import _proc
import _results

import bench_e2e

HERE = Path(__file__).resolve().parent

INIT_JS = """
window.addEventListener('load', function () {
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    window.__plannerPaint = performance.now();
  }); });
});
"""

PROBE_JS = """() => {
  const out = {paint_ms: window.__plannerPaint, layers: 0, paths: 0};
  const fcp = performance.getEntriesByType('paint')
    .find(e => e.name === 'first-contentful-paint');
  out.fcp_ms = fcp ? fcp.startTime : null;
  for (const key of Object.keys(window)) {
    const map = window[key];
    if (!(map instanceof L.Map)) continue;
    for (const layer of Object.values(map._layers)) {
      if (layer instanceof L.Path) out.paths += 1;
      else if (!(layer instanceof L.TileLayer)) out.layers += 1;
    }
  }
  return out;
}"""


def open_map(browser, path: Path, timeout_ms: float) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("http://**/*", lambda route: route.abort())
    page.route("https://**/*", lambda route: route.abort())
    page.add_init_script(INIT_JS)
    try:
        page.goto(path.as_uri(), timeout=timeout_ms)
        page.wait_for_function("window.__plannerPaint !== undefined", timeout=timeout_ms)
        found = page.evaluate(PROBE_JS)
    finally:
        page.close()
    found["errors"] = errors[:3]
    return found


def measure(path: Path, *, runs: int, timeout_ms: float) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            opened = [open_map(browser, path, timeout_ms) for _ in range(runs)]
        finally:
            browser.close()
    paint = [o["paint_ms"] for o in opened]
    fcp = [o["fcp_ms"] for o in opened if o["fcp_ms"] is not None]
    return {"map": path.name, "map_mb": round(path.stat().st_size / 2**20, 2),
            "paint_ms": round(statistics.median(paint)), "paint_min_ms": round(min(paint)),
            "fcp_ms": round(statistics.median(fcp)) if fcp else None, "runs": runs,
            "layers": opened[-1]["layers"], "paths": opened[-1]["paths"],
            "status": "ok" if not opened[-1]["errors"] else "errors: " +
            "; ".join(opened[-1]["errors"])}


def make_maps(args, folder: Path) -> list[tuple[str, Path]]:
    """Run the CLI once per size (inputs as bench_e2e.py); maps already in ``folder`` are
    reused."""
    wanted = [n for n in args.places if not (folder / f"map-{n}" / "map.html").is_file()]
    paths = {"stations": folder / "stations.csv",
             **{n: folder / f"places-{n}.csv" for n in args.places}}
    missing = [n for n in wanted if not paths[n].is_file()]
    if missing or not paths["stations"].is_file():
        paths.update(bench_e2e.write_inputs(folder, args.pbf, stations=args.stations,
                                            places=missing))
    out = []
    for n in args.places:
        target = folder / f"map-{n}"
        if n in wanted:
            target.mkdir(exist_ok=True)
            modes = ["ebike", "walk"] if n <= 10_000 else ["walk"]
            command = bench_e2e.coverage_command(args, paths, n, modes, target)
            child = _proc.run(command, env=bench_e2e._env(args), cwd=str(folder),
                              timeout_s=args.timeout)
            print(f"  map of {n:,} places: {child.wall_s:.1f} s, {child.peak_mb:.0f} MB "
                  f"(exit {child.returncode})  [load {_proc.load()}]", flush=True)
            if child.returncode != 0:
                print((child.stderr or child.stdout)[-800:], file=sys.stderr)
                continue
        out.append((f"places-{n}", target / "map.html"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--places", default="5000,200000,1000000",
                        type=lambda s: [int(x) for x in s.split(",") if x.strip()])
    parser.add_argument("--quick", action="store_true", help="5,000 and 200,000 places")
    parser.add_argument("--maps", nargs="*", type=Path, help="measure these maps instead")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--pbf", type=Path, default=bench_e2e.PBF)
    parser.add_argument("--checkout", type=Path, default=HERE.parent)
    parser.add_argument("--keep", type=Path, help="folder for inputs and maps (reused)")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "planner-bench-cache")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--tag", default="")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    if args.quick:
        args.places = [n for n in args.places if n <= 200_000]
    args.checkout = args.checkout.resolve()
    args.cache_dir = args.cache_dir / (args.tag or args.checkout.name)
    with tempfile.TemporaryDirectory(prefix="bench-paint-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        maps = [(p.stem, p) for p in args.maps] if args.maps else make_maps(args, folder)
        rows = []
        for case, path in maps:
            row = {"bench": "paint", "case": case, "tag": args.tag,
                   **measure(path, runs=args.runs, timeout_ms=args.timeout * 1000),
                   "load": _proc.load()}
            rows.append(row)
            print(f"{case:<18} map {row['map_mb']:>6} MB  paint {row['paint_ms']:>6} ms "
                  f"(min {row['paint_min_ms']})  fcp {row['fcp_ms']} ms  layers "
                  f"{row['layers']}  paths {row['paths']}  {row['status']}", flush=True)
    _results.write(args.out, "paint" + (f"-{args.tag}" if args.tag else ""), rows,
                   load=_proc.load())
    print(f"machine load: {_proc.load()}")


if __name__ == "__main__":
    main()
