"""Networks from the bundled sample, OSM XML/PBF, graphml; caching; bad files."""

from __future__ import annotations

import bz2
import os
import warnings

import numpy as np
import pytest

from planner.data import network
from planner.data import samples
from planner.errors import InputError, NetworkError, OfflineError
from planner.settings import LEGAL_EBIKE_CAP_KMH, Travel

from conftest import SAMPLE


def test_sample_loads_projected_with_all_modes(sample_network):
    net = sample_network
    assert net.crs == "EPSG:32650"  # UTM 50N for Beijing
    assert net.n_nodes > 1500 and net.n_segments > 2000
    w, s, e, n = net.bounds_lonlat
    assert 116.29 < w < e < 116.37 and 39.98 < s < n < 40.03
    sizes = {mode: net.graph(Travel(mode)).n_nodes for mode in ("walk", "bike", "ebike", "drive")}
    assert sizes["walk"] > sizes["drive"]  # footways and paths are walkable, not drivable
    assert all(size > 500 for size in sizes.values())


def test_raw_export_with_buildings_equals_roads_only_file(settings):
    shared = SAMPLE.parent.parent.parent / "shared" / "data" / "osm" / "china"
    roads = shared / "beijing-wudaokou.roads.osm.bz2"
    if not roads.exists():
        pytest.skip("shared data not beside the repository")
    full = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    only_roads = network.from_file(roads, settings=settings)

    def pairs(net):
        ids = net.node_id
        return {tuple(sorted(p)) for p in zip(ids[net.seg_u].tolist(), ids[net.seg_v].tolist())}

    # every street of the highway-only file is in the raw export's network (buildings,
    # railways and landuse ignored); the raw export adds only pedestrian squares (area=yes)
    assert pairs(only_roads) <= pairs(full)
    assert len(pairs(full)) - len(pairs(only_roads)) < 0.02 * len(pairs(full))


def test_pbf_and_xml_give_the_same_network(tmp_path, settings):
    import osmium

    pbf = tmp_path / "wudaokou.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(SAMPLE / "network.osm.bz2")):
            writer.add(obj)
    from_pbf = network.from_file(pbf, settings=settings)
    from_xml = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    assert from_pbf.n_nodes == from_xml.n_nodes
    assert np.isclose(from_pbf.seg_length.sum(), from_xml.seg_length.sum())


def test_clipped_ways_keep_the_parts_inside(tmp_path, settings):
    path = tmp_path / "clipped.osm"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="40.0000" lon="116.3000"/>
 <node id="2" lat="40.0000" lon="116.3010"/>
 <node id="4" lat="40.0000" lon="116.3030"/>
 <node id="5" lat="40.0000" lon="116.3040"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/>
  <tag k="highway" v="residential"/></way>
 <way id="11"><nd ref="1"/><nd ref="2"/><nd ref="4"/><tag k="building" v="yes"/></way>
