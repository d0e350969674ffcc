"""Map panels drawn as plain HTML: legend, summary of each result, coverage curve (SVG).

Titles, notes and labels are plain text and are escaped here; numbers are formatted here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from planner.analysis.coverage import CoverageResult
from planner.outputs._base import ATTRIBUTION, BAND_COLOURS, COVERED, PROPOSED, STATION, UNCOVERED
from planner.i18n import (_, fmt_minutes, fmt_percent, fmt_places, fmt_weight, mode_name,
                          travel_label)
from planner.outputs._escape import html_text

__all__ = ["legend_html", "summary_html", "curve_svg"]


#: Colours of the before/after highlights (rings around demand places).
GAINED = "#00a651"
LOST = "#000000"
OFF_NETWORK = "#888888"
_BOX = "display:inline-block;width:14px;height:10px;margin-right:6px;"
_DOT = "display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;"
_BADGE = "color:#fff;font-size:10px;padding:0 3px;margin-right:6px;"


def _legend_rows(drawn: Collection[str]) -> list[str]:
    """Legend rows for the marker kinds in ``drawn``, in a fixed order."""
    rows = {
        "stations": f'<span style="{_BADGE}background:{STATION};border-radius:3px">S1</span>'
                    + html_text(_("station")),
        "station_dots": f'<span style="{_DOT}background:{STATION};border:1px solid #fff;'
                        'box-shadow:0 0 1px #000"></span>'
                        + html_text(_("station (many stations: a dot each)")),
        "proposed": f'<span style="{_BADGE}background:{PROPOSED};border-radius:6px;'
                    'border:1px dashed #fff">P1</span>'
                    + html_text(_("proposed or added station")),
        "closed": '<span style="font-size:10px;padding:0 3px;margin-right:6px;color:#777;'
                  'border:1px dashed #777;border-radius:3px;text-decoration:line-through">'
                  "S2</span>" + html_text(_("closed station (where it was)")),
        "moved": f'<span style="{_BADGE}background:{STATION};opacity:.35;border-radius:3px">'
                 "S3</span>" + html_text(_("moved station: old place, arrow to the new one")),
        "demand": f'<span style="{_DOT}background:{COVERED}"></span>'
                  + html_text(_("demand reached in time (size = weight)")),
        "demand_cells": f'<span style="{_BOX}background:linear-gradient(90deg,#d7191c,#ffffbf,'
                        '#2c7bb6)"></span>'
                        + html_text(_("demand cell: share of its weight reached in time (red: "
                                      "none, blue: all)")),
        "uncovered": f'<span style="{_DOT}background:{UNCOVERED}"></span>'
                     + html_text(_("demand not reached in time")),
        "off_network": f'<span style="{_DOT}background:{OFF_NETWORK};border:2px solid '
                       f'{UNCOVERED};width:7px;height:7px"></span>'
                       + html_text(_("place off the street network (cannot be reached)")),
        "gained": f'<span style="{_DOT}border:3px solid {GAINED};width:7px;height:7px">'
                  "</span>" + html_text(_("newly covered by the plan")),
        "lost": f'<span style="{_DOT}border:3px dashed {LOST};width:7px;height:7px">'
                "</span>" + html_text(_("loses service (was covered before)")),
        "gaps": f'<span style="{_BOX}border:2px dashed {UNCOVERED};background:rgba(215,25,28,'
                '.15)"></span>'
                + html_text(_("gap area: the cells around unreached places (no reached place "
                              "inside)")),
        "density": f'<span style="{_BOX}background:linear-gradient(90deg,#fff5eb,#7f2704)">'
                   "</span>" + html_text(_("demand density (weight per cell; tick it on)")),
        "hub": '<span style="color:#fff;background:#b2182b;font-size:10px;padding:0 3px;'
               'border-radius:6px;margin-right:6px">H</span>' + html_text(_("hub")) + ", "
               '<span style="color:#fff;background:#2166ac;font-size:10px;padding:0 3px;'
               'border-radius:6px;margin:0 6px 0 2px">N1</span>' + html_text(_("satellite")),
    }
    return [f"<div>{html}</div>" for key, html in rows.items() if key in drawn]


def legend_html(minutes: Sequence[float], *, drawn: Collection[str] = (
        "stations", "demand", "uncovered", "gaps"), datum: str | None = None) -> str:
    """The legend panel: one row per threshold band, a row per kind of mark in ``drawn``
    (stations, proposed, closed, moved, demand, uncovered, off_network, gained, lost, gaps,
    density, hub: only what the map draws), the datum of the overlays when it is not WGS-84
    and the attribution."""
    from planner.outputs._datum import legend_line

    bands = "".join(
        f'<div><span style="background:{BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]};'
        f'{_BOX}opacity:.7"></span>'
        + html_text(_("within {minutes} of a station").format(minutes=fmt_minutes(m)))
        + "</div>"
        for i, m in enumerate(sorted(minutes))
    )
    return (
        '<div id="planner-legend" style="position:fixed;bottom:28px;left:10px;z-index:9999;'
        'max-width:250px;background:rgba(255,255,255,.92);padding:6px 8px;border-radius:6px;'
        'font:11px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        + "<details open><summary><b>" + html_text(_("Legend")) + f"</b></summary>{bands}"
        + "".join(_legend_rows(drawn))
        + legend_line(datum)
        + '<div style="margin-top:4px;color:#555">' + html_text(_("Map data"))
        + f" {ATTRIBUTION}</div></details></div>"
    )


def summary_html(results: Sequence[CoverageResult], labels: Sequence[str], title: str | None,
                 note: str | None, extra_html: str = "", *, lead_html: str = "") -> str:
    """The summary panel: title, counts, ``lead_html`` (before/after lines), each result's
    shares and times, ``extra_html`` and the note.

    ``labels``, ``title`` and ``note`` are plain text; the HTML arguments are trusted HTML.
    """
    first = results[0]
    blocks = []
    for result, label in zip(results, labels):
        summary = result.summary()
        plain = (result.travel.mode, mode_name(result.travel.mode))
        heading = _("{name}: ").format(name=label) if label and label not in plain else ""
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
        + lead_html
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
    dots = "".join(f'<circle cx="{x(k):.1f}" cy="{y(s):.1f}" r="2.5" fill="{PROPOSED}">'
                   "<title>" + html_text(_("{k} new: {share}").format(
                       k=int(k), share=fmt_percent(s))) + "</title></circle>"
                   for k, s in zip(ks, shares))
    return (
        '<div id="planner-curve" style="margin-top:6px"><b>' + html_text(_("Coverage curve"))
        + "</b> " + html_text(_("(share covered as stations are added)")) + "<br>"
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
