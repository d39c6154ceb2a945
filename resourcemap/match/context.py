"""Graph facts the matcher needs, derived from the read model once per revision.

Why a context object: "which areas contain this 町丁目", "which area is this resource in",
"who operates it" and "which coordinator covers here" are asked for every candidate of every
request. Answering them from the graph each time would cost more than the spatial search, so
they are computed lazily and kept for the read model's revision. Reads never scan the catalogue:
per-city facts come from the few area/coordinator/agency nodes of that city.

Why carried across writes (:func:`context_for`): under a steady load of edits (a description
changed every 60 ms in ``bench/soak.py``) nearly every match met a new revision, and rebuilding
everything — areas by 町丁目, the consultation sites, each candidate's area and operator — was most
of a match's CPU. The read model says what each change touched (:meth:`ReadModel.touched_between`);
when that is known and small (:data:`CARRY_MAX_CHANGES`), the next revision's context starts from
this one's, minus what the changes can have made stale. Conservatively, per cache:

- node-keyed memos (``_resource_areas``, ``_operators``, ``_covered``, ``_stated``, ``_programs``, and the
  derived :data:`NODE_DERIVED` entries ``site_entry`` (with its inquiry) and ``site_texts`` (a
  match's reasons that depend on the site alone)): dropped for every node a change touched (a changed
  node, both ends of a changed edge, the former neighbours of a removed node), for their graph neighbours
  (an operator's or programme's name and phone are in a neighbour's entry; an area's kind in
  ``stated_areas``), and for whoever ``implements`` one of those (``inquiry`` reaches a
  所管課 two hops away: site → programme → ``managed_by`` department);
- the city facts (:class:`_CityFacts`), the derived :data:`CITY_DERIVED` keys of the city (team.py's
  ``consultation_sites``, ``serving``, ``coordinators``, and ``unplaced_by_category``) and the
  ``_resource_areas`` of its nodes (they read the city's areas): dropped for a city when a node of a
  :data:`CITY_FACT_KINDS` kind of it or next to it in the graph changes (a coordinator of another city
  covering one of its areas), when a resource enters, leaves or is listed in ``unplaced`` (not
  :func:`~resourcemap.model.is_placed`), when a resource changes kind or is removed (its ``implements``
  edges go with it: a programme it delivered may be listed now), or when an edge of
  :data:`CITY_FACT_EDGES` at a node of it changes (``covers``: scopes and coordinators; ``implements``:
  delivered programmes and seat areas; ``located_in``: stated areas);
- candidate streams (``_nearby``, kept as node ids and resolved on replay, so an edit of a field no
  stream reads changes nothing): dropped when a node's :func:`_stream_view` (position, placement,
  categories, kind, status, deleted) changes and its point before or after lies within the stream's
  radius (with a margin) and offers one of its categories;
- a change of a ``municipality`` node, of an edge kind the matcher does not read (all but
  :data:`READ_EDGES`; unanalysed), or a derived key of any other family: a fresh context, as before.

``tests/unit/test_match_context_carry.py`` holds the carried context to a fresh one (its oracle).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np

from ..geo import haversine_m, nearest_chome
from ..graph.readmodel import EdgeTouched, NodeTouched, ReadModel
from ..model import RESOURCE_KINDS, Node, is_placed
from ..opendata.site import site_view
from .eligibility import is_resource
from .locate import Place
from .retrieve import ReplayCache, nearest_stream

__all__ = ["AreaInfo", "MatchContext", "context_for", "positions_by_category", "shared_set", "CONSULT_PROGRAMS", "ORG_KINDS",
           "WHOLE_CITY_LEVEL",
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
#: ... and at most this many candidates read in all (a stream's rows; ≈ 350 bytes each with what the stream holds to go on): the bound that holds on a
#: catalogue of 1,000,000 resources, where one point's streams read 100 times more than a municipality's.
NEARBY_ROWS = 50_000
#: Precisions whose point says which 町丁目 (and so which area) a resource is in.
_POINT_PRECISIONS = frozenset({"exact", "address", "chome", "town", "area"})

# -- what a write can make stale (see the module doc) -------------------------------------------
#: More changes than this since the context's revision (a bulk import): a fresh context is cheaper.
CARRY_MAX_CHANGES = 64
#: Node kinds the city facts and the team's per-city keys read (areas, agencies, coordinators, the
#: 所管課, programmes listed as unplaced); a change of a ``municipality`` node starts a fresh context.
CITY_FACT_KINDS = frozenset({"area", "municipality", "agency", "hub", "coordinator", "department", "program"})
#: Edge kinds the city facts and the team's per-city keys read.
CITY_FACT_EDGES = frozenset({"implements", "covers", "located_in"})
#: Every edge kind the matcher reads (``operator``: operates/runs; ``inquiry``: managed_by); others start afresh.
READ_EDGES = CITY_FACT_EDGES | {"operates", "runs", "managed_by"}
#: Families of :meth:`MatchContext.derived` keys ``(family, node_id)``: the graph part of one node's entry, and
#: the reasons of a match that depend on the site alone (:class:`~resourcemap.match.scoring.SiteTexts`).
NODE_DERIVED = ("site_entry", "site_texts")
#: Families of :meth:`MatchContext.derived` keys ``(family, city, …)`` or ``(family, areas, municipality)``
#: built from the city facts (``team.py``, :meth:`MatchContext.unplaced_offering`).
CITY_DERIVED = frozenset({"consultation_sites", "serving", "coordinators", "unplaced_by_category"})
#: Slack on a stream's radius when deciding whether a moved point can be in it (metres, and relative).
_RADIUS_SLACK_M, _RADIUS_SLACK = 10.0, 1.01


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
    _resource_areas: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)  # by city, then node
    _operators: dict[str, Node | None] = field(default_factory=dict)
    _covered: dict[str, frozenset[str]] = field(default_factory=dict)
    _stated: dict[str, frozenset[str]] = field(default_factory=dict)
    _programs: dict[str, tuple[Node, ...]] = field(default_factory=dict)
    _rankable: dict[str, bool] = field(default_factory=dict)
    _derived: dict[Hashable, Any] = field(default_factory=dict)
    _nearby: ReplayCache[tuple[str, float]] = field(default_factory=lambda: ReplayCache(NEARBY_STREAMS, NEARBY_ROWS))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """*build()*'s value, computed once for this revision under *key* (a per-revision index the matcher
        keeps beside the facts above). A write drops it from the next revision's context unless its family
        (``key[0]``) is one of :data:`NODE_DERIVED` or :data:`CITY_DERIVED` and the write cannot touch it
        (see the module doc): a new family is never carried until it is added there."""
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
        rm = self.rm

        def stream() -> Iterator[tuple[str, float]]:  # reads nothing of this context: carried streams go on reading
            for pid, d in nearest_stream(rm.index, place.lat, place.lng, categories, max_m):
                if _rankable(rm.node(pid)):
                    yield pid, d
        if place.precision not in SHARED_POINT_PRECISIONS:
            return ((rm.node(pid), d) for pid, d in stream())
        replay = self._nearby.get((place.lat, place.lng, frozenset(categories), max_m), stream)
        return ((rm.node(pid), d) for pid, d in replay)  # the node as it is now: an edit of its text is seen

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
            got = self._rankable[node.id] = _rankable(node)
        return got

    def resource_areas(self, node: Node) -> frozenset[str]:
        """Area ids a resource is in: its ``area_id``, its ``located_in`` areas, else where its point lies."""
        of_city = self._resource_areas.get(node.city)
        if of_city is None:
            of_city = self._resource_areas.setdefault(node.city, {})
        got = of_city.get(node.id)
        if got is not None:
            return got
        ids = set(self.stated_areas(node))
        if not ids and node.located and node.location_precision in _POINT_PRECISIONS:
            try:
                chome = nearest_chome(node.city, node.lat, node.lng).town  # type: ignore[arg-type]
            except Exception:  # a city whose geography is not packaged
                chome = None
            ids.update(a.id for a in self.areas_at(node.city, chome))
        got = shared_set(ids)
        of_city[node.id] = got
        return got

    def stated_areas(self, node: Node) -> frozenset[str]:
        """The areas the catalogue *says* a node is in: ``area_id`` and ``located_in`` edges."""
        got = self._stated.get(node.id)
        if got is None:
            ids = {node.area_id} if node.area_id else set()
            ids.update(e.target for e in self.rm.out_edges(node.id, "located_in")
                       if self.rm.has(e.target) and self.rm.node(e.target).kind == "area")
            got = self._stated[node.id] = shared_set(ids)
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
        graph, inquiry = self._entry_parts(node)
        when = dataset_dates.get(graph["dataset"]) if graph["dataset"] else None
        return {**graph, "inquiry": dict(inquiry) if inquiry is not None else None,  # each response its own dict
                "dataset_date": when.isoformat() if when else None}

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
        found = self._entry_parts(node)[1]
        return dict(found) if found is not None else None  # each response its own dict

    def _entry_parts(self, node: Node) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(the graph part of *node*'s entry, its inquiry): graph facts only, the same for every request of this
        revision, so kept under one key (one lookup for an entry)."""
        return self.derived(("site_entry", node.id), lambda: (self._site_entry(node), self._find_inquiry(node)))

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
            got = self._covered[node_id] = shared_set(e.target for e in self.rm.out_edges(node_id, "covers"))
        return got


