"""Network analyses for 多機関協働: who works with whom, what each area lacks, where the silos are.

Why pure functions over the read model's graph: the 相談支援包括化推進会議 and the 重層的支援会議 ask
small, separate questions (「どの圏域に何がないか」「誰が抜けると分野がつながらなくなるか」「どこにつなぐか」);
each is one function over ``ReadModel.graph`` (a MultiDiGraph whose node attribute ``node`` is a
:class:`~resourcemap.model.Node` and whose edges are keyed by edge id with attributes ``kind``/``edge``),
so the CLI, the API, the HTML view and the tests all call the same code and nothing here reads a store.

Decisions, written once here (docs/network.md explains them for users):

* **分野 of a node** (:func:`node_bunya`): its ``targets.fields``, the 分野 of its own legal program code,
  and — for departments, coordinators and meetings, which carry no ``targets`` — the 分野 of the
  programs they manage (``managed_by``), implement (``implements``) or commission (edge ``program``).
  全世代 is a 分野 of its own: a 全世代 resource fills the 全世代 column, not every column.
* **Pillar of a node** (:func:`node_pillars`): the five pillars of 法第106条の4 reached through program
  codes (:data:`resourcemap.model.PILLAR_OF_CODE`) — its own ``program``, programs it implements,
  runs, operates or is commissioned/subsidised for. 支援プランの作成 (code 6) is part of 多機関協働;
  独自事業 count under the pillar the plan files them in (the program node's ``pillar``), if any.
* **Which areas a node serves** (:func:`served_areas`): areas tied to it by ``area_id``,
  ``located_in`` (also through the hub it sits in) or ``covers``; an area of another level counts when
  the two share a 町丁目. ``covers`` → municipality, a 市全域 area, or no area tie at all means the
  node serves the whole municipality (市全域) — a single office serving every area.
* **"Works with"** (:data:`WORKS_WITH`): 連携 (collaborates), 委託 (commissions), 補助 (subsidizes),
  所属 (affiliated_with), 会議への参加 (participates_in: the meeting is kept as a node, so a meeting that
  alone joins two 分野 shows up as a single point of failure), 開催・実施 (runs), 運営 (operates),
  所管 (managed_by) and 実施 (implements, through the program node: those who carry the same program
  work together under its 所管課). Left out: part_of (an org chart says who reports to whom, not who
  works with whom — the 縦割り the plans worry about lives exactly there), located_in and covers
  (geography, not collaboration), and the area and municipality nodes (the 市 would join everyone).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Iterable, Mapping

import networkx as nx

from ..cities import resolve_city
from ..errors import InputError, NotFound
from ..model import BUNYA_OF_CODE, PILLAR_OF_CODE, RESOURCE_KINDS, Node
from ..taxonomy import expand_category

__all__ = [
    "BUNYA", "FIVE_PILLARS", "WORKS_WITH", "ACTOR_KINDS", "CITYWIDE",
    "city_code", "require_city", "node_bunya", "node_pillars", "area_nodes", "served_areas",
    "SERVER_KINDS", "CoverageCell", "coverage_matrix", "coverage_holes",
    "CoordinatorLoad", "area_coordinators", "coordinator_load", "uncovered_areas",
    "collaboration_graph", "Silo", "silos", "Separator", "bunya_separators", "Bridge", "bridges",
    "betweenness", "SUISHIN_ROLE", "suishin_departments",
    "Step", "Referral", "referral_paths",
]

#: The 分野 columns, in the order the plans list them.
BUNYA: tuple[str, ...] = ("高齢", "障害", "子ども", "困窮", "全世代")
#: The five pillars of 重層的支援体制整備事業 (法第106条の4第2項).
FIVE_PILLARS: tuple[str, ...] = ("包括的相談支援", "参加支援", "地域づくり", "アウトリーチ等を通じた継続的支援", "多機関協働")
#: Edge kinds that mean "works with" in the collaboration graph (see the module docstring).
WORKS_WITH: frozenset[str] = frozenset({"collaborates", "commissions", "subsidizes", "affiliated_with",
                                        "participates_in", "runs", "operates", "managed_by", "implements"})
#: Node kinds that take part in the collaboration graph.
ACTOR_KINDS: frozenset[str] = frozenset({"agency", "department", "hub", "place", "subsidy_group", "coordinator",
                                         "meeting", "program"})
#: The coordinator role placed in each department for 多機関協働 (府中市: 26 departments).
SUISHIN_ROLE = "相談支援包括化推進員"
#: The pseudo-area of :func:`served_areas` for "the whole municipality".
CITYWIDE = "*"

_PILLAR_ALIASES = {"支援プランの作成": "多機関協働"}
_PROGRAM_EDGES_OUT = ("implements", "runs", "operates")
_FUND_EDGES = ("commissions", "subsidizes")


# -- small helpers --------------------------------------------------------------------------------
def city_code(city: str) -> str:
    """A municipality name, slug or code → its 5-digit code (raises NotFound with the known ones)."""
    return resolve_city(city).code


def require_city(graph: nx.MultiDiGraph, city: str) -> str:
    """The city's code, or NotFound when the catalogue holds nothing of it (so views are never silently empty)."""
    from ..queries import held_city

    held = {node.city for _, node in graph.nodes(data="node") if node.kind == "municipality"}
    return held_city(city, held, lambda code: any(node.city == code for _, node in graph.nodes(data="node")))


