"""SQLite bulk loads that rebuild indexes after their rows: same results, all or nothing, crash-safe.

Why these tests: a load larger than a table drops the table's secondary indexes and creates them
again after the rows (``SQLiteStore._indexes_deferred``). That must never lose an index — not
after an error, not when a caller swallows the error inside its own batch, not when the process
dies mid-load — and a small load into a large table must not rebuild anything.
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from resourcemap.errors import IntegrityError
from resourcemap.graph.stores import sqlite as sqlite_store
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.model import Edge, Node

THRESHOLD = 10  # rows from which a load rebuilds a table's indexes (10,000 in production: same code path)


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch):
    monkeypatch.setattr(sqlite_store, "_DEFER_INDEXES_MIN_ROWS", THRESHOLD)


def place(i: int, prefix: str = "p") -> Node:
    return Node(id=f"{prefix}{i:04d}", kind="place", name=f"場所{i}", city="13206", lat=35.66 + i * 1e-4,
                lng=139.47 + i * 1e-4, location_precision="chome", categories=["ibasho" if i % 2 else "kayoi"],
                area_id=f"A{i % 3}", source="public")


def agency(i: int) -> Node:
    return Node(id=f"a{i:04d}", kind="agency", name=f"法人{i}", city="13206", source="public", categories=["consult"])


def indexes(path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall()


def statements_of(store: SQLiteStore, write) -> list[str]:
    """The SQL statements *write* runs on the store's connection (its return value is dropped)."""
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    try:
        write()
    finally:
        store._conn.set_trace_callback(None)
    return statements


def load(store: SQLiteStore, n: int, *, bad_last_edge: bool = False) -> int:
    nodes = [agency(0)] + [place(i) for i in range(n)]
    edges = [Edge(id=f"e{i:04d}", kind="operates", source="a0000", target=f"p{i:04d}") for i in range(n)]
    if bad_last_edge:
        edges[-1] = Edge(id=edges[-1].id, kind="operates", source="p0000", target="p0001")  # place→place: refused
    return store.bulk_load(nodes, edges, actor="test")


def test_a_large_load_rebuilds_every_index_and_answers_as_before(tmp_path):
    path = tmp_path / "c.db"
    store = SQLiteStore(path)
    before = indexes(path)
    statements = statements_of(store, lambda: load(store, 50))
    assert any(s.startswith("DROP INDEX") for s in statements)  # the rebuild path did run
    assert indexes(path) == before
    assert store.integrity_check() == "ok" and store.count_nodes() == 51
    assert len(store.query_nodes(NodeQuery(category="kayoi"))) == 25
    assert len(store.query_nodes(NodeQuery(area_id="A1"))) == 17
    assert [e.target for e in store.query_edges(source="a0000")][:2] == ["p0000", "p0001"]
    assert len(store.query_nodes(NodeQuery(kind="place", near=(35.66, 139.47, 300.0)))) > 0
    assert store.revision() == 101 and [c.entity_id for c in store.changes(since=99)] == ["e0048", "e0049"]
    store.close()


def one_node_catalogue(path) -> tuple[SQLiteStore, list[tuple[str, str]]]:
    """A store holding one node "keep0001", and its indexes."""
    store = SQLiteStore(path)
    store.create_node(place(1, prefix="keep"))
    return store, indexes(path)


def assert_unchanged(store: SQLiteStore, path, before: list[tuple[str, str]]) -> None:
    """The catalogue of :func:`one_node_catalogue`, indexes included, as it was."""
    assert indexes(path) == before
    assert [n.id for n in store.query_nodes()] == ["keep0001"] and store.revision() == 1
    assert store.integrity_check() == "ok"


def test_a_load_failing_after_its_rows_leaves_store_and_indexes_as_they_were(tmp_path):
    store, before = one_node_catalogue(tmp_path / "c.db")
    with pytest.raises(IntegrityError):
        load(store, 50, bad_last_edge=True)
    assert_unchanged(store, tmp_path / "c.db", before)
    store.close()


def test_an_error_swallowed_inside_a_callers_batch_keeps_the_indexes(tmp_path):
    path = tmp_path / "c.db"
    store = SQLiteStore(path)
    before = indexes(path)
    with store.batch():
        with pytest.raises(IntegrityError):
            load(store, 50, bad_last_edge=True)
    assert indexes(path) == before
    store.close()


def test_a_small_load_into_a_larger_table_keeps_its_indexes(tmp_path):
    store = SQLiteStore(tmp_path / "c.db")
    load(store, 50)
    statements = statements_of(store, lambda: store.bulk_load([place(i, prefix="q") for i in range(20)], [], actor="t"))
    assert not [s for s in statements if "INDEX" in s]
    assert store.count_nodes() == 71
    store.close()


def test_a_process_dying_mid_load_leaves_the_previous_catalogue_intact(tmp_path):
    """The process is killed inside the load's transaction, after its indexes were dropped and its nodes written."""
    path = tmp_path / "c.db"
    store, before = one_node_catalogue(path)
    store.close()
    script = textwrap.dedent(f"""
        import os
        from resourcemap.graph.stores import sqlite as s
        from tests.unit.test_sqlite_bulk_load import load
        s._DEFER_INDEXES_MIN_ROWS = {THRESHOLD}
        insert = s.SQLiteStore._insert_new
        def insert_then_die(conn, table, *args):
            insert(conn, table, *args)
            if table == "edges":
                os._exit(3)
        s.SQLiteStore._insert_new = staticmethod(insert_then_die)
        load(s.SQLiteStore({str(path)!r}), 3000)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    store = SQLiteStore(path)
    assert_unchanged(store, path, before)
    store.close()
