"""`planner propose`: where new stations should go."""

from __future__ import annotations

from pathlib import Path

import click

from planner.apps import _services_cli
from planner.apps._console import _print_proposal, early_language, propose_extras
from planner.apps.cli._group import cli
from planner import i18n
from planner.apps.cli._options import (
    SAMPLE_NOTE,
    _default_output, _guard, _load, _progress, _run_inputs, datum_options, force_option,
    map_options, network_options, parse_input_crs, parse_minutes, parse_travels,
    travel_options)
from planner.errors import InputError
from planner.i18n import _


@cli.command()
@network_options
@travel_options
@click.option("--model", type=click.Choice(["mclp", "lscp", "pmedian", "backup", "pcenter",
                                           "hub"]), default="mclp", show_default=True,
              help="mclp: the k sites covering the most demand; lscp: the fewest sites reaching "
                   "--target; pmedian: k sites minimising the mean travel time; backup: k "
                   "sites covering the most demand twice; pcenter: k sites minimising the worst "
                   "time of the covered demand; hub: one hub plus k satellites within "
                   "--hub-minutes of it (1+N).")
@click.option("-k", "--new-stations", "k", default="3", show_default=True, metavar="N",
              help="How many new stations (mclp, pmedian, backup, pcenter, hub): a whole "
                   "number >= 1.")
@click.option("--target", default="100", show_default=True, metavar="PERCENT",
              help="lscp: share of demand to reach, in per cent from 1 to 100 (95 or 95%); "
                   "0.95 is refused as ambiguous.")
@click.option("--unreachable", type=click.Choice(["exclude", "error"]), default="exclude",
              show_default=True,
              help="lscp: aim at the demand some site can reach (exclude), or fail when some "
                   "demand is out of reach (error).")
@click.option("--candidates", "-c", type=click.Path(path_type=Path), metavar="PATH",
              help="Candidate sites layer. Defaults to the sample's public places.")
@click.option("--candidate-source", "sources", multiple=True,
              type=click.Choice(["layer", "intersections", "grid", "osm:public"]),
              help="Where candidates come from; repeatable [default: layer if there is one, "
                   "else intersections]. osm:public: community centres, banks, post offices, "
                   "fuel, police, convenience shops... from the network's OSM file.")
@click.option("--spacing", default="300", show_default=True, metavar="M",
              help="Spacing of intersection / grid candidates in metres (20..5000).")
@click.option("--exclude", "exclude_path", type=click.Path(path_type=Path), metavar="PATH",
              help="Polygons where no station may go (GeoJSON/GeoPackage).")
@click.option("--existing", type=click.Choice(["fixed", "closable", "ignore"]), default="fixed",
              show_default=True,
              help="Existing stations stay (fixed), may be closed (closable: k counts all "
                   "stations of the plan) or are ignored.")
@click.option("--capacity", metavar="WEIGHT",
              help="mclp: each station serves at most this much demand weight (same unit as "
                   "the demand weights, > 0), times its 'capacity' column if the "
                   "stations/candidates layers have one.")
@click.option("--min-covered", "min_covered", metavar="PERCENT",
              help="backup, pcenter: keep at least this share of demand covered "
                   "[default: the most any k sites cover].")
@click.option("--measure", "measure_items", multiple=True, metavar="NAME[:KEY=VALUE,...]",
              help="Also measure before and after: backup, capacity, gravity, equity or all.")
@click.option("--areas", "areas_path", type=click.Path(path_type=Path), metavar="PATH",
              help="equity: area polygons [default: 1 km grid].")
@click.option("--method", type=click.Choice(["auto", "exact", "greedy"]), default="auto",
              show_default=True, help="Exact HiGHS model, greedy heuristic, or auto.")
@click.option("--time-limit", default="60", show_default=True, metavar="S",
              help="Solver time limit in seconds (0 < S <= 86400).")
@click.option("--gap", default="0%", show_default=True, metavar="PERCENT",
              help="Stop the exact solver once proven within this gap, e.g. 0.1%.")
@click.option("--curve", "curve_k", default="10", show_default=True, metavar="K",
              help="Coverage curve for 1..K added stations (whole number, 0: none).")
