"""The GraphStore contract, run against every backend (tests/contract/conftest.py)."""
from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resourcemap import editing
from resourcemap.errors import IntegrityError, NotFound, ValidationFailed, VersionConflict
from resourcemap.geo.chome import load_chome
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.model import Edge, Node

FUCHU = [c for c in load_chome("13206")]


def place(pid: str, i: int = 0, cats=("ibasho",), **kw) -> Node:
    c = FUCHU[i % len(FUCHU)]
    return Node(id=pid, kind=kw.pop("kind", "place"), name=kw.pop("name", f"場所{pid}"), city="13206", lat=c.lat,
                lng=c.lng, location_precision="chome", categories=list(cats), source="public", **kw)


def agency(pid: str) -> Node:
    return Node(id=pid, kind="agency", name=f"法人{pid}", city="13206", source="public", categories=["consult"])


def update(store, node_id: str, changes: dict, **kw) -> Node:
    """A change through the one write path (merge, validate once, check, store) — as the API makes it."""
    return editing.update_node(store, node_id, changes, **{"actor": "t", **kw})


def test_create_get_roundtrip(store):
    n = store.create_node(place("p1", 3, name="白糸台の居場所"), actor="t")
    assert n.version == 1 and n.created_at is not None and n.updated_at is not None
    got = store.get_node("p1")
    assert got.public_dict() == n.public_dict()
    assert got.name == "白糸台の居場所" and got.lat == FUCHU[3].lat


def test_duplicate_id_rejected(store):
    store.create_node(place("p1"))
    with pytest.raises(IntegrityError):
        store.create_node(place("p1"))


def test_update_bumps_version_and_checks_expected(store):
    store.create_node(place("p1"))
    n2 = update(store, "p1", {"name": "新しい名前"}, expected_version=1)
    assert n2.version == 2 and n2.name == "新しい名前"
    with pytest.raises(VersionConflict) as exc:
        update(store, "p1", {"name": "古い版からの変更"}, expected_version=1)
    assert exc.value.current_version == 2
    assert store.get_node("p1").name == "新しい名前"


def test_update_validates_and_keeps_immutables(store):
    store.create_node(place("p1"))
    with pytest.raises(ValidationFailed):
        update(store, "p1", {"categories": ["no-such-category"]})
    with pytest.raises(ValidationFailed):
        update(store, "p1", {"kind": "agency"})
    with pytest.raises(IntegrityError):  # the store's own guard, for a writer that skips the write path
        store.update_node(agency("p1"))
    assert store.get_node("p1").version == 1


def test_soft_delete_and_restore(store):
    store.create_node(place("p1"))
    store.create_node(agency("a1"))
    e = store.create_edge(Edge(id="e1", kind="operates", source="a1", target="p1"))
    d = store.delete_node("p1", expected_version=1)
    assert d.deleted and d.version == 2
    with pytest.raises(NotFound):
        store.get_node("p1")
    assert store.get_node("p1", include_deleted=True).deleted
    assert store.query_edges() == []  # the edge went with its node
    assert store.get_edge(e.id, include_deleted=True).deleted
    r = store.restore_node("p1", expected_version=2)
    assert not r.deleted and r.version == 3
    assert store.get_node("p1").version == 3


def test_edge_integrity(store):
    store.create_node(place("p1"))
    store.create_node(agency("a1"))
    with pytest.raises(IntegrityError):
        store.create_edge(Edge(id="e1", kind="operates", source="a1", target="missing"))
    with pytest.raises(IntegrityError):  # a place cannot operate an agency
        store.create_edge(Edge(id="e2", kind="operates", source="p1", target="a1"))
    e = store.create_edge(Edge(id="e3", kind="operates", source="a1", target="p1", cite="public"))
    assert e.version == 1
    assert [x.id for x in store.query_edges(source="a1")] == ["e3"]
    assert [x.id for x in store.query_edges(target="p1", kind="operates")] == ["e3"]
    with pytest.raises(IntegrityError):
        store.create_edge(Edge(id="e3", kind="operates", source="a1", target="p1"))
    with pytest.raises(VersionConflict):
        store.delete_edge("e3", expected_version=7)
    store.delete_edge("e3", expected_version=1)
    assert store.query_edges() == []


