"""支援チーム: the fewest consultation agencies that together cover every member's 分野, plus the
coordinator of the household's area.

Why an exact cover and not greedy: a household has at most five 分野 (高齢, 障害, 子ども, 困窮,
全世代), so agencies collapse into at most 31 distinct "which of the needed 分野 do I cover"
masks, and the true minimum over 2⁵ coverage states costs a few hundred steps — less than
greedy's bookkeeping on the full list. Greedy can also be wrong here: with needs {A,B,C,D,E}
and agencies {A,B}, {C,D,E}, {A,C,D} it may pick {A,C,D} first and end with three agencies
where two suffice (``tests/unit/test_match_team.py`` checks this case and, against brute
force, random ones). Among equally small teams the one with more agencies responsible for
the household's own area, then the shorter total distance, then ids, wins.

A consultation agency is an ``agency``/``hub`` that offers a 相談支援 category or carries
program 1-i … 1-ni or 5. It serves the household when it ``covers`` one of the household's
areas or the municipality; one that covers nothing serves the area it is stated to be in
(``area_id``/``located_in``: a 地区センター); a site of an area-bound programme (地域包括支援センター, 1-i:
each centre has its 担当圏域) that states neither serves the area its point lies in — the catalogue's best
knowledge until the municipality's 担当区域 table is imported as ``covers`` edges; one with none of these is a
city-wide counter. Each team entry carries the agency's contact fields; an agency without a site of its own
(the plan's programme placed at the city's point) is named with the programme that has no registered site. It answers for the
分野 in its targets and its program's 分野 — but for 全世代 only when it is a general counter
(総合相談, 多機関協働) or offers what the household asked for: a 全世代 外国人相談 is on the team
of a 外国人住民 household, not of every household with an adult member.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Iterable, Sequence

import numpy as np

from ..geo import haversine_m
from ..model import BUNYA_OF_CODE, Node, is_placed
from ..taxonomy import load_taxonomy
from .context import CONSULT_PROGRAMS, WHOLE_CITY_LEVEL, AreaInfo, MatchContext, positions_by_category, shared_set
from .retrieve import LRUMemo

__all__ = ["TeamCandidate", "TeamCandidates", "ConsultationSite", "min_cover", "consultation_sites", "consultation_agencies",
           "suggest_team", "BUNYA_ORDER"]

BUNYA_ORDER = ("高齢", "障害", "子ども", "困窮", "全世代")
#: Programmes whose sites each answer for an area of their own (地域包括支援センター: 担当圏域).
AREA_BOUND_PROGRAMS = frozenset({"1-i"})
PROGRAM_LABEL = {"1-i": "地域包括支援センターの運営", "1-ro": "障害者相談支援事業", "1-ha": "利用者支援事業",
                 "1-ni": "自立相談支援事業", "5": "多機関協働事業"}


@dataclass(frozen=True)
class TeamCandidate:
    node: Node
    fields: frozenset[str]
    in_area: AreaInfo | None      # the household area it covers, when it covers one by name
    distance_m: float             # from the household (inf when not placed)
    offers: tuple[str, ...] = ()  # labels of the household's needs it offers

    @property
    def statutory(self) -> bool:
        """A 包括的相談支援/多機関協働 counter of the law (program 1-i … 1-ni, 5)."""
        return self.node.program in CONSULT_PROGRAMS

    @cached_property
    def penalty(self) -> tuple[int, int, int, float]:
        """Smaller is better: outside the area, needs not offered, not statutory, distance (computed once: a
        revision keeps the candidates of a public point)."""
        d = self.distance_m if math.isfinite(self.distance_m) else 1e9
        return (self.in_area is None, -len(self.offers), not self.statutory, d)

    @cached_property
    def preference(self) -> tuple:
        return (*self.penalty, self.node.id)


def min_cover(universe: Iterable[str], candidates: Sequence[TeamCandidate]) -> list[TeamCandidate]:
    """A smallest list of *candidates* whose fields cover every coverable member of *universe*.

    Ties: more candidates responsible for the household's area, then less total distance, then ids.
    """
    fields = sorted(set(universe), key=lambda f: (BUNYA_ORDER.index(f) if f in BUNYA_ORDER else 99, f))
    bit = {f: 1 << i for i, f in enumerate(fields)}
    best_of_mask: dict[int, TeamCandidate] = {}  # by the fields it covers: the best, in order of first appearance
    preference_of_mask: dict[int, tuple] = {}
    for c in (candidates.best_of_fields if isinstance(candidates, TeamCandidates) else _best_of_fields(candidates)):
        mask = sum(bit[f] for f in c.fields if f in bit)
        if not mask:
            continue
        pref = c.preference
        if mask not in best_of_mask or pref < preference_of_mask[mask]:
            best_of_mask[mask], preference_of_mask[mask] = c, pref
    penalty_of_mask = {mask: c.penalty for mask, c in best_of_mask.items()}
    reachable = 0
    for mask in best_of_mask:
        reachable |= mask
    # cost of a team: (size, summed penalties, ids) — compared as tuples, smaller is better
    zero = (0, (0, 0, 0, 0.0), ())
    best: dict[int, tuple[tuple, tuple[int, ...]]] = {0: (zero, ())}
    changed = True
    while changed:
        changed = False
        for state, (cost, chosen) in list(best.items()):
            for mask, c in best_of_mask.items():
                if mask & ~state == 0:
                    continue
                new_state = state | mask
                p, q = cost[1], penalty_of_mask[mask]
                pen = (p[0] + q[0], p[1] + q[1], p[2] + q[2], p[3] + q[3])  # TeamCandidate.penalty's four parts
                new_cost = (cost[0] + 1, pen, tuple(sorted((*cost[2], c.node.id))))
                if new_state not in best or new_cost < best[new_state][0]:
                    best[new_state] = (new_cost, (*chosen, mask))
                    changed = True
    team = [best_of_mask[m] for m in best[reachable][1]]
    return sorted(team, key=lambda c: (min(BUNYA_ORDER.index(f) for f in c.fields if f in BUNYA_ORDER)
                                       if c.fields & set(BUNYA_ORDER) else 99, c.node.id))


def _best_of_fields(candidates: Iterable[TeamCandidate]) -> tuple[TeamCandidate, ...]:
    """The best (:attr:`TeamCandidate.preference`) of each group of candidates with the same fields, in order of
    the group's first candidate: all :func:`min_cover` reads (its masks, their order and their best are theirs)."""
    first: dict[frozenset[str], TeamCandidate] = {}
    for c in candidates:
        if c.fields not in first or c.preference < first[c.fields].preference:
            first[c.fields] = c
    return tuple(first.values())


