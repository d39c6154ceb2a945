"""参加支援 matching: a household's needs → eligible resources nearby, ranked and explained.

Why this order of work: everything that can fail on bad input (city, address, need terms) is
resolved first, so a request either fails whole with a Japanese message or runs to the end.
Then, per member × need, candidates stream out of the category KD-trees nearest first
(:mod:`.retrieve`), hard filters drop the ineligible (:mod:`.eligibility`), the rest are
scored (:mod:`.scoring`), and reading stops as soon as no farther candidate could enter the
top ``limit``. The 支援チーム and the area's coordinator come from the graph (:mod:`.team`);
needs with nothing in range are counted (:mod:`.unmet`) — and nothing else is kept.

Walking speed: 80 m/min (the Japanese 徒歩 convention), 60 m/min (1.0 m/s) for members aged
75 and over — see docs/matching.md for why — unless the request gives a speed.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from ..cities import resolve_city
from ..errors import InputError, NotFound, ValidationFailed
from ..geo import WALK_SPEED_M_PER_MIN, chome_by_name, geocode, nearest_chome, walk_minutes
from ..geo.boundaries import municipalities_at
from ..graph.readmodel import ReadModel
from ..opendata.listing import attributions
from ..queries import readmodel_cities
from ..taxonomy import Resolution, load_taxonomy
from .context import SHARED_POINT_PRECISIONS, AreaInfo, MatchContext, context_for
from .eligibility import MemberProfile, eligible, fits_targets, member_fields
from .locate import Place, locate_household
from .ranking import rank_sites
from .request import MatchRequest, MemberIn, UnmetRecord
from .scoring import SiteTexts, score_match
from .team import BUNYA_ORDER, suggest_team
from .unmet import JST, UnmetKey, UnmetLog, age_band, month_of

__all__ = ["match_household", "unmet_cells", "request_city_code", "walk_speed_for", "WALK_SPEED", "SENIOR_WALK_SPEED", "SENIOR_AGE"]

WALK_SPEED = WALK_SPEED_M_PER_MIN  # 80 m/min, 不動産の表示に関する公正競争規約
SENIOR_WALK_SPEED = 60.0  # m/min = 1.0 m/s
SENIOR_AGE = 75


def walk_speed_for(member: MemberIn) -> float:
    if member.walk_speed_m_per_min is not None:
        return float(member.walk_speed_m_per_min)
    if member.age is not None and member.age >= SENIOR_AGE:
        return SENIOR_WALK_SPEED
    return WALK_SPEED


@dataclass(frozen=True)
class _Household:
    place: Place
    areas: tuple[AreaInfo, ...]
    municipality_id: str | None

    @property
    def area_id(self) -> str | None:
        """The household's area of the primary level (``areas`` is sorted that way)."""
        return self.areas[0].id if self.areas else None


def request_city_code(name: str) -> str:
    """The 5-digit code of a city named in a request; an unknown one is an :class:`InputError` (422)."""
    try:
        return resolve_city(name).code
    except NotFound as exc:  # in a request body an unknown city is bad input, not a missing page
        raise InputError(exc.detail) from None


def _request_city(rm: ReadModel, req: MatchRequest) -> str:
    """The request's municipality: the one named (read against the catalogue's), else the one the
    address or point is in among the catalogue's municipalities (the prefix is optional when the
    catalogue holds one; several that share the name are an error listing them)."""
    held = readmodel_cities(rm)
    if req.city:
        try:
            return resolve_city(req.city, among=held).code
        except NotFound as exc:  # in a request body an unknown city is bad input, not a missing page
            raise InputError(exc.detail) from None
    if req.location.address:
        return geocode(req.location.address, scope=held).city
    found = municipalities_at(float(req.location.lat), float(req.location.lng), among=held)  # type: ignore[arg-type]
    if not found:
        raise InputError("指定された緯度経度はカタログのどの市区町村にもありません。city を指定するか座標を確認してください。")
    return found[0]


def _household(ctx: MatchContext, req: MatchRequest) -> _Household:
    code = _request_city(ctx.rm, req)
    place = locate_household(code, req.location)
    chome = place.chome or nearest_chome(code, place.lat, place.lng).town  # a town: its centroid's cell
    areas = ctx.areas_at(code, chome)
    return _Household(place, areas, ctx.city(code).municipality_id)


def _resolve_needs(req: MatchRequest) -> list[list[Resolution]]:
    tax = load_taxonomy()
    return [[tax.resolve(term) for term in m.needs] for m in req.members]


