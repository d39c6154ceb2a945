"""How nodes, edges and change-log entries look inside a Bolt graph server.

Why this shape: people browse the graph with Cypher, so an entity is stored as a graph
element with plain properties, not as one JSON blob. A node is ``(:Node:<Kind>)`` (kind as a
PascalCase label, e.g. ``:Node:SubsidyGroup``) with every field of
:meth:`~resourcemap.model.Node.public_dict` as a property; ``lat``/``lng`` are 64-bit floats
and ``loc`` is a ``point`` built from them for spatial indexes (only for filtering: FalkorDB
returns points as 32-bit floats). An edge is a relationship typed by its kind in upper case
(``-[:OPERATES]->``) between its two nodes. Nested values (``targets``, ``schedules``) are
JSON text, and so are maps (``external_ids``), ``None`` is no property, dates are ISO text. A change-log entry is a
``(:Change {rev, at, actor, op, entity, entity_id, before, after})`` node with the images as
JSON text (a ``create`` written by the Bolt store keeps no ``after``: it is its entity's first version).
"""
from __future__ import annotations

import json
import typing
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel

from ...model import EDGE_KINDS, NODE_KINDS, Change, Edge, Node, stored_edge, stored_node

__all__ = [
    "KIND_LABEL",
    "REL_TYPE",
    "decode_change",
    "decode_edge",
    "decode_node",
    "encode_change",
    "encode_edge",
    "encode_node",
]

#: node kind → its label (``subsidy_group`` → ``SubsidyGroup``).
KIND_LABEL: dict[str, str] = {k: "".join(p.capitalize() for p in k.split("_")) for k in NODE_KINDS}
#: edge kind → relationship type (``located_in`` → ``LOCATED_IN``).
REL_TYPE: dict[str, str] = {k: k.upper() for k in EDGE_KINDS}


def _json_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields holding models, lists of models or maps: stored as JSON text (graph properties are flat)."""
    out = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        args = typing.get_args(ann) if typing.get_origin(ann) is not dict else (ann,)
        args = args or (ann,)
        inner = [typing.get_args(a)[0] if typing.get_origin(a) is list else a for a in args]
        if any(typing.get_origin(a) is dict or (isinstance(a, type) and issubclass(a, BaseModel)) for a in inner):
            out.add(name)
    return frozenset(out)


_NODE_JSON = _json_fields(Node)
_EDGE_JSON = _json_fields(Edge)


def _json_text(value: Any) -> str:
    """JSON text of a nested value or a change-log image (read back with ``json.loads``).

    orjson: at 100,000 nodes a bulk load encodes 200,000 images, and ``json.dumps`` was a tenth
    of its time; ``json`` still writes what orjson refuses (integers beyond 64 bits).
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _encode(data: dict[str, Any], json_fields: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if v is None:
            continue
        out[k] = _json_text(v) if k in json_fields else v
    return out


def _decode(props: dict[str, Any], json_fields: frozenset[str]) -> dict[str, Any]:
    out = {}
    for k, v in props.items():
        if k.startswith("_") or k == "loc":
            continue
        out[k] = json.loads(v) if k in json_fields and isinstance(v, str) else v
    return out


def encode_node(node: Node, image: dict[str, Any] | None = None) -> dict[str, Any]:
    """The node's properties (*image*: its ``public_dict()`` when the caller has it already)."""
    return _encode(node.public_dict() if image is None else image, _NODE_JSON)


def decode_node(props: dict[str, Any]) -> Node:
    return stored_node(_decode(props, _NODE_JSON))


def encode_edge(edge: Edge, image: dict[str, Any] | None = None) -> dict[str, Any]:
    """Properties of the relationship; ``source``/``target`` stay for staging and are dropped on commit."""
    return _encode(edge.public_dict() if image is None else image, _EDGE_JSON)


def decode_edge(props: dict[str, Any], source: str, target: str) -> Edge:
    data = _decode(props, _EDGE_JSON)
    data["source"], data["target"] = source, target
    return stored_edge(data)


def encode_change(seq: int, ch: Change, *, after: bool = True) -> dict[str, Any]:
    """The entry's properties; ``after=False`` leaves its after image out (a ``create`` that refers to
    its entity's first version instead: see ``BoltStore._commit``)."""
    row: dict[str, Any] = {"_seq": seq, "at": ch.at.isoformat(), "op": ch.op, "entity": ch.entity,
                           "entity_id": ch.entity_id}
    if ch.rev:
        row["rev"] = ch.rev
    if ch.actor is not None:
        row["actor"] = ch.actor
    for key in ("before", "after") if after else ("before",):
        image = getattr(ch, key)
        if image is not None:
            row[key] = _json_text(image)
    return row


def decode_change(props: dict[str, Any]) -> Change:
    return Change(rev=props["rev"], at=datetime.fromisoformat(props["at"]), actor=props.get("actor"),
                  op=props["op"], entity=props["entity"], entity_id=props["entity_id"],
                  before=json.loads(props["before"]) if props.get("before") is not None else None,
                  after=json.loads(props["after"]) if props.get("after") is not None else None)
