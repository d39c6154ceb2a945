"""The ``GraphStore`` contract every backend implements (SQLite embedded, Bolt graph server).

Why a protocol plus shared rule functions, not a base class: the backends share no storage
code, but they must behave identically — the rules below are written once and the contract
suite in ``tests/contract/`` runs the same tests against each. Semantics every backend guarantees:

* **Versions.** Each node/edge starts at version 1; every update, delete and restore adds
  one. A write that passes ``expected_version`` fails with :class:`VersionConflict` when it
  is stale. Versions never go back.
* **Soft delete.** ``delete_*`` marks ``deleted=True`` (restorable); reads skip deleted
  entities unless ``include_deleted=True``. Deleting a node soft-deletes its edges.
* **Integrity.** An edge's ends must exist (not deleted) and fit
  :data:`resourcemap.model.EDGE_RULES`; ids are unique per entity type; an update keeps the
  entity's id and kind.
* **Trust.** ``create_*`` and ``update_*`` take an entity that was validated on its way in
  (:mod:`resourcemap.editing`, the importers, the seeds); the store persists and logs it and
  never validates it again, and reads give back exactly what was written
  (:func:`resourcemap.model.stored_node`).
* **Atomic batches.** Everything inside ``with store.batch():`` commits together or not at
  all; a single write outside a batch is its own transaction.
* **Change log.** Every committed write appends a :class:`Change` with a revision number
  strictly increasing by one, the actor, time, and before/after images; ``revision()`` is the
  last one. ``changes(since=r)`` returns the entries after ``r`` in order.
* **Listeners.** ``subscribe(fn)`` calls ``fn(changes)`` after each commit, in-process — the
  read model keeps in step this way (and other processes catch up via ``changes``).

These rules are written once, below (:func:`create_node` … :func:`set_edge_deleted`), over a
:class:`WriteTx` — the few reads and writes a backend does inside one of its transactions. A
backend implements ``WriteTx`` and calls the rules; it holds no rule of its own.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Collection, Iterable, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from ...errors import IntegrityError, NotFound, VersionConflict
from ...model import EDGE_RULES, STORE_MANAGED, Change, Edge, Node, now_utc

__all__ = ["GraphStore", "NodeQuery", "NodeKey", "Listener", "Listeners", "ExpectedVersion", "WriteTx", "check_version",
           "visible", "edge_end_problems", "first_version", "FirstVersionJSON", "create_node", "update_node", "set_node_deleted",
           "create_edge", "update_edge", "set_edge_deleted"]

Listener = Callable[[list[Change]], None]
#: The version a write is based on: one version, any of several (an ``If-Match`` list), or None (any).
ExpectedVersion = int | frozenset[int] | None


@dataclass(frozen=True)
class NodeQuery:
    """Filters for :meth:`GraphStore.query_nodes`; all given filters must hold.

    ``category`` matches nodes carrying that exact category id (callers expand the taxonomy
    themselves); ``near`` is ``(lat, lng, radius_m)`` on the sphere; ``bbox`` is
    ``(min_lat, min_lng, max_lat, max_lng)``. Results are ordered by id; ``after`` is the last
    id of the previous page (keyset pagination).
    """

    kind: str | None = None
    city: str | None = None
    category: str | None = None
    area_id: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None
    include_deleted: bool = False
    after: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class NodeKey:
    """What an import matches a row to an existing node by, for one stored node (deleted too).

    Why not the node: planning a one-row file against a catalogue of thousands must not parse
    every stored image; these few columns are what :mod:`resourcemap.io.plan` keys on — (市区町村,
    種別, 名称) and (市区町村, 名称, 所在地), both within the file's municipalities — and a row's own node is
    then fetched by id (:meth:`GraphStore.get_nodes`). The texts are as stored (the planner normalizes them).
    """

    id: str
    kind: str
    city: str
    name: str
    address: str | None
    deleted: bool


@runtime_checkable
class GraphStore(Protocol):
    url: str

    # nodes --------------------------------------------------------------------------------
    def create_node(self, node: Node, *, actor: str | None = None) -> Node: ...
    def get_node(self, node_id: str, *, include_deleted: bool = False) -> Node: ...
    def update_node(self, node: Node, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node: ...
    def delete_node(self, node_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node: ...
    def restore_node(self, node_id: str, *, expected_version: ExpectedVersion = None,
                     actor: str | None = None) -> Node: ...
    def query_nodes(self, query: NodeQuery = NodeQuery()) -> list[Node]: ...
    def query_public_nodes(self, query: NodeQuery = NodeQuery()) -> list[dict[str, Any]]:
        """``[n.public_dict() for n in query_nodes(query)]``; a store may answer without building the nodes."""
        ...
    def query_node_versions(self, query: NodeQuery = NodeQuery()) -> list[tuple[str, int]]:
        """``[(n.id, n.version) for n in query_nodes(query)]``: what a list would show, without its images
        (``GET /v1/nodes`` encodes a node once per version, :class:`api.state.NodeEncodings`)."""
        ...
    def get_public_nodes(self, node_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{i: n.public_dict() for i, n in get_nodes(node_ids).items()}``; a store may answer without building
        the nodes."""
        ...
    def count_nodes(self, *, include_deleted: bool = False) -> int: ...
    def node_keys(self, cities: Collection[str] | None = None) -> list[NodeKey]:
        """The natural keys of every node in these municipalities (None: all), deleted ones too, ordered by
        id; no image is parsed."""
        ...
    def get_nodes(self, node_ids: Iterable[str]) -> dict[str, Node]:
        """The nodes with these ids, deleted ones too, by id; ids with no node are left out."""
        ...

    # edges --------------------------------------------------------------------------------
    def create_edge(self, edge: Edge, *, actor: str | None = None) -> Edge: ...
    def get_edge(self, edge_id: str, *, include_deleted: bool = False) -> Edge: ...
    def update_edge(self, edge: Edge, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge: ...
    def delete_edge(self, edge_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge: ...
    def restore_edge(self, edge_id: str, *, expected_version: ExpectedVersion = None,
                     actor: str | None = None) -> Edge: ...
    def query_edges(self, *, kind: str | None = None, source: str | None = None, target: str | None = None,
                    include_deleted: bool = False) -> list[Edge]: ...

    # batches, log, lifecycle --------------------------------------------------------------
    def batch(self) -> AbstractContextManager[None]: ...
    def bulk_load(self, nodes: Iterable[Node], edges: Iterable[Edge], *, actor: str | None = None) -> int: ...
    def import_history(self, nodes: Iterable[Node], edges: Iterable[Edge], changes: Iterable[Change]) -> int: ...
    def revision(self) -> int: ...
    def changes(self, since: int = 0, limit: int | None = None) -> list[Change]: ...
    def subscribe(self, listener: Listener) -> Callable[[], None]: ...
    def close(self) -> None: ...


class Listeners:
    """The in-process subscribers of one store (shared by every backend: same semantics everywhere)."""

    def __init__(self) -> None:
        import threading

        self._items: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._items.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._items:
                    self._items.remove(listener)
        return unsubscribe

    @property
    def active(self) -> bool:
        """Whether anyone listens (a bulk write may skip building change objects nobody reads)."""
        return bool(self._items)

    def notify(self, changes: list[Change]) -> None:
        """Call every listener with the changes of one committed transaction (none: no call)."""
        if not changes:
            return
        with self._lock:
            items = list(self._items)
        for fn in items:
            fn(changes)


# -- the write rules every backend shares -------------------------------------------------------------
class WriteTx(Protocol):
    """What a backend does inside one of its transactions, for the shared rules below."""

    def node(self, node_id: str) -> Node | None:
        """The node as this transaction sees it, deleted or not; None when there is no such id."""
    def edge(self, edge_id: str) -> Edge | None:
        """The edge as this transaction sees it, deleted or not; None when there is no such id."""
    def live_kind(self, node_id: str) -> str | None:
        """The kind of a live (not deleted) node; None when it is missing or deleted."""
    def live_edges_at(self, node_id: str) -> list[str]:
        """Ids of the live edges with *node_id* at either end, in id order."""
    def put_node(self, node: Node, *, new: bool) -> None:
        """Write the node's new state (insert when *new*)."""
    def put_edge(self, edge: Edge, *, new: bool) -> None:
        """Write the edge's new state (insert when *new*)."""
    def log(self, op: str, entity: str, entity_id: str, before: dict[str, Any] | None,
            after: dict[str, Any] | None, actor: str | None) -> None:
        """Append one change-log entry to this transaction."""


def _versions(expected: int | frozenset[int]) -> str:
    return ", ".join(str(v) for v in sorted(expected)) if isinstance(expected, frozenset) else str(expected)


def check_version(what: str, current: int, expected: ExpectedVersion) -> None:
    """Raise :class:`VersionConflict` when a write names a version (or versions) that is no longer current."""
    if expected is None or current == expected or (isinstance(expected, frozenset) and current in expected):
        return
    raise VersionConflict(f"{what} は版 {current} に更新されています（指定は版 {_versions(expected)}）。"
                          "最新を取得してから変更し直してください。", current_version=current)


E = TypeVar("E", Node, Edge)


def visible(entity: E | None, what: str, entity_id: str, *, include_deleted: bool) -> E:
    """What a read may show: a missing *what* (ノード/エッジ), or a deleted one unless asked for, is :class:`NotFound`."""
    if entity is None or (entity.deleted and not include_deleted):
        raise NotFound(f"{what} {entity_id!r} はありません。")
    return entity


def edge_end_problems(edge: Edge, live_kind: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Missing ends, then ends whose kind does not fit :data:`EDGE_RULES` (empty when the edge may exist).

    Shared by the stores (the last guard: :class:`IntegrityError`) and :mod:`resourcemap.editing`
    (a 422 naming the field, before the store is asked).
    """
    problems: list[dict[str, Any]] = []
    kinds: dict[str, str] = {}
    for end in ("source", "target"):
        node_id = getattr(edge, end)
        kind = live_kind(node_id)
        if kind is None:
            problems.append({"field": end, "message": f"ノード {node_id!r} がありません。先に作成してください"})
        else:
            kinds[end] = kind
    if len(kinds) == 2:
        for end, allowed in zip(("source", "target"), EDGE_RULES[edge.kind]):
            if kinds[end] not in allowed:
                problems.append({"field": end, "message": f"{edge.kind} の{'始点' if end == 'source' else '終点'}に "
                                                          f"{kinds[end]} は使えません（使えるのは {', '.join(sorted(allowed))}）"})
    return problems


@dataclass(frozen=True)
class _Kind:
    """How the rules below reach one entity type inside a transaction (nodes and edges follow the same rules)."""

    entity: Literal["node", "edge"]
    label: str  # in messages
    get: Callable[[WriteTx, str], Any]
    put: Callable[[WriteTx, Any, bool], None]
    check: Callable[[WriteTx, Any], None] | None = None  # what a live state must also satisfy


def _check_ends(tx: WriteTx, edge: Edge) -> None:
    check_edge_ends(edge, tx.live_kind)


def check_edge_ends(edge: Edge, live_kind: Callable[[str], str | None]) -> None:
    """:class:`IntegrityError` when :func:`edge_end_problems` finds any (the stores' last guard; bulk loads too)."""
    sources, targets = EDGE_RULES[edge.kind]
    if live_kind(edge.source) in sources and live_kind(edge.target) in targets:
        return  # the usual case, decided without building the problem list (a bulk load checks 100,000s)
    problems = edge_end_problems(edge, live_kind)
    if problems:
        raise IntegrityError(f"エッジ {edge.id}: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                             errors=problems)


_NODE = _Kind("node", "ノード", lambda tx, i: tx.node(i), lambda tx, n, new: tx.put_node(n, new=new))
_EDGE = _Kind("edge", "エッジ", lambda tx, i: tx.edge(i), lambda tx, e, new: tx.put_edge(e, new=new), _check_ends)


def _write(tx: WriteTx, kind: _Kind, op: str, current: Any, stored: Any, actor: str | None) -> Any:
    if kind.check is not None and not stored.deleted:
        kind.check(tx, stored)
    kind.put(tx, stored, current is None)
    tx.log(op, kind.entity, stored.id, None if current is None else current.public_dict(), stored.public_dict(), actor)
    return stored


def first_version(new: E, at: datetime) -> E:
    """A validated entity as it is first stored: version 1, created and updated *at*, live (also the
    stores' bulk loads, which insert many at once).

    What ``new.model_copy(update=...)`` makes (the same fields, fields-set, extra and private
    attributes: ``tests/unit/test_bulk_change_log.py`` compares them), built without its generic copy
    machinery, which was a fifth of a 100,000-node bulk load's CPU time.
    """
    stored = type(new).__new__(type(new))
    values = dict(new.__dict__)
    values.update(version=1, created_at=at, updated_at=at, deleted=False)
    object.__setattr__(stored, "__dict__", values)
    object.__setattr__(stored, "__pydantic_fields_set__", new.__pydantic_fields_set__ | STORE_MANAGED)
    object.__setattr__(stored, "__pydantic_extra__", copy(new.__pydantic_extra__))
    object.__setattr__(stored, "__pydantic_private__", copy(new.__pydantic_private__))
    return stored


#: The JSON keys that open and close the store-managed fields in an entity's image (``id`` comes before them).
_MANAGED_FROM, _MANAGED_TO = b',"version":', b',"kind":'


def _managed_fields_in_place(model: type[BaseModel]) -> bool:
    """Whether *model*'s JSON is ``{"id":…`` then exactly the store-managed fields, then ``"kind"``."""
    names = list(model.model_fields)
    return names[0] == "id" and set(names[1:len(STORE_MANAGED) + 1]) == STORE_MANAGED \
        and names[len(STORE_MANAGED) + 1] == "kind"


class FirstVersionJSON:
    """``first_version(entity, at).model_dump_json()`` for many entities, without building the first versions.

    Why: a bulk load stores 100,000s of first versions as JSON and needs nothing else of them;
    building each one (:func:`first_version`) cost as much as serialising it. The entity's own
    JSON is serialised and its store-managed fields (between ``"version"`` and ``"kind"``, which
    only ``id`` precedes) are replaced by those of a first version stamped *at* — the same bytes
    for every entity of a model, taken once from a real first version. Unambiguous: those keys are
    found as ``,"version":`` / ``,"kind":``, which cannot occur inside the JSON string of the id
    (a quote in a string is escaped), and the fields between them are a number, two timestamps and
    a boolean. A model whose fields were ever reordered falls back to building the first version
    (``tests/unit/test_bulk_change_log.py`` compares both for generated entities).
    """

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._managed: dict[type, bytes | None] = {}  # model → its first version's managed fields as JSON

    def __call__(self, entity: E) -> str:
        model = type(entity)
        if model not in self._managed:
            ref = model.__pydantic_serializer__.to_json(first_version(entity, self.at))
            self._managed[model] = (ref[ref.index(_MANAGED_FROM):ref.index(_MANAGED_TO)]
                                    if _managed_fields_in_place(model) else None)
        middle = self._managed[model]
        if middle is None:
            return first_version(entity, self.at).model_dump_json()
        own = model.__pydantic_serializer__.to_json(entity)
        return (own[:own.index(_MANAGED_FROM)] + middle + own[own.index(_MANAGED_TO):]).decode()


def _create(tx: WriteTx, kind: _Kind, new: Any, actor: str | None) -> Any:
    """Insert a validated entity at version 1 (its id must be new)."""
    if kind.get(tx, new.id) is not None:
        raise IntegrityError(f"{kind.label} id {new.id!r} は既にあります。", id=new.id)
    return _write(tx, kind, "create", None, first_version(new, now_utc()), actor)


def _update(tx: WriteTx, kind: _Kind, new: Any, expected: ExpectedVersion, actor: str | None) -> Any:
    """Replace a live entity with the validated *new* one (same id and kind); version + 1."""
    current = kind.get(tx, new.id)
    if current is None or current.deleted:
        raise NotFound(f"{kind.label} {new.id!r} はありません。")
    check_version(f"{kind.label} {new.id}", current.version, expected)
    if new.kind != current.kind:
        raise IntegrityError(f"{kind.label} {new.id} の種別は変更できません（{current.kind} → {new.kind}）。")
    stored = new.model_copy(update={"version": current.version + 1, "updated_at": now_utc(),
                                    "created_at": current.created_at, "deleted": False})
    return _write(tx, kind, "update", current, stored, actor)


def _set_deleted(tx: WriteTx, kind: _Kind, entity_id: str, deleted: bool, expected: ExpectedVersion,
                 actor: str | None) -> Any:
    """Soft-delete or restore; deleting what is deleted is 404 (it is gone), restoring what is live a conflict."""
    current = kind.get(tx, entity_id)
    if current is None:
        raise NotFound(f"{kind.label} {entity_id!r} はありません。")
    if current.deleted == deleted:
        if deleted:
            raise NotFound(f"{kind.label} {entity_id!r} は削除済み。")
        raise IntegrityError(f"{kind.label} {entity_id!r} は削除されていません。")
    check_version(f"{kind.label} {entity_id}", current.version, expected)
    stored = current.model_copy(update={"deleted": deleted, "version": current.version + 1, "updated_at": now_utc()})
    return _write(tx, kind, "delete" if deleted else "restore", current, stored, actor)


def create_node(tx: WriteTx, node: Node, actor: str | None) -> Node:
    """Insert a validated node at version 1 (its id must be new)."""
    return _create(tx, _NODE, node, actor)


def update_node(tx: WriteTx, node: Node, expected: ExpectedVersion, actor: str | None) -> Node:
    """Replace a live node's content with the validated *node* (same id and kind); version + 1."""
    return _update(tx, _NODE, node, expected, actor)


def set_node_deleted(tx: WriteTx, node_id: str, deleted: bool, expected: ExpectedVersion, actor: str | None) -> Node:
    """Soft-delete (or restore) a node; deleting takes its live edges with it, each logged."""
    stored: Node = _set_deleted(tx, _NODE, node_id, deleted, expected, actor)
    if deleted:  # an edge to a deleted node would dangle: delete it too
        for edge_id in tx.live_edges_at(node_id):
            set_edge_deleted(tx, edge_id, True, None, actor)
    return stored


def create_edge(tx: WriteTx, edge: Edge, actor: str | None) -> Edge:
    """Insert a validated edge at version 1 (new id; both ends live and of fitting kinds)."""
    return _create(tx, _EDGE, edge, actor)


def update_edge(tx: WriteTx, edge: Edge, expected: ExpectedVersion, actor: str | None) -> Edge:
    """Replace a live edge with the validated *edge* (same id and kind; ends checked again); version + 1."""
    return _update(tx, _EDGE, edge, expected, actor)


def set_edge_deleted(tx: WriteTx, edge_id: str, deleted: bool, expected: ExpectedVersion, actor: str | None) -> Edge:
    """Soft-delete (or restore) an edge; a restored edge needs both ends live again."""
    return _set_deleted(tx, _EDGE, edge_id, deleted, expected, actor)
