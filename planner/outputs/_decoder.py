"""The script that turns compact map layers (:mod:`planner.outputs._compact`) back into
GeoJSON in the browser. Constant code: data only reaches it as arguments, never as text
inside it."""

__all__ = ["DECODER_JS"]

#: The decoder, defined once per page (constant code: data only reaches it as arguments).
DECODER_JS = r"""
window.plannerGeo = (function () {
  function column(c, n) {
    if (c && typeof c === 'object' && !Array.isArray(c)) {
      if (c.c) { return c.c.map(function (i) { return c.v[i]; }); }
      if (c.same !== undefined) { return new Array(n).fill(c.same); }
    }
    return c;
  }
  function geometries(g, n) {
    var out = new Array(n).fill(null);
    if (!g || !g.kind) { return out; }
    var has = g.has || null;
    var put = function (k, geom) { out[has ? has[k] : k] = geom; };
    if (g.kind === 'list') { g.geoms.forEach(function (geom, k) { put(k, geom); }); return out; }
    var bin = atob(g.xy.b64), xy = [], v = 0, f = 1;
    for (var b = 0; b < bin.length; b++) {
      var c = bin.charCodeAt(b);
      v += (c & 127) * f; f *= 128;
      if (c < 128) { xy.push(v % 2 ? -(v + 1) / 2 : v / 2); v = 0; f = 1; }
    }
    var s = g.scale, m = xy.length / 2, pts = new Array(m), x = g.xy.start[0], y = g.xy.start[1];
    for (var i = 0; i < m; i++) { x += xy[2 * i]; y += xy[2 * i + 1]; pts[i] = [x / s, y / s]; }
    var nested = pts;
    g.counts.forEach(function (counts) {
      var next = new Array(counts.length), k = 0;
      for (var j = 0; j < counts.length; j++) {
        next[j] = nested.slice(k, k + counts[j]); k += counts[j];
      }
      nested = next;
    });
    nested.forEach(function (c, k) { put(k, {type: g.kind, coordinates: c}); });
    return out;
  }
  function latlonText(geom) {
    if (!geom || geom.type !== 'Point') { return ''; }
    var lon = geom.coordinates[0], lat = geom.coordinates[1];
    return Math.abs(lat).toFixed(5) + (lat >= 0 ? ' N, ' : ' S, ') +
      Math.abs(lon).toFixed(5) + (lon >= 0 ? ' E' : ' W');
  }
  return function (d, base) {
    var table = base || d, n = table.n;
    if (!table._geoms) { table._geoms = geometries(table.geo, n); }
    var geoms = table._geoms, names = [], cols = [];
    [base ? base.props : {}, d.props || {}].forEach(function (props) {
      Object.keys(props).forEach(function (k) {
        names.push(k);
        cols.push(props[k] && props[k].coords ? geoms.map(latlonText) : column(props[k], n));
      });
    });
    var styles = d.styles || [{}], style = d.style || null, features = new Array(n);
    for (var i = 0; i < n; i++) {
      var p = {};
      for (var j = 0; j < names.length; j++) { p[names[j]] = cols[j][i]; }
      features[i] = {type: 'Feature', properties: p, geometry: geoms[i],
                     plannerStyle: styles[style ? style[i] : 0]};
    }
    return {type: 'FeatureCollection', features: features};
  };
})();
window.plannerLazy = function (layer, make) {
  // build the features when the layer is first shown (hidden layers cost nothing at load);
  // while the page's script runs, wait for its end: the opening view is set by then, so
  // Leaflet projects the shapes once, at that view
  var filled = false;
  layer.plannerFill = function () {
    if (!filled) { filled = true; layer.addData(make()); }
    return layer;
  };
  layer.on('add', function () {
    if (document.readyState !== 'loading') { layer.plannerFill(); return; }
    document.addEventListener('DOMContentLoaded', function () {
      if (layer._map) { layer.plannerFill(); }
    });
  });
  return layer;
};
window.plannerGeoOptions = function (opts) {
  var marker = opts.marker;
  var out = {style: function (f) { return f.plannerStyle; }};
  if (opts.interactive === false) { out.interactive = false; }
  if (marker) {
    out.pointToLayer = function (f, latlng) {
      return L.circleMarker(latlng, Object.assign({}, marker, f.plannerStyle));
    };
  }
  return out;
};
"""
