"""支援チーム: the exact smallest cover of the household's 分野, checked against brute force."""
from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.match.context import AreaInfo
from resourcemap.match.team import BUNYA_ORDER, TeamCandidate, TeamCandidates, agency_fields, min_cover
from resourcemap.model import Node, Targets

AREA = AreaInfo("a1", "白糸台福祉エリア", "福祉エリア", "白糸台")


def _agency(i: int, fields: list[str], program: str | None = None, categories: list[str] | None = None) -> Node:
    return Node(id=f"ag{i:02d}", kind="agency", name=f"機関{i}", city="13206", source="public", program=program,
                categories=categories or ["consult"], targets=Targets(fields=fields))


def _cand(i: int, fields: set[str], in_area: bool = False, dist: float = 100.0) -> TeamCandidate:
    return TeamCandidate(_agency(i, sorted(fields)), frozenset(fields), AREA if in_area else None, dist)


def test_exact_cover_beats_greedy_counterexample():
    """Greedy takes the largest set first ({高齢,子ども,困窮}) and needs three; two suffice."""
    universe = {"高齢", "障害", "子ども", "困窮", "全世代"}
    cands = [_cand(1, {"高齢", "障害"}), _cand(2, {"子ども", "困窮", "全世代"}), _cand(3, {"高齢", "子ども", "困窮"})]
    team = min_cover(universe, cands)
    assert sorted(c.node.id for c in team) == ["ag01", "ag02"]


def test_ties_prefer_the_household_area_then_distance():
    universe = {"高齢"}
    far_in_area = _cand(1, {"高齢"}, in_area=True, dist=3000)
    near_outside = _cand(2, {"高齢"}, dist=100)
    nearer_outside = _cand(3, {"高齢"}, dist=50)
    assert [c.node.id for c in min_cover(universe, [near_outside, far_in_area, nearer_outside])] == ["ag01"]
    assert [c.node.id for c in min_cover(universe, [near_outside, nearer_outside])] == ["ag03"]


def test_uncoverable_fields_are_left_out_not_fatal():
    team = min_cover({"高齢", "障害"}, [_cand(1, {"高齢"})])
    assert [c.node.id for c in team] == ["ag01"]
    assert min_cover({"障害"}, []) == []


def test_all_ages_counts_only_for_general_or_asked_for_counters():
    foreign = _agency(1, ["全世代"], categories=["consult.foreign"])
    general = _agency(2, ["全世代"], categories=["consult.general"])
    assert "全世代" not in agency_fields(foreign, offers_needed=False)
    assert "全世代" in agency_fields(foreign, offers_needed=True)
    assert "全世代" in agency_fields(general, offers_needed=False)
    assert agency_fields(_agency(3, [], program="1-i"), offers_needed=False) == {"高齢"}


@settings(max_examples=300, deadline=None)
@given(universe=st.sets(st.sampled_from(BUNYA_ORDER), min_size=1),
       sets=st.lists(st.tuples(st.sets(st.sampled_from(BUNYA_ORDER)), st.booleans(), st.integers(0, 5000)),
                     max_size=9))
def test_min_cover_is_minimum_against_brute_force(universe, sets):
    cands = [_cand(i, s, a, float(d)) for i, (s, a, d) in enumerate(sets)]
    team = min_cover(universe, cands)
    coverable = universe & set().union(*(c.fields for c in cands)) if cands else set()
    covered = set().union(*(c.fields for c in team)) & universe if team else set()
    assert covered == coverable, "covers every 分野 anyone can cover"
    assert len({c.node.id for c in team}) == len(team)
    smallest = next((k for k in range(len(cands) + 1)
                     for combo in itertools.combinations(cands, k)
                     if coverable <= set().union(set(), *(c.fields for c in combo))), 0)
    assert len(team) == smallest, "no smaller team exists"
    assert all(math.isfinite(c.distance_m) for c in team)


def _cover_reading_every_candidate(universe: set[str], candidates: list[TeamCandidate]) -> list[TeamCandidate]:
    """The cover as min_cover computed it before it read the best of each 分野 group only: every candidate's
    mask, the best of each mask by preference in order of first appearance, then the same search."""
    fields = sorted(universe, key=lambda f: (BUNYA_ORDER.index(f) if f in BUNYA_ORDER else 99, f))
    bit = {f: 1 << i for i, f in enumerate(fields)}
    best_of_mask: dict[int, TeamCandidate] = {}
    for c in candidates:
        mask = sum(bit[f] for f in c.fields if f in bit)
        if mask and (mask not in best_of_mask or c.preference < best_of_mask[mask].preference):
            best_of_mask[mask] = c
    return min_cover(universe, list(best_of_mask.values()))


@settings(max_examples=300, deadline=None)
@given(universe=st.sets(st.sampled_from(BUNYA_ORDER), min_size=1),
       sets=st.lists(st.tuples(st.sets(st.sampled_from(BUNYA_ORDER[:3]), max_size=2), st.booleans(),
                               st.integers(0, 3)), max_size=12))
def test_the_best_of_each_group_gives_the_team_of_every_candidate(universe, sets):
    """Many candidates share their 分野 (and ties in distance): the team from the best of each group — kept with
    the candidates (``TeamCandidates``) or found per call — is the one every candidate gives."""
    cands = [_cand(i, s, a, float(d)) for i, (s, a, d) in enumerate(sets)]
    expected = [c.node.id for c in _cover_reading_every_candidate(universe, cands)]
    assert [c.node.id for c in min_cover(universe, cands)] == expected
    assert [c.node.id for c in min_cover(universe, TeamCandidates(cands))] == expected


