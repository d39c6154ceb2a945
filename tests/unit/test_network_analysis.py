"""Network analyses on small hand-built graphs whose answers are worked out by hand in each test."""
from __future__ import annotations

import pytest

from resourcemap.errors import InputError, NotFound
from resourcemap.graph.readmodel import ReadModel
from resourcemap.model import Edge, Node
from resourcemap.network import analysis as an

CITY = "13206"


def node(id_: str, kind: str, *, fields=(), **kw) -> Node:
    kw.setdefault("name", id_)
    if kind == "area":
        kw.setdefault("level", "福祉エリア")
    if kind == "coordinator":
        kw.setdefault("role", "地域福祉コーディネーター")
    return Node(id=id_, kind=kind, city=CITY, source="public", targets={"fields": list(fields)}, **kw)


def edge(kind: str, s: str, t: str, **kw) -> Edge:
    return Edge(id=f"{s}.{kind}.{t}", kind=kind, source=s, target=t, **kw)


def graph(nodes, edges):
    return ReadModel.from_objects(nodes, edges).graph


# -- silos, separators, bridges, betweenness -------------------------------------------------------------
@pytest.fixture
def chain():
    r"""a1(高齢) — d(部署) — a2(障害) — {a3(子ども), a4(障害)} (a2, a3, a4 a triangle);
    a5 alone; a6 —part_of→ a7 (an org chart tie, not "works with")."""
    nodes = [node("a1", "agency", fields=["高齢"]), node("d", "department"), node("a2", "agency", fields=["障害"]),
             node("a3", "agency", fields=["子ども"]), node("a4", "agency", fields=["障害"]),
             node("a5", "agency", fields=["困窮"]), node("a6", "department"), node("a7", "agency")]
    edges = [edge("collaborates", "a1", "d"), edge("commissions", "d", "a2"), edge("collaborates", "a2", "a3"),
             edge("collaborates", "a3", "a4"), edge("collaborates", "a4", "a2"), edge("part_of", "a6", "a7")]
    return graph(nodes, edges)


def test_components_follow_works_with_only(chain):
    collab = an.collaboration_graph(chain, CITY)
    comps = an.silos(collab, chain)
    assert [s.nodes for s in comps] == [("a1", "a2", "a3", "a4", "d"), ("a5",), ("a6",), ("a7",)]
    assert comps[0].bunya == {"高齢", "障害", "子ども"}
    assert comps[1].bunya == {"困窮"}


def test_articulation_points_and_the_bunya_they_separate(chain):
    collab = an.collaboration_graph(chain, CITY)
    seps = {s.node_id: s for s in an.bunya_separators(collab, chain)}
    assert set(seps) == {"d", "a2"}
    # without a2: {a1, d} | {a3, a4} — 高齢 loses both 障害 (a4) and 子ども (a3); 2 nodes outside the largest part
    assert seps["a2"].parts == 2 and seps["a2"].cut_off == 2
    assert seps["a2"].split == (("高齢", "障害"), ("高齢", "子ども"))
    # without d: {a1} | {a2, a3, a4}
    assert seps["d"].parts == 2 and seps["d"].cut_off == 1
    assert seps["d"].split == (("高齢", "障害"), ("高齢", "子ども"))
    assert [s.node_id for s in an.bunya_separators(collab, chain)] == ["a2", "d"]  # more cut off first


def test_bridges_leave_out_pendants_unless_asked(chain):
    collab = an.collaboration_graph(chain, CITY)
    (b,) = an.bridges(collab, chain)
    assert (b.source, b.target, b.kinds, b.cut_off) == ("a2", "d", ("commissions",), 2)
    assert b.split == (("高齢", "障害"), ("高齢", "子ども"))
    both = an.bridges(collab, chain, pendant=True)
    assert {(x.source, x.target) for x in both} == {("a2", "d"), ("a1", "d")}


def test_betweenness_by_hand(chain):
    collab = an.collaboration_graph(chain, CITY)
    bc = an.betweenness(collab)
    # n = 8 → normalisation 2 / ((n-1)(n-2)) = 1/21. a2 lies on 4 shortest paths (a1|d → a3|a4), d on 3 (a1 → a2|a3|a4).
    assert bc["a2"] == pytest.approx(4 / 21)
    assert bc["d"] == pytest.approx(3 / 21)
    assert bc["a1"] == bc["a3"] == bc["a5"] == 0
    assert list(an.betweenness(collab, kinds=("department",))) == ["d", "a6"]


