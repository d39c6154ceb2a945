"""The few things that differ between Bolt servers, behind one small interface.

Why a dialect: the Bolt store speaks one portable core of Cypher (MATCH/MERGE/UNWIND/CALL
subqueries, labels, point()), but servers differ in a handful of places:

* **the distance function** — Neo4j 5 has ``point.distance(a, b)``, FalkorDB ``distance(a, b)``;
* **schema DDL** — Neo4j 5: ``CREATE CONSTRAINT/INDEX … IF NOT EXISTS`` (point index for the
  location); FalkorDB: ``CREATE INDEX FOR … ON …`` without ``IF NOT EXISTS`` (it fails when the
  index exists, so existing ones are read from ``CALL db.indexes()`` first) and no constraints;
* **parameters** — Neo4j receives Bolt parameters. FalkorDB's Bolt listener (4.16) turns them
  into text itself: floats are printed with six decimals (``%f``), strings are quoted without
  escaping (a ``'`` breaks the query) and the text goes through a fixed 4 KiB buffer. So for
  FalkorDB the parameters are rendered here, exactly (``repr`` floats, escaped strings), into
  FalkorDB's own ``CYPHER name=value …`` prefix;
* **closing connections** — FalkorDB frees a client on Bolt ``GOODBYE`` but leaves its socket
  registered in the event loop, so the next client that gets the same file descriptor hangs
  in the handshake. Its connections are therefore closed at the socket (no ``GOODBYE``);
* **message size** — FalkorDB measures the unread part of its Bolt input buffer in 16 bits
  (``uint16_t buffer_index_diff``); messages of several MB were reset or accepted depending
  on their length, not on a clear limit. Writes are therefore cut into messages of at most
  :attr:`Dialect.chunk_bytes` (60 kB), where that arithmetic is exact.

FalkorDB announces itself as ``Neo4j/5.13.0`` in its agent string; what tells it apart is
its connection id (a UUID where Neo4j sends ``bolt-<n>``). ``?dialect=`` in the store URL or
``$RESOURCEMAP_BOLT_DIALECT`` overrides the detection.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from ...errors import InputError, ValidationFailed

__all__ = [
    "DIALECTS",
    "NODE_INDEXES",
    "REL_INDEX_PROPERTY",
    "Dialect",
    "FalkorDBDialect",
    "Neo4jDialect",
    "cypher_literal",
    "detect_dialect",
]

#: (label, property) range indexes the store needs; ``Node.loc`` gets a point index on Neo4j.
NODE_INDEXES: tuple[tuple[str, str], ...] = (
    ("Node", "id"), ("Node", "loc"), ("Node", "lat"), ("Change", "rev"), ("Counter", "name"),
    ("StagedNode", "_txn"), ("StagedEdge", "_txn"), ("StagedChange", "_txn"), ("StagedCheck", "_txn"),
)
#: Every relationship type gets a range index on this property (edge ids are looked up by type).
REL_INDEX_PROPERTY = "id"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)

Run = Callable[[str, dict[str, Any]], list[dict[str, Any]]]


class Raw(str):
    """Cypher text already rendered (a chunk of rows): inserted as is by :func:`cypher_literal`."""

    nbytes: int = 0  # its size in UTF-8


def _raw_list(items: list[str], nbytes: int) -> Raw:
    raw = Raw("[" + ", ".join(items) + "]")
    raw.nbytes = nbytes
    return raw


def _string(s: str) -> str:
    if "\x00" in s:
        raise ValidationFailed("文字列に NUL 文字（\\x00）は使えません。取り除いてから保存してください。",
                               errors=[{"field": "(text)", "message": "NUL character"}])
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


@lru_cache(maxsize=4096)
def _map_key(key: str) -> str:
    """A map key as Cypher text: back-quoted unless a plain identifier (cached: rows repeat the same few keys)."""
    return key if _IDENT.match(key) else "`" + key.replace("`", "``") + "`"


def cypher_literal(value: Any) -> str:
    """A Cypher literal that reads back as exactly *value* (FalkorDB's parser).

    Floats use ``repr`` (shortest text that round-trips the double); strings escape only
    backslash and single quote (every other character, newlines included, is legal inside
    quotes); map keys that are not plain identifiers are back-quoted. The common types are
    dispatched on their exact type (a 100,000-node load renders millions of values; this was a
    fifth of its client time), subclasses (``Raw``, enums) by the checks after it.
    """
    render = _RENDER.get(type(value))
    if render is not None:
        return render(value)
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return _bool(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return _list(value)
    if isinstance(value, dict):
        return _map(value)
    raise TypeError(f"cannot write {type(value).__name__} to Cypher")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise InputError(f"数値 {value!r} は保存できません（有限の数だけ）。")
    return repr(value)


def _list(value: list[Any] | tuple[Any, ...]) -> str:
    return "[" + ", ".join([cypher_literal(v) for v in value]) + "]"


def _map(value: dict[Any, Any]) -> str:
    return "{" + ", ".join([_map_key(k) + ": " + cypher_literal(v) for k, v in value.items()]) + "}"


_RENDER: dict[type, Callable[[Any], str]] = {
    str: _string, type(None): lambda _: "null", bool: _bool, int: str, float: _float, list: _list, tuple: _list,
    dict: _map,
}


class Dialect:
    """Neo4j-compatible behaviour; :class:`FalkorDBDialect` overrides what FalkorDB does differently."""

    name = "neo4j"
    #: Rough upper bound of one write message (bytes of rendered rows).
    chunk_bytes = 8_000_000
    #: Rows per chunk when parameters travel as Bolt values.
    chunk_rows = 5_000

    def distance(self, a: str, b: str) -> str:
        return f"point.distance({a}, {b})"

    def prepare(self, query: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The (text, Bolt parameters) to send for a parameterised query."""
        return query, params

    def chunks(self, rows: list[dict[str, Any]]) -> Iterator[Any]:
        """Cut *rows* into parameter values small enough for one message each."""
        for i in range(0, len(rows), self.chunk_rows):
            yield rows[i:i + self.chunk_rows]

    def schema_statements(self, run: Run, rel_types: Iterable[str]) -> list[str]:
        """DDL that makes the indexes and constraints exist (idempotent on Neo4j 5)."""
        stmts = [
            "CREATE CONSTRAINT rm_node_id IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT rm_change_rev IF NOT EXISTS FOR (c:Change) REQUIRE c.rev IS UNIQUE",
            "CREATE CONSTRAINT rm_counter_name IF NOT EXISTS FOR (m:Counter) REQUIRE m.name IS UNIQUE",
            "CREATE POINT INDEX rm_node_loc IF NOT EXISTS FOR (n:Node) ON (n.loc)",
        ]
        covered = {("Node", "id"), ("Change", "rev"), ("Counter", "name"), ("Node", "loc")}
        for label, prop in NODE_INDEXES:
            if (label, prop) not in covered:
                stmts.append(f"CREATE INDEX rm_{label.lower()}_{prop.strip('_')} IF NOT EXISTS "
                             f"FOR (n:{label}) ON (n.{prop})")
        for t in rel_types:
            stmts.append(f"CREATE INDEX rm_rel_{t.lower()}_{REL_INDEX_PROPERTY} IF NOT EXISTS "
                         f"FOR ()-[e:{t}]-() ON (e.{REL_INDEX_PROPERTY})")
        return stmts

    def close(self, driver: Any) -> None:
        driver.close()


class Neo4jDialect(Dialect):
    pass


class FalkorDBDialect(Dialect):
    name = "falkordb"
    chunk_bytes = 60_000  # below 64 KiB: see "message size" in the module docstring

    def distance(self, a: str, b: str) -> str:
        return f"distance({a}, {b})"

    def prepare(self, query: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if not params:
            return query, {}
        prefix = " ".join(f"{k}={cypher_literal(v)}" for k, v in params.items())
        return f"CYPHER {prefix} {query}", {}

    def chunks(self, rows: list[dict[str, Any]]) -> Iterator[Any]:
        out: list[str] = []
        size = 0
        for row in rows:
            text = cypher_literal(row)
            n = len(text.encode()) + 2
            if out and size + n > self.chunk_bytes:
                yield _raw_list(out, size)
                out, size = [], 0
            out.append(text)
            size += n
        if out:
            yield _raw_list(out, size)

    def schema_statements(self, run: Run, rel_types: Iterable[str]) -> list[str]:
        have: set[tuple[str, str, str]] = set()
        for row in run("CALL db.indexes() YIELD label, properties, entitytype "
                       "RETURN label, properties, entitytype", {}):
            for prop in row["properties"]:
                have.add((str(row["entitytype"]).upper(), row["label"], prop))
        stmts = [f"CREATE INDEX FOR (n:{label}) ON (n.{prop})" for label, prop in NODE_INDEXES
                 if ("NODE", label, prop) not in have]
        stmts += [f"CREATE INDEX FOR ()-[e:{t}]-() ON (e.{REL_INDEX_PROPERTY})" for t in rel_types
                  if ("RELATIONSHIP", t, REL_INDEX_PROPERTY) not in have]
        return stmts

    def close(self, driver: Any) -> None:
        # Close sockets without Bolt GOODBYE: FalkorDB mishandles it (see the module docstring).
        pool = getattr(driver, "_pool", None)
        if pool is not None:
            with pool.lock:
                conns = [c for addr in list(pool.connections) for c in pool.connections.pop(addr, ())]
            for conn in conns:
                conn.kill()
        driver.close()


DIALECTS: dict[str, type[Dialect]] = {"neo4j": Neo4jDialect, "falkordb": FalkorDBDialect}


def detect_dialect(agent: str, connection_id: str | None, override: str | None = None) -> Dialect:
    """The dialect for a server: *override* if given, else from its agent string and connection id."""
    if override:
        try:
            return DIALECTS[override.lower()]()
        except KeyError:
            raise InputError(f"Bolt の方言 {override!r} は知りません: {', '.join(DIALECTS)} のどれかを指定してください。") from None
    if "falkordb" in agent.lower() or (connection_id is not None and _UUID.match(connection_id)):
        return FalkorDBDialect()
    return Neo4jDialect()