def test_failed_batch_rolls_back_whole(store):
    store.create_node(place("keep"))
    rev = store.revision()
    with pytest.raises(IntegrityError):
        with store.batch():
            store.create_node(place("b1", 1))
            store.create_node(place("b2", 2))
            update(store, "keep", {"name": "変更"})
            store.create_edge(Edge(id="bad", kind="operates", source="b1", target="nowhere"))
    assert store.revision() == rev
    assert [n.id for n in store.query_nodes()] == ["keep"]
    assert store.get_node("keep").name != "変更"


def test_bulk_load_is_atomic(store):
    nodes = [place(f"n{i}", i) for i in range(20)]
    with pytest.raises(IntegrityError):
        store.bulk_load(nodes, [Edge(id="x", kind="operates", source="n1", target="n2")])  # place→place not allowed
    assert store.query_nodes() == []
    assert store.bulk_load(nodes + [agency("a")], [Edge(id="x", kind="operates", source="a", target="n2")]) == 22
    assert len(store.query_nodes()) == 21


def test_queries_by_kind_city_category_area_bbox_radius(store):
    for i in range(30):
        store.create_node(place(f"p{i:02d}", i * 3, cats=("ibasho",) if i % 2 else ("kayoi",), area_id="A" if i < 10 else "B"))
    store.create_node(agency("a1"))
    assert len(store.query_nodes(NodeQuery(kind="agency"))) == 1
    assert len(store.query_nodes(NodeQuery(category="kayoi"))) == 15
    assert len(store.query_nodes(NodeQuery(area_id="A"))) == 10
    assert len(store.query_nodes(NodeQuery(city="13206"))) == 31
    assert store.query_nodes(NodeQuery(city="11225")) == []
    # radius: compare with brute force haversine
    from resourcemap.geo.distance import haversine_m

    c = FUCHU[10]
    want = sorted(n.id for n in store.query_nodes(NodeQuery(kind="place"))
                  if haversine_m(c.lat, c.lng, n.lat, n.lng) <= 1500)
    got = [n.id for n in store.query_nodes(NodeQuery(near=(c.lat, c.lng, 1500.0)))]
    assert got == want and want
    box = (c.lat - 0.01, c.lng - 0.01, c.lat + 0.01, c.lng + 0.01)
    want_box = sorted(n.id for n in store.query_nodes(NodeQuery(kind="place"))
                      if box[0] <= n.lat <= box[2] and box[1] <= n.lng <= box[3])
    assert [n.id for n in store.query_nodes(NodeQuery(bbox=box))] == want_box
    # keyset pagination walks everything once, in id order
    seen, after = [], None
    while True:
        page = store.query_nodes(NodeQuery(after=after, limit=7))
        if not page:
            break
        seen += [n.id for n in page]
        after = page[-1].id
    assert seen == sorted(n.id for n in store.query_nodes())


def test_public_query_is_the_nodes_public_shape(store):
    """query_public_nodes answers what query_nodes answers, as Node.public_dict — for every filter, a
    changed and a deleted node included (the API's list reads it without building the nodes)."""
    for i in range(12):
        store.create_node(place(f"p{i:02d}", i * 5, cats=("ibasho",) if i % 2 else ("kayoi",),
                                area_id="A" if 4 <= i < 8 else None, phone="042-335-4111"))
    store.create_node(agency("a1"))
    update(store, "p03", {"name": "変更後の名前", "verified_at": "2026-01-05", "categories": ["kayoi", "ibasho"]})
    store.delete_node("p04", actor="t")
    c = FUCHU[20]
    queries = [NodeQuery(), NodeQuery(kind="agency"), NodeQuery(category="kayoi"), NodeQuery(area_id="A"),
               NodeQuery(include_deleted=True), NodeQuery(after="p05", limit=3), NodeQuery(near=(c.lat, c.lng, 2500.0)),
               NodeQuery(near=(c.lat, c.lng, 2500.0), limit=2), NodeQuery(city="11225")]
    for q in queries:
        assert store.query_public_nodes(q) == [n.public_dict() for n in store.query_nodes(q)], q
    assert any(n["name"] == "変更後の名前" and n["verified_at"] == "2026-01-05" for n in store.query_public_nodes())