def test_collaboration_graph_folds_parallel_edges_and_drops_geography():
    nodes = [node("x", "agency"), node("y", "department"), node("A", "area"), node("m", "municipality"),
             node("h", "hub")]
    edges = [edge("commissions", "y", "x", program="1-i"), edge("collaborates", "x", "y"),
             edge("covers", "x", "A"), edge("part_of", "y", "m"), edge("located_in", "h", "A")]
    collab = an.collaboration_graph(graph(nodes, edges), CITY)
    assert set(collab.nodes) == {"x", "y", "h"}
    assert [r[1] for r in collab.edges["x", "y"]["relations"]] == ["collaborates", "commissions"]
    assert collab.number_of_edges() == 1


# -- 分野, pillars, 推進員 --------------------------------------------------------------------------------
def test_bunya_and_pillars_are_inferred_through_programs():
    nodes = [node("d", "department"), node("p", "program", program="1-i"),
             node("q", "program", program="other", pillar="参加支援", fields=["子ども"]),
             node("plan", "program", program="6"), node("h", "hub", fields=["障害"]),
             node("s", "agency")]
    edges = [edge("managed_by", "p", "d"), edge("implements", "h", "q"), edge("implements", "h", "plan"),
             edge("commissions", "d", "s", program="3-ni")]
    g = graph(nodes, edges)
    assert an.node_bunya(g, "d") == {"高齢", "子ども"}  # manages 1-i, commissions 3-ni
    assert an.node_bunya(g, "h") == {"障害"}  # its own targets; a hub does not inherit from programs
    assert an.node_pillars(g, "h") == {"参加支援", "多機関協働"}  # 独自事業 filed under 参加支援; 6 is part of 多機関協働
    assert an.node_pillars(g, "s") == {"地域づくり"}  # commissioned for 3-ni


def test_suishin_departments_count_placements_not_the_representative():
    nodes = [node("d1", "department"), node("d2", "department"), node("d3", "department"),
             node("c1", "coordinator", role=an.SUISHIN_ROLE), node("c2", "coordinator", role=an.SUISHIN_ROLE),
             node("rep", "coordinator", role="代表相談支援包括化推進員"), node("csw", "coordinator")]
    edges = [edge("affiliated_with", "c1", "d1"), edge("affiliated_with", "c2", "d2"),
             edge("affiliated_with", "rep", "d3"), edge("affiliated_with", "csw", "d3")]
    assert an.suishin_departments(graph(nodes, edges), CITY) == ["d1", "d2"]


# -- coverage ---------------------------------------------------------------------------------------------
@pytest.fixture
def city_with_two_areas():
    """A1 = {x, y}, A2 = {z} (福祉エリア); B = {y, z} (日常生活圏域). By hand:

    * h1 (高齢 hub) located in A1, implements p2 (3-i, 地域づくり) that D manages;
    * ag (障害 agency) covers the whole city, commissioned by D for 1-ro (包括的相談支援);
    * pl (子ども place) in A2 (area_id), implements q (独自事業 filed under 参加支援);
    * g (subsidy group, no 分野 = 全世代) located in A2; gone (困窮 agency) is defunct;
    * p (1-ni 困窮) is managed by D and carried by nobody → D delivers it 直営, city-wide;
    * c (coordinator) covers A1 and implements o (code 4, 全世代 / アウトリーチ).
    """
    nodes = [node("muni", "municipality", primary_area_level="福祉エリア"),
             node("A1", "area", chome=["x", "y"]), node("A2", "area", chome=["z"]),
             node("B", "area", level="日常生活圏域", chome=["y", "z"]),
             node("D", "department"), node("h1", "hub", fields=["高齢"]), node("ag", "agency", fields=["障害"]),
             node("pl", "place", fields=["子ども"], area_id="A2"), node("g", "subsidy_group"),
             node("gone", "agency", fields=["困窮"], status="defunct"), node("c", "coordinator"),
             node("p", "program", program="1-ni"), node("p2", "program", program="3-i"),
             node("q", "program", program="other", pillar="参加支援"), node("o", "program", program="4")]
    edges = [edge("located_in", "h1", "A1"), edge("implements", "h1", "p2"), edge("managed_by", "p2", "D"),
             edge("covers", "ag", "muni"), edge("commissions", "D", "ag", program="1-ro"),
             edge("implements", "pl", "q"), edge("located_in", "g", "A2"), edge("managed_by", "p", "D"),
             edge("covers", "c", "A1"), edge("implements", "c", "o")]
    return graph(nodes, edges)


