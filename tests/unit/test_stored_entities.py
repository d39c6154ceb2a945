"""Reading back what a store wrote, without validating it again, gives exactly what validation gave."""
from __future__ import annotations

import json

from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.model import Edge, Node, Targets, stored_edge, stored_node, stored_public_dict


def test_every_seed_entity_round_trips_field_for_field(seeded_db):
    store = SQLiteStore(seeded_db, create=False)
    try:
        rows = store._conn.execute("SELECT data FROM nodes").fetchall()
        for row in rows:
            validated = Node.model_validate_json(row["data"])
            trusted = stored_node(row["data"])
            assert trusted == validated and trusted.model_dump_json() == validated.model_dump_json()
            assert type(trusted.targets) is Targets and trusted.created_at == validated.created_at
            assert stored_public_dict(row["data"]) == validated.public_dict()
        for row in store._conn.execute("SELECT data FROM edges").fetchall():
            assert stored_edge(row["data"]) == Edge.model_validate_json(row["data"])
        assert len(rows) > 300
    finally:
        store.close()


def test_an_older_image_without_a_newer_field_gets_its_default():
    node = Node(id="p1", kind="place", name="居場所", city="13206", source="public", categories=["ibasho"],
                verified_at="2025-04-01")
    image = json.loads(node.model_dump_json())
    del image["schedules"], image["targets"]
    back = stored_node(image)
    assert back == node and back.schedules == [] and back.targets == Targets()
    assert back.verified_at.isoformat() == "2025-04-01"
    public = stored_public_dict(json.dumps(image))
    assert public == node.public_dict() and public["schedules"] == [] and public["verified_at"] == "2025-04-01"


def test_the_read_model_holds_trusted_nodes_equal_to_the_store(seeded_db):
    store = SQLiteStore(seeded_db, create=False)
    try:
        rm = ReadModel(store, follow=False)
        assert {n.id: n.public_dict() for n in rm.nodes()} == {n.id: n.public_dict() for n in store.query_nodes()}
    finally:
        store.close()
