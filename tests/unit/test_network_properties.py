"""Property tests: the network analyses against brute-force oracles on random small catalogues.

The oracles know nothing of networkx: components by union-find, articulation points by deleting each
node and counting pieces again, referral distances by a plain breadth-first search.
"""
from __future__ import annotations

from collections import deque
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.graph.readmodel import ReadModel
from resourcemap.model import Edge, Node
from resourcemap.network import analysis as an

CITY = "13206"
FOUR = ["高齢", "障害", "子ども", "困窮"]
LINKS = ["collaborates", "commissions", "part_of"]
WORKS = {"collaborates", "commissions"}  # the oracles' own reading of "works with": part_of and covers are not


@st.composite
def catalogues(draw):
    n = draw(st.integers(2, 9))
    fields = [draw(st.lists(st.sampled_from(FOUR), unique=True, max_size=2)) for _ in range(n)]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(LINKS)),
                          max_size=14))
    coord_links = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=3))
    nodes = [Node(id=f"a{i}", kind="agency", name=f"a{i}", city=CITY, source="public", targets={"fields": f})
             for i, f in enumerate(fields)]
    nodes += [Node(id="A", kind="area", name="A", level="福祉エリア", city=CITY, source="public"),
              Node(id="c", kind="coordinator", name="c", role="地域福祉コーディネーター", city=CITY, source="public")]
    edges = [Edge(id=f"e{k}", kind=kind, source=f"a{i}", target=f"a{j}")
             for k, (i, j, kind) in enumerate(pairs) if i != j]
    edges.append(Edge(id="cover", kind="covers", source="c", target="A"))
    edges += [Edge(id=f"c{i}", kind="collaborates", source="c", target=f"a{i}") for i in coord_links]
    return nodes, edges


def _adjacency(nodes, edges):
    adj = {x.id: set() for x in nodes if x.kind != "area"}
    for e in edges:
        if e.kind in WORKS:
            adj[e.source].add(e.target)
            adj[e.target].add(e.source)
    return adj


def _pieces(adj, keep):
    """Connected pieces among *keep* by union-find."""
    parent = {v: v for v in keep}

    def find(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for u in keep:
        for w in adj[u]:
            if w in keep:
                parent[find(u)] = find(w)
    groups = {}
    for v in keep:
        groups.setdefault(find(v), set()).add(v)
    return list(groups.values())


def _fields(nodes):
    return {x.id: set(x.targets.fields) for x in nodes}


@settings(max_examples=80, deadline=None)
@given(catalogues())
def test_components_match_union_find(cat):
    nodes, edges = cat
    collab = an.collaboration_graph(ReadModel.from_objects(nodes, edges).graph, CITY)
    adj = _adjacency(nodes, edges)
    expected = sorted(sorted(p) for p in _pieces(adj, set(adj)))
    assert sorted(sorted(s.nodes) for s in an.silos(collab)) == expected


@settings(max_examples=80, deadline=None)
@given(catalogues())
def test_separators_match_deleting_each_node(cat):
    nodes, edges = cat
    g = ReadModel.from_objects(nodes, edges).graph
    seps = {s.node_id: s for s in an.bunya_separators(an.collaboration_graph(g, CITY), g)}
    adj, fields = _adjacency(nodes, edges), _fields(nodes)
    for v in adj:
        home = next(p for p in _pieces(adj, set(adj)) if v in p)
        parts = _pieces(adj, home - {v})
        assert (v in seps) == (len(parts) >= 2), v
        if len(parts) < 2:
            continue
        labels = [set().union(*(fields[x] for x in p)) for p in parts]
        present = [b for b in an.BUNYA if any(b in s for s in labels)]
        split = tuple((a, b) for a, b in combinations(present, 2) if not any(a in s and b in s for s in labels))
        assert seps[v].split == split
        assert seps[v].parts == len(parts)
        assert seps[v].cut_off == len(home) - 1 - max(len(p) for p in parts)


@settings(max_examples=80, deadline=None)
@given(catalogues(), st.sampled_from(an.BUNYA))
def test_referral_hops_match_breadth_first_search(cat, bunya):
    nodes, edges = cat
    g = ReadModel.from_objects(nodes, edges).graph
    adj, fields = _adjacency(nodes, edges), _fields(nodes)
    dist = {"c": 0}
    queue = deque(["c"])
    while queue:
        u = queue.popleft()
        for w in adj[u]:
            if w not in dist:
                dist[w] = dist[u] + 1
                queue.append(w)
    targets = {v: d for v, d in dist.items()
               if v.startswith("a") and bunya in (fields[v] or {"全世代"})}  # no 分野 given = 全世代
    found = an.referral_paths(g, "A", bunya, limit=100)
    assert {r.target: r.hops for r in found} == targets
    assert [r.hops for r in found] == sorted(r.hops for r in found)
    for r in found:  # every chain is a walk along "works with" edges from the coordinator
        assert r.steps[0].source == "c" and r.steps[-1].target == r.target
        for a, b in zip(r.steps, r.steps[1:]):
            assert a.target == b.source
        assert all(s.target in adj[s.source] for s in r.steps)