def _cells(cells):
    return {(c.area_id, c.column): c for c in cells}


def test_coverage_by_bunya_finds_the_empty_cells(city_with_two_areas):
    cells = an.coverage_matrix(city_with_two_areas, CITY)
    assert [(c.area_id, c.column) for c in cells][:5] == [("A1", b) for b in an.BUNYA]
    by = _cells(cells)
    assert by["A1", "高齢"].local == ("h1",) and by["A1", "高齢"].status == "local"
    assert by["A1", "障害"].citywide == ("ag",) and by["A1", "障害"].status == "citywide"
    assert by["A1", "困窮"].citywide == ("D",)  # 直営: D delivers p; the defunct agency does not count
    assert by["A1", "全世代"].local == ("c",)  # the coordinator, through its 全世代 program
    assert by["A2", "全世代"].local == ("g",)  # no 分野 given = anyone may come
    assert by["A2", "子ども"].local == ("pl",)
    assert [(c.area_id, c.column) for c in an.coverage_holes(cells)] == [("A1", "子ども"), ("A2", "高齢")]
    strict = {(c.area_id, c.column) for c in an.coverage_holes(cells, strict=True)}
    assert strict == {("A1", "子ども"), ("A2", "高齢"), ("A1", "障害"), ("A2", "障害"), ("A1", "困窮"), ("A2", "困窮")}


def test_coverage_by_pillar_finds_the_empty_cells(city_with_two_areas):
    cells = an.coverage_matrix(city_with_two_areas, CITY, by="pillar")
    by = _cells(cells)
    assert set(by["A1", "包括的相談支援"].citywide) == {"ag", "D"}
    assert by["A1", "地域づくり"].local == ("h1",)  # D manages p2 but h1 carries it: D gets no credit
    assert by["A2", "参加支援"].local == ("pl",)
    assert by["A1", "アウトリーチ等を通じた継続的支援"].local == ("c",)
    assert {(c.area_id, c.column) for c in an.coverage_holes(cells)} == {
        ("A1", "参加支援"), ("A1", "多機関協働"), ("A2", "地域づくり"), ("A2", "アウトリーチ等を通じた継続的支援"),
        ("A2", "多機関協働")}


def test_other_area_levels_count_where_they_share_a_chome(city_with_two_areas):
    g = city_with_two_areas.copy()
    g.add_node("h2", node=node("h2", "hub", fields=["困窮"]))
    g.add_edge("h2", "B", key="e-h2", kind="located_in", edge=edge("located_in", "h2", "B"))
    by = _cells(an.coverage_matrix(g, CITY))
    assert by["A1", "困窮"].local == ("h2",) and by["A2", "困窮"].local == ("h2",)
    assert [a.id for a in an.area_nodes(g, CITY, "日常生活圏域")] == ["B"]
    with pytest.raises(InputError, match="日常生活圏域"):
        an.area_nodes(g, CITY, "福祉圏域")


# -- coordinators -----------------------------------------------------------------------------------------
@pytest.fixture
def coordinated():
    """A1, A2, A3; c1 (2 people) covers A1 and A2, belongs to S, is managed by D; the 推進員 c2 has no area.
    r1 sits in A1, r2 in A3; r3 and S have no area (they serve the whole city)."""
    nodes = [node("A1", "area"), node("A2", "area"), node("A3", "area"), node("S", "agency"), node("D", "department"),
             node("c1", "coordinator", count=2), node("c2", "coordinator", role=an.SUISHIN_ROLE),
             node("r1", "hub"), node("r2", "place", area_id="A3"), node("r3", "agency")]
    edges = [edge("covers", "c1", "A1"), edge("covers", "c1", "A2"), edge("affiliated_with", "c1", "S"),
             edge("managed_by", "c1", "D"), edge("located_in", "r1", "A1"), edge("affiliated_with", "c2", "D")]
    return graph(nodes, edges)