def test_node_versions_and_public_nodes_by_id(store):
    """query_node_versions lists what query_nodes lists, as (id, version), for every filter; get_public_nodes
    answers get_nodes in the public shape (deleted nodes too, unknown ids left out) — the API's list encodes
    a node once per version from these two."""
    for i in range(10):
        store.create_node(place(f"p{i:02d}", i * 5, cats=("ibasho",) if i % 2 else ("kayoi",),
                                area_id="A" if 4 <= i < 8 else None))
    update(store, "p03", {"name": "変更後の名前"})
    update(store, "p03", {"name": "二度目の変更"})
    store.delete_node("p04", actor="t")
    c = FUCHU[20]
    queries = [NodeQuery(), NodeQuery(category="kayoi"), NodeQuery(area_id="A"), NodeQuery(include_deleted=True),
               NodeQuery(after="p05", limit=3), NodeQuery(near=(c.lat, c.lng, 2500.0)),
               NodeQuery(near=(c.lat, c.lng, 2500.0), limit=2)]
    for q in queries:
        assert store.query_node_versions(q) == [(n.id, n.version) for n in store.query_nodes(q)], q
    assert dict(store.query_node_versions())["p03"] == 3
    ids = ["p03", "p04", "nope", "p00"]
    want = {i: n.public_dict() for i, n in store.get_nodes(ids).items()}
    assert store.get_public_nodes(ids) == want and set(want) == {"p03", "p04", "p00"}
    assert want["p03"]["name"] == "二度目の変更" and want["p04"]["deleted"] is True


def test_change_log_revisions(store):
    r0 = store.revision()
    store.create_node(place("p1"), actor="alice")
    update(store, "p1", {"name": "x"}, actor="bob")
    store.delete_node("p1", actor="carol")
    log = store.changes(since=r0)
    assert [c.op for c in log] == ["create", "update", "delete"]
    assert [c.actor for c in log] == ["alice", "bob", "carol"]
    assert [c.rev for c in log] == list(range(r0 + 1, r0 + 4))
    assert log[0].before is None and log[0].after["name"] == "場所p1"
    assert log[1].before["name"] == "場所p1" and log[1].after["name"] == "x"
    assert store.revision() == r0 + 3
    assert [c.rev for c in store.changes(since=r0 + 1)] == [r0 + 2, r0 + 3]


def test_reopen_gives_same_graph(store_factory):
    s = store_factory()
    s.create_node(agency("a1"))
    for i in range(5):
        s.create_node(place(f"p{i}", i))
        s.create_edge(Edge(id=f"e{i}", kind="operates", source="a1", target=f"p{i}"))
    update(s, "p2", {"name": "更新"})
    s.delete_node("p4")
    before = ([n.public_dict() for n in s.query_nodes(NodeQuery(include_deleted=True))],
              [e.public_dict() for e in s.query_edges(include_deleted=True)],
              [c.model_dump() for c in s.changes()])
    s.close()
    s2 = store_factory(fresh=False)
    after = ([n.public_dict() for n in s2.query_nodes(NodeQuery(include_deleted=True))],
             [e.public_dict() for e in s2.query_edges(include_deleted=True)],
             [c.model_dump() for c in s2.changes()])
    assert before == after


