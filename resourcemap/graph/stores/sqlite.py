"""The embedded store: one SQLite file (WAL), the default system of record.

Why SQLite: a municipality's catalogue is thousands of nodes; one file is easy to back up,
copy and inspect, and WAL lets the API read while staff write. Each write (or ``batch()``)
is one ``BEGIN IMMEDIATE`` transaction, so a crash mid-import leaves the file as before;
``PRAGMA user_version`` carries the schema version and :data:`MIGRATIONS` upgrade it.
Connections are per thread; SQLite's write lock serialises writers across threads and
processes (``busy_timeout``), which is what makes version checks race-free.
"""
from __future__ import annotations

import json
import math
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator

import numpy as np

from ...errors import IntegrityError, NotFound, StoreError
from ...geo.distance import EARTH_RADIUS_M, haversine_m
from ...model import Change, Edge, Node, now_utc, stored_edge, stored_node, stored_public_dict
from ...sqlitedb import MEMORY, Connections, run_migrations
from . import base as rules
from .base import ExpectedVersion, Listener, Listeners, NodeKey, NodeQuery

__all__ = ["SQLiteStore", "MIGRATIONS", "SCHEMA_VERSION"]

#: Schema migrations, applied in order; index i upgrades user_version i → i+1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE nodes(
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, city TEXT NOT NULL, name TEXT NOT NULL,
        lat REAL, lng REAL, area_id TEXT, deleted INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL, updated_at TEXT NOT NULL, data TEXT NOT NULL);
    CREATE INDEX nodes_kind_city ON nodes(kind, city);
    CREATE INDEX nodes_city ON nodes(city);
    CREATE INDEX nodes_area ON nodes(area_id);
    CREATE INDEX nodes_lat_lng ON nodes(lat, lng);
    CREATE TABLE node_categories(
        category TEXT NOT NULL, node_id TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
        PRIMARY KEY(category, node_id)) WITHOUT ROWID;
    CREATE TABLE edges(
        id TEXT PRIMARY KEY, kind TEXT NOT NULL,
        source TEXT NOT NULL REFERENCES nodes(id), target TEXT NOT NULL REFERENCES nodes(id),
        deleted INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL, updated_at TEXT NOT NULL,
        data TEXT NOT NULL);
    CREATE INDEX edges_source ON edges(source);
    CREATE INDEX edges_target ON edges(target);
    CREATE INDEX edges_kind ON edges(kind);
    CREATE TABLE changes(
        rev INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, op TEXT NOT NULL,
        entity TEXT NOT NULL, entity_id TEXT NOT NULL, before TEXT, after TEXT);
    CREATE INDEX changes_entity ON changes(entity_id);
    """,
    # v2: updating a node replaces its category rows; without this index each update scanned them all
    """
    CREATE INDEX node_categories_node ON node_categories(node_id);
    """,
    # v3: a bulk load's create entries keep their image by reference (after IS NULL, see _LOGGED_AFTER);
    # finding an entity's next change by (entity_id, entity, rev) is what reading one back needs
    """
    DROP INDEX changes_entity;
    CREATE INDEX changes_entity ON changes(entity_id, entity, rev);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
#: Ids per ``IN (…)`` when nodes are fetched by id (well below SQLite's limit on bound parameters).
_IDS_PER_QUERY = 500
#: A bulk load adding at least this many rows to a table (and no fewer than it holds) rebuilds its indexes after them.
_DEFER_INDEXES_MIN_ROWS = 10_000

#: The ``after`` image of a change-log row. A bulk load's ``create`` entries store none (NULL): their
#: image is the entity's version 1, which is still in its row while it is at version 1, and otherwise
#: the ``before`` image of its next change (every later change logs the state it replaced). Writing
#: the image once instead of twice is half of what a 100,000-node load writes (docs/benchmarks.md, "Store").
_LOGGED_AFTER = """
    CASE WHEN c.after IS NOT NULL OR c.op <> 'create' THEN c.after
    ELSE coalesce((SELECT x.before FROM changes x WHERE x.entity_id = c.entity_id AND x.entity = c.entity
                   AND x.rev > c.rev ORDER BY x.rev LIMIT 1),
                  CASE c.entity WHEN 'node' THEN (SELECT n.data FROM nodes n WHERE n.id = c.entity_id)
                                ELSE (SELECT e.data FROM edges e WHERE e.id = c.entity_id) END) END"""