def test_coordinator_load_and_uncovered_areas(coordinated):
    load = {c.coordinator_id: c for c in an.coordinator_load(coordinated, CITY)}
    c1 = load["c1"]
    assert c1.areas == ("A1", "A2") and c1.staff == 2
    assert c1.resources == ("S", "r1", "r3") and c1.resources_per_staff == 1.5  # S, r3: no area = city-wide
    assert c1.partners == ("D", "S")
    assert load["c2"].areas == () and load["c2"].resources == ()
    assert an.uncovered_areas(coordinated, CITY) == ["A3"]
    assert an.area_coordinators(coordinated, "A1") == ["c1"]
    with pytest.raises(NotFound):
        an.area_coordinators(coordinated, "r1")


def test_a_coordinator_covering_the_municipality_covers_every_area(coordinated):
    g = coordinated.copy()
    g.add_node("m", node=node("m", "municipality"))
    g.add_edge("c2", "m", key="e-c2", kind="covers", edge=edge("covers", "c2", "m"))
    assert an.uncovered_areas(g, CITY) == []
    assert an.area_coordinators(g, "A3") == ["c2"]


# -- referral paths ---------------------------------------------------------------------------------------
@pytest.fixture
def referral_city():
    """c covers A1. c —participates_in→ M ←participates_in— K (高齢, consult.elderly): 2 hops.
    c —affiliated_with→ S ←commissions— D —commissions→ K2 (高齢, kayoi): 3 hops.
    X (障害) is tied only by part_of (not "works with"); A2 has no coordinator."""
    nodes = [node("A1", "area"), node("A2", "area"), node("c", "coordinator"), node("M", "meeting"),
             node("K", "agency", fields=["高齢"], categories=["consult.elderly"]),
             node("K2", "agency", fields=["高齢"], categories=["kayoi"]), node("S", "agency", fields=["全世代"]),
             node("D", "department"), node("X", "agency", fields=["障害"])]
    edges = [edge("covers", "c", "A1"), edge("participates_in", "c", "M"), edge("participates_in", "K", "M"),
             edge("affiliated_with", "c", "S"), edge("commissions", "D", "S"), edge("commissions", "D", "K2"),
             edge("part_of", "X", "S")]
    return graph(nodes, edges)


def test_referral_path_is_the_shortest_chain_with_its_relations(referral_city):
    (r,) = an.referral_paths(referral_city, "A1", "高齢", limit=1)
    assert (r.coordinator, r.target, r.hops) == ("c", "K", 2)
    assert [(s.source, s.target, s.relations) for s in r.steps] == [
        ("c", "M", (("participates_in", True),)), ("M", "K", (("participates_in", False),))]
    both = an.referral_paths(referral_city, "A1", "高齢", limit=5)
    assert [(x.target, x.hops) for x in both] == [("K", 2), ("K2", 3)]
    assert [s.relations for s in both[1].steps] == [
        (("affiliated_with", True),), (("commissions", False),), (("commissions", True),)]


def test_referral_path_filters_and_gaps(referral_city):
    (r,) = an.referral_paths(referral_city, "A1", "高齢", category="通いの場")  # a synonym of kayoi
    assert r.target == "K2"
    assert an.referral_paths(referral_city, "A1", "高齢", category="consult.child") == []
    assert an.referral_paths(referral_city, "A1", "障害") == []  # X is only part_of S
    assert an.referral_paths(referral_city, "A2", "高齢") == []  # nobody covers A2
    with pytest.raises(InputError):
        an.referral_paths(referral_city, "A1", "医療")
    with pytest.raises(NotFound):
        an.referral_paths(referral_city, "nowhere", "高齢")


def test_referral_reaches_a_department_that_delivers_its_own_program(referral_city):
    g = referral_city.copy()
    g.add_node("P", node=node("P", "program", program="1-ni", categories=["consult.poverty"]))
    g.add_edge("P", "D", key="e-P", kind="managed_by", edge=edge("managed_by", "P", "D"))
    (r,) = an.referral_paths(g, "A1", "困窮", category="consult")
    assert (r.target, r.hops) == ("D", 2)  # c → S ← D; D runs 自立相談支援 itself
