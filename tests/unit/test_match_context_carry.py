"""The matcher's context carried across writes answers as a fresh one (the oracle), and drops what it must.

After a write the next revision's :class:`MatchContext` starts from the previous one's facts minus what the
write can have made stale (``resourcemap/match/context.py``, module doc). The property test drives a real
read model that follows a SQLite store through random writes — node edits of every field the matcher reads,
moves, status changes, resources created and removed, edges added and deleted, areas re-drawn, phones
changed — and holds every match through the carried context to the same match through a fresh context,
for households of several cities. The plain tests each name one cache and a write it must not survive,
and check both that the answer sees the write and that the carry really kept the rest.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from resourcemap.errors import ResourcemapError
from resourcemap.geo import load_chome, nearest_chome
from resourcemap.graph.readmodel import TOUCHED_KEPT, EdgeEnds, EdgeTouched, NodeTouched, ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.match.context import context_for
from resourcemap.model import EDGE_RULES, Edge, Node, Targets
from resourcemap.taxonomy import load_taxonomy
from tests.unit.test_match_revision_memo import fresh, kept  # the answers through the kept and a fresh context

FUCHU, IRUMA, MURAYAMA = "13206", "11225", "13223"
CITIES = (FUCHU, IRUMA, MURAYAMA)
TOWNS = {code: [c for c in load_chome(code) if not c.koaza] for code in CITIES}
NEEDS = ("居場所", "介護予防", "子育て", "ひきこもり", "避難所")
CATEGORIES = [load_taxonomy().resolve(term).category.id for term in NEEDS]


def body(city: str, town: str, *, max_m: float = 2000) -> dict:
    return {"city": city, "location": {"address": town}, "max_distance_m": max_m, "limit": 4,
            "members": [{"age": 45, "needs": ["ひきこもり", "居場所", "避難所"]}, {"age": 80, "needs": ["介護予防"]},
                        {"age": 3, "needs": ["子育て"]}]}


#: Households of three cities (two 町丁目 of 府中市, whose plan has areas, coordinators and 所管課): what the
#: property test asks after every batch of writes.
HOUSEHOLDS = [body(code, TOWNS[code][k * len(TOWNS[code]) // 3].town)
              for code, k in ((FUCHU, 1), (FUCHU, 2), (IRUMA, 1), (MURAYAMA, 1))]


@contextmanager
def following(directory_db: Path, folder: Path) -> Iterator[tuple[SQLiteStore, ReadModel]]:
    """A copy of the catalogue with the plans and their open data, and a read model following its store as
    the server's does (changes applied as each write commits)."""
    path = folder / "catalogue.db"
    shutil.copy(directory_db, path)
    store = SQLiteStore(path)
    rm = ReadModel(store)
    try:
        yield store, rm
    finally:
        rm.close()
        store.close()


@pytest.fixture()
def writable(directory_db, tmp_path):
    with following(directory_db, tmp_path) as live:
        yield live


# -- random writes --------------------------------------------------------------------------------
def _edit(store: SQLiteStore, node: Node, **changes) -> None:
    store.update_node(Node.model_validate({**node.model_dump(), **changes}), actor="test")


