"""What the matcher keeps per read-model revision must never change an answer, and must drop on a write.

Kept per revision (``MatchContext``): the candidate streams from a 町丁目's point (``nearby``, replayed to the
next request there) and their tables of catalogue-side facts (``ranking``), the site entries' graph part, the
coordinators, the team candidates of an area and those of a 町丁目's point for the categories asked. Each
test compares a request answered from what earlier requests left behind with the same request answered by a
fresh context (nothing kept), or checks that a write makes the next answer see it.
"""
from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from resourcemap.geo import load_chome
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.match import match_household, parse_request
from resourcemap.match.context import MatchContext, context_for
from resourcemap.match.retrieve import LRUMemo, Replay, ReplayCache
from resourcemap.match.scoring import WHOLE_POINT_PARTS
from resourcemap.model import Node, Targets

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
FUCHU = "13206"


def body(address: str | None = None, *, lat: float | None = None, lng: float | None = None, limit: int = 5,
         max_m: float = 2000) -> dict:
    loc = {"address": address} if address else {"lat": lat, "lng": lng}
    return {"city": FUCHU, "location": loc, "max_distance_m": max_m, "limit": limit,
            "members": [{"age": 45, "needs": ["ひきこもり", "居場所"]}, {"age": 80, "needs": ["介護予防"]}]}


def fresh(rm: ReadModel, b: dict) -> dict:
    """The answer with nothing kept: a new context for the same revision (the kept one is put back after)."""
    kept_context = rm.derived.get("match")
    rm.derived["match"] = MatchContext(rm, rm.revision)
    try:
        return match_household(rm, parse_request(b), now=NOW)
    finally:
        rm.derived["match"] = kept_context


def kept(rm: ReadModel, b: dict) -> dict:
    return match_household(rm, parse_request(b), now=NOW)


@pytest.fixture()
def writable(seeded_db, tmp_path):
    path = tmp_path / "catalogue.db"
    shutil.copy(seeded_db, path)
    store = SQLiteStore(path)
    yield store, ReadModel(store, follow=False)
    store.close()


def test_replayed_streams_answer_as_a_fresh_context(rm):
    towns = [c.town for c in load_chome(FUCHU)][::7][:12]
    # a short read first (limit 1, 500 m), then longer ones from the same streams and points
    for b in [body(t, limit=1, max_m=500) for t in towns] + [body(t, limit=1) for t in towns]:
        kept(rm, b)
    for t in towns:
        for b in (body(t), body(t, limit=1), body(t, limit=10, max_m=3000)):
            assert kept(rm, b) == fresh(rm, b)
            assert kept(rm, b) == fresh(rm, b)  # the second time all from the replay
    assert context_for(rm).streams_kept > 0


#: Other households at the same points: other needs (a synonym, sub-categories), ages, 分野 and session times.
OTHER_MEMBERS = [
    [{"age": 30, "needs": ["子育て", "学習支援"]}],
    [{"age": 17, "needs": ["8050", "居場所"], "times": [{"day": "SA", "start": "10:00", "end": "12:00"}]},
     {"age": 78, "needs": ["認知症"], "fields": ["障害"]}],
    [{"age": 45, "needs": ["居場所"]}, {"age": 80, "needs": ["介護予防", "ひきこもり"]}],
]


def test_kept_tables_and_team_candidates_are_keyed_by_point_and_categories(rm):
    """The candidate tables (``ranking``) and the team candidates of a point are kept by the point and the
    categories asked: with either keyed by the point alone, another household's needs at the same 町丁目 would
    be answered from the first one's candidates."""
    towns = [c.town for c in load_chome(FUCHU)][5::11][:6]
    rm.derived["match"] = ctx = MatchContext(rm, rm.revision)
    for t in towns:
        kept(rm, body(t))  # the first household at each point leaves its tables and team candidates
    for t in towns:
        for members in OTHER_MEMBERS:
            b = {**body(t), "members": members}
            assert kept(rm, b) == fresh(rm, b)
    assert len(ctx.derived(("candidate_tables",), lambda: None)) >= len(towns) * 3
    assert len(ctx.derived(("team_candidates_by_point",), lambda: None)) == len(towns) * 3  # 3 sets of categories