def _rankable(node: Node) -> bool:
    """:meth:`MatchContext.rankable` without the memo."""
    return is_placed(node) and is_resource(node)


def _inquiry(who: Node, phone: str, via: str, switchboard: Node | None) -> dict[str, Any]:
    """One ``inquiry`` entry: *who* to ask for, the number, and for a 代表 number whose switchboard it is."""
    label = f"{who.name}（{switchboard.name}代表）" if switchboard is not None and switchboard.id != who.id \
        else (f"{who.name}代表" if switchboard is not None else who.name)
    return {"id": who.id, "name": who.name, "label": label, "phone": phone, "via": via}


@lru_cache(maxsize=1 << 16)
def _one_set(value: frozenset[str]) -> frozenset[str]:
    return value


def shared_set(items: Iterable[str]) -> frozenset[str]:
    """``frozenset(items)``, as one object shared by every memo holding the same ids.

    Why: the per-node memos above (a resource's areas, its stated areas, what it covers) hold a few ids out of
    a few distinct combinations, and a frozenset takes 216 bytes however small (empty included). On a
    catalogue of 1,000,000 resources the memos of two municipalities held about 100,000 of them.
    """
    return _one_set(frozenset(items))


def positions_by_category(categories: Iterable[Iterable[str]]) -> dict[str, tuple[int, ...]]:
    """Category → the positions (ascending) of the items offering it, given each item's categories in order."""
    out: dict[str, list[int]] = {}
    for i, cats in enumerate(categories):
        for c in dict.fromkeys(cats):
            out.setdefault(c, []).append(i)
    return {c: tuple(v) for c, v in out.items()}


