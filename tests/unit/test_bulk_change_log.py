"""A bulk load's change log reads back exactly as if every entity had been created one by one.

Why these tests: the SQLite store's ``bulk_load`` writes each image once (the entity's row) and
its ``create`` entries refer to it (``after`` NULL, read back through ``_LOGGED_AFTER``: the row
while the entity is at version 1, else the ``before`` of its next change). Readers of the log —
read models of other workers, the audit pages, migrations — must not see a difference, whatever
happens to the entities afterwards. The oracle is a second store given the same entities through
``create_node``/``create_edge`` and the same later writes: both logs must agree entry for entry
(apart from the moments, which differ between the stores).
"""
from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resourcemap.graph.stores import base as rules
from resourcemap.graph.stores.sqlite import MIGRATIONS, SQLiteStore
from resourcemap.model import Edge, Node, now_utc

STAMPS = ("created_at", "updated_at")


def place(i: int) -> Node:
    return Node(id=f"p{i}", kind="place", name=f"場所{i}", city="13206", lat=35.66 + i * 1e-4, lng=139.47,
                location_precision="chome", categories=["ibasho"], source="public")


def agency(i: int) -> Node:
    return Node(id=f"a{i}", kind="agency", name=f"法人{i}", city="13206", source="public", categories=["consult"])


def catalogue(n: int) -> tuple[list[Node], list[Edge]]:
    nodes = [agency(0)] + [place(i) for i in range(n)]
    return nodes, [Edge(id=f"e{i}", kind="operates", source="a0", target=f"p{i}") for i in range(n)]


def log_of(store: SQLiteStore) -> list[tuple]:
    """The change log without the moments (each store stamps its own)."""
    def image(d):
        return None if d is None else {k: v for k, v in d.items() if k not in STAMPS}
    return [(c.rev, c.op, c.entity, c.entity_id, c.actor, image(c.before), image(c.after)) for c in store.changes()]


def test_first_version_is_what_model_copy_makes():
    at = now_utc()
    for entity in (place(3), agency(1), Edge(id="e1", kind="operates", source="a1", target="p3")):
        fast = rules.first_version(entity, at)
        slow = entity.model_copy(update={"version": 1, "created_at": at, "updated_at": at, "deleted": False})
        assert fast == slow and fast.model_dump_json() == slow.model_dump_json()
        assert fast.model_fields_set == slow.model_fields_set and fast.__pydantic_private__ == slow.__pydantic_private__
        assert entity.version == 0 and fast is not entity and fast.__dict__ is not entity.__dict__


def test_a_bulk_load_stores_each_image_once_and_logs_it_by_reference(tmp_path):
    store = SQLiteStore(tmp_path / "c.db")
    nodes, edges = catalogue(5)
    seen = []
    store.subscribe(seen.extend)
    store.bulk_load(nodes, edges, actor="t")
    with sqlite3.connect(tmp_path / "c.db") as raw:
        assert raw.execute("SELECT count(*), count(after) FROM changes").fetchone() == (11, 0)
    log = store.changes()
    assert [c.after for c in log] == [store.get_node(n.id).public_dict() for n in nodes] + \
        [store.get_edge(e.id).public_dict() for e in edges]
    assert [c.model_dump() for c in log] == [c.model_dump() for c in seen]  # listeners got the same entries
    store.close()


def test_a_bulk_created_entity_changed_later_keeps_its_first_image(tmp_path):
    store = SQLiteStore(tmp_path / "c.db")
    nodes, edges = catalogue(3)
    store.bulk_load(nodes, edges, actor="t")
    first = {c.entity_id: c.after for c in store.changes()}
    store.update_node(place(1).model_copy(update={"name": "改名"}), actor="t")
    store.update_node(place(1).model_copy(update={"name": "再改名"}), actor="t")
    store.delete_node("p2", actor="t")  # takes e2 with it
    log = store.changes()
    assert {c.entity_id: c.after for c in log if c.op == "create"} == first
    assert first["p1"]["name"] == "場所1" and first["p2"]["deleted"] is False and first["e2"]["deleted"] is False
    assert store.get_node("p1").name == "再改名" and store.get_edge("e2", include_deleted=True).deleted
    store.close()


