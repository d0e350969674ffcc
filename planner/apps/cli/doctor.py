"""`planner doctor`: what is wrong with a network and its layers."""

from __future__ import annotations

from pathlib import Path

import click

from planner.apps._console import _echo
from planner.apps.cli._group import cli
from planner.apps.cli._options import lang_option, network_options


@cli.command()
@network_options
@click.option("--candidates", "-c", type=click.Path(path_type=Path), metavar="PATH",
              help="Candidate sites layer to check too.")
@click.option("--mode", "-m", "modes", multiple=True, metavar="MODE",
              help="Modes to check the layers against [default: ebike and walk].")
@click.option("--max-snap", default=250.0, show_default=True, metavar="M")
@lang_option
@click.pass_context
def doctor(ctx, network_source, place, stations, demand, weight_column, candidates, modes,
           max_snap) -> None:
    """Check a network and its layers and list what is wrong, without running an analysis.

    Exits 0 when nothing is wrong (warnings allowed), 2 when something must be fixed.
    """
    from planner import i18n
    from planner.apps._console import early_language
    from planner.apps.doctor import check

    source = f"place:{place}" if place else network_source
    early_language(source)  # --lang, else Chinese for a sample in China, else the locale's
    findings = check(source, stations=stations, demand=demand, candidates=candidates,
                     weight_column=weight_column, modes=modes or ("ebike", "walk"),
                     max_snap_m=max_snap)
    colours = {"info": None, "warning": "yellow", "error": "red"}
    for finding in findings:
        _echo(str(finding), fg=colours[finding.level])
    errors = sum(f.level == "error" for f in findings)
    warnings_ = sum(f.level == "warning" for f in findings)
    click.echo("\n" + i18n.ngettext("{n} error", "{n} errors", errors).format(n=errors)
               + i18n._(", ") + i18n.ngettext("{n} warning", "{n} warnings", warnings_).format(
                   n=warnings_))
    if errors:
        raise SystemExit(2)

