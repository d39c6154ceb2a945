"""Views of the agency network: one JSON bundle, CSV/JSON tables, an interactive pyvis page, a report section.

Why one bundle (:func:`network_data`): the CLI (``resourcemap network``), the API
(``GET /v1/network``), the HTML page, the tables and the meeting-report section all show the same
analyses of :mod:`resourcemap.network.analysis`; building them once keeps the five outputs in step.

The HTML page is built with pyvis (nodes, edges, options) and rendered through our own template
(``templates/network.html``) that inlines vis-network's JS/CSS from the pyvis package's own ``lib/`` folder —
pyvis's default template links Bootstrap and vis-network from CDNs, which a 庁内 network without
internet access (or a file opened from a USB stick) cannot load.
"""
from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from ..cities import resolve_city
from ..errors import NotFound
from ..io.fields import spreadsheet_text
from ..labels import EDGE_LABELS as _EDGES
from ..labels import KIND_LABELS as _KINDS
from ..render import Markup, Section, render, static_text
from . import analysis as an

__all__ = ["KIND_LABELS", "EDGE_LABELS", "BUNYA_COLOURS", "network_data", "network_tables", "write_tables",
           "network_html", "network_report_fragment", "network_report_section", "gap_report_section",
           "write_network", "vis_dir"]

#: Japanese names of node kinds (legend, tables) and of the "works with" edge kinds (edge labels).
KIND_LABELS: dict[str, str] = {k: v for k, v in _KINDS.items() if k not in ("area", "municipality")}
EDGE_LABELS: dict[str, str] = {k: v for k, v in _EDGES.items() if k not in ("located_in", "covers", "part_of")}
#: Okabe–Ito colours (readable with colour-vision differences) per 分野; 複数 for several, なし for none.
BUNYA_COLOURS: dict[str, str] = {
    "高齢": "#E69F00", "障害": "#56B4E9", "子ども": "#009E73", "困窮": "#D55E00", "全世代": "#CC79A7",
    "複数": "#F0E442", "なし": "#BBBBBB",
}
_SHAPES = {"agency": "dot", "hub": "square", "place": "triangle", "subsidy_group": "triangleDown",
           "coordinator": "star", "department": "diamond", "meeting": "hexagon", "program": "dot"}
_SYMBOLS = {"agency": "●", "hub": "■", "place": "▲", "subsidy_group": "▼", "coordinator": "★", "department": "◆",
            "meeting": "⬢", "program": "◌"}  # how the legend draws each shape
_REFER_CATEGORY = "consult"
_MISSING = {"no_coordinator": "（区域のコーディネーターがいない）", "unreachable": "（つながりのある相談機関がない）"}  # referral tables name the 相談機関 to connect to


# -- the bundle ---------------------------------------------------------------------------------------
def _name(graph: nx.MultiDiGraph, node_id: str) -> str:
    return graph.nodes[node_id]["node"].name


def _ref(graph: nx.MultiDiGraph, node_id: str) -> dict[str, str]:
    n = graph.nodes[node_id]["node"]
    return {"id": n.id, "name": n.name, "kind": n.kind}


def _ordered(labels: Iterable[str], order: tuple[str, ...]) -> list[str]:
    s = set(labels)
    return [x for x in order if x in s] + sorted(s - set(order))


def _referrals(graph: nx.MultiDiGraph, areas: list, collab: nx.Graph) -> list[dict[str, Any]]:
    """One row per area × 分野: the nearest 相談機関 from the area's coordinator, or why there is none."""
    rows = []
    for area in areas:
        has_coordinator = bool(an.area_coordinators(graph, area.id))
        for bunya in an.BUNYA:
            found = an.referral_paths(graph, area.id, bunya, limit=1, category=_REFER_CATEGORY, collab=collab)
            r = found[0] if found else None
            rows.append({
                "area_id": area.id, "area": area.name, "bunya": bunya,
                "missing": None if r else ("no_coordinator" if not has_coordinator else "unreachable"),
                "coordinator": _ref(graph, r.coordinator) if r else None,
                "target": _ref(graph, r.target) if r else None,
                "hops": r.hops if r else None,
                "path": [{"source": s.source, "target": s.target,
                          "relations": [{"kind": k, "forward": f} for k, f in s.relations]} for s in r.steps]
                if r else [],
            })
    return rows


