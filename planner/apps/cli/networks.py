"""`planner networks`: the bundled sample districts."""

from __future__ import annotations

import click

from planner.apps.cli._group import cli
from planner.errors import NetworkError


@cli.command()
def networks() -> None:
    """List the bundled sample districts (usable as --network NAME)."""
    from planner.data.samples import layers_dir, list_samples

    found = list_samples()
    if not found:
        raise NetworkError(f"no bundled samples found in {layers_dir()}")
    for sample in found:
        click.echo(f"{click.style(sample.name, bold=True)}  {sample.title}")
        click.echo(f"    {sample.description}")
        click.echo(f"    data: {sample.attribution}")
