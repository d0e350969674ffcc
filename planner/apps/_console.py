"""Console summaries of results (shared by the CLI commands)."""

from __future__ import annotations

import click


def _print_proposal(result) -> None:
    summary = result.summary()
    solver = summary["solver"]
    click.secho(f"\n{result.model.upper()}, {result.travel.label}, "
                f"{result.minutes:g} min, existing stations {result.existing}", bold=True)
    gap = "" if solver["gap"] is None else f", gap {solver['gap']:.2%}"
    click.echo(f"  solver: {solver['method']} ({solver['status']}{gap}) in {solver['seconds']:.2f} s;"
               f" {summary['candidates']} candidates")
    if summary["covered_share_before"] is not None:
        click.echo(f"  covered within {result.minutes:g} min: "
                   f"{summary['covered_share_before'] * 100:.1f}% -> "
                   f"{(summary['covered_share_after'] or 0) * 100:.1f}% of demand weight")
    elif summary["covered_share_after"] is not None:
        click.echo(f"  covered within {result.minutes:g} min with the plan: "
                   f"{summary['covered_share_after'] * 100:.1f}% of demand weight")
    if result.model == "pmedian":
        click.echo(f"  mean travel time: {solver['mean_seconds_before'] / 60:.1f} -> "
                   f"{solver['mean_seconds'] / 60:.1f} min")
    if result.model == "lscp" and solver.get("unreachable_places"):
        click.echo(f"  {solver['unreachable_places']} demand place(s) (weight "
                   f"{solver['unreachable_weight']:g}) cannot be reached by any site: excluded")
    if result.sites.empty:
        click.echo("  no new site is needed (or none adds coverage)")
    for row in result.sites.itertuples():
        where = ", ".join(x for x in (row.street, row.nearest_place) if x)
        click.echo(f"  #{row.rank} {row.id} {row.name}: +{row.gain_weight:g} weight, "
                   f"{row.newly_covered_places} places newly in reach"
                   + (f" ({where})" if where else ""))
    if result.curve:
        click.echo("  curve: " + ", ".join(f"{p['k']}:{p['covered_share'] * 100:.0f}%"
                                           for p in result.curve))