def network_data(graph: nx.MultiDiGraph, city: str, *, level: str | None = None) -> dict[str, Any]:
    """Nodes, edges and every analysis of one municipality's network, as JSON-ready data.

    ``nodes`` are the collaboration graph's actors with their 分野, pillars, served areas, betweenness
    and component; ``edges`` the catalogue edges that count as "works with"; ``metrics`` the analyses.
    """
    code = an.require_city(graph, city)
    areas = an.area_nodes(graph, code, level)
    collab = an.collaboration_graph(graph, code)
    bc = an.betweenness(collab)  # once (O(VE)); the agency/department ranking below filters it
    comps = an.silos(collab, graph)
    comp_of = {n: i for i, s in enumerate(comps) for n in s.nodes}
    seps = an.bunya_separators(collab, graph)
    sep_of = {s.node_id: s for s in seps}
    suishin = set(an.suishin_departments(graph, code))
    nodes = []
    for nid in sorted(collab.nodes):
        n = collab.nodes[nid]["node"]
        nodes.append({
            "id": nid, "name": n.name, "kind": n.kind,
            "fields": _ordered(an.node_bunya(graph, nid), an.BUNYA),
            "pillars": _ordered(an.node_pillars(graph, nid), an.FIVE_PILLARS),
            "areas": sorted(an.served_areas(graph, nid, areas)),
            "betweenness": round(bc.get(nid, 0.0), 6), "degree": collab.degree(nid),
            "component": comp_of[nid], "articulation": nid in sep_of,
            "cut_off": sep_of[nid].cut_off if nid in sep_of else 0,
            "splits_bunya": bool(sep_of[nid].split) if nid in sep_of else False, "suishin": nid in suishin,
            "role": n.role, "status": n.status,
        })
    edges = [{"id": key, "kind": kind, "source": s, "target": t}
             for _, _, rel in collab.edges(data="relations") for key, kind, s, t in rel]
    edges.sort(key=lambda e: e["id"])
    load = an.coordinator_load(graph, code, level=level)
    uncovered = an.uncovered_areas(graph, code, level=level)
    coverage = {by: [{"area_id": c.area_id, "area": _name(graph, c.area_id), "column": c.column,
                      "status": c.status, "local": list(c.local), "citywide": list(c.citywide)}
                     for c in an.coverage_matrix(graph, code, by=by, level=level)]
                for by in ("bunya", "pillar")}
    metrics = {
        "summary": {
            "nodes": collab.number_of_nodes(), "edges": collab.number_of_edges(),
            "components": len(comps), "largest_component": len(comps[0].nodes) if comps else 0,
            "isolated": sum(1 for s in comps if len(s.nodes) == 1),
            "articulation_points": len(seps), "bunya_separators": sum(1 for s in seps if s.split),
            "areas": len(areas), "uncovered_areas": len(uncovered),
            "coverage_holes": {by: sum(1 for c in cells if c["status"] == "empty") for by, cells in coverage.items()},
            "coordinators": len(load), "suishin_departments": len(suishin),
        },
        "components": [{"index": i, "size": len(s.nodes), "bunya": _ordered(s.bunya, an.BUNYA), "nodes": list(s.nodes)}
                       for i, s in enumerate(comps)],
        "separators": [{**_ref(graph, s.node_id), "parts": s.parts, "cut_off": s.cut_off,
                        "split": [list(p) for p in s.split]}
                       for s in seps],
        "bridges": [{"source": b.source, "target": b.target, "kinds": list(b.kinds), "cut_off": b.cut_off,
                     "split": [list(p) for p in b.split]} for b in an.bridges(collab, graph)],
        "betweenness": [{**_ref(graph, nid), "score": round(v, 6), "suishin": nid in suishin}
                        for nid, v in bc.items() if collab.nodes[nid]["node"].kind in ("agency", "department")],
        "coordinator_load": [{"id": c.coordinator_id, "name": c.name, "role": c.role, "staff": c.staff,
                              "areas": list(c.areas), "resources": len(c.resources),
                              "resources_per_staff": round(c.resources_per_staff, 2), "partners": list(c.partners)}
                             for c in load],
        "uncovered_areas": [_ref(graph, a) for a in uncovered],
        "coverage": coverage,
        "referrals": _referrals(graph, areas, collab),
    }
    city_obj = resolve_city(code)
    return {"city": {"code": code, "name": city_obj.name}, "level": areas[0].level if areas else None,
            "areas": [{"id": a.id, "name": a.name} for a in areas], "nodes": nodes, "edges": edges,
            "metrics": metrics}


