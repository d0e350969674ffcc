"""The fast readers give the answers of the slow ones: Arrow number parsing vs pandas,
the pyarrow CSV reader vs the C reader (and its errors), the CSR without a sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix

from planner.data import layers
from planner.data._text import numbers
from planner.engine.traveltime import _csr_min
from planner.errors import LayerError

TEXT = ["1.5", " 2 ", "+3", "1e3", "-0.25", ".5", "5.", "", "abc", "1_000", "0x10", "1,5",
        "nan", "inf", "-inf", "NaN", " 7\t"]


def test_numbers_from_text_are_pandas_numbers():
    column = pd.Series(TEXT, dtype="str")
    expected = pd.to_numeric(column.astype(str).str.strip(), errors="coerce").to_numpy(float)
    assert np.array_equal(numbers(column), expected, equal_nan=True)
    clean = pd.Series(["1.5", " 2 ", "1e3"], dtype="str")  # Arrow's own pass
    assert numbers(clean).tolist() == [1.5, 2.0, 1000.0]
    assert numbers(pd.Series([1, 2, 3])).tolist() == [1.0, 2.0, 3.0]
    mixed = pd.Series(["1", 2.5, None], dtype=object)
    assert np.array_equal(numbers(mixed), [1.0, 2.5, np.nan], equal_nan=True)


def test_csv_reader_fallback_keeps_the_errors(tmp_path):
    good = tmp_path / "ok.csv"
    good.write_text("\ufeffid,lon,lat,weight\nA, 116.31 ,40.0, 2\nB,116.32,40.01,3\n")
    frame = layers.read_demand(good)
    assert frame["id"].tolist() == ["A", "B"] and frame["weight"].tolist() == [2.0, 3.0]
    assert frame.geometry.x.tolist() == [116.31, 116.32]
    ragged = tmp_path / "ragged.csv"  # pyarrow refuses it; the C reader says what is wrong
    ragged.write_text("id,lon,lat\nA,116.31,40.0\nB,116.32,40.01,9,9\n")
    with pytest.raises(LayerError, match="not a readable CSV"):
        layers.read_demand(ragged)
    blank = tmp_path / "blank.csv"
    blank.write_text("id,lon,lat,weight\nA,116.31,40.0,\n")
    with pytest.raises(LayerError, match="missing or non-numeric 'weight'"):
        layers.read_demand(blank)


def test_csr_min_with_and_without_parallel_arcs():
    rng = np.random.default_rng(5)
    n = 40
    rows, cols = rng.integers(0, n, 300), rng.integers(0, n, 300)
    weights = rng.uniform(0.5, 9, 300)
    got = _csr_min(rows, cols, weights, n).toarray()
    expected = np.full((n, n), np.inf)
    np.minimum.at(expected, (rows, cols), weights)
    assert np.array_equal(np.where(np.isinf(expected), 0, expected), got)
    unique = np.unique(rows * n + cols, return_index=True)[1]
    fast = _csr_min(rows[unique], cols[unique], weights[unique], n)
    assert fast.has_sorted_indices and np.array_equal(
        fast.toarray(), coo_matrix((weights[unique], (rows[unique], cols[unique])),
                                   shape=(n, n)).toarray())