def test_concurrent_updates_with_versions_lose_nothing(store):
    store.create_node(place("p1"))
    accepted: list[str] = []
    lock = threading.Lock()

    def worker(tag: str) -> None:
        for _ in range(5):
            cur = store.get_node("p1")
            try:
                update(store, "p1", {"description": (cur.description or "") + tag},
                                  expected_version=cur.version, actor=tag)
                with lock:
                    accepted.append(tag)
            except VersionConflict:
                pass

    threads = [threading.Thread(target=worker, args=(f"[{i}]",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = store.get_node("p1")
    assert final.version == 1 + len(accepted)
    for tag in set(accepted):
        assert final.description.count(tag) == accepted.count(tag)


# -- the read model follows every write -------------------------------------------------------
_ops = st.lists(st.tuples(st.sampled_from(["create", "update", "move", "delete", "restore", "edge", "unedge"]),
                          st.integers(0, 7), st.integers(0, 7), st.integers(0, len(FUCHU) - 1)),
                min_size=1, max_size=25)


def _snapshot_store(store):
    nodes = {n.id: n.public_dict() for n in store.query_nodes()}
    edges = {e.id: (e.source, e.target, e.kind) for e in store.query_edges()}
    return nodes, edges


def _snapshot_rm(rm):
    nodes = {n.id: n.public_dict() for n in rm.nodes()}
    edges = {e.id: (e.source, e.target, e.kind) for e in rm.edges()}
    return nodes, edges


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_ops)
def test_read_model_matches_store_after_random_writes(store_factory, ops):
    store = store_factory()
    rm = ReadModel(store)
    base = store.revision()
    prefix = f"h{base}-"
    store.create_node(agency(prefix + "a"))
    for op, i, j, k in ops:
        pid = f"{prefix}p{i}"
        try:
            if op == "create":
                store.create_node(place(pid, k, cats=("ibasho", "kayoi")[: 1 + k % 2]))
            elif op == "update":
                update(store, pid, {"name": f"名{k}", "categories": ["food"] if k % 2 else ["watch"]})
            elif op == "move":
                c = FUCHU[k]
                update(store, pid, {"lat": c.lat, "lng": c.lng})
            elif op == "delete":
                store.delete_node(pid)
            elif op == "restore":
                store.restore_node(pid)
            elif op == "edge":
                store.create_edge(Edge(id=f"{prefix}e{i}-{j}", kind="operates", source=prefix + "a", target=pid))
            elif op == "unedge":
                store.delete_edge(f"{prefix}e{i}-{j}")
        except (NotFound, IntegrityError, VersionConflict):
            pass
    assert _snapshot_rm(rm) == _snapshot_store(store)
    # and a fresh read model built from the store agrees, as does the spatial index
    rm2 = ReadModel(store, follow=False)
    assert _snapshot_rm(rm2) == _snapshot_store(store)
    located = {n.id for n in store.query_nodes() if n.located}
    c = FUCHU[0]
    assert {pid for pid, _ in rm.index.within(c.lat, c.lng, 1e6)} == located
    rm.close()


def test_read_model_municipalities_follow_writes(store):
    """The municipalities a read model holds (kept per revision for the matcher) change with the store's log,
    in process (listeners) and from elsewhere (refresh)."""
    def muni(code: str) -> Node:
        return Node(id=f"m{code}", kind="municipality", name=f"自治体{code}", city=code, source="public")

    rm = ReadModel(store)
    other = ReadModel(store, follow=False)  # another process's read model: it learns by refresh()
    assert rm.municipalities() == () and other.municipalities() == ()
    store.create_node(muni("13206"))
    store.create_node(place("p1"))
    assert rm.municipalities() == ("13206",) and other.municipalities() == ()
    store.create_node(muni("11225"))
    other.refresh()
    assert rm.municipalities() == other.municipalities() == ("11225", "13206")
    store.delete_node("m11225")
    other.refresh()
    assert rm.municipalities() == other.municipalities() == ("13206",)
    rm.close()


def test_edge_restore_and_its_checks(store):
    store.create_node(place("p1"))
    store.create_node(agency("a1"))
    store.create_edge(Edge(id="e1", kind="operates", source="a1", target="p1"))
    store.delete_edge("e1")
    with pytest.raises(VersionConflict):
        store.restore_edge("e1", expected_version=1)
    r = store.restore_edge("e1", expected_version=2)
    assert not r.deleted and r.version == 3
    assert [e.id for e in store.query_edges()] == ["e1"]
    with pytest.raises(IntegrityError):  # not deleted: nothing to restore
        store.restore_edge("e1")
    store.delete_node("p1")  # takes the edge with it …
    with pytest.raises(IntegrityError):  # … and an edge to a deleted node cannot come back
        store.restore_edge("e1")
    assert [c.op for c in store.changes()][-3:] == ["restore", "delete", "delete"]
