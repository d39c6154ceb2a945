/* The gap map (templates/gap_map.html): one layer per category, units coloured by status, resources and
   development candidates as markers. Data from <script type="application/json" id="gapmap-data">. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("gapmap-data").textContent);
  var esc = window.resourcemapEsc;
  function metres(v) { return v == null ? "5 km 圏内になし" : Math.round(v) + " m"; }
  var map = L.map("map", {zoomSnap: 0.25});
  map.fitBounds(L.geoJSON(D.base.boundary).getBounds(), {padding: [10, 10]});  // the view before any layer
  var base = window.resourcemapBase(map, D.base);
  var overlays = base.overlays;
  /* the credit line of every open dataset whose data this map shows (their licences ask for it) */
  (D.attribution || []).forEach(function (a) { if (map.attributionControl) map.attributionControl.addAttribution(esc(a)); });
  function styleFor(row) {
    var st = D.styles[row.s];
    var op = row.s === "covered" ? 0.25 + 0.45 * (row.sh == null ? 1 : row.sh) : 0.6;
    return {className: st.cls, color: "#555", weight: 0.6, fillColor: st.fill, fillOpacity: op};
  }
  function unitPopup(p, cat, row) {
    var h = "<b>" + esc(p.name) + "</b>" + (p.area ? "（" + esc(p.area) + "）" : "") + "<br>" +
      esc(cat.label) + "：" + esc(D.styles[row.s].label) + "<br>" +
      (cat.status_label ? "<small>市全体: " + esc(cat.status_label) + "</small><br>" : "");
    if (cat.measure === "coverage") { h += "担当コーディネーター: " + row.c + " 人<br>"; }
    else { h += "最寄り: " + metres(row.n) + "／" + cat.threshold + " m 圏内 " + row.c + " 件<br>"; }
    if (row.u) { h += "未充足の相談: " + esc(row.u) + " 件<br>"; }
    if (row.k.length) { h += "<u>候補</u><ul>" + row.k.map(function (k) { return "<li>" + esc(k) + "</li>"; }).join("") + "</ul>"; }
    return h;
  }
  var layers = {};
  D.categories.forEach(function (cat, ci) {
    var group = L.layerGroup();
    L.geoJSON(D.units, {
      style: function (f) { return styleFor(cat.rows[f.properties.i]); },
      onEachFeature: function (f, layer) { layer.bindPopup(unitPopup(f.properties, cat, cat.rows[f.properties.i])); }
    }).addTo(group);
    cat.resources.forEach(function (r) {
      L.circleMarker([r.lat, r.lng], {radius: 6, color: "#08306b", weight: 1.5, fillColor: "#2171b5",
        fillOpacity: 0.9, className: "resource-marker"})
        .bindPopup("<b>" + esc(r.name) + "</b><br>" + esc(r.kind) + "（位置: " + esc(r.precision) + "）" +
          (r.contact ? "<br>" + esc(r.contact) : "")).addTo(group);
    });
    cat.candidates.forEach(function (c) {
      L.circleMarker([c.lat, c.lng], {radius: 7, color: "#e66101", weight: 3, fillColor: "#ffffff",
        fillOpacity: 0.9, className: "candidate-marker"})
        .bindPopup("<b>候補: " + esc(c.name) + "</b><br>" + esc(c.reason) +
          (c.contact ? "<br>" + esc(c.contact) : "")).addTo(group);
    });
    var name = esc(cat.label) + "（空白 " + cat.gaps + "）";
    layers[name] = group;
    if (ci === D.initial) { group.addTo(map); }
  });
  L.control.layers(layers, overlays, {collapsed: window.resourcemapNarrow()}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  window.resourcemapLegend(map, Object.keys(D.styles).map(function (k) {
    return '<i class="sw" style="background:' + D.styles[k].fill + '"></i>' + esc(D.styles[k].label);
  }).join("<br>") + '<br><i class="dot res"></i>数えた資源<br><i class="dot cand"></i>開発候補' +
    (D.base.landmarks && D.base.landmarks.length ? '<br><i class="dot lm"></i>主な公共施設' : ""));
  document.body.setAttribute("data-gapmap", "ready");
})();
