"""The in-memory read model: a networkx MultiDiGraph plus a spatial index, kept in step with the store.

Why: matching, gap maps and network analysis read the whole graph many times per request;
the store is the system of record, the read model is a projection of it. It is built once
from the store and then follows the change log — in-process through
:meth:`GraphStore.subscribe`, and from other processes' writes through :meth:`refresh`
(which applies ``store.changes(since=self.revision)``). It never writes, and it never validates:
a logged change is what the store wrote after the write path validated it once.

Why reads are marked (:meth:`reading`): a server applies a write's change in the writing thread
while other requests walk the graph (the matcher, the gap and network analyses, networkx
algorithms); a node added mid-walk broke it ("dictionary changed size during iteration", found by
``bench/soak.py``). So a change that arrives while any read is in progress waits in a queue and is
applied by the last read to finish (or the next to start) — nobody ever waits for anybody, so no
request can block another, and a write is seen as soon as no read is in progress. Outside a
server (the CLI, tests) nothing is marked and changes apply at once.

Why it records what each change touched (:meth:`ReadModel.touched_between`): views derived from one
revision (the matcher's context, a page cache) need not be rebuilt whole after a write that cannot
affect them — a description edit leaves every distance, area and operator as it was. The read model
is the one place that sees every applied change with the state it replaced, so it keeps a bounded
record of them (:data:`TOUCHED_KEPT`) and answers "what changed between revision a and b", or None
when it cannot say for sure (a is older than the record, or the model was built anew since).
"""
from __future__ import annotations

import ctypes
import threading
from collections import deque
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..model import Change, Edge, Node, SharedDict, stored_edge, stored_node
from .spatial import ALL, SpatialIndex
from .stores.base import GraphStore, NodeQuery

__all__ = ["ReadModel", "CompactGraph", "NodeTouched", "EdgeTouched", "EdgeEnds", "TOUCHED_KEPT"]

#: How many applied changes the read model remembers (:meth:`ReadModel.touched_between`): at the soak's
#: 16 writes/s half a minute of them; a view older than that is rebuilt whole.
TOUCHED_KEPT = 512


@dataclass(frozen=True, slots=True)
class NodeTouched:
    """One applied node change: the node as the read model held it before and after (None: not held)."""

    rev: int
    id: str
    before: Node | None
    after: Node | None
    #: When the change removed the node (and with it its edges): the ids it had edges with, either way.
    neighbours: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class EdgeEnds:
    """Where an edge runs and what it is."""

    source: str
    target: str
    kind: str


@dataclass(frozen=True, slots=True)
class EdgeTouched:
    """One applied edge change: its ends before and after (None: no such live edge in the log's images)."""

    rev: int
    id: str
    before: EdgeEnds | None
    after: EdgeEnds | None

_NO_NEIGHBOURS = SharedDict()  # the adjacency of every node without edges on that side (see CompactGraph)


