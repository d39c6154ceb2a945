"""Request and response models of the catalogue routes (nodes, edges, audit, keys, import).

Why derived, not retyped: the create models are :class:`resourcemap.model.Node`/``Edge``
without the store-managed fields, built from the model's own field definitions, so the
OpenAPI document can never drift from what the store accepts. Request bodies are validated
twice on purpose: by FastAPI against these shapes (field-level 422), then by
:func:`resourcemap.model.parse_node` and :mod:`resourcemap.editing` (kind rules, geography).
"""
from __future__ import annotations

from copy import copy
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from resourcemap.editing import READ_ONLY
from resourcemap.model import Change, Edge, Node, NodePatch

__all__ = ["NodeCreate", "NodePatch", "NodeOut", "NodePage", "EdgeCreate", "EdgePatch", "EdgeOut", "EdgePage",
           "ChangePage", "FeedItem", "FeedPage", "KeyCreate", "KeyOut", "KeyCreated", "ReportIn",
           "CorrectionOut", "CorrectionResolve", "ImportReport"]


def _delegate(bound: Any) -> Any:
    def check(cls: type, value: Any) -> Any:
        return bound(value)
    return check


def _without_store_fields(model: type[BaseModel], name: str, optional: set[str]) -> type[BaseModel]:
    """*model* minus the store-managed fields, with its field validators (so a body's field
    problems — an unknown category beside a bad program code — are all reported at once)."""
    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        if fname in READ_ONLY:
            continue
        info = copy(info)
        if fname in optional:
            fields[fname] = (info.annotation | None, Field(None, description=info.description))
        else:
            fields[fname] = (info.annotation, info)
    validators = {}
    for vname, dec in model.__pydantic_decorators__.field_validators.items():
        if not set(dec.info.fields) & (READ_ONLY | optional):
            validators[vname] = field_validator(*dec.info.fields, mode=dec.info.mode)(classmethod(_delegate(dec.func)))
    return create_model(name, __config__=ConfigDict(extra="forbid"), __validators__=validators, **fields)


#: POST /v1/nodes: a Node without version/timestamps; ``source`` defaults to ``api:<key name>``.
NodeCreate = _without_store_fields(Node, "NodeCreate", {"source"})
#: POST /v1/edges.
EdgeCreate = _without_store_fields(Edge, "EdgeCreate", set())


class NodeOut(Node):
    """A node as the API returns it: the stored node plus its freshness."""

    staleness: float = Field(description="0 = verified today … 1 = a year or more ago, or never verified")
    verified_days_ago: int | None = None


class NodePage(BaseModel):
    items: list[NodeOut]
    next: str | None = Field(description="cursor of the next page; null on the last page")


class EdgePatch(BaseModel):
    """A partial update of an edge (its kind and id are fixed)."""

    model_config = ConfigDict(extra="forbid")
    source: str | None = None
    target: str | None = None
    program: str | None = None
    method: str | None = None
    description: str | None = None
    cite: str | None = None


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


NodePatch = NodePatch  # re-exported: the PATCH /v1/nodes/{id} body
