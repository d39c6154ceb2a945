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

__all__ = ["list_nodes", "list_public_nodes", "held_city", "catalogue_cities", "catalogue_city", "body_city", "readmodel_cities",
           "readmodel_city"]


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
