/* 参加支援 search page (templates/pages/match.html): the category picker, spare member rows, and the results map.
   The picker asks /pages/categories for what a word means (ids, labels, synonyms: ひきこもり, 8050, ゴミ屋敷);
   a suggestion pressed replaces the word being typed. Everything works without this script too. */
(function () {
  "use strict";
  var esc = window.resourcemapEsc;
  var SPLIT = /[,、，\n]/;

  function lastTerm(value) { var parts = value.split(SPLIT); return parts[parts.length - 1].trim(); }
  function replaceLast(value, label) {
    var parts = value.split(SPLIT).map(function (s) { return s.trim(); });
    parts[parts.length - 1] = label;
    return parts.filter(function (s) { return s; }).join("、") + "、";
  }

  Array.prototype.forEach.call(document.querySelectorAll("input.needs"), function (input) {
    var list = document.getElementById(input.id.replace("needs", "sugg"));
    var timer = null, asked = "";
    function show(items) {
      list.innerHTML = "";
      items.forEach(function (it) {
        var li = document.createElement("li"), b = document.createElement("button");
        b.type = "button";
        b.className = "suggestion";
        b.innerHTML = esc(it.label) + (it.via ? "<small>「" + esc(it.via) + "」から</small>" : "");
        b.addEventListener("click", function () {
          input.value = replaceLast(input.value, it.label);
          list.innerHTML = "";
          input.focus();
        });
        li.appendChild(b);
        list.appendChild(li);
      });
    }
    function ask() {
      var term = lastTerm(input.value);
      if (term === asked) return;
      asked = term;
      if (!term) { show([]); return; }
      fetch("/pages/categories?q=" + encodeURIComponent(term), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (d) { if (lastTerm(input.value) === term) show(d.items); })
        .catch(function () { show([]); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 150); });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") show([]); });
  });

  /* spare member rows: hidden until asked for */
  var spares = Array.prototype.slice.call(document.querySelectorAll("fieldset[data-spare]"));
  if (spares.length) {
    spares.forEach(function (f) { f.hidden = true; });
    var add = document.createElement("button");
    add.type = "button";
    add.className = "secondary";
    add.textContent = "世帯員を追加";
    add.addEventListener("click", function () {
      var next = spares.shift();
      if (next) { next.hidden = false; next.querySelector("input").focus(); }
      if (!spares.length) add.remove();
    });
    var p = document.createElement("p");
    p.appendChild(add);
    var last = document.querySelector("fieldset[data-spare]");
    last.parentNode.insertBefore(p, last);
  }

  /* the results map: the household's 町丁目 point and the numbered results over the offline base */
  var el = document.getElementById("result-map");
  var data = JSON.parse(document.getElementById("search-data").textContent);
  if (!el || !data.map || typeof L === "undefined") { document.body.setAttribute("data-search", "ready"); return; }
  var map = L.map(el, {zoomSnap: 0.25});
  /* the view first (layers added to a map without a view cannot be clipped), then the layers */
  var points = [], hh = data.map.household;
  if (hh) points.push([hh.lat, hh.lng]);
  data.map.results.forEach(function (r) { points.push([r.lat, r.lng]); });
  if (points.length > 1) { map.fitBounds(points, {padding: [24, 24], maxZoom: 16}); }
  else if (points.length === 1) { map.setView(points[0], 15); }
  else { map.fitBounds(L.geoJSON(data.base.boundary).getBounds()); }
  var base = window.resourcemapBase(map, data.base);
  if (hh) {
    L.circleMarker([hh.lat, hh.lng], {radius: 9, color: "#a40000", weight: 3, fillColor: "#fff", fillOpacity: 1,
      className: "household-marker"}).bindTooltip("世帯の町丁目: " + esc(hh.label)).addTo(map);
  }
  /* a result's popup: what it is for, how far, how to reach it, and its page (every text escaped) */
  function popup(r) {
    var html = "<b>" + r.n + ". " + esc(r.name) + "</b><br>" + esc(r.need);
    if (r.walk_min != null) html += "・徒歩" + esc(r.walk_min) + "分";
    if (r.address) html += "<br>" + esc(r.address);
    if (r.phone) html += "<br>電話 <a href=\"tel:" + esc(r.tel) + "\">" + esc(r.phone) + "</a>";
    if (r.hours && r.hours.length) html += "<br>" + esc(r.hours.join("／"));
    return html + "<br><a href=\"/pages/resource/" + encodeURIComponent(r.id) + "\">詳しく</a>";
  }
  data.map.results.forEach(function (r) {
    var icon = L.divIcon({className: "result-pin", html: "<span>" + r.n + "</span>", iconSize: [26, 26], iconAnchor: [13, 13]});
    L.marker([r.lat, r.lng], {icon: icon, title: r.n + ". " + r.name, alt: r.n + ". " + r.name, keyboard: false})
      .bindPopup(popup(r)).addTo(map);
  });
  L.control.layers({}, base.overlays, {collapsed: true}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  document.body.setAttribute("data-search", "ready");
})();
