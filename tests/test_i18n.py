"""Languages: every message in the code has a Chinese translation; defaults; units."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from planner import i18n
from planner.errors import InputError
from planner.settings import MODES

PACKAGE = Path(__file__).resolve().parent.parent / "planner"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# also catches _("...") inside f-string expressions, which Babel's extractor cannot see
CALL = re.compile(r"""(?:(?<![\w.])|(?<=i18n\.))N?_\(\s*(?P<q>["'])"""
                  r"""(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*[,)]""")


def messages_in_code() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    for path in PACKAGE.rglob("*.py"):
        for match in CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(ast.literal_eval(match.group("q") + match.group("text") + match.group("q")))
    return found


def test_every_message_in_the_code_has_a_chinese_translation():
    found = messages_in_code()
    assert len(found) > 80  # the extractor really sees the map, console and Excel texts
    assert {"Legend", "within {minutes} of a station", "Summary"} <= found
    catalog = i18n.catalog("zh")
    shown = {spec.label for spec in MODES.values()} | set(MODES)  # via travel_label, mode_name
    missing = sorted(m for m in found | shown
                     if m not in catalog)
    assert not missing, f"add these to planner/locale/zh/LC_MESSAGES/planner.po: {missing}"


def test_translations_keep_their_placeholders():
    for message, translated in i18n.catalog("zh").items():
        for form in (translated if isinstance(translated, tuple) else (translated,)):
            assert set(re.findall(r"{\w*}", form)) == set(re.findall(r"{\w*}", message)), \
                message


def test_no_message_is_built_at_run_time():
    # _(f"...") or _(a + b) would look up a string the catalog can never hold
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])N?_\(\s*f[\"']", text), path
        assert not re.search(r"(?<![\w.])_\(\s*[\"'][^\"']*[\"']\s*[+%]", text), path


def test_language_context_and_units():
    assert i18n.current() == "en"
    assert i18n.fmt_minutes(12.34) == "12.3 min" and i18n.fmt_speed(15) == "15 km/h"
    assert i18n.fmt_places(1) == "1 place" and i18n.fmt_places(1234) == "1,234 places"
    with i18n.language("zh-CN"):
        assert i18n.current() == "zh"
        assert i18n.fmt_minutes(15) == "15 分钟"
        assert i18n.fmt_minutes(float("inf")) == "无法到达"
        assert i18n.fmt_speed(25) == "25 公里/小时"
        assert i18n.fmt_places(3) == "3 个地点"
        assert i18n.fmt_percent(0.8534) == "85.3%"
        assert i18n.fmt_weight(120) == "需求 120 人次"
        assert i18n._("no such message") == "no such message"
    assert i18n.current() == "en"
    assert i18n.fmt_minutes(4.91, round_up=True) == "5.0 min"


def test_default_language_from_locale_then_network():
    assert i18n.default_lang(environ={"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.default_lang(environ={"LC_ALL": "zh_TW"}) == "zh"
    assert i18n.default_lang(environ={"LANG": "C.UTF-8"}, in_china=True) == "zh"
    assert i18n.default_lang(environ={"LANG": "en_GB.UTF-8"}) == "en"
    assert i18n.default_lang(environ={}) == "en"
    assert i18n.default_lang(environ={"PLANNER_LANG": "en", "LANG": "zh_CN"},
                             in_china=True) == "en"
    assert i18n.resolve_lang("en", in_china=True) == "en"
    with pytest.raises(InputError, match="PLANNER_LANG"):
        i18n.default_lang(environ={"PLANNER_LANG": "klingon"})
    with pytest.raises(InputError, match="--lang"):
        i18n.check_lang("fr")


def test_excel_labels_follow_the_language(sample_network, sample_stations, sample_demand,
                                          tmp_path):
    from openpyxl import load_workbook

    from planner.analysis import coverage
    from planner.outputs.exports import coverage_writers

    result = coverage.analyze(sample_network, sample_stations, sample_demand)
    for lang, sheet, header in (("zh", "汇总", "名称"), ("en", "Summary", "Name")):
        writers = coverage_writers([result], ["xlsx"], base=tmp_path / lang, lang=lang)
        (path, write), = writers.items()
        write(path)
        book = load_workbook(path)
        assert book.sheetnames[0] == sheet
        assert header in [c.value for c in book.worksheets[1][1]]


def test_cli_speaks_chinese_for_a_chinese_sample_unless_told(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from planner.apps.cli import cli

    for key in ("PLANNER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(key, raising=False)
    runner = CliRunner()
    chinese = runner.invoke(cli, ["-q", "coverage", "--mode", "walk", "--map",
                                  str(tmp_path / "a.html")], catch_exceptions=False)
    assert chinese.exit_code == 0 and "分钟内：覆盖需求的" in chinese.output
    assert "15 分钟服务圈" in (tmp_path / "a.html").read_text(encoding="utf-8")
    english = runner.invoke(cli, ["-q", "coverage", "--mode", "walk", "--lang", "en",
                                  "--map", str(tmp_path / "b.html")], catch_exceptions=False)
    assert english.exit_code == 0 and "of demand weight" in english.output
    assert i18n.current() == "en"  # the command's language does not leak out of it
    wrong = runner.invoke(cli, ["coverage", "--lang", "fr"])
    assert wrong.exit_code == 2 and "--lang" in wrong.output
