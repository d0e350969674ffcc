"""`planner coverage`: who reaches a station within 5/10/15 minutes, with what-ifs."""

from __future__ import annotations

from pathlib import Path

import click

from planner.apps import _services_cli
from planner.apps.cli._group import cli
from planner.apps.cli._options import (
    _datum_point, _default_output, _load, _progress, datum_options, map_options,
    network_options, parse_input_crs, parse_lonlat, parse_minutes, parse_travels,
    travel_options)
from planner.errors import InputError


@cli.command()
@network_options
@travel_options
@click.option("--add", "add", multiple=True, metavar="LON,LAT",
              help="What-if: add a station at this point (repeatable).")
@click.option("--close", "close", multiple=True, metavar="ID",
              help="What-if: close the station with this id (repeatable).")
@click.option("--move", "move", multiple=True, metavar="ID=LON,LAT",
              help="What-if: move a station (repeatable).")
@click.option("--map", "map_path", type=click.Path(path_type=Path), metavar="PATH",
              help="Where to write the HTML map [default: maps/<network>-coverage.html].")
@click.option("--report", "report_path", type=click.Path(path_type=Path), metavar="PATH",
              help="Where to write the JSON report [default: next to the map].")
@click.option("--per-station/--no-per-station", default=True, show_default=True,
              help="Also draw each station's own isochrones.")
@click.option("--measure", "measure_items", multiple=True, metavar="NAME[:KEY=VALUE,...]",
              help="Also measure: backup, capacity (E2SFCA), gravity, equity or all; "
                   "repeatable; options e.g. gravity:decay=power,half_life_min=4.")
@click.option("--areas", "areas_path", type=click.Path(path_type=Path), metavar="PATH",
              help="equity: area polygons (street offices, communities) [default: 1 km grid].")
@_services_cli.coverage_options
@click.option("--export", "exports", multiple=True, metavar="FORMATS",
              help="Also write gpkg, parquet, xlsx and/or csv next to the map "
                   "(repeatable or comma separated).")
