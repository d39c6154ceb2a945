"""The score of one match and the Japanese reasons that explain it.

Why additive points with a reason for each: a coordinator has to be able to say *why* the
first suggestion is first. Each part below adds points and, when it adds or removes any,
says so in ``reasons`` (「居場所（若者）に該当」「徒歩9分」「同じ福祉エリア（白糸台）」); facts
that decided eligibility but add no points (「18〜39歳対象」「市内在住者のみ」) are listed too.

=============  ==========================================================  =========
part           rule                                                        points
=============  ==========================================================  =========
category       the resource offers the needed category itself / a          40 / 30
               sub-category; −10 when the need was understood through a
               synonym (「8050」→ ひきこもり支援: less certain)
distance       30 × ½^(walking minutes / 10): halves every 10 minutes      0–30
area           in the same area (福祉エリア, 日常生活圏域 …) as the household    +10
schedule       only when the request gives times: a session overlaps one   +10
capacity       accepting new people / not accepting                        +5 / −20
freshness      verified within a year / more than three years ago          +5 / −5
=============  ==========================================================  =========

:func:`max_points_besides_distance` bounds everything but distance, which lets the matcher
stop reading candidates (in distance order) once none further away can enter the top list.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from ..model import Node, Schedule
from ..opendata.site import schedule_text
from .context import AreaInfo
from .request import TimeSlot

__all__ = ["Fit", "Scored", "SiteTexts", "score_match", "score_parts", "category_points", "schedule_points", "site_points",
           "WHOLE_POINT_PARTS", "total_score", "PARTS", "distance_points", "max_points_besides_distance",
           "FIT_POINTS", "SYNONYM_PENALTY", "DISTANCE_POINTS", "HALF_POINTS_MIN", "AREA_POINTS",
           "SCHEDULE_POINTS", "ACCEPTING_POINTS", "NOT_ACCEPTING_POINTS", "FRESH_POINTS", "STALE_POINTS",
           "age_phrase", "round_score"]

FIT_POINTS = {"exact": 40.0, "descendant": 30.0}
SYNONYM_PENALTY = 10.0
DISTANCE_POINTS = 30.0
HALF_POINTS_MIN = 10.0
AREA_POINTS = 10.0
SCHEDULE_POINTS = 10.0
ACCEPTING_POINTS = 5.0
NOT_ACCEPTING_POINTS = -20.0
FRESH_POINTS = 5.0
STALE_POINTS = -5.0
FRESH_DAYS = 365
STALE_DAYS = 3 * 365
#: The parts of a score, in the order of ``score_parts`` and of ``Scored.parts``.
PARTS = ("category", "distance", "area", "schedule", "capacity", "freshness")
#: Every part but distance is a whole number of points (the matcher relies on it: their sum is exact, so
#: adding the distance's points to it gives the same float as the ``math.fsum`` of the six parts).
WHOLE_POINT_PARTS = (*FIT_POINTS.values(), SYNONYM_PENALTY, AREA_POINTS, SCHEDULE_POINTS, ACCEPTING_POINTS,
                     NOT_ACCEPTING_POINTS, FRESH_POINTS, STALE_POINTS)

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_CODE = re.compile(r"(MO|TU|WE|TH|FR|SA|SU)")
_PRECISION_NOTE = {"town": "所在地は町の代表点（距離は目安）", "area": "所在地はエリアの代表点（距離は目安）",
                   "city": "所在地は市の代表点（距離は目安）"}


class Fit(NamedTuple):
    """How the resource relates to the need (the same for every part of one need but the relation)."""

    relation: str          # exact | descendant
    via_synonym: bool      # the need term was a synonym
    need_label: str        # 居場所（若者）
    offered_label: str     # the resource's category label that matched
    term: str              # what the request said


class Scored(NamedTuple):
    """A match's score, its points by part (:data:`PARTS`) and the reasons."""
    score: float
    parts: dict[str, float]
    reasons: list[str]


def round_score(x: float) -> float:
    return round(x + 0.0, 1)


