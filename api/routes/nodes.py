"""Reading nodes: list with filters and cursor pagination, and one node with its ETag."""
from __future__ import annotations

import base64

from fastapi import APIRouter, Query, Response

from resourcemap.errors import InputError
from resourcemap.queries import list_nodes

from ..deps import StoreDep, Viewer

router = APIRouter(tags=["nodes"])

MAX_LIMIT = 1000


def etag_of(version: int) -> str:
    return f'"{version}"'


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        pad = "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(cursor + pad).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise InputError("cursor が正しくありません。前のページの next をそのまま渡してください。") from None


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


@router.get("/v1/nodes", summary="List nodes (filters, cursor pagination)")
def get_nodes(_: Viewer, store: StoreDep,
              kind: str | None = None, city: str | None = None, category: str | None = None,
              area: str | None = None, near: str | None = Query(None, description="lat,lng"),
              radius: float | None = Query(None, gt=0, le=100_000, description="metres (with near)"),
              limit: int = Query(100, ge=1, le=MAX_LIMIT), cursor: str | None = None) -> dict:
    after = decode_cursor(cursor) if cursor else None
    nodes = list_nodes(store, kind=kind, city=city, category=category, area=area,
                       near=parse_near(near, radius), after=after, limit=limit + 1)
    page = nodes[:limit]
    nxt = encode_cursor(page[-1].id) if len(nodes) > limit and page else None
    return {"items": [n.public_dict() for n in page], "next": nxt}


@router.get("/v1/nodes/{node_id}", summary="One node (ETag = its version)")
def get_node(node_id: str, _: Viewer, store: StoreDep, response: Response) -> dict:
    node = store.get_node(node_id)
    response.headers["ETag"] = etag_of(node.version)
    return node.public_dict()
