"""Console summaries of results (shared by the CLI commands)."""

from __future__ import annotations

import click

from planner import i18n
from planner.i18n import _, fmt_percent, travel_label


def use_language(network) -> str:
    """Set the command's language (``--lang``, else the default for ``network``: Chinese for
    a network in China) until the click command ends; returns it."""
    from planner.data.coords import in_china

    ctx = click.get_current_context()
    west, south, east, north = network.bounds_lonlat
    lang = i18n.resolve_lang(ctx.meta.get("planner.lang"),
                             in_china=bool(in_china((west + east) / 2, (south + north) / 2)))
    ctx.with_resource(i18n.language(lang))
    return lang


def _print_proposal(result) -> None:
    summary = result.summary()
    solver = summary["solver"]
    click.secho(f"\n{result.model.upper()}, {travel_label(result.travel)}, "
                + _("{minutes} min, existing stations {existing}").format(
                    minutes=f"{result.minutes:g}", existing=result.existing), bold=True)
    gap = "" if solver["gap"] is None else f", gap {solver['gap']:.2%}"
    click.echo(f"  solver: {solver['method']} ({solver['status']}{gap}) in {solver['seconds']:.2f} s;"
               f" {summary['candidates']} candidates")
    if summary["covered_share_before"] is not None:
        click.echo("  " + _("covered within {minutes} min: {before} -> {after} of demand "
                            "weight").format(minutes=f"{result.minutes:g}",
                                             before=fmt_percent(summary["covered_share_before"]),
                                             after=fmt_percent(summary["covered_share_after"]
                                                               or 0)))
    elif summary["covered_share_after"] is not None:
        click.echo("  " + _("covered within {minutes} min with the plan: {after} of demand "
                            "weight").format(minutes=f"{result.minutes:g}",
                                             after=fmt_percent(summary["covered_share_after"])))
    if result.model == "pmedian":
        click.echo(f"  mean travel time: {solver['mean_seconds_before'] / 60:.1f} -> "
                   f"{solver['mean_seconds'] / 60:.1f} min")
    if result.model == "lscp" and solver.get("unreachable_places"):
        click.echo(f"  {solver['unreachable_places']} demand place(s) (weight "
                   f"{solver['unreachable_weight']:g}) cannot be reached by any site: excluded")
    if result.sites.empty:
        click.echo("  " + _("no new site is needed (or none adds coverage)"))
    for row in result.sites.itertuples():
        where = ", ".join(x for x in (row.street, row.nearest_place) if x)
        click.echo(f"  #{row.rank} {row.id} {row.name}: "
                   + _("+{weight} weight, {places} places newly in reach").format(
                       weight=f"{row.gain_weight:g}", places=row.newly_covered_places)
                   + (f" ({where})" if where else ""))
    if result.curve:
        click.echo("  curve: " + ", ".join(f"{p['k']}:{p['covered_share'] * 100:.0f}%"
                                           for p in result.curve))
