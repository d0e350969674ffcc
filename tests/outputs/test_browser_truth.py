"""Maps that show each plan truthfully, in headless Chromium at 1280x720 (and screenshots at
1400x900): per-scenario station layers, before/after highlights, panels clear of stations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.apps import scenario
from planner.apps.cli import cli
from planner.outputs.panels import GAINED, LOST

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]
SHOTS = Path("/tmp/h10shots")
NAMED = "清华附中 sub-station"

STATE_JS = """() => {
  const out = {badges: [], gained: 0, lost: 0, overlaps: []};
  for (const icon of document.querySelectorAll('.leaflet-marker-icon')) {
    const badge = icon.querySelector('.planner-station');
    out.badges.push({text: icon.textContent, cls: badge ? badge.className : ''});
  }
  for (const key of Object.keys(window)) {
    const map = window[key];
    if (!(map instanceof L.Map)) continue;
    map.eachLayer(l => {
      if (l instanceof L.CircleMarker && !l.options.fill) {
        if (l.options.color === GAINED) out.gained += 1;
        if (l.options.color === LOST) out.lost += 1;
      }
    });
  }
  const panels = ['planner-legend', 'planner-summary', 'planner-layers',
                  'planner-measure-legend'].map(id => document.getElementById(id))
    .filter(e => e && e.offsetWidth).map(e => [e.id, e.getBoundingClientRect()]);
  for (const icon of document.querySelectorAll('.leaflet-marker-icon')) {
    const r = icon.getBoundingClientRect();
    for (const [id, p] of panels) {
      if (r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top) {
        out.overlaps.push([icon.textContent, id]);
      }
    }
  }
  out.summary = document.getElementById('planner-summary').textContent;
  out.legend = document.getElementById('planner-legend').textContent;
  return out;
}""".replace("GAINED", repr(GAINED)).replace("LOST", repr(LOST))


def _state(page, shot: str | None = None) -> dict:
    page.wait_for_timeout(150)
    found = page.evaluate(STATE_JS)
    if shot:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot}.png"))
    return found


def _open(open_offline, path: Path, width: int = 1280, height: int = 720):
    opened = open_offline(path)
    opened.page.set_viewport_size({"width": width, "height": height})
    opened.page.evaluate("window.plannerFit()")
    return opened


def _badges(found: dict, state: str) -> list[str]:
    return sorted(b["text"] for b in found["badges"] if f"planner-{state}" in b["cls"]
                  and "planner-old" not in b["cls"])


@pytest.fixture(scope="module")
def scenario_folder(tmp_path_factory):
    spec = scenario.parse({
        "title": "truth",
        "baseline": {"name": "on foot", "network": "wudaokou", "mode": "walk"},
        "variants": [
            {"name": "S2 closed", "close": ["S2"]},
            {"name": "S3 moved", "move": {"S3": [116.3150, 40.0075]}},
            {"name": "high school", "add": [{"candidate": "n1362305692", "name": NAMED}]},
            {"name": "plus 2 proposed", "propose": {"k": 2, "model": "mclp"}}]})
    folder = tmp_path_factory.mktemp("truth")
    scenario.write_outputs(scenario.run(spec), folder)
    return folder


def test_each_scenario_layer_holds_exactly_its_own_stations(open_offline, scenario_folder):
    opened = _open(open_offline, scenario_folder / "map.html")
    page = opened.page
    seen = {}
    for name in ("on foot", "S2 closed", "S3 moved", "high school", "plus 2 proposed"):
        page.evaluate("title => window.plannerShowOnly(title)", name)
        for width, height in ((1400, 900), (1280, 720)):
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("window.plannerFit()")
            seen[name, width] = _state(page, f"scenario-{name.replace(' ', '-')}-{width}")
        assert seen[name, 1280]["overlaps"] == [], (name, seen[name, 1280]["overlaps"])
    assert opened.errors == []
    base = seen["on foot", 1280]
    assert _badges(base, "open") == ["S1", "S2", "S3"] and base["gained"] == base["lost"] == 0
    closed = seen["S2 closed", 1280]
    assert _badges(closed, "open") == ["S1", "S3"], closed["badges"]
    assert _badges(closed, "closed") == ["S2"]
    assert closed["lost"] > 0 and closed["gained"] == 0
    assert "S2 closed (vs on foot): 15-min walk coverage" in closed["summary"]
    moved = seen["S3 moved", 1280]
    assert _badges(moved, "moved") == ["S3"]
    assert [b["text"] for b in moved["badges"] if "planner-old" in b["cls"]] == ["S3"]
    added = seen["high school", 1280]
    assert _badges(added, "added") == [NAMED] and added["gained"] > 0
    proposed = seen["plus 2 proposed", 1280]
    assert _badges(proposed, "added") == ["P1", "P2"] and proposed["gained"] > 0
    assert "proposed or added station" in proposed["legend"]
    assert "closed station" in proposed["legend"]  # drawn in another scenario of the map


def test_scenario_tooltips_say_which_scenario(open_offline, scenario_folder):
    page = _open(open_offline, scenario_folder / "s2-closed.html").page
    tips = page.evaluate("""() => {
      const out = [];
      for (const key of Object.keys(window)) {
        const l = window[key];
        if (l instanceof L.Marker && l._map && l.getTooltip()) {
          l.openTooltip(); out.push(l.getTooltip().getElement().textContent); l.closeTooltip();
        }
      }
      return out;
    }""")
    assert tips and all(t.startswith("S2 closed: ") for t in tips), tips
    assert any("S2" in t and "closed" in t.split(":", 1)[1] for t in tips)


@pytest.fixture(scope="module")
def cli_maps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("truth-cli")
    runner = CliRunner()
    for name, args in (
            ("coverage", ["coverage"]),
            ("whatif", ["coverage", "-m", "walk", "--close", "S2"]),
            ("proposal", ["propose", "-m", "walk", "-k", "2"]),
            ("hub", ["propose", "--model", "hub", "-m", "walk", "-k", "2"])):
        result = runner.invoke(cli, ["-q", *args, "--map", str(folder / f"{name}.html")],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("name", ["coverage", "whatif", "proposal", "hub"])
def test_maps_before_after_and_panels_clear_of_stations(open_offline, cli_maps, name):
    opened = _open(open_offline, cli_maps / f"{name}.html", 1400, 900)
    _state(opened.page, f"{name}-1400")
    opened.page.set_viewport_size({"width": 1280, "height": 720})
    opened.page.evaluate("window.plannerFit()")
    found = _state(opened.page, f"{name}-1280")
    assert opened.errors == []
    assert found["overlaps"] == [], found["overlaps"]
    if name == "coverage":  # opens on the mode with the largest gaps: on foot
        assert "walk" in opened.page.evaluate(
            "[...document.querySelectorAll('.planner-section[open] > summary b')]"
            ".map(b => b.textContent).join('|')")
        assert "proposed" not in found["legend"] and found["gained"] == found["lost"] == 0
        assert "gap area" in found["legend"] and "density" in found["legend"]
    elif name == "whatif":
        assert _badges(found, "closed") == ["S2"] and found["lost"] > 0
        assert "S2 closed: 15-min walk coverage" in found["summary"]
        assert "places lose service" in found["summary"]
    else:
        assert found["gained"] > 0 and "newly covered" in found["summary"]
        assert "→" in found["summary"]


def test_each_panel_box_controls_its_own_layer(open_offline, tmp_path):
    """Sections interleave (measure layers join the mode's section after the stations'):
    every tick box must still hold the state of, and switch, its own layer."""
    path = tmp_path / "measures.html"
    result = CliRunner().invoke(cli, ["-q", "coverage", "--measure", "all", "--by-service",
                                      "--map", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = _open(open_offline, path).page
    check = """() => {
      const map = Object.values(window).find(v => v instanceof L.Map);
      return window.plannerSections.flatMap(s => s.layers.map(i =>
        [s.title + ': ' + i.label, i.box.checked, map.hasLayer(i.layer)]));
    }"""
    rows = page.evaluate(check)
    assert len(rows) > 20
    assert all(checked == shown for _, checked, shown in rows), rows
    markers = "document.querySelectorAll('.leaflet-marker-icon').length"
    assert page.evaluate(markers) == 3
    page.evaluate("""() => {
      const item = window.plannerSections.find(s => s.title === 'Stations').layers[0];
      item.box.click();
    }""")
    assert page.evaluate(markers) == 0
    rows = page.evaluate(check)
    assert all(checked == shown for _, checked, shown in rows), rows


def test_demand_tooltips_name_places_never_raw_osm_ids(open_offline, tmp_path):
    """Guixi's places are mostly unnamed OSM buildings: labels fall back to kind (and
    street) and coordinates; the nearest station is "S2 name"; off-network places and the
    density layer are in the legend."""
    import re

    path = tmp_path / "guixi.html"
    result = CliRunner().invoke(cli, ["-q", "coverage", "-n", "guixi", "--map", str(path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = _open(open_offline, path).page
    texts = page.evaluate("""() => {
      const out = [];
      for (const layer of Object.values(window)) {
        if (!(layer instanceof L.GeoJSON)) continue;
        for (const overlay of [layer.getPopup(), layer.getTooltip()]) {
          if (overlay && typeof overlay._content === 'function') {
            layer.eachLayer(sub => out.push(overlay._content(sub).textContent));
          }
        }
      }
      return out;
    }""")
    places = [t for t in texts if "nearest station" in t and "to nearest" not in t]
    assert len(places) >= 146  # the popups (every Guixi place)
    assert not [t for t in texts if re.search(r"(?<![A-Za-z])[nwr]\d{6,}", t)]
    assert any("building at 28." in t for t in places)
    bad = [t for t in places if not re.search(r"nearest station(S\d \S|-)", t)]
    assert not bad, bad[:3]
    legend = page.inner_text("#planner-legend")
    # every Guixi place is on the network since the samples were regenerated: the legend
    # lists what is drawn, so no off-network entry
    assert "density" in legend and "off the street network" not in legend
    assert "proposed" not in legend
