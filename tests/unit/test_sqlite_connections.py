"""Per-thread SQLite connections: a thread that has ended does not keep its connection open.

Found by ``bench/soak.py``: a server's thread pool retires idle threads and starts new ones, and the
connection each had opened stayed open (open files and memory grew minute after minute).
"""
from __future__ import annotations

import sqlite3
import threading

import pytest

from resourcemap.sqlitedb import Connections


def test_the_connection_of_an_ended_thread_is_closed_when_a_new_one_opens(tmp_path):
    conns = Connections(tmp_path / "t.db")
    with conns.transaction() as conn:
        conn.execute("CREATE TABLE t(x INTEGER)")
    opened: list[sqlite3.Connection] = []

    def use() -> None:
        c = conns.get()
        c.execute("INSERT INTO t VALUES (1)")
        opened.append(c)

    first = threading.Thread(target=use)
    first.start()
    first.join()
    opened[0].execute("SELECT 1")  # still open: nobody has opened a connection since its thread ended
    second = threading.Thread(target=use)
    second.start()
    second.join()
    with pytest.raises(sqlite3.ProgrammingError):  # closed when the second thread opened its own
        opened[0].execute("SELECT 1")
    assert conns.get().execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2  # this thread's own, open
    live = conns.get()
    third = threading.Thread(target=use)
    third.start()
    third.join()
    live.execute("SELECT 1")  # a live thread's connection is never closed
    conns.close()
    with pytest.raises(sqlite3.ProgrammingError):
        live.execute("SELECT 1")
