"""The read model's memory savings change nothing a reader sees.

Rebuilt entities share what they hold alike (``resourcemap.model``: targets, lists of texts, empty
containers, timestamps) and the read model's graph is a :class:`CompactGraph` (slotted node attributes,
one shared empty adjacency). Checked here: the shared containers equal, copy and serialise as plain
ones and refuse in-place changes; a :class:`CompactGraph` answers every view and algorithm exactly as a
plain ``networkx.MultiDiGraph`` built by the same operations (hypothesis, the plain graph as the oracle).
"""
from __future__ import annotations

import copy
import json
import pickle

import networkx as nx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.graph.readmodel import CompactGraph, ReadModel
from resourcemap.model import Node, SharedDict, SharedList, Targets, stored_node

FIELDS = ["高齢", "障害"]


def image(i: int, **over) -> str:
    node = Node(id=f"p{i}", kind="place", name=f"居場所{i}", city="13206", source="public",
                categories=["consult.general", "consult.elderly"], targets=Targets(fields=FIELDS, age_min=65), **over)
    return node.model_dump_json()


def test_rebuilt_nodes_share_what_they_hold_alike_and_read_the_same():
    a, b = stored_node(image(1)), stored_node(image(2))
    assert a.targets is b.targets and a.categories is b.categories and a.schedules is b.schedules
    assert a.external_ids is b.external_ids and a.chome is a.accessibility
    validated = Node.model_validate_json(image(1))
    assert a == validated and a.model_dump_json() == validated.model_dump_json()
    assert orjson.loads(orjson.dumps(a.model_dump())) == json.loads(validated.model_dump_json())
    assert orjson.dumps({"categories": a.categories}) == b'{"categories":["consult.general","consult.elderly"]}'
    different = stored_node(image(3, chome=["本町1丁目"], external_ids={"ds": "x1"}))
    assert different.chome == ["本町1丁目"] and different.external_ids == {"ds": "x1"}
    assert different.targets is a.targets


def test_a_shared_container_refuses_in_place_changes_and_copies_to_a_plain_one():
    node = stored_node(image(1))
    for change in (lambda: node.categories.append("x"), lambda: node.categories.sort(),
                   lambda: node.schedules.extend([]), lambda: node.targets.fields.__setitem__(0, "子ども"),
                   lambda: node.external_ids.update(ds="1"), lambda: node.external_ids.__setitem__("ds", "1")):
        with pytest.raises(TypeError, match="shared by many stored entities"):
            change()
    assert node.categories == ["consult.general", "consult.elderly"] and node.external_ids == {}
    for copied in (copy.copy(node.categories), copy.deepcopy(node.categories), pickle.loads(pickle.dumps(node.categories)),
                   list(node.categories)):
        assert type(copied) is list and copied == ["consult.general", "consult.elderly"]
        copied.append("x")  # the copy is the caller's own
    assert type(copy.deepcopy(node.external_ids)) is dict and type(pickle.loads(pickle.dumps(node.external_ids))) is dict
    deep = node.model_copy(deep=True)
    assert deep == node and type(deep.categories) is list
    changed = node.model_copy(update={"categories": ["consult.general"]})
    assert changed.categories == ["consult.general"] and node.categories == ["consult.general", "consult.elderly"]
    assert isinstance(node.categories, SharedList) and isinstance(node.external_ids, SharedDict)


# -- CompactGraph against a plain MultiDiGraph ----------------------------------------------------
NODES = [f"n{i}" for i in range(6)]
op = st.one_of(
    st.tuples(st.just("add_node"), st.sampled_from(NODES)),
    st.tuples(st.just("add_edge"), st.sampled_from(NODES), st.sampled_from(NODES), st.sampled_from(["e1", "e2", None])),
    st.tuples(st.just("remove_edge"), st.sampled_from(NODES), st.sampled_from(NODES), st.sampled_from(["e1", "e2"])),
    st.tuples(st.just("remove_node"), st.sampled_from(NODES)),
    st.tuples(st.just("set_node"), st.sampled_from(NODES), st.integers(0, 9)),
    st.tuples(st.just("clear_edges"),),
)


def _run(g: nx.MultiDiGraph, ops: list[tuple]) -> list:
    outcome = []
    for o in ops:
        try:
            if o[0] == "add_node":
                g.add_node(o[1], node=o[1].upper())
            elif o[0] == "add_edge":
                outcome.append(g.add_edge(o[1], o[2], key=o[3], kind="runs", edge=(o[1], o[2])))
            elif o[0] == "remove_edge":
                g.remove_edge(o[1], o[2], key=o[3])
            elif o[0] == "remove_node":
                g.remove_node(o[1])
            elif o[0] == "set_node":
                if o[1] in g:
                    g.nodes[o[1]]["node"] = o[2]
                    g.nodes[o[1]]["other"] = -o[2]
            else:
                g.clear_edges()
            outcome.append("ok")
        except nx.NetworkXError as exc:
            outcome.append(type(exc).__name__)
    return outcome


def _seen(g: nx.MultiDiGraph) -> dict:
    return {
        "nodes": sorted((n, sorted(d.items())) for n, d in g.nodes(data=True)),
        "node_data": sorted(g.nodes(data="node", default="-"), key=str),
        "edges": sorted(g.edges(keys=True, data=True), key=str),
        "succ": {n: {m: dict(k) for m, k in nb.items()} for n, nb in g.succ.items()},
        "pred": {n: {m: dict(k) for m, k in nb.items()} for n, nb in g.pred.items()},
        "out": {n: sorted(g.out_edges(n, keys=True), key=str) for n in g},
        "in": {n: sorted(g.in_edges(n, data="kind"), key=str) for n in g},
        "degree": dict(g.degree()),
        "components": sorted(sorted(c) for c in nx.weakly_connected_components(g)),
        "copy": sorted(g.copy().edges(keys=True), key=str),
        "reverse": sorted(g.reverse().edges(keys=True), key=str),
        "undirected": sorted(map(sorted, g.to_undirected().edges()), key=str),
        "subgraph": sorted(g.subgraph(NODES[:3]).edges(keys=True), key=str),
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(op, max_size=30))
def test_a_compact_graph_reads_as_a_plain_multidigraph_after_any_operations(ops):
    plain, compact = nx.MultiDiGraph(), CompactGraph()
    assert _run(compact, ops) == _run(plain, ops)
    assert _seen(compact) == _seen(plain)
    assert list(compact.node_objects()) == [value for _, value in plain.nodes(data="node")]
    for n, data in plain.nodes(data=True):
        if "node" in data:
            assert compact.node_object(n) == data["node"]
        else:
            with pytest.raises(KeyError):
                compact.node_object(n)
    with pytest.raises(KeyError):
        compact.node_object("not-a-node")


def test_the_read_model_graph_is_compact_and_answers_as_before(seeded_db):
    from resourcemap.graph.stores.sqlite import SQLiteStore

    store = SQLiteStore(seeded_db, create=False)
    try:
        rm = ReadModel(store, follow=False)
        plain = nx.MultiDiGraph(rm.graph)
        assert type(rm.graph) is CompactGraph and _seen(rm.graph) == _seen(plain)
        assert {n.id for n in rm.nodes()} == {n.id for n in store.query_nodes()}
    finally:
        store.close()
