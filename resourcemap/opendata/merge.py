"""What a dataset may change on a node: the one rule for import updates, links and merges.

Why one rule: the same site can be described by a plan (its name, categories, programmes), by
several datasets (指定避難所 and 指定緊急避難場所 list the same school) and by an editor. A
dataset *owns* the nodes it created (``source: import:<dataset>``) and controls their name, kind
of service and status; on any node it *contributes* its public site fields — address, point,
phone, URL, hours, 定員, accessibility — where it is the highest-priority dataset bound to the
node (``datasets.yaml``: a municipality's own list beats the ministry's, which beats the shelter
lists) or where the node has no value yet. A plan node keeps its name and categories; it gains
the publisher's address, exact point and contacts. Nothing here writes: :func:`changes_for`
returns the changed fields, and the caller validates and applies them.
"""
from __future__ import annotations

from typing import Any

from ..model import PRECISION_RANK, Node, Schedule
from .mapping import load_datasets

__all__ = ["SITE_FIELDS", "OWNED_FIELDS", "source_of", "owner_of", "controlling", "changes_for", "schedules_json",
           "stored_form"]

#: Public site fields a dataset contributes to any node it is bound to.
SITE_FIELDS = ("address", "phone", "email", "url", "schedules", "capacity", "accessibility")
#: Fields only the owning dataset sets (on the nodes it created).
OWNED_FIELDS = ("name", "alternate_name", "description", "categories", "targets")


def source_of(dataset: str) -> str:
    return f"import:{dataset}"


def owner_of(node: Node) -> str | None:
    """The dataset that created *node*, or None for plan and API nodes."""
    return node.source.removeprefix("import:") if node.source.startswith("import:") else None


def controlling(datasets: set[str] | list[str]) -> str | None:
    """The highest-priority dataset among *datasets* (ties: by id, so the choice is stable)."""
    registry = load_datasets()
    known = [d for d in datasets if d in registry]
    return max(known, key=lambda d: (registry[d].priority, d)) if known else None


def schedules_json(items: list[Any]) -> list[dict[str, Any]]:
    """Schedules as the node stores them (every field present), for comparing with a node's."""
    return [Schedule.model_validate(s).model_dump(mode="json") for s in items]


def stored_form(key: str, value: Any) -> Any:
    """*value* of Node field *key* as the model stores it (its rule's canonical form: a phone number's
    grouping, width-folded text), so a re-imported row compares equal to what its first import stored.
    A value the rule refuses is returned as it is (the caller's validation reports it)."""
    rule = Node.field_rules.get(key)
    if rule is None or value is None:
        return value
    try:
        return rule(value)
    except ValueError:
        return value


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


def changes_for(node: Node, dataset: str, pid: str, fields: dict[str, Any], *, owned: dict[str, Any] | None = None,
                extra_ids: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields of *node* that change when *dataset*'s row (id *pid*, cleaned *fields*) is applied.

    *owned* holds the owner-only fields (name, categories …) as the dataset states them now; they
    apply only when the dataset created the node. *extra_ids* are further external ids to carry
    over (a merged site's). An owned node no longer listed elsewhere is reactivated.
    """
    current = node.content_dict()
    ids = {**node.external_ids, **(extra_ids or {}), dataset: pid}
    is_owner = owner_of(node) == dataset
    in_control = controlling(set(ids)) == dataset
    out: dict[str, Any] = {}
    if ids != node.external_ids:
        out["external_ids"] = ids
    if is_owner:
        for key, value in (owned or {}).items():
            if current.get(key) != stored_form(key, value):
                out[key] = value
        if node.status == "inactive":
            out["status"] = "active"
    for key in SITE_FIELDS:
        new = fields.get(key)
        if key == "schedules" and new:
            new = schedules_json(new)
        if _empty(new):
            if is_owner and in_control and not _empty(current.get(key)):
                out[key] = [] if key in ("schedules", "accessibility") else None
            continue
        if (in_control or _empty(current.get(key))) and current.get(key) != stored_form(key, new):
            out[key] = new
    if fields.get("lat") is not None:
        new_rank, cur_rank = PRECISION_RANK[fields["location_precision"]], PRECISION_RANK[node.location_precision]
        better = new_rank < cur_rank or (in_control and new_rank == cur_rank)
        point = (fields["lat"], fields["lng"], fields["location_precision"])
        if better and (node.lat, node.lng, node.location_precision) != point:
            out.update(lat=point[0], lng=point[1], location_precision=point[2])
    return out
