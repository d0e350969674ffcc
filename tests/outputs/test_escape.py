"""Escaping helpers, each checked against an independent reader of its context: Python's
HTML and JSON parsers, a CommonMark/GFM renderer (markdown-it-py) and pandas' CSV reader."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from html.parser import HTMLParser

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from planner.apps import batch
from planner.outputs import _escape
from planner.outputs import maps as render

HOSTILE = (
    '</script><script>document.title="pwned"</script>',
    "<img src=x onerror=\"document.title='pwned'\">",
    "${alert(1)}", "`tick` ``x``", "back\\slash\\", "a | b || c", "\"q\" 'q'", "'; alert(1); '",
    "<!-- x -->", "&amp; &", "*bold* _em_ [link](javascript:alert(1)) ~~s~~",
    "line\nbreak\r\nand\rcr", "{{ 7*7 }}", "\u2028\u2029", "🚲 外卖骑手驿站",
)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(text)
def test_html_text_round_trips_and_has_no_markup(value):
    escaped = _escape.html_text(value)
    assert html.unescape(escaped) == value
    assert not set(escaped) & set("<>\"'")


@given(st.one_of(text, st.lists(text, max_size=4), st.dictionaries(text, text, max_size=3)))
def test_js_value_is_the_same_json_and_cannot_leave_a_script(value):
    literal = _escape.js_value(value)
    assert json.loads(literal) == value
    assert "<" not in literal and ">" not in literal and "&" not in literal
    assert "\u2028" not in literal and "\u2029" not in literal


def test_js_value_keeps_chinese_readable_and_refuses_nan():
    assert _escape.js_value("外卖🚲") == '"外卖🚲"'
    assert _escape.js_value("</script>") == '"\\u003c/script\\u003e"'
    with pytest.raises(ValueError):
        _escape.js_value(float("nan"))


class _Cells(HTMLParser):
    """Text of each table cell, and every tag seen."""

    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._open = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("td", "th"):
            self.cells.append("")
            self._open = True
        elif tag == "br" and self._open:
            self.cells[-1] += "\n"

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._open = False

    def handle_data(self, data):
        if self._open:
            self.cells[-1] += data


def test_markdown_table_shows_every_cell_as_written_in_a_viewer_that_renders_html():
    markdown_it = pytest.importorskip("markdown_it")
    table = pd.DataFrame({"scenario | name": list(HOSTILE),
                          "share_%": [float(i) - 3.5 for i in range(len(HOSTILE))]})
    text = _escape.markdown_table(table)
    assert len(text.split("\n")) == 3 + len(HOSTILE)  # no row broken by a newline or pipe
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    parser = _Cells()
    parser.feed(rendered)
    assert set(parser.tags) <= {"table", "thead", "tbody", "tr", "th", "td", "br"}
    expected = ["scenario | name", "share_%"]
    for value, share in zip(HOSTILE, table["share_%"]):
        expected += [value.replace("\r\n", "\n").replace("\r", "\n"), f"{share:g}"]
    assert parser.cells == expected


def test_batch_markdown_escapes_district_names_and_errors(tmp_path):
    result = batch.BatchResult(title="<b>t</b>", rows=(
        {"district": "<img src=x onerror=alert(1)>", "status": "failed",
         "error": "| <script>alert(1)</script>\nmore", "mode": "walk"},))
    batch.write_table(result, tmp_path)
    text = (tmp_path / "districts.md").read_text(encoding="utf-8")
    assert "<img" not in text and "<script>" not in text and "<b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


FORMULAS = ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\",\"y\")"]


def test_csv_text_neutralises_formulas_but_keeps_numbers():
    frame = pd.DataFrame({"name": FORMULAS + ["plain", "a=b"],
                          "change_pp": [-1.5, -2.0, 0.0, 3.25, -0.1, 1e-9, -7.0, 2.0, -3.0],
                          "count": list(range(-4, 5))})
    text = _escape.csv_text(frame)
    assert list(csv.reader(io.StringIO(text, newline="")))[6] == ["'\rx", "1e-09", "1"]
    back = pd.read_csv(io.StringIO(text, newline=""), keep_default_na=False)
    assert back["name"].tolist() == ["'" + v for v in FORMULAS] + ["plain", "a=b"]
    assert back["change_pp"].tolist() == frame["change_pp"].tolist()  # numbers stay numbers
    assert back["count"].tolist() == frame["count"].tolist()
    assert _escape.csv_cell(-3) == -3 and _escape.csv_cell("-3") == "'-3"


def test_sites_csv_and_districts_csv_are_neutralised(tmp_path):
    sites = gpd.GeoDataFrame({"id": ["=cmd|' /C calc'!A0", "P2"], "name": ["@x", "ok"],
                              "gain_weight": [-1.0, 2.0]},
                             geometry=[shapely.Point(116.3, 40.0), shapely.Point(116.31, 40.0)],
                             crs="EPSG:4326")
    render.write_bundle(frames={tmp_path / "sites.csv": sites})
    back = pd.read_csv(tmp_path / "sites.csv")
    assert back["id"].tolist() == ["'=cmd|' /C calc'!A0", "P2"]
    assert back["name"].tolist() == ["'@x", "ok"]
    assert back["gain_weight"].tolist() == [-1.0, 2.0] and back["lon"].tolist() == [116.3, 116.31]
    result = batch.BatchResult(title="t", rows=(
        {"district": "=1+1", "status": "ok", "covered_main_%": -0.0, "gap_weight": 1.0},
        {"district": "-x", "status": "ok", "covered_main_%": 50.0, "gap_weight": 2.0}))
    batch.write_table(result, tmp_path)
    districts = pd.read_csv(tmp_path / "districts.csv")
    assert districts["district"].tolist() == ["'=1+1", "'-x"]
    assert districts["covered_main_%"].dtype.kind == "f"


def test_a_template_in_a_name_is_text_when_the_page_is_written(tmp_path):
    from branca.element import Element

    fmap = render.new_map([40.0, 116.3])
    fmap.get_root().html.add_child(Element("<p id='t'>{{ 7*7 }} {% if 1 %}x{% endif %}</p>"))
    page = fmap.get_root().render()
    assert re.search(r"<p id='t'>\{\{ 7\*7 \}\} \{% if 1 %\}x\{% endif %\}</p>", page)
