"""Catalogue-level operations that sit above a store: building from seeds and geographic checks.

Why separate from the stores: stores guarantee integrity of the graph; *this* layer knows
about municipalities and their geography (a node must lie inside its city), which the
CLI, the API and the importers all enforce the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .cities import CITIES
from .errors import ValidationFailed
from .graph.stores.base import GraphStore, NodeQuery
from .model import Edge, Node, parse_edge, parse_node

__all__ = ["BuildReport", "build_catalogue", "check_location", "rule_breaks", "RuleCheck", "GEOGRAPHY_KINDS"]

#: What ``init --seed none`` keeps: the municipalities' geography, no resources.
GEOGRAPHY_KINDS = frozenset({"municipality", "area"})


@dataclass
class BuildReport:
    nodes: int
    edges: int
    cities: list[str]


def check_location(node: Node) -> None:
    """A placed node must lie inside its municipality's boundary (when we ship that boundary)."""
    if not node.located or node.city not in CITIES:
        return
    from .geo.boundaries import contains

    if not contains(node.city, node.lat, node.lng):  # type: ignore[arg-type]
        raise ValidationFailed(
            f"座標 ({node.lat}, {node.lng}) は {CITIES[node.city].name} の区域外です。位置を確認してください。",
            errors=[{"field": "lat/lng", "message": f"outside municipality {node.city}"}])


def build_catalogue(store: GraphStore, seed: str = "all", *, actor: str = "seed") -> BuildReport:
    """Load seed catalogues into an empty store in ONE transaction.

    ``seed`` is ``all``, one city, or ``none`` (only municipalities and their areas).
    """
    from .seeds import load_seeds

    cat = load_seeds("all" if seed == "none" else seed)
    nodes: Iterable[Node] = cat.nodes
    edges: Iterable[Edge] = cat.edges
    if seed == "none":
        keep = {n.id for n in cat.nodes if n.kind in GEOGRAPHY_KINDS}
        nodes = [n for n in cat.nodes if n.id in keep]
        edges = [e for e in cat.edges if e.source in keep and e.target in keep]
    nodes, edges = list(nodes), list(edges)
    for n in nodes:
        check_location(n)
    store.bulk_load(nodes, edges, actor=actor)
    cities = sorted({n.city for n in nodes})
    return BuildReport(nodes=len(nodes), edges=len(edges), cities=cities)


def is_empty(store: GraphStore) -> bool:
    return not store.query_nodes(NodeQuery(limit=1, include_deleted=True))


def _value_at(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _record_breaks(entity: str, record: Node | Edge, parse: Callable[[dict[str, Any]], Any]) -> list[dict[str, Any]]:
    data = record.public_dict()
    head = {"entity": entity, "id": record.id, "name": getattr(record, "name", None) or record.kind,
            "deleted": record.deleted}
    try:
        fresh = parse(data)
    except ValidationFailed as exc:
        return [{**head, "severity": "error", "field": p["field"], "message": p["message"],
                 "value": repr(_value_at(data, p["field"]))[:80]} for p in exc.errors]
    before, after = record.content_dict(), fresh.content_dict()
    return [{**head, "severity": "note", "field": k, "message": f"次の更新で {after[k]!r:.60} と書き直されます",
             "value": repr(before.get(k))[:80]} for k in after if after[k] != before.get(k)]


@dataclass
class RuleCheck:
    """What :func:`rule_breaks` read (``records``) and found (``items``)."""

    records: int
    items: list[dict[str, Any]]


def rule_breaks(store: GraphStore) -> RuleCheck:
    """Stored records (deleted ones too) that today's rules would not accept — one entry per field.

    Why: a catalogue written before :mod:`resourcemap.fieldrules` may hold a value the rules now
    refuse (an email without ``@``, a NUL, a ``javascript:`` URL). The stores still read such a
    record (pages and exports keep working), but an edit of it must fix the value first. Each
    entry is ``{entity, id, name, deleted, severity, field, message, value}``: severity
    ``error`` breaks a rule; ``note`` is valid but not in canonical form (e.g. a phone number
    written without hyphens), which the next update of the record rewrites.
    """
    out: list[dict[str, Any]] = []
    nodes, edges = store.query_nodes(NodeQuery(include_deleted=True)), store.query_edges(include_deleted=True)
    for node in nodes:
        out += _record_breaks("node", node, parse_node)
    for edge in edges:
        out += _record_breaks("edge", edge, parse_edge)
    return RuleCheck(records=len(nodes) + len(edges), items=out)