def _node(graph: nx.MultiDiGraph, node_id: str) -> Node:
    return graph.nodes[node_id]["node"]


def _out(graph: nx.MultiDiGraph, node_id: str, kind: str) -> list[str]:
    return [t for _, t, k in graph.out_edges(node_id, data="kind") if k == kind]


def _in(graph: nx.MultiDiGraph, node_id: str, kind: str) -> list[str]:
    return [s for s, _, k in graph.in_edges(node_id, data="kind") if k == kind]


def _city_ids(graph: nx.MultiDiGraph, code: str, kinds: Iterable[str] | None = None) -> list[str]:
    wanted = frozenset(kinds) if kinds is not None else None
    return sorted(n for n, node in graph.nodes(data="node")
                  if node.city == code and (wanted is None or node.kind in wanted))


def _program_codes(graph: nx.MultiDiGraph, node_id: str) -> list[tuple[str, str | None]]:
    """(code, pillar the plan files it under) of every program tied to the node, its own first."""
    n = _node(graph, node_id)
    found: list[tuple[str, str | None]] = []
    if n.program:
        found.append((n.program, n.pillar if n.kind == "program" else None))
    for kind in _PROGRAM_EDGES_OUT:
        for t in _out(graph, node_id, kind):
            p = _node(graph, t)
            if p.kind == "program" and p.program:
                found.append((p.program, p.pillar))
    for kind in _FUND_EDGES:
        for _, _, e in graph.in_edges(node_id, data="edge"):
            if e.kind == kind and e.program:
                found.append((e.program, None))
    return found


# -- 分野 and pillars ---------------------------------------------------------------------------------
def node_bunya(graph: nx.MultiDiGraph, node_id: str) -> frozenset[str]:
    """The 分野 a node serves or works in (see the module docstring for the inference rules).

    >>> from resourcemap.model import Node, Edge
    >>> from resourcemap.graph.readmodel import ReadModel
    >>> dept = Node(id="d", kind="department", name="高齢者支援課", city="13206", source="public")
    >>> prog = Node(id="p", kind="program", name="包括", program="1-i", city="13206", source="public")
    >>> g = ReadModel.from_objects([dept, prog], [Edge(kind="managed_by", source="p", target="d")]).graph
    >>> sorted(node_bunya(g, "d"))
    ['高齢']
    """
    n = _node(graph, node_id)
    out: set[str] = set(n.targets.fields)
    if n.program in BUNYA_OF_CODE:
        out.add(BUNYA_OF_CODE[n.program])
    if n.kind in ("department", "coordinator", "meeting", "municipality") and not out:
        programs = _in(graph, node_id, "managed_by") + _out(graph, node_id, "implements") + _out(graph, node_id, "runs")
        for p in programs:
            pn = _node(graph, p)
            if pn.kind == "program":
                out.update(pn.targets.fields)
                if pn.program in BUNYA_OF_CODE:
                    out.add(BUNYA_OF_CODE[pn.program])
        for _, _, e in graph.out_edges(node_id, data="edge"):
            if e.kind in _FUND_EDGES and e.program in BUNYA_OF_CODE:
                out.add(BUNYA_OF_CODE[e.program])
    return frozenset(out)