</osm>""", encoding="utf-8")
    net = network.from_file(path, settings=settings)
    assert net.n_segments == 2  # 1-2 and 4-5; node 3 is outside the extract
    assert net.n_nodes == 4


def test_graphml_from_osmnx_loads(tmp_path, settings):
    import osmnx as ox

    # osmnx cannot read raw exports (buildings, clipped ways); give it highway ways only.
    roads = tmp_path / "roads.osm"
    import osmium

    with osmium.SimpleWriter(str(roads)) as writer:
        for obj in osmium.FileProcessor(str(SAMPLE / "network.osm.bz2")).with_filter(
                osmium.filter.KeyFilter("highway")).with_locations():
            if obj.is_way():
                for ref in obj.nodes:
                    writer.add_node(osmium.osm.mutable.Node(id=ref.ref, location=ref.location))
                writer.add_way(obj)
    graph = ox.graph_from_xml(roads, simplify=True, retain_all=True)
    path = tmp_path / "wudaokou.graphml"
    ox.save_graphml(graph, path)
    loaded = network.from_file(path, settings=settings)
    reference = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    # same streets, within rounding of osmnx's lengths
    assert abs(loaded.seg_length.sum() - reference.seg_length.sum()) < 0.02 * reference.seg_length.sum()
    walk = loaded.graph(Travel("walk"))
    assert walk.n_nodes > 100


def test_second_load_uses_the_cache(monkeypatch, settings):
    network.from_file(SAMPLE / "network.osm.bz2", settings=settings)

    def fail(_path):
        raise AssertionError("re-parsed instead of using the cache")

    monkeypatch.setattr(network, "read_osm_file", fail)
    again = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    assert again.n_nodes > 0


def test_corrupted_cache_is_rebuilt_with_a_warning(settings):
    first = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    cache = next((settings.cache_dir / "networks").glob("*.npz"))
    cache.write_bytes(b"not a zip file")
    with pytest.warns(RuntimeWarning, match="unreadable"):
        again = network.from_file(SAMPLE / "network.osm.bz2", settings=settings)
    assert again.n_segments == first.n_segments
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network.from_file(SAMPLE / "network.osm.bz2", settings=settings)  # repaired


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.osm.pbf", None, "does not exist"),
        ("empty.osm", b"", "empty"),
        ("notes.txt", b"hello", "cannot tell the format"),
        ("garbage.osm.pbf", b"\x00\x01garbage" * 100, "cannot read"),
        ("text.osm", b"this is not xml at all", "cannot read"),
        ("nostreets.osm", b'<osm version="0.6"><node id="1" lat="1" lon="1"/></osm>',
         "no streets"),
    ],
)
def test_bad_network_files_fail_clearly(tmp_path, settings, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(NetworkError, match=message) as info:
        network.from_file(path, settings=settings)
    assert name in str(info.value)


def test_truncated_osm_file_fails_clearly(tmp_path, settings):
    data = bz2.decompress((SAMPLE / "network.osm.bz2").read_bytes())
    path = tmp_path / "truncated.osm"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match="truncated"):
        network.from_file(path, settings=settings)


def test_unknown_sample_lists_the_known_ones():
    with pytest.raises(InputError, match="wudaokou"):
        network.load_network("atlantis")


def test_samples_are_listed_with_attribution():
    found = {s.name: s for s in samples.list_samples()}
    assert {"wudaokou", "guixi"} <= set(found)
    for sample in found.values():
        assert "OpenStreetMap" in sample.attribution
        assert "ILLUSTRATIVE" in sample.description
        assert sample.network.is_file() and sample.stations.is_file()


def test_network_without_streets_for_a_mode(settings):
    only_footways = network.from_segments(
        np.array([440_000.0, 440_100.0]), np.array([4_428_000.0] * 2), np.array([0]),
        np.array([1]), highway="footway")
    with pytest.raises(NetworkError, match="no streets usable by car"):
        only_footways.graph(Travel("drive"))


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "rocket"}, "unknown mode"),
    ({"mode": "ebike", "speed_kmh": 40}, "legal cap"),
    ({"mode": "walk", "speed_kmh": 0}, "above 0"),
    ({"mode": "walk", "speed_kmh": float("nan")}, "NaN"),
    ({"mode": "walk", "max_snap_m": -1}, "max_snap_m"),
])
def test_travel_rejects_bad_settings(kwargs, message):
    with pytest.raises(InputError, match=message):
        Travel(**kwargs)


def test_ebike_default_respects_the_legal_cap():
    assert 15 <= Travel("ebike").speed_kmh <= 20 <= LEGAL_EBIKE_CAP_KMH


@pytest.mark.online
def test_online_place_download(settings):  # pragma: no cover - needs the internet
    if not os.environ.get("PLANNER_ONLINE_TESTS"):
        pytest.skip("set PLANNER_ONLINE_TESTS=1 to run tests that reach OpenStreetMap")
    net = network.from_place("Guixi, Yingtan, Jiangxi, China", settings=settings)
    assert net.n_nodes > 100


def test_online_fetch_without_internet_suggests_local_data(monkeypatch, settings):
    import osmnx as ox

    def offline(*_args, **_kwargs):
        raise ConnectionError("Failed to establish a new connection")

    monkeypatch.setattr(ox, "graph_from_place", offline)
    with pytest.raises(OfflineError, match="bundled sample"):
        network.from_place("Guixi, Jiangxi", settings=settings)


@pytest.mark.parametrize("source, function", [
    ("bbox:117.19,28.28,117.26,28.32", "graph_from_bbox"),
    ("point:28.30,117.23,2000", "graph_from_point"),
])
def test_bbox_and_point_sources_download_through_osmnx(monkeypatch, settings, source, function):
    import osmnx as ox

    calls = []

    def offline(*args, **kwargs):
        calls.append(kwargs)
        raise ConnectionError("no route to host")

    monkeypatch.setattr(ox, function, offline)
    monkeypatch.setattr(network, "_check_online", lambda urls, label: None)  # servers answer
    with pytest.raises(OfflineError, match="local"):
        network.load_network(source, settings=settings)
    assert calls and calls[0]["network_type"] == "all"


def test_malformed_online_source_is_explained():
    with pytest.raises(InputError, match="bbox:WEST,SOUTH,EAST,NORTH"):
        network.load_network("bbox:1,2,3")
