"""`planner doctor` in Chinese: the findings read in Chinese, subjects stay machine keys."""

from __future__ import annotations

import re
import unicodedata

from planner import i18n
from planner.apps import doctor


def test_doctor_findings_in_chinese_fit_100_columns():
    findings = doctor.check("guixi", modes=("bike",), lang="zh")
    assert i18n.current() == "en"  # the language ends with the check
    warnings = [f for f in findings if f.level == "warning"]
    assert len(warnings) == 1 and warnings[0].subject == "demand (bike)"  # machine key
    with i18n.language("zh"):
        lines = warnings[0].lines()
        info = "\n".join(str(f) for f in findings if f.level == "info")
    text = "".join(line.strip() for line in lines)
    assert text.startswith("[警告] 需求点（自行车）：")
    assert "无法到达驿站，原因是只有逆单行道才能到达驿站" in text and "请检查上述道路的单行标注" in text
    assert "[信息] 路网：" in info and "个节点" in info and "自行车路网" in info
    assert max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
               for line in lines) <= doctor.WIDTH
    # English words left are only names from the data (streets, places) and the option name
    english = re.findall(r"[A-Za-z]{3,}", text.replace("Travel(push_oneway)", ""))
    english_info = re.findall(r"\b(?:nodes|streets|stray|piece|points|read|from)\b", info)
    assert english_info == [] and all(w[0].isupper() or w == "building" for w in english), \
        english


def test_doctor_in_english_is_unchanged():
    findings = doctor.check("guixi", modes=("bike",), lang="en")
    warning = " ".join(str(next(f for f in findings if f.level == "warning")).split())
    assert warning.startswith("[WARN] demand (bike): ") and "only against one-way" in warning
