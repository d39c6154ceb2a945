"""An interactive gap map as ONE self-contained HTML file that works offline.

Why not folium's default output: folium links Leaflet, jQuery and Bootstrap from CDNs, so its
maps are blank in a 会議室 without internet and leak who opened them. Here Leaflet 1.9.4
(BSD-2, vendored from the npm package into ``static/``, see ``static/LEAFLET-LICENSE``) is
inlined — JS, CSS, and the CSS images as data URIs — and the page loads nothing from anywhere.
No background tiles by default (a tile URL can be passed when the map is used online).

The page has one layer per category (a radio list: one category at a time), the units
coloured by status (``gap`` red, ``gap_unlocated`` orange, ``low_access`` yellow, covered
green by share), the resources that count as blue markers and the development candidates as
orange-ringed markers, each with a popup. Unit paths carry a CSS class per status
(``gap-unit`` …) so a browser test can find the rendered gap layer.
"""
from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..geo import boundary
from .analysis import GapResult, unmet_tally
from .export import geometry_json, json_safe, status_of

__all__ = ["render_map", "write_map", "STATUS_STYLE", "leaflet_assets"]

#: status → (CSS class, fill colour, legend label)
STATUS_STYLE: dict[str, tuple[str, str, str]] = {
    "gap": ("gap-unit", "#d7301f", "空白（圏内に資源なし）"),
    "gap_unlocated": ("gap-unlocated-unit", "#fc8d59", "空白（市内に所在地未登録の資源あり）"),
    "low_access": ("low-access-unit", "#fee08b", "アクセス下位帯"),
    "covered": ("covered-unit", "#1a9850", "圏内に資源あり"),
}


@lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """(leaflet.js, leaflet.css with its images inlined as data URIs), read from the package."""
    static = resources.files("resourcemap.gaps").joinpath("static")
    js = static.joinpath("leaflet.js").read_text(encoding="utf-8")
    css = static.joinpath("leaflet.css").read_text(encoding="utf-8")

    def inline(m: re.Match[str]) -> str:
        name = m.group(1)
        data = static.joinpath("images").joinpath(name).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    return js, css