def test_kept_tables_score_by_the_day(writable):
    """A kept table keeps its rows' points besides distance by need, synonym, day and the household's areas: a
    household at the same point on another day, when a listed site's check is no longer fresh, is scored afresh."""
    store, rm = writable
    towns = [c.town for c in load_chome(FUCHU)][3::13][:4]
    listed = {e["id"] for t in towns for r in kept(rm, body(t))["results"] for e in r["matches"]}
    checked = (NOW - timedelta(days=200)).date()  # fresh (+5) now, not a year later
    for node_id in sorted(listed)[::2]:  # half of them: their order changes with the day
        store.update_node(rm.node(node_id).model_copy(update={"verified_at": checked}), actor="test")
    rm.refresh()
    later = NOW + timedelta(days=365)
    for t in towns:
        now_answer = kept(rm, body(t))  # the tables keep the points of today
        later_answer = match_household(rm, parse_request(body(t)), now=later)
        kept_context = rm.derived["match"]
        rm.derived["match"] = MatchContext(rm, rm.revision)
        try:
            assert later_answer == match_household(rm, parse_request(body(t)), now=later)
        finally:
            rm.derived["match"] = kept_context
        assert later_answer != now_answer


def test_score_parts_besides_distance_are_whole_points():
    """``ranking`` sums a candidate's parts but distance in any order and adds the distance's points: the same
    float as ``math.fsum`` of the six parts only while every other part is a whole number of points."""
    assert all(float(p).is_integer() for p in WHOLE_POINT_PARTS)


def test_lru_memo_builds_once_and_keeps_the_most_recently_used():
    memo: LRUMemo[str, list[str]] = LRUMemo(2)
    built = []
    for k in ("a", "b", "a", "c", "a", "b"):
        memo.get(k, lambda k=k: built.append(k) or [k])
    assert built == ["a", "b", "c", "b"] and len(memo) == 2
    assert memo.get("a", lambda: ["other"]) == ["a"]


def test_a_given_point_is_never_kept(rm):
    c = load_chome(FUCHU)[3]
    rm.derived["match"] = ctx = MatchContext(rm, rm.revision)
    kept(rm, body(lat=c.lat, lng=c.lng))
    assert ctx.streams_kept == 0  # a household's own lat/lng: nothing keyed by it
    assert len(ctx.derived(("candidate_tables",), lambda: LRUMemo(1))) == 0
    assert len(ctx.derived(("team_candidates_by_point",), lambda: LRUMemo(1))) == 0
    kept(rm, body(c.town))
    assert ctx.streams_kept == 3  # the 町丁目's public point: one stream per need


def test_a_write_is_seen_by_the_next_match(writable):
    """A new site at the household's 町丁目 point is the first match after the write. With the streams kept
    under a key that survived the write (not per revision) the second answer would not list it."""
    store, rm = writable
    c = load_chome(FUCHU)[10]
    before = kept(rm, body(c.town))
    assert kept(rm, body(c.town)) == before  # now answered from what the first one kept
    store.create_node(Node(id="test.new_ibasho", kind="place", name="新しい居場所", city=FUCHU, lat=c.lat, lng=c.lng,
                           location_precision="chome", categories=["ibasho"], targets=Targets(fields=["全世代"]),
                           source="public"), actor="test")
    rm.refresh()
    after = kept(rm, body(c.town))
    ibasho = next(r for r in after["results"] if r["need"] == "居場所")
    assert ibasho["matches"][0]["id"] == "test.new_ibasho"
    assert after == fresh(rm, body(c.town))


def test_a_write_is_seen_by_the_next_team(writable):
    """A new general counter at the household's 町丁目 point answering for every 分野 is the whole 相談支援 team
    after the write. With the team candidates kept under a key that survived the write, it would not be."""
    store, rm = writable
    c = load_chome(FUCHU)[10]
    before = kept(rm, body(c.town))
    assert kept(rm, body(c.town)) == before
    assert "test.new_counter" not in {t["id"] for t in before["team"]}
    store.create_node(Node(id="test.new_counter", kind="agency", name="新しい総合相談窓口", city=FUCHU, lat=c.lat,
                           lng=c.lng, location_precision="chome", categories=["consult.general"],
                           targets=Targets(fields=["高齢", "障害", "子ども", "困窮", "全世代"]), source="public"),
                      actor="test")
    rm.refresh()
    after = kept(rm, body(c.town))
    assert [t["id"] for t in after["team"] if t["role"] == "相談支援"] == ["test.new_counter"]
    assert after == fresh(rm, body(c.town))


