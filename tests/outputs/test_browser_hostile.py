"""Every map kind built from layers full of hostile and unusual names, opened in headless
Chromium offline: the map draws, the names show as written, and nothing injected runs."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from planner.analysis import coverage, proposals
from planner.apps import batch, scenario
from planner.data import layers
from planner.outputs import maps as render
from planner.settings import Travel

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]
SAMPLE = Path(__file__).resolve().parents[2] / "layers" / "wudaokou"

#: One name per class of trouble: closing the script element, an HTML tag with a handler,
#: JS template-literal syntax, backticks, backslashes, quotes, breaking out of a JS string,
#: HTML comments and entities, Jinja syntax (folium's branca renders the page's text as a
#: template a second time: run, it would change the environment), line separators, emoji
#: and Chinese.
PAYLOADS = (
    '</script><script>document.title="pwned"</script>',
    "<img src=x onerror=\"document.title='pwned'\">",
    "${alert(1)}",
    "`backtick` ${document.title='pwned'} `",
    "back\\slash \\u003c \\n \\` end\\",
    "\"double\" and 'single' quotes",
    "'; alert(1); '",
    "<!-- not a comment --> &amp; & &lt;",
    "{{ 7*7 }} {% if 1 %}jinja{% endif %} {# c #}",
    "{{ lipsum.__globals__.os.environ.__setitem__(dict(PLANNER_PWNED=1)|first, 1|string) }}",
    "line\u2028separator\u2029paragraph",
    "🚲 外卖骑手驿站 🍜",
)
FORMULAS = ('=HYPERLINK("http://x","click")', "@SUM(1+1)", "+1", "-1+2")
STATION_IDS = ('S"1<', "S`2${x}", "S3</script>")


def _hostile_layer(name: str, folder: Path, *, ids: tuple[str, ...] = (),
                   payloads: tuple[str, ...] = PAYLOADS, suffix: str = "") -> Path:
    """The sample layer ``name`` with every name and kind replaced by a payload."""
    data = json.loads((SAMPLE / f"{name}.geojson").read_text(encoding="utf-8"))
    for index, feature in enumerate(data["features"]):
        props = feature["properties"]
        props["name"] = payloads[index % len(payloads)]
        props["kind"] = payloads[(index + 3) % len(payloads)]
        if ids:
            props["id"] = ids[index]
    path = folder / f"{name}{suffix}.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-layers")
    return {"stations": _hostile_layer("stations", folder, ids=STATION_IDS),
            "demand": _hostile_layer("demand", folder),
            "candidates": _hostile_layer("candidates", folder),
            "formulas": _hostile_layer("candidates", folder, payloads=FORMULAS, suffix="-f")}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile-maps")


PROBE_JS = """() => {
  const out = {maps: 0, labels: [], popups: [], tooltips: [], features: [], badges: []};
  // tick every layer of the panel, so hidden sections (other modes, services) are drawn too
  // (not the online tiles of the "Base map" section: the page is offline)
  document.querySelectorAll('.planner-section').forEach(section => {
    if (section.querySelector('summary b').textContent === 'Base map') return;
    section.querySelectorAll('.leaflet-control-layers-selector').forEach(box => {
      if (!box.checked) { box.checked = true; box.dispatchEvent(new Event('change')); }
    });
  });
  for (const key of Object.keys(window)) {
    const layer = window[key];
    if (layer instanceof L.Map) {
      out.maps += 1;  // vector layers drawn (on the canvas) and markers shown
      out.drawn = Object.values(layer._layers).filter(l => l instanceof L.Path).length;
      out.markers = Object.values(layer._layers).filter(l => l instanceof L.Marker).length;
      continue;
    }
    if (!(layer instanceof L.Layer)) continue;
    if (layer instanceof L.Marker && layer._map) {
      if (layer.getPopup()) {
        layer.openPopup(); out.popups.push(layer.getPopup().getElement().textContent);
        layer.closePopup();
      }
      if (layer.getTooltip()) {
        layer.openTooltip(); out.tooltips.push(layer.getTooltip().getElement().textContent);
        layer.closeTooltip();
      }
    } else if (layer instanceof L.Path && layer._map && layer.getTooltip()) {
      layer.openTooltip(); out.tooltips.push(layer.getTooltip().getElement().textContent);
      layer.closeTooltip();  // circle markers of services, hub-satellite lines
    }
    if (layer instanceof L.GeoJSON) {
      for (const overlay of [layer.getPopup(), layer.getTooltip()]) {
        if (overlay && typeof overlay._content === 'function') {
          layer.eachLayer(sub => out.features.push(overlay._content(sub).textContent));
        }
      }
    }
  }
  out.labels = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
    .map(label => label.title);
  out.sections = [...document.querySelectorAll('.planner-section > summary > b')]
    .map(b => b.textContent);
  out.badges = [...document.querySelectorAll('.leaflet-marker-icon')]
    .map(icon => icon.textContent);
  out.injected = document.querySelectorAll('img[src="x"], [onerror]').length;
  out.scripts = document.scripts.length;
  out.summary = document.getElementById('planner-summary').textContent;
  return out;
}"""


def probe(open_offline, path: Path) -> dict:
    """Open ``path``, open every popup and tooltip, and check nothing injected ran."""
    opened = open_offline(path)
    found = opened.page.evaluate(PROBE_JS)
    assert "PLANNER_PWNED" not in os.environ  # no template ran while the page was written
    assert opened.errors == [], opened.errors  # no SyntaxError, nothing thrown
    assert opened.failed == [] and opened.dialogs == []  # no alert(1)
    assert opened.page.title() == ""  # document.title never set to "pwned"
    assert found["injected"] == 0  # no <img src=x> or handler attribute in the DOM
    assert found["maps"] == 1 and found["labels"], found
    assert found["drawn"] > 0 and found["markers"] > 0, found
    return found


def _contains_all(texts: list[str], names) -> None:
    joined = "\n".join(texts)
    missing = [name for name in names if name not in joined]
    assert not missing, missing


def test_coverage_map_shows_hostile_names_as_text(open_offline, out, hostile, sample_network):
    stations = layers.read_stations(hostile["stations"])
    demand = layers.read_demand(hostile["demand"])
    results = [coverage.analyze(sample_network, stations, demand, travel=Travel(mode))
               for mode in ("ebike", "walk")]
    labels = [PAYLOADS[0], PAYLOADS[2]]
    fmap = render.coverage_map(results, network=sample_network, labels=labels,
                               title=PAYLOADS[1], note=PAYLOADS[3])
    path = render.save_map(fmap, out / "coverage.html")
    found = probe(open_offline, path)
    assert f"{labels[0]}: within 15 min" in found["labels"]
    assert f"{labels[1]}: demand (size = weight)" in found["labels"]
    assert labels[0] in found["sections"] and labels[1] in found["sections"]
    # station tooltips are exactly the ids and names; popups and badges show names and ids
    assert sorted(found["tooltips"]) == sorted(f"{i} {n}" for i, n in
                                               zip(stations["id"], stations["name"]))
    _contains_all(found["popups"], list(stations["name"]) + list(STATION_IDS))
    assert sorted(found["badges"]) == sorted(STATION_IDS)
    # every demand place's tooltip and popup (names and kinds) as text
    _contains_all(found["features"], set(demand["name"]) | set(demand["kind"]))
    _contains_all([found["summary"]], [PAYLOADS[1], PAYLOADS[3], labels[0], labels[1]])


def test_proposal_map_shows_hostile_site_names(open_offline, out, hostile, sample_network):
    stations = layers.read_stations(hostile["stations"])
    demand = layers.read_demand(hostile["demand"])
    candidates = layers.read_candidates(hostile["candidates"])
    plan = proposals.propose(sample_network, stations, demand, candidates=candidates, k=2,
                             travel=Travel("walk"), candidate_sources=("layer",))
    assert len(plan.sites) == 2
    path = render.save_map(render.proposal_map(plan, network=sample_network,
                                               note=PAYLOADS[4]), out / "proposal.html")
    found = probe(open_offline, path)
    _contains_all(found["popups"], list(plan.sites["name"]) + list(plan.sites["kind"]))
    _contains_all(found["tooltips"], [f"proposed #{r.rank}: {r.name}"
                                      for r in plan.sites.itertuples()])
    assert PAYLOADS[4] in found["summary"]


SCENARIO_NAMES = ('base </script><script>document.title="pwned"</script>',
                  "img <img src=x onerror=\"document.title='pwned'\">",
                  "tpl ${alert(1)} `tick` \\ \"q\" '; alert(1); '",
                  "=骑手 🚲 & {{ 7*7 }}")


def test_scenario_maps_show_hostile_scenario_names(open_offline, out, hostile):
    spec = scenario.parse({
        "title": PAYLOADS[1],
        "baseline": {"name": SCENARIO_NAMES[0], "network": "wudaokou", "mode": "walk",
                     "stations": str(hostile["stations"]), "demand": str(hostile["demand"])},
        "variants": [{"name": SCENARIO_NAMES[1], "close": [STATION_IDS[0]]},
                     {"name": SCENARIO_NAMES[2], "mode": "ebike"},
                     {"name": SCENARIO_NAMES[3], "add": [{"lon": 116.33, "lat": 40.0,
                                                           "name": PAYLOADS[2]}]}]})
    folder = out / "scenario"
    written = scenario.write_outputs(scenario.run(spec), folder)
    pages = [p for p in written if p.suffix == ".html"]
    assert len(pages) == 1 + len(SCENARIO_NAMES)
    combined = probe(open_offline, folder / "map.html")
    for name in SCENARIO_NAMES:  # one section of layers per scenario, named as written
        assert name in combined["sections"]
        assert f"{name}: stations" in combined["labels"]
    _contains_all([combined["summary"]], [PAYLOADS[1], *SCENARIO_NAMES[1:]])
    _contains_all(combined["tooltips"], [PAYLOADS[2]])
    singles = [probe(open_offline, p) for p in pages if p.name != "map.html"]
    _contains_all([s["summary"] for s in singles], SCENARIO_NAMES)
    markdown = (folder / "comparison.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and "<img" not in markdown
    with open(folder / "comparison.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["scenario"] for r in rows] == [*SCENARIO_NAMES[:3], "'" + SCENARIO_NAMES[3]]


def test_batch_district_maps_show_hostile_names(open_offline, out, hostile):
    name = "区 <img src=x onerror=\"document.title='pwned'\"> ${alert(1)} `x` '; alert(1); '"
    district = batch.District(name=name, network="wudaokou", mode="walk",
                              stations=str(hostile["stations"]),
                              demand=str(hostile["demand"]),
                              candidates=str(hostile["candidates"]),
                              analysis=("coverage", "proposals"), propose={"k": 2})
    row = batch.run_district(district, out / "batch")
    assert row["status"] == "ok", row
    for kind in ("coverage.html", "proposal.html"):
        [path] = list((out / "batch").rglob(kind))
        found = probe(open_offline, path)
        _contains_all(found["popups"], [PAYLOADS[0]])
        if kind == "coverage.html":
            assert name in found["summary"]


def test_cli_proposal_with_formula_names_neutralises_the_sites_csv(open_offline, out, hostile):
    from click.testing import CliRunner

    from planner.apps.cli import cli

    map_path = out / "cli" / "proposal.html"
    result = CliRunner().invoke(cli, [
        "-q", "propose", "--mode", "walk", "-k", "2", "-s", str(hostile["stations"]),
        "-d", str(hostile["demand"]), "-c", str(hostile["formulas"]), "--map", str(map_path)],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [sites_csv] = list(map_path.parent.glob("*.csv"))
    with open(sites_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    for row in rows:
        assert row["name"] in {"'" + f for f in FORMULAS}
        assert row["kind"] in {"'" + f for f in FORMULAS}
        assert float(row["lon"]) > 116 and float(row["newly_covered_weight"]) > 0
    sites = json.loads(next(map_path.parent.glob("*-sites.geojson")).read_text("utf-8"))
    names = [f["properties"]["name"] for f in sites["features"]]
    assert set(names) <= set(FORMULAS)  # the GeoJSON keeps the names as they are
    found = probe(open_offline, map_path)
    _contains_all(found["popups"], names)


def _run_cli(args: list[str]) -> None:
    from click.testing import CliRunner

    from planner.apps.cli import cli

    result = CliRunner().invoke(cli, ["-q", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", ["measures", "services", "hub"])
def test_measure_service_and_hub_maps_show_hostile_names(open_offline, out, hostile, kind):
    """The newest layers (measures, per-service coverage, 1+N hub plans) from payload names."""
    path = out / kind / "map.html"
    layers_args = ["-s", str(hostile["stations"]), "-d", str(hostile["demand"])]
    if kind == "measures":
        _run_cli(["coverage", "-m", "walk", "--measure", "all", *layers_args,
                  "--map", str(path)])
    elif kind == "services":
        _run_cli(["coverage", "-m", "walk", "--by-service", *layers_args, "--map", str(path)])
    else:
        _run_cli(["propose", "--model", "hub", "-m", "walk", "-k", "2", *layers_args,
                  "-c", str(hostile["candidates"]), "--map", str(path)])
    found = probe(open_offline, path)
    demand = json.loads(hostile["demand"].read_text(encoding="utf-8"))
    names = {f["properties"]["name"] for f in demand["features"]}
    _contains_all(found["features"], names)  # every GeoJSON tooltip shows names as text
    if kind == "measures":
        assert any("backup" in label for label in found["labels"])
        assert any("equity" in label for label in found["labels"])
    elif kind == "services":
        assert "Services" in found["sections"]
        _contains_all(found["tooltips"], [f"({sid})" for sid in STATION_IDS[:1]])
    else:
        assert "Hub plan" in found["sections"]
        hub = [t for t in found["tooltips"] if t.startswith("hub: ")]
        assert len(hub) == 1 and hub[0].removeprefix("hub: ") in (
            names | set(PAYLOADS) | {f["properties"]["name"] for f in json.loads(
                hostile["candidates"].read_text(encoding="utf-8"))["features"]}
            | set(layers.read_stations(hostile["stations"])["name"]))
        assert any(t.startswith("satellite #1: ") for t in found["tooltips"])
