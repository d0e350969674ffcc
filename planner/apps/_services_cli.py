"""CLI pieces for services, opening hours and 1+N hub plans (used by :mod:`planner.apps.cli`).

Kept apart so the main command module only gains a decorator and a call per command.
"""

from __future__ import annotations

from pathlib import Path

import click

from planner.i18n import _, travel_label
from planner.i18n import service_name as shown_service
import geopandas as gpd
import pandas as pd

__all__ = ["coverage_options", "propose_options", "coverage_services", "print_services",
           "resolve_candidates", "run_special_propose"]


def _vocabulary_option(func):
    return click.option(
        "--services-file", "services_file", type=click.Path(path_type=Path), metavar="TOML",
        help="Extra services and synonyms ([services] name = \"description\"; [synonyms] "
             "\"换电柜\" = \"battery_swap\").")(func)


def _at_option(func):
    return click.option(
        "--at", "at", metavar="WHEN",
        help="Only stations open then count, from their opening_hours (OSM syntax): "
             "'Mon 21:30', '周六 08:00' or '2026-05-01 21:30'.")(func)


def coverage_options(func):
    """--service, --by-service, --at, --services-file for ``planner coverage``."""
    func = _vocabulary_option(_at_option(func))
    func = click.option("--by-service", is_flag=True,
                        help="Coverage per service offered by the stations (a 'services' "
                             "column: rest, water, battery_swap...).")(func)
    return click.option("--service", "service_names", multiple=True, metavar="NAME",
                        help="Coverage for this service only (repeatable; implies "
                             "--by-service for those services).")(func)


def propose_options(func):
    """--service, --new-services, --hub, --hub-minutes, --at, --services-file for propose."""
    func = _vocabulary_option(_at_option(func))
    func = click.option("--hub", "hub_id", metavar="ID",
                        help="--model hub: an existing station id (plan satellites only) or a "
                             "candidate id for the hub.")(func)
    func = click.option("--hub-minutes", default=10.0, show_default=True, metavar="MIN",
                        help="--model hub: every satellite within this time of the hub.")(func)
    func = click.option("--new-services", "new_services", metavar="LIST",
                        help="What new sites (satellites) offer, e.g. 'rest;water;charging' "
                             "[default: the --service, or rest;water;charging].")(func)
    return click.option("--service", "service_name", metavar="NAME",
                        help="Plan for one service: only stations offering it (and open "
                             "--at) count as covering.")(func)


def vocabulary(services_file):
    from planner.data import services as vocab

    return vocab.read_vocabulary(services_file) if services_file else vocab.DEFAULT_VOCABULARY


def _check_at(at):
    from planner.data import services as vocab
    from planner.errors import InputError

    if at is None:
        return None
    try:
        vocab.parse_at(at)
    except InputError as exc:
        raise click.BadParameter(str(exc).removeprefix("--at "), param_hint="--at") from None
    return at


def coverage_services(network, stations, demand, travels, thresholds, *, service_names=(),
                      by_service=False, at=None, services_file=None, say=None):
    """Per-service coverage for each travel mode, or [] when no service option was given."""
    from planner.analysis import services as service_stage

    if not (service_names or by_service or at):
        return []
    at = _check_at(at)
    vocab = vocabulary(services_file)
    results = []
    for travel in travels:
        if say:
            say(_("coverage per service, {travel}").format(travel=travel_label(travel)))
        results.append(service_stage.analyze_services(
            network, stations, demand, services=list(service_names) or None, at=at,
            vocabulary=vocab, travel=travel, minutes=thresholds))
    return results


def print_services(results) -> None:
    for result in results:
        click.secho("\n" + _("per service, {travel}:").format(
            travel=travel_label(result.travel)), bold=True)
        for line in result.lines():
            click.echo("  " + line)


def resolve_candidates(network, candidates, sources):
    """Replace ``osm:public`` in ``sources`` by public places read from the network's OSM file
    (merged with the candidates layer when ``layer`` is asked for too)."""
    if "osm:public" not in sources:
        return candidates, tuple(sources)
    from planner.data.public_places import read_public_places

    public = read_public_places(network.source, bbox=network.bounds_lonlat)
    if public.empty:
        from planner.errors import LayerError

        raise LayerError(f"{network.source} has no public places (community centres, banks, "
                         "post offices...); use another --candidate-source")
    rest = tuple(s for s in sources if s != "osm:public")
    if "layer" in rest and candidates is not None:
        both = pd.concat([candidates.assign(source="layer"), public], ignore_index=True)
        both = both.drop_duplicates("id")
        return gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326"), rest
    return public, rest + ("layer",)


