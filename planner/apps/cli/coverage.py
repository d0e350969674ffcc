"""`planner coverage`: who reaches a station within 5/10/15 minutes, with what-ifs."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import click

from planner.apps import _services_cli
from planner.apps._console import early_language, print_coverage, print_what_if
from planner.apps.cli._group import cli
from planner import i18n
from planner.apps.cli._options import (
    SAMPLE_NOTE,
    _datum_point, _default_output, _guard, _load, _progress, _run_inputs, datum_options,
    force_option, map_options, network_options, parse_input_crs, parse_lonlat, parse_minutes,
    parse_travels, travel_options)
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
              help="Also draw each station's own isochrones (beyond 100 stations: "
                   "each station's catchment within the main threshold).")
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
@force_option
@click.pass_context
def coverage(ctx, network_source, place, stations, demand, weight_column, modes, speeds,
             minutes, max_snap, add, close, move, map_path, report_path, per_station,
             measure_items, areas_path, exports, input_crs, output_crs, aggregate,
             demand_weights, self_contained, tiles, force, **service_opts) -> None:
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
    from planner.analysis.options import CoverageOptions
    from planner.apps._inputs import require
    from planner.data import layers
    from planner.engine.study import Study

    say = _progress(ctx)
    options = CoverageOptions(minutes=parse_minutes(minutes), per_station=per_station)
    travels = parse_travels(modes, speeds, max_snap)
    wanted, areas, formats = _analysis_options(measure_items, areas_path, exports)
    crs = parse_input_crs(input_crs)
    what_if = WhatIf.parse(add, close, move, crs["stations"])
    source = f"place:{place}" if place else network_source
    run_inputs = _run_inputs(source, stations, demand, areas_path, demand_weights)
    if map_path is not None:  # default paths need the network's name: checked when known
        _guard([map_path, report_path or map_path.with_suffix(".json")], run_inputs, force)
    early_language(source)
    say(i18n._("loading the street network and layers"))
    inputs = _load(network_source, place, stations, demand, weight_column, input_crs=crs,
                   aggregate=aggregate, demand_weights=demand_weights)
    station_layer = require(inputs.stations, "stations", "--stations")
    demand_layer = require(inputs.demand, "demand", "--demand")
    study = Study(inputs.network, stations=station_layer, demand=demand_layer)
    baselines = []
    if what_if:
        say(i18n._("what-if: {change}").format(change=what_if.describe()))
        baselines = _baselines(study, travels, options, say)
        station_layer = layers.edit_stations(station_layer, add=what_if.added,
                                             close=what_if.closed, move=what_if.moved)
        study = study.replace(stations=station_layer)
    results = _analyse(study, travels, options, wanted, areas, say)
    by_service = _services_cli.coverage_services(inputs.network, station_layer, demand_layer,
                                                 travels, options.minutes, say=say,
                                                 **service_opts)
    map_path = map_path or _default_output(inputs.network.name,
                                           "coverage" + what_if.suffix(), ".html")
    report_path = report_path or map_path.with_suffix(".json")
    policy = _guard([map_path, report_path], run_inputs, force)
    with policy:
        written = _write(results, inputs, by_service, what_if, baselines, map_path=map_path,
                         report_path=report_path, formats=formats, output_crs=output_crs,
                         self_contained=self_contained, tiles=tiles, say=say)
    print_coverage(results)
    if what_if:
        print_what_if(what_if.describe(), baselines, results)
    _services_cli.print_services(by_service)
    for path in written:
        click.echo(i18n._("wrote {path}").format(path=path))


@dataclass(frozen=True)
class WhatIf:
    """The --add/--close/--move edits of one coverage run (points in WGS-84)."""

    added: tuple[tuple[float, float], ...] = ()
    closed: tuple[str, ...] = ()
    moved: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def parse(cls, add, close, move, crs: str | None) -> "WhatIf":
        additions = tuple(_datum_point(parse_lonlat(a, "--add"), crs) for a in add)
        moves = {}
        for item in move:
            station_id, sep, where = item.partition("=")
            if not sep or not station_id.strip():
                raise click.BadParameter(f"{item!r} is not ID=LON,LAT", param_hint="--move")
            moves[station_id.strip()] = _datum_point(parse_lonlat(where, "--move"), crs)
        return cls(added=additions, closed=tuple(str(c) for c in close), moved=moves)

    def __bool__(self) -> bool:
        return bool(self.added or self.closed or self.moved)

    def describe(self) -> str:
        """E.g. ``S2 closed; 1 station added at 116.31500,40.00500``."""
        _, sep = i18n._, i18n._("; ")
        parts = []
        if self.closed:
            parts.append(_("{ids} closed").format(ids=_(", ").join(self.closed)))
        if self.moved:
            parts.append(sep.join(_("{id} moved to {lon},{lat}").format(
                id=sid, lon=f"{lon:.5f}", lat=f"{lat:.5f}")
                for sid, (lon, lat) in self.moved.items()))
        if self.added:
            where = sep.join(f"{lon:.5f},{lat:.5f}" for lon, lat in self.added)
            parts.append(i18n.ngettext("{n} station added at {where}",
                                       "{n} stations added at {where}",
                                       len(self.added)).format(n=len(self.added), where=where))
        return sep.join(parts)

    def label(self) -> str:
        """Short, for the map: ``S2 closed, S3 moved, 1 added``."""
        _ = i18n._
        return _(", ").join([*(_("{id} closed").format(id=c) for c in self.closed),
                             *(_("{id} moved").format(id=m) for m in self.moved),
                             *([_("{n} added").format(n=len(self.added))] if self.added else [])])

    def suffix(self) -> str:
        """A file-name part for what-if outputs (the baseline's files are not replaced)."""
        if not self:
            return ""
        parts = [f"close-{'-'.join(self.closed)}" if self.closed else "",
                 f"move-{'-'.join(self.moved)}" if self.moved else "",
                 f"add-{len(self.added)}" if self.added else ""]
        slug = re.sub(r"[^\w\-]+", "-", "-".join(p for p in parts if p), flags=re.UNICODE)
        return "-whatif-" + slug.strip("-")[:48].strip("-")

    def to_dict(self) -> dict:
        return {"added": [list(p) for p in self.added], "closed": list(self.closed),
                "moved": {k: list(v) for k, v in self.moved.items()}}


def _analysis_options(measure_items, areas_path, exports):
    from planner.analysis import measures
    from planner.outputs import exports as export_stage

    try:
        wanted = measures.MeasureOptions.parse(measure_items)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--measure") from None
    areas = measures.read_areas(areas_path) if areas_path else None
    try:
        formats = export_stage.parse_formats(exports)
    except InputError as exc:
        raise click.BadParameter(str(exc).removeprefix("--export "), param_hint="--export") \
            from None
    return wanted, areas, formats


def _analyse(study, travels, options, wanted, areas, say) -> list:
    from planner.analysis import coverage as coverage_stage
    from planner.analysis import measures
    from planner.settings import Settings

    results = []
    for travel in travels:
        say(i18n._("analysing {travel}").format(travel=i18n.travel_label(travel)))
        result = coverage_stage.analyze(study.replace(travel=travel), options=options,
                                        progress=lambda m: say("  " + m),
                                        cache_dir=Settings.from_env().cache_dir)
        results.append(measures.apply(result, wanted, areas=areas))
    return results


def _baselines(study, travels, options, say) -> list:
    """Coverage with the stations as they are, to compare a what-if with (no outlines)."""
    from planner.analysis import coverage as coverage_stage

    quick = dataclasses.replace(options, isochrones=False, per_station=False)
    out = []
    for travel in travels:
        say(i18n._("baseline (no what-if edits), {travel}").format(
            travel=i18n.travel_label(travel)))
        out.append(coverage_stage.analyze(study.replace(travel=travel), options=quick))
    return out


def _write(results, inputs, by_service, what_if, baselines, *, map_path, report_path,
           formats, output_crs, self_contained, tiles, say) -> list:
    from planner.outputs import exports as export_stage
    from planner.outputs import maps as render

    say(i18n._("rendering the map"))
    note = None
    if inputs.sample is not None:
        note = i18n._(SAMPLE_NOTE)
    fmap = render.coverage_map(results, network=inputs.network, note=note,
                               self_contained=self_contained, tiles=tiles or ("osm",),
                               baselines=baselines or None,
                               change_label=what_if.label() if what_if else None)
    if by_service:
        from planner.outputs import service_layers

        service_layers.add(fmap, by_service)
    what_if_report = what_if.to_dict()
    if baselines:
        what_if_report["baseline_covered_share"] = {
            b.travel.label: round(b.covered_share(), 4) for b in baselines}
    return render.write_coverage_outputs(
        results, fmap, map_path=map_path, report_path=report_path,
        extra={"network": inputs.network.summary(), "what_if": what_if_report,
               **({"services": [r.to_dict() for r in by_service]} if by_service else {})},
        writers=export_stage.coverage_writers(
            results, formats, base=map_path.with_suffix(""),
            output_crs=None if output_crs == "wgs84" else output_crs),
    )