def _rank_need(ctx: MatchContext, hh: _Household, member: MemberIn, res: Resolution, cats: set[str],
               who: MemberProfile, speed: float, limit: int, max_m: float, today: date,
               dataset_dates: Mapping[str, date]) -> list[dict[str, Any]]:
    """The top *limit* sites for one need: placed (a point of their own), eligible, within *max_m*, by score.

    Candidates are ranked by their points alone (:func:`.ranking.rank_sites`); the reasons, walking minutes
    and entries are built for the sites that make the list only."""
    top = rank_sites(ctx, hh.place, hh.areas, res, cats, who, member.times, speed, limit, max_m, today)
    # the reasons and entries (contacts, operator, programmes) only for the sites that made the list
    out = []
    for site in top:
        node, d, areas = site.node, site.distance_m, site.areas
        minutes = walk_minutes(d, speed)
        scored = score_match(node, site.fit, d, speed, minutes, site.same_area, member.times, today,
                             ctx.derived(("site_texts", node.id), partial(SiteTexts.of, node)))
        entry = ctx.site_entry(node, dataset_dates)  # a new dict: completed in place
        entry.update(lat=node.lat, lng=node.lng, distance_m=round(d, 1), walk_min=minutes, score=scored.score,
                     score_parts=scored.parts, reasons=scored.reasons,
                     area_id=node.area_id or (min(areas) if areas else None), categories=list(node.categories))
        out.append(entry)
    return out


def _profile(member: MemberIn, res: Resolution, hh: _Household) -> MemberProfile:
    return MemberProfile(member.age, member_fields(member.fields, member.age), frozenset(res.category.fields),
                         hh.place.city)


#: Why an unplaced resource is listed, by how it is placed.
_UNPLACED_REASON = {"city": "所在地未登録（市全域の事業として登録。実施場所・利用方法を確認してください）",
                    "none": "所在地未登録（利用方法・場所を確認してください）"}
#: A programme (事業) of the plan that no registered resource delivers yet.
_PROGRAMME_REASON = "計画にある事業（実施する施設・団体は未登録。所管課に確認してください）"


def _unplaced(ctx: MatchContext, hh: _Household, res: Resolution, cats: set[str], who: MemberProfile,
              dataset_dates: Mapping[str, date]) -> list[dict[str, Any]]:
    """Every eligible resource for the need without a site of its own (所在地未登録: no point, or only the
    city's) — a programme with no registered site, a phone or visiting service, a metropolitan one — and
    every programme (事業 node) of the plan that no registered resource delivers yet. They
    cannot be ranked by distance, so they are listed beside the matches — never inside them, never
    dropped for being far, and they do not make a need "met"; the reason says what to check."""
    out = []
    offered = f"{res.category.label}に該当"
    for node in ctx.unplaced_offering(hh.place.city, cats):
        programme = node.kind == "program"
        if not (fits_targets(node, who) if programme else eligible(node, who, located=False)):
            continue
        why = _PROGRAMME_REASON if programme else _UNPLACED_REASON.get(node.location_precision, _UNPLACED_REASON["none"])
        entry = ctx.site_entry(node, dataset_dates)  # a new dict: completed in place
        entry["reasons"] = [offered, why]
        out.append(entry)
    return out


def _members_of_fields(req: MatchRequest, resolved: list[list[Resolution]]) -> dict[str, list[int]]:
    """分野 → member indices: given or age-inferred 分野, else each need's main 分野, else 全世代."""
    out: dict[str, list[int]] = {}
    for i, (m, needs) in enumerate(zip(req.members, resolved)):
        fields = set(member_fields(m.fields, m.age))
        if not fields:
            fields = {r.category.fields[0] for r in needs if r.category.fields} or {"全世代"}
        for f in sorted(fields, key=lambda f: BUNYA_ORDER.index(f) if f in BUNYA_ORDER else 99):
            out.setdefault(f, []).append(i)
    return out


