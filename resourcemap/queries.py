"""Read queries shared by the CLI and the API (so neither repeats the other's logic).

Why the catalogue-aware city look-ups: a name is read against the municipalities the
catalogue holds (府中市 is 広島県府中市 in a catalogue of 広島県 only), and asking for a
municipality the catalogue does not hold is a clear "not here", not an empty answer.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from .cities import resolve_city
from .errors import InputError, NotFound, ValidationFailed
from .graph.stores.base import GraphStore, NodeQuery
from .model import NODE_KINDS, Node
from .taxonomy import expand_category

if TYPE_CHECKING:
    from .graph.readmodel import ReadModel

T = TypeVar("T")

__all__ = ["list_nodes", "list_public_nodes", "list_node_versions", "held_city", "catalogue_cities", "catalogue_city", "body_city",
           "readmodel_cities", "readmodel_city", "neighbourhood", "contact_fields"]


def held_city(text: str, held: Iterable[str], has_nodes: Callable[[str], bool]) -> str:
    """The code of the municipality *text* names among those a catalogue holds (*held*).

    A name several municipalities share (府中市) is read against *held*. Raises
    :class:`NotFound` when the catalogue has no node of that municipality, saying how to add it.
    """
    code = resolve_city(text, among=sorted(held)).code
    if not has_nodes(code):
        raise NotFound(f"このカタログには {resolve_city(code).full_name}（{code}）のデータがありません。"
                       f"`resourcemap init --city {code}` で作成してください。")
    return code


def catalogue_cities(store: GraphStore) -> list[str]:
    """Codes of the municipalities a store holds (its live ``municipality`` nodes), sorted."""
    return sorted({n.city for n in store.query_nodes(NodeQuery(kind="municipality"))})


def catalogue_city(store: GraphStore, text: str) -> str:
    """:func:`held_city` over a store."""
    return held_city(text, catalogue_cities(store), lambda c: bool(store.query_nodes(NodeQuery(city=c, limit=1))))


def body_city(store: GraphStore, text: str) -> str:
    """The code of the municipality a request body names (code or name, read against the catalogue's).

    An unknown or shared name is bad input (:class:`ValidationFailed` on field ``city``, 422), not a
    missing page.
    """
    try:
        return resolve_city(text, among=catalogue_cities(store)).code
    except (NotFound, InputError) as exc:
        raise ValidationFailed(exc.detail, errors=[{"field": "city", "message": exc.detail}]) from None


def readmodel_cities(rm: ReadModel) -> list[str]:
    """Codes of the municipalities a read model holds (its ``municipality`` nodes), sorted."""
    return list(rm.municipalities())


def readmodel_city(rm: ReadModel, text: str) -> str:
    """:func:`held_city` over a read model."""
    return held_city(text, readmodel_cities(rm), lambda c: next(rm.nodes(city=c), None) is not None)



def list_nodes(store: GraphStore, *, city: str | None = None, kind: str | None = None,
               category: str | None = None, area: str | None = None,
               near: tuple[float, float, float] | None = None, after: str | None = None,
               limit: int | None = None, include_deleted: bool = False) -> list[Node]:
    """Nodes matching every given filter, ordered by id; ``category`` includes sub-categories."""
    return _listed(store, store.query_nodes, lambda n: n.id, city=city, kind=kind, category=category, area=area,
                   near=near, after=after, limit=limit, include_deleted=include_deleted)


def list_public_nodes(store: GraphStore, *, city: str | None = None, kind: str | None = None,
                      category: str | None = None, area: str | None = None,
                      near: tuple[float, float, float] | None = None, after: str | None = None,
                      limit: int | None = None, include_deleted: bool = False) -> list[dict[str, Any]]:
    """:func:`list_nodes` in the public JSON shape (``Node.public_dict``), as the store reads it fastest."""
    return _listed(store, store.query_public_nodes, lambda n: n["id"], city=city, kind=kind, category=category,
                   area=area, near=near, after=after, limit=limit, include_deleted=include_deleted)


def list_node_versions(store: GraphStore, *, city: str | None = None, kind: str | None = None,
                       category: str | None = None, area: str | None = None,
                       near: tuple[float, float, float] | None = None, after: str | None = None,
                       limit: int | None = None, include_deleted: bool = False) -> list[tuple[str, int]]:
    """What :func:`list_public_nodes` lists, as ``(id, version)``: no stored image is read."""
    return _listed(store, store.query_node_versions, lambda n: n[0], city=city, kind=kind, category=category,
                   area=area, near=near, after=after, limit=limit, include_deleted=include_deleted)


def _listed(store: GraphStore, query: Callable[[NodeQuery], list[T]], id_of: Callable[[T], str], *,
            city: str | None, kind: str | None, category: str | None, area: str | None,
            near: tuple[float, float, float] | None, after: str | None, limit: int | None,
            include_deleted: bool) -> list[T]:
    if kind is not None and kind not in NODE_KINDS:
        raise InputError(f"kind {kind!r} はありません。使えるのは: {', '.join(NODE_KINDS)}")
    code = catalogue_city(store, city) if city else None
    base: dict[str, Any] = {"kind": kind, "city": code, "area_id": area, "near": near, "after": after,
                            "include_deleted": include_deleted}
    if category is None:
        return query(NodeQuery(**base, limit=limit))
    found: dict[str, T] = {}
    for cat in sorted(expand_category(category)):
        for n in query(NodeQuery(**base, category=cat, limit=limit)):
            found[id_of(n)] = n
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
    """The fields a person needs to reach a resource (HSDS names), as the API spells them, with where it
    comes from (``source``, ``external_ids``: the datasets that list it)."""
    data = {**node.public_dict(), "updated_at": node.updated_at.isoformat() if node.updated_at else None}
    keys = ("address", "phone", "email", "url", "schedules", "capacity", "accessibility", "accepting_new",
            "verified_at", "updated_at", "location_precision", "status", "description", "source", "external_ids")
    return {k: data.get(k) for k in keys if data.get(k) not in (None, "", [])}
