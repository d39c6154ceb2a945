"""Catalogue-level operations that sit above a store: building from seeds or from the national
geography, and geographic checks.

Why separate from the stores: stores guarantee integrity of the graph; *this* layer knows
about municipalities and their geography (a node must lie inside its city), which the
CLI, the API and the importers all enforce the same way.

A municipality without a plan seed (``init --city``) gets its municipality node and default
areas: one area per 町/大字 — the 丁目 of one town together (白糸台一〜六丁目 → 白糸台), a 大字
on its own — marked ``membership: provisional`` at the level :data:`TOWN_LEVEL`. They are
made from the 町丁目 names alone (no population or school district is packaged), and the
municipality's own 圏域 table replaces them (``resourcemap import --format areas``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .cities import CITIES, City
from .errors import InputError, ValidationFailed
from .graph.stores.base import GraphStore, NodeQuery
from .model import Edge, Node, parse_edge, parse_node

__all__ = ["BuildReport", "build_catalogue", "check_location", "municipality_nodes", "area_id", "area_location",
           "rule_breaks", "RuleCheck", "GEOGRAPHY_KINDS", "TOWN_LEVEL"]

#: What ``init --seed none`` keeps: the municipalities' geography, no resources.
GEOGRAPHY_KINDS = frozenset({"municipality", "area"})
#: Level of the default (provisional) areas of a municipality without a plan seed: one per 町/大字.
TOWN_LEVEL = "町・大字"


@dataclass
class BuildReport:
    nodes: int
    edges: int
    cities: list[str]
    geography: list[dict[str, Any]] = field(default_factory=list)  # per --city municipality: counts, problems


def area_id(code: str, level: str, name: str) -> str:
    """Stable id of an area named *name* at *level* of municipality *code* (same table → same ids)."""
    digest = hashlib.sha1(f"{level}|{name}".encode()).hexdigest()[:12]
    return f"{code}.area.{digest}"


def _geography(city: City) -> dict[str, Any]:
    """What the packaged data holds for *city*: 町丁目 counts and the points outside its boundary."""
    import numpy as np
    import shapely

    from .geo import boundary, load_chome, unplaced_chome

    rows = load_chome(city.code)
    inside = shapely.covers(boundary(city.code), shapely.points(np.array([c.lng for c in rows]),
                                                                np.array([c.lat for c in rows])))
    return {"code": city.code, "name": city.full_name, "kind": city.kind, "chome": len(rows),
            "unplaced": unplaced_chome(city.code), "outside": [c.label for c, ok in zip(rows, inside) if not ok]}


def area_location(code: str, towns: list[str]) -> dict[str, Any]:
    """An area node's point (precision ``area``), or none when all its 町丁目 points lie outside the boundary."""
    from .geo import area_point

    try:
        lat, lng = area_point(code, towns)
    except InputError:
        return {"lat": None, "lng": None, "location_precision": "none"}
    return {"lat": lat, "lng": lng, "location_precision": "area"}


def municipality_nodes(code: str) -> tuple[list[Node], dict[str, Any]]:
    """The municipality node and its default areas (one per 町/大字, provisional), and a report."""
    from .geo import chome_units, city_point

    city = CITIES[code]
    report = _geography(city)
    lat, lng = city_point(code)
    groups: dict[str, list[str]] = {}
    for unit in chome_units(code):
        groups.setdefault(unit.base, []).append(unit.town)
    nodes = [parse_node({
        "id": f"{code}.city", "kind": "municipality", "name": city.name, "pref": city.pref, "city": code,
        "lat": lat, "lng": lng, "location_precision": "city", "source": "public",
        "primary_area_level": TOWN_LEVEL if groups else None,
        "description": f"{city.full_name}（{city.kind}）。地理は国土数値情報（行政区域）と町丁目代表点から作成。"
                       "区域は町・大字ごとの暫定区域です（自治体の圏域表で置き換えられます）。",
    })]
    for base, towns in groups.items():
        nodes.append(parse_node({
            "id": area_id(code, TOWN_LEVEL, base), "kind": "area", "name": base, "level": TOWN_LEVEL, "city": code,
            "chome": towns, "membership": "provisional", **area_location(code, towns),
            "source": "public", "description": "町・大字ごとの暫定区域（町丁目名から作成）。",
        }))
    report["areas"] = len(groups)
    report["area_level"] = TOWN_LEVEL
    return nodes, report


def check_location(node: Node) -> None:
    """A placed node must lie inside its municipality's boundary (when we ship that boundary)."""
    if not node.located or node.city not in CITIES:
        return
    from .geo.boundaries import contains

    if not contains(node.city, node.lat, node.lng):  # type: ignore[arg-type]
        raise ValidationFailed(
            f"座標 ({node.lat}, {node.lng}) は {CITIES[node.city].name} の区域外です。位置を確認してください。",
            errors=[{"field": "lat/lng", "message": f"outside municipality {node.city}"}])


def build_catalogue(store: GraphStore, seed: str | None = "all", *, cities: Iterable[str] = (),
                    actor: str = "seed") -> BuildReport:
    """Load seed catalogues and/or municipalities of Japan into an empty store in ONE transaction.

    ``seed`` is ``all``, one city, ``none`` (only the seeded municipalities and their areas) or
    None (no seed); ``cities`` are 5-digit codes of any municipalities, built from the national
    geography (:func:`municipality_nodes`), side by side.
    """
    from .seeds import load_seeds

    nodes: list[Node] = []
    edges: list[Edge] = []
    if seed is not None:
        cat = load_seeds("all" if seed == "none" else seed)
        nodes, edges = list(cat.nodes), list(cat.edges)
        if seed == "none":
            keep = {n.id for n in cat.nodes if n.kind in GEOGRAPHY_KINDS}
            nodes = [n for n in nodes if n.id in keep]
            edges = [e for e in edges if e.source in keep and e.target in keep]
    seeded = {n.city for n in nodes}
    geography = []
    for code in dict.fromkeys(cities):
        if code in seeded:
            raise InputError(f"{CITIES[code].full_name}（{code}）はシードからも作成されます。--city か --seed のどちらか一方にしてください。")
        more, report = municipality_nodes(code)
        nodes += more
        geography.append(report)
    for n in nodes:
        check_location(n)
    store.bulk_load(nodes, edges, actor=actor)
    return BuildReport(nodes=len(nodes), edges=len(edges), cities=sorted({n.city for n in nodes}), geography=geography)


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