def distance_points(distance_m: float, speed_m_per_min: float) -> float:
    return DISTANCE_POINTS * 0.5 ** (distance_m / speed_m_per_min / HALF_POINTS_MIN)


def max_points_besides_distance(with_times: bool, *, via_synonym: bool = False, area_possible: bool = True) -> float:
    """The most a candidate can get from everything but distance (for early stopping).

    Tighter for one need when its term was a synonym (every candidate loses :data:`SYNONYM_PENALTY`) or when
    the household lies in no area below 市全域 (no candidate can get :data:`AREA_POINTS`)."""
    return (max(FIT_POINTS.values()) - (SYNONYM_PENALTY if via_synonym else 0.0)
            + (AREA_POINTS if area_possible else 0.0) + (SCHEDULE_POINTS if with_times else 0.0)
            + ACCEPTING_POINTS + FRESH_POINTS)


def age_phrase(age_min: int | None, age_max: int | None) -> str | None:
    """「18〜39歳対象」「65歳以上対象」「18歳以下対象」, or None without limits."""
    if age_min is not None and age_max is not None:
        return f"{age_min}〜{age_max}歳対象"
    if age_min is not None:
        return f"{age_min}歳以上対象"
    if age_max is not None:
        return f"{age_max}歳以下対象"
    return None


def category_points(fit: Fit) -> float:
    return FIT_POINTS[fit.relation] - (SYNONYM_PENALTY if fit.via_synonym else 0.0)


def _category_text(fit: Fit) -> str:
    text = f"{fit.need_label}に該当" if fit.relation == "exact" else f"{fit.offered_label}に該当（{fit.need_label}の一種）"
    return text + f"（「{fit.term}」で検索）" if fit.via_synonym else text


def _session_days(s: Schedule) -> set[str]:
    if s.byday:
        return set(_DAY_CODE.findall(s.byday))
    return set(_DAYS) if s.freq == "DAILY" else set()


def _overlaps(s: Schedule, slot: TimeSlot) -> bool:
    days = _session_days(s)
    if slot.day not in days:
        return False
    opens, closes = s.opens_at or "00:00", s.closes_at or "23:59"
    return slot.start < closes and opens < slot.end


def _session_in(node: Node, times: list[TimeSlot]) -> Schedule | None:
    """The first of *node*'s sessions that overlaps one of the wanted *times*."""
    return next((s for s in node.schedules if any(_overlaps(s, t) for t in times)), None)


def schedule_points(node: Node, times: list[TimeSlot]) -> float:
    return SCHEDULE_POINTS if times and _session_in(node, times) is not None else 0.0


def _schedule_text(node: Node, times: list[TimeSlot]) -> str | None:
    if not times:
        return None
    if not node.schedules:
        return "開催日時の情報なし"
    hit = _session_in(node, times)
    if hit is not None:
        return f"希望の時間帯に開催（{schedule_text(hit)}）"
    return f"希望の時間帯と合わない可能性（{schedule_text(node.schedules[0])}）"


def site_points(node: Node, today: date) -> float:
    """The points of the site's own facts, whoever asks: capacity and freshness."""
    return _capacity_points(node) + _freshness_points(node, today)


def _capacity_points(node: Node) -> float:
    if node.accepting_new is True:
        return ACCEPTING_POINTS
    return NOT_ACCEPTING_POINTS if node.accepting_new is False else 0.0


def _capacity_texts(node: Node) -> list[str]:
    texts: list[str] = []
    if node.accepting_new is True:
        texts.append("新規受付中")
    elif node.accepting_new is False:
        texts.append("新規受付を停止中")
    if node.capacity is not None:
        texts.append(f"定員{node.capacity}人")
    return texts


def _freshness_points(node: Node, today: date) -> float:
    v = node.verified_at
    if v is None:
        return 0.0
    age_days = (today - v).days
    return FRESH_POINTS if age_days <= FRESH_DAYS else (STALE_POINTS if age_days > STALE_DAYS else 0.0)