# -- which agencies serve a household: consultation_agencies against a scan of every agency ------------------
HOME = (35.6700, 139.4800)
HOUSEHOLD_AREAS = tuple(AreaInfo(f"area{k}", f"地区{k}", "地区", f"地区{k}") for k in range(3))
OTHER_AREA = "area9"  # an area of the city the household is never in
MUNI = "muni.13206"
CONSULT_CATEGORIES = ["consult", "consult.child", "consult.general", "consult.foreign", "consult.elderly"]


def _serving_oracle(agencies: list[Node], scopes: dict[str, list[str]], areas: tuple[AreaInfo, ...],
                    muni_id: str | None, needed: dict[str, str]) -> list[TeamCandidate]:
    """The module doc's rule read literally, agency by agency in id order: one that covers nothing is city-wide;
    one that covers an area of the household answers for the first such (by id), else it serves only when it
    covers the municipality."""
    from resourcemap.geo import haversine_m

    out = []
    for node in sorted(agencies, key=lambda n: n.id):
        scope = sorted(scopes[node.id])
        mine = [t for t in scope if t in {a.id for a in areas}]
        if scope and not mine and muni_id not in scope:
            continue
        offers = tuple(dict.fromkeys(needed[c] for c in node.categories if c in needed))
        dist = haversine_m(HOME[0], HOME[1], node.lat, node.lng) if node.lat is not None else math.inf
        out.append(TeamCandidate(node, agency_fields(node, bool(offers)),
                                 next(a for a in areas if a.id == mine[0]) if mine else None, float(dist), offers))
    return out


def _kept_oracle(serving: list[TeamCandidate]) -> list[TeamCandidate]:
    """The candidates consultation_agencies keeps of *serving*, by its doc: every one offering a need, and of the
    others the nearest (then by id) of each group with the same 分野, in the area or not, statutory or not."""
    best: dict[tuple, TeamCandidate] = {}
    for c in serving:
        group = (c.fields, c.in_area is None, c.statutory)
        if not c.offers and (group not in best or (c.distance_m, c.node.id) < (best[group].distance_m,
                                                                                best[group].node.id)):
            best[group] = c
    return sorted([c for c in serving if c.offers] + list(best.values()), key=lambda c: c.node.id)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_consultation_agencies_serve_as_a_scan_of_every_agency_says(data):
    """The per-city columns and each household-area set's positions into them (``_CitySites``, ``_Serving``)
    give the team, and every agency offering what was asked, that a scan of every agency gives."""
    from resourcemap.graph.readmodel import ReadModel
    from resourcemap.match.context import MatchContext
    from resourcemap.match.team import consultation_agencies
    from resourcemap.model import Edge

    n = data.draw(st.integers(0, 14))  # few 分野 below: alike agencies, so groups with more than one
    agencies, edges, scopes = [], [], {}
    targets = [a.id for a in HOUSEHOLD_AREAS] + [OTHER_AREA, MUNI]
    for i in range(n):
        placed = data.draw(st.booleans())
        node = Node(id=f"ag{i:02d}", kind=data.draw(st.sampled_from(["agency", "hub"])), name=f"機関{i}",
                    city="13206", source="public",
                    program=data.draw(st.sampled_from([None, None, "1-ro", "1-ni", "5"])),
                    categories=data.draw(st.lists(st.sampled_from(CONSULT_CATEGORIES), min_size=1, max_size=2,
                                                  unique=True)),
                    targets=Targets(fields=sorted(data.draw(st.sets(st.sampled_from(BUNYA_ORDER[:2]), max_size=1)))),
                    lat=HOME[0] + data.draw(st.integers(-20, 20)) / 1000 if placed else None,
                    lng=HOME[1] + data.draw(st.integers(-20, 20)) / 1000 if placed else None,
                    location_precision="address" if placed else "none")
        agencies.append(node)
        scopes[node.id] = data.draw(st.one_of(st.just([]), st.lists(st.sampled_from(targets), max_size=2, unique=True)))
        edges += [Edge(id=f"e.{node.id}.{t}", kind="covers", source=node.id, target=t) for t in scopes[node.id]]
    places = [Node(id=a.id, kind="area", name=a.name, city="13206", source="public", level=a.level)
              for a in HOUSEHOLD_AREAS]
    places += [Node(id=OTHER_AREA, kind="area", name="地区9", city="13206", source="public", level="地区"),
               Node(id=MUNI, kind="municipality", name="府中市", city="13206", source="public")]
    ctx = MatchContext(ReadModel.from_objects([*places, *agencies], edges), 0)

    areas = tuple(a for a in HOUSEHOLD_AREAS if data.draw(st.booleans()))
    muni_id = data.draw(st.sampled_from([MUNI, None]))
    needed = data.draw(st.sampled_from([{}, {"consult.child": "子育て", "consult": "相談"},
                                        {"consult.foreign": "外国人相談", "consult.general": "総合相談"}]))
    universe = data.draw(st.sets(st.sampled_from(BUNYA_ORDER), min_size=1))
    oracle = _serving_oracle(agencies, scopes, areas, muni_id, needed)

    def summary(team: list[TeamCandidate]) -> list[tuple]:
        return [(c.node.id, c.fields, c.in_area, c.distance_m, c.offers) for c in team]

    for public_point in (False, True, True):  # the kept candidates answer as the built ones
        got = consultation_agencies(ctx, "13206", areas, muni_id, *HOME, needed, public_point=public_point)
        assert summary(min_cover(universe, got)) == summary(min_cover(universe, oracle))
        assert summary(list(got)) == summary(_kept_oracle(oracle))
