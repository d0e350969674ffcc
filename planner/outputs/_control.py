"""The layer panel (collapsible sections per mode or scenario, "show only this") and the
opening view (fitted to the data with room for the panels).

Replaces folium's ``LayerControl``: Leaflet's control lists every layer in one long,
always-expanded list and puts names into ``innerHTML``. Here each layer group is listed in
the section named by its ``planner_section`` (see :func:`planner.outputs._elements.feature_group`),
every text is set with ``textContent``, and the whole panel starts collapsed on small screens.
"""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

from planner.i18n import _
from planner.outputs._escape import js_value

__all__ = ["LayerPanel", "add_layer_panel"]

_SCRIPT = """
(function () {
  var map = {{ this._parent.get_name() }};
  var sections = {{ this.sections_js }};
  var layers = [{{ this.layer_names }}];
  var bounds = {{ this.bounds_js }};
  var k = 0;
  sections.forEach(function (s) { s.layers.forEach(function (item) { item.layer = layers[k++]; }); });
  function setLayer(item, on) {
    if (on) { map.addLayer(item.layer); } else { map.removeLayer(item.layer); }
    item.box.checked = on;
  }
  function showOnly(target) {
    sections.forEach(function (s) {
      if (!s.switch) { return; }
      s.layers.forEach(function (item) { setLayer(item, s === target && item.main); });
      s.details.open = s === target;
    });
  }
  var panel = L.control({position: 'topright'});
  panel.onAdd = function () {
    var box = L.DomUtil.create('div', 'leaflet-control-layers planner-layers');
    box.id = 'planner-layers';
    box.style.cssText = 'padding:4px 8px;font:12px sans-serif;max-width:250px;';
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    var outer = document.createElement('details');
    outer.open = window.innerWidth >= 1000 && window.innerHeight >= 600;
    var head = document.createElement('summary');
    head.style.cssText = 'cursor:pointer;font-weight:bold';
    head.textContent = {{ this.layers_js }};
    outer.appendChild(head);
    var list = document.createElement('div');
    list.className = 'leaflet-control-layers-overlays';
    list.style.cssText = 'max-height:' + Math.max(120, window.innerHeight - 140) +
      'px;overflow-y:auto;overflow-x:hidden';
    sections.forEach(function (s) {
      var det = document.createElement('details');
      det.className = 'planner-section';
      det.open = s.open;
      s.details = det;
      var sum = document.createElement('summary');
      sum.style.cssText = 'cursor:pointer;margin-top:3px';
      var title = document.createElement('b');
      title.textContent = s.title;
      sum.appendChild(title);
      if (s.switch) {
        var only = document.createElement('button');
        only.type = 'button';
        only.className = 'planner-only';
        only.textContent = {{ this.only_js }};
        only.style.cssText = 'margin-left:6px;font-size:10px;padding:0 3px';
        only.addEventListener('click', function (ev) { ev.preventDefault(); showOnly(s); });
        sum.appendChild(only);
      }
      det.appendChild(sum);
      s.layers.forEach(function (item) {
        var label = document.createElement('label');
        label.style.cssText = 'display:block;margin-left:10px';
        label.title = item.full;
        var input = document.createElement('input');
        input.type = 'checkbox';
        input.className = 'leaflet-control-layers-selector';
        input.checked = map.hasLayer(item.layer);
        input.addEventListener('change', function () { setLayer(item, input.checked); });
        item.box = input;
        var text = document.createElement('span');
        text.textContent = ' ' + item.label;
        label.appendChild(input);
        label.appendChild(text);
        det.appendChild(label);
      });
      list.appendChild(det);
    });
    outer.appendChild(list);
    box.appendChild(outer);
    return box;
  };
  panel.addTo(map);
  function fitList() {  // keep the list above the summary panel (it scrolls instead)
    var box = document.getElementById('planner-layers');
    var list = box.querySelector('.leaflet-control-layers-overlays');
    var summary = document.getElementById('planner-summary');
    var bottom = summary && summary.offsetWidth ? summary.getBoundingClientRect().top - 12
      : window.innerHeight - 40;
    var top = list.getBoundingClientRect().top || box.getBoundingClientRect().top + 24;
    list.style.maxHeight = Math.max(100, bottom - top) + 'px';
  }
  fitList();
  window.addEventListener('resize', fitList);
  window.plannerSections = sections;
  window.plannerShowOnly = function (title) {
    sections.forEach(function (s) { if (s.title === title) { showOnly(s); } });
  };
  function fit() {
    if (!bounds) { return; }
    var frame = map.getContainer().getBoundingClientRect();
    var left = 10, right = 10;
    ['planner-legend', 'planner-measure-legend'].forEach(function (id) {
      var el = document.getElementById(id);
      if (el && el.offsetWidth) { left = Math.max(left, el.getBoundingClientRect().right - frame.left + 12); }
    });
    ['planner-summary', 'planner-layers'].forEach(function (id) {
      var el = document.getElementById(id);
      if (el && el.offsetWidth) { right = Math.max(right, frame.right - el.getBoundingClientRect().left + 12); }
    });
    if (left + right > frame.width - 160) {  // too narrow for both: keep the map usable
      var scale = (frame.width - 160) / (left + right);
      left *= scale; right *= scale;
    }
    map.fitBounds(bounds, {paddingTopLeft: [left, 24], paddingBottomRight: [right, 24],
                           animate: false});
  }
  fit();
  window.plannerFit = fit;
})();
"""


