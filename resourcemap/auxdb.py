"""Auxiliary local tables (API keys, unmet-need counters, the corrections queue) in SQLite.

Why apart from the graph store: these are not part of the catalogue graph and must work
the same whichever store holds the graph (SQLite or a Bolt server). With the embedded
store they live in the same file; each *component* owns its tables and migrates them on
its own (its version is kept in the ``aux_schema`` table), so components never collide.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Sequence

__all__ = ["AuxDB"]


class AuxDB:
    """A thread-safe handle on the auxiliary tables of one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self._shared: sqlite3.Connection | None = None
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS aux_schema(component TEXT PRIMARY KEY, version INTEGER NOT NULL)")

    def connection(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._shared is None:
                self._shared = self._open()
            return self._shared
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 30000")
        if self.path != ":memory:":
            # WAL + NORMAL: a commit survives a crash of the process (not of the power supply);
            # counters and keys do not need an fsync per request.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._conns.append(conn)
        return conn

    def transaction(self):
        """``with aux.transaction() as conn:`` — BEGIN IMMEDIATE … COMMIT (ROLLBACK on error)."""
        db = self

        class _Tx:
            def __enter__(self_inner) -> sqlite3.Connection:
                self_inner.conn = db.connection()
                self_inner.conn.execute("BEGIN IMMEDIATE")
                return self_inner.conn

            def __exit__(self_inner, exc_type, exc, tb) -> None:
                if exc_type is None:
                    self_inner.conn.execute("COMMIT")
                else:
                    self_inner.conn.execute("ROLLBACK")

        return _Tx()

    def ensure(self, component: str, migrations: Sequence[str]) -> None:
        """Bring *component*'s tables to ``len(migrations)``; each entry is a SQL script."""
        with self.transaction() as conn:
            row = conn.execute("SELECT version FROM aux_schema WHERE component = ?", (component,)).fetchone()
            current = row[0] if row else 0
            for version in range(current, len(migrations)):
                for stmt in migrations[version].split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
            conn.execute("INSERT INTO aux_schema(component, version) VALUES (?, ?) "
                         "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                         (component, len(migrations)))

    def close(self) -> None:
        with self._lock:
            for c in self._conns:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        self._local = threading.local()
        self._shared = None