def _pillar(code: str, filed_under: str | None) -> str | None:
    pillar = PILLAR_OF_CODE.get(code)
    if code == "other":
        pillar = filed_under
    pillar = _PILLAR_ALIASES.get(pillar or "", pillar)
    return pillar if pillar in FIVE_PILLARS else None


def node_pillars(graph: nx.MultiDiGraph, node_id: str) -> frozenset[str]:
    """The pillars (of :data:`FIVE_PILLARS`) a node takes part in through program codes."""
    return frozenset(p for code, filed in _program_codes(graph, node_id) if (p := _pillar(code, filed)))


# -- areas --------------------------------------------------------------------------------------------
def area_nodes(graph: nx.MultiDiGraph, city: str, level: str | None = None) -> list[Node]:
    """The city's areas at *level* (default: the municipality's ``primary_area_level``, else the
    most common level), in name order."""
    code = city_code(city)
    areas = [_node(graph, a) for a in _city_ids(graph, code, ("area",))]
    if level is not None and level not in {a.level for a in areas}:
        known = "、".join(sorted({a.level for a in areas if a.level})) or "（区域なし）"
        raise InputError(f"区域の階層 {level!r} は {resolve_city(code).name} にありません。使えるのは: {known}")
    if level is None:
        munis = [_node(graph, m) for m in _city_ids(graph, code, ("municipality",))]
        levels = [a.level or "" for a in areas]
        level = next((m.primary_area_level for m in munis if m.primary_area_level in levels), None)
        if level is None and levels:
            level = max(sorted(set(levels)), key=levels.count)
    return sorted((a for a in areas if a.level == level), key=lambda a: (a.name, a.id))


def _area_ties(graph: nx.MultiDiGraph, node_id: str) -> tuple[set[str], bool]:
    """Area ids tied to the node (by ``area_id``, ``located_in``, ``covers``, or through the hub it sits
    in), and whether it is tied to the whole municipality (``covers`` → municipality or a 市全域 area)."""
    n = _node(graph, node_id)
    areas: set[str] = set()
    citywide = False
    hubs = []
    if n.area_id and n.area_id in graph:
        areas.add(n.area_id)
    for kind in ("located_in", "covers"):
        for t in _out(graph, node_id, kind):
            tk = _node(graph, t).kind
            if tk == "area":
                areas.add(t)
            elif tk == "municipality":
                citywide = True
            elif tk == "hub":
                hubs.append(t)
    for h in hubs:  # a department or office inside a hub serves where the hub is
        hn = _node(graph, h)
        if hn.area_id and hn.area_id in graph:
            areas.add(hn.area_id)
        areas.update(t for t in _out(graph, h, "located_in") if _node(graph, t).kind == "area")
    whole = {a for a in areas if _node(graph, a).level == "市全域"}
    return areas - whole, citywide or bool(whole)


def served_areas(graph: nx.MultiDiGraph, node_id: str, areas: Iterable[Node]) -> frozenset[str]:
    """Which of *areas* the node serves; ``{CITYWIDE}`` when it serves the whole municipality.

    A tie to an area of another level counts for every area sharing a 町丁目 with it; a 市全域 area,
    ``covers`` → municipality, or no tie at all mean the whole municipality.
    """
    ties, citywide = _area_ties(graph, node_id)
    if citywide or not ties:
        return frozenset({CITYWIDE})
    chome_of = [set(_node(graph, t).chome) for t in ties]
    return frozenset(a.id for a in areas if a.id in ties or any(c & set(a.chome) for c in chome_of))


def _coordinated_areas(graph: nx.MultiDiGraph, coordinator_id: str, areas: list[Node]) -> list[str]:
    """The areas a coordinator covers. Unlike a resource, a coordinator with no area tie covers nothing:
    only an explicit tie says someone is placed to 「つなぐ」 there."""
    ties, citywide = _area_ties(graph, coordinator_id)
    if not ties and not citywide:
        return []
    served = served_areas(graph, coordinator_id, areas)
    return [a.id for a in areas if CITYWIDE in served or a.id in served]