class LayerPanel(MacroElement):
    """The planner's layer panel and opening view; add it after every layer."""

    _template = Template("{% macro script(this, kwargs) %}" + _SCRIPT + "{% endmacro %}")

    def __init__(self, sections: list[dict], layer_names: list[str], bounds):
        super().__init__()
        self._name = "LayerPanel"
        self.sections_js = js_value(sections)
        self.layers_js, self.only_js = js_value(_("Layers")), js_value(_("show only this"))
        # folium's own variable names (letters, digits, underscores): never from the data
        if not all(name.replace("_", "").isalnum() and name.isascii() for name in layer_names):
            raise ValueError("unexpected layer variable name")
        self.layer_names = ", ".join(layer_names)
        self.bounds_js = js_value(bounds)


def add_layer_panel(fmap):
    """List every layer group and online tile layer of ``fmap`` in a :class:`LayerPanel`
    (replacing an earlier panel or folium ``LayerControl``) and fit the view to
    ``fmap.planner_bounds`` (``[[south, west], [north, east]]``) if set."""
    import folium

    for key in [k for k, v in fmap._children.items()
                if isinstance(v, (LayerPanel, folium.LayerControl))]:
        del fmap._children[key]
    sections: dict[str, dict] = {}
    names: dict[str, list[str]] = {}
    for child in list(fmap._children.values()):
        if not isinstance(child, (folium.FeatureGroup, folium.TileLayer)):
            continue
        if not getattr(child, "control", True):
            continue
        if isinstance(child, folium.TileLayer):
            title, label, main, switch = _("Base map"), child.layer_name, child.show, False
        else:
            title = getattr(child, "planner_section", None) or "Map layers"
            label = getattr(child, "planner_label", child.layer_name)
            main = getattr(child, "planner_main", child.show)
            switch = getattr(child, "planner_switch", False)
        section = sections.setdefault(title, {"title": title, "switch": False, "open": False,
                                              "layers": []})
        section["switch"] = section["switch"] or switch
        section["open"] = section["open"] or bool(child.show) and title != _("Base map")
        full = getattr(child, "planner_name", None) or (
            label if label.startswith(title) else f"{title}: {label}")
        section["layers"].append({"label": str(label), "full": str(full), "main": bool(main)})
        names.setdefault(title, []).append(child.get_name())
    # the script pairs the layers with the sections' entries in the sections' order
    flat = [name for title in sections for name in names[title]]
    fmap.add_child(LayerPanel(list(sections.values()), flat,
                              getattr(fmap, "planner_bounds", None)), name="planner_layers")
    return fmap
