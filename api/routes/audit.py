"""The audit log (admin) and the change feed (any key): both read the store's change log.

Why one source: every committed write appends a change with a revision number, the actor
(the API key's *name*), the time and before/after images (:class:`resourcemap.model.Change`),
inside the same transaction as the write — so the log can neither miss nor invent a change.
``/v1/audit`` shows all of it to admins; ``/v1/changes`` is the feed other systems poll
(``since=`` the last ``rev`` they saw): the new state of each entity, without actor or before.
"""
from __future__ import annotations

from typing import Callable

from fastapi import APIRouter, Query

from resourcemap.graph.stores.base import GraphStore
from resourcemap.model import Change

from ..catalogue_schemas import ChangePage, FeedPage
from ..deps import Admin, StoreDep, Viewer

router = APIRouter(tags=["audit"])
_CHUNK = 500
MAX_REV = 2 ** 63 - 1  # SQLite INTEGER


def _page(store: GraphStore, since: int, limit: int,
          keep: Callable[[Change], bool] | None = None) -> tuple[list[Change], int | None]:
    """Up to *limit* changes after *since* that *keep* accepts (all without it), and the ``since`` for the next page."""
    out: list[Change] = []
    cursor = since
    size = limit if keep is None else _CHUNK  # unfiltered: read no more than the page
    while True:
        chunk = store.changes(since=cursor, limit=size)
        for ch in chunk:
            if len(out) == limit:
                break
            cursor = ch.rev
            if keep is None or keep(ch):
                out.append(ch)
        if len(out) == limit or len(chunk) < size:
            break
    return out, (cursor if cursor < store.revision() else None)


@router.get("/v1/audit", response_model=ChangePage, summary="Audit log: who changed what, when, before/after (admin)")
def audit(_: Admin, store: StoreDep, since: int = Query(0, ge=0, le=MAX_REV, description="revision already seen"),
          limit: int = Query(100, ge=1, le=1000), entity_id: str | None = None,
          actor: str | None = Query(None, description="key name")) -> dict:
    items, nxt = _page(store, since, limit, lambda c: (entity_id is None or c.entity_id == entity_id)
                       and (actor is None or c.actor == actor))
    return {"items": [c.model_dump(mode="json") for c in items], "next": nxt, "revision": store.revision()}


@router.get("/v1/changes", response_model=FeedPage, summary="Change feed to poll: new state of each changed entity")
def changes(_: Viewer, store: StoreDep, since: int = Query(0, ge=0, le=MAX_REV, description="revision already seen"),
            limit: int = Query(100, ge=1, le=1000)) -> dict:
    items, nxt = _page(store, since, limit)
    return {"items": [{"rev": c.rev, "at": c.at.isoformat(), "op": c.op, "entity": c.entity,
                       "entity_id": c.entity_id, "after": c.after} for c in items],
            "next": nxt, "revision": store.revision()}