@click.option("--map", "map_path", type=click.Path(path_type=Path), metavar="PATH",
              help="HTML map [default: maps/<network>-proposal.html].")
@click.option("--report", "report_path", type=click.Path(path_type=Path), metavar="PATH",
              help="JSON report [default: next to the map].")
@click.option("--sites", "sites_path", type=click.Path(path_type=Path), metavar="PATH",
              help="Proposed sites as GeoJSON (a CSV is written beside it) "
                   "[default: next to the map].")
@_services_cli.propose_options
@datum_options
@map_options
@force_option
@click.pass_context
def propose(ctx, network_source, place, stations, demand, weight_column, modes, speeds, minutes,
            max_snap, model, k, target, unreachable, candidates, sources, spacing, exclude_path,
            existing, capacity, method, time_limit, gap, curve_k, map_path, report_path,
            sites_path, input_crs, output_crs, aggregate, demand_weights, self_contained, tiles,
            force, min_covered, measure_items, areas_path, **special) -> None:
    """Propose where new stations should go (MCLP, LSCP, p-median, backup, p-center).

    \b
    Examples:
      planner propose --mode walk -k 3                  # 3 new sites, walking 15 min
      planner propose --mode walk --model lscp --target 95
      planner propose --mode walk --candidate-source intersections --spacing 200
      planner propose --model pmedian -k 2 --existing closable
      planner propose --mode walk --model backup -k 2 --measure all
      planner propose --service battery_swap --new-services rest,battery_swap -k 2
      planner propose --model hub -k 4 --hub-minutes 10 --candidate-source osm:public
    """
    from planner.data import layers
    from planner.analysis import proposals
    from planner.apps._inputs import require

    say = _progress(ctx)
    thresholds, travels, gap = _check_args(minutes, modes, speeds, max_snap, gap)
    share, k, spacing, capacity, time_limit, curve_k = _propose_numbers(
        target, k, spacing, capacity, time_limit, curve_k)
    wanted, areas, min_covered = propose_extras(
        measure_items, areas_path, min_covered, special=model == "hub" or special["service_name"])
    source = f"place:{place}" if place else network_source
    run_inputs = _run_inputs(source, stations, demand, candidates, exclude_path,
                             demand_weights)
    if map_path is not None:
        _guard(_proposal_outputs(map_path, report_path, sites_path), run_inputs, force)
    early_language(source)
    say(_("loading the street network and layers"))
    inputs = _load(network_source, place, stations, demand, weight_column, candidates,
                   input_crs=parse_input_crs(input_crs), aggregate=aggregate,
                   demand_weights=demand_weights)
    demand_layer = require(inputs.demand, "demand", "--demand")
    if not sources:
        sources = ("layer",) if inputs.candidates is not None else ("intersections",)
    exclude = layers.read_areas(exclude_path) if exclude_path else None
    if model == "hub" or special["service_name"]:
        map_path = map_path or _default_output(inputs.network.name, "proposal", ".html")
        with _guard(_proposal_outputs(map_path, report_path, sites_path), run_inputs, force):
            _services_cli.run_special_propose(
                inputs, demand_layer, model=model, k=k, travel=travels[0], minutes=thresholds[0],
                sources=sources, say=say, **special,
                outputs=_special_outputs(inputs, map_path, report_path, sites_path,
                                         self_contained, tiles),
                **(dict(time_limit=time_limit) if model == "hub" else dict(
                    target_share=share, existing=existing, spacing_m=spacing, exclude=exclude,
                    capacity=capacity, method=method, time_limit=time_limit, curve_k=curve_k,
                    unreachable=unreachable)))
        return
    candidate_layer, sources = _services_cli.resolve_candidates(inputs.network,
                                                                inputs.candidates, sources)
    result = proposals.propose(
        inputs.network, inputs.stations, demand_layer, candidates=candidate_layer,
        model=model, k=k, target_share=share, travel=travels[0], minutes=thresholds[0],
        existing=existing, candidate_sources=sources, spacing_m=spacing, exclude=exclude,
        capacity=capacity, method=method, time_limit=time_limit, gap=gap, curve_k=curve_k,
        unreachable=unreachable, min_covered_share=min_covered, measures=wanted, areas=areas,
        progress=lambda m: say("  " + m))
    map_path = map_path or _default_output(inputs.network.name, "proposal", ".html")
    report_path = report_path or map_path.with_suffix(".json")
    sites_path = sites_path or map_path.with_name(map_path.stem + "-sites.geojson")
    policy = _guard(_proposal_outputs(map_path, report_path, sites_path), run_inputs, force)
    written = _write(result, inputs, map_path=map_path, report_path=report_path,
                     sites_path=sites_path, output_crs=output_crs, policy=policy,
                     self_contained=self_contained, tiles=tiles, say=say)
    _print_proposal(result)
    for path in written:
        click.echo(_("wrote {path}").format(path=path))