_contexts_lock = threading.Lock()


def context_for(rm: ReadModel) -> MatchContext:
    """The context of *rm*'s current revision, kept on the read model: after a write, the previous one's
    facts minus what the write can have made stale (:func:`carry`), or a fresh one when that is unknown."""
    ctx = rm.derived.get("match")
    if not isinstance(ctx, MatchContext) or ctx.revision != rm.revision:
        with _contexts_lock:
            ctx = rm.derived.get("match")
            if not isinstance(ctx, MatchContext) or ctx.revision != rm.revision:
                revision = rm.revision
                carried = carry(ctx, revision) if isinstance(ctx, MatchContext) and ctx.rm is rm else None
                ctx = rm.derived["match"] = carried or MatchContext(rm, revision)
    return ctx


@dataclass
class _Stale:
    """What the changes between two revisions make stale (see the module doc)."""
    nodes: set[str] = field(default_factory=set)      # touched nodes: their memos, their neighbours' go too
    cities: set[str] = field(default_factory=set)     # cities whose facts go
    moved: list[Node] = field(default_factory=list)   # states (before or after) a candidate stream can read


def carry(old: MatchContext, revision: int) -> MatchContext | None:
    """A context of *revision* that keeps what *old*'s facts a write cannot have changed (the module doc
    says what, per cache) — None when the read model cannot say what changed since *old* (too long ago,
    rebuilt), when too much did, or when a change is of a kind not analysed: then build a fresh one."""
    touched = old.rm.touched_between(old.revision, revision)
    if touched is None or len(touched) > CARRY_MAX_CHANGES:
        return None
    stale = _stale(old.rm, touched)
    if stale is None:
        return None
    rm = old.rm
    dirty = _with_neighbours(rm, stale.nodes)
    new = MatchContext(rm, revision)
    new._cities = {c: f for c, f in old._cities.copy().items() if c not in stale.cities}
    for name in ("_operators", "_covered", "_stated", "_programs", "_rankable"):
        setattr(new, name, _without(getattr(old, name), dirty))
    # a resource's areas read its city's areas: kept only for the cities whose facts are kept
    new._resource_areas = {c: _without(of_city, dirty) for c, of_city in old._resource_areas.copy().items()
                           if c not in stale.cities}
    new._derived = _kept_derived(rm, old._derived.copy(), dirty, stale.cities)
    new._nearby = old._nearby.kept(_in_no_stream(old._nearby.keys(), stale.moved) if stale.moved else None)
    return new


def _without(memo: dict[str, T], dirty: set[str]) -> dict[str, T]:
    """A copy of *memo* without the entries of *dirty* nodes."""
    kept = memo.copy()
    for node_id in dirty:
        kept.pop(node_id, None)
    return kept


