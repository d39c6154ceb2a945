"""Graph facts the matcher needs, derived from the read model once per revision.

Why a context object: "which areas contain this 町丁目", "which area is this resource in",
"who operates it" and "which coordinator covers here" are asked for every candidate of every
request. Answering them from the graph each time would cost more than the spatial search, so
they are computed lazily, kept until the read model's revision changes, then dropped whole
(a write can move a node, re-draw an area or add an edge). Reads never scan the catalogue:
per-city facts come from the few area/coordinator/agency nodes of that city.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..geo import nearest_chome
from ..graph.readmodel import ReadModel
from ..model import RESOURCE_KINDS, Node

__all__ = ["AreaInfo", "MatchContext", "context_for", "CONSULT_PROGRAMS", "ORG_KINDS", "WHOLE_CITY_LEVEL"]

#: 包括的相談支援 (1-i … 1-ni) and 多機関協働 (5): the programs of a consultation agency.
CONSULT_PROGRAMS = frozenset({"1-i", "1-ro", "1-ha", "1-ni", "5"})
#: Who may be shown as a resource's operator, best first (the brief: "the agency …").
ORG_KINDS = ("agency", "subsidy_group", "department", "municipality")
#: The level of an area that is the whole municipality: being "in the same area" says nothing.
WHOLE_CITY_LEVEL = "市全域"
#: Precisions whose point says which 町丁目 (and so which area) a resource is in.
_POINT_PRECISIONS = frozenset({"exact", "address", "chome", "town", "area"})


@dataclass(frozen=True)
class AreaInfo:
    id: str
    name: str
    level: str
    short: str  # 白糸台福祉エリア → 白糸台

    @classmethod
    def of(cls, node: Node) -> AreaInfo:
        level = node.level or ""
        short = node.name.removesuffix(level) if level and node.name.endswith(level) else node.name
        return cls(node.id, node.name, level, short or node.name)


@dataclass
class _CityFacts:
    areas_of_chome: dict[str, tuple[AreaInfo, ...]]
    primary_level: str | None
    municipality_id: str | None
    agencies: tuple[Node, ...]  # agency/hub nodes of the city (team candidates are among them)
    unplaced: tuple[Node, ...] = ()  # active resources with no point (所在地未登録): listed, never ranked


@dataclass
class MatchContext:
    """Lazily filled caches over one revision of a read model."""

    rm: ReadModel
    revision: int
    _cities: dict[str, _CityFacts] = field(default_factory=dict)
    _resource_areas: dict[str, frozenset[str]] = field(default_factory=dict)
    _operators: dict[str, Node | None] = field(default_factory=dict)
    _covered: dict[str, frozenset[str]] = field(default_factory=dict)
    _stated: dict[str, frozenset[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- areas --------------------------------------------------------------------------------
    def city(self, code: str) -> _CityFacts:
        facts = self._cities.get(code)
        if facts is None:
            with self._lock:
                facts = self._cities.get(code) or self._build_city(code)
                self._cities[code] = facts
        return facts

    def _build_city(self, code: str) -> _CityFacts:
        by_chome: dict[str, list[AreaInfo]] = {}
        muni: Node | None = None
        agencies: list[Node] = []
        areas: list[Node] = []
        unplaced: list[Node] = []
        for n in self.rm.nodes(city=code):  # one pass over the city's nodes per revision
            if n.kind in RESOURCE_KINDS and not n.located and n.status == "active":
                unplaced.append(n)
            if n.kind == "area":
                areas.append(n)
            elif n.kind in ("agency", "hub"):
                agencies.append(n)
            elif n.kind == "municipality" and (muni is None or n.id < muni.id):
                muni = n
        for area in sorted(areas, key=lambda a: a.id):
            info = AreaInfo.of(area)
            for chome in area.chome:
                by_chome.setdefault(chome, []).append(info)
        primary = muni.primary_area_level if muni is not None else None
        return _CityFacts({k: tuple(v) for k, v in by_chome.items()}, primary, muni.id if muni else None,
                          tuple(sorted(agencies, key=lambda n: n.id)), tuple(sorted(unplaced, key=lambda n: n.id)))

    def unplaced_resources(self, code: str) -> tuple[Node, ...]:
        return self.city(code).unplaced

    def city_agencies(self, code: str) -> tuple[Node, ...]:
        return self.city(code).agencies

    def areas_at(self, code: str, chome: str | None) -> tuple[AreaInfo, ...]:
        """Every area (any level) that holds *chome*, the municipality's primary level first."""
        facts = self.city(code)
        found = facts.areas_of_chome.get(chome or "", ())
        return tuple(sorted(found, key=lambda a: (a.level != facts.primary_level, a.level, a.id)))

    def resource_areas(self, node: Node) -> frozenset[str]:
        """Area ids a resource is in: its ``area_id``, its ``located_in`` areas, else where its point lies."""
        got = self._resource_areas.get(node.id)
        if got is not None:
            return got
        ids = set(self.stated_areas(node))
        if not ids and node.located and node.location_precision in _POINT_PRECISIONS:
            try:
                chome = nearest_chome(node.city, node.lat, node.lng).town  # type: ignore[arg-type]
            except Exception:  # a city whose geography is not packaged
                chome = None
            ids.update(a.id for a in self.areas_at(node.city, chome))
        got = frozenset(ids)
        self._resource_areas[node.id] = got
        return got

    def stated_areas(self, node: Node) -> frozenset[str]:
        """The areas the catalogue *says* a node is in: ``area_id`` and ``located_in`` edges."""
        got = self._stated.get(node.id)
        if got is None:
            ids = {node.area_id} if node.area_id else set()
            ids.update(e.target for e in self.rm.out_edges(node.id, "located_in")
                       if self.rm.has(e.target) and self.rm.node(e.target).kind == "area")
            got = self._stated[node.id] = frozenset(ids)
        return got

    def area(self, area_id: str) -> AreaInfo | None:
        return AreaInfo.of(self.rm.node(area_id)) if self.rm.has(area_id) else None

    # -- organisations --------------------------------------------------------------------------
    def operator(self, node: Node) -> Node | None:
        """The organisation with an ``operates``/``runs`` edge to *node* (an agency preferred)."""
        if node.id in self._operators:
            return self._operators[node.id]
        sources = [self.rm.node(e.source) for kind in ("operates", "runs") for e in self.rm.in_edges(node.id, kind)]
        orgs = [s for s in sources if s.kind in ORG_KINDS]
        best = min(orgs, key=lambda s: (ORG_KINDS.index(s.kind), s.id)) if orgs else None
        self._operators[node.id] = best
        return best

    def coverers(self, target_id: str, kinds: frozenset[str]) -> list[Node]:
        """Live nodes of *kinds* with a ``covers`` edge to *target_id*."""
        if not self.rm.has(target_id):
            return []
        out = [self.rm.node(e.source) for e in self.rm.in_edges(target_id, "covers")]
        return sorted((n for n in out if n.kind in kinds and n.status == "active"), key=lambda n: n.id)

    def covered_targets(self, node_id: str) -> frozenset[str]:
        got = self._covered.get(node_id)
        if got is None:
            got = self._covered[node_id] = frozenset(e.target for e in self.rm.out_edges(node_id, "covers"))
        return got


_contexts_lock = threading.Lock()


def context_for(rm: ReadModel) -> MatchContext:
    """The context of *rm*'s current revision (a fresh one after any write), kept on the read model."""
    ctx = rm.derived.get("match")
    if not isinstance(ctx, MatchContext) or ctx.revision != rm.revision:
        with _contexts_lock:
            ctx = rm.derived.get("match")
            if not isinstance(ctx, MatchContext) or ctx.revision != rm.revision:
                ctx = rm.derived["match"] = MatchContext(rm, rm.revision)
    return ctx
