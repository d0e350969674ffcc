"""Scenario keys for services, opening hours, ``at`` and 1+N hub plans.

A baseline or variant may carry::

    services = ["rest", "battery_swap"]     # report coverage for these (default: every one)
    at = "Mon 21:30"                        # only stations open then count (per service)
    station_services = { S3 = "rest;water" }          # what a station offers in this variant
    opening_hours = { S3 = "Mo-Su 08:00-20:00" }      # when it is open in this variant
    hub = { k = 4, hub_minutes = 10, hub = "S1", candidate_sources = ["osm:public"],
            new_services = ["rest", "water", "charging"], service = "battery_swap" }

so "close the canteen at S3 after 20:00" is ``station_services`` + ``opening_hours`` + ``at``, and
"hub at X plus 4 satellites" is ``hub = {hub = "X", k = 4}``. :mod:`planner.apps.scenario`
validates them with :func:`check`, applies them with :func:`apply` and adds the per-service
columns of :func:`comparison_columns` to its comparison.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd

from planner.data import services as vocab
from planner.errors import InputError, PlannerError, ScenarioError

__all__ = ["KEYS", "INHERITED", "HUB_KEYS", "check", "apply", "service_coverage",
           "comparison_columns"]

KEYS = {"services", "at", "station_services", "opening_hours", "hub"}
#: Keys a variant inherits from the baseline (edits and hub plans are per variant).
INHERITED = {"services", "at"}
HUB_KEYS = {"k", "hub_minutes", "hub", "candidate_sources", "new_services", "service"}


def check(raw: Mapping, base: Mapping | None, where: str, fail) -> dict:
    """The validated service keys of one scenario table (inheriting ``services`` and ``at``
    from ``base``); ``fail(key_path, message, key)`` builds the error."""
    out = {k: v for k, v in (base or {}).items() if k in INHERITED}
    if "services" in raw:
        value = raw["services"]
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise fail(f"{where}.services", "must be a list of service names", "services")
        try:
            out["services"] = [vocab.DEFAULT_VOCABULARY.name(s, where=f"{where}.services")
                               for s in value]
        except InputError as exc:
            raise fail(f"{where}.services", str(exc).split(": ", 1)[-1], "services") from None
    if "at" in raw:
        try:
            vocab.parse_at(raw["at"] if isinstance(raw["at"], str) else "")
        except InputError as exc:
            raise fail(f"{where}.at", str(exc), "at") from None
        out["at"] = raw["at"]
    for key in ("station_services", "opening_hours"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, Mapping) or not all(isinstance(v, (str, list))
                                                         for v in value.values()):
                raise fail(f"{where}.{key}", "must map station ids to text", key)
            if key == "station_services":
                try:
                    vocab.parse_services(value.values(), where=f"{where}.{key}",
                                         ids=[str(k) for k in value])
                except InputError as exc:
                    raise fail(f"{where}.{key}", str(exc), key) from None
            out[key] = {str(k): v for k, v in value.items()}
    if "hub" in raw:
        out["hub"] = _check_hub(raw["hub"], where, fail)
    return out


def _check_hub(hub, where: str, fail) -> dict:
    if not isinstance(hub, Mapping):
        raise fail(f"{where}.hub", "must be a table like {k = 4, hub_minutes = 10}", "hub")
    unknown = set(hub) - HUB_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise fail(f"{where}.hub.{key}", f"unknown key; allowed: {', '.join(sorted(HUB_KEYS))}",
                   key)
    k = hub.get("k", 4)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 200:
        raise fail(f"{where}.hub.k", "must be a whole number of satellites, 1..200", "k")
    minutes = hub.get("hub_minutes", 10)
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not \
            0 < minutes <= 240:
        raise fail(f"{where}.hub.hub_minutes", "must be minutes in (0, 240]", "hub_minutes")
    sources = hub.get("candidate_sources", ["layer"])
    if not isinstance(sources, list) or not set(sources) <= {"layer", "osm:public"}:
        raise fail(f"{where}.hub.candidate_sources", "a list of 'layer' and/or 'osm:public'",
                   "candidate_sources")
    return dict(hub)


def _edit(stations: gpd.GeoDataFrame, extra: Mapping, where: str) -> gpd.GeoDataFrame:
    stations = stations.copy()
    known = set(stations["id"].astype(str))
    for key, column in (("station_services", "services"), ("opening_hours", "opening_hours")):
        for sid, value in extra.get(key, {}).items():
            if sid not in known:
                raise ScenarioError(f"{where}.{key}: no station {sid!r}; stations: "
                                    f"{', '.join(sorted(known)[:20])}")
            if column not in stations.columns:
                stations[column] = ""
            stations[column] = stations[column].astype(object)
            text = ";".join(value) if isinstance(value, list) else value
            stations.loc[stations["id"].astype(str) == sid, column] = text
    try:
        vocab.check_opening_hours(stations, where=f"{where} stations")
    except PlannerError as exc:
        raise ScenarioError(str(exc)) from None
    return stations


def apply(extra: Mapping, stations: gpd.GeoDataFrame, inputs, street, *, minutes: float,
          where: str):
    """The variant's stations with services/hours edited and the hub plan's new stations
    added; returns ``(stations, hub_plan or None)``."""
    from planner.analysis import hubs
    from planner.apps._services_cli import resolve_candidates

    stations = _edit(stations, extra, where)
    hub = extra.get("hub")
    if hub is None:
        return stations, None
    try:
        candidates, sources = resolve_candidates(inputs.network, inputs.candidates,
                                                 tuple(hub.get("candidate_sources", ["layer"])))
        if "layer" not in sources or candidates is None:
            raise InputError("a hub plan needs a candidates layer or osm:public")
        new = hub.get("new_services") or list(hubs.SATELLITE_SERVICES)
        plan = hubs.propose_hub(street, stations, inputs.demand, candidates=candidates,
                                k=hub.get("k", 4), hub_minutes=hub.get("hub_minutes", 10),
                                minutes=minutes, hub=hub.get("hub"), service=hub.get("service"),
                                new_services=new, at=extra.get("at"), with_services=False)
    except PlannerError as exc:
        raise ScenarioError(f"{where}.hub: {exc}") from None
    return hubs.plan_stations(stations, plan), plan


def service_coverage(extra: Mapping, stations, demand, study, *, minutes):
    """Per-service coverage of the scenario's stations, or None when they list no services."""
    from planner.analysis.services import analyze_services

    if "services" not in stations.columns and not extra.get("services"):
        return None
    return analyze_services(study, stations, demand, services=extra.get("services"),
                            at=extra.get("at"), minutes=minutes)


def comparison_columns(result) -> dict:
    """``<service>_%`` (covered within the main threshold) for a comparison row."""
    if result is None:
        return {}
    return {f"{s}_%": round(100 * result.covered_share(s), 2) for s in result.services}
