"""Many districts at once on Dask: one task per district, a combined ranking table.

Runs on a local Dask cluster (processes on this machine, bounded memory) by default, or on an
existing cluster (``client=`` / ``--scheduler tcp://HOST:PORT``). A district that fails is
reported and does not stop the others; districts whose outputs are up to date are skipped.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner._version import __version__
from planner import _io, _paths, _validate, i18n
from planner.apps._batch_spec import (  # noqa: F401  (public names, importable from here)
    ANALYSES, DISTRICT_KEYS, FIXED_OUTPUTS, BatchSpec, District, folder_names, load, parse)
from planner.outputs import maps as render
from planner.errors import PlannerError, ScenarioError

__all__ = ["District", "BatchSpec", "BatchResult", "load", "parse", "run", "run_district",
           "up_to_date", "write_table"]

@dataclass(frozen=True)
class BatchResult:
    """Per-district rows (``status`` ok / skipped / failed) and the ranking built from them."""

    title: str
    rows: tuple[dict, ...]

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "failed"]

    def table(self) -> pd.DataFrame:
        """Districts ranked worst-covered first (then by gap weight), failures last."""
        frame = pd.DataFrame(list(self.rows))
        ok = frame[frame["status"] != "failed"].copy()
        bad = frame[frame["status"] == "failed"].copy()
        if not ok.empty:
            ok = ok.sort_values(["covered_main_%", "gap_weight", "district"],
                                ascending=[True, False, True])
        table = pd.concat([ok, bad], ignore_index=True)
        rank = pd.array(list(range(1, len(ok) + 1)) + [None] * len(bad), dtype="Int64")
        table.insert(0, "rank", rank)
        return table






def _fingerprint(district: District) -> str:
    """Changes when the district's settings, input files or the planner version change."""
    # the language the outputs get when the district names none depends on the environment
    langs = district.lang or [i18n.default_lang(in_china=False), i18n.default_lang(in_china=True)]
    digest = hashlib.sha256(json.dumps([district.to_dict(), __version__, langs],
                                       sort_keys=True, default=str).encode())
    for value in (district.network, district.stations, district.demand, district.candidates):
        if value and Path(value).is_file():
            stat = Path(value).stat()
            digest.update(f"{value}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def up_to_date(district: District, out_dir: str | Path) -> dict | None:
    """The district's last row (status ``skipped``) if its outputs are up to date, else None."""
    folder = Path(out_dir) / folder_names([district.name])[district.name]
    _io.recover(folder)  # a set a killed run left half-moved is completed before reading it
    marker = folder / "done.json"
    if not marker.is_file():
        return None
    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
        if done.get("fingerprint") == _fingerprint(district):
            return {**done["row"], "status": "skipped", "seconds": 0.0}
    except (OSError, ValueError, KeyError, TypeError):
        pass  # unreadable marker: run again
    return None


def run_district(district: District | Mapping, out_dir: str | Path, *,
                 force: bool = False, self_contained: bool = True) -> dict:
    """Analyse one district and write its map and report; return its summary row.

    Never raises for the district's own problems: a failure comes back as a row with
    ``status = "failed"`` and the error message, so one bad district cannot stop a batch.
    """
    if isinstance(district, Mapping):
        district = District(**{"lang": None, **district, "minutes": tuple(district["minutes"]),
                                "analysis": tuple(district["analysis"]),
                                "bbox": tuple(district["bbox"]) if district.get("bbox") else None})
    start = time.perf_counter()
    folder = Path(out_dir) / folder_names([district.name])[district.name]
    marker = folder / "done.json"
    key = _fingerprint(district)
    _io.recover(folder)  # a set a killed run left half-moved is completed before reading it
    done = None if force else up_to_date(district, out_dir)
    if done is not None:
        return done
    try:
        with _io.output_policy(inputs=_paths.inputs_of(district.network, district.stations,
                                                       district.demand, district.candidates),
                               force=force):
            row, bundle = _analyse(district, folder, self_contained)
            row["seconds"] = round(time.perf_counter() - start, 2)
            # the marker is part of the set: it never vouches for a half-written folder
            bundle["texts"][marker] = json.dumps({"fingerprint": key, "row": row},
                                                 ensure_ascii=False, default=str)
            render.write_bundle(**bundle)
    except PlannerError as exc:
        return _failed(district, str(exc), start)
    except Exception as exc:  # a bug must not stop the other districts either
        return _failed(district, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}",
                       start)
    return row


def _failed(district: District, message: str, start: float) -> dict:
    return {"district": district.name, "status": "failed", "error": message.strip(),
            "mode": district.mode, "seconds": round(time.perf_counter() - start, 2)}


