"""Options shared by the commands, defined once (click decorators), and their parsing."""

from __future__ import annotations

from pathlib import Path

import click

from planner import i18n
from planner.apps._console import use_language
from planner.errors import InputError

SAMPLE_NOTE = i18n.N_("Sample district: stations are illustrative, not a real station plan.")

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


def lang_option(func):
    """``--lang zh|en``, remembered in the click context for :func:`use_language`."""
    return click.option(
        "--lang", type=click.Choice(["zh", "en"]), default=None, expose_value=False,
        callback=_remember_lang,
        help="Language of the map, report labels and console summary [default: zh when "
             "PLANNER_LANG/LANG says zh or the network is in China, else en].")(func)


def map_options(func):
    func = lang_option(func)
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
    """``say(message)`` for the command's steps (see :class:`._progress.Steps`)."""
    from planner.apps.cli._progress import Steps

    return Steps(ctx)


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