def _freshness_text(node: Node, today: date) -> str | None:
    v = node.verified_at
    if v is None:
        return None
    when = f"{v.year}年{v.month}月"
    points = _freshness_points(node, today)
    if points == FRESH_POINTS:
        return f"{when}に情報確認済み"
    if points == STALE_POINTS:
        return f"情報が古い可能性（{when}確認）"
    return f"{when}に情報確認"


def score_parts(node: Node, fit: Fit, distance_m: float, speed_m_per_min: float, same_area: AreaInfo | None,
                times: list[TimeSlot], today: date) -> tuple[float, float, float, float, float, float]:
    """The points of each part (:data:`PARTS` order), without the reasons: what ranking needs."""
    return (category_points(fit), distance_points(distance_m, speed_m_per_min),
            AREA_POINTS if same_area is not None else 0.0, schedule_points(node, times), _capacity_points(node),
            _freshness_points(node, today))


def total_score(parts: tuple[float, ...]) -> float:
    """A match's score: the rounded sum of its :func:`score_parts`."""
    return round_score(math.fsum(parts))


@dataclass(frozen=True)
class SiteTexts:
    """The reasons of a match that depend on the site alone, in the order :func:`score_match` lists them
    around the request's own (distance, area, schedule, freshness): the matcher keeps them per revision."""

    precision: tuple[str, ...]   # how exact its point is (距離は目安), when not its own
    targets: tuple[str, ...]     # whom it is for: ages, 分野, residents only
    capacity: tuple[str, ...]    # 新規受付中 / 新規受付を停止中, 定員
    count: tuple[str, ...]       # 市内nか所（代表して表示）

    @classmethod
    def of(cls, node: Node) -> SiteTexts:
        t = node.targets
        phrase = age_phrase(t.age_min, t.age_max)
        targets = [phrase] if phrase else []
        if t.fields and "全世代" not in t.fields:
            targets.append("対象分野: " + "・".join(t.fields))
        if t.residents_only:
            targets.append("市内在住者のみ")
        note = _PRECISION_NOTE.get(node.location_precision)
        return cls((note,) if note else (), tuple(targets), tuple(_capacity_texts(node)),
                   (f"市内{node.count}か所（代表して表示）",) if node.count and node.count > 1 else ())


def score_match(node: Node, fit: Fit, distance_m: float, speed_m_per_min: float, walk_min: int,
                same_area: AreaInfo | None, times: list[TimeSlot], today: date,
                texts: SiteTexts | None = None) -> Scored:
    """Score *node* for one need of one member and explain each part in Japanese.

    The matcher ranks candidates by :func:`score_parts` alone and explains only those that make its list;
    *texts* (the site's own reasons, :meth:`SiteTexts.of` of *node*) may be given by a caller that keeps them."""
    points = score_parts(node, fit, distance_m, speed_m_per_min, same_area, times, today)
    texts = texts or SiteTexts.of(node)
    reasons = [_category_text(fit), f"徒歩{walk_min}分（約{_round_m(distance_m)}）", *texts.precision]
    if same_area is not None:
        reasons.append(f"同じ{same_area.level or 'エリア'}（{same_area.short}）")
    reasons += texts.targets
    schedule = _schedule_text(node, times)
    if schedule:
        reasons.append(schedule)
    reasons += texts.capacity
    freshness = _freshness_text(node, today)
    if freshness:
        reasons.append(freshness)
    reasons += texts.count
    # every part but distance is a whole number of points (WHOLE_POINT_PARTS): rounded, it is itself
    category, distance, area, at_times, capacity, fresh = points  # PARTS, in order
    return Scored(total_score(points), {"category": category, "distance": round(distance, 2), "area": area,
                                        "schedule": at_times, "capacity": capacity, "freshness": fresh}, reasons)


def _round_m(d: float) -> str:
    if d < 1000:
        return f"{int(round(d, -1))}m"
    return f"{d / 1000:.1f}km"
