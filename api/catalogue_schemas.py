"""Request and response models of the catalogue routes (nodes, edges, audit, keys, import).

Why the request bodies are documented, not parsed, by these models: a node or edge is validated
ONCE, by :class:`resourcemap.model.Node`/``Edge`` in :mod:`resourcemap.editing` (merged with the
current entity for a change, with every field problem reported at once). The create/change
models here are derived from the domain model's own field definitions — minus what the store
manages (:data:`~resourcemap.model.STORE_MANAGED`, :data:`~resourcemap.model.READ_ONLY`) and the
server's provenance (:data:`~resourcemap.editing.SERVER_PROVENANCE`) — so the OpenAPI document
can never drift from what the write path accepts (:func:`api.openapi.json_body`).
"""
from __future__ import annotations

from copy import copy
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from resourcemap.editing import SERVER_PROVENANCE
from resourcemap.model import READ_ONLY, STORE_MANAGED, Change, Edge, Node

__all__ = ["NodeCreate", "NodePatch", "NodeOut", "NodePage", "EdgeCreate", "EdgePatch", "EdgeOut", "EdgePage",
           "ChangePage", "FeedItem", "FeedPage", "KeyCreate", "KeyOut", "KeyCreated", "ReportIn",
           "CorrectionOut", "CorrectionResolve", "ImportReport"]


def _body(model: type[BaseModel], name: str, drop: frozenset[str], *, partial: bool, doc: str,
          replace: dict[str, Any] | None = None) -> type[BaseModel]:
    """*model*'s fields minus *drop*; with *partial*, every field optional (a change sends only what changes).
    *replace* gives fields a different request shape (type, Field)."""
    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        if fname in drop:
            continue
        if replace and fname in replace:
            fields[fname] = replace[fname]
        elif partial:
            info = copy(info)
            info.default, info.default_factory = None, None
            fields[fname] = (info.annotation | None, info)  # type: ignore[operator]  # a field always has one
        else:
            fields[fname] = (info.annotation, info)
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields)


#: What a create body's ``city`` may be: a code or a name, read against the catalogue (api/routes/nodes.py).
_CITY_BY_NAME = (str, Field(min_length=1, max_length=40,
                            description="全国地方公共団体コード (5 digits) or the municipality's name (府中市, 東京都府中市), "
                                        "read against the catalogue's municipalities"))

NodeCreate = _body(Node, "NodeCreate", STORE_MANAGED | SERVER_PROVENANCE, partial=False,
                   doc="POST /v1/nodes: a node without what the store manages; `source` is `api:<key name>`.",
                   replace={"city": _CITY_BY_NAME})
NodePatch = _body(Node, "NodePatch", READ_ONLY | SERVER_PROVENANCE, partial=True,
                  doc="PATCH /v1/nodes/{id}: only the fields to change (null clears an optional field).")
EdgeCreate = _body(Edge, "EdgeCreate", STORE_MANAGED, partial=False, doc="POST /v1/edges.")
EdgePatch = _body(Edge, "EdgePatch", READ_ONLY, partial=True,
                  doc="PATCH /v1/edges/{id}: only the fields to change (its kind and id are fixed).")


class NodeOut(Node):
    """A node as the API returns it: the stored node plus its freshness."""

    staleness: float = Field(description="0 = verified today … 1 = a year or more ago, or never verified")
    verified_days_ago: int | None = None


class NodePage(BaseModel):
    items: list[NodeOut]
    next: str | None = Field(description="cursor of the next page; null on the last page")


class EdgeOut(Edge):
    pass


class EdgePage(BaseModel):
    items: list[EdgeOut]
    next: str | None


class ChangePage(BaseModel):
    items: list[Change]
    next: int | None = Field(description="pass as since= for the next page; null when up to date")
    revision: int


class FeedItem(BaseModel):
    rev: int
    at: datetime
    op: Literal["create", "update", "delete", "restore", "purge"]
    entity: Literal["node", "edge"]
    entity_id: str
    after: dict[str, Any] | None


class FeedPage(BaseModel):
    items: list[FeedItem]
    next: int | None
    revision: int


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["viewer", "editor", "admin"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class KeyOut(BaseModel):
    id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None
    active: bool


class KeyCreated(KeyOut):
    key: str = Field(description="the key itself: shown only in this response")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=1000,
                         description="what is wrong (about the resource; never about a person)")
    field: str | None = Field(None, max_length=64, description="the node field concerned, if known")


class CorrectionOut(BaseModel):
    id: int
    node_id: str
    field: str | None
    message: str
    reporter: str | None
    created_at: str
    status: Literal["open", "resolved", "rejected"]
    resolved_by: str | None
    resolved_at: str | None
    note: str | None


class CorrectionResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["resolved", "rejected"]
    note: str | None = Field(None, max_length=1000)


class ImportReport(BaseModel):
    """Every import's report; catalogue files add ``summary``/``rows``, open-data files ``diff``, ``warnings``,
    ``linked``, ``date`` … (docs/opendata.md)."""

    file: str
    format: str
    dry_run: bool
    ok: bool
    added: int
    changed: int
    unchanged: int
    inactivated: int
    errors: list[dict[str, Any]]
    summary: dict[str, int] | None = None
    rows: list[dict[str, Any]] | None = None
    revision: int | None = None