@datum_options
@map_options
@click.pass_context
def coverage(ctx, network_source, place, stations, demand, weight_column, modes, speeds,
             minutes, max_snap, add, close, move, map_path, report_path, per_station,
             measure_items, areas_path, exports, input_crs, output_crs, aggregate,
             demand_weights, self_contained, tiles, **service_opts) -> None:
    """Check which demand reaches a station within 5/10/15 minutes; map the gaps.

    Writes an HTML map and a JSON report and prints the covered share per threshold,
    the number of gap areas and the worst-served places.

    \b
    Examples:
      planner coverage
      planner coverage --mode ebike --speed 15 --minutes 10,15
      planner coverage -n city.osm.pbf -s stations.csv -d riders.geojson
      planner coverage --close S2 --add 116.315,40.005 --move S3=116.3150,40.0075
      planner coverage --measure all --measure gravity:half_life_min=4
      planner coverage --by-service --at "Mon 21:30"
      planner coverage -s amap-stations.csv --input-crs gcj02 --export xlsx,gpkg
      planner coverage --demand osm:all --export csv --output-crs gcj02
      planner coverage -n city.osm.pbf -s s.csv -d orders.csv --aggregate h3:9
    """
    from planner.analysis import coverage as coverage_stage
    from planner.analysis import measures
    from planner.data import layers
    from planner.outputs import exports as export_stage
    from planner.analysis.options import CoverageOptions
    from planner.engine.study import Study
    from planner.outputs import maps as render

    say = _progress(ctx)
    options = CoverageOptions(minutes=parse_minutes(minutes), per_station=per_station)
    travels = parse_travels(modes, speeds, max_snap)
    try:
        wanted = measures.MeasureOptions.parse(measure_items)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--measure") from None
    areas = measures.read_areas(areas_path) if areas_path else None
    crs = parse_input_crs(input_crs)
    try:
        formats = export_stage.parse_formats(exports)
    except InputError as exc:
        raise click.BadParameter(str(exc).removeprefix("--export "), param_hint="--export") \
            from None
    additions = [_datum_point(parse_lonlat(a, "--add"), crs["stations"]) for a in add]
    moves = {}
    for item in move:
        station_id, sep, where = item.partition("=")
        if not sep or not station_id.strip():
            raise click.BadParameter(f"{item!r} is not ID=LON,LAT", param_hint="--move")
        moves[station_id.strip()] = _datum_point(parse_lonlat(where, "--move"), crs["stations"])
    say("loading the street network and layers")
    from planner.apps._inputs import require

    inputs = _load(network_source, place, stations, demand, weight_column, input_crs=crs,
                   aggregate=aggregate, demand_weights=demand_weights)
    station_layer = require(inputs.stations, "stations", "--stations")
    demand_layer = require(inputs.demand, "demand", "--demand")
    if additions or close or moves:
        station_layer = layers.edit_stations(station_layer, add=additions, close=close,
                                             move=moves)
    study = Study(inputs.network, stations=station_layer, demand=demand_layer)
    results = []
    for travel in travels:
        say(f"analysing {travel.label}")
        results.append(coverage_stage.analyze(
            study.replace(travel=travel), options=options, progress=lambda m: say("  " + m)))
        results[-1] = measures.apply(results[-1], wanted, areas=areas)
    by_service = _services_cli.coverage_services(inputs.network, station_layer, demand_layer,
                                                 travels, options.minutes, say=say,
                                                 **service_opts)
    map_path = map_path or _default_output(inputs.network.name, "coverage", ".html")
    report_path = report_path or map_path.with_suffix(".json")
    say("rendering the map")
    note = None
    if inputs.sample is not None:
        note = "Sample district: stations are illustrative, not a real station plan."
    fmap = render.coverage_map(results, network=inputs.network, note=note,
                               self_contained=self_contained, tiles=tiles or ("osm",))
    if by_service:
        from planner.outputs import service_layers

        service_layers.add(fmap, by_service)
    written = render.write_coverage_outputs(
        results, fmap, map_path=map_path, report_path=report_path,
        extra={"network": inputs.network.summary(),
               "what_if": {"added": additions, "closed": list(close),
                           "moved": {k: list(v) for k, v in moves.items()}},
               **({"services": [r.to_dict() for r in by_service]} if by_service else {})},
        writers=export_stage.coverage_writers(
            results, formats, base=map_path.with_suffix(""),
            output_crs=None if output_crs == "wgs84" else output_crs),
    )
    _print_coverage(results)
    _services_cli.print_services(by_service)
    for path in written:
        click.echo(f"wrote {path}")


def _print_coverage(results) -> None:
    for result in results:
        summary = result.summary()
        click.secho(f"\n{summary['network']}: {len(result.stations)} stations, "
                    f"{summary['demand_places']} demand places, {result.travel.label}",
                    bold=True)
        for minutes, row in summary["covered"].items():
            click.echo(f"  within {minutes:>3} min: {row['share'] * 100:5.1f}% of demand weight "
                       f"({row['places']}/{summary['demand_places']} places)")
        times = summary["minutes_to_nearest"]
        click.echo(f"  time to nearest station: median {times['median']} min, "
                   f"p90 {times['p90']} min, max {times['max']} min"
                   + (f", {times['unreachable_places']} cannot reach any"
                      if times["unreachable_places"] else ""))
        click.echo(f"  gaps beyond {result.threshold:g} min: {summary['gaps']} area(s), "
                   f"demand weight {summary['gap_weight']:g}")
        for gap in result.gaps.head(3).itertuples():
            click.echo(f"    {gap.gap_id}: {gap.places} places, weight {gap.weight:g}, "
                       f"around {gap.anchor_name} ({gap.anchor_lon:.5f},{gap.anchor_lat:.5f})")
        worst = [w for w in summary["worst_served"][:3]]
        if worst:
            click.echo("  worst served: " + "; ".join(
                f"{w['name']} ({'cannot reach' if w['minutes'] is None else str(w['minutes']) + ' min'})"
                for w in worst))
        for line in (result.measures.lines() if result.measures is not None else []):
            click.echo("  " + line)
        for cause, row in summary["unreachable"]["causes"].items():
            if row["places"]:
                click.echo(f"  cannot reach a station: {row['places']} place(s), weight "
                           f"{row['weight']:g} ({row['share']:.1%}), {row['meaning']}")
        off = result.stations.loc[~result.stations["on_network"], "id"].tolist()
        if off:
            click.secho(f"  stations off the network (not used): {', '.join(off)}", fg="yellow")

