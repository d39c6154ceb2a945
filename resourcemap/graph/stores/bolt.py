"""The graph-server store: the whole ``GraphStore`` contract over Bolt (Neo4j 5, Aura, FalkorDB).

Why: one municipality fits the embedded SQLite file; a prefecture-wide catalogue shared by
many departments and API replicas belongs in a graph server. Selected with
``RESOURCEMAP_STORE=bolt://host:7687`` (or ``neo4j://``, ``neo4j+s://`` for Aura); credentials
are arguments, which :func:`~resourcemap.graph.stores.open_store` fills from the settings
(``RESOURCEMAP_BOLT_USER`` / ``RESOURCEMAP_BOLT_PASSWORD``, :mod:`resourcemap.config`);
``?database=`` in the URL picks a Neo4j database and ``?dialect=neo4j|falkordb`` overrides
server detection (else the ``database`` / ``dialect`` arguments).

How a write works (see :mod:`.bolt_cypher`): every operation is *planned* in Python against
a unit of work (:class:`_UnitOfWork`) that reads the server once per entity, remembers the
versions it saw, applies exactly the SQLite store's rules (:mod:`.base`), and collects the
new states and change-log entries. ``commit`` stages them and sends one commit query that
re-checks the versions and applies everything or nothing. A single write outside a batch
whose read set moved underneath it is planned again (optimistic concurrency); a batch that
collides raises :class:`~resourcemap.errors.VersionConflict`. Spatial filters go to the
server (point index + bbox on the float ``lat``/``lng``) and are re-checked with haversine
in Python, because FalkorDB keeps points as 32-bit floats. Graph algorithms run in the read
model (networkx), not in the server.
"""
from __future__ import annotations

import atexit
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ...errors import (
    IntegrityError,
    ResourcemapError,
    StoreError,
    VersionConflict,
)
from ...geo.distance import EARTH_RADIUS_M, haversine_m
from ...model import Change, Edge, Node, now_utc
from . import base as rules
from . import bolt_cypher as cy
from .base import ExpectedVersion, Listener, Listeners, NodeKey, NodeQuery
from .bolt_codec import (
    KIND_LABEL,
    REL_TYPE,
    decode_change,
    decode_edge,
    decode_node,
    encode_change,
    encode_edge,
    encode_node,
)
from .bolt_dialect import Dialect, FalkorDBDialect, detect_dialect

__all__ = ["BoltStore"]

T = TypeVar("T")

#: How often a single write is planned again when its read set moved before it committed.
_MAX_ATTEMPTS = 30
#: Staging older than this (seconds) belongs to a dead client and is purged on open.
_STALE_S = 3600.0
#: Ids per read query when a bulk load looks up what already exists (keeps messages < 64 kB).
_LOOKUP_CHUNK = 1_000