def match_household(rm: ReadModel, req: MatchRequest, *, unmet_log: UnmetLog | None = None,
                    now: datetime | None = None, dataset_dates: Mapping[str, date] | None = None) -> dict[str, Any]:
    """Match every member's needs and suggest a team. Returns the CONTRACT.md shape.

    A search counts nothing by itself: the unmet needs it reports are recorded only when the caller
    says so — *unmet_log* given here (``resourcemap match --record-unmet``), or later with
    :func:`unmet_cells` (``POST /v1/unmet``, the pages' 「未充足として記録」) — so retrying a search
    does not inflate the counts.

    *dataset_dates* (:func:`resourcemap.opendata.listing.dataset_dates`) dates the open data shown: each
    entry's ``dataset_date`` and the response's ``attribution`` (the credit line of every dataset whose
    data the response shows).

    Raises :class:`InputError` subclasses (unknown city, address or need) before doing any work.
    """
    ctx = context_for(rm)
    dates = dataset_dates or {}
    hh = _household(ctx, req)
    resolved = _resolve_needs(req)
    now = now or datetime.now(JST)
    today = now.astimezone(JST).date() if now.tzinfo else now.date()
    tax = load_taxonomy()
    results: list[dict[str, Any]] = []
    unmet: list[dict[str, Any]] = []
    needed: dict[str, str] = {}  # every asked-for category (and sub-category) → the need's label, for the team
    for i, (member, needs) in enumerate(zip(req.members, resolved)):
        speed = walk_speed_for(member)
        for res in needs:
            cats = tax.descendants(res.category.id)
            needed.update(dict.fromkeys(cats, res.category.label))
            who = _profile(member, res, hh)
            matches = _rank_need(ctx, hh, member, res, cats, who, speed, req.limit, req.max_distance_m, today, dates)
            results.append({"member": i, "need": res.term, "category": res.category.id,
                            "category_label": res.category.label, "resolved_as": res.fit,
                            "walk_speed_m_per_min": speed, "matches": matches,
                            "unplaced": _unplaced(ctx, hh, res, cats, who, dates)})
            if not matches:
                unmet.append({"member": i, "need": res.term, "category": res.category.id,
                              "category_label": res.category.label, "age_band": age_band(member.age)})
    team, uncovered, coords = suggest_team(ctx, hh.place.city, hh.areas, hh.municipality_id, hh.place.lat,
                                           hh.place.lng, _members_of_fields(req, resolved), needed, dates,
                                           public_point=hh.place.precision in SHARED_POINT_PRECISIONS)
    if unmet_log is not None and unmet:
        month = month_of(now)
        unmet_log.add(UnmetKey(hh.place.city, hh.place.chome or "", hh.area_id or "", u["category"],
                               u["age_band"], month) for u in unmet)
    p = hh.place
    return {
        "location": {"lat": p.lat, "lng": p.lng, "chome": p.chome, "area_id": hh.area_id,
                     "precision": p.precision, "city": p.city, "town": p.town,
                     "areas": [{"id": a.id, "name": a.name, "level": a.level} for a in hh.areas]},
        "max_distance_m": req.max_distance_m,
        "results": results,
        "unmet": unmet,
        "team": team,
        "team_uncovered_fields": uncovered,
        "coordinators": [{k: v for k, v in c.items() if k != "fields"} for c in coords],
        "attribution": _attribution(rm, results, team, dates),
    }


def _attribution(rm: ReadModel, results: list[dict[str, Any]], team: list[dict[str, Any]],
                 dates: Mapping[str, date]) -> list[str]:
    """The credit line of every open dataset whose data the response shows (its licence asks for it)."""
    shown = {e["id"] for r in results for e in (*r["matches"], *r["unplaced"])} | {t["id"] for t in team}
    return attributions((rm.node(i) for i in shown if rm.has(i)), dates=dates)  # in any order: by dataset, city


def unmet_cells(rm: ReadModel, record: UnmetRecord, *, now: datetime | None = None) -> list[UnmetKey]:
    """The counter cells an explicit 「未充足として記録」 adds one to — the same cells a match's unmet needs
    fall in (municipality, 町丁目, area, category, age band, month), checked against the catalogue.

    The 町丁目 must be one of the municipality's, the area one of its areas (as the match's ``location``
    gives them), each category known; an age is turned into its 10-year band here and never kept.
    """
    code = request_city_code(record.city)
    problems: list[dict[str, str]] = []
    chome = record.chome or ""
    if chome:
        try:
            chome = chome_by_name(code, chome).town
        except InputError:
            problems.append({"field": "chome", "message": f"「{chome}」はこの市区町村の町丁目ではありません"})
    area_id = record.area_id or ""
    if area_id and not (rm.has(area_id) and rm.node(area_id).kind == "area" and rm.node(area_id).city == code):
        problems.append({"field": "area_id", "message": f"区域 {area_id!r} はこの市区町村の区域ではありません"})
    tax = load_taxonomy()
    cells = []
    for k, item in enumerate(record.items):
        try:
            category = tax.resolve(item.category).category.id
        except InputError as exc:
            problems.append({"field": f"items.{k}.category", "message": exc.detail})
            continue
        band = item.age_band or age_band(item.age)
        cells.append((category, band))
    if problems:
        raise ValidationFailed("未充足の記録に誤りがあります: " + "; ".join(f"{p['field']}: {p['message']}"
                                                                    for p in problems), errors=problems)
    month = month_of(now)
    return [UnmetKey(code, chome, area_id, category, band, month) for category, band in cells]