def _dump(model: Node | Edge) -> str:
    return model.model_dump_json()


def _iso(dt: datetime | None) -> str:
    return (dt or now_utc()).isoformat()


class _Tx:
    """The SQLite store as the shared write rules see it inside a transaction (:class:`.base.WriteTx`)."""

    def __init__(self, store: SQLiteStore) -> None:
        self._s = store

    def node(self, node_id: str) -> Node | None:
        return self._s._node_or_none(node_id)

    def edge(self, edge_id: str) -> Edge | None:
        return self._s._edge_or_none(edge_id)

    def live_kind(self, node_id: str) -> str | None:
        return self._s._live_kind(node_id)

    def live_edges_at(self, node_id: str) -> list[str]:
        return self._s._live_edges_at(node_id)

    def put_node(self, node: Node, *, new: bool) -> None:
        self._s._put_node(node, new=new)

    def put_edge(self, edge: Edge, *, new: bool) -> None:
        self._s._put_edge(edge, new=new)

    def log(self, op: str, entity: str, entity_id: str, before: dict[str, Any] | None,
            after: dict[str, Any] | None, actor: str | None) -> None:
        self._s._log(op, entity, entity_id, before, after, actor)


class SQLiteStore:
    """:class:`~resourcemap.graph.stores.base.GraphStore` over one SQLite file."""

    def __init__(self, path: str | Path, *, create: bool = True, timeout_s: float = 30.0) -> None:
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        if self.path != MEMORY and not create and not Path(self.path).exists():
            raise NotFound(f"カタログ {self.path} がありません。`resourcemap init` で作成してください。")
        self._conns = Connections(self.path, timeout_s=timeout_s, foreign_keys=True)
        self._local = threading.local()
        self._listeners = Listeners()
        self._tx = _Tx(self)
        self._migrate()

    # -- connections ------------------------------------------------------------------------
    @property
    def _conn(self) -> sqlite3.Connection:
        return self._conns.get()

    def _migrate(self) -> None:
        try:
            with self._conns.transaction() as conn:
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                version = run_migrations(conn, MIGRATIONS, current=current, what=self.path)
                conn.execute(f"PRAGMA user_version = {version}")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path} を開けません: {exc}") from exc

    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._conns.close()
        self._local = threading.local()

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """All writes inside commit together, or none do (the first error rolls back all)."""
        if getattr(self._local, "pending", None) is not None:
            yield  # nested: the outer batch owns the transaction
            return
        conn = self._conn
        self._local.pending = []
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._local.pending = None
            raise StoreError(f"書き込みを開始できません: {exc}") from exc
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._local.pending = None
            raise
        pending, self._local.pending = self._local.pending, None
        self._listeners.notify(pending)

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write: inside the caller's batch, or its own transaction; sqlite3 errors become ours."""
        with self.batch():
            try:
                yield
            except sqlite3.IntegrityError as exc:
                raise IntegrityError(f"整合性エラー: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreError(f"データベースエラー: {exc}") from exc

    def _log(self, op: str, entity: str, entity_id: str, before: dict[str, Any] | None,
             after: dict[str, Any] | None, actor: str | None) -> None:
        conn = self._conn
        at = now_utc()
        cur = conn.execute(
            "INSERT INTO changes(at, actor, op, entity, entity_id, before, after) VALUES (?,?,?,?,?,?,?)",
            (at.isoformat(), actor, op, entity, entity_id,
             None if before is None else json.dumps(before, ensure_ascii=False),
             None if after is None else json.dumps(after, ensure_ascii=False)))
        self._local.pending.append(Change(rev=cur.lastrowid, at=at, actor=actor, op=op, entity=entity,
                                          entity_id=entity_id, before=before, after=after))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    # -- the store's side of the shared write rules (base.WriteTx) -------------------------
    def _node_or_none(self, node_id: str) -> Node | None:
        row = self._conn.execute("SELECT data FROM nodes WHERE id = ?", (node_id,)).fetchone()
        return None if row is None else stored_node(row["data"])

    def _edge_or_none(self, edge_id: str) -> Edge | None:
        row = self._conn.execute("SELECT data FROM edges WHERE id = ?", (edge_id,)).fetchone()
        return None if row is None else stored_edge(row["data"])

    def _live_kind(self, node_id: str) -> str | None:
        row = self._conn.execute("SELECT kind FROM nodes WHERE id = ? AND deleted = 0", (node_id,)).fetchone()
        return None if row is None else str(row["kind"])

    def _live_edges_at(self, node_id: str) -> list[str]:
        rows = self._conn.execute("SELECT id FROM edges WHERE (source = ? OR target = ?) AND deleted = 0 ORDER BY id",
                                  (node_id, node_id)).fetchall()
        return [r["id"] for r in rows]

    def _put_node(self, node: Node, *, new: bool) -> None:
        conn = self._conn
        values = (node.kind, node.city, node.name, node.lat, node.lng, node.area_id, int(node.deleted),
                  node.version, _iso(node.updated_at), _dump(node), node.id)
        if new:
            conn.execute("INSERT INTO nodes(kind, city, name, lat, lng, area_id, deleted, version, updated_at, data, id)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?,?)", values)
        else:
            conn.execute("UPDATE nodes SET kind=?, city=?, name=?, lat=?, lng=?, area_id=?, deleted=?, version=?,"
                         " updated_at=?, data=? WHERE id=?", values)
            conn.execute("DELETE FROM node_categories WHERE node_id = ?", (node.id,))
        conn.executemany("INSERT INTO node_categories(category, node_id) VALUES (?, ?)",
                         [(c, node.id) for c in node.categories])

    def _put_edge(self, edge: Edge, *, new: bool) -> None:
        values = (edge.kind, edge.source, edge.target, int(edge.deleted), edge.version,
                  _iso(edge.updated_at), _dump(edge), edge.id)
        if new:
            self._conn.execute("INSERT INTO edges(kind, source, target, deleted, version, updated_at, data, id)"
                               " VALUES (?,?,?,?,?,?,?,?)", values)
        else:
            self._conn.execute("UPDATE edges SET kind=?, source=?, target=?, deleted=?, version=?, updated_at=?,"
                               " data=? WHERE id=?", values)

    # -- nodes ------------------------------------------------------------------------------
    def create_node(self, node: Node, *, actor: str | None = None) -> Node:
        with self._write():
            return rules.create_node(self._tx, node, actor)

    def get_node(self, node_id: str, *, include_deleted: bool = False) -> Node:
        return rules.visible(self._node_or_none(node_id), "ノード", node_id, include_deleted=include_deleted)

    def update_node(self, node: Node, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node:
        with self._write():
            return rules.update_node(self._tx, node, expected_version, actor)

    def delete_node(self, node_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node:
        with self._write():
            return rules.set_node_deleted(self._tx, node_id, True, expected_version, actor)

    def restore_node(self, node_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node:
        with self._write():
            return rules.set_node_deleted(self._tx, node_id, False, expected_version, actor)

    def query_nodes(self, query: NodeQuery = NodeQuery()) -> list[Node]:
        return [stored_node(data) for data in self._node_images(query)]

    def query_public_nodes(self, query: NodeQuery = NodeQuery()) -> list[dict[str, Any]]:
        return [stored_public_dict(data) for data in self._node_images(query)]

    def query_node_versions(self, query: NodeQuery = NodeQuery()) -> list[tuple[str, int]]:
        return [(row[0], row[1]) for row in self._node_rows(query, "n.id, n.version")]

    def get_public_nodes(self, node_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(node_ids))
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[i:i + _IDS_PER_QUERY]
            sql = f"SELECT id, data FROM nodes WHERE id IN ({','.join('?' * len(chunk))})"
            out.update((node_id, stored_public_dict(data)) for node_id, data in self._conn.execute(sql, chunk))
        return out

    def _node_images(self, query: NodeQuery) -> Iterable[str]:
        """The stored JSON images of the nodes *query* selects, ordered by id."""
        return (row[0] for row in self._node_rows(query, "n.data"))

    def _node_rows(self, query: NodeQuery, columns: str) -> Iterable[sqlite3.Row]:
        """The rows (*columns* of ``nodes n``) of the nodes *query* selects, ordered by id."""
        sql = [f"SELECT {columns}, n.lat, n.lng FROM nodes n"]
        where: list[str] = []
        args: list[Any] = []
        if query.category is not None:
            sql.append("JOIN node_categories c ON c.node_id = n.id AND c.category = ?")
            args.append(query.category)
        if not query.include_deleted:
            where.append("n.deleted = 0")
        for col, val in (("kind", query.kind), ("city", query.city), ("area_id", query.area_id)):
            if val is not None:
                where.append(f"n.{col} = ?")
                args.append(val)
        boxes = []
        if query.bbox is not None:
            boxes.append(query.bbox)
        if query.near is not None:
            lat, lng, radius = query.near
            dlat = math.degrees(radius / EARTH_RADIUS_M) * 1.001 + 1e-9
            dlng = dlat / max(math.cos(math.radians(min(89.0, abs(lat) + dlat))), 1e-6)
            boxes.append((lat - dlat, lng - dlng, lat + dlat, lng + dlng))
        for (a, b, c, d) in boxes:
            where.append("n.lat BETWEEN ? AND ? AND n.lng BETWEEN ? AND ?")
            args.extend([a, c, b, d])
        if query.after is not None:
            where.append("n.id > ?")
            args.append(query.after)
        if where:
            sql.append("WHERE " + " AND ".join(where))
        # by category: the category's rows are already in node id order (its primary key), so a page stops at
        # its limit instead of sorting every node of the category
        sql.append("ORDER BY c.node_id" if query.category is not None else "ORDER BY n.id")
        if query.limit is not None and query.near is None:
            sql.append("LIMIT ?")
            args.append(int(query.limit))
        cursor = self._conn.execute(" ".join(sql), args)
        if query.near is None:  # row by row: a read model's load never holds every stored image at once
            return cursor
        rows = cursor.fetchall()
        if rows:  # the box has corners: keep what is within the radius
            lat, lng, radius = query.near
            dist = np.atleast_1d(haversine_m(lat, lng, np.array([r["lat"] for r in rows], dtype=float),
                                             np.array([r["lng"] for r in rows], dtype=float)))
            rows = [row for row, d in zip(rows, (dist <= radius).tolist()) if d]
        return rows[:query.limit]

    def count_nodes(self, *, include_deleted: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM nodes" + ("" if include_deleted else " WHERE deleted = 0")
        return int(self._conn.execute(sql).fetchone()[0])

    def node_keys(self, cities: Collection[str] | None = None) -> list[NodeKey]:
        sql, args = "SELECT id, kind, city, name, json_extract(data, '$.address'), deleted FROM nodes", list(cities or ())
        if cities is not None:
            sql += f" WHERE city IN ({','.join('?' * len(args))})"
        rows = self._conn.execute(sql + " ORDER BY id", args)
        return [NodeKey(i, k, c, n, a, bool(d)) for i, k, c, n, a, d in rows]

    def get_nodes(self, node_ids: Iterable[str]) -> dict[str, Node]:
        ids = list(dict.fromkeys(node_ids))
        out: dict[str, Node] = {}
        for i in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[i:i + _IDS_PER_QUERY]
            sql = f"SELECT data FROM nodes WHERE id IN ({','.join('?' * len(chunk))})"
            for (data,) in self._conn.execute(sql, chunk):
                node = stored_node(data)
                out[node.id] = node
        return out

    # -- edges ------------------------------------------------------------------------------
    def create_edge(self, edge: Edge, *, actor: str | None = None) -> Edge:
        with self._write():
            return rules.create_edge(self._tx, edge, actor)

    def get_edge(self, edge_id: str, *, include_deleted: bool = False) -> Edge:
        return rules.visible(self._edge_or_none(edge_id), "エッジ", edge_id, include_deleted=include_deleted)

    def update_edge(self, edge: Edge, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge:
        with self._write():
            return rules.update_edge(self._tx, edge, expected_version, actor)

    def delete_edge(self, edge_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge:
        with self._write():
            return rules.set_edge_deleted(self._tx, edge_id, True, expected_version, actor)

    def restore_edge(self, edge_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge:
        with self._write():
            return rules.set_edge_deleted(self._tx, edge_id, False, expected_version, actor)

    def query_edges(self, *, kind: str | None = None, source: str | None = None, target: str | None = None,
                    include_deleted: bool = False) -> list[Edge]:
        where, args = [], []
        for col, val in (("kind", kind), ("source", source), ("target", target)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if not include_deleted:
            where.append("deleted = 0")
        sql = "SELECT data FROM edges" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [stored_edge(r["data"]) for r in self._conn.execute(sql, args).fetchall()]

    # -- bulk, log --------------------------------------------------------------------------
    def bulk_load(self, nodes: Iterable[Node], edges: Iterable[Edge], *, actor: str | None = None) -> int:
        """Create many nodes then edges in ONE transaction (all or nothing); returns the count written.

        Nodes, then edges, go in with one ``executemany`` per table — each serialised once, for its
        row; its change-log entry refers to that image instead of repeating it (:data:`_LOGGED_AFTER`)
        — because imports of national open data write 100,000s of them; the primary keys reject a
        duplicate id. Each edge's ends are checked by the shared rule
        (:func:`~.base.check_edge_ends`) against the nodes of this load and those already stored.
        A load larger than what a table holds rebuilds that table's secondary indexes after its rows
        (:meth:`_indexes_deferred`) instead of updating them row by row.
        """
        nodes, edges = list(nodes), list(edges)
        with self._write(), self._large_cache():
            conn = self._conn
            t = now_utc()
            at = t.isoformat()
            rev = self.revision()  # inside BEGIN IMMEDIATE: no other writer can take these numbers
            new_rows = {"nodes": len(nodes), "node_categories": sum(len(n.categories) for n in nodes),
                        "edges": len(edges), "changes": len(nodes) + len(edges)}
            with self._indexes_deferred(conn, new_rows):
                node_rows: list[tuple[Any, ...]] = []
                cat_rows: list[tuple[str, str]] = []
                log_rows: list[tuple[int, str, str | None, str, str]] = []
                kinds: dict[str, str] = {}  # id → kind of the nodes of this load (the edges' ends)

                image = rules.FirstVersionJSON(t)  # the JSON of an entity's first version

                for node in nodes:
                    rev += 1
                    node_rows.append((node.kind, node.city, node.name, node.lat, node.lng, node.area_id,
                                      1, at, image(node), node.id))
                    cat_rows.extend((c, node.id) for c in node.categories)
                    log_rows.append((rev, at, actor, "node", node.id))
                    kinds[node.id] = node.kind
                self._insert_new(conn, "nodes", "ノード", "INSERT INTO nodes(kind, city, name, lat, lng, area_id,"
                                 " deleted, version, updated_at, data, id) VALUES (?,?,?,?,?,?,0,?,?,?,?)", node_rows)
                conn.executemany("INSERT INTO node_categories(category, node_id) VALUES (?, ?)", cat_rows)

                def live_kind(node_id: str) -> str | None:
                    return kinds[node_id] if node_id in kinds else self._live_kind(node_id)

                edge_rows: list[tuple[Any, ...]] = []
                for edge in edges:
                    rules.check_edge_ends(edge, live_kind)
                    rev += 1
                    edge_rows.append((edge.kind, edge.source, edge.target, 1, at, image(edge), edge.id))
                    log_rows.append((rev, at, actor, "edge", edge.id))
                self._insert_new(conn, "edges", "エッジ", "INSERT INTO edges(kind, source, target, deleted, version,"
                                 " updated_at, data, id) VALUES (?,?,?,0,?,?,?,?)", edge_rows)
                conn.executemany("INSERT INTO changes(rev, at, actor, op, entity, entity_id, before, after)"
                                 " VALUES (?, ?, ?, 'create', ?, ?, NULL, NULL)", log_rows)  # after: _LOGGED_AFTER
            if self._listeners.active:
                images = [row[-2] for row in node_rows] + [row[-2] for row in edge_rows]
                self._local.pending.extend(
                    Change.model_construct(rev=r, at=t, actor=actor, op="create", entity=e, entity_id=i,  # type: ignore[arg-type]
                                           before=None, after=json.loads(d))
                    for (r, _, _, e, i), d in zip(log_rows, images))
        return len(node_rows) + len(edge_rows)

    @staticmethod
    @contextmanager
    def _indexes_deferred(conn: sqlite3.Connection, new_rows: dict[str, int]) -> Iterator[None]:
        """Drop the secondary indexes of each table about to get *new_rows* of at least
        :data:`_DEFER_INDEXES_MIN_ROWS` and at least as many as it holds; create them again (from their
        stored ``CREATE INDEX``) after the block.

        Why: building an index once over sorted keys is several times cheaper than inserting 100,000s
        of keys one by one at random places (at 100,000 nodes the row-by-row index updates were most
        of SQLite's share of a load). Both happen inside the caller's transaction — DDL in SQLite is
        transactional — so a failed or interrupted load leaves the catalogue and its indexes as they
        were, and other connections keep reading the previous snapshot, indexes included, until the
        commit. A small load into a large table keeps the indexes (rebuilding them would cost more).
        """
        tables = [t for t, n in new_rows.items()
                  if n >= _DEFER_INDEXES_MIN_ROWS and n >= conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]]
        marks = ",".join("?" * len(tables))
        indexes = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                               f" AND tbl_name IN ({marks}) ORDER BY name", tables).fetchall() if tables else []
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        try:
            yield
        finally:  # also after an error: a caller that catches it inside its own batch keeps its indexes
            for _, sql in indexes:
                conn.execute(sql)

    @contextmanager
    def _large_cache(self, mib: int = 256) -> Iterator[None]:
        """A page cache of *mib* for this connection while a large load runs (then the default again).

        Why: SQLite's default cache (2 MiB) holds a sliver of the indexes a 100,000-node load
        updates, so pages were written to the WAL and read back again and again before the commit.
        """
        conn = self._conn
        before = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = {-mib * 1024}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {int(before)}")

    @staticmethod
    def _insert_new(conn: sqlite3.Connection, table: str, label: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """``executemany`` of new rows whose last value is the id; a duplicate id is :class:`IntegrityError`."""
        try:
            conn.executemany(sql, rows)
        except sqlite3.IntegrityError:
            seen: set[str] = set()
            dup = None
            for row in rows:
                if row[-1] in seen or conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row[-1],)).fetchone():
                    dup = row[-1]
                    break
                seen.add(row[-1])
            raise IntegrityError(f"{label} id {dup!r} は既にあります。", id=dup) from None

    def import_history(self, nodes: Iterable[Node], edges: Iterable[Edge], changes: Iterable[Change]) -> int:
        """Write a whole catalogue as it is — versions, timestamps, revisions — into this EMPTY store.

        Why: a migration keeps the change log (the audit trail) and every version, which
        ordinary writes would renumber. One transaction; listeners are told nothing (a copy is
        not a change). Returns the revision afterwards.
        """
        with self.batch():
            for node in nodes:
                self._put_node(node, new=True)
            for edge in edges:
                self._put_edge(edge, new=True)
            self._conn.executemany(
                "INSERT INTO changes(rev, at, actor, op, entity, entity_id, before, after) VALUES (?,?,?,?,?,?,?,?)",
                [(c.rev, c.at.isoformat(), c.actor, c.op, c.entity, c.entity_id,
                  None if c.before is None else json.dumps(c.before, ensure_ascii=False),
                  None if c.after is None else json.dumps(c.after, ensure_ascii=False)) for c in changes])
        return self.revision()

    def revision(self) -> int:
        row = self._conn.execute("SELECT MAX(rev) FROM changes").fetchone()
        return int(row[0] or 0)

    def changes(self, since: int = 0, limit: int | None = None) -> list[Change]:
        sql = (f"SELECT c.rev, c.at, c.actor, c.op, c.entity, c.entity_id, c.before, {_LOGGED_AFTER} AS after"
               " FROM changes c WHERE c.rev > ? ORDER BY c.rev")
        args: list[Any] = [since]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        out = []
        for r in self._conn.execute(sql, args).fetchall():
            out.append(Change(rev=r["rev"], at=datetime.fromisoformat(r["at"]), actor=r["actor"], op=r["op"],
                              entity=r["entity"], entity_id=r["entity_id"],
                              before=None if r["before"] is None else json.loads(r["before"]),
                              after=None if r["after"] is None else json.loads(r["after"])))
        return out

    def integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])