def _node_edit(data: st.DataObject, rm: ReadModel, node: Node) -> dict:
    """One change of a field the matcher reads (or one it does not: the description)."""
    towns = TOWNS.get(node.city) or TOWNS[FUCHU]
    what = data.draw(st.sampled_from(["description", "name", "phone", "name", "phone", "categories", "status", "move",
                                      "unplace", "targets", "program", "area_chome", "area_id"]))
    if what == "description":
        return {"description": f"説明 {data.draw(st.integers(0, 10**6))}"}
    if what == "name":
        return {"name": node.name + "（改）"}
    if what == "phone":
        return {"phone": data.draw(st.sampled_from([None, "042-000-1234", "042-999-0000"]))}
    if what == "categories":
        return {"categories": data.draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True))}
    if what == "status":
        return {"status": data.draw(st.sampled_from(["active", "inactive", "planned"]))}
    if what == "move":
        to = data.draw(st.sampled_from(towns))
        return {"lat": to.lat, "lng": to.lng, "location_precision": "chome"}
    if what == "unplace":
        return {"lat": None, "lng": None, "location_precision": "none"}
    if what == "targets":
        return {"targets": Targets(fields=data.draw(st.sampled_from([[], ["全世代"], ["高齢"], ["子ども"]])))}
    if what == "program":
        return {"program": data.draw(st.sampled_from([None, "1-i", "1-ha", "5"]))}
    if what == "area_chome" and node.kind == "area":
        return {"chome": sorted({t.town for t in data.draw(st.lists(st.sampled_from(towns), min_size=1, max_size=8))})}
    areas = sorted(n.id for n in rm.nodes(kind="area", city=node.city))
    return {"area_id": data.draw(st.sampled_from([None, *areas]))}


def shown(rm: ReadModel, answers: list[dict]) -> tuple[list[Node], list[Node]]:
    """(the nodes *answers* show or name: entries, their operators, programmes and 所管課, coordinators, areas;
    and their graph neighbours but the municipality's, nearly the whole city): where a write can change an answer."""
    named: set[str] = set()
    for a in answers:
        named.update(x["id"] for x in a["location"]["areas"])
        named.update(c["id"] for c in a["coordinators"])
        for e in (*(e for r in a["results"] for e in (*r["matches"], *r["unplaced"])), *a["team"]):
            named.add(e["id"])
            named.update(x["id"] for x in (e["operator"], e["inquiry"], *e["programs"]) if x)
    around = {m for n in named if rm.has(n) and rm.node(n).kind != "municipality"
              for m in (*rm.graph.succ.get(n, ()), *rm.graph.pred.get(n, ()))} - named
    return tuple(sorted((rm.node(n) for n in ids if rm.has(n) and rm.node(n).city in CITIES),  # type: ignore[return-value]
                        key=lambda n: n.id) for ids in (named, around))


def random_write(data: st.DataObject, store: SQLiteStore, rm: ReadModel, near: tuple[list[Node], list[Node]]) -> None:
    """One write through the store (the read model follows it), most to a node the answers show or name or to
    a neighbour of one (*near*); one the store refuses changes nothing."""
    named, around = ([rm.node(n.id) for n in nodes if rm.has(n.id)] for nodes in near)  # as they are now
    everything = sorted((n for n in rm.nodes() if n.city in CITIES), key=lambda n: n.id)
    pool = [named, named, around, everything][data.draw(st.integers(0, 3))] or everything
    op = data.draw(st.sampled_from(["edit", "edit", "edit", "edit", "create", "delete", "add_edge", "delete_edge"]))
    try:
        if op == "edit":
            node = data.draw(st.sampled_from(pool))
            _edit(store, node, **_node_edit(data, rm, node))
        elif op == "create":
            city = data.draw(st.sampled_from(CITIES))
            at = data.draw(st.sampled_from(TOWNS[city]))
            store.create_node(Node(id=f"test.carry.{data.draw(st.integers(0, 10**9))}", kind="place", name="新しい居場所",
                                   city=city, lat=at.lat, lng=at.lng, location_precision="chome",
                                   categories=data.draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2,
                                                                 unique=True)),
                                   source="public"), actor="test")
        elif op == "delete":
            doomed = [n for n in pool if n.kind != "municipality"]
            if doomed:
                store.delete_node(data.draw(st.sampled_from(doomed)).id, actor="test")
        elif op == "add_edge":
            kind = data.draw(st.sampled_from(["operates", "runs", "implements", "located_in", "covers", "managed_by",
                                              "collaborates"]))
            sources, targets = EDGE_RULES[kind]
            ends = [(s, t) for s in pool if s.kind in sources for t in pool
                    if t.kind in targets and t.city == s.city and t.id != s.id]
            if ends:
                source, target = data.draw(st.sampled_from(ends))
                store.create_edge(Edge(kind=kind, source=source.id, target=target.id, cite="public"), actor="test")
        else:
            edges = sorted((e for e in rm.edges() if rm.node(e.source).city in CITIES), key=lambda e: e.id)
            if edges:
                store.delete_edge(data.draw(st.sampled_from(edges)).id, actor="test")
    except (ResourcemapError, ValidationError):
        pass


