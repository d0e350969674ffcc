"""Tooltips, popups and layer groups that are safe for any text from the data.

folium 0.20 puts ``Tooltip`` text and ``Popup`` HTML into JavaScript template literals
(only backticks escaped, so ``${...}`` runs and ``\\`` is eaten), ``GeoJsonTooltip`` and
``GeoJsonPopup`` put feature properties into ``innerHTML``, and Leaflet's layer control puts
layer names into ``innerHTML``. These replacements pass every string as JSON (through
:func:`planner.outputs._escape.js_value`) and show data with ``textContent``.
"""

from __future__ import annotations

from collections.abc import Sequence

from branca.element import MacroElement
from jinja2 import Template

from planner.outputs._base import import_folium
from planner.outputs._escape import html_text, js_value


class TextTooltip(MacroElement):
    """A tooltip showing ``text`` exactly as written (plain text, never HTML)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindTooltip(function () {"
        " var box = document.createElement('div'); box.textContent = {{ this.text_js }};"
        " return box; }, {sticky: true});"
        "{% endmacro %}")

    def __init__(self, text: object):
        super().__init__()
        self._name = "TextTooltip"
        self.text_js = js_value(str(text))


class HtmlPopup(MacroElement):
    """A popup of HTML built by the planner (every data string in it already escaped with
    :func:`html_text`), passed to Leaflet as a JSON string."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.html_js }}, {{ this.options_js }});"
        "{% endmacro %}")

    def __init__(self, html: str, *, max_width: int = 320):
        super().__init__()
        self._name = "HtmlPopup"
        self.html_js = js_value(html)
        self.options_js = js_value({"maxWidth": int(max_width)})


class FeatureDetail(MacroElement):
    """A tooltip or popup table of GeoJSON feature properties, each value set as text.

    An empty alias leaves out the label cell of that row; empty values leave out the row.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.{{ this.method }}(function (layer) {"
        " var props = (layer.feature && layer.feature.properties) || {};"
        " var fields = {{ this.fields_js }}, aliases = {{ this.aliases_js }};"
        " var table = document.createElement('table');"
        " fields.forEach(function (field, i) {"
        "  var value = props[field];"
        "  if (value === null || value === undefined || value === '') { return; }"
        "  var row = table.insertRow();"
        "  if (aliases[i]) { var th = document.createElement('th');"
        "   th.textContent = aliases[i]; th.style.textAlign = 'left';"
        "   th.style.paddingRight = '6px'; row.appendChild(th); }"
        "  var td = row.insertCell(); td.textContent = String(value);"
        " });"
        " return table; }, {{ this.options_js }});"
        "{% endmacro %}")

    def __init__(self, fields: Sequence[str], aliases: Sequence[str] | None = None, *,
                 popup: bool = False, max_width: int = 320):
        super().__init__()
        aliases = list(aliases) if aliases is not None else list(fields)
        if len(aliases) != len(fields):
            raise ValueError("give one alias per field")
        self._name = "FeatureDetail"
        self.method = "bindPopup" if popup else "bindTooltip"
        self.fields_js = js_value([str(f) for f in fields])
        self.aliases_js = js_value([str(a) for a in aliases])
        self.options_js = js_value({"maxWidth": int(max_width)} if popup else {"sticky": True})


def feature_group(name: str, *, show: bool, section: str | None = None,
                  label: str | None = None, main: bool | None = None, switch: bool = False):
    """A folium layer group for the planner's layer panel (:mod:`planner.outputs._control`).

    ``section`` is the panel section it is listed in (a mode, a scenario; default "Map
    layers"), ``label`` its text there (default ``name``), ``main`` whether "show only this"
    turns it on (default ``show``), ``switch`` whether its section gets that button. The panel
    sets every text with ``textContent``; the folium name is HTML-escaped as well, in case
    Leaflet's own control is used.
    """
    group = import_folium().FeatureGroup(name=html_text(name), show=show)
    group.planner_section = section
    group.planner_name = name
    group.planner_label = name if label is None else label
    group.planner_main = show if main is None else main
    group.planner_switch = switch
    return group


def geojson(data, *, tooltip: FeatureDetail | None = None,
            popup: FeatureDetail | None = None, style_function=None, marker=None,
            interactive: bool = True, columns: dict | None = None, **extra):
    """A compact GeoJSON layer (:class:`planner.outputs._compact.CompactGeoJson`) of a
    GeoDataFrame in EPSG:4326 (or a GeoJSON FeatureCollection mapping; or None with a shared
    ``table=``) plus ``columns``, with safe tooltip and popup tables. ``style_function``
    follows folium (``feature -> style``); ``marker`` (a ``folium.CircleMarker`` or its
    options) draws points as circle markers."""
    from planner.outputs._compact import CompactGeoJson

    geometry, props = _frame_parts(data) if data is not None else (None, {})
    props.update(columns or {})
    if marker is not None and not isinstance(marker, dict):
        marker = {k: v for k, v in marker.options.items() if v is not None}
    layer = CompactGeoJson(geometry, props, style_function=style_function, marker=marker,
                           interactive=interactive, **extra)
    for detail in (tooltip, popup):
        if detail is not None:
            layer.add_child(detail)
    return layer


def _frame_parts(data) -> tuple:
    """(geometry array, {column: values}) of a GeoDataFrame or a GeoJSON mapping."""
    import numpy as np

    if isinstance(data, dict):
        import shapely.geometry

        features = data.get("features", [])
        names = list(dict.fromkeys(k for f in features for k in (f.get("properties") or {})))
        props = {k: np.array([(f.get("properties") or {}).get(k) for f in features],
                             dtype=object) for k in names}
        geometry = np.array([shapely.geometry.shape(f["geometry"]) if f.get("geometry")
                             else None for f in features], dtype=object)
        return geometry, props
    name = data.geometry.name
    return data.geometry.to_numpy(), {c: data[c].to_numpy() for c in data.columns if c != name}
