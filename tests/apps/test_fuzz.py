"""Fuzzing the readers: whatever the bytes, only the planner's own errors come out."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.data import layers
from planner.apps import scenario
from planner.errors import PlannerError

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

coordinate = (st.floats(-400, 400) | st.just(float("nan")) | st.just(float("inf"))
              | st.text(max_size=4) | st.none())
geometry = st.one_of(
    st.none(),
    st.fixed_dictionaries({"type": st.just("Point"),
                           "coordinates": st.lists(coordinate, max_size=3)}),
    st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "LineString", "MultiPoint",
                                                    "Bogus"]),
                           "coordinates": json_values}),
    json_values,
)
feature = st.fixed_dictionaries(
    {"type": st.sampled_from(["Feature", "feature", "Thing"]), "geometry": geometry,
     "properties": st.one_of(st.none(), st.dictionaries(
         st.sampled_from(["id", "name", "weight", "kind", "lon", "x"]), json_values,
         max_size=4), json_values)})
collections = st.fixed_dictionaries({
    "type": st.sampled_from(["FeatureCollection", "Feature", "GeometryCollection"]),
    "features": st.one_of(st.lists(feature, max_size=5), json_values)})


def _only_our_errors(call):
    try:
        call()
    except PlannerError:
        pass


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".geojson", ".csv", ".gpkg",
                                                             ".json", ".shp"]))
def test_layer_reader_on_random_bytes(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _only_our_errors(lambda: layers.read_demand(path))


@FUZZ
@given(document=collections)
def test_layer_reader_on_geojson_like_structures(tmp_path, document):
    path = tmp_path / "fuzz.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    _only_our_errors(lambda: layers.read_stations(path))


@FUZZ
@given(rows=st.lists(st.lists(st.text(alphabet="0123456789.-,e nax\"", max_size=8),
                              min_size=1, max_size=4), max_size=6),
       header=st.sampled_from(["lon,lat", "lon,lat,weight", "x,y,id", "lat", "id,lon,lat,weight"]))
def test_csv_reader_on_random_rows(tmp_path, rows, header):
    path = tmp_path / "fuzz.csv"
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows), encoding="utf-8")
    _only_our_errors(lambda: layers.read_demand(path))


keys = st.sampled_from(["name", "network", "mode", "speed_kmh", "minutes", "add", "move",
                        "close", "propose", "stations", "bogus", "max_snap_m"])


@FUZZ
@given(baseline=st.dictionaries(keys, json_values, max_size=4),
       variants=st.lists(st.dictionaries(keys, json_values, max_size=4), max_size=3),
       top=st.dictionaries(st.sampled_from(["title", "extra"]), json_values, max_size=1))
def test_scenario_parser_on_random_structures(baseline, variants, top):
    _only_our_errors(lambda: scenario.parse({"baseline": baseline, "variants": variants, **top}))


@FUZZ
@given(text=st.text(max_size=300))
def test_scenario_loader_on_random_text(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    _only_our_errors(lambda: scenario.load(path))


yaml_text = st.text(alphabet=st.sampled_from(list("ab:-&*[]{},<> \n'\"!|?%@`1.")), max_size=200)


@FUZZ
@given(text=yaml_text, loader=st.sampled_from([scenario.load, "batch"]))
def test_yaml_loaders_on_random_text(tmp_path, text, loader):
    from planner.apps import batch

    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    _only_our_errors(lambda: (batch.load if loader == "batch" else loader)(path))