# No shrinking: an example takes about a second (a catalogue copy, a dozen matches), so shrinking one would take
# many minutes; the failing example's draws are printed as they are.
@settings(max_examples=40, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_carried_context_answers_as_a_fresh_one(directory_db, data):
    with tempfile.TemporaryDirectory() as folder, following(directory_db, Path(folder)) as (store, rm):
        for _ in range(data.draw(st.integers(1, 3))):
            # fill the context (and so the carried one) with this revision's facts
            near = shown(rm, [kept(rm, b) for b in HOUSEHOLDS])
            for _ in range(data.draw(st.integers(1, 4))):
                random_write(data, store, rm, near)
            for b in HOUSEHOLDS:
                assert kept(rm, b) == fresh(rm, b)


# -- the record of changes --------------------------------------------------------------------------
def test_the_read_model_says_what_each_change_touched(writable):
    store, rm = writable
    start = rm.revision
    node = next(n for n in rm.nodes(kind="place", city=FUCHU) if n.located)
    _edit(store, node, description="変更")
    store.create_edge(Edge(kind="collaborates", source=node.id, target="fuchu.agency.shakyo", cite="public"), actor="t")
    touched = rm.touched_between(start, rm.revision)
    assert touched is not None and [type(t) for t in touched] == [NodeTouched, EdgeTouched]
    assert touched[0].before == node and touched[0].after is not None and touched[0].after.description == "変更"
    assert touched[1].before is None and touched[1].after == EdgeEnds(node.id, "fuchu.agency.shakyo", "collaborates")
    assert rm.touched_between(touched[0].rev, rm.revision) == touched[1:]
    assert rm.touched_between(rm.revision, rm.revision) == ()
    store.delete_node(node.id, actor="t")
    gone = rm.touched_between(touched[1].rev, rm.revision)
    assert gone is not None and gone[0].after is None and "fuchu.agency.shakyo" in gone[0].neighbours
    assert rm.touched_between(start - 1, rm.revision) is None  # before the read model was built
    assert rm.touched_between(start, rm.revision + 1) is None  # not reached yet


def test_the_record_is_bounded_and_says_when_it_cannot_tell(writable):
    store, rm = writable
    start = rm.revision
    node = next(n for n in rm.nodes(kind="place", city=FUCHU))
    for k in range(TOUCHED_KEPT + 1):
        node = store.update_node(node.model_copy(update={"description": f"版 {k}"}), actor="t")
    assert rm.touched_between(start, rm.revision) is None
    assert len(rm.touched_between(start + 1, rm.revision) or ()) == TOUCHED_KEPT


# -- what each cache must drop --------------------------------------------------------------------------
def _site_with(rm: ReadModel, code: str, test) -> tuple[dict, dict]:
    """(household, the first entry of its answer that passes *test*) among the city's 町丁目."""
    for c in TOWNS[code][::3]:
        b = body(code, c.town)
        answer = kept(rm, b)
        for r in answer["results"]:
            for entry in (*r["matches"], *r["unplaced"]):
                if test(entry):
                    return b, entry
        for entry in answer["team"]:
            if test(entry):
                return b, entry
    raise AssertionError("no such entry in the catalogue")


def _entries(answer: dict, node_id: str) -> list[dict]:
    return [e for r in answer["results"] for e in (*r["matches"], *r["unplaced"]) if e["id"] == node_id] + \
        [e for e in answer["team"] if e["id"] == node_id]


def test_a_description_edit_keeps_the_facts_and_streams(writable):
    store, rm = writable
    b, entry = _site_with(rm, FUCHU, lambda e: e.get("distance_m") is not None and e["kind"] == "place")
    before = context_for(rm)
    streams = before.streams_kept
    _edit(store, rm.node(entry["id"]), description="ソークの書き込み")
    after = context_for(rm)
    assert after is not before and after._cities[FUCHU] is before._cities[FUCHU]  # carried, not rebuilt
    assert after.streams_kept == streams
    assert kept(rm, b) == fresh(rm, b)


def test_a_renamed_operator_is_seen_in_its_sites_entries(writable):
    store, rm = writable
    b, entry = _site_with(rm, FUCHU, lambda e: e["operator"] is not None)
    op = rm.node(entry["operator"]["id"])
    _edit(store, op, name="改名した運営法人")
    answer = kept(rm, b)
    assert {e["operator"]["name"] for e in _entries(answer, entry["id"])} == {"改名した運営法人"}
    assert answer == fresh(rm, b)


def test_a_new_phone_of_the_department_is_seen_two_hops_away(writable):
    """An entry without a phone is reached through its programme's 所管課 (site → programme → 課)."""
    store, rm = writable
    b, entry = _site_with(rm, FUCHU, lambda e: (e["inquiry"] or {}).get("via") in ("所管課", "代表電話")
                          and rm.node(e["inquiry"]["id"]).kind == "department"
                          and not rm.out_edges(e["id"], "managed_by"))  # its programme's 課, not its own
    dept = rm.node(entry["inquiry"]["id"])
    _edit(store, dept, phone="042-335-4001")
    answer = kept(rm, b)
    assert {e["inquiry"]["phone"] for e in _entries(answer, entry["id"])} == {rm.node(dept.id).phone}
    assert answer == fresh(rm, b)


def test_a_redrawn_area_moves_the_household_and_the_sites(writable):
    store, rm = writable
    b = body(FUCHU, TOWNS[FUCHU][10].town)
    first = kept(rm, b)
    area_id = first["location"]["areas"][0]["id"]
    other = next(a for a in sorted(rm.nodes(kind="area", city=FUCHU), key=lambda a: a.id) if a.id != area_id)
    _edit(store, other, chome=[*other.chome, TOWNS[FUCHU][10].town])
    _edit(store, rm.node(area_id), chome=[t for t in rm.node(area_id).chome if t != TOWNS[FUCHU][10].town])
    answer = kept(rm, b)
    assert [a["id"] for a in answer["location"]["areas"]] == [other.id]
    assert answer == fresh(rm, b)


def test_a_resource_moved_into_range_is_ranked(writable):
    store, rm = writable
    town = TOWNS[FUCHU][20]
    b = body(FUCHU, town.town, max_m=300)
    first = kept(rm, b)
    shown = {e["id"] for r in first["results"] for e in r["matches"]}
    far = next(n for n in sorted(rm.nodes(city=FUCHU), key=lambda n: n.id)
               if n.kind == "place" and n.status == "active" and n.id not in shown and n.located
               and "shelter.evacuation" in n.categories and not n.targets.fields and n.targets.age_min is None)
    assert context_for(rm).streams_kept  # the streams from the household's 町丁目 point are kept
    _edit(store, far, lat=town.lat, lng=town.lng, location_precision="chome")
    answer = kept(rm, b)
    shelters = next(r for r in answer["results"] if r["need"] == "避難所")
    assert shelters["matches"][0]["id"] == far.id and shelters["matches"][0]["distance_m"] == 0
    assert answer == fresh(rm, b)


def test_an_agency_without_its_area_leaves_the_team(writable):
    """The team's per-city keys (consultation_sites, serving) go when a ``covers`` edge goes."""
    store, rm = writable
    b, entry = _site_with(rm, IRUMA, lambda e: e.get("role") == "相談支援" and any(
        x.kind == "covers" for x in rm.out_edges(e["id"])))
    home = {a["id"] for a in kept(rm, b)["location"]["areas"]}
    elsewhere = next(a for a in sorted(rm.nodes(kind="area", city=IRUMA), key=lambda a: a.id) if a.id not in home)
    for edge in rm.out_edges(entry["id"], "covers"):
        store.delete_edge(edge.id, actor="t")
    store.create_edge(Edge(kind="covers", source=entry["id"], target=elsewhere.id, cite="public"), actor="t")
    answer = kept(rm, b)
    assert entry["id"] not in {t["id"] for t in answer["team"]}  # it answers for another area only
    assert answer == fresh(rm, b)


def test_a_redrawn_area_is_seen_in_a_sites_area(writable):
    """A site's area found from its point (``resource_areas``) is dropped with its city's areas."""
    store, rm = writable
    b, entry = _site_with(rm, FUCHU, lambda e: e.get("area_id") is not None and e.get("distance_m") is not None
                          and rm.node(e["id"]).area_id is None and not rm.out_edges(e["id"], "located_in"))
    b = {**b, "limit": 20}
    node = rm.node(entry["id"])
    town = nearest_chome(FUCHU, node.lat, node.lng).town
    area = rm.node(entry["area_id"])
    other = next(a for a in sorted(rm.nodes(kind="area", city=FUCHU), key=lambda a: a.id) if a.id != area.id)
    _edit(store, area, chome=[t for t in area.chome if t != town])
    _edit(store, rm.node(other.id), chome=[*other.chome, town])
    answer = kept(rm, b)
    assert {e["area_id"] for e in _entries(answer, entry["id"]) if "distance_m" in e} == {other.id}
    assert answer == fresh(rm, b)


def test_a_new_switchboard_number_is_seen_wherever_it_is_given(writable):
    """A 代表電話 inquiry reads the municipality through the city, not an edge: a municipality's change starts
    a fresh context."""
    store, rm = writable
    b, entry = _site_with(rm, FUCHU, lambda e: (e["inquiry"] or {}).get("via") == "代表電話")
    muni = next(rm.nodes(kind="municipality", city=FUCHU))
    _edit(store, muni, phone="042-335-4000")
    now = rm.node(muni.id).phone
    assert now != muni.phone
    answer = kept(rm, b)
    assert {e["inquiry"]["phone"] for e in _entries(answer, entry["id"])} == {now}
    assert answer == fresh(rm, b)


def test_a_sites_own_reasons_follow_an_edit_of_it_and_no_other(writable):
    """``site_texts`` (a match's reasons that depend on the site alone, :data:`NODE_DERIVED`) goes for the node a
    write touches and stays for the others: kept across the write, the entry would still say the old 定員."""
    store, rm = writable
    b, entry = _site_with(rm, FUCHU, lambda e: e.get("distance_m") is not None and e["kind"] == "place")
    answer = kept(rm, b)
    others = [e["id"] for r in answer["results"] for e in r["matches"] if e["id"] != entry["id"]]
    before = context_for(rm)
    assert ("site_texts", entry["id"]) in before._derived and others
    _edit(store, rm.node(entry["id"]), capacity=987)
    after = context_for(rm)
    assert after is not before and after._cities[FUCHU] is before._cities[FUCHU]  # carried, not rebuilt
    assert ("site_texts", entry["id"]) not in after._derived
    assert all(after._derived[("site_texts", o)] is before._derived[("site_texts", o)] for o in others)
    answer = kept(rm, b)
    assert {"定員987人" in e["reasons"] for e in _entries(answer, entry["id"]) if "reasons" in e
            and e.get("distance_m") is not None} == {True}
    assert answer == fresh(rm, b)