def _script_json(data: Any) -> str:
    """JSON safe inside <script>: no '</' can close the element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _payload(result: GapResult, tiles: tuple[str, str] | None) -> dict[str, Any]:
    f = result.units.frame
    units = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geometry_json(g),
         "properties": {"i": i, "unit_id": str(uid), "name": str(name), "area": result.areas.names.get(aid, "")}}
        for i, (uid, name, aid, g) in enumerate(zip(f["unit_id"], f["name"], f["area_id"], f.geometry))]}
    cats = []
    n = len(f)
    for k, info in enumerate(result.categories):
        part = result.table.iloc[k * n:(k + 1) * n]
        rows, cand_nodes = [], {}
        for rec in part.to_dict("records"):
            cands = result.candidates.get((rec["unit_id"], info.id), [])
            for c in cands:
                if c.lat is not None and c.basis != "coordinator":
                    cand_nodes.setdefault(c.id, {"id": c.id, "name": c.name, "kind": c.kind, "lat": c.lat,
                                                 "lng": c.lng, "reason": c.reason, "precision": c.precision})
            rows.append({"s": status_of(rec), "n": json_safe(rec["nearest_m"]), "c": int(rec["count_within"]),
                         "sh": json_safe(rec["share_covered"]), "u": result.unmet_label(unmet_tally(rec)) if rec["unmet"] else "",
                         "k": [f"{c.name}（{c.reason}）" for c in cands]})
        cats.append({
            "id": info.id, "label": info.label, "threshold": info.threshold_m, "measure": info.measure,
            "gaps": int(part["gap"].sum()), "unlocated": [n_.name for n_ in info.unlocated],
            "resources": [{"id": r.id, "name": r.name, "kind": r.kind, "lat": r.lat, "lng": r.lng,
                           "precision": r.location_precision} for r in info.resources if r.located],
            "candidates": list(cand_nodes.values()), "rows": rows,
        })
    initial = next((i for i, c in enumerate(cats) if c["gaps"]), 0)
    area_polys = None
    if result.units.kind != "area" and result.areas.membership:
        from ..geo import area_polygons

        polys = area_polygons(result.city.code, {a: t for a, t in result.areas.membership.items() if t})
        area_polys = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": geometry_json(g), "properties": {"name": result.areas.names.get(a, a)}}
            for a, g in polys.items()]}
    return {
        "title": f"{result.city.name} 社会資源の空白地図（{result.units.kind}）",
        "boundary": geometry_json(boundary(result.city.code)), "areas": area_polys, "units": units,
        "categories": cats, "initial": initial,
        "styles": {s: {"cls": v[0], "fill": v[1], "label": v[2]} for s, v in STATUS_STYLE.items()},
        "tiles": {"url": tiles[0], "attribution": tiles[1]} if tiles else None,
    }


_APP_JS = r"""
(function () {
  var D = window.GAPMAP;
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]; }); }
  function metres(v) { return v == null ? '5 km 圏内になし' : Math.round(v) + ' m'; }
  var map = L.map('map', {zoomSnap: 0.25});
  if (D.tiles) { L.tileLayer(D.tiles.url, {attribution: D.tiles.attribution, maxZoom: 18}).addTo(map); }
  var outline = L.geoJSON(D.boundary, {style: {color: '#222', weight: 2, fill: false}, interactive: false}).addTo(map);
  var overlays = {};
  if (D.areas) {
    overlays['エリア境界'] = L.geoJSON(D.areas, {style: {color: '#444', weight: 1.5, dashArray: '4 3', fill: false},
      onEachFeature: function (f, l) { l.bindTooltip(esc(f.properties.name)); }}).addTo(map);
  }
  function styleFor(row) {
    var st = D.styles[row.s];
    var op = row.s === 'covered' ? 0.25 + 0.45 * (row.sh == null ? 1 : row.sh) : 0.6;
    return {className: st.cls, color: '#555', weight: 0.6, fillColor: st.fill, fillOpacity: op};
  }
  function unitPopup(p, cat, row) {
    var h = '<b>' + esc(p.name) + '</b>' + (p.area ? '（' + esc(p.area) + '）' : '') + '<br>' +
      esc(cat.label) + '：' + esc(D.styles[row.s].label) + '<br>';
    if (cat.measure === 'coverage') { h += '担当コーディネーター: ' + row.c + ' 人<br>'; }
    else { h += '最寄り: ' + metres(row.n) + '／' + cat.threshold + ' m 圏内 ' + row.c + ' 件<br>'; }
    if (row.u) { h += '未充足の相談: ' + row.u + ' 件<br>'; }
    if (row.k.length) { h += '<u>候補</u><ul>' + row.k.map(function (k) { return '<li>' + esc(k) + '</li>'; }).join('') + '</ul>'; }
    return h;
  }
  var base = {};
  D.categories.forEach(function (cat, ci) {
    var group = L.layerGroup();
    L.geoJSON(D.units, {
      style: function (f) { return styleFor(cat.rows[f.properties.i]); },
      onEachFeature: function (f, layer) { layer.bindPopup(unitPopup(f.properties, cat, cat.rows[f.properties.i])); }
    }).addTo(group);
    cat.resources.forEach(function (r) {
      L.circleMarker([r.lat, r.lng], {radius: 6, color: '#08306b', weight: 1.5, fillColor: '#2171b5',
        fillOpacity: 0.9, className: 'resource-marker'})
        .bindPopup('<b>' + esc(r.name) + '</b><br>' + esc(r.kind) + '（位置精度: ' + esc(r.precision) + '）').addTo(group);
    });
    cat.candidates.forEach(function (c) {
      L.circleMarker([c.lat, c.lng], {radius: 7, color: '#e66101', weight: 3, fillColor: '#ffffff',
        fillOpacity: 0.9, className: 'candidate-marker'})
        .bindPopup('<b>候補: ' + esc(c.name) + '</b><br>' + esc(c.reason)).addTo(group);
    });
    var name = esc(cat.label) + '（空白 ' + cat.gaps + '）';
    base[name] = group;
    if (ci === D.initial) { group.addTo(map); }
  });
  L.control.layers(base, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  map.fitBounds(outline.getBounds(), {padding: [10, 10]});
  var legend = L.control({position: 'bottomleft'});
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'legend');
    div.innerHTML = Object.keys(D.styles).map(function (k) {
      return '<i style="background:' + D.styles[k].fill + '"></i>' + esc(D.styles[k].label);
    }).join('<br>') + '<br><i class="dot res"></i>数えた資源<br><i class="dot cand"></i>開発候補';
    return div;
  };
  legend.addTo(map);
  document.body.setAttribute('data-gapmap', 'ready');
})();
"""

_PAGE_CSS = """
html, body { height: 100%; margin: 0; font-family: sans-serif; }
#head { padding: 4px 10px; font-size: 15px; background: #f4f4f4; border-bottom: 1px solid #ccc; }
#map { position: absolute; top: 30px; bottom: 0; left: 0; right: 0; background: #fafafa; }
.legend { background: #fff; padding: 6px 8px; font-size: 12px; line-height: 18px; border-radius: 4px; }
.legend i { width: 14px; height: 14px; float: left; margin-right: 6px; opacity: 0.8; }
.legend i.dot { border-radius: 50%; width: 10px; height: 10px; margin: 3px 8px 0 2px; }
.legend i.res { background: #2171b5; border: 1px solid #08306b; }
.legend i.cand { background: #fff; border: 3px solid #e66101; width: 6px; height: 6px; }
.leaflet-control-layers-base label { font-size: 12px; }
"""


def render_map(result: GapResult, *, tiles: tuple[str, str] | None = None) -> str:
    """The HTML page (a string). *tiles* = (URL template, attribution) for an online background."""
    js, css = leaflet_assets()
    data = _payload(result, tiles)
    title = html.escape(data["title"])
    stamp = html.escape(result.generated_at.isoformat())
    return (
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title}</title><style>{css}</style><style>{_PAGE_CSS}</style></head><body>"
        f"<div id=\"head\">{title} — 作成 {stamp}、版 {result.revision}</div><div id=\"map\"></div>"
        f"<script>{js}</script><script>window.GAPMAP = {_script_json(data)};</script>"
        f"<script>{_APP_JS}</script></body></html>\n"
    )


def write_map(result: GapResult, path: str | Path, *, tiles: tuple[str, str] | None = None) -> Path:
    path = Path(path)
    path.write_text(render_map(result, tiles=tiles), encoding="utf-8")
    return path