def test_a_file_of_the_previous_schema_is_upgraded_and_reads_as_before(tmp_path):
    path = tmp_path / "v2.db"
    with sqlite3.connect(path) as raw:
        for script in MIGRATIONS[:2]:
            raw.executescript(script)
        raw.execute("PRAGMA user_version = 2")
    store = SQLiteStore(path)  # migrates to the current schema
    node = store.create_node(place(1), actor="t")
    assert store.schema_version() == len(MIGRATIONS) and store.changes()[0].after == node.public_dict()
    store.close()


OPS = st.lists(st.tuples(st.sampled_from(["update", "delete", "restore", "delete_edge", "restore_edge"]),
                         st.integers(0, 4)), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 5), ops=OPS)
def test_the_bulk_log_equals_the_log_of_one_by_one_creates(n, ops):
    nodes, edges = catalogue(n)
    with tempfile.TemporaryDirectory() as tmp:
        bulk, oracle = SQLiteStore(Path(tmp) / "bulk.db"), SQLiteStore(Path(tmp) / "one.db")
        bulk.bulk_load(nodes, edges, actor="t")
        with oracle.batch():
            for node in nodes:
                oracle.create_node(node, actor="t")
            for edge in edges:
                oracle.create_edge(edge, actor="t")
        for k, (op, i) in enumerate(ops):
            i %= n
            for store in (bulk, oracle):
                try:
                    if op == "update":
                        store.update_node(place(i).model_copy(update={"name": f"改名{k}"}), actor="t")
                    elif op in ("delete", "restore"):
                        getattr(store, f"{op}_node")(f"p{i}", actor="t")
                    else:
                        getattr(store, op)(f"e{i}", actor="t")
                except Exception as exc:  # the same refusal from both stores (e.g. deleting what is deleted)
                    refused = type(exc)
                else:
                    refused = None
                if store is bulk:
                    bulk_refused = refused
            assert refused == bulk_refused
        assert log_of(bulk) == log_of(oracle)
        stamps = [c.after["created_at"] for c in bulk.changes() if c.op == "create"]
        assert len(set(stamps)) == 1 and stamps[0] is not None  # one moment for the whole load
        bulk.close()
        oracle.close()


def test_entries_read_back_in_pages_give_the_same_images(tmp_path):
    store = SQLiteStore(tmp_path / "c.db")
    nodes, edges = catalogue(4)
    store.bulk_load(nodes, edges, actor="t")
    store.update_node(place(0).model_copy(update={"name": "改名"}), actor="t")
    whole = store.changes()
    assert store.changes(since=3, limit=4) == whole[3:7]
    assert whole[-1].at - whole[0].at < timedelta(minutes=5)
    store.close()


ENTITY_IDS = st.text(st.sampled_from('aZ09._:-"\\,{}場\n'), min_size=1, max_size=12)
STAMP = st.none() | st.datetimes(timezones=st.just(UTC))


@settings(max_examples=200, deadline=None)
@given(entity_id=ENTITY_IDS, version=st.integers(0, 10**6), created_at=STAMP, deleted=st.booleans(),
       name=st.text(max_size=20), description=st.none() | st.text(max_size=20), is_node=st.booleans())
def test_first_version_json_is_the_json_of_the_first_version(entity_id, version, created_at, deleted, name,
                                                            description, is_node):
    """The JSON a bulk load stores equals that of the built first version, whatever the id and the stamps hold
    (ids are built unvalidated here, so quotes, backslashes and the very keys it looks for can be in them)."""
    stamps = {"version": version, "created_at": created_at, "updated_at": created_at, "deleted": deleted}
    if is_node:
        entity = place(1).model_copy(update={"id": entity_id, "name": name, "description": description, **stamps})
    else:
        entity = Edge.model_construct(id=entity_id, kind="operates", source=name, target="p1",
                                      description=description, **stamps)
    at = now_utc()
    dump = rules.FirstVersionJSON(at)
    dump(agency(0)), dump(Edge(id="e0", kind="operates", source="a0", target="p0"))  # each model's first call
    assert dump(entity) == rules.first_version(entity, at).model_dump_json()
