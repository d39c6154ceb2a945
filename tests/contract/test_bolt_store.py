"""What only the Bolt store has: optimistic batches, the commit protocol's staging, the dialects.

The shared contract is in test_store_contract*.py; here are the Bolt store's own guarantees,
against the real FalkorDB server of tests/contract/bolt_server.py.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resourcemap.errors import InputError, ValidationFailed, VersionConflict
from resourcemap.graph.stores.bolt_dialect import (
    FalkorDBDialect,
    Neo4jDialect,
    cypher_literal,
    detect_dialect,
)
from resourcemap.model import Edge, stored_node

from .bolt_server import bolt_url, wipe
from .test_store_contract import agency, place, update

pytestmark = pytest.mark.bolt


@pytest.fixture
def bolt(request):
    from resourcemap.graph.stores.bolt import BoltStore

    url = bolt_url(request)
    wipe()
    stores = [BoltStore(url), BoltStore(url)]
    yield stores
    for s in stores:
        s.close()


def _staged(store) -> int:
    return store._run("MATCH (s) WHERE s:StagedNode OR s:StagedEdge OR s:StagedChange OR s:StagedCheck "
                      "RETURN count(s) AS c")[0]["c"]


@pytest.mark.parametrize("size", [3, 400])  # one commit message, and many staged chunks
def test_batch_that_read_a_node_changed_by_another_writer_commits_nothing(bolt, size):
    mine, other = bolt
    mine.create_node(agency("a1"))
    rev = mine.revision()
    big = "説明" * 1500
    with pytest.raises(VersionConflict), mine.batch():
        seen = mine.get_node("a1")
        for i in range(size):
            mine.create_node(place(f"p{i}", i, description=big))
            mine.create_edge(Edge(id=f"e{i}", kind="operates", source="a1", target=f"p{i}"))
        update(other, "a1", {"name": "別の人の変更"}, expected_version=seen.version)
    assert other.revision() == rev + 1
    assert other.count_nodes() == 1 and other.query_edges() == []
    assert other.get_node("a1").name == "別の人の変更"
    assert _staged(other) == 0


@pytest.mark.parametrize(("moved", "commits"), [("a1", 2), ("a2", 1)])
def test_single_write_is_planned_again_only_when_its_read_set_moved(bolt, monkeypatch, moved, commits):
    """Another writer commits between planning and commit: an end of the edge (``a1``, in the
    read set) makes the first commit fail and the write be planned again; an unrelated node
    (``a2``) only moves the revision counter, and the first commit goes through."""
    mine, other = bolt
    for node in (agency("a1"), agency("a2"), place("p1")):
        mine.create_node(node)
    real_commit, calls = mine._commit, []

    def racing_commit(uow, **kw):
        if not calls:
            update(other, moved, {"name": "並行"})
        calls.append(uow)
        return real_commit(uow, **kw)

    monkeypatch.setattr(mine, "_commit", racing_commit)
    e = mine.create_edge(Edge(id="e1", kind="operates", source="a1", target="p1"))
    assert len(calls) == commits
    assert e.version == 1 and [c.rev for c in mine.changes()] == [1, 2, 3, 4, 5]
    assert [(c.op, c.entity_id) for c in mine.changes(since=3)] == [("update", moved), ("create", "e1")]
    assert other.get_edge("e1").public_dict() == e.public_dict() and _staged(other) == 0


def test_stale_staging_of_a_dead_client_is_purged_on_open(bolt, request):
    from resourcemap.graph.stores.bolt import BoltStore

    mine, _ = bolt
    mine._run("CREATE (:StagedNode {_txn: 'dead', _at: 0.0, id: 'ghost'}), (:StagedCheck {_txn: 'dead', _at: 0.0})",
              write=True)
    mine._run("CREATE (:StagedNode {_txn: 'alive', _at: timestamp() / 1000.0, id: 'busy'})", write=True)
    BoltStore(bolt_url(request)).close()
    left = mine._run("MATCH (s:StagedNode) RETURN s._txn AS t")
    assert [r["t"] for r in left] == ["alive"] and _staged(mine) == 1


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_text.filter(lambda s: s.strip()), description=_text)
def test_any_text_round_trips_exactly(bolt, name, description):
    """FalkorDB's own Bolt parameter text breaks on quotes; the store's literals must not. Any text: also
    control characters the field rules refuse today but an older catalogue may hold (built as stored)."""
    mine, _ = bolt
    pid = f"p{mine.revision()}"
    node = stored_node({**place(pid, 1).public_dict(), "name": name[:200], "description": description})
    created = mine.create_node(node)
    assert mine.get_node(pid).public_dict() == created.public_dict()
    assert (created.name, created.description) == (node.name, node.description)


def test_literals_refuse_what_cypher_cannot_hold():
    with pytest.raises(ValidationFailed):
        cypher_literal("a\x00b")
    with pytest.raises(InputError):
        cypher_literal(float("inf"))
    assert cypher_literal({"a-b": [1, 2.5, None, True, "it's \\"]}) == "{`a-b`: [1, 2.5, null, true, 'it\\'s \\\\']}"
    assert cypher_literal(0.1 + 0.2) == "0.30000000000000004"


def test_dialect_detection():
    assert isinstance(detect_dialect("Neo4j/5.13.0", "0b0d6a86-16c1-4cbb-8f46-0ae5e4d8d7a1"), FalkorDBDialect)
    assert isinstance(detect_dialect("Neo4j/5.26.0", "bolt-42"), Neo4jDialect)
    assert isinstance(detect_dialect("Neo4j/5.26.0", "bolt-42", "falkordb"), FalkorDBDialect)
    with pytest.raises(InputError):
        detect_dialect("Neo4j/5.26.0", None, "memgraph")
    assert Neo4jDialect().distance("a", "b") == "point.distance(a, b)"
    assert FalkorDBDialect().distance("a", "b") == "distance(a, b)"


def test_the_test_server_is_detected_as_falkordb(bolt):
    assert isinstance(bolt[0].dialect, FalkorDBDialect)