# -- coverage matrix ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageCell:
    """One cell of the coverage matrix: the resources tied to the area and those serving the whole city."""

    area_id: str
    column: str
    local: tuple[str, ...]
    citywide: tuple[str, ...]

    @property
    def status(self) -> str:
        """``local`` (something in the area), ``citywide`` (only 市全域 offices) or ``empty`` (a finding)."""
        return "local" if self.local else "citywide" if self.citywide else "empty"


def _delivered_programs(graph: nx.MultiDiGraph, node_id: str) -> list[str]:
    """Programs this department/municipality manages and nobody else carries: it delivers them itself (直営).

    The seeds rarely state 実施方式, so "no implementer, no 委託/補助 for that code" stands for 直営.
    """
    funded = {e.program for _, _, e in graph.out_edges(node_id, data="edge") if e.kind in _FUND_EDGES}
    out = []
    for p in _in(graph, node_id, "managed_by"):
        pn = _node(graph, p)
        carried = any(k in _PROGRAM_EDGES_OUT for _, _, k in graph.in_edges(p, data="kind"))
        if pn.kind == "program" and not carried and pn.program not in funded:
            out.append(p)
    return out


def _service_labels(graph: nx.MultiDiGraph, node_id: str, by: str) -> frozenset[str]:
    """分野 or pillars under which a node serves residents (a department only for what it delivers)."""
    label_of = node_bunya if by == "bunya" else node_pillars
    if _node(graph, node_id).kind in ("department", "municipality"):
        return frozenset().union(*(label_of(graph, p) for p in _delivered_programs(graph, node_id)))
    labels = label_of(graph, node_id)
    if by == "bunya" and not labels:
        labels = frozenset({"全世代"})  # no restriction on who may come
    return labels


#: Who can serve a cell: resources, coordinators, and offices delivering their own programs.
SERVER_KINDS: frozenset[str] = RESOURCE_KINDS | {"coordinator", "department", "municipality"}


def coverage_matrix(graph: nx.MultiDiGraph, city: str, *, by: str = "bunya",
                    level: str | None = None) -> list[CoverageCell]:
    """Area × 分野 (``by="bunya"``) or area × pillar (``by="pillar"``): who serves each cell.

    Servers are the resources a household can be referred to (agency, hub, place, subsidy_group),
    coordinators (for the programs they implement) and departments or the 市 for programs they
    deliver themselves (:func:`_delivered_programs`); inactive/defunct nodes are left out. Cells come
    row by row (areas in name order), columns in :data:`BUNYA` / :data:`FIVE_PILLARS` order.
    """
    if by not in ("bunya", "pillar"):
        raise InputError(f"by は 'bunya'（分野）か 'pillar'（柱）です（指定: {by!r}）")
    code = city_code(city)
    areas = area_nodes(graph, code, level)
    columns = BUNYA if by == "bunya" else FIVE_PILLARS
    local: dict[tuple[str, str], list[str]] = {}
    citywide: dict[str, list[str]] = {}
    for rid in _city_ids(graph, code, SERVER_KINDS):
        if _node(graph, rid).status in ("inactive", "defunct"):
            continue
        labels = _service_labels(graph, rid, by) & set(columns)
        if not labels:
            continue
        served = served_areas(graph, rid, areas)
        for col in labels:
            if CITYWIDE in served:
                citywide.setdefault(col, []).append(rid)
            for a in served - {CITYWIDE}:
                local.setdefault((a, col), []).append(rid)
    return [CoverageCell(a.id, col, tuple(local.get((a.id, col), ())), tuple(citywide.get(col, ())))
            for a in areas for col in columns]


def coverage_holes(cells: Iterable[CoverageCell], *, strict: bool = False) -> list[CoverageCell]:
    """The empty cells (no resource at all); with ``strict`` also the cells served only 市全域."""
    return [c for c in cells if c.status == "empty" or (strict and c.status == "citywide")]


