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
(``gap-unit`` …) so a browser test can find the rendered gap layer. The page is the template
``templates/gap_map.html``; the analysis reaches its script as a JSON element
(:func:`resourcemap.render.script_json`), and the script escapes every name it puts into a popup.
"""
from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..geo import boundary, chome_units
from ..labels import KIND_LABELS, PRECISION_LABELS, jst
from ..opendata.site import contact_text
from ..render import Markup, render, static_text
from .analysis import GapResult, unmet_tally
from .export import geometry_json, json_safe, status_of

__all__ = ["render_map", "write_map", "STATUS_STYLE", "UNIT_LABELS", "leaflet_assets"]

#: The units of analysis as a person calls them.
UNIT_LABELS = {"chome": "町丁目", "area": "エリア", "mesh500": "500m メッシュ", "mesh1km": "1km メッシュ"}

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


def _payload(result: GapResult, tiles: tuple[str, str] | None, landmarks: list[dict[str, Any]]) -> dict[str, Any]:
    f = result.units.frame
    units = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geometry_json(g),
         "properties": {"i": i, "unit_id": str(uid), "name": str(name), "area": result.areas.names.get(aid, "")}}
        for i, (uid, name, aid, g) in enumerate(zip(f["unit_id"], f["name"], f["area_id"], f.geometry))]}
    cats = []
    n = len(f)
    for k, info in enumerate(result.categories):
        part = result.table.iloc[k * n:(k + 1) * n]
        rows: list[dict[str, Any]] = []
        cand_nodes: dict[str, dict[str, Any]] = {}
        for rec in part.to_dict("records"):
            cands = result.candidates.get((rec["unit_id"], info.id), [])
            for c in cands:
                if c.lat is not None and c.basis != "coordinator":
                    cand_nodes.setdefault(c.id, {"id": c.id, "name": c.name, "kind": KIND_LABELS.get(c.kind, c.kind),
                                                 "lat": c.lat, "lng": c.lng, "reason": c.reason,
                                                 "precision": PRECISION_LABELS.get(c.precision, c.precision),
                                                 "contact": c.contact})
            rows.append({"s": status_of(rec), "n": json_safe(rec["nearest_m"]), "c": int(rec["count_within"]),
                         "sh": json_safe(rec["share_covered"]), "u": result.unmet_label(unmet_tally(rec)) if rec["unmet"] else "",
                         "k": [f"{c.name}（{c.reason}）" for c in cands]})
        cats.append({
            "id": info.id, "label": info.label, "threshold": info.threshold_m, "measure": info.measure,
            "status_label": info.status_label,
            "gaps": int(part["gap"].sum()), "unlocated": [n_.name for n_ in info.unlocated],
            "resources": [{"id": r.id, "name": r.name, "kind": KIND_LABELS.get(r.kind, r.kind), "lat": r.lat,
                           "lng": r.lng, "precision": PRECISION_LABELS.get(r.location_precision, r.location_precision),
                           "contact": contact_text(r)}
                          for r in info.resources if r.located],
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
    base = {"boundary": geometry_json(boundary(result.city.code)), "areas": area_polys,
            "chome": [{"name": c.town, "lat": round(c.lat, 6), "lng": round(c.lng, 6)}
                      for c in chome_units(result.city.code)],
            "landmarks": landmarks, "tiles": {"url": tiles[0], "attribution": tiles[1]} if tiles else None}
    return {
        "title": f"{result.city.name} 社会資源の空白地図（{UNIT_LABELS.get(result.units.kind, result.units.kind)}）",
        "base": base, "units": units, "categories": cats, "initial": initial,
        "styles": {s: {"cls": v[0], "fill": v[1], "label": v[2]} for s, v in STATUS_STYLE.items()},
        "attribution": result.attribution,
    }




def render_map(result: GapResult, *, tiles: tuple[str, str] | None = None,
               landmarks: list[dict[str, Any]] | None = None, page: dict[str, Any] | None = None) -> str:
    """The HTML page (a string). *tiles* = (URL template, attribution) for an online background;
    *landmarks* = public facilities for the offline base (:func:`resourcemap.basemap.landmarks`).

    Without *page* the page is one self-contained file (scripts and styles inlined, for the CLI);
    with *page* (the served page's person, city and CSRF token) it links them from ``/static``.
    """
    data = _payload(result, tiles, landmarks or [])
    common = {"title": data["title"], "generated_at": jst(result.generated_at), "revision": result.revision,
              "data": data}
    if page is not None:
        return render("gap_map.html", linked=True, current="map", **page, **common)
    js, css = leaflet_assets()
    inline = {"leaflet_js": Markup(js), "leaflet_css": Markup(css), "page_css": static_text("basemap.css") + static_text("gapmap.css"),
              "scripts": static_text("js/basemap.js") + static_text("js/gapmap.js")}
    return render("gap_map.html", linked=False, inline=inline, **common)


def write_map(result: GapResult, path: str | Path, *, tiles: tuple[str, str] | None = None,
              landmarks: list[dict[str, Any]] | None = None) -> Path:
    path = Path(path)
    path.write_text(render_map(result, tiles=tiles, landmarks=landmarks), encoding="utf-8")
    return path
