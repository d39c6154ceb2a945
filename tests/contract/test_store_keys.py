"""The keys an import plans against (``node_keys``) and nodes fetched by id (``get_nodes``), on every backend.

The oracle is the store's own full read: ``query_nodes(include_deleted=True)`` gives every node, and
its keys and images must be what the two lean reads return — deleted nodes included, text as stored.
"""
from __future__ import annotations

from resourcemap.graph.stores.base import NodeKey, NodeQuery
from resourcemap.model import Edge, Node

from .test_store_contract import agency, place, update

TRICKY = "居場所 'single' \"double\" back\\slash $param {brace} 😀"


def _keys_from_nodes(store) -> list[NodeKey]:
    return [NodeKey(n.id, n.kind, n.city, n.name, n.address, n.deleted)
            for n in store.query_nodes(NodeQuery(include_deleted=True))]


def _catalogue(store) -> None:
    """Live, deleted, restored and renamed nodes, with and without an address."""
    store.create_node(place("p3", 1, name=TRICKY, address="東京都府中市宮西町2-24"))
    store.create_node(place("p1", 2))
    store.create_node(place("p2", 3, address="府中市白糸台1-1"))
    store.create_node(agency("a1"))
    store.create_node(Node(id="area.1", kind="area", name="白糸台福祉エリア", city="13206", level="福祉エリア",
                           source="public"))
    store.create_edge(Edge(id="e1", kind="operates", source="a1", target="p1"))
    store.delete_node("p1")
    store.delete_node("a1")
    store.restore_node("a1")
    update(store, "p2", {"name": "改名した居場所", "address": None})


def test_empty_store_has_no_keys_and_fetches_nothing(store):
    assert store.node_keys() == []
    assert store.get_nodes([]) == {}
    assert store.get_nodes(["nope"]) == {}


def test_node_keys_are_every_node_deleted_too_in_id_order(store):
    _catalogue(store)
    keys = store.node_keys()
    assert keys == _keys_from_nodes(store)
    assert [k.id for k in keys] == ["a1", "area.1", "p1", "p2", "p3"]
    by_id = {k.id: k for k in keys}
    assert by_id["p1"].deleted and not by_id["a1"].deleted  # deleted, and deleted then restored
    assert by_id["p3"] == NodeKey("p3", "place", "13206", TRICKY, "東京都府中市宮西町2-24", False)
    assert by_id["p2"].name == "改名した居場所" and by_id["p2"].address is None  # an update is what the keys show
    assert by_id["area.1"].kind == "area"


def test_node_keys_of_some_municipalities(store):
    _catalogue(store)
    store.create_node(Node(id="c1", kind="agency", name="調布の法人", city="13208", source="public",
                           categories=["consult"]))
    store.create_node(Node(id="c2", kind="agency", name="小金井の法人", city="13210", source="public",
                           categories=["consult"]))
    store.delete_node("c2")
    assert [k.id for k in store.node_keys(["13208"])] == ["c1"]
    assert [k.id for k in store.node_keys(["13210", "13208"])] == ["c1", "c2"]  # deleted too, in id order
    assert store.node_keys(["13206"]) == [k for k in _keys_from_nodes(store) if k.city == "13206"]
    assert store.node_keys([]) == [] and store.node_keys(["99999"]) == []
    assert store.node_keys() == _keys_from_nodes(store)


def test_get_nodes_returns_the_stored_nodes_deleted_too_and_leaves_out_unknown_ids(store):
    _catalogue(store)
    got = store.get_nodes(["p3", "p1", "missing", "p3", "area.1"])
    assert set(got) == {"p3", "p1", "area.1"}
    for node_id, node in got.items():
        assert node.public_dict() == store.get_node(node_id, include_deleted=True).public_dict()
    assert got["p1"].deleted and got["p1"].version == 2


def test_get_nodes_reads_more_ids_than_one_query_takes(store):
    nodes = [place(f"n{i:04d}", i) for i in range(1_050)]
    store.bulk_load(nodes, [])
    store.delete_node("n1049")
    ids = [n.id for n in nodes]
    got = store.get_nodes(reversed(ids))
    assert sorted(got) == ids
    assert got["n1049"].deleted and got["n0000"].name == "場所n0000"
    assert len(store.node_keys()) == 1_050


def test_keys_and_fetches_inside_a_batch_see_its_own_writes(store):
    store.create_node(agency("a1"))
    with store.batch():
        store.create_node(place("p1", 5, address="府中市宮町1-1"))
        update(store, "a1", {"name": "改名"})
        store.delete_node("a1")
        keys = store.node_keys()
        assert keys == [NodeKey("a1", "agency", "13206", "改名", None, True),
                        NodeKey("p1", "place", "13206", "場所p1", "府中市宮町1-1", False)]
        assert store.node_keys(["13206"]) == keys and store.node_keys(["13208"]) == []
        got = store.get_nodes(["a1", "p1"])
        assert got["a1"].deleted and got["a1"].name == "改名" and got["p1"].address == "府中市宮町1-1"
    assert store.node_keys() == keys
