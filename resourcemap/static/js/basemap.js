/* The offline background shared by every map (resourcemap/basemap.py): the boundary, the areas, the 町丁目 names
   (shown from zoom 14), public facilities as landmarks, and an online tile layer only when one is configured.
   Loaded before the page's own script; defines window.resourcemapBase(map, base) → {outline, overlays}. */
(function () {
  "use strict";
  window.resourcemapEsc = function (s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  };
  window.resourcemapBase = function (map, base) {
    var esc = window.resourcemapEsc, overlays = {};
    if (base.tiles) {
      L.tileLayer(base.tiles.url, {attribution: base.tiles.attribution, maxZoom: 18}).addTo(map);
    }
    var outline = L.geoJSON(base.boundary, {style: {color: "#222", weight: 2, fill: false}, interactive: false}).addTo(map);
    if (base.areas && base.areas.features && base.areas.features.length) {
      overlays["エリア境界"] = L.geoJSON(base.areas, {
        style: {color: "#555", weight: 1.5, dashArray: "4 3", fill: false},
        onEachFeature: function (f, l) { l.bindTooltip(esc(f.properties.name), {sticky: true}); }
      }).addTo(map);
    }
    if (base.chome && base.chome.length) {
      var names = L.layerGroup();
      base.chome.forEach(function (c) {
        /* below its point, so a marker at the point (the household's 町丁目) never hides the name */
        L.tooltip({permanent: true, direction: "bottom", offset: [0, 2], className: "chome-label", interactive: false})
          .setLatLng([c.lat, c.lng]).setContent(esc(c.name)).addTo(names);
      });
      var showNames = function () {
        if (map.getZoom() >= 14) { if (!map.hasLayer(names)) names.addTo(map); }
        else if (map.hasLayer(names)) map.removeLayer(names);
      };
      map.on("zoomend", showNames);
      map.whenReady(showNames);
      overlays["町丁目名（拡大時）"] = names;
    }
    if (base.landmarks && base.landmarks.length) {
      var marks = L.layerGroup(), credits = [];
      base.landmarks.forEach(function (m) {
        L.circleMarker([m.lat, m.lng], {radius: 4, color: "#444", weight: 1, fillColor: "#bbb", fillOpacity: 0.9,
          className: "landmark-marker"}).bindTooltip(esc(m.name) + (m.what ? "（" + esc(m.what) + "）" : "")).addTo(marks);
        if (m.credit && credits.indexOf(m.credit) < 0) credits.push(m.credit);
      });
      marks.addTo(map);
      overlays["主な公共施設"] = marks;
      /* the publishers' credit of the facilities shown (open-data licences ask for it): under the map when the
         page has a place for it (#map-credits), else in the map's attribution */
      var place = document.getElementById("map-credits");
      if (place && credits.length) { place.textContent = "地図の施設: " + credits.join("／"); place.hidden = false; }
      else credits.forEach(function (c) { if (map.attributionControl) map.attributionControl.addAttribution(esc(c)); });
    }
    return {outline: outline, overlays: overlays};
  };
  /* controls that fold away on a phone: the layer list collapses, the legend is a <details> */
  window.resourcemapNarrow = function () { return window.innerWidth < 760; };
  window.resourcemapLegend = function (map, html, position) {
    var legend = L.control({position: position || "bottomleft"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("details", "map-legend");
      if (!window.resourcemapNarrow()) div.setAttribute("open", "");
      div.innerHTML = "<summary>凡例</summary>" + html;
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);
    return legend;
  };
})();