def _district_inputs(district: District):
    """The district's network (cut to its bbox, if given) and layers."""
    from planner.apps._inputs import load_inputs
    from planner.data import network as network_stage
    from planner.data import samples

    if district.bbox is not None:
        if samples.resolve(district.network) is not None:
            raise PlannerError("bbox needs a network file (a province .osm.pbf), not a sample")
        net = network_stage.from_file(district.network, bbox=district.bbox, name=district.name)
        inputs = load_inputs(district.network, stations=district.stations,
                             demand=district.demand, candidates=district.candidates,
                             weight_column=district.weight_column, **district.layer_options)
        inputs = type(inputs)(network=net, stations=inputs.stations, demand=inputs.demand,
                              candidates=inputs.candidates, sample=None)
    else:
        inputs = load_inputs(district.network, stations=district.stations,
                             demand=district.demand, candidates=district.candidates,
                             weight_column=district.weight_column, **district.layer_options)
    return inputs


def _analyse(district: District, folder: Path, self_contained: bool) -> tuple[dict, dict]:
    """The district's summary row and the files to write (``write_bundle`` arguments), with
    the map and report labels in the district's language."""
    inputs = _district_inputs(district)
    if inputs.stations is None or inputs.demand is None:
        raise PlannerError("give stations and demand layers for this district")
    with i18n.language(district_lang(district, inputs.network)):
        return _analyse_in_language(district, folder, self_contained, inputs)


def district_lang(district: District, network) -> str:
    """The district's ``lang``, else Chinese for a network in China (as ``planner coverage``
    does), else English."""
    from planner.data.coords import in_china

    if district.lang:
        return district.lang
    west, south, east, north = network.bounds_lonlat
    return i18n.default_lang(in_china=bool(in_china((west + east) / 2, (south + north) / 2)))


def _analyse_in_language(district: District, folder: Path, self_contained: bool,
                         inputs) -> tuple[dict, dict]:
    from planner.analysis import coverage
    from planner.analysis import proposals
    from planner.engine.study import as_study
    from planner.settings import Travel

    travel = Travel(district.mode, speed_kmh=district.speed_kmh)
    study = as_study(inputs.network, stations=inputs.stations, demand=inputs.demand,
                     candidates=inputs.candidates, travel=travel)  # the proposal reuses it
    result = coverage.analyze(study, minutes=district.minutes, per_station_isochrones=False)
    summary = result.summary()
    main = result.threshold
    row = {
        "district": district.name, "status": "ok", "lang": i18n.current(), "mode": travel.mode,
        "speed_kmh": travel.speed_kmh, "stations": summary["stations_on_network"],
        "demand_places": summary["demand_places"], "demand_weight": summary["demand_weight"],
        "threshold_min": main, "covered_main_%": round(100 * result.covered_share(), 2),
        **{f"covered_{m:g}min_%": round(100 * result.covered_share(m), 2)
           for m in district.minutes},
        "gaps": summary["gaps"], "gap_weight": summary["gap_weight"],
        "median_min": summary["minutes_to_nearest"]["median"],
        "p90_min": summary["minutes_to_nearest"]["p90"],
    }
    fmap = render.coverage_map([result], network=inputs.network, self_contained=self_contained,
                               title=i18n._("{name}: {minutes}-minute coverage").format(
                                   name=district.name, minutes=f"{main:g}"))
    report = {"district": district.to_dict(), "coverage": result.to_dict()}
    writes: dict = {"fmap": fmap, "map_path": folder / "coverage.html", "texts": {}}
    if "proposals" in district.analysis:
        options = dict(district.propose)
        plan = proposals.propose(
            study, model=options.get("model", "mclp"), k=int(options.get("k", 3)),
            minutes=main, candidate_sources=tuple(options.get("candidate_sources") or (
                ("layer",) if inputs.candidates is not None else ("intersections",))),
            spacing_m=options.get("spacing_m", 300.0),
            method=options.get("method", "auto"))
        row["proposed_sites"] = len(plan.sites)
        row["covered_after_%"] = (None if plan.after is None
                                  else round(100 * plan.after.covered_share(), 2))
        report["proposal"] = plan.to_dict()
        writes["texts"][folder / "proposal.html"] = render.proposal_map(
            plan, network=inputs.network, self_contained=self_contained).get_root().render()
        writes["frames"] = {folder / "proposal-sites.geojson": plan.sites}
    return row, {**writes, "report": report, "report_path": folder / "report.json"}


# --------------------------------------------------------------------------- the batch


