"""Catalogue edits with the checks every writer applies — the API and the importers alike.

Why a layer above the store: the store guarantees graph integrity (versions, edge ends);
this layer adds what needs geography and the catalogue around it — a node lies inside its
municipality (:func:`resourcemap.catalogue.check_location`), its ``area_id`` names an area of
the same city, an edge's ends exist and their kinds fit :data:`resourcemap.model.EDGE_RULES`.
Problems are collected and reported together (``ValidationFailed.errors``) so a form or a
spreadsheet row is fixed in one pass.
"""
from __future__ import annotations

from typing import Any, Callable

from .catalogue import check_location
from .cities import CITIES
from .errors import NotFound, ValidationFailed, VersionConflict
from .graph.stores.base import GraphStore, apply_patch
from .model import EDGE_RULES, Edge, Node, parse_edge, parse_node

__all__ = ["Lookup", "store_lookup", "node_problems", "edge_problems", "create_node", "update_node",
           "create_edge", "update_edge", "READ_ONLY"]

#: Looks a node up by id (None when missing or deleted).
Lookup = Callable[[str], Node | None]
#: Fields a writer may not set; the store manages them.
READ_ONLY = frozenset({"version", "created_at", "updated_at", "deleted"})


def store_lookup(store: GraphStore) -> Lookup:
    def lookup(node_id: str) -> Node | None:
        try:
            return store.get_node(node_id)
        except NotFound:
            return None
    return lookup


def node_problems(node: Node, lookup: Lookup) -> list[dict[str, Any]]:
    """Everything wrong with *node* in the context of the catalogue (empty when fine)."""
    problems: list[dict[str, Any]] = []
    if node.city not in CITIES:  # any municipality of Japan (the registry): its boundary is packaged
        problems.append({"field": "city", "message": f"市区町村コード {node.city} はありません。"
                                                     "5桁の全国地方公共団体コード（例: 13206）を指定してください"})
    else:
        try:
            check_location(node)
        except ValidationFailed as exc:
            problems.append({"field": "lat", "message": exc.detail})
    if node.area_id:
        area = lookup(node.area_id)
        if area is None or area.kind != "area":
            problems.append({"field": "area_id", "message": f"区域 {node.area_id!r} がありません（GET /v1/nodes?kind=area）"})
        elif area.city != node.city:
            problems.append({"field": "area_id", "message": f"区域 {node.area_id!r} は別の市区町村 ({area.city}) のものです"})
    return problems


def edge_problems(edge: Edge, lookup: Lookup) -> list[dict[str, Any]]:
    """Missing ends and kinds that do not fit the edge kind."""
    problems: list[dict[str, Any]] = []
    ends: dict[str, Node] = {}
    for field in ("source", "target"):
        node = lookup(getattr(edge, field))
        if node is None:
            problems.append({"field": field, "message": f"ノード {getattr(edge, field)!r} がありません。先に作成してください"})
        else:
            ends[field] = node
    if len(ends) == 2:
        src, tgt = EDGE_RULES[edge.kind]
        for field, allowed in (("source", src), ("target", tgt)):
            if ends[field].kind not in allowed:
                problems.append({"field": field, "message": f"{edge.kind} の{'始点' if field == 'source' else '終点'}に "
                                                            f"{ends[field].kind} は使えません（使えるのは {', '.join(sorted(allowed))}）"})
    return problems


def _raise(what: str, problems: list[dict[str, Any]]) -> None:
    if problems:
        raise ValidationFailed(f"{what}: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                               errors=problems)


def _no_read_only(data: dict[str, Any], what: str) -> None:
    bad = sorted(set(data) & READ_ONLY)
    if bad:
        _raise(what, [{"field": b, "message": "サーバーが管理する項目なので指定できません"} for b in bad])


def create_node(store: GraphStore, data: dict[str, Any], *, actor: str) -> Node:
    """Validate and create a node; ``source`` defaults to ``api:<actor>``."""
    _no_read_only(data, "ノードを作成できません")
    node = parse_node({"source": f"api:{actor}", **data})
    _raise("ノードを作成できません", node_problems(node, store_lookup(store)))
    return store.create_node(node, actor=actor)


def _check_expected(what: str, current: int, expected: int | None) -> None:
    if expected is not None and current != expected:
        raise VersionConflict(f"{what} は版 {current} に更新されています（指定は版 {expected}）。"
                              "最新を取得してから変更し直してください。", current_version=current)


def _update(store: GraphStore, what: str, entity_id: str, changes: dict[str, Any], expected_version: int | None,
            actor: str, *, get: Callable[[str], Any], parse: Callable[[dict[str, Any]], Any],
            problems: Callable[[Any, Lookup], list[dict[str, Any]]], write: Callable[..., Any]) -> Any:
    """Check the merged entity, then write the partial update — one transaction, version checked."""
    if not changes:
        raise ValidationFailed(f"{what} の変更する項目がありません。変えたい項目だけを送ってください。")
    with store.batch():
        current = get(entity_id)
        _check_expected(f"{what} {entity_id}", current.version, expected_version)
        merged = parse(apply_patch(current.public_dict(), changes, what=f"{what} {entity_id}"))
        _raise(f"{what}を更新できません", problems(merged, store_lookup(store)))
        return write(entity_id, changes, expected_version=current.version, actor=actor)


def update_node(store: GraphStore, node_id: str, changes: dict[str, Any], *, expected_version: int | None,
                actor: str) -> Node:
    """Apply a partial update after checking the merged node (geography, area) — one transaction."""
    return _update(store, "ノード", node_id, changes, expected_version, actor, get=store.get_node, parse=parse_node,
                   problems=node_problems, write=store.update_node)


def create_edge(store: GraphStore, data: dict[str, Any], *, actor: str) -> Edge:
    _no_read_only(data, "エッジを作成できません")
    edge = parse_edge(data)
    _raise("エッジを作成できません", edge_problems(edge, store_lookup(store)))
    return store.create_edge(edge, actor=actor)


def update_edge(store: GraphStore, edge_id: str, changes: dict[str, Any], *, expected_version: int | None,
                actor: str) -> Edge:
    """Apply a partial update after checking the merged edge (ends exist, kinds fit) — one transaction."""
    return _update(store, "エッジ", edge_id, changes, expected_version, actor, get=store.get_edge, parse=parse_edge,
                   problems=edge_problems, write=store.update_edge)
