"""`planner batch`: many districts on Dask."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from pathlib import Path

import click

from planner.apps.cli._group import cli, is_quiet, verbosity
from planner.apps._console import early_language
from planner.apps.cli._options import _guard, _progress, lang_option
from planner import i18n
from planner.i18n import N_, _
from planner.errors import InputError
from planner.apps.cli._progress import bar


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Output folder [default: maps/<file name>/].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on an existing Dask cluster instead of a local one (gives up after "
                   "10 s if it cannot be reached).")
@click.option("--workers", default="2", show_default=True, metavar="N",
              help="Local cluster: worker processes (1..256).")
@click.option("--memory-limit", default="4GiB", show_default=True, metavar="SIZE",
              help="Local cluster: memory per worker in bytes with a unit (e.g. 2GiB, 500MB) "
                   "or auto; at least 256MiB and at most this machine's memory.")
@click.option("--force", is_flag=True,
              help="Re-run districts whose outputs are up to date, and write through output "
                   "paths that are symlinks.")
@click.option("--self-contained/--cdn", default=True, show_default=True)
@lang_option
@click.pass_context
def batch(ctx, file, out_dir, scheduler, workers, memory_limit, force, self_contained) -> None:
    """Run many districts on Dask (a local cluster, or --scheduler) from a batch file.

    Writes one folder per district (map and report) and districts.csv/.md/.json ranking the
    districts worst-covered first. A district that fails is reported and the others go on;
    the exit code is 3 when some district failed. Districts whose inputs and settings did not
    change since the last run are skipped (--force re-runs them).
    """
    from planner.apps import batch as batch_stage

    say = _progress(ctx)
    workers = _check_cluster_options(scheduler, workers, memory_limit)
    spec = batch_stage.load(file)
    if ctx.meta.get("planner.lang"):  # --lang wins over the batch file's
        spec = dataclasses.replace(spec, districts=tuple(
            dataclasses.replace(d, lang=ctx.meta["planner.lang"]) for d in spec.districts))
    early_language(spec.districts[0].network)  # progress lines; the table follows the maps
    out_dir = out_dir or Path("maps") / Path(file).stem
    policy = _guard([out_dir / name for name in batch_stage.FIXED_OUTPUTS], [file], force)
    quiet = is_quiet(ctx)

    def started(client) -> None:
        link = getattr(client, "dashboard_link", None)
        say(_("{n} districts on {address}").format(
            n=len(spec.districts), address=client.scheduler_info().get("address", "?"))
            + (_("; dashboard: {link}").format(link=link) if link else ""))
        if not verbosity(ctx):
            say(_("Dask's own log: {path} (-v shows it here)").format(path=out_dir / "dask.log"))

    with bar(ctx, len(spec.districts), "districts") as advance, \
            _dask_logs(out_dir, verbose=verbosity(ctx)):
        def finished(name: str, row: dict) -> None:
            advance()
            if row["status"] == "failed" and not quiet:
                click.secho(f"  {name}: FAILED: {row['error'].splitlines()[0]}", err=True,
                            fg="red")

        result = batch_stage.run(spec, out_dir, scheduler=scheduler, n_workers=workers,
                                 memory_limit=memory_limit, force=force,
                                 self_contained=self_contained, progress=finished,
                                 on_start=started)
    with policy:
        written = batch_stage.write_table(result, out_dir)
    langs = {row.get("lang") for row in result.rows if row.get("lang")}
    ctx.with_resource(i18n.language(ctx.meta.get("planner.lang") or i18n.default_lang(
        in_china=langs == {"zh"})))  # the districts' language when they agree
    click.echo("\n" + ranking_text(result))
    click.echo("")
    for path in written:
        click.echo(_("wrote {path}").format(path=path))
    if result.failed:
        click.secho(f"{len(result.failed)} of {len(result.rows)} districts failed; see "
                    "districts.md", fg="red", err=True)
        raise SystemExit(3)


def _check_cluster_options(scheduler, workers, memory_limit) -> int:
    """--scheduler, --workers and --memory-limit checked before anything starts."""
    from planner import _validate

    for hint, check in (
            ("--scheduler", lambda: scheduler and _validate.scheduler_address(scheduler)),
            ("--workers", lambda: _validate.workers(workers)),
            ("--memory-limit", lambda: _validate.memory_limit(memory_limit))):
        try:
            check()
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None
    return int(workers)


SHOWN = ("rank", "district", "status", "mode", "stations", "covered_main_%", "gaps",
         "gap_weight", "median_min", "proposed_sites", "covered_after_%", "seconds")


def ranking_text(result) -> str:
    """The ranking as a console table within 100 columns; the full one is in districts.csv."""
    from planner.apps import _tables
    from planner.i18n import _, mode_name

    table = result.table()
    if "mode" in table.columns:
        table["mode"] = [v if _tables.missing(v) else mode_name(v) for v in table["mode"]]
    if "status" in table.columns:
        table["status"] = [_(STATUS.get(v, v)) if isinstance(v, str) else v
                           for v in table["status"]]
    sep = _(", ")
    notes = []
    skipped = [r["district"] for r in result.rows if r["status"] == "skipped"]
    if skipped:
        notes.append(_("skipped (up to date, run time 0): {districts}; --force re-runs").format(
            districts=sep.join(skipped)))
    if "proposed_sites" in table.columns:
        none = [r["district"] for r in result.rows
                if r.get("proposed_sites") is None and r["status"] != "failed"]
        if none:
            notes.append(_("n/a: no proposal asked for {districts} (analysis = "
                           "[\"coverage\"])").format(districts=sep.join(none)))
    if result.failed:
        notes.append(_("n/a: failed districts have no figures; the error is in districts.md"))
    notes.append(_("covered (%): share of demand weight within the district's largest "
                   "threshold; full table in districts.csv/.md"))
    return _tables.render(table, columns=SHOWN, title=result.title, notes=notes,
                          right=("proposed_sites", "covered_after_%"))


#: How a district's status reads in the console (the files keep the key).
STATUS = {"ok": N_("ok"), "failed": N_("failed"), "skipped": N_("skipped")}


@contextlib.contextmanager
def _dask_logs(out_dir: Path, *, verbose: int):
    """Dask's own log lines go to <out>/dask.log unless -v: the console keeps the planner's."""
    if verbose:
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out_dir / "dask.log", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = []
    for name in ("distributed", "dask"):
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate))
        logger.handlers = [handler]
        logger.propagate = False
    try:
        yield
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers = handlers
            logger.propagate = propagate
        handler.close()