# -- coordinators -------------------------------------------------------------------------------------
def area_coordinators(graph: nx.MultiDiGraph, area_id: str) -> list[str]:
    """Coordinators covering the area: tied to it (covers/located_in/area_id) or to the whole municipality."""
    if area_id not in graph or _node(graph, area_id).kind != "area":
        raise NotFound(f"区域 {area_id!r} はありません。`resourcemap nodes --kind area` で区域 id を確認してください。")
    area = _node(graph, area_id)
    return [c for c in _city_ids(graph, area.city, ("coordinator",)) if _coordinated_areas(graph, c, [area])]


@dataclass(frozen=True)
class CoordinatorLoad:
    """What one coordinator role carries: its areas, the resources in them, the organisations it works with."""

    coordinator_id: str
    name: str
    role: str
    staff: int
    areas: tuple[str, ...]
    resources: tuple[str, ...]
    partners: tuple[str, ...]

    @property
    def resources_per_staff(self) -> float:
        return len(self.resources) / self.staff


def coordinator_load(graph: nx.MultiDiGraph, city: str, *, level: str | None = None) -> list[CoordinatorLoad]:
    """Per coordinator: areas covered, resources serving those areas, agencies/departments it works with.

    ``staff`` is the node's ``count`` (a role the plan gives as "2名") or 1. A coordinator with no area
    tie has no areas (it is not counted as covering the city: only ``covers`` says so).
    """
    code = city_code(city)
    areas = area_nodes(graph, code, level)
    area_ids = [a.id for a in areas]
    serving: dict[str, set[str]] = {a: set() for a in area_ids}
    for rid in _city_ids(graph, code, RESOURCE_KINDS):
        served = served_areas(graph, rid, areas)
        for a in (area_ids if CITYWIDE in served else served):
            serving[a].add(rid)
    collab = collaboration_graph(graph, code)
    out = []
    for cid in _city_ids(graph, code, ("coordinator",)):
        c = _node(graph, cid)
        covered = _coordinated_areas(graph, cid, areas)
        resources = sorted(set().union(*(serving[a] for a in covered))) if covered else []
        partners = sorted(p for p in collab.neighbors(cid) if _node(graph, p).kind in ("agency", "department")) \
            if cid in collab else []
        out.append(CoordinatorLoad(cid, c.name, c.role or "", c.count or 1, tuple(covered), tuple(resources),
                                   tuple(partners)))
    return out


def uncovered_areas(graph: nx.MultiDiGraph, city: str, *, level: str | None = None) -> list[str]:
    """Areas (of *level*) that no coordinator covers — where nobody is placed to 「つなぐ」."""
    return [a.id for a in area_nodes(graph, city, level) if not area_coordinators(graph, a.id)]


# -- the collaboration graph -------------------------------------------------------------------------
def collaboration_graph(graph: nx.MultiDiGraph, city: str | None = None, *,
                        kinds: Iterable[str] = WORKS_WITH) -> nx.Graph:
    """The undirected "works with" graph over actors (see :data:`WORKS_WITH`, :data:`ACTOR_KINDS`).

    Node attribute ``node`` is the Node; edge attribute ``relations`` lists ``(edge id, kind, source,
    target)`` of every catalogue edge joining the two (parallel edges fold into one).
    """
    code = city_code(city) if city else None
    wanted = frozenset(kinds)
    g = nx.Graph()
    for nid, node in graph.nodes(data="node"):
        if node.kind in ACTOR_KINDS and (code is None or node.city == code):
            g.add_node(nid, node=node)
    for s, t, key, kind in graph.edges(keys=True, data="kind"):
        if kind in wanted and s in g and t in g:
            if not g.has_edge(s, t):
                g.add_edge(s, t, relations=[])
            g.edges[s, t]["relations"].append((key, kind, s, t))
    for _, _, rel in g.edges(data="relations"):
        rel.sort()
    return g


@dataclass(frozen=True)
class Silo:
    """A connected component of the collaboration graph: organisations that reach each other."""

    nodes: tuple[str, ...]
    bunya: frozenset[str]


def _labels(collab: nx.Graph, graph: nx.MultiDiGraph | None, nodes: Iterable[str]) -> dict[str, frozenset[str]]:
    """分野 per node (from the full catalogue graph when given, else from the node's own fields).

    Programs carry none: a program is a conduit between the organisations that carry it, not a
    place a 分野 lives — otherwise every hub would "separate" its own program from the rest.
    """
    def of(n: str) -> frozenset[str]:
        if collab.nodes[n]["node"].kind == "program":
            return frozenset()
        return node_bunya(graph, n) if graph is not None else frozenset(collab.nodes[n]["node"].targets.fields)

    return {n: of(n) for n in nodes}