def _special_outputs(inputs, map_path, report_path, sites_path, self_contained, tiles) -> dict:
    return dict(map_path=map_path, report_path=report_path or map_path.with_suffix(".json"),
                sites_path=sites_path or map_path.with_name(map_path.stem + "-sites.geojson"),
                note=(i18n._(SAMPLE_NOTE)
                      if inputs.sample is not None else None),
                self_contained=self_contained, tiles=tiles or ("osm",))


def _check_args(minutes, modes, speeds, max_snap, gap):
    """(thresholds, travels, gap) from the options, or a BadParameter."""
    from planner.optimize import parse_gap

    thresholds = parse_minutes(minutes if minutes != "5,10,15" else "15")
    if len(thresholds) != 1:
        raise click.BadParameter("propose takes one threshold, e.g. --minutes 15",
                                 param_hint="--minutes")
    travels = parse_travels(modes or ("ebike",), speeds, max_snap)
    if len(travels) != 1:
        raise click.BadParameter("propose takes one mode", param_hint="--mode")
    try:
        gap = parse_gap(gap)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--gap") from None
    return thresholds, travels, gap


def _proposal_outputs(map_path: Path, report_path, sites_path) -> list[Path]:
    report_path = report_path or map_path.with_suffix(".json")
    sites_path = sites_path or map_path.with_name(map_path.stem + "-sites.geojson")
    return [map_path, report_path, sites_path, sites_path.with_suffix(".csv")]


def _propose_numbers(target, k, spacing, capacity, time_limit, curve_k):
    """The numeric options of ``propose``, each checked with its unit named."""
    from planner import _validate

    checks = [
        ("--target", lambda: _validate.percent(target, name="--target")),
        ("-k/--new-stations", lambda: _validate.whole(k, name="-k", maximum=10_000)),
        ("--spacing", lambda: _validate.number_in(spacing, name="--spacing", unit="metres",
                                                  minimum=20, maximum=5000, open_minimum=False)),
        ("--capacity", lambda: _validate.optional_number(capacity, name="--capacity",
                                                         unit="demand weight")),
        ("--time-limit", lambda: _validate.number_in(time_limit, name="--time-limit",
                                                     unit="seconds", maximum=86400)),
        ("--curve", lambda: _validate.whole(curve_k, name="--curve", minimum=0,
                                            maximum=1000)),
    ]
    values = []
    for hint, check in checks:
        try:
            values.append(check())
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None
    return tuple(values)


def _write(result, inputs, *, map_path, report_path, sites_path, output_crs, policy,
           self_contained, tiles, say) -> list:
    from planner.outputs import maps as render

    say(_("rendering the map"))
    note = (i18n._(SAMPLE_NOTE)
            if inputs.sample is not None else None)
    fmap = render.proposal_map(result, network=inputs.network, note=note,
                               self_contained=self_contained, tiles=tiles or ("osm",))
    sites = result.sites
    if output_crs != "wgs84":
        from planner.data.coords import from_wgs84

        sites = from_wgs84(sites, output_crs)
    with policy:
        return render.write_bundle(
            fmap=fmap, map_path=map_path, report=result.to_dict(), report_path=report_path,
            frames={sites_path: sites, sites_path.with_suffix(".csv"): sites})
