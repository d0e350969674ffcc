"""The CLI for services, opening hours and 1+N hub plans (and their maps, also in Chromium)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from planner.apps.cli import cli

from conftest import SAMPLE


def test_coverage_by_service_at_a_time(run, tmp_path):
    result = run("-q", "coverage", "-m", "walk", "--minutes", "10", "--by-service", "--at",
                 "Mon 21:30", "--no-per-station", "--map", "c.html")
    assert result.exit_code == 0, result.output
    assert "covered within 10 min at Mon 21:30: " in result.output
    assert "of demand weight for any service" in result.output
    assert "  battery swap: " in result.output
    report = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    services = [r["service"] for r in report["services"][0]["summary"]["services"]]
    assert services[0] == "any" and "battery_swap" in services
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "service: battery swap" in page and "service: rest" in page


def test_coverage_for_one_service_with_a_vocabulary_file(run, tmp_path):
    (tmp_path / "extra.toml").write_text('[synonyms]\n"电池" = "battery_swap"\n',
                                         encoding="utf-8")
    result = run("-q", "coverage", "-m", "walk", "--service", "电池", "--services-file",
                 "extra.toml", "--no-per-station", "--map", "c.html")
    assert result.exit_code == 0, result.output
    assert "  battery swap: " in result.output and "  rest: " not in result.output


@pytest.mark.parametrize("args, message", [
    (["coverage", "--service", "massage"], "unknown service 'massage'"),
    (["coverage", "--by-service", "--at", "someday"], "--at"),
    (["propose", "--service", "battery_swap", "--new-services", "rest"],
     "add battery_swap to --new-services"),
    (["propose", "--model", "hub", "--hub", "S99", "--candidate-source", "osm:public"],
     "neither a station nor a candidate"),
])
def test_mistakes_are_one_clear_line(run, args, message):
    result = CliRunner().invoke(cli, ["-q", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_services_in_a_layer_name_the_row(run, tmp_path):
    data = json.loads((SAMPLE / "stations.geojson").read_text(encoding="utf-8"))
    data["features"][1]["properties"]["services"] = "rest;sauna"
    (tmp_path / "s.geojson").write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "coverage", "-s", "s.geojson", "--by-service"])
    assert result.exit_code == 2
    assert "row 2 (id S2)" in result.output and "'sauna'" in result.output


def test_propose_hub_from_osm_public_places(run, tmp_path):
    result = run("-q", "propose", "--mode", "walk", "--minutes", "10", "--model", "hub", "-k",
                 "3", "--hub-minutes", "10", "--candidate-source", "osm:public", "--map",
                 "hub.html")
    assert result.exit_code == 0, result.output
    assert "1+N plan" in result.output and "satellite #1 at" in result.output
    assert "per service, before -> after:" in result.output
    report = json.loads((tmp_path / "hub.json").read_text(encoding="utf-8"))
    assert report["summary"]["model"] == "hub"
    for satellite in report["satellites"]:
        assert satellite["time_to_hub_min"] <= 10 and satellite["hub_id"]
    assert "services_after" in report
    sites = json.loads((tmp_path / "hub-sites.geojson").read_text(encoding="utf-8"))
    assert len(sites["features"]) == len(report["satellites"])
    page = (tmp_path / "hub.html").read_text(encoding="utf-8")
    assert "1+" in page and "hub and satellites" in page


def test_propose_for_one_service(run, tmp_path):
    result = run("-q", "propose", "--mode", "walk", "--minutes", "10", "--service",
                 "battery_swap", "-k", "1", "--curve", "0", "--map", "p.html")
    assert result.exit_code == 0, result.output
    assert "stations offering it: S1" in result.output
    report = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert report["summary"]["service"] == "battery_swap"
    assert report["sites"][0]["services"] == "battery_swap"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _open(browser, path):
    page = browser.new_page()
    errors, dialogs = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("http*://**/*", lambda route: route.abort())
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelector('.leaflet-control-layers') !== null")
    page.evaluate("document.querySelectorAll('#planner-layers details')"
                  ".forEach(d => { d.open = true; })")  # the panel's sections start collapsed
    for layer in page.query_selector_all(".leaflet-control-layers-overlays input")[:40]:
        if not layer.is_checked():
            layer.check()
    # open every tooltip and popup: markup injected through a name would run now
    opened = page.evaluate("""() => {
        let n = 0;
        for (const key of Object.keys(window).filter(k => k.startsWith('map_'))) {
            window[key].eachLayer(l => {
                if (l.getTooltip && l.getTooltip()) { l.openTooltip(); n++; }
                if (l.getPopup && l.getPopup()) { l.openPopup(); n++; }
            });
        }
        return n;
    }""")
    assert opened > 0
    page.wait_for_timeout(300)
    return page, errors, dialogs


HOSTILE = "`${alert(1)}`</script><img src=x onerror=alert(2)>"


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_hub_and_service_layers_with_hostile_names_open_without_errors(
        run, tmp_path, sample_network, sample_stations, sample_demand):
    playwright = pytest.importorskip("playwright.sync_api")
    data = json.loads((SAMPLE / "candidates.geojson").read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"]["name"] = HOSTILE + feature["properties"]["name"]
    (tmp_path / "cand.geojson").write_text(json.dumps(data), encoding="utf-8")
    result = run("-q", "propose", "--mode", "walk", "--minutes", "10", "--model", "hub", "-k",
                 "2", "-c", "cand.geojson", "--map", "hub.html")
    assert result.exit_code == 0, result.output
    # the service layers alone (the base map's own station layer is another module's)
    from planner.analysis.services import analyze_services
    from planner.outputs import maps, service_layers

    hostile = sample_stations.assign(name=HOSTILE)
    demand = sample_demand.assign(name=HOSTILE)
    services = analyze_services(sample_network.graph(__import__("planner").Travel("walk")),
                                hostile, demand, minutes=[10], at="Mon 21:30")
    fmap = maps.new_map([40.0, 116.32])
    maps.save_map(service_layers.add(fmap, services, show=True), tmp_path / "services.html")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for name in ("hub.html", "services.html"):
            page, errors, dialogs = _open(browser, tmp_path / name)
            assert not dialogs, (name, dialogs)
            assert not errors, (name, errors)
            if name == "hub.html":
                assert page.locator("text=hub and satellites").count() >= 1
            else:
                assert page.locator("text=service: battery swap").count() >= 1
        browser.close()


def test_scenario_file_with_services_hours_and_a_hub_plan(tmp_path):
    from planner.apps import scenario

    spec = scenario.load(SAMPLE.parents[1] / "scenarios" / "wudaokou-services.toml")
    assert spec.scenarios[0].services["at"] == "Mon 21:30"
    assert spec.scenarios[1].services["at"] == "Mon 21:30"  # inherited
    run_result = scenario.run(spec)
    table = run_result.comparison().set_index("scenario")
    base = table.loc["today, evening"]
    assert base["battery_swap_%"] < base["rest_%"]
    assert table.loc["S2 without its microwave", "microwave_%"] < base["microwave_%"]
    assert table.loc["S2 without its microwave", "rest_%"] == base["rest_%"]
    assert table.loc["S3 open until 22:00", "rest_%"] > base["rest_%"]
    hub = run_result.results[3]
    assert hub.hub_plan is not None and len(hub.stations) > len(run_result.results[0].stations)
    assert table.loc["1+4 around a new hub", "any_%"] > base["any_%"]
    swap = run_result.results[4]
    assert swap.hub_plan.hub["id"] == "S1"
    assert table.iloc[4]["battery_swap_%"] > base["battery_swap_%"]
    assert run_result.to_dict()["scenarios"][4]["hub_plan"]["summary"]["model"] == "hub"


@pytest.mark.parametrize("extra, message", [
    ('services = ["spa"]', "unknown service 'spa'"),
    ('at = "someday"', "variants[0].at"),
    ('station_services = { S2 = "rest;sauna" }', "'sauna'"),
    ('opening_hours = { S9 = "24/7" }', "no station 'S9'"),
    ('opening_hours = { S2 = "whenever" }', "opening_hours"),
    ('hub = { k = 0 }', "variants[0].hub.k"),
    ('hub = { satellites = 3 }', "unknown key"),
    ('hub = { hub = "S99", candidate_sources = ["osm:public"] }', "neither a station"),
])
def test_scenario_service_mistakes_name_the_key(tmp_path, extra, message):
    from planner.apps import scenario
    from planner.errors import ScenarioError

    path = tmp_path / "s.toml"
    path.write_text(f'[baseline]\nnetwork = "wudaokou"\nmode = "walk"\nminutes = [10]\n\n'
                    f'[[variants]]\nname = "v"\n{extra}\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("(", r"\(")):
        scenario.run(scenario.load(path))
