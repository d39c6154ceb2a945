"""One way to use SQLite: per-thread connections with the same PRAGMAs, transactions, migrations.

Why one helper: the catalogue store (:mod:`resourcemap.graph.stores.sqlite`) and the auxiliary
tables (:mod:`resourcemap.auxdb`) open the same kind of file the same way — WAL so readers
never wait for a writer, ``synchronous=NORMAL`` (a commit survives a crash of the process,
not of the power supply), a busy timeout so writers queue instead of failing, and
``BEGIN IMMEDIATE`` transactions so a version check and the write after it cannot interleave
with another writer. A connection is per thread (sqlite3 objects are not shared between
threads), except for ``:memory:``, where every thread must see the same database.

>>> conns = Connections(":memory:")
>>> with conns.transaction() as conn:
...     run_migrations(conn, ["CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1)"], current=0, what="demo")
1
>>> conns.get().execute("SELECT x FROM t").fetchone()[0]
1
>>> conns.close()
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import StoreError

__all__ = ["Connections", "run_migrations", "MEMORY"]

MEMORY = ":memory:"


class Connections:
    """The connections of one SQLite file: one per thread, all closed together."""

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0, foreign_keys: bool = False) -> None:
        self.path = str(path)
        self.timeout_s = timeout_s
        self._foreign_keys = foreign_keys
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        # every connection with the thread it belongs to (None: the one shared :memory: connection)
        self._all: list[tuple[threading.Thread | None, sqlite3.Connection]] = []
        self._shared: sqlite3.Connection | None = None

    def _open(self, owner: threading.Thread | None) -> sqlite3.Connection:
        """A new connection for *owner*; the connections of threads that have ended are closed here.

        Why here: a server's thread pool retires idle threads and starts new ones, each opening its
        own connection; without this, every retired thread's connection (its file descriptors and
        page cache) stayed open for the life of the process (``bench/soak.py``: open files and RSS
        grew minute after minute).
        """
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self.timeout_s)
        conn.row_factory = sqlite3.Row
        if self._foreign_keys:
            conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
        if self.path != MEMORY:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            ended = [c for t, c in self._all if t is not None and not t.is_alive()]
            self._all = [(t, c) for t, c in self._all if t is None or t.is_alive()] + [(owner, conn)]
        for old in ended:
            try:
                old.close()
            except sqlite3.Error:
                pass
        return conn

    def get(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use; the one shared connection for ``:memory:``)."""
        if self.path == MEMORY:
            with self._lock:
                shared = self._shared
            if shared is None:
                shared = self._open(None)
                with self._lock:
                    self._shared = self._shared or shared
            return self._shared  # type: ignore[return-value]
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open(threading.current_thread())
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` when the block raises."""
        conn = self.get()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            conns, self._all, self._shared = self._all, [], None
        for _, conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()


def run_migrations(conn: sqlite3.Connection, migrations: Sequence[str], *, current: int, what: str) -> int:
    """Run ``migrations[current:]`` (each a SQL script; index *i* upgrades version *i* → *i*+1) in the
    caller's transaction and return the new version, ``len(migrations)``.

    A version above what this resourcemap knows means a newer resourcemap wrote the file:
    :class:`StoreError` says to upgrade instead of touching it.
    """
    if current > len(migrations):
        raise StoreError(f"{what} の形式 (v{current}) はこの resourcemap (v{len(migrations)}) より新しいです。"
                         " resourcemap を更新してください。")
    for version in range(current, len(migrations)):
        for stmt in migrations[version].split(";"):
            if stmt.strip():
                conn.execute(stmt)
    return len(migrations)
