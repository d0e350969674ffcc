"""Console summaries of results (shared by the CLI commands)."""

from __future__ import annotations

import click

from planner import i18n
from planner.i18n import (N_, _, fmt_minutes, fmt_number, fmt_percent, fmt_places, fmt_weight,
                          ngettext, travel_label)


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


#: How the ``existing`` choice of a proposal reads (the report keeps the key).
EXISTING = {"fixed": N_("fixed"), "closable": N_("closable"), "ignore": N_("ignored")}


def early_language(source) -> str:
    """The language for the lines printed before the network is loaded: ``--lang``, else the
    default for a bundled sample's place (its stations layer tells where it is), else the
    environment's. :func:`use_language` settles it once the network is known."""
    import json

    from planner.data import samples
    from planner.data.coords import in_china

    ctx = click.get_current_context()
    china = False
    try:
        sample = samples.resolve(source) if source else None
        if sample is not None and sample.stations is not None:
            feature = json.loads(sample.stations.read_text(encoding="utf-8"))["features"][0]
            lon, lat = feature["geometry"]["coordinates"][:2]
            china = bool(in_china(lon, lat))
    except Exception:  # noqa: BLE001 - only a hint for progress lines; the load checks all
        china = False
    lang = i18n.resolve_lang(ctx.meta.get("planner.lang"), in_china=china)
    ctx.with_resource(i18n.language(lang))
    return lang


def _print_proposal(result) -> None:
    from planner.analysis.proposals import gain_text

    summary = result.summary()
    solver = summary["solver"]
    _echo(f"\n{result.model.upper()}, {travel_label(result.travel)}, "
                + _("{minutes} min, existing stations {existing}").format(
                    minutes=f"{result.minutes:g}",
                    existing=_(EXISTING.get(result.existing, result.existing))), bold=True)
    _echo(f"  {summary['headline']}")
    off = summary.get("candidates_off_network", 0)
    _echo("  " + _("{n} candidates on the network").format(n=summary["candidates"])
          + (_(", {n} off the network (left out)").format(n=off) if off else ""))
    if summary["covered_share_before"] is not None:
        _echo("  " + _("covered within {minutes} min: {before} -> {after} of demand "
                            "weight").format(minutes=f"{result.minutes:g}",
                                             before=fmt_percent(summary["covered_share_before"]),
                                             after=fmt_percent(summary["covered_share_after"]
                                                               or 0)))
    elif summary["covered_share_after"] is not None:
        _echo("  " + _("covered within {minutes} min with the plan: {after} of demand "
                            "weight").format(minutes=f"{result.minutes:g}",
                                             after=fmt_percent(summary["covered_share_after"])))
    if result.model == "pmedian":
        _print_pmedian(summary, solver)
    _print_model_figures(summary)
    if result.model == "lscp" and solver.get("unreachable_places"):
        _echo("  " + _("{places} ({weight}) cannot be reached by any site: excluded").format(
            places=fmt_places(solver["unreachable_places"]),
            weight=fmt_weight(solver["unreachable_weight"])))
    if summary.get("existing_closed"):
        _echo("  " + _("closed:") + " " + _(", ").join(
            f"{i} {n}" for i, n in zip(summary["existing_closed"],
                                       summary["existing_closed_names"])))
    if summary.get("fewer_sites_reason"):
        off = int(summary.get("candidates_off_network") or 0)
        none = int(summary.get("candidates_reaching_no_place") or 0)
        _echo("  " + ngettext("{n} site", "{n} sites", len(result.sites)).format(
            n=len(result.sites)) + _(": no other candidate adds coverage (every place a "
                                     "candidate reaches is covered)")
              + (_(" (of the candidates, {off} are off the network and {none} reach no "
                   "place)").format(off=off, none=none) if off or none else ""))
    elif result.sites.empty:
        _echo("  " + _("no new site is needed"))
    for row in result.sites.itertuples():
        where = _(", ").join(x for x in (row.street, row.nearest_place) if x)
        _echo(f"  #{row.rank} {row.id} {row.name}: {gain_text(row)}"
                   + (f" ({where})" if where else ""))
    from planner.analysis._models import change_lines

    lines = change_lines(summary.get("measures"))
    if lines:
        _echo("  " + _("measures, before -> after the plan:"))
    for line in lines:
        _echo(f"    {line}")
    if result.curve:
        _echo("  " + _("greedy curve (each k adds the best next site; a lower bound on the "
                       "best k sites):") + " " + _(", ").join(
            f"{p['k']}:{fmt_percent(p['covered_share'], 0)}" for p in result.curve))


def _print_pmedian(summary, solver) -> None:
    def minutes(value):
        return "-" if value is None else fmt_minutes(value, digits=2)

    before, share = solver["mean_min_before"], solver["unreachable_share_before"]
    if "mean_min_existing" in summary:  # closable: before = every existing station open
        before, share = summary["mean_min_existing"], summary["unreachable_share_existing"]
    _echo("  " + _("mean travel time over the demand reached: {before} -> {after}").format(
        before=minutes(before), after=minutes(solver["mean_min"])))
    _echo("  " + _("demand no open station reaches: {before} -> {after} of the weight "
                   "({weight}; not in the mean)").format(
        before=fmt_percent(share), after=fmt_percent(solver["unreachable_share"]),
        weight=fmt_number(solver["unreachable_weight"], 2)))


