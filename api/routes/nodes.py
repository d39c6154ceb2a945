"""Nodes: list with filters and cursor pagination, read with ETag, create/patch/delete/restore
with ``If-Match``, mark verified ("report a problem" is :mod:`api.routes.corrections`).

Handlers stay thin: validation and writes go through :mod:`resourcemap.editing` (the one write
path: a body is validated once, merged with the current node for a change); every write is
logged by the store with the key's name as actor.
"""
from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response

from resourcemap import editing
from resourcemap.errors import InputError
from resourcemap.freshness import freshness_since
from resourcemap.graph.stores.base import GraphStore
from resourcemap.model import Node
from resourcemap.queries import body_city, list_node_versions, list_public_nodes

from ..catalogue_schemas import NodeCreate, NodeOut, NodePage, NodePatch
from ..concurrency import expected_version, versioned
from ..deps import Editor, StateDep, StoreDep, Viewer
from ..openapi import JsonObject, json_body
from ..responses import JSONResponse, orjson_bytes

router = APIRouter(tags=["nodes"])

MAX_LIMIT = 1000
IfMatch = Annotated[str | None, Header(description='the ETag of the version the change is based on, e.g. "3" '
                                                   '(a list "3", "4" matches any of them)')]

__all__ = ["router", "node_out", "encode_cursor", "decode_cursor", "parse_near"]


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        pad = "=" * (-len(cursor) % 4)
        last_id = base64.b64decode(cursor + pad, altchars=b"-_", validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        last_id = ""
    if not last_id:
        raise InputError("cursor が正しくありません。前のページの next をそのまま渡してください。")
    return last_id


def parse_near(near: str | None, radius: float | None) -> tuple[float, float, float] | None:
    if near is None:
        if radius is not None:
            raise InputError("radius は near=lat,lng と一緒に指定してください。")
        return None
    try:
        lat_s, lng_s = near.split(",")
        lat, lng = float(lat_s), float(lng_s)
    except ValueError:
        raise InputError("near は 'lat,lng'（例: 35.66,139.48）で指定してください。") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InputError("near の緯度経度が範囲外です。")
    return lat, lng, float(radius if radius is not None else 1000.0)


def node_out(node: Node) -> dict[str, Any]:
    """A node as the API shows it: the stored fields plus its freshness (staleness score)."""
    return public_node_out(node.public_dict())


def public_node_out(public: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """:func:`node_out` of a node given in its public JSON shape (``Node.public_dict``), its freshness on *today*."""
    return {**public, **freshness_since(public["verified_at"], today)}


def _one(node: Node, status: int = 200, location: str | None = None) -> JSONResponse:
    return versioned(node_out(node), node.version, status=status, location=location)


_NODE: dict[int | str, dict[str, Any]] = {200: {"model": NodeOut, "description": "the node; `ETag` header = its version"}}


@router.get("/v1/nodes", summary="List nodes (filters, cursor pagination)", responses={200: {"model": NodePage}})
def get_nodes(_: Viewer, store: StoreDep, state: StateDep,
              kind: str | None = None, city: str | None = None, category: str | None = None,
              area: str | None = None, near: str | None = Query(None, description="lat,lng"),
              radius: float | None = Query(None, gt=0, le=100_000, description="metres (with near)"),
              limit: int = Query(100, ge=1, le=MAX_LIMIT), cursor: str | None = None,
              include_deleted: bool = Query(False, description="also list soft-deleted nodes (to restore them)"),
              ) -> Response:
    """A page is encoded once per store revision and day (``AppState.node_pages``): a map that pans back and
    forth or a client that polls asks for the same pages, and any write — from any process — is a new
    revision, so it is seen at once. A page built anew lists the nodes' versions and takes each node's JSON
    from ``AppState.node_json`` (encoded once per version and day), so after a write only the written node is
    read and encoded again. Bad parameters are errors every time (an error is never kept)."""
    today = date.today()
    revision = store.revision()

    def page() -> bytes:
        filters: dict[str, Any] = {"after": decode_cursor(cursor) if cursor else None, "near": parse_near(near, radius),
                                   "kind": kind, "city": city, "category": category, "area": area,
                                   "include_deleted": include_deleted}
        listed = list_node_versions(store, **filters, limit=limit + 1)
        shown = listed[:limit]
        nxt = encode_cursor(shown[-1][0]) if len(listed) > limit and shown else None
        try:
            items = state.node_json.get(shown, today, lambda ids: _encoded(store, ids, today))
        except TypeError:  # a stored value orjson cannot write: the page goes the long way, as JSONResponse does
            items = None
        if items is None:  # a node written since it was listed, or not for orjson: read and encode the page as is
            return _page_as_read(store, filters, limit, today)
        return b'{"items":[' + b",".join(items) + b'],"next":' + orjson_bytes(nxt) + b"}"

    key = (kind, city, category, area, near, radius, limit, cursor, include_deleted, today)
    return Response(state.node_pages.get(revision, key, page), media_type=JSONResponse.media_type)


def _encoded(store: GraphStore, node_ids: list[str], today: date) -> dict[str, tuple[int, bytes]]:
    """The listed JSON of each node (version, bytes), read from the store as it is now.

    Each is a copy of exactly its size (``memoryview(...).tobytes()``): the bytes orjson returns keep the whole
    buffer it wrote into, ≈ 15 KiB for a node's ≈ 0.9 KiB of JSON, and these are kept (``AppState.node_json``)."""
    return {node_id: (public["version"], memoryview(orjson_bytes(public_node_out(public, today))).tobytes())
            for node_id, public in store.get_public_nodes(node_ids).items()}


def _page_as_read(store: GraphStore, filters: dict[str, Any], limit: int, today: date) -> bytes:
    """A page read and encoded whole, in one read of the store (what :func:`get_nodes` builds from kept nodes)."""
    nodes = list_public_nodes(store, **filters, limit=limit + 1)
    shown = nodes[:limit]
    nxt = encode_cursor(shown[-1]["id"]) if len(nodes) > limit and shown else None
    return JSONResponse({"items": [public_node_out(n, today) for n in shown], "next": nxt}).body


@router.post("/v1/nodes", status_code=201, summary="Create a node (editor)", openapi_extra=json_body(NodeCreate),
             responses={201: {"model": NodeOut, "description": "created; `ETag` and `Location` headers"}})
def create_node(body: JsonObject, caller: Editor, store: StoreDep) -> JSONResponse:
    if isinstance(body.get("city"), str):  # a code or a name, read against the catalogue's municipalities
        body = {**body, "city": body_city(store, body["city"])}
    node = editing.create_node(store, body, actor=caller.name)
    return _one(node, 201, f"/v1/nodes/{node.id}")


@router.get("/v1/nodes/{node_id}", summary="One node (ETag = its version)", responses=_NODE)
def get_node(node_id: str, _: Viewer, store: StoreDep,
             include_deleted: bool = Query(False, description="also find a soft-deleted node")) -> JSONResponse:
    return _one(store.get_node(node_id, include_deleted=include_deleted))


@router.patch("/v1/nodes/{node_id}", summary="Change some fields (editor; If-Match required)", responses=_NODE,
              openapi_extra=json_body(NodePatch))
def patch_node(node_id: str, body: JsonObject, caller: Editor, store: StoreDep, if_match: IfMatch = None) -> JSONResponse:
    version = expected_version(if_match)
    node = editing.update_node(store, node_id, body, expected_version=version, actor=caller.name)
    return _one(node)


@router.delete("/v1/nodes/{node_id}", summary="Soft-delete a node and its edges (editor; If-Match required)",
               responses=_NODE)
def delete_node(node_id: str, caller: Editor, store: StoreDep, if_match: IfMatch = None) -> JSONResponse:
    return _one(store.delete_node(node_id, expected_version=expected_version(if_match), actor=caller.name))


@router.post("/v1/nodes/{node_id}/restore", summary="Restore a soft-deleted node (editor; If-Match required)",
             responses=_NODE)
def restore_node(node_id: str, caller: Editor, store: StoreDep, if_match: IfMatch = None) -> JSONResponse:
    return _one(store.restore_node(node_id, expected_version=expected_version(if_match), actor=caller.name))


@router.post("/v1/nodes/{node_id}/verify", summary="Confirm the entry is current (editor; If-Match required)",
             responses=_NODE)
def verify_node(node_id: str, caller: Editor, store: StoreDep, if_match: IfMatch = None,
                verified_at: Annotated[str | None, Body(embed=True, description="YYYY-MM-DD; default today")] = None,
                ) -> JSONResponse:
    try:
        day = date.fromisoformat(verified_at) if verified_at else date.today()
    except ValueError:
        raise InputError("verified_at は YYYY-MM-DD で指定してください。") from None
    if day > date.today():
        raise InputError("verified_at に未来の日付は指定できません。")
    node = editing.verify_node(store, node_id, day.isoformat(), expected_version=expected_version(if_match),
                               actor=caller.name)
    return _one(node)
