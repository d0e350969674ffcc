"""`planner batch`: many districts on Dask."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner.apps.cli._group import cli
from planner.apps.cli._options import _progress


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Output folder [default: maps/<file name>/].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on an existing Dask cluster instead of a local one.")
@click.option("--workers", default=2, show_default=True, help="Local cluster: worker processes.")
@click.option("--memory-limit", default="4GiB", show_default=True,
              help="Local cluster: memory per worker.")
@click.option("--force", is_flag=True, help="Re-run districts whose outputs are up to date.")
@click.option("--self-contained/--cdn", default=True, show_default=True)
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
    spec = batch_stage.load(file)
    out_dir = out_dir or Path("maps") / Path(file).stem
    quiet = ctx.obj.get("quiet")
    bar = None

    def started(client) -> None:
        link = getattr(client, "dashboard_link", None)
        say(f"{len(spec.districts)} districts on {client.scheduler_info().get('address', '?')}"
            + (f"; dashboard: {link}" if link else ""))

    bar_context = click.progressbar(length=len(spec.districts), label="districts",
                                    file=sys.stderr) if not quiet else None
    if bar_context is not None:
        bar = bar_context.__enter__()

    def finished(name: str, row: dict) -> None:
        if bar is not None:
            bar.update(1)
        if row["status"] == "failed" and not quiet:
            click.secho(f"\n  {name}: FAILED: {row['error'].splitlines()[0]}", err=True,
                        fg="red")

    try:
        result = batch_stage.run(spec, out_dir, scheduler=scheduler, n_workers=workers,
                                 memory_limit=memory_limit, force=force,
                                 self_contained=self_contained, progress=finished,
                                 on_start=started)
    finally:
        if bar_context is not None:
            bar_context.__exit__(None, None, None)
    written = batch_stage.write_table(result, out_dir)
    table = result.table()
    shown = [c for c in ("rank", "district", "status", "mode", "stations", "covered_main_%",
                         "gaps", "gap_weight", "median_min", "proposed_sites",
                         "covered_after_%", "seconds") if c in table.columns]
    click.secho(f"\n{result.title}", bold=True)
    click.echo(table[shown].to_string(index=False))
    click.echo(f"\nwrote {', '.join(str(p) for p in written)}")
    if result.failed:
        click.secho(f"{len(result.failed)} of {len(result.rows)} districts failed; see "
                    "districts.md", fg="red", err=True)
        raise SystemExit(3)