class _Drivers:
    """One neo4j driver per server and credentials, shared by the BoltStores of a process.

    Why: a driver is a connection pool meant to be shared (the driver's own advice), and a
    catalogue opens stores often (CLI commands, API workers, tests). The driver is closed
    through its dialect when the last store using it closes (FalkorDB needs its sockets
    dropped without Bolt ``GOODBYE``), or at interpreter exit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple, list] = {}  # key -> [driver, users, dialect | None]
        atexit.register(self._drop_all)

    def acquire(self, key: tuple, make: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._open.get(key)
            if entry is None:
                entry = self._open[key] = [make(), 0, None]
            entry[1] += 1
            return entry[0]

    def dialect(self, key: tuple) -> Dialect | None:
        with self._lock:
            return self._open[key][2]

    def set_dialect(self, key: tuple, dialect: Dialect) -> None:
        with self._lock:
            self._open[key][2] = dialect

    def release(self, key: tuple) -> None:
        with self._lock:
            entry = self._open.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del self._open[key]
        (entry[2] or Dialect()).close(entry[0])

    def _drop_all(self) -> None:
        with self._lock:
            entries, self._open = list(self._open.values()), {}
        for driver, _, dialect in entries:
            try:
                (dialect or FalkorDBDialect()).close(driver)
            except Exception:
                pass


_DRIVERS = _Drivers()


class _Conflict(Exception):
    """The commit query found a version in the read set moved: nothing was written."""


@dataclass
class _UnitOfWork:
    """What one transaction read and wants to write, held in memory until commit.

    ``seen_*`` is the read set (server state at first read; ``None`` = absent), ``nodes`` and
    ``edges`` the final states to write, ``links`` the live edge ids seen at a node whose
    deletion cascades (a new edge there must abort the commit), ``log`` the change entries.
    """

    seen_nodes: dict[str, Node | None] = field(default_factory=dict)
    seen_edges: dict[str, Edge | None] = field(default_factory=dict)
    links: dict[str, set[str]] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    log: list[Change] = field(default_factory=list)


class _Tx:
    """One unit of work as the shared write rules see it (:class:`.base.WriteTx`)."""

    def __init__(self, store: BoltStore, uow: _UnitOfWork) -> None:
        self._s, self._uow = store, uow

    def node(self, node_id: str) -> Node | None:
        return self._s._node(self._uow, node_id)

    def edge(self, edge_id: str) -> Edge | None:
        return self._s._edge(self._uow, edge_id)

    def live_kind(self, node_id: str) -> str | None:
        node = self._s._node(self._uow, node_id)
        return None if node is None or node.deleted else node.kind

    def live_edges_at(self, node_id: str) -> list[str]:
        return [e.id for e in self._s._live_edges_of(self._uow, node_id)]

    def put_node(self, node: Node, *, new: bool) -> None:
        self._uow.nodes[node.id] = node

    def put_edge(self, edge: Edge, *, new: bool) -> None:
        self._uow.edges[edge.id] = edge

    def log(self, op: str, entity: str, entity_id: str, before: dict[str, Any] | None,
            after: dict[str, Any] | None, actor: str | None) -> None:
        self._uow.log.append(Change(rev=0, at=now_utc(), actor=actor, op=op, entity=entity,
                                    entity_id=entity_id, before=before, after=after))


def _within(near: tuple[float, float, float], lat: float | None, lng: float | None) -> bool:
    """Whether a point lies within a :class:`NodeQuery`'s ``near`` (lat, lng, metres): the exact test after the
    server's box with slack (a node without a point never does)."""
    return lat is not None and lng is not None and haversine_m(near[0], near[1], lat, lng) <= near[2]


