"""Map panels drawn as plain HTML: legend, summary of each result, coverage curve (SVG).

Titles, notes and labels are plain text and are escaped here; numbers are formatted here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from planner.analysis.coverage import CoverageResult
from planner.outputs._base import ATTRIBUTION, BAND_COLOURS, COVERED, PROPOSED, STATION, UNCOVERED
from planner.outputs._escape import html_text
from planner.i18n import (_, fmt_minutes, fmt_percent, fmt_places, fmt_weight, mode_name,
                          travel_label)

__all__ = ["legend_html", "summary_html", "curve_svg"]


def legend_html(minutes: Sequence[float], *, datum: str | None = None) -> str:
    """The legend panel: one row per threshold band, the marker kinds, the datum the
    overlays are drawn in (when not WGS-84) and the attribution."""
    from planner.outputs._datum import legend_line

    rows = "".join(
        f'<div><span style="background:{BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]};'
        'display:inline-block;width:14px;height:10px;opacity:.7;margin-right:6px"></span>'
        + html_text(_("within {minutes} of a station").format(minutes=fmt_minutes(m)))
        + "</div>"
        for i, m in enumerate(sorted(minutes))
    )
    dot = ('display:inline-block;width:10px;height:10px;border-radius:50%;'
           'margin-right:6px;background:')
    def row(swatch: str, text: str) -> str:
        return f"<div>{swatch}{html_text(text)}</div>"

    badge = ('<span style="background:{};color:#fff;font-size:10px;padding:0 3px;'
             'border-radius:{}px;margin-right:6px">{}</span>')
    return (
        '<div id="planner-legend" style="position:fixed;bottom:28px;left:10px;z-index:9999;'
        'background:rgba(255,255,255,.92);padding:8px 10px;border-radius:6px;'
        'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        + "<b>" + html_text(_("Legend")) + f"</b>{rows}"
        + row(badge.format(STATION, 3, "S1"), _("station"))
        + row(badge.format(PROPOSED, 6, "P1"), _("proposed station (if any)"))
        + row(f'<span style="{dot}{COVERED}"></span>',
              _("demand reached in time (size = weight)"))
        + row(f'<span style="{dot}{UNCOVERED}"></span>', _("demand not reached in time"))
        + row('<span style="display:inline-block;width:14px;height:10px;border:2px dashed '
              f'{UNCOVERED};margin-right:6px"></span>', _("gap area"))
        + legend_line(datum)
        + '<div style="margin-top:4px;color:#555">' + html_text(_("Map data"))
        + f" {ATTRIBUTION}</div></div>"
    )


def summary_html(results: Sequence[CoverageResult], labels: Sequence[str], title: str | None,
                 note: str | None, extra_html: str = "") -> str:
    """The summary panel: title, counts, each result's shares and times, and the note.

    ``labels``, ``title`` and ``note`` are plain text; ``extra_html`` is trusted HTML.
    """
    first = results[0]
    blocks = []
    for result, label in zip(results, labels):
        summary = result.summary()
        plain = (result.travel.mode, mode_name(result.travel.mode))
        heading = f"{label}: " if label and label not in plain else ""
        shares = " · ".join(
            f"{html_text(fmt_minutes(float(m)))}&nbsp;<b>{fmt_percent(v['share'])}</b>"
            for m, v in summary["covered"].items()
        )
        times = summary["minutes_to_nearest"]
        blocks.append(
            f"<div style='margin-top:4px'>"
            f"<b>{html_text(heading + travel_label(result.travel))}</b><br>"
            + html_text(_("covered:")) + f" {shares}<br>"
            + _("gaps: {gaps} ({weight}); median {median}, p90 {p90}").format(
                gaps=f"<b>{summary['gaps']}</b>",
                weight=html_text(fmt_weight(summary["gap_weight"])),
                median=html_text(_minutes_or_dash(times["median"])),
                p90=html_text(_minutes_or_dash(times["p90"]))) + "</div>"
        )
    heading = html_text(title or _("15-minute service circle: {network}").format(
        network=first.network))
    return (
        '<div id="planner-summary" style="position:fixed;bottom:28px;right:10px;z-index:9999;'
        'max-width:330px;max-height:45vh;overflow-y:auto;background:rgba(255,255,255,.94);'
        'padding:8px 10px;border-radius:6px;'
        'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<div style='font-size:14px'><b>{heading}</b></div>"
        + "<div>" + html_text(_("{stations} stations · {places} ({weight})").format(
            stations=len(first.stations), places=fmt_places(len(first.demand)),
            weight=fmt_weight(first.demand["weight"].sum()))) + "</div>"
        + "".join(blocks)
        + extra_html
        + (f"<div style='margin-top:4px;color:#a33'>{html_text(note)}</div>" if note else "")
        + "</div>"
    )


def _minutes_or_dash(value) -> str:
    return "-" if value is None else fmt_minutes(float(value))


def curve_svg(curve: Sequence[Mapping], *, width: int = 300, height: int = 110) -> str:
    """A small inline SVG chart of covered share against stations added (no JS needed)."""
    if len(curve) < 2:
        return ""
    width, height = int(width), int(height)
    ks = [float(p["k"]) for p in curve]
    shares = [float(p["covered_share"]) for p in curve]
    left, bottom, top, right = 30, height - 18, 8, width - 8
    low = min(shares)
    span = max(1e-9, 1.0 - low)

    def x(k):
        return left + (right - left) * (k - ks[0]) / max(1e-9, ks[-1] - ks[0])

    def y(s):
        return bottom - (bottom - top) * (s - low) / span

    points = " ".join(f"{x(k):.1f},{y(s):.1f}" for k, s in zip(ks, shares))
    def tip(k, s) -> str:
        return html_text(_("{k} new: {share}").format(k=int(k), share=fmt_percent(s)))

    dots = "".join(f'<circle cx="{x(k):.1f}" cy="{y(s):.1f}" r="2.5" fill="{PROPOSED}">'
                   f"<title>{tip(k, s)}</title></circle>" for k, s in zip(ks, shares))
    return (
        '<div id="planner-curve" style="margin-top:6px">'
        + "<b>" + html_text(_("Coverage curve")) + "</b> "
        + html_text(_("(share covered as stations are added)")) + "<br>"
        f'<svg width="{width}" height="{height}" style="font:10px sans-serif">'
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>'
        f'<text x="2" y="{top + 8}">100%</text><text x="2" y="{bottom}">{low:.0%}</text>'
        f'<text x="{left}" y="{height - 4}">0</text>'
        f'<text x="{right - 40}" y="{height - 4}">'
        + html_text(_("{k} new").format(k=int(ks[-1]))) + "</text>"
        f'<polyline points="{points}" fill="none" stroke="{PROPOSED}" stroke-width="2"/>'
        f"{dots}</svg></div>"
    )