def _print_model_figures(summary) -> None:
    """Backup: weight covered twice before -> after; p-center: worst time before -> after."""
    if "covered_2plus_share_after" in summary:
        _echo("  " + _("covered twice: {before} -> {after} of demand weight").format(
            before=fmt_percent(summary["covered_2plus_share_before"]),
            after=fmt_percent(summary["covered_2plus_share_after"])))
    if "worst_min_after" in summary:
        before = summary["worst_min_before"]
        _echo("  " + _("worst time of the covered demand: {before} -> {after}").format(
            before="-" if before is None else fmt_minutes(before, digits=2),
            after=fmt_minutes(summary["worst_min_after"], digits=2)))


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


def _echo(text: str, **style) -> None:
    """One console line wrapped to the console width (continuations indented)."""
    import textwrap

    from planner.apps._tables import width

    from rich.cells import cell_len

    lines = []
    for line in str(text).split("\n"):
        indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
        wide = cell_len(line) - len(line)  # CJK characters take two columns
        lines.append(textwrap.fill(line, width=width() - wide, subsequent_indent=indent,
                                   break_long_words=True, break_on_hyphens=False)
                     if cell_len(line) > width() else line)
    if style:
        click.secho("\n".join(lines), **style)
    else:
        click.echo("\n".join(lines))


def print_coverage(results) -> None:
    """Each mode's coverage: shares per threshold, times, gaps, worst served, causes."""
    from planner.i18n import fmt_places, fmt_weight

    for result in results:
        summary = result.summary()
        _echo("\n" + _("{network}: {stations} stations, {places}, {travel}").format(
            network=summary["network"], stations=len(result.stations),
            places=fmt_places(summary["demand_places"]), travel=travel_label(result.travel)),
            bold=True)
        for minutes, row in summary["covered"].items():
            _echo("  " + _("within {minutes}: {share} of demand weight "
                                "({places}/{total} places)").format(
                minutes=f"{minutes:>3} " + _("min"), share=f"{fmt_percent(row['share']):>6}",
                places=row["places"], total=summary["demand_places"]))
        times = summary["minutes_to_nearest"]
        _echo("  " + _("time to nearest station: median {median}, p90 {p90}, "
                            "max {max}").format(**{k: _dash(times[k]) for k in
                                                   ("median", "p90", "max")})
                   + (_(", {n} cannot reach any").format(n=times["unreachable_places"])
                      if times["unreachable_places"] else ""))
        _echo("  " + _("gaps beyond {minutes} min: {gaps} area(s), {weight}").format(
            minutes=f"{result.threshold:g}", gaps=summary["gaps"],
            weight=fmt_weight(summary["gap_weight"])))
        for gap in result.gaps.head(3).itertuples():
            _echo(f"    {gap.gap_id}: " + _("{places}, {weight}, around {name}").format(
                places=fmt_places(gap.places), weight=fmt_weight(gap.weight),
                name=gap.anchor_name) + f" ({gap.anchor_lon:.5f},{gap.anchor_lat:.5f})")
        worst = [w for w in summary["worst_served"][:3]]
        if worst:
            _echo("  " + _("worst served:") + " " + _("; ").join(
                _("{name} ({minutes})").format(
                    name=w["name"], minutes=_dash(w["minutes"], missing=_("cannot reach")))
                for w in worst))
        for line in (result.measures.lines() if result.measures is not None else []):
            _echo("  " + line)
        for cause, row in summary["unreachable"]["causes"].items():
            meaning = row["meaning"]
            if row["places"]:
                _echo("  " + _("cannot reach a station: {places}, {weight} ({share}), "
                               "{meaning}").format(places=fmt_places(row["places"]),
                                                   weight=fmt_weight(row["weight"]),
                                                   share=fmt_percent(row["share"]),
                                                   meaning=_(str(meaning))))
        off = result.stations.loc[~result.stations["on_network"], "id"].tolist()
        if off:
            _echo("  " + _("stations off the network (not used): {ids}").format(
                ids=", ".join(off)), fg="yellow")


def _dash(minutes, *, missing: str = "-") -> str:
    from planner.i18n import fmt_minutes

    return missing if minutes is None else fmt_minutes(float(minutes), digits=2)


def print_what_if(description: str, baselines, results) -> None:
    """The what-if against the stations as they are, per mode: covered share before -> after
    at the main threshold and the places that lose or gain service."""
    from planner.i18n import fmt_places

    _echo("\n" + _("What-if: {change}").format(change=description), bold=True)
    for before, after in zip(baselines, results):
        minutes = after.threshold
        column = f"covered_{minutes:g}"
        was = before.demand.set_index("id")[column]
        now = after.demand.set_index("id")[column].reindex(was.index, fill_value=False)
        lost, gained = int((was & ~now).sum()), int((~was & now).sum())
        _echo("  " + _("{minutes}-min {travel} coverage: {before} -> {after} of demand weight; "
                       "{lost} lose service, {gained} gain it").format(
            minutes=f"{minutes:g}", travel=travel_label(after.travel),
            before=fmt_percent(before.covered_share()), after=fmt_percent(after.covered_share()),
            lost=fmt_places(lost), gained=fmt_places(gained)))
