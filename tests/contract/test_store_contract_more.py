"""More of the GraphStore contract, run against every backend like test_store_contract.py.

These pin down what a graph server could get subtly wrong where SQLite cannot: text and
floats that must come back byte-for-byte, fields cleared by an update, an edge moved to
other ends, a batch too big for one server message, and a delete racing edge creation.
"""
from __future__ import annotations

import threading

import pytest

from resourcemap import editing
from resourcemap.errors import IntegrityError, NotFound, ValidationFailed
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.model import Edge, Targets, stored_node

from .test_store_contract import FUCHU, agency, place, update

TRICKY = "居場所 'single' \"double\" back\\slash \\' end\\\n改行\tタブ 😀 {brace} $param"


def _midpoint(i: int) -> tuple[float, float]:
    """A point between two real 町丁目 points: full double precision, still inside the city."""
    a, b = FUCHU[i], FUCHU[i + 1]
    return (a.lat + b.lat) / 2, (a.lng + b.lng) / 2


def test_text_numbers_and_nested_fields_round_trip_exactly(store):
    """The store holds any text exactly — also a name with a line break or tab, which the field rules
    refuse today but a catalogue written before them may hold (built here as the store reads it)."""
    lat, lng = _midpoint(4)
    node = stored_node(dict(
        id="p-x", kind="place", name=TRICKY[:200], description=TRICKY * 20, city="13206", lat=lat, lng=lng,
        location_precision="exact", categories=["ibasho", "kayoi"], source="public", capacity=12,
        accepting_new=False, verified_at="2025-04-01", url="https://example.jp/a?b='c'",
        targets=Targets(fields=["高齢", "子ども"], age_min=3, age_max=99, residents_only=True).model_dump(),
        schedules=[dict(byday="MO,2TU", opens_at="09:30", closes_at="16:00", description=TRICKY)]))
    created = store.create_node(node)
    got = store.get_node("p-x")
    assert got.public_dict() == created.public_dict()
    assert got.lat == lat and got.lng == lng and got.description == TRICKY * 20
    [found] = store.query_nodes(NodeQuery(near=(lat, lng, 1.0)))
    assert found.public_dict() == created.public_dict()


def test_update_can_clear_fields(store):
    store.create_node(place("p1", 2, description="説明", url="https://example.jp", email="a@example.jp",
                            phone="042-360-0000", capacity=5))
    n = update(store, "p1", {"description": None, "email": None, "capacity": None}, expected_version=1)
    got = store.get_node("p1")
    assert got.public_dict() == n.public_dict()
    assert (got.description, got.email, got.capacity) == (None, None, None)
    assert (got.url, got.phone, got.name) == ("https://example.jp", "042-360-0000", "場所p1")


def test_edge_update_moves_its_ends(store):
    store.create_node(place("p1"))
    store.create_node(place("p2", 1))
    store.create_node(agency("a1"))
    store.create_node(agency("a2"))
    store.create_edge(Edge(id="e1", kind="operates", source="a1", target="p1", cite="public"))
    moved = editing.update_edge(store, "e1", {"source": "a2", "target": "p2"}, expected_version=1, actor="t")
    assert (moved.source, moved.target, moved.version) == ("a2", "p2", 2)
    assert store.query_edges(source="a1") == [] and store.query_edges(target="p1") == []
    assert [e.public_dict() for e in store.query_edges(source="a2")] == [moved.public_dict()]
    assert store.get_edge("e1").public_dict() == moved.public_dict()
    with pytest.raises(IntegrityError):  # the new end must exist (the store's own guard)
        store.update_edge(Edge(**{**moved.public_dict(), "target": "nowhere"}))
    with pytest.raises(ValidationFailed):  # … which the write path reports first, as a field problem
        editing.update_edge(store, "e1", {"target": "nowhere"}, actor="t")
    assert store.get_edge("e1").version == 2


def test_batch_larger_than_one_server_message_is_atomic(store):
    """~3 MB of writes: more than one Bolt message on FalkorDB, still all or nothing."""
    big = "長い説明文。" * 600  # 3,600 characters
    nodes = [place(f"n{i:04d}", i, description=big) for i in range(300)]
    with pytest.raises(IntegrityError), store.batch():
        for n in nodes:
            store.create_node(n)
        store.create_edge(Edge(id="bad", kind="operates", source="n0001", target="n0002"))
    assert store.count_nodes(include_deleted=True) == 0 and store.revision() == 0
    assert store.bulk_load(nodes + [agency("a")], [Edge(id="e", kind="operates", source="a", target="n0007")]) == 302
    assert store.count_nodes() == 301 and store.revision() == 302
    assert store.get_node("n0299").description == big
    assert [c.rev for c in store.changes(since=300)] == [301, 302]


def test_reads_inside_a_batch_see_its_own_writes(store):
    store.create_node(agency("a1"))
    with store.batch():
        store.create_node(place("p1", 5))
        store.create_edge(Edge(id="e1", kind="operates", source="a1", target="p1"))
        update(store, "a1", {"name": "改名"})
        assert store.get_node("p1").name == "場所p1"
        assert [n.id for n in store.query_nodes(NodeQuery(kind="place"))] == ["p1"]
        assert store.query_nodes(NodeQuery(kind="agency"))[0].name == "改名"
        assert [e.id for e in store.query_edges(source="a1")] == ["e1"]
    assert store.get_edge("e1").target == "p1" and store.get_node("a1").version == 2


def test_delete_racing_edge_creation_leaves_no_dangling_edge(store):
    """Whatever the interleaving, a deleted node keeps no live edge (the cascade is race-free)."""
    for k in range(3):
        store.create_node(place(f"x{k}", k))
        for i in range(4):
            store.create_node(agency(f"a{k}-{i}"))

        def link(i: int, k: int = k) -> None:
            try:
                store.create_edge(Edge(id=f"e{k}-{i}", kind="operates", source=f"a{k}-{i}", target=f"x{k}"))
            except (IntegrityError, NotFound):
                pass  # the node was already deleted: refusing the edge is right

        threads = [threading.Thread(target=link, args=(i,)) for i in range(4)]
        threads.append(threading.Thread(target=store.delete_node, args=(f"x{k}",)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.get_node(f"x{k}", include_deleted=True).deleted
        assert store.query_edges(target=f"x{k}") == []