class TeamCandidates(tuple[TeamCandidate, ...]):
    """The team candidates of a household (:func:`consultation_agencies`), with what :func:`min_cover` reads of
    them kept beside them (a revision keeps the candidates of a public point)."""

    @cached_property
    def best_of_fields(self) -> tuple[TeamCandidate, ...]:
        return _best_of_fields(self)


@lru_cache(maxsize=1)
def _consult_categories() -> frozenset[str]:
    return frozenset(load_taxonomy().descendants("consult"))


#: Categories (and program 5) that make a counter a general one, answering for 全世代.
GENERAL_CATEGORIES = frozenset({"consult.general", "network.multi_agency"})


def agency_fields(node: Node, offers_needed: bool) -> frozenset[str]:
    """The 分野 an agency answers for (see the module doc for 全世代)."""
    out: set[str] = set(node.targets.fields)
    if node.program in BUNYA_OF_CODE:
        out.add(BUNYA_OF_CODE[node.program])
    if not out:
        tax = load_taxonomy()
        out.update(tax.get(c).fields[0] for c in node.categories if c in tax and tax.get(c).fields)
    general = node.program == "5" or bool(GENERAL_CATEGORIES.intersection(node.categories))
    if "全世代" in out and not (general or offers_needed):
        out.discard("全世代")
    return shared_set(out)


def is_consultation_agency(node: Node) -> bool:
    return (node.kind in ("agency", "hub") and node.status == "active"
            and (node.program in CONSULT_PROGRAMS or bool(_consult_categories().intersection(node.categories))))


def delivers_area_bound(ctx: MatchContext, node: Node) -> bool:
    """True when *node* is a site of an area-bound programme (its own code, or a programme it implements)."""
    return node.program in AREA_BOUND_PROGRAMS or any(p.program in AREA_BOUND_PROGRAMS for p in ctx.programs(node))