# -- tables -------------------------------------------------------------------------------------------
def _names(index: dict[str, str], ids: Iterable[str]) -> str:
    return "|".join(index.get(i, i) for i in ids)


def network_tables(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The analyses as flat rows (one table per analysis), ids resolved to names for people."""
    idx = {n["id"]: n["name"] for n in data["nodes"]}
    idx.update({a["id"]: a["name"] for a in data["areas"]})
    m = data["metrics"]
    tables: dict[str, list[dict[str, Any]]] = {}
    for by in ("bunya", "pillar"):
        tables[f"coverage_{by}"] = [
            {"area_id": c["area_id"], "area": c["area"], "column": c["column"], "status": c["status"],
             "local_count": len(c["local"]), "citywide_count": len(c["citywide"]),
             "local": _names(idx, c["local"]), "citywide": _names(idx, c["citywide"])}
            for c in m["coverage"][by]]
    tables["coordinator_load"] = [
        {"id": c["id"], "name": c["name"], "role": c["role"], "staff": c["staff"], "areas": _names(idx, c["areas"]),
         "area_count": len(c["areas"]), "resources": c["resources"], "resources_per_staff": c["resources_per_staff"],
         "partners": _names(idx, c["partners"])} for c in m["coordinator_load"]]
    tables["uncovered_areas"] = [{"area_id": a["id"], "area": a["name"]} for a in m["uncovered_areas"]]
    tables["components"] = [{"index": c["index"], "size": c["size"], "bunya": "|".join(c["bunya"]),
                             "members": _names(idx, c["nodes"])} for c in m["components"]]
    tables["separators"] = [{"id": s["id"], "name": s["name"], "kind": s["kind"], "parts": s["parts"],
                             "cut_off": s["cut_off"],
                             "split": "|".join("×".join(p) for p in s["split"])} for s in m["separators"]]
    tables["bridges"] = [{"source": b["source"], "source_name": idx.get(b["source"]), "target": b["target"],
                          "target_name": idx.get(b["target"]), "kinds": "|".join(b["kinds"]), "cut_off": b["cut_off"],
                          "split": "|".join("×".join(p) for p in b["split"])} for b in m["bridges"]]
    tables["betweenness"] = [{"id": b["id"], "name": b["name"], "kind": b["kind"], "score": b["score"],
                              "suishin": b["suishin"]} for b in m["betweenness"]]
    tables["referrals"] = [
        {"area_id": r["area_id"], "area": r["area"], "bunya": r["bunya"],
         "coordinator": r["coordinator"]["name"] if r["coordinator"] else "",
         "target": r["target"]["name"] if r["target"] else "", "missing": r["missing"] or "",
         "hops": r["hops"] if r["hops"] is not None else "",
         "path": _path_text(idx, r["path"])} for r in m["referrals"]]
    return tables


def _path_text(idx: dict[str, str], path: list[dict[str, Any]]) -> str:
    """A chain as people read it: A →[委託]→ B ←[所属]← C."""
    if not path:
        return ""
    parts = [idx.get(path[0]["source"], path[0]["source"])]
    for step in path:
        rel = "・".join(EDGE_LABELS.get(r["kind"], r["kind"]) for r in step["relations"])
        forward = any(r["forward"] for r in step["relations"])
        parts.append(f" →[{rel}]→ " if forward else f" ←[{rel}]← ")
        parts.append(idx.get(step["target"], step["target"]))
    return "".join(parts)


def write_tables(data: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write ``network.json`` (the whole bundle) and one CSV per table (UTF-8 with BOM, for Excel)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "network.json"]
    written[0].write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, rows in network_tables(data).items():
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            fields = list(rows[0]) if rows else ["(none)"]
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows({k: spreadsheet_text(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows)
        written.append(path)
    return written


# -- the interactive page -----------------------------------------------------------------------------
def _colour(fields: list[str]) -> str:
    if not fields:
        return BUNYA_COLOURS["なし"]
    return BUNYA_COLOURS[fields[0]] if len(fields) == 1 else BUNYA_COLOURS["複数"]


def _tooltip(n: dict[str, Any], area_names: dict[str, str]) -> str:
    areas = "市全域" if an.CITYWIDE in n["areas"] else "、".join(area_names.get(a, a) for a in n["areas"])
    lines = [n["name"], f"種別: {KIND_LABELS.get(n['kind'], n['kind'])}" + (f"（{n['role']}）" if n["role"] else ""),
             f"分野: {'・'.join(n['fields']) or '—'}", f"柱: {'・'.join(n['pillars']) or '—'}", f"区域: {areas}",
             f"媒介中心性: {n['betweenness']:.3f}　つながり: {n['degree']}"]
    if n["articulation"]:
        lines.append(f"⚠ この組織が抜けると {n['cut_off']} 件が切り離されます")
    if n["suishin"]:
        lines.append("相談支援包括化推進員の配置部署")
    return "\n".join(lines)


def _pyvis_network(data: dict[str, Any]):
    """The pyvis Network: nodes coloured by 分野, shaped by kind, sized by betweenness; edges labelled."""
    from pyvis.network import Network

    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    area_names = {a["id"]: a["name"] for a in data["areas"]}
    top = max((n["betweenness"] for n in data["nodes"]), default=0.0) or 1.0
    for n in data["nodes"]:
        colour = _colour(n["fields"])
        major = n["cut_off"] > 1 or n["splits_bunya"]  # more than a single pendant organisation hangs on it
        net.add_node(
            n["id"], label=n["name"], shape=_SHAPES.get(n["kind"], "dot"),
            color={"background": colour, "border": "#C00000" if major else "#333333"},
            borderWidth=4 if major else 1,
            shapeProperties={"borderDashes": [4, 3]} if n["kind"] == "program" else {},
            size=round(10 + (6 if major else 0) + 30 * math.sqrt(n["betweenness"] / top), 1),
            title=_tooltip(n, area_names),
            kind=n["kind"], fields=n["fields"], pillars=n["pillars"], areas=n["areas"])
    pairs: dict[tuple[str, str], list[str]] = {}
    for e in data["edges"]:
        pairs.setdefault((e["source"], e["target"]), []).append(e["kind"])
    for (s, t), kinds in sorted(pairs.items()):
        label = "・".join(EDGE_LABELS.get(k, k) for k in sorted(set(kinds)))
        net.add_edge(s, t, label=label, title=label, kinds=sorted(set(kinds)))
    net.options = {
        "nodes": {"font": {"size": 12, "face": "sans-serif"}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "color": {"color": "#999999"},
                  "font": {"size": 9, "align": "middle", "color": "#555555"}, "smooth": False},
        "physics": {"solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 110},
                    "stabilization": {"enabled": True, "iterations": 300, "updateInterval": 50}},
        "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False},
    }
    return net


def vis_dir() -> Path:
    """The folder of vis-network's JS and CSS inside the installed pyvis package (served at ``/static/vis``)."""
    import pyvis

    return Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"


@lru_cache(maxsize=1)
def _vendored() -> tuple[str, str]:
    """vis-network's JS and CSS from the installed pyvis package (never a CDN)."""
    lib = vis_dir()
    return (lib / "vis-network.min.js").read_text(encoding="utf-8"), (lib / "vis-network.css").read_text(encoding="utf-8")


def network_html(data: dict[str, Any], *, page: dict[str, Any] | None = None) -> str:
    """A self-contained interactive page (no external requests) for the bundle of :func:`network_data`.

    The graph reaches the page's script as ``<script type="application/json">`` elements
    (:func:`resourcemap.render.script_json`), so no name in the catalogue can end or comment out a script.
    With *page* (the served page's person, city and CSRF token) scripts and styles are linked from
    ``/static`` instead of inlined.
    """
    net = _pyvis_network(data)
    nodes, edges, _, _, _, options = net.get_network_data()
    legend_kinds = [(k, KIND_LABELS[k], _SYMBOLS[k]) for k in KIND_LABELS]
    common = {
        "title": f"{data['city']['name']} 多機関協働ネットワーク", "level": data["level"] or "", "areas": data["areas"],
        "pillars": an.FIVE_PILLARS, "colours": BUNYA_COLOURS, "legend_kinds": legend_kinds,
        "summary": data["metrics"]["summary"], "report": network_report_fragment(data), "nodes": nodes, "edges": edges,
        "options": json.loads(options), "citywide": an.CITYWIDE}
    if page is not None:
        return render("network.html", linked=True, current="network", **{**page, "city": page["city"]}, **common)
    js, css = _vendored()
    inline = {"vis_js": Markup(js), "vis_css": Markup(css), "page_css": static_text("network.css"),
              "scripts": static_text("js/network.js")}
    return render("network.html", linked=False, inline=inline, city=data["city"], **common)


# -- the meeting-report section -------------------------------------------------------------------------
def _report_context(data: dict[str, Any], top: int) -> dict[str, Any]:
    idx = {n["id"]: n["name"] for n in data["nodes"]}
    idx.update({a["id"]: a["name"] for a in data["areas"]})
    m, s = data["metrics"], data["metrics"]["summary"]
    return {
        "city": data["city"],
        "facts": [
            f"組織・事業 {s['nodes']} 件、「一緒に動く」組み合わせ {s['edges']} 組。つながりのまとまり {s['components']} 個"
            f"（最大 {s['largest_component']} 件、孤立 {s['isolated']} 件）。",
            f"抜けると分断が起きる組織（関節点） {s['articulation_points']} 件、うち分野間のつながりを断つもの "
            f"{s['bunya_separators']} 件。",
            f"コーディネーター {s['coordinators']} 件（相談支援包括化推進員の配置部署 {s['suishin_departments']} 件）。"
            f"担当のいない区域 {s['uncovered_areas']} / {s['areas']}。",
            f"空白のセル: 区域×分野 {s['coverage_holes']['bunya']} 件、区域×柱 {s['coverage_holes']['pillar']} 件。",
        ],
        "uncovered": [[a["name"]] for a in m["uncovered_areas"]],
        "separators": [[x["name"], KIND_LABELS.get(x["kind"], x["kind"]), x["cut_off"], x["parts"],
                        "、".join("×".join(p) for p in x["split"]) or "—"] for x in m["separators"][:top]],
        "betweenness": [[b["name"], KIND_LABELS.get(b["kind"], b["kind"]), f"{b['score']:.3f}", "○" if b["suishin"] else ""]
                        for b in m["betweenness"][:top]],
        "holes": [[c["area"], c["column"]] for by in ("bunya", "pillar") for c in m["coverage"][by] if c["status"] == "empty"],
        "load": [[c["name"], c["staff"], len(c["areas"]), c["resources"], c["resources_per_staff"], len(c["partners"])]
                 for c in m["coordinator_load"]],
        "referrals": [[r["area"], r["bunya"], r["target"]["name"] if r["target"] else _MISSING[r["missing"]],
                       r["hops"] if r["hops"] is not None else "—", _path_text(idx, r["path"])] for r in m["referrals"]],
    }


def network_report_fragment(data: dict[str, Any], *, top: int = 10) -> Markup:
    """The findings of the bundle as an HTML fragment (escaped), for the page and the meeting report."""
    return Markup(render("network_report.html", section=False, **_report_context(data, top)))


def network_report_section(graph: nx.MultiDiGraph, city: str, *, level: str | None = None,
                           data: dict[str, Any] | None = None) -> Markup:
    """An HTML ``<section>`` for any report: the findings under the municipality's title."""
    data = data or network_data(graph, city, level=level)
    return Markup(render("network_report.html", section=True, **_report_context(data, 10)))


def gap_report_section(graph: nx.MultiDiGraph) -> Callable[[Any], Section | None]:
    """An ``extra_sections`` entry for the gap meeting report (:func:`resourcemap.gaps.report.render_report`):
    a callable ``fn(result) -> Section`` adding this analysis for the report's municipality.

    Why a factory: a gap result carries the city but not the graph.
    """
    def section(result: Any) -> Section | None:
        try:
            data = network_data(graph, result.city.code)
        except NotFound:  # nothing of this city in the catalogue: the gap report stands on its own
            return None
        return Section(title="多機関協働ネットワーク（誰と誰がつながっているか）",
                       html=network_report_fragment(data), anchor="network")

    return section


def write_network(graph: nx.MultiDiGraph, city: str, out_dir: str | Path, *,
                  level: str | None = None) -> tuple[dict[str, Any], list[Path]]:
    """Everything for one municipality into *out_dir*: network.html, network.json, CSV tables."""
    data = network_data(graph, city, level=level)
    out = Path(out_dir)
    written = write_tables(data, out)
    page = out / "network.html"
    page.write_text(network_html(data), encoding="utf-8")
    return data, [page, *written]
