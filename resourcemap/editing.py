"""The one write path of an edit: merge, validate once, check against the catalogue, hand to the store.

Why a layer above the store: the store guarantees graph integrity (versions, edge ends) and
trusts what it is given; this layer makes sure what it gives is right. It adds what needs
geography and the catalogue around it — a node lies inside its municipality
(:func:`resourcemap.catalogue.check_location`), its ``area_id`` names an area of the same city,
an edge's ends exist and their kinds fit :data:`resourcemap.model.EDGE_RULES` — and the
server's provenance: an API write's ``source`` is ``api:<actor>`` and ``verified_by`` is the
actor who set ``verified_at``; neither is ever taken from a request body (only an import or
the seeds cite other sources). Problems are collected and reported together
(``ValidationFailed.errors``) so a form or a spreadsheet row is fixed in one pass.

The write path of a change, in full::

    current = store.get_node(id)                       # trusted: no validation on read
    check_version(current.version, expected)            # 412 before any work
    node = parse_node({**current, **changes, **provenance})   # the ONE validation
    node_problems(node) → 422                          # geography, area
    store.update_node(node, expected_version=current.version)  # persist + log; the read model follows

All of it inside one ``store.batch()``; the read model applies the logged change without
validating it again (:func:`resourcemap.model.stored_node`).
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from .catalogue import check_location
from .cities import CITIES
from .errors import NotFound, ValidationFailed
from .graph.stores.base import ExpectedVersion, GraphStore, check_version, edge_end_problems
from .model import READ_ONLY, STORE_MANAGED, Edge, Node, parse_edge, parse_node

__all__ = ["Lookup", "store_lookup", "node_problems", "edge_problems", "create_node", "update_node",
           "verify_node", "create_edge", "update_edge", "SERVER_PROVENANCE"]

#: Looks a node up by id (None when missing or deleted).
Lookup = Callable[[str], Node | None]
#: Node fields the server sets on an API write (from the caller's key), never a request body.
SERVER_PROVENANCE = frozenset({"source", "verified_by"})

E = TypeVar("E", Node, Edge)


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
    """Missing ends and kinds that do not fit the edge kind (the stores' own rule, as field problems)."""
    def live_kind(node_id: str) -> str | None:
        node = lookup(node_id)
        return None if node is None else node.kind
    return edge_end_problems(edge, live_kind)


def _raise(what: str, problems: list[dict[str, Any]]) -> None:
    if problems:
        raise ValidationFailed(f"{what}: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                               errors=problems)


def _refuse(data: dict[str, Any], fields: frozenset[str], what: str) -> None:
    bad = sorted(set(data) & fields)
    _raise(what, [{"field": b, "message": "サーバーが管理する項目なので指定できません"
                                          + ("（出典・確認者は API キーの名前になります）" if b in SERVER_PROVENANCE else "")}
                  for b in bad])


def _provenance(changes: dict[str, Any], actor: str) -> dict[str, Any]:
    """What an API write by *actor* sets itself: ``source`` when content changes, ``verified_by`` with ``verified_at``."""
    out: dict[str, Any] = {}
    if set(changes) - {"verified_at"}:
        out["source"] = f"api:{actor}"
    if "verified_at" in changes:
        out["verified_by"] = actor if changes["verified_at"] is not None else None
    return out


def create_node(store: GraphStore, data: dict[str, Any], *, actor: str) -> Node:
    """Validate a new node from an API body once (``source`` = ``api:<actor>``) and create it."""
    what = "ノードを作成できません"
    _refuse(data, STORE_MANAGED | SERVER_PROVENANCE, what)
    node = parse_node({**data, **_provenance(data, actor), "source": f"api:{actor}"})
    _raise(what, node_problems(node, store_lookup(store)))
    return store.create_node(node, actor=actor)


def _update(store: GraphStore, what: str, entity_id: str, changes: dict[str, Any], expected: ExpectedVersion,
            actor: str, *, get: Callable[[str], E], parse: Callable[[dict[str, Any]], E],
            problems: Callable[[E, Lookup], list[dict[str, Any]]], write: Callable[..., E],
            server: dict[str, Any]) -> E:
    """Merge, validate once, check, write — one transaction; the store re-checks the version it is given."""
    if not changes:
        raise ValidationFailed(f"{what} の変更する項目がありません。変えたい項目だけを送ってください。")
    with store.batch():
        current = get(entity_id)
        check_version(f"{what} {entity_id}", current.version, expected)
        merged = parse({**current.public_dict(), **changes, **server})
        _raise(f"{what}を更新できません", problems(merged, store_lookup(store)))
        return write(merged, expected_version=current.version, actor=actor)


def update_node(store: GraphStore, node_id: str, changes: dict[str, Any], *,
                expected_version: ExpectedVersion = None, actor: str) -> Node:
    """Apply an API change to a node: checked merged node (geography, area), server provenance, one transaction."""
    _refuse(changes, READ_ONLY | SERVER_PROVENANCE, f"ノード {node_id} を更新できません")
    return _update(store, "ノード", node_id, changes, expected_version, actor, get=store.get_node, parse=parse_node,
                   problems=node_problems, write=store.update_node, server=_provenance(changes, actor))


def verify_node(store: GraphStore, node_id: str, day: str, *, expected_version: ExpectedVersion = None,
                actor: str) -> Node:
    """Record that *actor* confirmed the node is current on *day* (``verified_at``; ``verified_by`` = actor)."""
    return update_node(store, node_id, {"verified_at": day}, expected_version=expected_version, actor=actor)


def create_edge(store: GraphStore, data: dict[str, Any], *, actor: str) -> Edge:
    """Validate a new edge once and create it (ends must exist and fit the edge kind)."""
    what = "エッジを作成できません"
    _refuse(data, STORE_MANAGED, what)
    edge = parse_edge(data)
    _raise(what, edge_problems(edge, store_lookup(store)))
    return store.create_edge(edge, actor=actor)


def update_edge(store: GraphStore, edge_id: str, changes: dict[str, Any], *,
                expected_version: ExpectedVersion = None, actor: str) -> Edge:
    """Apply a change to an edge after checking the merged edge (ends exist, kinds fit) — one transaction."""
    _refuse(changes, READ_ONLY, f"エッジ {edge_id} を更新できません")
    return _update(store, "エッジ", edge_id, changes, expected_version, actor, get=store.get_edge, parse=parse_edge,
                   problems=edge_problems, write=store.update_edge, server={})