def seat_areas(ctx: MatchContext, node: Node) -> frozenset[str]:
    """The areas (below 市全域) a placed site of an area-bound programme lies in, when nothing states its scope."""
    if not is_placed(node) or not delivers_area_bound(ctx, node):
        return frozenset()
    return frozenset(a for a in ctx.resource_areas(node)
                     if (info := ctx.area(a)) is not None and info.level != WHOLE_CITY_LEVEL)


@dataclass(frozen=True, slots=True)
class ConsultationSite:
    """What a match needs of one consultation agency that does not depend on the household: computed once per
    read-model revision (:meth:`MatchContext.derived`) instead of for every agency of the city on every request
    (slotted, its sets shared: a city of a national catalogue has tens of thousands)."""
    node: Node
    scope: tuple[str, ...]                # the areas (or municipality) it answers for, sorted; () = city-wide
    fields_plain: frozenset[str]          # agency_fields(node, offers_needed=False)
    fields_offering: frozenset[str]       # agency_fields(node, offers_needed=True)


@dataclass(frozen=True, slots=True)
class _CitySites:
    """The consultation sites of a city (:func:`consultation_sites`) with the columns every household's
    :class:`_Serving` reads: one per city and revision, shared by every set of household areas."""
    sites: tuple[ConsultationSite, ...]   # by id
    lats: np.ndarray                      # per site, its point (NaN without one)
    lngs: np.ndarray
    offering: dict[str, np.ndarray]       # category → the sites offering it (positions, ascending)


def consultation_sites(ctx: MatchContext, city: str) -> tuple[ConsultationSite, ...]:
    """The consultation agencies of *city* with their scope and 分野, by id (kept for the read model's revision)."""
    return _city_sites(ctx, city).sites


def _city_sites(ctx: MatchContext, city: str) -> _CitySites:
    def build() -> _CitySites:
        sites = tuple(ConsultationSite(node, tuple(sorted(ctx.covered_targets(node.id) or ctx.stated_areas(node)
                                                          or seat_areas(ctx, node))),
                                       agency_fields(node, False), agency_fields(node, True))
                      for node in ctx.city_agencies(city) if is_consultation_agency(node))
        return _CitySites(sites,
                          np.array([s.node.lat if s.node.located else np.nan for s in sites], dtype=np.float64),
                          np.array([s.node.lng if s.node.located else np.nan for s in sites], dtype=np.float64),
                          {c: np.array(at, dtype=np.int32)
                           for c, at in positions_by_category(s.node.categories for s in sites).items()})
    return ctx.derived(("consultation_sites", city), build)


def consultation_agencies(ctx: MatchContext, city: str, areas: Sequence[AreaInfo], muni_id: str | None,
                          lat: float, lng: float, needed: dict[str, str] | None = None, *,
                          public_point: bool = False) -> TeamCandidates:
    """Consultation agencies of *city* that serve a household in *areas* (see the module doc) and could make
    its team: every one offering a needed category, and of the others the best (nearest, then by id) of each
    group of alike ones — same 分野, in the household's area or not, statutory or not — since :func:`min_cover`
    would never choose another of a group over its best.

    *needed* maps every category id the household asked for (with its sub-categories) to the
    label of the need, so that an agency offering one of them is preferred and named for it.
    With *public_point* (the household is located at a 町丁目's or town's public point) the candidates are kept
    for the read model's revision by that point and the categories asked — catalogue-side inputs only (a tuple,
    shared by the requests there).
    """
    needed = needed or {}
    areas = tuple(areas)
    serving = _serving(ctx, city, areas, muni_id)

    def build() -> TeamCandidates:
        city_sites = serving.city
        dists = np.full(len(serving.at), np.inf)
        if len(serving.placed):
            points = serving.at[serving.placed]
            dists[serving.placed] = haversine_m(lat, lng, city_sites.lats[points], city_sites.lngs[points])
        offering = sorted({int(i) for c in needed if (at := city_sites.offering.get(c)) is not None
                           for i in serving.position[at] if i >= 0})
        # the best of each group of the others: by group, then distance, then position (the sites are in id order)
        group = serving.group.copy()
        group[offering] = -1  # each offering site is a candidate of its own
        ranked = np.lexsort((np.arange(len(group)), dists, group))
        heads = np.flatnonzero(np.diff(group[ranked], prepend=-2))
        best_of_group = [int(i) for i in ranked[heads] if group[i] >= 0]
        out = []
        for i in sorted((*best_of_group, *offering)):
            site = city_sites.sites[serving.at[i]]
            k = int(serving.area_at[i])
            offers = tuple(dict.fromkeys(needed[c] for c in site.node.categories if c in needed))
            out.append(TeamCandidate(site.node, site.fields_offering if offers else site.fields_plain,
                                     areas[k] if k >= 0 else None, float(dists[i]), offers))
        return TeamCandidates(out)

    if not public_point:
        return build()
    kept = ctx.derived(("team_candidates_by_point",),
                       lambda: LRUMemo[tuple, TeamCandidates](TEAM_POINTS, weigh=len, budget=TEAM_CANDIDATES))
    return kept.get((city, areas, muni_id, lat, lng, frozenset(needed.items())), build)


