/* The network view (templates/network.html): vis-network over the JSON elements network-nodes/-edges/-options,
   with filters by area, 柱, kind. On a phone the findings (the side panel) come first, the graph below. */
(function () {
  "use strict";
  var CITYWIDE = document.body.getAttribute("data-citywide");  // a constant of the code, not catalogue data
  var read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  var NODES = read("network-nodes"), EDGES = read("network-edges"), OPTIONS = read("network-options");
  var status = document.getElementById("status");
  var body = document.body;
  if (typeof vis === "undefined") {  // the inlined library did not load: say so instead of a blank page
    status.textContent = "vis-network を読み込めませんでした";
    body.setAttribute("data-network-error", "vis-missing");
    return;
  }
  NODES.forEach(function (n) {  // tooltips as text elements (vis shows strings verbatim)
    if (typeof n.title === "string") {
      var d = document.createElement("div"); d.className = "tip"; d.textContent = n.title; n.title = d;
    }
  });
  var nodes = new vis.DataSet(NODES), edges = new vis.DataSet(EDGES);
  var areaSel = document.getElementById("filter-area"), pillarSel = document.getElementById("filter-pillar");
  var cityChk = document.getElementById("filter-citywide"), nbrChk = document.getElementById("filter-neighbours");
  var kindChks = Array.prototype.slice.call(document.querySelectorAll(".kind-toggle"));
  var visible = new Set();

  // Filters can be preset from the address (#area=<id>&pillar=<柱>&citywide=0&kinds=agency,hub) to link a view.
  var preset = new URLSearchParams(location.hash.slice(1));
  if (preset.has("area")) areaSel.value = preset.get("area");
  if (preset.has("pillar")) pillarSel.value = preset.get("pillar");
  if (preset.get("citywide") === "0") cityChk.checked = false;
  if (preset.get("neighbours") === "0") nbrChk.checked = false;
  if (preset.has("kinds")) {
    var wanted = preset.get("kinds").split(",");
    kindChks.forEach(function (c) { c.checked = wanted.indexOf(c.value) >= 0; });
  }

  function compute() {
    var area = areaSel.value, pillar = pillarSel.value;
    var kinds = new Set(kindChks.filter(function (c) { return c.checked; }).map(function (c) { return c.value; }));
    var byId = {};
    var placeOk = function (n) {
      return kinds.has(n.kind) &&
        (!area || n.areas.indexOf(area) >= 0 || (cityChk.checked && n.areas.indexOf(CITYWIDE) >= 0));
    };
    var keep = new Set();
    NODES.forEach(function (n) {
      byId[n.id] = n;
      if (placeOk(n) && (!pillar || n.pillars.indexOf(pillar) >= 0)) keep.add(n.id);
    });
    if (pillar && nbrChk.checked) {
      var core = new Set(keep);
      EDGES.forEach(function (e) {
        if (core.has(e.from) && placeOk(byId[e.to])) keep.add(e.to);
        if (core.has(e.to) && placeOk(byId[e.from])) keep.add(e.from);
      });
    }
    visible = keep;
  }
  compute();
  var nodeView = new vis.DataView(nodes, {filter: function (n) { return visible.has(n.id); }});
  var edgeView = new vis.DataView(edges, {filter: function (e) { return visible.has(e.from) && visible.has(e.to); }});
  var container = document.getElementById("network");
  var network = new vis.Network(container, {nodes: nodeView, edges: edgeView}, OPTIONS);
  window.resourcemapNetwork = network;

  function report() {
    status.textContent = "表示中 " + visible.size + " / " + NODES.length + " 件・線 " + edgeView.length + " 本";
    body.setAttribute("data-visible-nodes", String(visible.size));
  }
  function refilter() { compute(); nodeView.refresh(); edgeView.refresh(); report(); }
  [areaSel, pillarSel, cityChk, nbrChk].concat(kindChks).forEach(function (el) { el.addEventListener("change", refilter); });
  report();

  var settled = NODES.length === 0, marked = false;
  function settle() { settled = true; network.setOptions({physics: false}); network.fit(); network.redraw(); }
  network.once("stabilizationIterationsDone", settle);
  network.once("stabilized", function () { if (!settled) settle(); });
  network.on("afterDrawing", function (ctx) {
    if (!settled || marked) return;
    marked = true;
    // Proof the graph is on screen (read by the browser test): count painted pixels on the canvas.
    var c = ctx.canvas, img = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, painted = 0;
    for (var i = 3; i < img.length; i += 16) if (img[i] > 0) painted++;
    body.setAttribute("data-painted-pixels", String(painted));
    body.setAttribute("data-network-drawn", "1");
  });
  if (NODES.length === 0) { body.setAttribute("data-network-drawn", "empty"); }
})();
