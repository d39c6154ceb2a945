"""The Cypher the Bolt store sends: reads, staging and the one-query commit.

Why a commit protocol instead of Bolt transactions: FalkorDB acknowledges Bolt ``BEGIN``,
``COMMIT`` and ``ROLLBACK`` but does nothing with them — every query commits on its own — and
it resets messages over about 5 MB. What it does guarantee is that one query runs alone
(writes to a graph are serialised) and as a whole. So a write (or a whole ``batch()``) is:

1. **staged**: its new node and edge states, its change-log entries and the versions it read
   (its read set) are created as ``:StagedNode``/``:StagedEdge``/``:StagedChange``/
   ``:StagedCheck`` nodes tagged with a transaction id — in as many chunks as needed; nothing
   staged is visible to readers, who only look at ``:Node``, typed relationships and ``:Change``;
2. **committed by one query** (:func:`commit_query`): it re-reads every version in the read
   set, and only if none moved, copies staged nodes onto the existing ones or into new
   ``:Node``s, replaces relationships, copies the change-log entries numbered from the revision
   counter and moves the counter; in every case it deletes the staging. (Copies, not label
   changes: FalkorDB relabels nodes in time quadratic in their number.) The checks and the
   writes happen inside that single query, so version checks are race-free.

Committed entities keep ``_txn``/``_at`` (the transaction that last wrote them and when; relationships
also keep ``source``/``target``, rewritten whenever the relationship is): FalkorDB 4.16 corrupts
properties when several are removed (``REMOVE r.a, r.b`` or ``SET r.a = null, r.b = null``
drops or shuffles the wrong ones), so nothing here removes a property — a whole state is
always written with ``SET x = properties(staged)``, which FalkorDB gets right. Readers ignore
properties starting with ``_``.

On Neo4j the same queries run in ordinary managed transactions.
"""
from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from .bolt_codec import KIND_LABEL, REL_TYPE

__all__ = [
    "CHANGES",
    "CLEAR",
    "COUNTER_INIT",
    "EDGES_BY_IDS",
    "EDGES_OF_NODE",
    "LATER_BEFORES",
    "NODE_BY_IDS",
    "NODE_KEYS",
    "NODE_KEYS_IN",
    "PURGE_STALE",
    "REVISION",
    "STAGED_LABELS",
    "commit_query",
    "stage_and_commit_query",
    "stage_query",
]

# FalkorDB evaluates point() even in the branch not taken, so it never sees a null coordinate
_POINT = ("CASE WHEN row.lat IS NULL THEN null "
          "ELSE point({latitude: coalesce(row.lat, 0.0), longitude: coalesce(row.lng, 0.0)}) END")

#: Staging clauses by staged label; ``$ROWS`` stands for the parameter holding one chunk of rows.
_STAGE: dict[str, str] = {
    "StagedNode": f"UNWIND $ROWS AS row CREATE (s:StagedNode) SET s = row, s._txn = $txn, s._at = $at, "
                  f"s.loc = {_POINT}",
    "StagedEdge": "UNWIND $ROWS AS row CREATE (s:StagedEdge) SET s = row, s._txn = $txn, s._at = $at",
    "StagedChange": "UNWIND $ROWS AS row CREATE (s:StagedChange) SET s = row, s._txn = $txn, s._at = $at",
    "StagedCheck": "UNWIND $ROWS AS row CREATE (s:StagedCheck) SET s = row, s._txn = $txn, s._at = $at",
}
STAGED_LABELS = tuple(_STAGE)


def stage_query(label: str) -> str:
    """Stage one chunk (``$rows``) of *label* rows for transaction ``$txn``."""
    return _STAGE[label].replace("$ROWS", "$rows")


def stage_and_commit_query(labels: Iterable[str], node_kinds: AbstractSet[str], edge_kinds: AbstractSet[str]) -> str:
    """Staging and commit in ONE query, for a unit of work small enough (rows in ``$rows_<Label>``)."""
    calls = [f"CALL {{ {_STAGE[label].replace('$ROWS', '$rows_' + label)} }}" for label in labels]
    return "\n".join(calls) + "\nWITH count(*) AS _staged\n" + commit_query(node_kinds, edge_kinds)


NODE_BY_IDS = "UNWIND $ids AS id MATCH (n:Node {id: id}) RETURN properties(n) AS p"
#: What an import plans against (:class:`.base.NodeKey`): a few properties of every node, no image.
_KEYS = "RETURN n.id AS id, n.kind AS kind, n.city AS city, n.name AS name, n.address AS address, n.deleted AS deleted"
NODE_KEYS = f"MATCH (n:Node) {_KEYS}"
#: The same, of the nodes in the municipalities ``$cities``.
NODE_KEYS_IN = f"MATCH (n:Node) WHERE n.city IN $cities {_KEYS}"
#: Edge ids are indexed per relationship type, so a lookup by id asks every type.
EDGES_BY_IDS = " UNION ALL ".join(
    f"UNWIND $ids AS id MATCH (a:Node)-[e:{t} {{id: id}}]->(b:Node) RETURN properties(e) AS p, a.id AS s, b.id AS t"
    for t in REL_TYPE.values())
EDGES_OF_NODE = ("MATCH (n:Node {id: $id})-[e]-(:Node) "
                 "RETURN properties(e) AS p, startNode(e).id AS s, endNode(e).id AS t")