class BoltStore:
    """:class:`~resourcemap.graph.stores.base.GraphStore` on a Bolt graph server.

    ``create`` is accepted so that ``open_store(url, create=…)`` works for every backend; a graph
    server always exists, and opening a store makes its indexes and revision counter.
    """

    def __init__(self, url: str, *, user: str | None = None, password: str | None = None,
                 database: str | None = None, dialect: str | None = None, create: bool = True,
                 connection_timeout_s: float = 10.0) -> None:
        import neo4j

        self.url = url
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._database = query.get("database") or database or None
        override = query.get("dialect") or dialect
        auth = (user, password or "") if user else None
        address = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        self._local = threading.local()
        self._listeners = Listeners()
        self._key = (address, auth, connection_timeout_s)

        def make() -> Any:
            return neo4j.GraphDatabase.driver(address, auth=auth, connection_timeout=connection_timeout_s,
                                              connection_acquisition_timeout=connection_timeout_s + 1.0)
        try:
            self._driver = _DRIVERS.acquire(self._key, make)
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise StoreError(f"Bolt の URL {address!r} が正しくありません: {exc}") from exc
        self._closed = False
        self.server_agent: str | None = None
        try:
            known = _DRIVERS.dialect(self._key)
            if known is None or override:
                server = self._session_call(lambda tx: tx.run("RETURN 1 AS one").consume().server, write=False)
                conn_id = getattr(server, "connection_id", None) or getattr(server, "_metadata", {}).get("connection_id")
                known = detect_dialect(server.agent or "", conn_id, override)
                self.server_agent = server.agent
                _DRIVERS.set_dialect(self._key, known)
        except neo4j.exceptions.AuthError as exc:
            self.close()
            raise StoreError(f"Bolt サーバー {address} に認証できません: RESOURCEMAP_BOLT_USER / "
                             f"RESOURCEMAP_BOLT_PASSWORD を確認してください ({exc.message})。") from exc
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
            self.close()
            raise StoreError(f"Bolt サーバー {address} に接続できません: {exc}。"
                             "サーバーが起動しているか、URL が正しいか確認してください。") from exc
        self.dialect: Dialect = known
        self._ensure_schema()

    # -- running Cypher ---------------------------------------------------------------------
    def _run(self, query: str, params: dict[str, Any] | None = None, *, write: bool = False) -> list[dict[str, Any]]:
        """Run one query in its own managed transaction; neo4j errors become :class:`StoreError`."""
        import neo4j

        text, bolt_params = self.dialect.prepare(query, params or {})
        try:
            return self._session_call(lambda tx: tx.run(text, bolt_params).data(), write=write)
        except neo4j.exceptions.Neo4jError as exc:
            raise StoreError(f"グラフサーバーがクエリを拒否しました: {exc.message or exc}") from exc
        except (neo4j.exceptions.DriverError, OSError) as exc:
            raise StoreError(f"グラフサーバーとの通信に失敗しました: {exc}") from exc

    def _session_call(self, work: Callable[[Any], T], *, write: bool) -> T:
        """Run *work(tx)* in a managed transaction (retried on transient errors and dropped connections).

        A session per call (cheap; sessions are not thread-safe). Not ``driver.execute_query``:
        with FalkorDB it waits ~40 ms per query on TCP acknowledgements, session transactions do not.
        """
        with self._driver.session(database=self._database) as session:
            return session.execute_write(work) if write else session.execute_read(work)

    def _ensure_schema(self) -> None:
        for stmt in self.dialect.schema_statements(lambda q, p: self._run(q, p), REL_TYPE.values()):
            self._run(stmt, write=True)
        self._run(cy.COUNTER_INIT, write=True)
        self._run(cy.PURGE_STALE, {"before": time.time() - _STALE_S}, write=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _DRIVERS.release(self._key)

    # -- listeners --------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    # -- server reads -----------------------------------------------------------------------
    def _by_ids(self, query: str, ids: Iterable[str], decode: Callable[[dict[str, Any]], T]) -> dict[str, T]:
        """Look *ids* up with *query* (``$ids``) in chunks of :data:`_LOOKUP_CHUNK`; absent ids are left out."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, T] = {}
        for i in range(0, len(ids), _LOOKUP_CHUNK):
            for row in self._run(query, {"ids": ids[i:i + _LOOKUP_CHUNK]}):
                found = decode(row)
                out[found.id] = found  # type: ignore[attr-defined]
        return out

    def _server_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        return self._by_ids(cy.NODE_BY_IDS, ids, lambda r: decode_node(r["p"]))

    def _server_edges(self, ids: Iterable[str]) -> dict[str, Edge]:
        return self._by_ids(cy.EDGES_BY_IDS, ids, lambda r: decode_edge(r["p"], r["s"], r["t"]))

    def _server_edges_of(self, node_id: str) -> list[Edge]:
        return [decode_edge(r["p"], r["s"], r["t"]) for r in self._run(cy.EDGES_OF_NODE, {"id": node_id})]

    # -- the unit of work: reads that remember what they saw --------------------------------
    @property
    def _uow(self) -> _UnitOfWork | None:
        return getattr(self._local, "uow", None)

    def _node(self, uow: _UnitOfWork, node_id: str) -> Node | None:
        if node_id in uow.nodes:
            return uow.nodes[node_id]
        if node_id not in uow.seen_nodes:
            uow.seen_nodes[node_id] = self._server_nodes([node_id]).get(node_id)
        return uow.seen_nodes[node_id]

    def _edge(self, uow: _UnitOfWork, edge_id: str) -> Edge | None:
        if edge_id in uow.edges:
            return uow.edges[edge_id]
        if edge_id not in uow.seen_edges:
            uow.seen_edges[edge_id] = self._server_edges([edge_id]).get(edge_id)
        return uow.seen_edges[edge_id]

    def _prefetch(self, uow: _UnitOfWork, node_ids: Iterable[str], edge_ids: Iterable[str]) -> None:
        """Read many entities in a few queries (bulk loads), recording absences too."""
        want_n = [i for i in dict.fromkeys(node_ids) if i not in uow.seen_nodes and i not in uow.nodes]
        found_n = self._server_nodes(want_n)
        for i in want_n:
            uow.seen_nodes[i] = found_n.get(i)
        want_e = [i for i in dict.fromkeys(edge_ids) if i not in uow.seen_edges and i not in uow.edges]
        found_e = self._server_edges(want_e)
        for i in want_e:
            uow.seen_edges[i] = found_e.get(i)

    def _live_edges_of(self, uow: _UnitOfWork, node_id: str) -> list[Edge]:
        """Live edges at a node as this transaction sees them; the server's set is guarded at commit."""
        server = self._server_edges_of(node_id)
        seen = uow.links.setdefault(node_id, set())
        for e in server:
            uow.seen_edges.setdefault(e.id, e)
            if not e.deleted:
                seen.add(e.id)
        ids = sorted({e.id for e in server} | {e.id for e in uow.edges.values()
                                                if node_id in (e.source, e.target)})
        edges = [self._edge(uow, i) for i in ids]
        return [e for e in edges if e is not None and not e.deleted and node_id in (e.source, e.target)]

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """All writes inside commit together, or none do (the first error discards all)."""
        if self._uow is not None:
            yield  # nested: the outer batch owns the transaction
            return
        self._local.uow = _UnitOfWork()
        try:
            yield
            uow = self._local.uow
        finally:
            self._local.uow = None
        try:
            changes = self._commit(uow)
        except _Conflict:
            raise VersionConflict("一括更新の途中で、同じデータが他の更新で変わりました。"
                                  "最新を読み直してから一括更新をやり直してください。") from None
        self._listeners.notify(changes)

    def _write(self, plan: Callable[[_UnitOfWork], T]) -> T:
        """Plan one operation; outside a batch, commit it now (planning again after a collision)."""
        uow = self._uow
        if uow is not None:
            return plan(uow)
        for attempt in range(_MAX_ATTEMPTS):
            uow = _UnitOfWork()
            result = plan(uow)
            try:
                changes = self._commit(uow)
            except _Conflict:
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            self._listeners.notify(changes)
            return result
        raise StoreError("書き込みが他の更新と競合し続けました。しばらくしてからやり直してください。")

    def _commit(self, uow: _UnitOfWork, *, base: int = -1) -> list[Change]:
        """Stage the unit of work and apply it with one commit query; returns the numbered changes.

        ``base=0`` is :meth:`import_history`: the counter must be at 0 and the entries keep their revisions.
        """
        if not (uow.log or uow.nodes or uow.edges):
            return []
        txn = uuid.uuid4().hex
        at = time.time()
        checks: list[dict[str, Any]] = []
        for i, n in uow.seen_nodes.items():
            checks.append({"entity": "node", "id": i, "v": n.version if n else 0})
        for i, e in uow.seen_edges.items():
            checks.append({"entity": "edge", "id": i, "v": e.version if e else 0})
        for i, ids in uow.links.items():
            checks.append({"entity": "edges_of", "id": i, "ids": sorted(ids)})
        # an entity's last entry has its new state's image (the rules log what they put), except in an import
        images = {} if base == 0 else {(ch.entity, ch.entity_id): ch.after for ch in uow.log}
        staged = {
            "StagedNode": [encode_node(n, images.get(("node", i))) for i, n in uow.nodes.items()],
            "StagedEdge": [encode_edge(e, images.get(("edge", i))) for i, e in uow.edges.items()],
            # an import keeps its revisions and images; ordinary entries are numbered from the counter at
            # commit, and a create refers to its entity's first version instead of repeating it (_created_images)
            "StagedChange": [encode_change(ch.rev, ch) if base == 0 else encode_change(k + 1, ch, after=ch.op != "create")
                             for k, ch in enumerate(uow.log)],
            "StagedCheck": checks,
        }
        chunks = {label: list(self.dialect.chunks(rows)) for label, rows in staged.items() if rows}
        node_kinds, edge_kinds = {n.kind for n in uow.nodes.values()}, {e.kind for e in uow.edges.values()}
        params: dict[str, Any] = {"txn": txn, "at": at, "n": len(uow.log), "base": base}
        try:
            total = sum(getattr(c[0], "nbytes", 0) for c in chunks.values())
            if all(len(c) == 1 for c in chunks.values()) and total <= self.dialect.chunk_bytes:  # one round trip
                params.update({f"rows_{label}": c[0] for label, c in chunks.items()})
                rows = self._run(cy.stage_and_commit_query(chunks, node_kinds, edge_kinds), params, write=True)
            else:
                for label, parts in chunks.items():
                    for chunk in parts:
                        self._run(cy.stage_query(label), {"rows": chunk, "txn": txn, "at": at}, write=True)
                rows = self._run(cy.commit_query(node_kinds, edge_kinds), params, write=True)
        except ResourcemapError:
            self._discard(txn)
            raise
        if not rows or not rows[0]["ok"]:
            raise _Conflict(rows[0] if rows else None)
        if base == 0:
            return list(uow.log)
        first = int(rows[0]["base"])
        for k, ch in enumerate(uow.log):  # the unit of work's own entries, discarded after this commit
            ch.rev = first + k + 1
        return uow.log

    def _discard(self, txn: str) -> None:
        try:
            for label in cy.STAGED_LABELS:
                self._run(f"MATCH (s:{label} {{_txn: $txn}}) DELETE s", {"txn": txn}, write=True)
        except StoreError:
            pass  # purged as stale on a later open

    # -- nodes ------------------------------------------------------------------------------
    def create_node(self, node: Node, *, actor: str | None = None) -> Node:
        return self._write(lambda uow: rules.create_node(_Tx(self, uow), node, actor))

    def get_node(self, node_id: str, *, include_deleted: bool = False) -> Node:
        uow = self._uow
        node = self._node(uow, node_id) if uow is not None else self._server_nodes([node_id]).get(node_id)
        return rules.visible(node, "ノード", node_id, include_deleted=include_deleted)

    def update_node(self, node: Node, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node:
        return self._write(lambda uow: rules.update_node(_Tx(self, uow), node, expected_version, actor))

    def delete_node(self, node_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node:
        return self._write(lambda uow: rules.set_node_deleted(_Tx(self, uow), node_id, True, expected_version, actor))

    def restore_node(self, node_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Node:
        return self._write(lambda uow: rules.set_node_deleted(_Tx(self, uow), node_id, False, expected_version, actor))

    def query_nodes(self, query: NodeQuery = NodeQuery()) -> list[Node]:
        cypher, params = self._node_query_cypher(query)
        found = [decode_node(r["p"]) for r in self._run(cypher, params)]
        uow = self._uow
        if uow is not None and uow.nodes:  # this thread's batch sees its own writes
            found = [n for n in found if n.id not in uow.nodes]
            found += [n for n in uow.nodes.values() if _node_matches(n, query)]
            found.sort(key=lambda n: n.id)
        out = []
        for n in found:
            if query.near is not None and not _within(query.near, n.lat, n.lng):
                continue
            out.append(n)
            if query.limit is not None and len(out) >= query.limit:
                break
        return out

    def query_public_nodes(self, query: NodeQuery = NodeQuery()) -> list[dict[str, Any]]:
        return [n.public_dict() for n in self.query_nodes(query)]

    def query_node_versions(self, query: NodeQuery = NodeQuery()) -> list[tuple[str, int]]:
        if self._uow is not None:  # this thread's batch sees its own writes: the nodes, merged
            return [(n.id, n.version) for n in self.query_nodes(query)]
        cypher, params = self._node_query_cypher(query, returns="n.id AS id, n.version AS version, n.lat AS lat, "
                                                                "n.lng AS lng")
        rows = self._run(cypher, params)
        if query.near is not None:
            rows = [r for r in rows if _within(query.near, r["lat"], r["lng"])][:query.limit]
        return [(r["id"], int(r["version"])) for r in rows]

    def get_public_nodes(self, node_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {node_id: n.public_dict() for node_id, n in self.get_nodes(node_ids).items()}

    def _node_query_cypher(self, query: NodeQuery, returns: str = "properties(n) AS p") -> tuple[str, dict[str, Any]]:
        """Cypher for a NodeQuery (rows of *returns*); the radius goes to the server with slack, exactness is
        Python's."""
        label = f":{KIND_LABEL[query.kind]}" if query.kind in KIND_LABEL else ""
        where: list[str] = []
        params: dict[str, Any] = {}
        if query.kind is not None and not label:
            where.append("n.kind = $kind")
            params["kind"] = query.kind
        if not query.include_deleted:
            where.append("n.deleted = false")
        for name, val in (("city", query.city), ("area_id", query.area_id)):
            if val is not None:
                where.append(f"n.{name} = ${name}")
                params[name] = val
        if query.category is not None:
            where.append("$category IN n.categories")
            params["category"] = query.category
        if query.bbox is not None:
            a, b, c, d = (float(x) for x in query.bbox)
            where.append("n.lat >= $bb_a AND n.lat <= $bb_c AND n.lng >= $bb_b AND n.lng <= $bb_d")
            params.update(bb_a=a, bb_b=b, bb_c=c, bb_d=d)
        if query.near is not None:
            lat, lng, radius = (float(x) for x in query.near)
            # 32-bit points and the server's own earth radius: widen, then haversine decides
            slack = radius * 1.01 + 25.0
            dlat = math.degrees(slack / EARTH_RADIUS_M)
            dlng = dlat / max(math.cos(math.radians(min(89.0, abs(lat) + dlat))), 1e-6)
            where.append(self.dialect.distance("n.loc", "point({latitude: $c_lat, longitude: $c_lng})")
                         + " <= $c_r")
            where.append("n.lat >= $n_a AND n.lat <= $n_c AND n.lng >= $n_b AND n.lng <= $n_d")
            params.update(c_lat=lat, c_lng=lng, c_r=slack, n_a=lat - dlat, n_b=lng - dlng, n_c=lat + dlat,
                          n_d=lng + dlng)
        if query.after is not None:
            where.append("n.id > $after")
            params["after"] = query.after
        cypher = f"MATCH (n:Node{label})" + (" WHERE " + " AND ".join(where) if where else "")
        cypher += f" RETURN {returns} ORDER BY n.id"
        if query.limit is not None and query.near is None and self._uow is None:
            cypher += f" LIMIT {int(query.limit)}"
        return cypher, params

    def count_nodes(self, *, include_deleted: bool = False) -> int:
        cypher = "MATCH (n:Node)" + ("" if include_deleted else " WHERE n.deleted = false") + " RETURN count(n) AS c"
        return int(self._run(cypher)[0]["c"])

    def node_keys(self, cities: Collection[str] | None = None) -> list[NodeKey]:
        rows = self._run(cy.NODE_KEYS) if cities is None else self._run(cy.NODE_KEYS_IN, {"cities": list(cities)})
        found = {r["id"]: NodeKey(r["id"], r["kind"], r["city"], r["name"], r["address"], bool(r["deleted"]))
                 for r in rows}
        uow = self._uow
        if uow is not None:  # this thread's batch sees its own writes
            found.update((n.id, NodeKey(n.id, n.kind, n.city, n.name, n.address, n.deleted))
                         for n in uow.nodes.values() if cities is None or n.city in cities)
        return [found[i] for i in sorted(found)]

    def get_nodes(self, node_ids: Iterable[str]) -> dict[str, Node]:
        uow = self._uow
        if uow is None:
            return self._server_nodes(node_ids)
        ids = list(dict.fromkeys(node_ids))
        self._prefetch(uow, ids, [])
        found = {i: self._node(uow, i) for i in ids}
        return {i: n for i, n in found.items() if n is not None}

    # -- edges ------------------------------------------------------------------------------
    def create_edge(self, edge: Edge, *, actor: str | None = None) -> Edge:
        return self._write(lambda uow: rules.create_edge(_Tx(self, uow), edge, actor))

    def get_edge(self, edge_id: str, *, include_deleted: bool = False) -> Edge:
        uow = self._uow
        edge = self._edge(uow, edge_id) if uow is not None else self._server_edges([edge_id]).get(edge_id)
        return rules.visible(edge, "エッジ", edge_id, include_deleted=include_deleted)

    def update_edge(self, edge: Edge, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge:
        return self._write(lambda uow: rules.update_edge(_Tx(self, uow), edge, expected_version, actor))

    def delete_edge(self, edge_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge:
        return self._write(lambda uow: rules.set_edge_deleted(_Tx(self, uow), edge_id, True, expected_version, actor))

    def restore_edge(self, edge_id: str, *, expected_version: ExpectedVersion = None, actor: str | None = None) -> Edge:
        return self._write(lambda uow: rules.set_edge_deleted(_Tx(self, uow), edge_id, False, expected_version, actor))

    def query_edges(self, *, kind: str | None = None, source: str | None = None, target: str | None = None,
                    include_deleted: bool = False) -> list[Edge]:
        rel = f":{REL_TYPE[kind]}" if kind in REL_TYPE else ""
        if kind is not None and not rel:
            return []
        params: dict[str, Any] = {}
        a = "(a:Node {id: $source})" if source is not None else "(a:Node)"
        b = "(b:Node {id: $target})" if target is not None else "(b:Node)"
        for name, val in (("source", source), ("target", target)):
            if val is not None:
                params[name] = val
        cypher = f"MATCH {a}-[e{rel}]->{b}"
        if not include_deleted:
            cypher += " WHERE e.deleted = false"
        cypher += " RETURN properties(e) AS p, a.id AS s, b.id AS t ORDER BY e.id"
        found = [decode_edge(r["p"], r["s"], r["t"]) for r in self._run(cypher, params)]
        uow = self._uow
        if uow is not None and uow.edges:
            found = [e for e in found if e.id not in uow.edges]
            found += [e for e in uow.edges.values()
                      if (kind is None or e.kind == kind) and (source is None or e.source == source)
                      and (target is None or e.target == target) and (include_deleted or not e.deleted)]
            found.sort(key=lambda e: e.id)
        return found

    # -- bulk, log --------------------------------------------------------------------------
    def bulk_load(self, nodes: Iterable[Node], edges: Iterable[Edge], *, actor: str | None = None) -> int:
        """Create many nodes then edges in ONE transaction (all or nothing); returns the count written."""
        nodes, edges = list(nodes), list(edges)
        with self.batch():
            uow = self._uow
            assert uow is not None
            self._prefetch(uow, [n.id for n in nodes] + [x for e in edges for x in (e.source, e.target)],
                           [e.id for e in edges])
            for node in nodes:
                self.create_node(node, actor=actor)
            for edge in edges:
                self.create_edge(edge, actor=actor)
        return len(nodes) + len(edges)

    def import_history(self, nodes: Iterable[Node], edges: Iterable[Edge], changes: Iterable[Change]) -> int:
        """Write a whole catalogue as it is — versions, timestamps, revisions 1…n — into an EMPTY store.

        Why: a migration must keep the change log (the audit trail) and every version, which
        ordinary writes would renumber. Atomic like a batch; listeners are told nothing (a
        copy is not a change). Returns the revision the store is at afterwards.
        """
        changes = sorted(changes, key=lambda c: c.rev)
        uow = _UnitOfWork(nodes={n.id: n for n in nodes}, edges={e.id: e for e in edges}, log=changes)
        for e in uow.edges.values():
            if e.source not in uow.nodes or e.target not in uow.nodes:
                raise IntegrityError(f"エッジ {e.id} の端のノードが移行元にありません。")
        uow.seen_nodes = dict.fromkeys(uow.nodes)
        uow.seen_edges = dict.fromkeys(uow.edges)
        try:
            self._commit(uow, base=0)
        except _Conflict:  # the commit requires the revision counter at 0 and every id absent
            raise IntegrityError(f"移行先 {self.url} は空ではありません。空のストアを指定してください。") from None
        return len(changes)

    def clear(self) -> None:
        """Delete the whole catalogue — nodes, edges, change log — and start revisions again at 0.

        For ``resourcemap init --force`` and tests; one query, so it is all or nothing. Read
        models following this store must be rebuilt afterwards.
        """
        self._run(cy.CLEAR, write=True)

    def revision(self) -> int:
        rows = self._run(cy.REVISION)
        return int(rows[0]["rev"]) if rows else 0

    def changes(self, since: int = 0, limit: int | None = None) -> list[Change]:
        cypher = cy.CHANGES + (f" LIMIT {int(limit)}" if limit is not None else "")
        entries = [decode_change(r["p"]) for r in self._run(cypher, {"since": int(since)})]
        self._created_images([c for c in entries if c.op == "create" and c.after is None])
        return entries

    def _created_images(self, creates: list[Change]) -> None:
        """Fill in the after images of *creates*, which the store writes by reference (see :meth:`_commit`).

        Why by reference: a created entity's image is its first version, so writing it into the log
        too was most of what a load staged and stored (at 10,000 nodes 12.6 MB of change entries
        next to 4.7 MB of nodes). The image is the entity's state while it is at version 1, else the ``before`` of
        its next change (every later change logs the state it replaced). No lock is needed: a state
        read at version 1 is the first version, and a later version is only seen once the change
        that made it, with its ``before``, is committed.
        """
        if not creates:
            return
        states: dict[tuple[str, str], Node | Edge] = {}
        for entity, read in (("node", self._server_nodes), ("edge", self._server_edges)):
            found = read(c.entity_id for c in creates if c.entity == entity)
            states.update(((entity, i), x) for i, x in found.items())
        changed = [c for c in creates if (c.entity, c.entity_id) not in states
                   or states[(c.entity, c.entity_id)].version != 1]
        befores: dict[tuple[str, str], dict[str, Any]] = {}
        ids = sorted({c.entity_id for c in changed})
        for i in range(0, len(ids), _LOOKUP_CHUNK):
            rows = self._run(cy.LATER_BEFORES, {"since": min(c.rev for c in changed),
                                                "ids": ids[i:i + _LOOKUP_CHUNK]})
            for row in rows:  # ordered by revision: the first one of an entity is its next change
                befores.setdefault((row["entity"], row["entity_id"]), json.loads(row["before"]))
        for c in creates:
            key = (c.entity, c.entity_id)
            c.after = befores[key] if key in befores else states[key].public_dict() if key in states else None


def _node_matches(n: Node, q: NodeQuery) -> bool:
    """The server-side filter of :meth:`BoltStore._node_query_cypher`, for a batch's own unwritten nodes."""
    if (not q.include_deleted and n.deleted) or (q.kind is not None and n.kind != q.kind):
        return False
    if (q.city is not None and n.city != q.city) or (q.area_id is not None and n.area_id != q.area_id):
        return False
    if q.category is not None and q.category not in n.categories:
        return False
    if q.after is not None and n.id <= q.after:
        return False
    if q.bbox is not None:
        a, b, c, d = q.bbox
        if not n.located or not (a <= n.lat <= c and b <= n.lng <= d):  # type: ignore[operator]
            return False
    return q.near is None or n.located