def _split(text):
    return [p for p in str(text).replace(",", ";").split(";") if p.strip()] if text else []


def run_special_propose(inputs, demand_layer, *, model, k, travel, minutes, sources,
                        service_name, new_services, hub_id, hub_minutes, at, services_file,
                        say, outputs, **options):
    """``propose --model hub`` or ``propose --service NAME``: solve, write the map, report and
    sites (``outputs``: map_path, report_path, sites_path, note, self_contained, tiles) and
    print the result."""
    from planner.analysis import hubs, services as service_stage

    at = _check_at(at)
    vocab = vocabulary(services_file)
    offered = _split(new_services)
    if not offered:
        offered = list(hubs.SATELLITE_SERVICES) if model == "hub" else []
        if service_name and service_name not in offered:
            offered.append(service_name)
    candidates, sources = resolve_candidates(inputs.network, inputs.candidates, sources)
    if model != "hub":
        result = service_stage.propose_for_service(
            inputs.network, inputs.stations, demand_layer, service=service_name,
            new_services=offered, at=at, vocabulary=vocab, candidates=candidates, model=model,
            k=k, travel=travel, minutes=minutes, candidate_sources=sources,
            progress=lambda m: say("  " + m), **options)
        _write_proposal(result, inputs, say, **outputs)
        from planner.apps._console import _print_proposal

        _print_proposal(result)
        sep = _(", ")
        click.echo("  " + _("service {service}: stations offering it: {stations}; new sites "
                            "offer {services}").format(
            service=shown_service(result.details["service"]),
            stations=sep.join(result.details["stations_offering"]) or _("(none)"),
            services=sep.join(shown_service(s) for s in result.details["new_services"])))
        return
    if "layer" not in sources or candidates is None:
        raise click.UsageError("--model hub needs candidate places: --candidates PATH or "
                               "--candidate-source osm:public")
    plan = hubs.propose_hub(
        inputs.network, inputs.stations, demand_layer, candidates=candidates, k=k,
        hub_minutes=hub_minutes, minutes=minutes, travel=travel, hub=hub_id,
        service=service_name, new_services=offered, at=at, vocabulary=vocab,
        time_limit=options.get("time_limit", 60.0), progress=lambda m: say("  " + m))
    _write_hub(plan, inputs, demand_layer, travel, say, **outputs)
    click.secho("\n" + _("1+N plan, {travel}, {minutes} min, satellites within {hub_minutes} "
                        "min of the hub").format(travel=travel_label(travel),
                                                 minutes=f"{plan.minutes:g}",
                                                 hub_minutes=f"{plan.hub_minutes:g}"), bold=True)
    from planner.apps._console import _echo

    for line in plan.lines():
        _echo("  " + line)


def _write_proposal(result, inputs, say, *, map_path, report_path, sites_path, note,
                    self_contained, tiles):
    from planner.outputs import maps as render

    say(_("rendering the map"))
    fmap = render.proposal_map(result, network=inputs.network, note=note,
                               self_contained=self_contained, tiles=tiles)
    written = render.write_bundle(
        fmap=fmap, map_path=map_path, report=result.to_dict(), report_path=report_path,
        frames={sites_path: result.sites, sites_path.with_suffix(".csv"): result.sites})
    for path in written:
        click.echo(_("wrote {path}").format(path=path))


def _write_hub(plan, inputs, demand_layer, travel, say, *, map_path, report_path, sites_path,
               note, self_contained, tiles):
    from planner.analysis import coverage
    from planner.analysis.hubs import plan_stations
    from planner.outputs import maps as render
    from planner.outputs.hub_map import hub_map

    say(_("checking coverage before and after for the map"))
    street = inputs.network.graph(travel)
    before = None
    if inputs.stations is not None and len(inputs.stations):
        before = coverage.analyze(street, inputs.stations, demand_layer, minutes=[plan.minutes],
                                  per_station_isochrones=False)
    after = coverage.analyze(street, plan_stations(inputs.stations, plan), demand_layer,
                             minutes=[plan.minutes], per_station_isochrones=False)
    say(_("rendering the map"))
    fmap = hub_map(plan, before, after, network=inputs.network, note=note,
                   self_contained=self_contained, tiles=tiles)
    report = plan.to_dict()
    if plan.services_after is not None:
        report["services_before"] = plan.services_before.summary()
        report["services_after"] = plan.services_after.summary()
    written = render.write_bundle(
        fmap=fmap, map_path=map_path, report=report, report_path=report_path,
        frames={sites_path: plan.satellites, sites_path.with_suffix(".csv"): plan.satellites})
    for path in written:
        click.echo(_("wrote {path}").format(path=path))
