"""Command line: thin commands over the Python API (``planner --help``)."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from planner import i18n
from planner._version import __version__
from planner.apps import _services_cli
from planner.apps._console import _print_proposal, use_language
from planner.errors import InputError, NetworkError, PlannerError, SolverError

log = logging.getLogger("planner")
SAMPLE_NOTE = i18n.N_("Sample district: stations are illustrative, not a real station plan.")


class _PlannerGroup(click.Group):
    """Turns the planner's own errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PlannerError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.secho(f"Error: {exc}", err=True, fg="red")
            ctx.exit(1 if isinstance(exc, SolverError) else 2)


@click.group(cls=_PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
@click.option("-v", "--verbose", count=True, help="More detail (-vv for debugging output).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final summary.")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Plan rest stations for delivery riders: 15-minute coverage on real street networks.

    \b
    Start with the bundled sample district:
      planner networks                 list the bundled sample districts
      planner coverage                 check 15-minute coverage in Wudaokou, Beijing
      planner coverage --mode walk --minutes 10,15 --close S2
      planner propose --mode walk -k 3     where should 3 new stations go?
      planner scenario run scenarios/wudaokou.toml
      planner batch batches/samples.toml   many districts on Dask
      planner doctor -s my-stations.csv    what is wrong with my layers?
    Every command has --help.
    """
    level = logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][
        min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"debug": debug, "quiet": quiet}


# --------------------------------------------------------------------------- shared options


def network_options(func):
    """Options that choose the street network and the layers (shared by every command)."""
    options = [
        click.option("--network", "-n", "network_source", default="wudaokou", show_default=True,
                     metavar="SAMPLE|FILE",
                     help="Bundled sample name (see `planner networks`), an OSM file "
                          "(.osm, .osm.bz2, .osm.pbf) or osmnx .graphml file, or an online "
                          "download: bbox:W,S,E,N or point:LAT,LON,RADIUS_M."),
        click.option("--place", metavar="NAME",
                     help="Download the network of a named place from OpenStreetMap "
                          "(needs the internet; cached)."),
        click.option("--stations", "-s", type=click.Path(path_type=Path), metavar="PATH",
                     help="Existing stations (GeoJSON, GeoPackage, CSV with lon/lat). "
                          "Defaults to the sample's stations."),
        click.option("--demand", "-d", type=click.Path(path_type=Path), metavar="PATH",
                     help="Demand places, optional `weight` column (defaults to the sample's); "
                          "or osm:pickup|osm:dropoff|osm:all (from the network's OSM file), a "
                          "population raster (.tif) or order points with --aggregate."),
        click.option("--weight-column", metavar="NAME",
                     help="Column of the demand layer holding the weights (default: weight)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def datum_options(func):
    """Coordinate systems of the inputs and outputs and where demand comes from."""
    options = [
        click.option("--input-crs", "input_crs", multiple=True, metavar="CRS|ROLE=CRS",
                     help="CRS of the layers given here: gcj02 (Amap/Gaode, Tencent), bd09 "
                          "(Baidu), wgs84 or an EPSG code; ROLE=CRS for one layer "
                          "(stations, demand, candidates). Also applies to --add/--move."),
        click.option("--output-crs", type=click.Choice(["wgs84", "gcj02", "bd09"]),
                     default="wgs84", show_default=True,
                     help="Coordinates of exported points/sites (CSV, GeoJSON, exports)."),
        click.option("--aggregate", metavar="grid:M|h3:RES",
                     help="Sum demand into square cells of M metres or H3 cells (weight = "
                          "count for order points), e.g. grid:250 or h3:9."),
        click.option("--demand-weights", type=click.Path(path_type=Path), metavar="TOML",
                     help="Override the default weights of --demand osm:... rules."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def parse_input_crs(values) -> dict[str, str | None]:
    """``--input-crs`` values as a CRS per layer role."""
    from planner.data.coords import parse_crs

    roles = ("stations", "demand", "candidates")
    out: dict[str, str | None] = dict.fromkeys(roles)
    for value in values:
        role, sep, crs = str(value).partition("=")
        role = role.strip().lower()
        if sep and role not in roles and str(value).strip().startswith("+"):
            role, sep, crs = "", "", value  # a PROJ string such as +proj=utm +zone=50
        if sep and role not in roles:
            raise click.BadParameter(f"{value!r}: ROLE must be one of {', '.join(roles)}",
                                     param_hint="--input-crs")
        try:
            parsed = parse_crs(crs if sep else value)
        except InputError as exc:
            raise click.BadParameter(str(exc).removeprefix("--input-crs: "),
                                     param_hint="--input-crs") from None
        for name in ((role,) if sep else roles):
            out[name] = parsed
    return out


def _datum_point(point: tuple[float, float], crs: str | None) -> tuple[float, float]:
    """A LON,LAT typed on the command line, in WGS-84."""
    if crs not in ("gcj02", "bd09"):
        return point
    from planner.data.coords import transform

    lon, lat = transform(point[0], point[1], source=crs, target="wgs84")
    return float(lon), float(lat)


def travel_options(func):
    options = [
        click.option("--mode", "-m", "modes", multiple=True, metavar="MODE",
                     help="walk, bike, ebike (delivery riders) or drive; repeat for several "
                          "[default: ebike and walk]."),
        click.option("--speed", "speeds", multiple=True, metavar="KMH|MODE=KMH",
                     help="Travel speed in km/h, for all modes or one (e.g. ebike=15 for "
                          "rush hour). E-bikes are capped at 25 km/h by law."),
        click.option("--minutes", "-t", default="5,10,15", show_default=True, metavar="LIST",
                     help="Travel-time thresholds in minutes (0 < T <= 180), comma separated; "
                          "the largest is the service-circle promise."),
        click.option("--max-snap", default=250.0, show_default=True, metavar="M",
                     help="Metres: points farther than this from a usable street are reported "
                          "as off-network (0 < M <= 5000)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _remember_lang(ctx: click.Context, _param, value):
    ctx.meta["planner.lang"] = value
    return value


def map_options(func):
    func = click.option(
        "--lang", type=click.Choice(["zh", "en"]), default=None, expose_value=False,
        callback=_remember_lang,
        help="Language of the map, report labels and console summary [default: zh when "
             "PLANNER_LANG/LANG says zh or the network is in China, else en].")(func)
    func = click.option(
        "--tiles", "tiles", multiple=True, type=click.Choice(["osm", "gaode"]),
        help="Online background tiles offered in the layer control [default: osm]. The "
             "first sets the datum: with gaode first every overlay is drawn in GCJ-02.")(func)
    return click.option(
        "--self-contained/--cdn", default=True, show_default=True,
        help="Inline the map's JavaScript so the HTML opens with no network (tiles start "
             "hidden; the streets are drawn from the network). --cdn loads Leaflet from the "
             "internet and shows tiles.")(func)


def _progress(ctx: click.Context):
    start = time.perf_counter()
    quiet = ctx.obj.get("quiet")

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - start:6.1f}s] {message}", err=True)

    return say


def parse_minutes(text: str) -> tuple[float, ...]:
    from planner import _validate

    parts = [p for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        return _validate.minutes(parts, name="--minutes")
    except InputError as exc:
        raise click.BadParameter(str(exc).removeprefix("--minutes: "),
                                 param_hint="--minutes") from None


def parse_travels(modes, speeds, max_snap: float):
    """Travel objects for the chosen modes, with per-mode or global speeds."""
    from planner.settings import Travel

    modes = [m.strip().lower() for m in modes] or ["ebike", "walk"]
    per_mode: dict[str, float] = {}
    everyone: float | None = None
    for item in speeds:
        key, sep, value = str(item).partition("=")
        try:
            number = float(value if sep else key)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not KMH or MODE=KMH",
                                     param_hint="--speed") from None
        if sep:
            per_mode[key.strip().lower()] = number
        else:
            everyone = number
    unknown = set(per_mode) - set(modes)
    if unknown:
        raise click.BadParameter(
            f"speed given for {', '.join(sorted(unknown))} but that mode is not analysed "
            f"(modes: {', '.join(modes)})", param_hint="--speed")
    travels = []
    for mode in modes:
        speed = per_mode.get(mode, everyone)
        try:
            travels.append(Travel(mode, speed_kmh=speed, max_snap_m=max_snap))
        except InputError as exc:
            hint = "--speed" if "speed" in str(exc) else "--mode" if "mode" in str(exc) \
                else "--max-snap"
            raise click.BadParameter(str(exc), param_hint=hint) from None
    return travels


def parse_lonlat(text: str, option: str) -> tuple[float, float]:
    try:
        lon, lat = (float(p) for p in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not LON,LAT (e.g. 116.32,40.00)",
                                 param_hint=option) from None
    return lon, lat


def _load(network_source, place, stations, demand, weight_column, candidates=None, **kwargs):
    from planner.apps._inputs import load_inputs

    source = f"place:{place}" if place else network_source
    inputs = load_inputs(source, stations=stations, demand=demand, candidates=candidates,
                         weight_column=weight_column, **kwargs)
    use_language(inputs.network)  # --lang, or the default for this network
    return inputs


def _run_inputs(source, *paths) -> list[Path]:
    """Every file a run reads (network file, layers, the sample's own layers)."""
    from planner._paths import inputs_of
    from planner.apps._inputs import layer_paths

    sample, layer_files = layer_paths(source)
    sample_files = [sample.network] if sample is not None else []
    return inputs_of(source, *paths, *sample_files, mapping=layer_files)


def _guard(outputs, inputs, force: bool):
    """Refuse unsafe outputs before any work; the policy then holds for every write."""
    from planner import _io
    from planner._paths import check_outputs

    check_outputs(outputs, inputs=inputs, force=force)
    return _io.output_policy(inputs=inputs, force=force)


force_option = click.option(
    "--force", is_flag=True,
    help="Write through an output path that is a symlink (the file it points to is "
         "replaced). Outputs are never written over inputs, folders or special files.")


def _default_output(network_name: str, kind: str, suffix: str) -> Path:
    return Path("maps") / f"{network_name}-{kind}{suffix}"


# --------------------------------------------------------------------------- commands


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
    source = f"place:{place}" if place else network_source
    run_inputs = _run_inputs(source, stations, demand, areas_path, demand_weights)
    if map_path is not None:  # default paths need the network's name: checked when known
        _guard([map_path, report_path or map_path.with_suffix(".json")], run_inputs, force)
    say("loading the street network and layers")
    from planner.apps._inputs import require
    from planner.settings import Settings

    inputs = _load(network_source, place, stations, demand, weight_column, input_crs=crs,
                   aggregate=aggregate, demand_weights=demand_weights)
    station_layer = require(inputs.stations, "stations", "--stations")
    demand_layer = require(inputs.demand, "demand", "--demand")
    original = station_layer
    if additions or close or moves:
        station_layer = layers.edit_stations(station_layer, add=additions, close=close,
                                             move=moves)
    study = Study(inputs.network, stations=station_layer, demand=demand_layer)
    results = []
    for travel in travels:
        say(f"analysing {travel.label}")
        results.append(coverage_stage.analyze(
            study.replace(travel=travel), options=options, progress=lambda m: say("  " + m),
            cache_dir=Settings.from_env().cache_dir))
        results[-1] = measures.apply(results[-1], wanted, areas=areas)
    by_service = _services_cli.coverage_services(inputs.network, station_layer, demand_layer,
                                                 travels, options.minutes, say=say,
                                                 **service_opts)
    map_path = map_path or _default_output(inputs.network.name, "coverage", ".html")
    report_path = report_path or map_path.with_suffix(".json")
    policy = _guard([map_path, report_path], run_inputs, force)
    say("rendering the map")
    note = None
    if inputs.sample is not None:
        note = i18n._(SAMPLE_NOTE)
    baselines, what_if = None, None
    if station_layer is not original:  # what-if: the same analysis without the edits
        say("analysing the stations without the what-if edits (before)")
        baselines = [coverage_stage.analyze(study.replace(travel=travel, stations=original),
                                            options=options, per_station_isochrones=False)
                     for travel in travels]
        what_if = ", ".join([*(f"{c} closed" for c in close), *(f"{m} moved" for m in moves),
                             *([f"{len(additions)} added"] if additions else [])])
    fmap = render.coverage_map(results, network=inputs.network, note=note,
                               self_contained=self_contained, tiles=tiles or ("osm",),
                               baselines=baselines, change_label=what_if)
    if by_service:
        from planner.outputs import service_layers

        service_layers.add(fmap, by_service)
    with policy:
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
    from planner.i18n import _, fmt_minutes, fmt_percent, fmt_places, fmt_weight, travel_label

    for result in results:
        summary = result.summary()
        click.secho("\n" + _("{network}: {stations} stations, {places}, {travel}").format(
            network=summary["network"], stations=len(result.stations),
            places=fmt_places(summary["demand_places"]), travel=travel_label(result.travel)),
            bold=True)
        for minutes, row in summary["covered"].items():
            click.echo("  " + _("within {minutes}: {share} of demand weight "
                                "({places}/{total} places)").format(
                minutes=f"{minutes:>3} " + _("min"), share=f"{fmt_percent(row['share']):>6}",
                places=row["places"], total=summary["demand_places"]))
        times = summary["minutes_to_nearest"]
        click.echo("  " + _("time to nearest station: median {median}, p90 {p90}, "
                            "max {max}").format(**{k: _dash(times[k]) for k in
                                                   ("median", "p90", "max")})
                   + (_(", {n} cannot reach any").format(n=times["unreachable_places"])
                      if times["unreachable_places"] else ""))
        click.echo("  " + _("gaps beyond {minutes} min: {gaps} area(s), {weight}").format(
            minutes=f"{result.threshold:g}", gaps=summary["gaps"],
            weight=fmt_weight(summary["gap_weight"])))
        for gap in result.gaps.head(3).itertuples():
            click.echo(f"    {gap.gap_id}: " + _("{places}, {weight}, around {name}").format(
                places=fmt_places(gap.places), weight=fmt_weight(gap.weight),
                name=gap.anchor_name) + f" ({gap.anchor_lon:.5f},{gap.anchor_lat:.5f})")
        worst = [w for w in summary["worst_served"][:3]]
        if worst:
            click.echo("  " + _("worst served:") + " " + "; ".join(
                "{} ({})".format(w["name"], _dash(w["minutes"], missing=_("cannot reach")))
                for w in worst))
        for line in (result.measures.lines() if result.measures is not None else []):
            click.echo("  " + line)
        for cause, row in summary["unreachable"]["causes"].items():
            if row["places"]:
                click.echo(f"  cannot reach a station: {row['places']} place(s), weight "
                           f"{row['weight']:g} ({row['share']:.1%}), {row['meaning']}")
        off = result.stations.loc[~result.stations["on_network"], "id"].tolist()
        if off:
            click.secho("  " + _("stations off the network (not used): {ids}").format(
                ids=", ".join(off)), fg="yellow")


def _dash(minutes, *, missing: str = "-") -> str:
    from planner.i18n import fmt_minutes

    return missing if minutes is None else fmt_minutes(float(minutes), digits=2)


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
            force,
            min_covered, measure_items, areas_path, **special) -> None:
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
    from planner.outputs import maps as render
    from planner.apps._inputs import require

    say = _progress(ctx)
    thresholds = parse_minutes(minutes if minutes != "5,10,15" else "15")
    if len(thresholds) != 1:
        raise click.BadParameter("propose takes one threshold, e.g. --minutes 15",
                                 param_hint="--minutes")
    travels = parse_travels(modes or ("ebike",), speeds, max_snap)
    if len(travels) != 1:
        raise click.BadParameter("propose takes one mode", param_hint="--mode")
    share, k, spacing, capacity, time_limit, curve_k = _propose_numbers(
        target, k, spacing, capacity, time_limit, curve_k)
    from planner.optimize import parse_gap
    try:
        gap = parse_gap(gap)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--gap") from None
    from planner.apps._console import propose_extras

    wanted, areas, min_covered = propose_extras(
        measure_items, areas_path, min_covered, special=model == "hub" or special["service_name"])
    source = f"place:{place}" if place else network_source
    run_inputs = _run_inputs(source, stations, demand, candidates, exclude_path,
                             demand_weights)
    if map_path is not None:
        _guard(_proposal_outputs(map_path, report_path, sites_path), run_inputs, force)
    say("loading the street network and layers")
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
                sources=sources, say=say, **special, outputs=dict(
                    map_path=map_path, report_path=report_path or map_path.with_suffix(".json"),
                    sites_path=sites_path or map_path.with_name(map_path.stem + "-sites.geojson"),
                    note=(i18n._(SAMPLE_NOTE)
                          if inputs.sample is not None else None),
                    self_contained=self_contained, tiles=tiles or ("osm",)),
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
    say("rendering the map")
    note = (i18n._(SAMPLE_NOTE)
            if inputs.sample is not None else None)
    fmap = render.proposal_map(result, network=inputs.network, note=note,
                               self_contained=self_contained, tiles=tiles or ("osm",))
    sites = result.sites
    if output_crs != "wgs84":
        from planner.data.coords import from_wgs84

        sites = from_wgs84(sites, output_crs)
    with policy:
        written = render.write_bundle(
            fmap=fmap, map_path=map_path, report=result.to_dict(), report_path=report_path,
            frames={sites_path: sites, sites_path.with_suffix(".csv"): sites})
    _print_proposal(result)
    for path in written:
        click.echo(f"wrote {path}")


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


@cli.command()
@network_options
@click.option("--candidates", "-c", type=click.Path(path_type=Path), metavar="PATH",
              help="Candidate sites layer to check too.")
@click.option("--mode", "-m", "modes", multiple=True, metavar="MODE",
              help="Modes to check the layers against [default: ebike and walk].")
@click.option("--max-snap", default=250.0, show_default=True, metavar="M")
def doctor(network_source, place, stations, demand, weight_column, candidates, modes,
           max_snap) -> None:
    """Check a network and its layers and list what is wrong, without running an analysis.

    Exits 0 when nothing is wrong (warnings allowed), 2 when something must be fixed.
    """
    from planner.apps.doctor import check

    source = f"place:{place}" if place else network_source
    findings = check(source, stations=stations, demand=demand, candidates=candidates,
                     weight_column=weight_column, modes=modes or ("ebike", "walk"),
                     max_snap_m=max_snap)
    colours = {"info": None, "warning": "yellow", "error": "red"}
    for finding in findings:
        click.secho(str(finding), fg=colours[finding.level])
    errors = sum(f.level == "error" for f in findings)
    warnings_ = sum(f.level == "warning" for f in findings)
    click.echo(f"\n{errors} error(s), {warnings_} warning(s)")
    if errors:
        raise SystemExit(2)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Output folder [default: maps/<file name>/].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on an existing Dask cluster instead of a local one (gives up after "
                   "10 s if it cannot be reached).")
@click.option("--workers", default="2", show_default=True, metavar="N",
              help="Local cluster: worker processes (1..256).")
@click.option("--memory-limit", default="4GiB", show_default=True, metavar="SIZE",
              help="Local cluster: memory per worker in bytes with a unit (e.g. 2GiB, 500MB) "
                   "or auto; at least 256MiB and at most this machine's memory.")
@click.option("--force", is_flag=True,
              help="Re-run districts whose outputs are up to date, and write through output "
                   "paths that are symlinks.")
@click.option("--self-contained/--cdn", default=True, show_default=True)
@click.pass_context
def batch(ctx, file, out_dir, scheduler, workers, memory_limit, force, self_contained) -> None:
    """Run many districts on Dask (a local cluster, or --scheduler) from a batch file.

    Writes one folder per district (map and report) and districts.csv/.md/.json ranking the
    districts worst-covered first. A district that fails is reported and the others go on;
    the exit code is 3 when some district failed. Districts whose inputs and settings did not
    change since the last run are skipped (--force re-runs them).
    """
    from planner import _validate
    from planner.apps import batch as batch_stage

    say = _progress(ctx)
    for hint, check in (
            ("--scheduler", lambda: scheduler and _validate.scheduler_address(scheduler)),
            ("--workers", lambda: _validate.workers(workers)),
            ("--memory-limit", lambda: _validate.memory_limit(memory_limit))):
        try:
            check()
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None
    workers = int(workers)
    spec = batch_stage.load(file)
    out_dir = out_dir or Path("maps") / Path(file).stem
    policy = _guard([out_dir / name for name in batch_stage.FIXED_OUTPUTS], [file], force)
    quiet = ctx.obj.get("quiet")
    bar = None

    def started(client) -> None:
        link = getattr(client, "dashboard_link", None)
        say(f"{len(spec.districts)} districts on {client.scheduler_info().get('address', '?')}"
            + (f"; dashboard: {link}" if link else ""))

    bar_context = click.progressbar(length=len(spec.districts), label="districts",
                                    file=sys.stderr) if not quiet else None
    if bar_context is not None:
        bar = bar_context.__enter__()

    def finished(name: str, row: dict) -> None:
        if bar is not None:
            bar.update(1)
        if row["status"] == "failed" and not quiet:
            click.secho(f"\n  {name}: FAILED: {row['error'].splitlines()[0]}", err=True,
                        fg="red")

    try:
        result = batch_stage.run(spec, out_dir, scheduler=scheduler, n_workers=workers,
                                 memory_limit=memory_limit, force=force,
                                 self_contained=self_contained, progress=finished,
                                 on_start=started)
    finally:
        if bar_context is not None:
            bar_context.__exit__(None, None, None)
    with policy:
        written = batch_stage.write_table(result, out_dir)
    table = result.table()
    shown = [c for c in ("rank", "district", "status", "mode", "stations", "covered_main_%",
                         "gaps", "gap_weight", "median_min", "proposed_sites",
                         "covered_after_%", "seconds") if c in table.columns]
    click.secho(f"\n{result.title}", bold=True)
    click.echo(table[shown].to_string(index=False))
    click.echo(f"\nwrote {', '.join(str(p) for p in written)}")
    if result.failed:
        click.secho(f"{len(result.failed)} of {len(result.rows)} districts failed; see "
                    "districts.md", fg="red", err=True)
        raise SystemExit(3)


@cli.group()
def scenario() -> None:
    """What-if scenarios from a TOML/YAML file, compared side by side.

    See scenarios/wudaokou.toml for a commented example.
    """


@scenario.command("run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Output folder [default: maps/<file name>/].")
@click.option("--per-scenario-maps/--no-per-scenario-maps", default=True, show_default=True,
              help="Also write one map per scenario.")
@map_options
@force_option
@click.pass_context
def scenario_run(ctx, file, out_dir, per_scenario_maps, self_contained, tiles, force) -> None:
    """Run every scenario in FILE; print and write the comparison, maps and a JSON report.

    Writes comparison.csv, comparison.md, report.json, map.html (each scenario a layer
    group) and one <scenario>.html per scenario. Networks and matrices are cached, so
    re-running after changing one variant takes seconds.
    """
    from planner.apps import scenario as scenario_stage
    from planner.data.network import load_network

    say = _progress(ctx)
    spec = scenario_stage.load(file)
    say(f"{len(spec.scenarios)} scenarios in {file}")
    out_dir = out_dir or Path("maps") / Path(file).stem
    policy = _guard(scenario_stage.output_paths(spec, out_dir, per_scenario_maps),
                    scenario_stage.input_paths(spec), force)
    result = scenario_stage.run(spec, progress=lambda m: say("  " + m))
    say("writing the comparison and maps")
    network = load_network(spec.scenarios[0].network)
    with policy:
        written = scenario_stage.write_outputs(result, out_dir, network=network,
                                               per_scenario_maps=per_scenario_maps,
                                               self_contained=self_contained,
                                               tiles=tiles or ("osm",))
    table = result.comparison()
    with_pd = table.rename(columns=lambda c: c.replace("covered_", "").replace("_%", " %"))
    with_pd = with_pd.astype(object).where(with_pd.notna(), "n/a")  # see not_compared
    click.secho(f"\n{result.title}", bold=True)
    click.echo(with_pd.to_string(index=False))
    click.echo(f"\nwrote {len(written)} files to {out_dir}")


@scenario.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def scenario_check(file) -> None:
    """Validate a scenario file without running it."""
    from planner.apps import scenario as scenario_stage

    spec = scenario_stage.load(file)
    click.echo(f"{file}: {len(spec.scenarios)} scenarios OK: "
               + ", ".join(s.name for s in spec.scenarios))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="planner")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