def silos(collab: nx.Graph, graph: nx.MultiDiGraph | None = None) -> list[Silo]:
    """Connected components, largest first; each with the 分野 its members work in."""
    comps = sorted((sorted(c) for c in nx.connected_components(collab)), key=lambda c: (-len(c), c))
    labels = _labels(collab, graph, collab.nodes)
    return [Silo(tuple(c), frozenset().union(*(labels[n] for n in c))) for c in comps]


def _split_pairs(parts: list[set[str]], labels: Mapping[str, frozenset[str]]) -> tuple[tuple[str, str], ...]:
    """分野 pairs present in *parts* but never together in one part (order of :data:`BUNYA`)."""
    per_part = [frozenset().union(*(labels[n] for n in p)) for p in parts]
    present = frozenset().union(*per_part) if per_part else frozenset()
    order = [b for b in BUNYA if b in present] + sorted(present - set(BUNYA))
    return tuple((a, b) for a, b in combinations(order, 2) if not any(a in s and b in s for s in per_part))


@dataclass(frozen=True)
class Separator:
    """An articulation point. Without it the component falls into ``parts`` pieces; ``cut_off`` nodes
    end up outside the largest piece; ``split`` are the 分野 pairs that lose their last connection."""

    node_id: str
    parts: int
    cut_off: int
    split: tuple[tuple[str, str], ...]


def bunya_separators(collab: nx.Graph, graph: nx.MultiDiGraph | None = None) -> list[Separator]:
    """Every articulation point with what its loss would cut off.

    Sorted: most 分野 pairs separated first, then most nodes cut off, then most parts, then id.
    """
    labels = _labels(collab, graph, collab.nodes)
    out = []
    for v in nx.articulation_points(collab):
        comp = nx.node_connected_component(collab, v) - {v}
        parts = [set(c) for c in nx.connected_components(collab.subgraph(comp))]
        cut_off = len(comp) - max(len(p) for p in parts)
        out.append(Separator(v, len(parts), cut_off, _split_pairs(parts, labels)))
    return sorted(out, key=lambda s: (-len(s.split), -s.cut_off, -s.parts, s.node_id))


@dataclass(frozen=True)
class Bridge:
    """A relationship whose loss splits a component; ``cut_off`` is the size of the smaller side."""

    source: str
    target: str
    kinds: tuple[str, ...]
    cut_off: int
    split: tuple[tuple[str, str], ...]


def bridges(collab: nx.Graph, graph: nx.MultiDiGraph | None = None, *, pendant: bool = False) -> list[Bridge]:
    """Bridges of the collaboration graph; without ``pendant``, those cutting off a single node are left out."""
    labels = _labels(collab, graph, collab.nodes)
    out = []
    for u, v in nx.bridges(collab):
        u, v = sorted((u, v))
        h = collab.copy()
        h.remove_edge(u, v)
        sides = [nx.node_connected_component(h, u), nx.node_connected_component(h, v)]
        small = min(len(s) for s in sides)
        if small == 1 and not pendant:
            continue
        kinds = tuple(sorted({k for _, k, _, _ in collab.edges[u, v]["relations"]}))
        out.append(Bridge(u, v, kinds, small, _split_pairs(sides, labels)))
    return sorted(out, key=lambda b: (-len(b.split), -b.cut_off, b.source, b.target))


def betweenness(collab: nx.Graph, *, kinds: Iterable[str] | None = None) -> dict[str, float]:
    """Normalised betweenness centrality (who sits on the paths between others), optionally only for *kinds*.

    Exact for graphs up to a few thousand nodes (Brandes, O(VE)); the catalogues are far smaller.
    """
    bc = nx.betweenness_centrality(collab, normalized=True)
    wanted = frozenset(kinds) if kinds is not None else None
    return {n: v for n, v in sorted(bc.items(), key=lambda kv: (-kv[1], kv[0]))
            if wanted is None or collab.nodes[n]["node"].kind in wanted}


