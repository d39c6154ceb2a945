"""Auxiliary local tables (API keys, unmet-need counters, the corrections queue) in SQLite.

Why apart from the graph store: these are not part of the catalogue graph and must work
the same whichever store holds the graph (SQLite or a Bolt server). With the embedded
store they live in the same file; each *component* owns its tables and migrates them on
its own (its version is kept in the ``aux_schema`` table), so components never collide.
Connections, PRAGMAs and migrations are :mod:`resourcemap.sqlitedb`'s, as for the store.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from .sqlitedb import Connections, run_migrations

__all__ = ["AuxDB"]


class AuxDB:
    """A thread-safe handle on the auxiliary tables of one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conns = Connections(self.path)
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS aux_schema(component TEXT PRIMARY KEY, version INTEGER NOT NULL)")

    def connection(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self._conns.get()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """``with aux.transaction() as conn:`` — BEGIN IMMEDIATE … COMMIT (ROLLBACK on error)."""
        return self._conns.transaction()

    def ensure(self, component: str, migrations: Sequence[str]) -> None:
        """Bring *component*'s tables to ``len(migrations)``; each entry is a SQL script."""
        with self.transaction() as conn:
            row = conn.execute("SELECT version FROM aux_schema WHERE component = ?", (component,)).fetchone()
            version = run_migrations(conn, migrations, current=row[0] if row else 0,
                                     what=f"{self.path} の {component} 表")
            conn.execute("INSERT INTO aux_schema(component, version) VALUES (?, ?) "
                         "ON CONFLICT(component) DO UPDATE SET version = excluded.version", (component, version))

    def close(self) -> None:
        self._conns.close()
