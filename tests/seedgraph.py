"""Small graph look-ups for the seed-catalogue tests (edges out of / into a node by kind)."""
from __future__ import annotations


def out_targets(cat, node_id: str, kind: str) -> list[str]:
    return [e.target for e in cat.edges if e.source == node_id and e.kind == kind]


def in_sources(cat, node_id: str, kind: str) -> list[str]:
    return [e.source for e in cat.edges if e.target == node_id and e.kind == kind]