def suishin_departments(graph: nx.MultiDiGraph, city: str) -> list[str]:
    """Departments where a 相談支援包括化推進員 is placed (``affiliated_with``).

    Only the role :data:`SUISHIN_ROLE` counts: a 代表相談支援包括化推進員 speaks for several 課 and
    would make every 課 it links look like a placement.
    """
    code = city_code(city)
    out: set[str] = set()
    for cid in _city_ids(graph, code, ("coordinator",)):
        if _node(graph, cid).role == SUISHIN_ROLE:
            out.update(t for t in _out(graph, cid, "affiliated_with") if _node(graph, t).kind == "department")
    return sorted(out)


# -- referral paths -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One relationship on a referral path, walked from ``source`` to ``target``.

    ``relations`` are the catalogue edges joining them as ``(kind, forward)``; ``forward`` is False
    when the catalogue edge points the other way (e.g. the target *commissions* the source).
    """

    source: str
    target: str
    relations: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Referral:
    """The shortest chain from an area's coordinator to an organisation of the wanted 分野."""

    coordinator: str
    target: str
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def hops(self) -> int:
        return len(self.steps)


def _step(collab: nx.Graph, a: str, b: str) -> Step:
    rel = tuple(sorted({(kind, s == a) for _, kind, s, _ in collab.edges[a, b]["relations"]}))
    return Step(a, b, rel)


def _service_categories(graph: nx.MultiDiGraph, node_id: str) -> frozenset[str]:
    n = _node(graph, node_id)
    if n.kind in ("department", "municipality"):
        return frozenset(c for p in _delivered_programs(graph, node_id) for c in _node(graph, p).categories)
    return frozenset(n.categories)


def referral_paths(graph: nx.MultiDiGraph, area_id: str, bunya: str, *, limit: int = 3,
                   category: str | None = None,
                   target_kinds: Iterable[str] = ("agency", "hub", "department"),
                   collab: nx.Graph | None = None) -> list[Referral]:
    """「どこにつなぐか」: the shortest relationship chains from the area's coordinators to organisations
    serving *bunya* (agencies and hubs by their 分野; departments for the programs they deliver
    themselves, e.g. a 直営 自立相談支援), optionally offering *category* (id, label or synonym,
    sub-categories included: ``consult`` = any 相談支援). Inactive/defunct organisations are skipped.

    Breadth-first over the collaboration graph from each of the area's coordinators; returns up to
    *limit* chains to distinct targets, fewest hops first (ties by coordinator id, target id).
    An empty list means no coordinator covers the area or no such organisation is reachable.
    Pass *collab* (:func:`collaboration_graph` of the area's city) when asking many questions.
    """
    if bunya not in BUNYA:
        raise InputError(f"分野 {bunya!r} はありません。次のいずれかです: {', '.join(BUNYA)}")
    coords = area_coordinators(graph, area_id)
    if collab is None:
        collab = collaboration_graph(graph, _node(graph, area_id).city)
    kinds = frozenset(target_kinds)
    wanted = expand_category(category) if category else None

    def fits(t: str) -> bool:
        tn = _node(graph, t)
        return (tn.kind in kinds and tn.status not in ("inactive", "defunct")
                and bunya in _service_labels(graph, t, "bunya")
                and (wanted is None or bool(wanted & _service_categories(graph, t))))

    # BFS per coordinator so each chain starts at a named coordinator; keep the best per target.
    best: dict[str, tuple[int, str, list[str]]] = {}
    for c in sorted(coords):
        if c not in collab:
            continue
        parent: dict[str, str | None] = {c: None}
        queue = deque([c])
        while queue:
            u = queue.popleft()
            for w in sorted(collab.neighbors(u)):
                if w not in parent:
                    parent[w] = u
                    queue.append(w)
        for t in parent:
            if t == c or not fits(t):
                continue
            path = [t]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])  # type: ignore[arg-type]
            path.reverse()
            cand = (len(path) - 1, c, path)
            if t not in best or cand[:2] < best[t][:2]:
                best[t] = cand
    ranked = sorted(best.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))[:limit]
    return [Referral(c, t, tuple(_step(collab, a, b) for a, b in pairwise(path)))
            for t, (_, c, path) in ranked]