#: How many (household point, needs asked) team candidate lists a revision keeps, the least recently used dropped.
TEAM_POINTS = 4096
#: ... holding at most this many candidates in all (≈ 650 bytes each; on 1,000,000 resources one point's list can
#: hold 50,000, see :class:`~.retrieve.LRUMemo`).
TEAM_CANDIDATES = 15_000


@dataclass(frozen=True, slots=True)
class _Serving:
    """The consultation sites serving a household in some areas (:func:`_serving`), as positions in the city's
    :class:`_CitySites` — a few bytes a site, where a set of household areas' own copy of the sites was ~150."""
    city: _CitySites
    at: np.ndarray          # the city positions of the serving sites, ascending (so by id)
    area_at: np.ndarray     # per serving site, the position in the household's areas of the one it answers for; -1 none
    placed: np.ndarray      # positions (in ``at``) of the sites with a point
    group: np.ndarray       # per serving site, its group of alike sites (same 分野, in area, statutory)
    position: np.ndarray    # per city site, its position in ``at`` (-1 when it does not serve)


def _serving(ctx: MatchContext, city: str, areas: tuple[AreaInfo, ...], muni_id: str | None) -> _Serving:
    """Each consultation site serving a household in *areas*, with the area of the household it answers for —
    the same for every household of these areas, so kept for the read model's revision."""
    def build() -> _Serving:
        city_sites = _city_sites(ctx, city)
        position_of_area = {a.id: k for k, a in enumerate(areas)}
        at: list[int] = []
        area_at: list[int] = []
        group: list[int] = []
        groups: dict[tuple, int] = {}
        for p, site in enumerate(city_sites.sites):
            scope = site.scope
            k = next((position_of_area[t] for t in scope if t in position_of_area), -1)
            if scope and k < 0 and muni_id not in scope:
                continue  # it answers for other areas only
            at.append(p)
            area_at.append(k)
            group.append(groups.setdefault((site.fields_plain, k < 0, site.node.program in CONSULT_PROGRAMS),
                                           len(groups)))
        positions = np.array(at, dtype=np.int32)
        position = np.full(len(city_sites.sites), -1, dtype=np.int32)
        position[positions] = np.arange(len(positions), dtype=np.int32)
        return _Serving(city_sites, positions, np.array(area_at, dtype=np.int32),
                        np.flatnonzero(~np.isnan(city_sites.lats[positions])), np.array(group, dtype=np.int64), position)
    return ctx.derived(("serving", city, areas, muni_id), build)


def _agency_reason(c: TeamCandidate, members_of: dict[str, list[int]], covered: Iterable[str]) -> str:
    fields = [f for f in BUNYA_ORDER if f in set(covered)]
    who = sorted({m for f in fields for m in members_of.get(f, [])})
    specific = [f for f in fields if f != "全世代"]
    if not specific:
        text = "分野を問わない相談窓口"
    else:
        text = f"{'・'.join(specific)}の相談窓口" + ("（分野を問わない相談も）" if "全世代" in fields else "")
    if c.node.program in PROGRAM_LABEL:
        text += f"（{PROGRAM_LABEL[c.node.program]}）"
    if c.offers:
        text += f"。{'・'.join(c.offers)}に対応"
    if c.in_area is not None:
        text += f"。{c.in_area.name}を担当"
    if who:
        text += "。対象: " + "・".join(f"メンバー{m + 1}" for m in who)
    return text