class _NodeAttrs(MutableMapping[str, Any]):
    """A node's attribute mapping in :class:`CompactGraph`: the ``node`` slot, other attributes (none in the
    read model's own graph) in a dict made when the first is set. 48 bytes where networkx's dict takes 184."""

    __slots__ = ("_more", "node")

    def __init__(self) -> None:
        self.node: Any = _NodeAttrs
        self._more: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:
        if key == "node" and self.node is not _NodeAttrs:
            return self.node
        if self._more is None or key == "node":
            raise KeyError(key)
        return self._more[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "node":
            self.node = value
        else:
            if self._more is None:
                self._more = {}
            self._more[key] = value

    def __delitem__(self, key: str) -> None:
        if key == "node" and self.node is not _NodeAttrs:
            self.node = _NodeAttrs
        elif self._more is not None and key != "node":
            del self._more[key]
        else:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return self.node is not _NodeAttrs if key == "node" else self._more is not None and key in self._more

    def __iter__(self) -> Iterator[str]:
        if self.node is not _NodeAttrs:
            yield "node"
        if self._more:
            yield from self._more

    def __len__(self) -> int:
        return (self.node is not _NodeAttrs) + len(self._more or ())

    def copy(self) -> dict[str, Any]:
        return dict(self)

    def __repr__(self) -> str:
        return repr(dict(self))


class CompactGraph(nx.MultiDiGraph):
    """The read model's :class:`networkx.MultiDiGraph`, with a smaller footprint per node and the same views.

    Why: networkx gives every node an attribute dict and two adjacency dicts (~370 bytes), and most of a
    national catalogue's resources have no edges at all. Here the attributes sit in a slotted mapping
    (:class:`_NodeAttrs`) and a node without edges on a side shares one read-only empty adjacency, replaced
    by a dict of its own when its first edge on that side is added. Everything networkx reads (``nodes``,
    ``succ``, ``pred``, the edge views, the algorithms) sees ordinary mappings.
    """

    node_attr_dict_factory = _NodeAttrs
    adjlist_inner_dict_factory = staticmethod(lambda: _NO_NEIGHBOURS)

    def add_edge(self, u_for_edge: Any, v_for_edge: Any, key: Any = None, **attr: Any) -> Any:
        for n in (u_for_edge, v_for_edge):
            if n not in self._succ:
                self.add_node(n)
        if self._succ[u_for_edge] is _NO_NEIGHBOURS:
            self._succ[u_for_edge] = {}
        if self._pred[v_for_edge] is _NO_NEIGHBOURS:
            self._pred[v_for_edge] = {}
        return super().add_edge(u_for_edge, v_for_edge, key, **attr)

    # The read model's own reads, without a mapping lookup per node (a million of them per walk).
    def node_object(self, node_id: str) -> Any:
        """``graph.nodes[node_id]["node"]`` (KeyError when there is none)."""
        attrs = self._node[node_id]
        return attrs.node if attrs.node is not _NodeAttrs else attrs["node"]

    def node_objects(self) -> Iterator[Any]:
        """``value for _, value in graph.nodes(data="node")``: every node's ``node`` attribute (None where none)."""
        return (None if attrs.node is _NodeAttrs else attrs.node for attrs in self._node.values())

    def clear_edges(self) -> None:
        for adjacency in (self._succ, self._pred):
            for n in adjacency:
                adjacency[n] = _NO_NEIGHBOURS
        nx._clear_cache(self)


def _return_freed_memory() -> None:
    """Hand the memory the build freed back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Why: building reads every stored image and makes the spatial index's temporaries; glibc keeps
    what they freed for reuse, which a read model that then only follows the change log never needs
    (≈ 4 % of the server's memory at 100,000 resources, docs/benchmarks.md "Server memory").
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: libc's, where it is glibc
    except (OSError, AttributeError):  # not glibc
        pass


def _ends(image: dict[str, Any] | None) -> EdgeEnds | None:
    """The ends of a logged edge image (None for none, or a deleted one)."""
    if image is None or image.get("deleted"):
        return None
    return EdgeEnds(image["source"], image["target"], image["kind"])


class ReadModel:
    """Graph + spatial index of the live (not deleted) catalogue."""

    def __init__(self, store: GraphStore | None = None, *, follow: bool = True) -> None:
        self.graph: CompactGraph = CompactGraph()
        self.index = SpatialIndex()
        self.revision = 0
        #: Views other modules derive from this read model (e.g. the matcher's per-revision
        #: context); they live and die with it, and each checks :attr:`revision` itself.
        self.derived: dict[str, object] = {}
        self._lock = threading.RLock()
        self._pending: list[Change] = []  # logged changes that arrived during a read (see reading())
        self._readers = 0
        self._municipalities: tuple[int, tuple[str, ...]] | None = None  # (revision, codes)
        self._touched: deque[NodeTouched | EdgeTouched] = deque()  # what each applied change touched, oldest first
        self._touched_from = 0  # the record holds every change after this revision
        self._store = store
        self._unsubscribe = None
        if store is not None:
            self._load(store)
            if follow:
                self._unsubscribe = store.subscribe(self.apply)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def from_objects(cls, nodes: Iterable[Node], edges: Iterable[Edge] = ()) -> ReadModel:
        """A read model over plain objects (tests, benchmarks, what-if analyses)."""
        rm = cls(None)
        rm._fill([n for n in nodes if not n.deleted], [e for e in edges if not e.deleted])
        return rm

    def _load(self, store: GraphStore) -> None:
        with self._lock:
            rev = store.revision()
            nodes = store.query_nodes(NodeQuery())
            edges = store.query_edges()
            self.revision = rev
            self._fill(nodes, edges)
            del nodes, edges
            _return_freed_memory()
        # writes committed between revision() and the queries are re-applied idempotently
        self.refresh()

    def _fill(self, nodes: list[Node], edges: list[Edge]) -> None:
        g = CompactGraph()
        for n in nodes:
            g.add_node(n.id, node=n)
        for e in edges:
            if e.source in g and e.target in g:
                g.add_edge(e.source, e.target, key=e.id, kind=e.kind, edge=e)
        self.graph = g
        self.index = SpatialIndex.build((n.id, n.lat, n.lng, n.categories) for n in nodes
                                        if n.lat is not None and n.lng is not None)
        self._forget_touched()

    def _forget_touched(self) -> None:
        """Start the record of changes afresh (a new build: nothing before it can be told apart)."""
        self._touched.clear()
        self._touched_from = self.revision

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- following the store ----------------------------------------------------------------
    def refresh(self) -> int:
        """Apply changes committed by anyone since :attr:`revision`; returns how many were applied."""
        if self._store is None:
            return 0
        with self._lock:
            since = max([self.revision, *(ch.rev for ch in self._pending)])
        changes = self._store.changes(since=since)
        self.apply(changes)
        return len(changes)

    def apply(self, changes: list[Change]) -> None:
        """Apply logged *changes* now, or — while a read is in progress — when the last read finishes."""
        with self._lock:
            self._pending.extend(changes)
            if not self._readers:
                self._apply_pending()

    @contextmanager
    def reading(self) -> Iterator[ReadModel]:
        """Mark a read: no change is applied while any marked read is in progress (see the module doc)."""
        with self._lock:
            if not self._readers:
                self._apply_pending()
            self._readers += 1
        try:
            yield self
        finally:
            with self._lock:
                self._readers -= 1
                if not self._readers:
                    self._apply_pending()

    def _apply_pending(self) -> None:
        """Apply the queued changes in revision order (the caller holds the lock, and no read is in progress)."""
        pending, self._pending = sorted(self._pending, key=lambda ch: ch.rev), []
        for ch in pending:
            if ch.rev <= self.revision:
                continue
            touched = self._apply_node(ch) if ch.entity == "node" else self._apply_edge(ch)
            self.revision = ch.rev
            self._touched.append(touched)
            if len(self._touched) > TOUCHED_KEPT:
                self._touched_from = self._touched.popleft().rev

    def touched_between(self, since: int, until: int) -> tuple[NodeTouched | EdgeTouched, ...] | None:
        """What every change applied after revision *since* up to *until* touched, in revision order —
        None when the record cannot tell (it starts after *since*: too old, or the model was built anew;
        or *until* is not a revision this model has reached).

        Why one place: whoever keeps a view of one revision (the matcher's context, a page cache) asks this
        to decide what of the view a write can have made stale, instead of rebuilding it after every write.
        """
        with self._lock:
            if since < self._touched_from or until > self.revision or since > until:
                return None
            if since == until:
                return ()
            out = []
            for t in reversed(self._touched):  # the newest are wanted: walk back to *since*
                if t.rev <= since:
                    break
                if t.rev <= until:
                    out.append(t)
            return tuple(reversed(out))

    def _apply_node(self, ch: Change) -> NodeTouched:
        held = self.node(ch.entity_id) if ch.entity_id in self.graph else None
        after = ch.after
        if after is None or after.get("deleted"):
            neighbours = frozenset(self.graph.succ.get(ch.entity_id, ())) | frozenset(self.graph.pred.get(ch.entity_id, ()))
            self._drop_node(ch.entity_id)
            return NodeTouched(ch.rev, ch.entity_id, held, None, neighbours)
        node = stored_node(after)  # validated on its way in; the log holds what the store wrote
        if held is not None:
            self.graph.nodes[node.id]["node"] = node
        else:
            self.graph.add_node(node.id, node=node)
        if node.located:
            self.index.upsert(node.id, node.lat, node.lng, node.categories)  # type: ignore[arg-type]
        else:
            self.index.remove(node.id)
        return NodeTouched(ch.rev, node.id, held, node)

    def _drop_node(self, node_id: str) -> None:
        if node_id in self.graph:
            self.graph.remove_node(node_id)
        self.index.remove(node_id)

    def _apply_edge(self, ch: Change) -> EdgeTouched:
        after = ch.after
        before = ch.before
        for state in (before, after):
            if state is not None:
                s, t = state["source"], state["target"]
                if self.graph.has_edge(s, t, key=ch.entity_id):
                    self.graph.remove_edge(s, t, key=ch.entity_id)
        if after is not None and not after.get("deleted"):
            e = stored_edge(after)
            if e.source in self.graph and e.target in self.graph:
                self.graph.add_edge(e.source, e.target, key=e.id, kind=e.kind, edge=e)
        return EdgeTouched(ch.rev, ch.entity_id, _ends(before), _ends(after))

    # -- reading ----------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        return self.graph.node_object(node_id)

    def has(self, node_id: str) -> bool:
        return node_id in self.graph

    def nodes(self, *, kind: str | None = None, city: str | None = None) -> Iterator[Node]:
        for data in self.graph.node_objects():
            if (kind is None or data.kind == kind) and (city is None or data.city == city):
                yield data

    def municipalities(self) -> tuple[str, ...]:
        """Codes of the municipalities held (their ``municipality`` nodes), sorted; found once per revision.

        Why kept: every match reads its city against these, and finding them walks every node.
        """
        held = self._municipalities
        if held is None or held[0] != self.revision:
            with self._lock:
                held = self._municipalities
                if held is not None and held[0] != self.revision and self._touches_no_municipality(held[0]):
                    held = (self.revision, held[1])  # only other kinds of node changed: the same codes
                elif held is None or held[0] != self.revision:
                    held = (self.revision, tuple(sorted({n.city for n in self.nodes(kind="municipality")})))
                self._municipalities = held
        return held[1]

    def _touches_no_municipality(self, since: int) -> bool:
        """Whether every change after *since* is known and leaves the municipality nodes as they were."""
        touched = self.touched_between(since, self.revision)
        return touched is not None and not any(
            isinstance(t, NodeTouched) and any(n is not None and n.kind == "municipality" for n in (t.before, t.after))
            for t in touched)

    def edges(self, *, kind: str | None = None) -> Iterator[Edge]:
        for _, _, data in self.graph.edges(data="edge"):
            if kind is None or data.kind == kind:
                yield data

    # The adjacency mappings directly, not ``graph.out_edges(...)``: that builds a view object per
    # call, which cost more than the edges themselves when the HSDS directory asks for every resource.
    def out_edges(self, node_id: str, kind: str | None = None) -> list[Edge]:
        return [d["edge"] for keyed in self.graph.succ.get(node_id, {}).values() for d in keyed.values()
                if kind is None or d["kind"] == kind]

    def in_edges(self, node_id: str, kind: str | None = None) -> list[Edge]:
        return [d["edge"] for keyed in self.graph.pred.get(node_id, {}).values() for d in keyed.values()
                if kind is None or d["kind"] == kind]

    def within(self, lat: float, lng: float, radius_m: float, category: str = ALL) -> list[tuple[Node, float]]:
        return [(self.node(pid), d) for pid, d in self.index.within(lat, lng, radius_m, category)]
