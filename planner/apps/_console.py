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
    from planner.analysis.proposals import gain_text

    summary = result.summary()
    solver = summary["solver"]
    click.secho(f"\n{result.model.upper()}, {travel_label(result.travel)}, "
                + _("{minutes} min, existing stations {existing}").format(
                    minutes=f"{result.minutes:g}", existing=result.existing), bold=True)
    click.echo(f"  {summary['headline']}")
    off = summary.get("candidates_off_network", 0)
    click.echo(f"  {summary['candidates']} candidates on the network"
               + (f", {off} off the network (left out)" if off else ""))
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
        _print_pmedian(summary, solver)
    _print_model_figures(summary)
    if result.model == "lscp" and solver.get("unreachable_places"):
        click.echo(f"  {solver['unreachable_places']} demand place(s) (weight "
                   f"{solver['unreachable_weight']:g}) cannot be reached by any site: excluded")
    if summary.get("existing_closed"):
        click.echo("  closed: " + ", ".join(
            f"{i} {n}" for i, n in zip(summary["existing_closed"],
                                       summary["existing_closed_names"])))
    if summary.get("fewer_sites_reason"):
        click.echo(f"  {len(result.sites)} site(s): {summary['fewer_sites_reason']}")
    elif result.sites.empty:
        click.echo("  " + _("no new site is needed"))
    for row in result.sites.itertuples():
        where = ", ".join(x for x in (row.street, row.nearest_place) if x)
        click.echo(f"  #{row.rank} {row.id} {row.name}: {gain_text(row)}"
                   + (f" ({where})" if where else ""))
    from planner.analysis._models import change_lines

    lines = change_lines(summary.get("measures"))
    if lines:
        click.echo("  measures, before -> after the plan:")
    for line in lines:
        click.echo(f"    {line}")
    if result.curve:
        click.echo("  greedy curve (each k adds the best next site; a lower bound on the best "
                   "k sites): " + ", ".join(f"{p['k']}:{p['covered_share'] * 100:.0f}%"
                                            for p in result.curve))


def _print_pmedian(summary, solver) -> None:
    def minutes(value):
        return "-" if value is None else f"{value:.2f} min"

    before, share = solver["mean_min_before"], solver["unreachable_share_before"]
    if "mean_min_existing" in summary:  # closable: before = every existing station open
        before, share = summary["mean_min_existing"], summary["unreachable_share_existing"]
    click.echo(f"  mean travel time over the demand reached: {minutes(before)} -> "
               f"{minutes(solver['mean_min'])}")
    click.echo(f"  demand no open station reaches: {share * 100:.1f}%"
               f" -> {solver['unreachable_share'] * 100:.1f}% of the weight "
               f"({solver['unreachable_weight']:g}; not in the mean)")


def _print_model_figures(summary) -> None:
    """Backup: weight covered twice before -> after; p-center: worst time before -> after."""
    if "covered_2plus_share_after" in summary:
        click.echo(f"  covered twice: {summary['covered_2plus_share_before'] * 100:.1f}% -> "
                   f"{summary['covered_2plus_share_after'] * 100:.1f}% of demand weight")
    if "worst_min_after" in summary:
        before = summary["worst_min_before"]
        click.echo("  worst time of the covered demand: "
                   + ("-" if before is None else f"{before:.2f} min") + " -> "
                   f"{summary['worst_min_after']:.2f} min")


def propose_extras(measure_items, areas_path, min_covered, *, special: bool = False):
    """propose's --measure, --areas and --min-covered, checked (BadParameter on errors)."""
    from planner.analysis import measures
    from planner.errors import InputError

    try:
        wanted = measures.MeasureOptions.parse(measure_items)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--measure") from None
    if special and wanted.names:
        raise click.BadParameter("hub and service proposals do not take measures yet; use "
                                 "planner coverage --measure on their plan", param_hint="--measure")
    share = None
    if min_covered is not None:
        from planner import _validate

        try:
            share = _validate.percent(min_covered, name="--min-covered")
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--min-covered") from None
    areas = measures.read_areas(areas_path) if areas_path else None
    return wanted, areas, share
