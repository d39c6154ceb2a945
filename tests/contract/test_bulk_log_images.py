"""Every store: a create entry's after image is the entity's first version, whatever happened since.

Why: both stores write a create's image by reference (SQLite: ``_LOGGED_AFTER``; Bolt:
``BoltStore._created_images``) instead of storing it twice, so readers of the log — other workers'
read models, the audit pages, migrations — must get back exactly what a copy would have held:
after later updates, deletes and restores, in a batch that creates and changes the same entity,
and for a node and an edge sharing an id.
"""
from __future__ import annotations

from resourcemap.model import Edge, Node


def place(i: int, name: str | None = None) -> Node:
    return Node(id=f"p{i}", kind="place", name=name or f"場所{i}", city="13206", lat=35.66 + i * 1e-4, lng=139.47,
                location_precision="chome", categories=["ibasho"], source="public")


def test_create_images_survive_later_changes(store):
    agency = Node(id="a0", kind="agency", name="法人", city="13206", source="public", categories=["consult"])
    edges = [Edge(id=f"e{i}", kind="operates", source="a0", target=f"p{i}") for i in range(3)]
    edges.append(Edge(id="p0", kind="operates", source="a0", target="p2"))  # an edge with a node's id
    store.bulk_load([agency] + [place(i) for i in range(3)], edges, actor="t")
    first = {(c.entity, c.entity_id): c.after for c in store.changes()}
    assert first[("node", "p1")] == store.get_node("p1").public_dict()
    assert first[("edge", "p0")] == store.get_edge("p0").public_dict()
    store.update_node(place(1, "改名"), actor="t")
    store.update_node(place(1, "再改名"), actor="t")
    store.delete_node("p2", actor="t")  # takes e2 and the edge p0 with it
    store.restore_node("p2", actor="t")
    with store.batch():  # created and changed in one transaction
        store.create_node(place(7), actor="t")
        store.update_node(place(7, "同じ版で改名"), actor="t")
    log = store.changes()
    assert {(c.entity, c.entity_id): c.after for c in log if c.op == "create" and c.entity_id != "p7"} == first
    created, updated = [c for c in log if c.entity_id == "p7" and c.entity == "node"]
    assert created.after == updated.before and created.after["name"] == "場所7" and created.after["version"] == 1
    assert updated.after["name"] == "同じ版で改名" and store.get_node("p7").version == 2
    assert first[("node", "p1")]["name"] == "場所1" and store.get_node("p1").name == "再改名"
    assert [c.model_dump() for c in store.changes(since=4, limit=3)] == [c.model_dump() for c in log[4:7]]
