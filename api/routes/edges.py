"""Edges: list (filters, cursor pagination), read with ETag, create, patch/delete/restore with If-Match.

Ends must exist and their kinds must fit the edge kind (:data:`resourcemap.model.EDGE_RULES`);
:mod:`resourcemap.editing` reports both ends' problems at once (422) before the store's own
integrity guard would refuse the write.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from resourcemap import editing
from resourcemap.errors import InputError
from resourcemap.model import EDGE_KINDS, Edge

from ..catalogue_schemas import EdgeCreate, EdgeOut, EdgePage, EdgePatch
from ..concurrency import expected_version, versioned
from ..deps import Editor, StoreDep, Viewer
from ..openapi import JsonObject, json_body
from ..responses import JSONResponse
from .nodes import MAX_LIMIT, IfMatch, decode_cursor, encode_cursor

router = APIRouter(tags=["edges"])
_EDGE: dict[int | str, dict[str, Any]] = {200: {"model": EdgeOut, "description": "the edge; `ETag` header = its version"}}


def _one(edge: Edge, status: int = 200, location: str | None = None) -> JSONResponse:
    return versioned(edge.public_dict(), edge.version, status=status, location=location)


@router.get("/v1/edges", summary="List edges (filters, cursor pagination)", responses={200: {"model": EdgePage}})
def get_edges(_: Viewer, store: StoreDep, kind: str | None = None, source: str | None = None,
              target: str | None = None, node: str | None = Query(None, description="either end"),
              include_deleted: bool = False, limit: int = Query(100, ge=1, le=MAX_LIMIT),
              cursor: str | None = None) -> JSONResponse:
    if kind is not None and kind not in EDGE_KINDS:
        raise InputError(f"kind {kind!r} はありません。使えるのは: {', '.join(EDGE_KINDS)}")
    if node is not None:
        found = {e.id: e for end in ("source", "target")
                 for e in store.query_edges(kind=kind, include_deleted=include_deleted, **{end: node})
                 if (source is None or e.source == source) and (target is None or e.target == target)}
        edges = [found[k] for k in sorted(found)]
    else:
        edges = store.query_edges(kind=kind, source=source, target=target, include_deleted=include_deleted)
    after = decode_cursor(cursor) if cursor else None
    if after is not None:
        edges = [e for e in edges if e.id > after]
    page = edges[:limit]
    nxt = encode_cursor(page[-1].id) if len(edges) > limit and page else None
    return JSONResponse({"items": [e.public_dict() for e in page], "next": nxt})


@router.post("/v1/edges", status_code=201, summary="Create an edge (editor)", openapi_extra=json_body(EdgeCreate),
             responses={201: {"model": EdgeOut, "description": "created; `ETag` and `Location` headers"}})
def create_edge(body: JsonObject, caller: Editor, store: StoreDep) -> JSONResponse:
    edge = editing.create_edge(store, body, actor=caller.name)
    return _one(edge, 201, f"/v1/edges/{edge.id}")


@router.get("/v1/edges/{edge_id}", summary="One edge (ETag = its version)", responses=_EDGE)
def get_edge(edge_id: str, _: Viewer, store: StoreDep, include_deleted: bool = False) -> JSONResponse:
    return _one(store.get_edge(edge_id, include_deleted=include_deleted))


@router.patch("/v1/edges/{edge_id}", summary="Change an edge (editor; If-Match required)", responses=_EDGE,
              openapi_extra=json_body(EdgePatch))
def patch_edge(edge_id: str, body: JsonObject, caller: Editor, store: StoreDep, if_match: IfMatch = None) -> JSONResponse:
    version = expected_version(if_match)
    return _one(editing.update_edge(store, edge_id, body, expected_version=version, actor=caller.name))


@router.delete("/v1/edges/{edge_id}", summary="Soft-delete an edge (editor; If-Match required)", responses=_EDGE)
def delete_edge(edge_id: str, caller: Editor, store: StoreDep, if_match: IfMatch = None) -> JSONResponse:
    return _one(store.delete_edge(edge_id, expected_version=expected_version(if_match), actor=caller.name))


@router.post("/v1/edges/{edge_id}/restore", summary="Restore a soft-deleted edge (editor; If-Match required)",
             responses=_EDGE)
def restore_edge(edge_id: str, caller: Editor, store: StoreDep, if_match: IfMatch = None) -> JSONResponse:
    return _one(store.restore_edge(edge_id, expected_version=expected_version(if_match), actor=caller.name))