COUNTER_INIT = "MERGE (m:Counter {name: 'revision'}) ON CREATE SET m.rev = 0 RETURN m.rev AS rev"
REVISION = "MATCH (m:Counter {name: 'revision'}) RETURN m.rev AS rev"
CHANGES = "MATCH (c:Change) WHERE c.rev > $since RETURN properties(c) AS p ORDER BY c.rev"
#: The ``before`` images of the changes after ``$since`` to the entities ``$ids`` (a create's image by reference).
LATER_BEFORES = ("MATCH (c:Change) WHERE c.rev > $since AND c.entity_id IN $ids AND c.op <> 'create' "
                 "RETURN c.entity AS entity, c.entity_id AS entity_id, c.before AS before ORDER BY c.rev")
#: Everything the store wrote (``clear()``); the counter goes back to 0.
CLEAR = ("CALL { MATCH (n) WHERE n:Node OR n:Change OR n:StagedNode OR n:StagedEdge OR n:StagedChange "
         "OR n:StagedCheck DETACH DELETE n } "
         "MATCH (m:Counter {name: 'revision'}) SET m.rev = 0")
#: Staging left behind by a client that died between staging and commit.
PURGE_STALE = ("MATCH (s) WHERE (s:StagedNode OR s:StagedEdge OR s:StagedChange OR s:StagedCheck) "
               "AND s._at < $before DELETE s")


def _gated(body: str, *imports: str) -> str:
    """A unit subquery that runs *body* only when the checks passed (``ok``)."""
    names = ", ".join(("ok", *imports))
    return f"CALL {{ WITH {names} WITH {names} WHERE ok {body} }}"


def commit_query(node_kinds: AbstractSet[str], edge_kinds: AbstractSet[str]) -> str:
    """The single query that validates and applies a staged transaction.

    Parameters: ``$txn`` (the transaction id), ``$n`` (how many change-log entries were
    staged) and ``$base`` (the revision the counter must show, or -1 for any). Returns one
    row: ``ok``, ``base`` (the counter before), and the failed-check counts.
    """
    types = list(REL_TYPE.values())
    edge_matches = " ".join(f"OPTIONAL MATCH ()-[e{i}:{t} {{id: k.id}}]->()" for i, t in enumerate(types))
    edge_version = "coalesce(" + ", ".join(f"e{i}.version" for i in range(len(types))) + ", 0)"
    parts = [
        "MATCH (m:Counter {name: 'revision'})",
        ("CALL { MATCH (k:StagedCheck {_txn: $txn}) WHERE k.entity = 'node' "
         "OPTIONAL MATCH (n:Node {id: k.id}) "
         "RETURN count(CASE WHEN coalesce(n.version, 0) <> k.v THEN 1 END) AS bad_nodes }"),
        (f"CALL {{ MATCH (k:StagedCheck {{_txn: $txn}}) WHERE k.entity = 'edge' {edge_matches} "
         f"RETURN count(CASE WHEN {edge_version} <> k.v THEN 1 END) AS bad_edges }}"),
        ("CALL { MATCH (k:StagedCheck {_txn: $txn}) WHERE k.entity = 'edges_of' "
         "MATCH (n:Node {id: k.id})-[e]-(:Node) WHERE e.deleted = false AND NOT e.id IN k.ids "
         "RETURN count(e) AS bad_links }"),
        "CALL { MATCH (c:StagedChange {_txn: $txn}) RETURN count(c) AS staged }",
        ("WITH m, bad_nodes, bad_edges, bad_links, staged, "
         "(bad_nodes + bad_edges + bad_links = 0 AND staged = $n AND ($base < 0 OR m.rev = $base)) AS ok"),
        # existing nodes take the staged state; the staged copy goes
        _gated("MATCH (s:StagedNode {_txn: $txn}) MATCH (n:Node {id: s.id}) "
               "SET n = properties(s) DELETE s"),
    ]
    # the remaining staged nodes are new: copied into new nodes (FalkorDB relabels in quadratic time)
    for kind in sorted(node_kinds):
        parts.append(_gated(f"MATCH (s:StagedNode {{_txn: $txn}}) WHERE s.kind = '{kind}' "
                            f"CREATE (n:Node:{KIND_LABEL[kind]}) SET n = properties(s)"))
    for kind in sorted(edge_kinds):
        t = REL_TYPE[kind]
        parts.append(_gated(f"MATCH (s:StagedEdge {{_txn: $txn}}) WHERE s.kind = '{kind}' "
                            f"MATCH ()-[old:{t} {{id: s.id}}]->() DELETE old"))
        parts.append(_gated(f"MATCH (s:StagedEdge {{_txn: $txn}}) WHERE s.kind = '{kind}' "
                            f"MATCH (a:Node {{id: s.source}}) MATCH (b:Node {{id: s.target}}) "
                            f"CREATE (a)-[r:{t}]->(b) SET r = properties(s)"))
    parts += [
        _gated("MATCH (c:StagedChange {_txn: $txn}) CREATE (x:Change) SET x = properties(c), x.rev = m.rev + c._seq",
               "m"),
        "CALL { MATCH (s:StagedNode {_txn: $txn}) DELETE s }",
        "CALL { MATCH (s:StagedEdge {_txn: $txn}) DELETE s }",
        "CALL { MATCH (s:StagedChange {_txn: $txn}) DELETE s }",
        "CALL { MATCH (s:StagedCheck {_txn: $txn}) DELETE s }",
        "WITH m, ok, bad_nodes, bad_edges, bad_links, staged, m.rev AS base",
        "SET m.rev = CASE WHEN ok THEN m.rev + $n ELSE m.rev END",
        "RETURN ok, base, bad_nodes, bad_edges, bad_links, staged",
    ]
    return "\n".join(parts)
