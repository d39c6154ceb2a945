"""Read queries shared by the CLI and the API (so neither repeats the other's logic)."""
from __future__ import annotations

from typing import Any

from .cities import resolve_city
from .errors import InputError
from .graph.stores.base import GraphStore, NodeQuery
from .model import NODE_KINDS, Node
from .taxonomy import expand_category

__all__ = ["list_nodes"]


def list_nodes(store: GraphStore, *, city: str | None = None, kind: str | None = None,
               category: str | None = None, area: str | None = None,
               near: tuple[float, float, float] | None = None, after: str | None = None,
               limit: int | None = None, include_deleted: bool = False) -> list[Node]:
    """Nodes matching every given filter, ordered by id; ``category`` includes sub-categories."""
    if kind is not None and kind not in NODE_KINDS:
        raise InputError(f"kind {kind!r} はありません。使えるのは: {', '.join(NODE_KINDS)}")
    code = resolve_city(city).code if city else None
    base: dict[str, Any] = {"kind": kind, "city": code, "area_id": area, "near": near, "after": after, "include_deleted": include_deleted}
    if category is None:
        return store.query_nodes(NodeQuery(**base, limit=limit))
    found: dict[str, Node] = {}
    for cat in sorted(expand_category(category)):
        for n in store.query_nodes(NodeQuery(**base, category=cat, limit=limit)):
            found[n.id] = n
    out = [found[k] for k in sorted(found)]
    return out[:limit] if limit is not None else out