def test_replay_yields_the_same_items_to_every_reader():
    reads = []

    def stream():
        for i in range(5):
            reads.append(i)
            yield i

    r = Replay(stream())
    first = iter(r)
    assert [next(first), next(first)] == [0, 1]
    assert list(r) == [0, 1, 2, 3, 4]
    assert list(first) == [2, 3, 4] and list(r) == [0, 1, 2, 3, 4]
    assert reads == [0, 1, 2, 3, 4]  # the underlying stream was read once


def test_replay_cache_keeps_the_most_recently_used():
    cache: ReplayCache[int] = ReplayCache(2)
    made = []

    def stream(k):
        def make():
            made.append(k)
            return iter([k])
        return make

    for k in ("a", "b", "a", "c", "a", "b"):
        cache.get(k, stream(k))
    assert made == ["a", "b", "c", "b"]  # "b" was dropped when "c" came (least recently used), "a" never
    assert len(cache) == 2


def test_lru_memo_bounded_by_weight_drops_the_least_recently_used():
    """With *weigh*, the memo holds at most *budget* in all — weighed again when a value is added, since a kept
    stream or table grows after it was built — and always the newest value, however heavy."""
    memo: LRUMemo[str, list[int]] = LRUMemo(100, weigh=len, budget=10)
    a = memo.get("a", lambda: [0] * 4)
    memo.get("b", lambda: [0] * 4)
    assert memo.keys() == ["a", "b"] and memo.weight() == 8
    a.extend([0] * 4)  # "a" grew after it was kept: 12 in all now
    memo.get("a", lambda: [1])  # a hit: nothing is weighed or dropped
    assert memo.keys() == ["b", "a"]
    memo.get("c", lambda: [0])  # a miss: 13 > 10, the least recently used ("b") goes
    assert memo.keys() == ["a", "c"] and memo.weight() == 9
    memo.get("d", lambda: [0] * 30)  # heavier than the budget alone: kept, everything older dropped
    assert memo.keys() == ["d"]
    carried = memo.kept()
    carried.get("e", lambda: [0])
    assert carried.keys() == ["e"] and carried.budget == 10  # a carried memo keeps the bounds


def test_replay_cache_bounded_by_items_read():
    cache: ReplayCache[int] = ReplayCache(100, budget=5)
    for k in range(3):
        list(cache.get(k, lambda k=k: iter(range(3))))  # 3 items read from each
    assert cache.keys() == [1, 2]  # weighed when 2 came (3 + 3 + 0 unread > 5): 0 dropped
    cache.get(3, lambda: iter(range(3)))
    assert cache.keys() == [2, 3]
    assert ReplayCache(100).kept().keys() == [] and len(ReplayCache(100, budget=5).kept()) == 0


def test_memos_bounded_by_weight_answer_as_a_fresh_context(rm, monkeypatch):
    """With bounds so small that requests drop what earlier ones kept (a quarter of what they keep unbounded),
    the answers are those of a fresh context, and what stays kept is within the bounds (but the newest value)."""
    from resourcemap.match import context as context_module
    from resourcemap.match import ranking, team

    listing = [t for t in dict.fromkeys(c.town for c in load_chome(FUCHU))
               if any(r["matches"] for r in fresh(rm, body(t))["results"])][:8]
    assert len(listing) == 8  # points where the seed catalogue lists sites: the memos hold rows

    def ask() -> MatchContext:
        rm.derived["match"] = ctx = MatchContext(rm, rm.revision)
        for t in listing + listing[::-1]:
            for members in [body(t)["members"], *OTHER_MEMBERS[:2]]:
                b = {**body(t), "members": members}
                assert kept(rm, b) == fresh(rm, b)
        return ctx

    memos = {"NEARBY_ROWS": (context_module, lambda c: c._nearby._replays),
             "TABLE_ROWS": (ranking, lambda c: c.derived(("candidate_tables",), lambda: None)),
             "TEAM_CANDIDATES": (team, lambda c: c.derived(("team_candidates_by_point",), lambda: None))}
    unbounded = ask()
    budgets = {name: memo_of(unbounded).weight() // 4 for name, (_, memo_of) in memos.items()}
    assert all(budgets.values()), budgets
    for name, (module, _) in memos.items():
        monkeypatch.setattr(module, name, budgets[name])
    bounded = ask()
    for name, (_, memo_of) in memos.items():
        memo, everything = memo_of(bounded), memo_of(unbounded)
        newest = memo.get(memo.keys()[-1], lambda: None)
        assert memo.weight() <= budgets[name] + len(newest), name
        assert len(memo) < len(everything), name  # the bound dropped some
