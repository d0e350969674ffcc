"""Maps: layers, legend, attribution, no CDN in self-contained mode, atomic writes."""

from __future__ import annotations

import re

import pytest

from planner import _io
from planner.analysis import coverage
from planner.outputs import maps as render
from planner.settings import Travel


@pytest.fixture(scope="module")
def results(sample_network, sample_stations, sample_demand):
    return [coverage.analyze(sample_network, sample_stations, sample_demand,
                             travel=Travel(mode)) for mode in ("ebike", "walk")]


def test_map_has_every_layer_a_planner_needs(results, sample_network):
    page = render.coverage_map(results, network=sample_network).get_root().render()
    for name in ("streets (OSM network)", "ebike: within 5 min", "ebike: within 15 min",
                 "walk: gaps (beyond 15 min)", "walk: demand (size = weight)", "Stations",
                 "ebike: demand density (150 m cells)",
                 "15-min area of each station"):
        assert name in page, name
    assert "planner-legend" in page and "planner-summary" in page
    assert "OpenStreetMap" in page and "ODbL" in page
    assert "L.control.scale" in page and "planner-layers" in page
    assert "五道口驿站" in page  # station names survive as UTF-8


def test_self_contained_map_loads_nothing_from_the_internet(results, sample_network):
    page = render.coverage_map(results, network=sample_network).get_root().render()
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page)
    online = render.coverage_map(results, network=sample_network, self_contained=False)
    assert re.search(r'<script[^>]+src="https?://', online.get_root().render())


def test_outputs_are_replaced_together_or_not_at_all(tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.json"
    first.write_text("OLD A")
    second.write_text("OLD B")

    def broken(_path):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        _io.write_all({first: lambda p: p.write_text("NEW A"), second: broken})
    assert first.read_text() == "OLD A" and second.read_text() == "OLD B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.json"]
    _io.write_all({first: lambda p: p.write_text("NEW A"), second: lambda p: p.write_text("B")})
    assert first.read_text() == "NEW A" and second.read_text() == "B"


def test_the_map_script_has_no_template_literals_and_no_jquery(results, sample_network):
    page = render.coverage_map(results, network=sample_network).get_root().render()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    # Leaflet, folium's switches, the GeoJSON decoder, the demand places (written once for
    # both modes), the map (no jQuery: nothing uses it)
    assert len(scripts) == 5
    assert "plannerGeo" in scripts[2] and scripts[3].startswith("var planner_table_")
    # data never passes through JS template literals
    assert all("`" not in script for script in scripts[2:])
    assert "jQuery" not in page


def test_hostile_names_cannot_add_script_elements(results, sample_network):
    import dataclasses

    name = '</script><script>alert(1)</script><!--'
    hostile = []
    for result in results:
        stations, demand = result.stations.copy(), result.demand.copy()
        stations["name"], demand["name"], demand["kind"] = name, name, name
        hostile.append(dataclasses.replace(result, stations=stations, demand=demand))
    page = render.coverage_map(hostile, network=sample_network, labels=[name, name + "2"],
                               title=name, note=name).get_root().render()
    assert len(re.findall(r"<script", page)) == 5 and page.count("</script>") == 5
    assert "<!--" not in page
