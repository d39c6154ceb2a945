"""A write arriving while a request walks the read model waits until the walk is done, then applies.

Found by ``bench/soak.py``: a node created by one request while ``POST /v1/match`` iterated the graph
in another broke the match ("dictionary changed size during iteration", HTTP 500).
"""
from __future__ import annotations

import threading

from resourcemap.geo.chome import load_chome
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.model import Node

FUCHU = load_chome("13206")


def place(i: int) -> Node:
    c = FUCHU[i % len(FUCHU)]
    return Node(id=f"p{i:04d}", kind="place", name=f"居場所{i}", city="13206", lat=c.lat, lng=c.lng,
                location_precision="chome", categories=["ibasho"], source="public")


def test_a_write_during_a_read_waits_for_the_read_then_applies(tmp_path):
    store = SQLiteStore(tmp_path / "c.db")
    try:
        for i in range(20):
            store.create_node(place(i))
        rm = ReadModel(store)
        before = rm.revision
        with rm.reading():
            walk = rm.nodes()
            first = next(walk)
            store.create_node(place(100))  # committed and logged: the listener hands it over mid-walk
            store.delete_node("p0003")
            rest = list(walk)  # the walk goes on over the graph as it was
            assert len([first, *rest]) == 20 and rm.revision == before and not rm.has("p0100")
        assert rm.has("p0100") and not rm.has("p0003") and rm.revision == store.revision()
        assert {n.id for n in rm.nodes()} == {n.id for n in store.query_nodes()}
        with rm.reading():  # outside any read, a write applies at once
            pass
        store.create_node(place(101))
        assert rm.has("p0101")
    finally:
        store.close()


def test_reads_and_writes_from_many_threads_never_break_a_walk(tmp_path):
    store = SQLiteStore(tmp_path / "c.db")
    errors: list[BaseException] = []
    try:
        rm = ReadModel(store)
        stop = threading.Event()
        c = FUCHU[0]

        def reader() -> None:
            while not stop.is_set():
                try:
                    with rm.reading():
                        ids = [n.id for n in rm.nodes()]
                        near = rm.within(c.lat, c.lng, 50_000)
                        assert len(set(ids)) == len(ids) and all(rm.has(n.id) for n, _ in near)
                except BaseException as exc:  # noqa: BLE001 - collected and reported by the test
                    errors.append(exc)
                    return

        readers = [threading.Thread(target=reader) for _ in range(3)]
        for t in readers:
            t.start()
        for i in range(300):
            store.create_node(place(i))
            if i % 7 == 0 and i:
                store.delete_node(f"p{i - 1:04d}")
        stop.set()
        for t in readers:
            t.join()
        assert errors == []
        rm.refresh()
        assert {n.id for n in rm.nodes()} == {n.id for n in store.query_nodes()}
        assert rm.revision == store.revision()
    finally:
        store.close()