def _stale(rm: ReadModel, touched: Iterable[NodeTouched | EdgeTouched]) -> _Stale | None:
    """What *touched* makes stale, or None when it holds a change that starts a fresh context."""
    out = _Stale()
    for t in touched:
        if isinstance(t, EdgeTouched):
            for ends in (t.before, t.after):
                if ends is None:
                    continue
                if ends.kind not in READ_EDGES:
                    return None
                out.nodes.update((ends.source, ends.target))
                if ends.kind in CITY_FACT_EDGES:
                    out.cities.update(rm.node(n).city for n in (ends.source, ends.target) if rm.has(n))
            continue
        states = [n for n in (t.before, t.after) if n is not None]
        if any(n.kind == "municipality" for n in states):
            return None
        out.nodes.add(t.id)
        out.nodes.update(t.neighbours)  # a removed node's edges went with it
        if not _keeps_city_facts(t.before, t.after):  # its city's, and its neighbours' (a programme it delivers)
            around = {*t.neighbours, *rm.graph.succ.get(t.id, ()), *rm.graph.pred.get(t.id, ())}
            out.cities.update(n.city for n in states)
            out.cities.update(rm.node(n).city for n in around if rm.has(n))
        if _stream_view(t.before) != _stream_view(t.after):
            out.moved.extend(n for n in states if n.located)
    return out


def _keeps_city_facts(before: Node | None, after: Node | None) -> bool:
    """Whether a node changing from *before* to *after* leaves its city's facts as they were: a resource
    with a site of its own that stays one (same kind), of a kind the city facts do not list."""
    states = [n for n in (before, after) if n is not None]
    return (after is not None and not any(n.kind in CITY_FACT_KINDS for n in states)
            and (before is None or before.kind == after.kind)
            and all(n.kind not in RESOURCE_KINDS or is_placed(n) for n in states))


def _stream_view(node: Node | None) -> tuple | None:
    """What of a node a candidate stream reads (:func:`nearest_stream`'s index, :func:`_rankable`)."""
    if node is None:
        return None
    return (node.lat, node.lng, node.location_precision, tuple(node.categories), node.kind, node.status, node.deleted)


def _with_neighbours(rm: ReadModel, nodes: set[str]) -> set[str]:
    """*nodes*, their graph neighbours, and whoever ``implements`` any of these (two hops to a 所管課)."""
    near = set(nodes)
    for n in nodes:
        near.update(rm.graph.succ.get(n, ()))
        near.update(rm.graph.pred.get(n, ()))
    out = set(near)
    for n in near:
        out.update(e.source for e in rm.in_edges(n, "implements"))
    return out


def _kept_derived(rm: ReadModel, derived: dict[Hashable, Any], dirty: set[str], cities: set[str]) -> dict[Hashable, Any]:
    """The derived entries a write leaves valid: per node (:data:`NODE_DERIVED`) unless the node is *dirty*,
    per city (:data:`CITY_DERIVED`) unless the facts of its city (:func:`_derived_city`) are among *cities*;
    of any other family none."""
    for key in [k for k in derived if not (isinstance(k, tuple) and k and (
            k[0] in NODE_DERIVED or (k[0] in CITY_DERIVED and _derived_city(rm, k) not in (None, *cities))))]:
        del derived[key]
    for node_id in dirty:
        for family in NODE_DERIVED:
            derived.pop((family, node_id), None)
    return derived


def _derived_city(rm: ReadModel, key: tuple) -> str | None:
    """The city a :data:`CITY_DERIVED` key is built from: its second item (a city code), or for a key without
    one (``coordinators``: areas, municipality id) the city of the municipality named last; None if neither."""
    if isinstance(key[1], str):
        return key[1]
    muni = key[-1]
    return rm.node(muni).city if isinstance(muni, str) and rm.has(muni) else None


def _in_no_stream(keys: list[Hashable], moved: list[Node]) -> Callable[[Hashable], bool]:
    """A test of a stream key ``(lat, lng, categories, max_m)``: True when no point of *moved* offering one of
    its categories lies within its radius (so the stream reads the same candidates in the same order)."""
    checked = set(keys)  # a stream another request adds meanwhile is not carried
    if not keys:
        return checked.__contains__
    lats = np.array([k[0] for k in keys])  # type: ignore[index]
    lngs = np.array([k[1] for k in keys])  # type: ignore[index]
    reach = np.array([k[3] for k in keys]) * _RADIUS_SLACK + _RADIUS_SLACK_M  # type: ignore[index]
    hit: set[Hashable] = set()
    for n in moved:
        near = np.flatnonzero(np.asarray(haversine_m(n.lat, n.lng, lats, lngs)) <= reach)  # type: ignore[arg-type]
        cats = set(n.categories)
        hit.update(keys[i] for i in near if cats.intersection(keys[i][2]))  # type: ignore[index]
    return lambda key: key in checked and key not in hit
