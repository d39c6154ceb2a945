"""The ``GraphStore`` contract every backend implements (SQLite embedded, Bolt graph server).

Why a protocol and not a base class: the backends share no code worth inheriting, but they
must behave identically — the contract suite in ``tests/contract/`` runs the same tests
against each. Semantics every backend guarantees:

* **Versions.** Each node/edge starts at version 1; every update, delete and restore adds
  one. A write that passes ``expected_version`` fails with :class:`VersionConflict` when it
  is stale. Versions never go back.
* **Soft delete.** ``delete_*`` marks ``deleted=True`` (restorable); reads skip deleted
  entities unless ``include_deleted=True``. Deleting a node soft-deletes its edges.
* **Integrity.** An edge's ends must exist (not deleted) and fit
  :data:`resourcemap.model.EDGE_RULES`; ids are unique per entity type.
* **Atomic batches.** Everything inside ``with store.batch():`` commits together or not at
  all; a single write outside a batch is its own transaction.
* **Change log.** Every committed write appends a :class:`Change` with a revision number
  strictly increasing by one, the actor, time, and before/after images; ``revision()`` is the
  last one. ``changes(since=r)`` returns the entries after ``r`` in order.
* **Listeners.** ``subscribe(fn)`` calls ``fn(changes)`` after each commit, in-process — the
  read model keeps in step this way (and other processes catch up via ``changes``).
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

from ...model import Change, Edge, Node

__all__ = ["GraphStore", "NodeQuery", "Listener", "Listeners", "apply_patch", "check_version"]

Listener = Callable[[list[Change]], None]


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


@runtime_checkable
class GraphStore(Protocol):
    url: str

    # nodes --------------------------------------------------------------------------------
    def create_node(self, node: Node, *, actor: str | None = None) -> Node: ...
    def get_node(self, node_id: str, *, include_deleted: bool = False) -> Node: ...
    def update_node(self, node_id: str, changes: dict[str, Any], *, expected_version: int | None = None,
                    actor: str | None = None) -> Node: ...
    def delete_node(self, node_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Node: ...
    def restore_node(self, node_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Node: ...
    def query_nodes(self, query: NodeQuery = NodeQuery()) -> list[Node]: ...
    def count_nodes(self, *, include_deleted: bool = False) -> int: ...

    # edges --------------------------------------------------------------------------------
    def create_edge(self, edge: Edge, *, actor: str | None = None) -> Edge: ...
    def get_edge(self, edge_id: str, *, include_deleted: bool = False) -> Edge: ...
    def update_edge(self, edge_id: str, changes: dict[str, Any], *, expected_version: int | None = None,
                    actor: str | None = None) -> Edge: ...
    def delete_edge(self, edge_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Edge: ...
    def restore_edge(self, edge_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Edge: ...
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


_IMMUTABLE = {"id", "kind", "version", "created_at", "updated_at", "deleted"}


def check_version(what: str, current: int, expected: int | None) -> None:
    """Raise :class:`VersionConflict` when a write names a version that is no longer current (every backend)."""
    from ...errors import VersionConflict

    if expected is not None and expected != current:
        raise VersionConflict(f"{what} は版 {current} に更新されています（指定は版 {expected}）。"
                              "最新を取得してから変更し直してください。", current_version=current)


def apply_patch(current: dict[str, Any], changes: dict[str, Any], *, what: str) -> dict[str, Any]:
    """Merge a partial update into a stored entity's JSON (shared by every backend).

    Why here: the rules (which fields may not change) must be the same for every store.
    """
    from ...errors import ValidationFailed

    bad = sorted(set(changes) & _IMMUTABLE)
    if bad:
        raise ValidationFailed(f"{what} の {', '.join(bad)} は変更できません。",
                               errors=[{"field": b, "message": "read-only"} for b in bad])
    merged = dict(current)
    merged.update(changes)
    return merged
