"""The service vocabulary, the services column and opening hours."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.data import services as vocab
from planner.errors import InputError, LayerError


def _layer(**columns):
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame({"id": [f"S{i + 1}" for i in range(n)], **columns},
                            geometry=[shapely.Point(116.3, 40.0)] * n, crs="EPSG:4326")


def test_lists_separated_strings_and_chinese_synonyms_parse_to_standard_names():
    layer = _layer(services=[["rest", "Water"], "休息;换电、急救", "卫生间，食堂 ; 微波炉",
                             '["charging", "battery swap"]', None, ""])
    table = vocab.service_table(layer)
    assert list(table.loc[0][table.loc[0]].index) == ["rest", "water"]
    assert set(table.columns[table.loc[1]]) == {"rest", "battery_swap", "first_aid"}
    assert set(table.columns[table.loc[2]]) == {"toilet", "canteen", "microwave"}
    assert set(table.columns[table.loc[3]]) == {"charging", "battery_swap"}
    assert not table.loc[4].any() and not table.loc[5].any()


def test_unknown_service_names_the_row_and_id():
    layer = _layer(services=["rest", "rest;massage"])
    with pytest.raises(LayerError, match=r"row 2 \(id S2\).*'massage'.*known services: rest"):
        vocab.service_table(layer, where="stations.geojson")


def test_missing_services_column_is_an_error_unless_a_default_is_given():
    layer = _layer(name=["a"])
    with pytest.raises(LayerError, match="no 'services' column"):
        vocab.service_table(layer)
    assert vocab.service_table(layer, default=["换电"]).loc[0, "battery_swap"]


def test_vocabulary_extends_from_a_toml_file(tmp_path):
    path = tmp_path / "services.toml"
    path.write_text('[services]\nparcel_locker = "parcel lockers"\n'
                    '[synonyms]\n"快递柜" = "parcel_locker"\n', encoding="utf-8")
    extended = vocab.read_vocabulary(path)
    assert extended.canonical("快递柜") == "parcel_locker"
    assert extended.canonical("休息") == "rest"  # the standard names stay
    assert vocab.DEFAULT_VOCABULARY.canonical("快递柜") is None
    table = vocab.service_table(_layer(services=["快递柜;rest"]), vocabulary=extended)
    assert table.loc[0, "parcel_locker"] and table.loc[0, "rest"]


@pytest.mark.parametrize("text, message", [
    ("[services]\n'Bad Name!' = 'x'\n", "lower_case_words"),
    ("[synonyms]\nfoo = 'nothing'\n", "unknown services"),
    ("[other]\n", "unknown tables"),
    ("[services\n", "services file"),
])
def test_bad_vocabulary_files_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "services.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        vocab.read_vocabulary(path)


@pytest.mark.parametrize("text, expected", [
    ("Mon 21:30", dt.datetime(2024, 1, 8, 21, 30)),
    ("sun 07:05", dt.datetime(2024, 1, 14, 7, 5)),
    ("周六 08:00", dt.datetime(2024, 1, 13, 8, 0)),
    ("Fr 24:00", dt.datetime(2024, 1, 13, 0, 0)),
    ("2026-05-01 21:30", dt.datetime(2026, 5, 1, 21, 30)),
])
def test_at_parses_days_of_the_reference_week_and_dates(text, expected):
    assert vocab.parse_at(text) == expected
    assert vocab.REFERENCE_MONDAY.weekday() == 0


@pytest.mark.parametrize("text", ["Mon", "Mon 25:00", "Funday 10:00", "21:30", ""])
def test_bad_at_is_an_input_error(text):
    with pytest.raises(InputError, match="--at"):
        vocab.parse_at(text)


def test_opening_hours_select_the_stations_open_then():
    layer = _layer(opening_hours=["24/7", "Mo-Fr 08:00-20:00; Sa 10:00-14:00",
                                  "Mo-Su 20:00-02:00", None, ""])
    assert vocab.open_at(layer, None).all()
    assert vocab.open_at(layer, "Mon 21:30").tolist() == [True, False, True, True, True]
    assert vocab.open_at(layer, "Tue 01:30").tolist() == [True, False, True, True, True]
    assert vocab.open_at(layer, "Sat 12:00").tolist() == [True, True, False, True, True]
    assert vocab.open_at(layer, "Sun 12:00").tolist() == [True, False, False, True, True]


def test_invalid_opening_hours_name_the_row():
    layer = _layer(opening_hours=["24/7", "whenever we like"])
    with pytest.raises(LayerError, match=r"row 2 \(id S2\).*opening_hours"):
        vocab.check_opening_hours(layer)
    with pytest.raises(LayerError, match="row 2"):
        vocab.open_at(layer, "Mon 10:00")


def test_the_bundled_samples_carry_valid_services_and_hours():
    from planner.data import layers
    from conftest import ROOT

    for name in ("wudaokou", "guixi"):
        stations = layers.read_stations(ROOT / "layers" / name / "stations.geojson")
        table = vocab.service_table(stations)
        assert table["rest"].all() and table["battery_swap"].any()
        assert not table["battery_swap"].all()
        vocab.check_opening_hours(stations)
        candidates = layers.read_candidates(ROOT / "layers" / name / "candidates.geojson")
        assert candidates["hub_capable"].astype(bool).any()
        assert np.asarray(vocab.open_at(stations, "Sun 23:30")).sum() < len(stations)
