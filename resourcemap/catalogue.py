"""Catalogue-level operations that sit above a store: building from seeds and geographic checks.

Why separate from the stores: stores guarantee integrity of the graph; *this* layer knows
about municipalities and their geography (a node must lie inside its city), which the
CLI, the API and the importers all enforce the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .cities import CITIES
from .errors import ValidationFailed
from .graph.stores.base import GraphStore, NodeQuery
from .model import Edge, Node

__all__ = ["BuildReport", "build_catalogue", "check_location", "GEOGRAPHY_KINDS"]

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
