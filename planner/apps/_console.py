"""Console summaries of results (shared by the CLI commands)."""

from __future__ import annotations

import click


def _print_proposal(result) -> None:
    summary = result.summary()
    solver = summary["solver"]
    _echo(f"\n{result.model.upper()}, {result.travel.label}, "
                f"{result.minutes:g} min, existing stations {result.existing}", bold=True)
    gap = "" if solver["gap"] is None else f", gap {solver['gap']:.2%}"
    _echo(f"  solver: {solver['method']} ({solver['status']}{gap}) in {solver['seconds']:.2f} s;"
               f" {plural(summary['candidates'], 'candidate site')} on the network")
    if summary["covered_share_before"] is not None:
        _echo(f"  covered within {result.minutes:g} min: "
                   f"{summary['covered_share_before'] * 100:.1f}% -> "
                   f"{(summary['covered_share_after'] or 0) * 100:.1f}% of demand weight")
    elif summary["covered_share_after"] is not None:
        _echo(f"  covered within {result.minutes:g} min with the plan: "
                   f"{summary['covered_share_after'] * 100:.1f}% of demand weight")
    if result.model == "pmedian":
        _echo(f"  mean travel time: {solver['mean_seconds_before'] / 60:.1f} -> "
                   f"{solver['mean_seconds'] / 60:.1f} min")
    if result.model == "lscp" and solver.get("unreachable_places"):
        _echo(f"  {solver['unreachable_places']} demand place(s) (weight "
                   f"{solver['unreachable_weight']:g}) cannot be reached by any site: excluded")
    if result.sites.empty:
        _echo("  no new site is needed (or none adds coverage)")
    for row in result.sites.itertuples():
        where = ", ".join(x for x in (row.street, row.nearest_place) if x)
        _echo(f"  #{row.rank} {row.id} {row.name}: +{row.gain_weight:g} weight, "
                   f"{plural(row.newly_covered_places, 'place')} newly in reach"
                   + (f" ({where})" if where else ""))
    if result.curve:
        _echo("  curve: " + ", ".join(f"{p['k']}:{p['covered_share'] * 100:.0f}%"
                                           for p in result.curve))


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
    click.secho("\n".join(lines), **style)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 place``, ``2 places`` (``many`` for irregular plurals)."""
    count = int(count)
    return f"{count} {word if count == 1 else (many or word + 's')}"


def print_coverage(results) -> None:
    """Each mode's coverage: shares per threshold, times, gaps, worst served, causes."""
    for result in results:
        summary = result.summary()
        _echo(f"\n{summary['network']}: {len(result.stations)} stations, "
                    f"{summary['demand_places']} demand places, {result.travel.label}",
                    bold=True)
        for minutes, row in summary["covered"].items():
            _echo(f"  within {minutes:>3} min: {row['share'] * 100:5.1f}% of demand weight "
                       f"({row['places']}/{plural(summary['demand_places'], 'place')})")
        times = summary["minutes_to_nearest"]
        _echo(f"  time to nearest station: median {times['median']} min, "
                   f"p90 {times['p90']} min, max {times['max']} min"
                   + (f", {times['unreachable_places']} cannot reach any"
                      if times["unreachable_places"] else ""))
        _echo(f"  gaps beyond {result.threshold:g} min: {plural(summary['gaps'], 'area')}, "
                   f"demand weight {summary['gap_weight']:g}")
        for gap in result.gaps.head(3).itertuples():
            _echo(f"    {gap.gap_id}: {plural(gap.places, 'place')}, weight {gap.weight:g}, "
                       f"around {gap.anchor_name} ({gap.anchor_lon:.5f},{gap.anchor_lat:.5f})")
        worst = [w for w in summary["worst_served"][:3]]
        if worst:
            _echo("  worst served: " + "; ".join(
                f"{w['name']} ({'cannot reach' if w['minutes'] is None else str(w['minutes']) + ' min'})"
                for w in worst))
        for line in (result.measures.lines() if result.measures is not None else []):
            _echo("  " + line)
        for cause, row in summary["unreachable"]["causes"].items():
            if row["places"]:
                _echo(f"  cannot reach a station: {plural(row['places'], 'place')}, weight "
                           f"{row['weight']:g} ({row['share']:.1%}), {row['meaning']}")
        off = result.stations.loc[~result.stations["on_network"], "id"].tolist()
        if off:
            _echo(f"  stations off the network (not used): {', '.join(off)}", fg="yellow")


def print_what_if(description: str, baselines, results) -> None:
    """The what-if against the stations as they are, per mode: covered share before -> after
    at the main threshold and the places that lose or gain service."""
    _echo(f"\nWhat-if: {description}", bold=True)
    for before, after in zip(baselines, results):
        minutes = after.threshold
        column = f"covered_{minutes:g}"
        was = before.demand.set_index("id")[column]
        now = after.demand.set_index("id")[column].reindex(was.index, fill_value=False)
        lost, gained = int((was & ~now).sum()), int((~was & now).sum())
        _echo(f"  {minutes:g}-min {after.travel.label} coverage: "
                   f"{before.covered_share() * 100:.1f}% -> {after.covered_share() * 100:.1f}% "
                   f"of demand weight; {plural(lost, 'place')} lose service, "
                   f"{plural(gained, 'place')} gain it")


def fewer_sites_reason(result, k: int) -> str | None:
    """Why a proposal has fewer than the ``k`` sites asked for (None if it has ``k``)."""
    found = len(result.sites)
    if result.model not in ("mclp", "pmedian") or found >= k:
        return None
    summary = result.summary()
    asked = f"asked for {plural(k, 'site')}, proposing {found}"
    if summary["candidates"] < k:
        return (f"{asked}: only {plural(summary['candidates'], 'candidate site')} "
                f"{'is' if summary['candidates'] == 1 else 'are'} on the network "
                f"({summary.get('candidates_off_network', 0)} too far from a street)")
    if result.model == "pmedian":
        return f"{asked}: another site would not shorten any trip"
    after = summary["covered_share_after"]
    if after is not None and after >= 1:
        return f"{asked}: {found} already cover every demand place within {result.minutes:g} min"
    uncovered = "" if after is None else f" ({(1 - after) * 100:.1f}% of the weight)"
    return (f"{asked}: another site would add nothing; the demand still uncovered{uncovered} "
            f"is beyond {result.minutes:g} min of every candidate site")
