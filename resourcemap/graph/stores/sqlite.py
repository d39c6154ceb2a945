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
from typing import Any, Callable, Iterable, Iterator

from ...errors import IntegrityError, NotFound, StoreError
from ...geo.distance import EARTH_RADIUS_M, haversine_m
from ...model import EDGE_RULES, Change, Edge, Node, now_utc, parse_edge, parse_node
from .base import Listener, Listeners, NodeQuery, apply_patch, check_version

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
]
SCHEMA_VERSION = len(MIGRATIONS)


def _dump(model: Node | Edge) -> str:
    return model.model_dump_json()


def _iso(dt: datetime | None) -> str:
    return (dt or now_utc()).isoformat()


class SQLiteStore:
    """:class:`~resourcemap.graph.stores.base.GraphStore` over one SQLite file."""

    def __init__(self, path: str | Path, *, create: bool = True, timeout_s: float = 30.0) -> None:
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        self._timeout = timeout_s
        if self.path != ":memory:":
            p = Path(self.path)
            if not create and not p.exists():
                raise NotFound(f"カタログ {self.path} がありません。`resourcemap init` で作成してください。")
            p.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._listeners = Listeners()
        self._all_conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._memory_conn: sqlite3.Connection | None = None
        self._migrate()

    # -- connections ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self._timeout)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        with self._conns_lock:
            self._all_conns.append(conn)
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        if self.path == ":memory:":  # one shared connection, or each thread would see its own DB
            if self._memory_conn is None:
                self._memory_conn = self._connect()
            return self._memory_conn
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _migrate(self) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                raise StoreError(f"{self.path} の形式 (v{current}) はこの resourcemap (v{SCHEMA_VERSION}) より新しいです。"
                                 " resourcemap を更新してください。")
            for version in range(current, SCHEMA_VERSION):
                for stmt in MIGRATIONS[version].split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"{self.path} を開けません: {exc}") from exc

    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._all_conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all_conns.clear()
        self._local = threading.local()
        self._memory_conn = None

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
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self.batch():
            try:
                yield self._conn
            except sqlite3.IntegrityError as exc:
                raise IntegrityError(f"整合性エラー: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreError(f"データベースエラー: {exc}") from exc

    def _log(self, conn: sqlite3.Connection, op: str, entity: str, entity_id: str,
             before: dict[str, Any] | None, after: dict[str, Any] | None, actor: str | None) -> None:
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

    # -- nodes ------------------------------------------------------------------------------
    def _row_node(self, row: sqlite3.Row) -> Node:
        return Node.model_validate_json(row["data"])

    def _fetch_node(self, conn: sqlite3.Connection, node_id: str, include_deleted: bool) -> Node:
        row = conn.execute("SELECT data, deleted FROM nodes WHERE id = ?", (node_id,)).fetchone()
        if row is None or (row["deleted"] and not include_deleted):
            raise NotFound(f"ノード {node_id!r} はありません。")
        return self._row_node(row)

    def _put_node(self, conn: sqlite3.Connection, node: Node, *, insert: bool) -> None:
        values = (node.kind, node.city, node.name, node.lat, node.lng, node.area_id, int(node.deleted),
                  node.version, _iso(node.updated_at), _dump(node), node.id)
        if insert:
            conn.execute("INSERT INTO nodes(kind, city, name, lat, lng, area_id, deleted, version, updated_at, data, id)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?,?)", values)
        else:
            conn.execute("UPDATE nodes SET kind=?, city=?, name=?, lat=?, lng=?, area_id=?, deleted=?, version=?,"
                         " updated_at=?, data=? WHERE id=?", values)
            conn.execute("DELETE FROM node_categories WHERE node_id = ?", (node.id,))
        conn.executemany("INSERT INTO node_categories(category, node_id) VALUES (?, ?)",
                         [(c, node.id) for c in node.categories])

    def create_node(self, node: Node, *, actor: str | None = None) -> Node:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM nodes WHERE id = ?", (node.id,)).fetchone():
                raise IntegrityError(f"ノード id {node.id!r} は既にあります。", id=node.id)
            t = now_utc()
            stored = node.model_copy(update={"version": 1, "created_at": t, "updated_at": t, "deleted": False})
            self._put_node(conn, stored, insert=True)
            self._log(conn, "create", "node", stored.id, None, stored.public_dict(), actor)
            return stored

    def get_node(self, node_id: str, *, include_deleted: bool = False) -> Node:
        return self._fetch_node(self._conn, node_id, include_deleted)

    def update_node(self, node_id: str, changes: dict[str, Any], *, expected_version: int | None = None,
                    actor: str | None = None) -> Node:
        with self._write() as conn:
            current = self._fetch_node(conn, node_id, include_deleted=False)
            check_version(f"ノード {node_id}", current.version, expected_version)
            merged = apply_patch(current.public_dict(), changes, what=f"ノード {node_id}")
            node = parse_node(merged)
            stored = node.model_copy(update={"version": current.version + 1, "updated_at": now_utc(),
                                             "created_at": current.created_at})
            self._put_node(conn, stored, insert=False)
            self._log(conn, "update", "node", node_id, current.public_dict(), stored.public_dict(), actor)
            return stored

    def _set_node_deleted(self, node_id: str, deleted: bool, expected_version: int | None,
                          actor: str | None) -> Node:
        with self._write() as conn:
            current = self._fetch_node(conn, node_id, include_deleted=True)
            if current.deleted == deleted:
                state = "削除済み" if deleted else "削除されていません"
                raise (NotFound if deleted else IntegrityError)(f"ノード {node_id!r} は{state}。")
            check_version(f"ノード {node_id}", current.version, expected_version)
            stored = current.model_copy(update={"deleted": deleted, "version": current.version + 1,
                                                "updated_at": now_utc()})
            self._put_node(conn, stored, insert=False)
            self._log(conn, "delete" if deleted else "restore", "node", node_id,
                      current.public_dict(), stored.public_dict(), actor)
            if deleted:  # an edge to a deleted node would dangle: delete it too (logged)
                rows = conn.execute("SELECT id FROM edges WHERE (source = ? OR target = ?) AND deleted = 0",
                                    (node_id, node_id)).fetchall()
                for row in rows:
                    self._set_edge_deleted_in(conn, row["id"], True, None, actor)
            return stored

    def delete_node(self, node_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Node:
        return self._set_node_deleted(node_id, True, expected_version, actor)

    def restore_node(self, node_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Node:
        return self._set_node_deleted(node_id, False, expected_version, actor)

    def query_nodes(self, query: NodeQuery = NodeQuery()) -> list[Node]:
        sql = ["SELECT n.data, n.lat, n.lng FROM nodes n"]
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
        sql.append("ORDER BY n.id")
        if query.limit is not None and query.near is None:
            sql.append("LIMIT ?")
            args.append(int(query.limit))
        rows = self._conn.execute(" ".join(sql), args).fetchall()
        out = []
        for row in rows:
            if query.near is not None:
                lat, lng, radius = query.near
                if haversine_m(lat, lng, row["lat"], row["lng"]) > radius:
                    continue
            out.append(Node.model_validate_json(row["data"]))
            if query.limit is not None and len(out) >= query.limit:
                break
        return out

    def count_nodes(self, *, include_deleted: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM nodes" + ("" if include_deleted else " WHERE deleted = 0")
        return int(self._conn.execute(sql).fetchone()[0])

    # -- edges ------------------------------------------------------------------------------
    def _fetch_edge(self, conn: sqlite3.Connection, edge_id: str, include_deleted: bool) -> Edge:
        row = conn.execute("SELECT data, deleted FROM edges WHERE id = ?", (edge_id,)).fetchone()
        if row is None or (row["deleted"] and not include_deleted):
            raise NotFound(f"エッジ {edge_id!r} はありません。")
        return Edge.model_validate_json(row["data"])

    def _check_ends(self, conn: sqlite3.Connection, edge: Edge) -> None:
        kinds = {}
        for end in (edge.source, edge.target):
            row = conn.execute("SELECT kind, deleted FROM nodes WHERE id = ?", (end,)).fetchone()
            if row is None or row["deleted"]:
                raise IntegrityError(f"エッジ {edge.id} の端 {end!r} のノードがありません。先にノードを作成してください。",
                                     missing=end)
            kinds[end] = row["kind"]
        allowed_src, allowed_tgt = EDGE_RULES[edge.kind]
        if kinds[edge.source] not in allowed_src or kinds[edge.target] not in allowed_tgt:
            raise IntegrityError(
                f"{edge.kind} は {kinds[edge.source]} → {kinds[edge.target]} には使えません"
                f"（始点: {sorted(allowed_src)}、終点: {sorted(allowed_tgt)}）。")

    def _put_edge(self, conn: sqlite3.Connection, edge: Edge, *, insert: bool) -> None:
        values = (edge.kind, edge.source, edge.target, int(edge.deleted), edge.version,
                  _iso(edge.updated_at), _dump(edge), edge.id)
        if insert:
            conn.execute("INSERT INTO edges(kind, source, target, deleted, version, updated_at, data, id)"
                         " VALUES (?,?,?,?,?,?,?,?)", values)
        else:
            conn.execute("UPDATE edges SET kind=?, source=?, target=?, deleted=?, version=?, updated_at=?, data=?"
                         " WHERE id=?", values)

    def create_edge(self, edge: Edge, *, actor: str | None = None) -> Edge:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM edges WHERE id = ?", (edge.id,)).fetchone():
                raise IntegrityError(f"エッジ id {edge.id!r} は既にあります。", id=edge.id)
            self._check_ends(conn, edge)
            t = now_utc()
            stored = edge.model_copy(update={"version": 1, "created_at": t, "updated_at": t, "deleted": False})
            self._put_edge(conn, stored, insert=True)
            self._log(conn, "create", "edge", stored.id, None, stored.public_dict(), actor)
            return stored

    def get_edge(self, edge_id: str, *, include_deleted: bool = False) -> Edge:
        return self._fetch_edge(self._conn, edge_id, include_deleted)

    def update_edge(self, edge_id: str, changes: dict[str, Any], *, expected_version: int | None = None,
                    actor: str | None = None) -> Edge:
        with self._write() as conn:
            current = self._fetch_edge(conn, edge_id, include_deleted=False)
            check_version(f"エッジ {edge_id}", current.version, expected_version)
            merged = apply_patch(current.public_dict(), changes, what=f"エッジ {edge_id}")
            edge = parse_edge(merged)
            self._check_ends(conn, edge)
            stored = edge.model_copy(update={"version": current.version + 1, "updated_at": now_utc(),
                                             "created_at": current.created_at})
            self._put_edge(conn, stored, insert=False)
            self._log(conn, "update", "edge", edge_id, current.public_dict(), stored.public_dict(), actor)
            return stored

    def _set_edge_deleted_in(self, conn: sqlite3.Connection, edge_id: str, deleted: bool,
                             expected_version: int | None, actor: str | None) -> Edge:
        current = self._fetch_edge(conn, edge_id, include_deleted=True)
        if current.deleted == deleted:
            raise (NotFound if deleted else IntegrityError)(
                f"エッジ {edge_id!r} は{'削除済み' if deleted else '削除されていません'}。")
        check_version(f"エッジ {edge_id}", current.version, expected_version)
        if not deleted:
            self._check_ends(conn, current)
        stored = current.model_copy(update={"deleted": deleted, "version": current.version + 1,
                                            "updated_at": now_utc()})
        self._put_edge(conn, stored, insert=False)
        self._log(conn, "delete" if deleted else "restore", "edge", edge_id,
                  current.public_dict(), stored.public_dict(), actor)
        return stored

    def delete_edge(self, edge_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Edge:
        with self._write() as conn:
            return self._set_edge_deleted_in(conn, edge_id, True, expected_version, actor)

    def restore_edge(self, edge_id: str, *, expected_version: int | None = None, actor: str | None = None) -> Edge:
        with self._write() as conn:
            return self._set_edge_deleted_in(conn, edge_id, False, expected_version, actor)

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
        return [Edge.model_validate_json(r["data"]) for r in self._conn.execute(sql, args).fetchall()]

    # -- bulk, log --------------------------------------------------------------------------
    def bulk_load(self, nodes: Iterable[Node], edges: Iterable[Edge], *, actor: str | None = None) -> int:
        """Create many nodes then edges in ONE transaction (all or nothing); returns the count written.

        Nodes go in with one ``executemany`` per table — each serialised once, for its row and its
        change-log entry — because imports of national open data write 100,000s of them; the
        primary key rejects a duplicate id. Edges are created one by one (ends and kinds checked).
        """
        with self._write() as conn:
            t = now_utc()
            at = t.isoformat()
            rev = self.revision()  # inside BEGIN IMMEDIATE: no other writer can take these numbers
            node_rows, cat_rows, log_rows = [], [], []
            for node in nodes:
                stored = node.model_copy(update={"version": 1, "created_at": t, "updated_at": t, "deleted": False})
                data = stored.model_dump_json()
                rev += 1
                node_rows.append((stored.kind, stored.city, stored.name, stored.lat, stored.lng, stored.area_id,
                                  1, at, data, stored.id))
                cat_rows.extend((c, stored.id) for c in stored.categories)
                log_rows.append((rev, at, actor, stored.id, data))
            try:
                conn.executemany("INSERT INTO nodes(kind, city, name, lat, lng, area_id, deleted, version, updated_at,"
                                 " data, id) VALUES (?,?,?,?,?,?,0,?,?,?,?)", node_rows)
            except sqlite3.IntegrityError:
                seen: set[str] = set()
                dup = None
                for row in node_rows:
                    if row[-1] in seen or conn.execute("SELECT 1 FROM nodes WHERE id = ?", (row[-1],)).fetchone():
                        dup = row[-1]
                        break
                    seen.add(row[-1])
                raise IntegrityError(f"ノード id {dup!r} は既にあります。", id=dup) from None
            conn.executemany("INSERT INTO node_categories(category, node_id) VALUES (?, ?)", cat_rows)
            conn.executemany("INSERT INTO changes(rev, at, actor, op, entity, entity_id, before, after)"
                             " VALUES (?, ?, ?, 'create', 'node', ?, NULL, ?)", log_rows)
            if self._listeners.active:
                self._local.pending.extend(
                    Change.model_construct(rev=r, at=t, actor=actor, op="create", entity="node", entity_id=i,
                                           before=None, after=json.loads(d)) for r, _, _, i, d in log_rows)
            n = len(node_rows)
            for edge in edges:
                self.create_edge(edge, actor=actor)
                n += 1
        return n

    def import_history(self, nodes: Iterable[Node], edges: Iterable[Edge], changes: Iterable[Change]) -> int:
        """Write a whole catalogue as it is — versions, timestamps, revisions — into this EMPTY store.

        Why: a migration keeps the change log (the audit trail) and every version, which
        ordinary writes would renumber. One transaction; listeners are told nothing (a copy is
        not a change). Returns the revision afterwards.
        """
        with self.batch():
            conn = self._conn
            for node in nodes:
                self._put_node(conn, node, insert=True)
            for edge in edges:
                self._put_edge(conn, edge, insert=True)
            conn.executemany(
                "INSERT INTO changes(rev, at, actor, op, entity, entity_id, before, after) VALUES (?,?,?,?,?,?,?,?)",
                [(c.rev, c.at.isoformat(), c.actor, c.op, c.entity, c.entity_id,
                  None if c.before is None else json.dumps(c.before, ensure_ascii=False),
                  None if c.after is None else json.dumps(c.after, ensure_ascii=False)) for c in changes])
        return self.revision()

    def revision(self) -> int:
        row = self._conn.execute("SELECT MAX(rev) FROM changes").fetchone()
        return int(row[0] or 0)

    def changes(self, since: int = 0, limit: int | None = None) -> list[Change]:
        sql = "SELECT * FROM changes WHERE rev > ? ORDER BY rev"
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
