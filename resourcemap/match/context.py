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
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from ..geo import nearest_chome
from ..graph.readmodel import ReadModel
from ..model import RESOURCE_KINDS, Node, is_placed
from ..opendata.site import site_view
from .eligibility import is_resource
from .locate import Place
from .retrieve import ReplayCache, nearest_stream

__all__ = ["AreaInfo", "MatchContext", "context_for", "positions_by_category", "CONSULT_PROGRAMS", "ORG_KINDS", "WHOLE_CITY_LEVEL",
           "INQUIRY_VIA"]

T = TypeVar("T")

#: 包括的相談支援 (1-i … 1-ni) and 多機関協働 (5): the programs of a consultation agency.
CONSULT_PROGRAMS = frozenset({"1-i", "1-ro", "1-ha", "1-ni", "5"})
#: Who may be shown as a resource's operator, best first (the brief: "the agency …").
ORG_KINDS = ("agency", "subsidy_group", "department", "municipality")
#: The level of an area that is the whole municipality: being "in the same area" says nothing.
WHOLE_CITY_LEVEL = "市全域"
#: How an entry without a phone of its own can still be reached (``inquiry.via``), best first: its
#: 所管課 (``managed_by``, of the resource or of a programme it delivers) by the 課's own number, its
#: operator's number, or the municipality's 代表 number with the 所管課 to ask for.
INQUIRY_VIA = ("所管課", "運営者", "代表電話")
#: Household precisions whose point is a public one (the geocoder's 町丁目 or town point, never a given
#: lat/lng): candidate streams from there may be kept for the revision (:meth:`MatchContext.nearby`).
SHARED_POINT_PRECISIONS = frozenset({"chome", "town"})
#: How many candidate streams one revision keeps (a city has a few thousand 町丁目; each stream is the
#: few dozen (id, metres) a match read).
NEARBY_STREAMS = 4096
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
    unplaced: tuple[Node, ...] = ()  # resources with no site of their own, programmes no resource delivers: listed, never ranked


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
    _programs: dict[str, tuple[Node, ...]] = field(default_factory=dict)
    _rankable: dict[str, bool] = field(default_factory=dict)
    _derived: dict[Hashable, Any] = field(default_factory=dict)
    _nearby: ReplayCache[tuple[Node, float]] = field(default_factory=lambda: ReplayCache(NEARBY_STREAMS))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """*build()*'s value, computed once for this revision under *key* (a per-revision index the matcher
        keeps beside the facts above: a write makes a new context, so the index is never stale)."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = build()
            return value

    def nearby(self, place: Place, categories: set[str], max_m: float) -> Iterable[tuple[Node, float]]:
        """(node, metres) of every :meth:`rankable` node in any of *categories* within *max_m* of *place*,
        nearest first (:func:`~resourcemap.match.retrieve.nearest_stream`). From a public point (a 町丁目's or
        town's, :data:`SHARED_POINT_PRECISIONS`) the stream is kept for this revision and replayed to the next
        request there; a given lat/lng (a household's own point) is never kept."""
        def stream() -> Iterator[tuple[Node, float]]:
            for pid, d in nearest_stream(self.rm.index, place.lat, place.lng, categories, max_m):
                node = self.rm.node(pid)
                if self.rankable(node):
                    yield node, d
        if place.precision not in SHARED_POINT_PRECISIONS:
            return stream()
        return self._nearby.get((place.lat, place.lng, frozenset(categories), max_m), stream)

    @property
    def streams_kept(self) -> int:
        """How many candidate streams this revision keeps (:meth:`nearby`)."""
        return len(self._nearby)

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
        programmes: list[Node] = []
        for n in self.rm.nodes(city=code):  # one pass over the city's nodes per revision
            if n.kind in RESOURCE_KINDS and not is_placed(n) and n.status == "active":
                unplaced.append(n)
            elif n.kind == "program" and n.status == "active" and not n.deleted:
                programmes.append(n)
            if n.kind == "area":
                areas.append(n)
            elif n.kind in ("agency", "hub"):
                agencies.append(n)
            elif n.kind == "municipality" and (muni is None or n.id < muni.id):
                muni = n
        unplaced += (p for p in programmes if not self._delivered(p))
        for area in sorted(areas, key=lambda a: a.id):
            info = AreaInfo.of(area)
            for chome in area.chome:
                by_chome.setdefault(chome, []).append(info)
        primary = muni.primary_area_level if muni is not None else None
        return _CityFacts({k: tuple(v) for k, v in by_chome.items()}, primary, muni.id if muni else None,
                          tuple(sorted(agencies, key=lambda n: n.id)), tuple(sorted(unplaced, key=lambda n: n.id)))

    def _delivered(self, programme: Node) -> bool:
        """Whether any resource (placed or not) delivers *programme* (an ``implements`` edge): then that
        resource is what a listing shows, not the programme itself."""
        return any(self.rm.has(e.source) and self.rm.node(e.source).kind in RESOURCE_KINDS
                   for e in self.rm.in_edges(programme.id, "implements"))

    def unplaced_resources(self, code: str) -> tuple[Node, ...]:
        """The city's active resources without a site of their own, and its programmes (事業) that no
        resource delivers yet: what a match lists beside the ranked sites, whatever the distance."""
        return self.city(code).unplaced

    def unplaced_offering(self, code: str, categories: set[str]) -> list[Node]:
        """:meth:`unplaced_resources` of *code* that offer any of *categories*, in the same order."""
        nodes = self.city(code).unplaced
        where = self.derived(("unplaced_by_category", code), lambda: positions_by_category(n.categories for n in nodes))
        return [nodes[i] for i in sorted({i for c in categories for i in where.get(c, ())})]

    def city_agencies(self, code: str) -> tuple[Node, ...]:
        return self.city(code).agencies

    def areas_at(self, code: str, chome: str | None) -> tuple[AreaInfo, ...]:
        """Every area (any level) that holds *chome*, the municipality's primary level first."""
        facts = self.city(code)
        found = facts.areas_of_chome.get(chome or "", ())
        return tuple(sorted(found, key=lambda a: (a.level != facts.primary_level, a.level, a.id)))

    def rankable(self, node: Node) -> bool:
        """Whether *node* can be ranked by distance: an active resource with a site of its own
        (:func:`~resourcemap.model.is_placed`, :func:`~resourcemap.match.eligibility.is_resource`)."""
        got = self._rankable.get(node.id)
        if got is None:
            got = self._rankable[node.id] = is_placed(node) and is_resource(node)
        return got

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

    def programs(self, node: Node) -> tuple[Node, ...]:
        """The programmes (事業) *node* delivers: the live ``program`` nodes of its ``implements`` edges
        (the plans' and the linker's programme ↔ site links), by id."""
        got = self._programs.get(node.id)
        if got is None:
            found = {e.target for e in self.rm.out_edges(node.id, "implements") if self.rm.has(e.target)}
            got = self._programs[node.id] = tuple(
                p for p in (self.rm.node(t) for t in sorted(found)) if p.kind == "program" and not p.deleted)
        return got

    def site_entry(self, node: Node, dataset_dates: Mapping[str, date]) -> dict[str, Any]:
        """What every listing of a resource carries (a match, an unplaced programme, a team member): who it
        is, who runs it (``operator``), the programmes it delivers, its contact fields and their provenance.

        The graph's part is built once per revision and node; each call returns a new dict with the date of
        the node's dataset from *dataset_dates* (the nested values are shared: read them, never change them)."""
        entry = {**self.derived(("site_entry", node.id), lambda: self._site_entry(node)), "inquiry": self.inquiry(node)}
        when = dataset_dates.get(entry["dataset"]) if entry["dataset"] else None
        entry["dataset_date"] = when.isoformat() if when else None
        return entry

    def _site_entry(self, node: Node) -> dict[str, Any]:
        op = self.operator(node)
        return {"id": node.id, "name": node.name, "kind": node.kind,
                "operator": {"id": op.id, "name": op.name, "kind": op.kind} if op is not None else None,
                "programs": [{"id": p.id, "name": p.name} for p in self.programs(node)], **site_view(node)}

    def inquiry(self, node: Node) -> dict[str, Any] | None:
        """Whom to call about *node* when it has no phone of its own — None when it has one, or when the
        catalogue knows no number that leads to it.

        Why: most plan entries are programmes without a site, and a coordinator's question is "can I call
        someone now?". The plans name each programme's 所管課 and publish the municipality's 代表 number
        in their colophon, so the honest answer is "call 代表 and ask for 高齢者支援課" — never a number
        made up for the programme itself. ``via`` says which of :data:`INQUIRY_VIA` the number is.
        """
        # graph facts only: the same for every request of this revision
        found = self.derived(("inquiry", node.id), lambda: self._find_inquiry(node))
        return dict(found) if found is not None else None  # each response its own dict

    def _find_inquiry(self, node: Node) -> dict[str, Any] | None:
        if node.phone:
            return None
        departments = self._departments(node)
        for dept in departments:
            if dept.phone:
                return _inquiry(dept, dept.phone, "所管課", None)
        op = self.operator(node)
        if op is not None and op.phone and op.kind != "municipality":
            return _inquiry(op, op.phone, "運営者", None)
        muni_id = self.city(node.city).municipality_id
        muni = self.rm.node(muni_id) if muni_id else None
        if muni is None or not muni.phone:
            return None
        return _inquiry(departments[0] if departments else muni, muni.phone, "代表電話", muni)

    def _departments(self, node: Node) -> list[Node]:
        """The 所管課 of *node*: its own ``managed_by`` departments, else those of the programmes it delivers."""
        for source in (node, *self.programs(node)):
            found = [self.rm.node(e.target) for e in self.rm.out_edges(source.id, "managed_by")
                     if self.rm.has(e.target)]
            depts = sorted((d for d in found if d.kind == "department" and not d.deleted), key=lambda d: d.id)
            if depts:
                return depts
        return []

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


def _inquiry(who: Node, phone: str, via: str, switchboard: Node | None) -> dict[str, Any]:
    """One ``inquiry`` entry: *who* to ask for, the number, and for a 代表 number whose switchboard it is."""
    label = f"{who.name}（{switchboard.name}代表）" if switchboard is not None and switchboard.id != who.id \
        else (f"{who.name}代表" if switchboard is not None else who.name)
    return {"id": who.id, "name": who.name, "label": label, "phone": phone, "via": via}


def positions_by_category(categories: Iterable[Iterable[str]]) -> dict[str, tuple[int, ...]]:
    """Category → the positions (ascending) of the items offering it, given each item's categories in order."""
    out: dict[str, list[int]] = {}
    for i, cats in enumerate(categories):
        for c in dict.fromkeys(cats):
            out.setdefault(c, []).append(i)
    return {c: tuple(v) for c, v in out.items()}


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