def run(
    spec: BatchSpec | str | Path,
    out_dir: str | Path,
    *,
    client=None,
    scheduler: str | None = None,
    n_workers: int = 2,
    memory_limit: str = "4GiB",
    force: bool = False,
    self_contained: bool = True,
    progress: Callable[[str, dict], None] | None = None,
    on_start: Callable[[object], None] | None = None,
    connect_timeout: str = "10s",
) -> BatchResult:
    """Run every district on Dask and return the per-district rows.

    Districts whose outputs are up to date are skipped before any cluster is started, so a
    batch with nothing to run starts none.

    Parameters
    ----------
    client
        An existing ``dask.distributed.Client``; otherwise one is made for ``scheduler``
        (``tcp://HOST:PORT``) or for a new local cluster of ``n_workers`` processes with
        ``memory_limit`` each (closed again at the end).
    progress
        Called with ``(district name, row)`` as each district finishes (or is skipped).
    on_start
        Called with the client once it is connected (e.g. to print the dashboard link).
    connect_timeout
        How long to try reaching ``scheduler`` before giving up with an error.

    ``scheduler``, ``n_workers`` and ``memory_limit`` are checked before anything starts.
    """
    if not isinstance(spec, BatchSpec):
        spec = load(spec)
    out_dir = Path(out_dir)
    folder_names([d.name for d in spec.districts])
    if client is None and scheduler:
        scheduler = _validate.scheduler_address(scheduler)
    elif client is None:
        n_workers = _validate.workers(n_workers, name="n_workers")
        memory_limit = _validate.memory_limit(memory_limit, name="memory_limit")
    rows: dict[str, dict] = {}
    todo = []
    for district in spec.districts:
        done = None if force else up_to_date(district, out_dir)
        if done is None:
            todo.append(district)
            continue
        rows[district.name] = done
        if progress is not None:
            progress(district.name, done)
    if todo:
        rows.update(_run_on_dask(todo, out_dir, client=client, scheduler=scheduler,
                                 n_workers=n_workers, memory_limit=memory_limit, force=force,
                                 self_contained=self_contained, progress=progress,
                                 on_start=on_start, connect_timeout=connect_timeout))
    ordered = tuple(rows[d.name] for d in spec.districts)
    return BatchResult(title=spec.title, rows=ordered)


def _connect(client, scheduler: str | None, n_workers: int, memory_limit: str,
             connect_timeout: str = "10s"):
    """(client, owned client, owned cluster): the given client, or one we start and close."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("batch runs need Dask: pip install 'dask[distributed]'") from exc
    if client is not None:
        return client, None, None
    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise ScenarioError(f"cannot reach the Dask scheduler {scheduler} ({exc}); "
                                "check the address or drop --scheduler to run locally") \
                from None
        return client, client, None
    import logging

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           memory_limit=memory_limit, dashboard_address=":0",
                           silence_logs=logging.WARNING)
    client = Client(cluster)
    return client, client, cluster


def _run_on_dask(districts, out_dir: Path, *, client, scheduler, n_workers, memory_limit,
                 force, self_contained, progress, on_start,
                 connect_timeout="10s") -> dict[str, dict]:
    from dask.distributed import as_completed

    client, own_client, own_cluster = _connect(client, scheduler, n_workers, memory_limit,
                                               connect_timeout)
    rows: dict[str, dict] = {}
    try:
        if on_start is not None:
            on_start(client)
        futures = {client.submit(run_district, district.to_dict(), str(out_dir), force=force,
                                 self_contained=self_contained, pure=False,
                                 key=f"district-{i}-{district.name}"): district.name
                   for i, district in enumerate(districts)}
        for future in as_completed(futures):
            name = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # a worker died (e.g. out of memory)
                row = {"district": name, "status": "failed",
                       "error": f"worker failed: {type(exc).__name__}: {exc}"}
            rows[name] = row
            if progress is not None:
                progress(name, row)
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
    return rows


def write_table(result: BatchResult, out_dir: str | Path) -> list[Path]:
    """districts.csv, districts.md and districts.json, written together."""
    from planner.apps.scenario import markdown_table

    out_dir = Path(out_dir)
    table = result.table()
    plain = table.drop(columns=[c for c in ("error",) if c in table.columns])
    records = json.loads(table.to_json(orient="records", force_ascii=False))
    errors = [f"- **{render.markdown_cell(r['district'])}**: "
              f"{render.markdown_cell((str(r.get('error', '')).splitlines() or [''])[0])}"
              for r in result.failed]
    markdown = (f"# {render.markdown_cell(result.title)}\n\n" + markdown_table(plain)
                + ("\n## Failed districts\n\n" + "\n".join(errors) + "\n" if errors else ""))
    return render.write_bundle(
        report={"title": result.title, "districts": records}, report_path=out_dir /
        "districts.json",
        texts={out_dir / "districts.csv": render.csv_text(table),
               out_dir / "districts.md": markdown})

