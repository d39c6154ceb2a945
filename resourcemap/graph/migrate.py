"""Copy a whole catalogue between stores — nodes, edges, versions, timestamps and the change log.

Why not ``bulk_load``: a migration must keep history. Ordinary writes would start every
version at 1 and renumber the audit trail; here every entity keeps its version, times and
deleted flag, and the change log keeps its revisions, actors and before/after images, so
``resourcemap migrate --from sqlite:///… --to bolt://…`` and back gives the same catalogue.
The target must be empty; the copy is one transaction on the target.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import IntegrityError
from ..model import Change, Edge, Node
from .stores.base import GraphStore, NodeQuery

__all__ = ["MigrationReport", "Snapshot", "copy_catalogue", "import_history", "snapshot"]


@dataclass
class Snapshot:
    """Everything a store holds, in id / revision order."""

    nodes: list[Node]
    edges: list[Edge]
    changes: list[Change]
    revision: int

    def as_data(self) -> dict[str, Any]:
        """Plain data for comparing two stores (what a round trip must preserve)."""
        return {"nodes": [n.public_dict() for n in self.nodes], "edges": [e.public_dict() for e in self.edges],
                "changes": [c.model_dump(mode="json") for c in self.changes], "revision": self.revision}


@dataclass
class MigrationReport:
    source: str
    target: str
    nodes: int
    edges: int
    changes: int
    revision: int
    verified: bool


def snapshot(store: GraphStore) -> Snapshot:
    rev = store.revision()
    return Snapshot(nodes=store.query_nodes(NodeQuery(include_deleted=True)),
                    edges=store.query_edges(include_deleted=True),
                    changes=store.changes(since=0), revision=rev)


def _check_empty(store: GraphStore) -> None:
    if store.revision() != 0 or store.count_nodes(include_deleted=True) != 0:
        raise IntegrityError(f"移行先 {store.url} は空ではありません。空のストアを指定してください。")


def import_history(store: GraphStore, snap: Snapshot) -> None:
    """Write *snap* as it is into the empty *store* (all or nothing)."""
    if [c.rev for c in snap.changes] != list(range(1, len(snap.changes) + 1)):
        raise IntegrityError("移行元の変更履歴の版番号が 1 から連続していません。")
    if snap.changes and snap.changes[-1].rev != snap.revision:
        raise IntegrityError("移行元の変更履歴と現在の版が一致しません。")
    _check_empty(store)
    store.import_history(snap.nodes, snap.edges, snap.changes)


def copy_catalogue(source: GraphStore, target: GraphStore, *, verify: bool = True) -> MigrationReport:
    """Copy *source* into the empty *target*; with *verify*, read the target back and compare."""
    snap = snapshot(source)
    import_history(target, snap)
    ok = snapshot(target).as_data() == snap.as_data() if verify else False
    if verify and not ok:
        raise IntegrityError(f"移行後の {target.url} が移行元と一致しません。移行先を空にしてやり直してください。")
    return MigrationReport(source=source.url, target=target.url, nodes=len(snap.nodes), edges=len(snap.edges),
                           changes=len(snap.changes), revision=snap.revision, verified=ok)