def _no_site_note(ctx: MatchContext, node: Node) -> str:
    """「。…の施設（所在地・連絡先）が未登録」: which programme has no registered site behind this agency."""
    names = [p.name for p in ctx.programs(node)] or ([PROGRAM_LABEL[node.program]] if node.program in PROGRAM_LABEL
                                                      else [node.name])
    return f"。{'・'.join(names)}の施設（所在地・連絡先）が未登録です。担当の施設を市に確認してください"


def suggest_team(ctx: MatchContext, city: str, areas: Sequence[AreaInfo], muni_id: str | None,
                 lat: float, lng: float, members_of: dict[str, list[int]],
                 needed: dict[str, str] | None = None,
                 dataset_dates: Mapping[str, date] | None = None, *,
                 public_point: bool = False) -> tuple[list[dict], list[str], list[dict]]:
    """(team entries, 分野 nobody covers, coordinators) for the household.

    Each agency entry carries :meth:`MatchContext.site_entry` (contacts, programmes, provenance) and
    ``registered_site``: False when the agency has no site of its own, which its ``reason`` then says.
    *public_point*: see :func:`consultation_agencies`."""
    universe = set(members_of)
    team = min_cover(universe, consultation_agencies(ctx, city, areas, muni_id, lat, lng, needed,
                                                     public_point=public_point))
    covered: set[str] = set()
    entries = []
    for c in team:
        mine = (c.fields & universe) - covered
        covered |= c.fields & universe
        reason = _agency_reason(c, members_of, mine or (c.fields & universe))
        entries.append(_entry(ctx, c.node, dataset_dates, [f for f in BUNYA_ORDER if f in c.fields],
                              reason if is_placed(c.node) else reason + _no_site_note(ctx, c.node), "相談支援"))
    uncovered = [f for f in BUNYA_ORDER if f in universe - covered] + sorted(universe - covered - set(BUNYA_ORDER))
    coords = coordinators(ctx, areas, muni_id)
    team_coords = [c for c in coords if c["scope"] == "area"] or coords
    for coord in team_coords:
        entries.append(_entry(ctx, ctx.rm.node(coord["id"]), dataset_dates, coord["fields"], coord["reason"],
                              "コーディネーター"))
    return entries, uncovered, coords


def _entry(ctx: MatchContext, node: Node, dataset_dates: Mapping[str, date] | None, fields: list[str], reason: str,
           role: str) -> dict:
    """A team entry: the node's :meth:`~MatchContext.site_entry`, its point when it has a site of its own
    (``registered_site``), the 分野 it answers for, why it is on the team and its role."""
    placed = is_placed(node)
    entry = ctx.site_entry(node, dataset_dates or {})  # a new dict: completed in place
    entry.update(fields=fields, reason=reason, role=role, registered_site=placed, lat=node.lat if placed else None,
                 lng=node.lng if placed else None)
    return entry


def coordinators(ctx: MatchContext, areas: Sequence[AreaInfo], muni_id: str | None) -> list[dict]:
    """Coordinators covering the household's areas (most specific first), then the municipality — each a new dict
    (the graph facts are kept for the read model's revision; their ``fields`` lists are shared: read only)."""
    return [dict(c) for c in ctx.derived(("coordinators", tuple(areas), muni_id),
                                         lambda: _coordinators(ctx, areas, muni_id))]


def _coordinators(ctx: MatchContext, areas: Sequence[AreaInfo], muni_id: str | None) -> tuple[dict, ...]:
    out: list[dict] = []
    seen: set[str] = set()
    for area in areas:
        for n in ctx.coverers(area.id, frozenset({"coordinator"})):
            if n.id not in seen:
                seen.add(n.id)
                out.append({"id": n.id, "name": n.name, "role": n.role, "scope": "area", "area_id": area.id,
                            "fields": [f for f in BUNYA_ORDER if f in n.targets.fields],
                            "reason": f"{area.name}を担当する{n.role or 'コーディネーター'}"})
    for n in ctx.coverers(muni_id, frozenset({"coordinator"})) if muni_id else []:
        if n.id not in seen:
            seen.add(n.id)
            out.append({"id": n.id, "name": n.name, "role": n.role, "scope": "city", "area_id": None,
                        "fields": [f for f in BUNYA_ORDER if f in n.targets.fields],
                        "reason": f"市全域を担当する{n.role or 'コーディネーター'}"})
    return tuple(out)
