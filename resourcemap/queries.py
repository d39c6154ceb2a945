"""Read queries shared by the CLI and the API (so neither repeats the other's logic)."""
from __future__ import annotations

from typing import Any

from .cities import resolve_city
from .errors import InputError
from .graph.readmodel import ReadModel
from .graph.stores.base import GraphStore, NodeQuery
from .model import NODE_KINDS, Node
from .taxonomy import expand_category

__all__ = ["list_nodes", "neighbourhood", "contact_fields"]


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


#: What a resource's page groups its graph neighbours under (each a relation read from the node's side).
_NEIGHBOUR_GROUPS: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    # (group, edge kind, direction from the node, kinds at the other end)
    ("運営・実施", "operates", "in", frozenset({"agency", "department", "municipality", "subsidy_group"})),
    ("運営・実施", "runs", "in", frozenset({"agency", "department", "municipality", "subsidy_group", "coordinator"})),
    ("委託・補助", "commissions", "in", frozenset({"department", "municipality", "agency"})),
    ("委託・補助", "subsidizes", "in", frozenset({"department", "municipality", "agency"})),
    ("事業", "implements", "out", frozenset({"program"})),
    ("所管", "managed_by", "out", frozenset({"agency", "department", "municipality"})),
    ("区域", "located_in", "out", frozenset({"area", "hub", "municipality"})),
    ("区域", "covers", "out", frozenset({"area", "municipality"})),
    ("連携先", "collaborates", "both", frozenset()),
    ("会議", "participates_in", "out", frozenset({"meeting"})),
)


def neighbourhood(rm: ReadModel, node_id: str) -> dict[str, list[dict[str, Any]]]:
    """The graph around a resource, grouped for a person: who runs it, which 事業, which area, which
    coordinator covers that area, whom it works with. Each entry: ``{"id", "name", "kind", "relation"}``."""
    node = rm.node(node_id)
    out: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()

    def add(group: str, other: Node, relation: str) -> None:
        if (group, other.id) in seen or other.id == node_id:
            return
        seen.add((group, other.id))
        out.setdefault(group, []).append({"id": other.id, "name": other.name, "kind": other.kind,
                                          "relation": relation})

    for group, kind, direction, kinds in _NEIGHBOUR_GROUPS:
        edges = ([("in", e) for e in rm.in_edges(node_id, kind)] if direction in ("in", "both") else []) + \
                ([("out", e) for e in rm.out_edges(node_id, kind)] if direction in ("out", "both") else [])
        for side, e in edges:
            other = rm.node(e.source if side == "in" else e.target)
            if not kinds or other.kind in kinds:
                add(group, other, kind)
    if node.program:
        for p in rm.nodes(kind="program", city=node.city):
            if p.program == node.program and not any(x["id"] == p.id for x in out.get("事業", [])):
                add("事業", p, "program")
    area_ids = [x["id"] for x in out.get("区域", []) if x["kind"] == "area"]
    if node.area_id and rm.has(node.area_id):
        add("区域", rm.node(node.area_id), "area_id")
        area_ids.append(node.area_id)
    for area_id in dict.fromkeys(area_ids):
        for e in rm.in_edges(area_id, "covers"):
            other = rm.node(e.source)
            if other.kind == "coordinator" and other.status == "active":
                add("担当コーディネーター", other, "covers")
    for coordinator in [x for x in out.get("運営・実施", []) if x["kind"] == "coordinator"]:
        add("担当コーディネーター", rm.node(coordinator["id"]), "runs")
    return out


def contact_fields(node: Node) -> dict[str, Any]:
    """The fields a person needs to reach a resource (HSDS names), as the API spells them."""
    data = node.public_dict()
    keys = ("address", "phone", "email", "url", "schedules", "capacity", "accepting_new", "verified_at",
            "updated_at", "location_precision", "status", "description")
    return {k: data.get(k) for k in keys if data.get(k) not in (None, "", [])}
