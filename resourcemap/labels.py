"""Japanese words for what the catalogue stores as codes, and times in Japan Standard Time.

Why one home: a person never reads ``hub``, ``chome`` or ``2026-12-01T07:00:00+00:00`` — the pages,
the reports and the print sheet all say 拠点・窓口, 町丁目の代表点 and 2026年12月1日 16:00 (JST).
Every view takes its words from here, so a code cannot leak from one page while another hides it.

>>> KIND_LABELS["hub"], PRECISION_LABELS["chome"]
('拠点・窓口', '町丁目の代表点')
>>> from datetime import datetime, UTC
>>> jst(datetime(2026, 12, 1, 7, 5, tzinfo=UTC))
'2026年12月1日 16:05'
>>> schedule_text({"freq": "WEEKLY", "byday": "MO,WE", "opens_at": "10:00", "closes_at": "15:00"})
'毎週 月・水 10:00〜15:00'
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["JST", "KIND_LABELS", "EDGE_LABELS", "PRECISION_LABELS", "STATUS_LABELS", "ROLE_LABELS", "DAY_LABELS",
           "jst", "jst_date", "schedule_text", "age_band_label"]

JST = ZoneInfo("Asia/Tokyo")

#: Node kinds.
KIND_LABELS: dict[str, str] = {
    "agency": "支援機関", "hub": "拠点・窓口", "place": "居場所・通いの場", "subsidy_group": "補助団体",
    "coordinator": "コーディネーター", "department": "部署", "meeting": "会議", "program": "事業",
    "area": "区域", "municipality": "市区町村",
}
#: Edge kinds (as a relation between two nodes).
EDGE_LABELS: dict[str, str] = {
    "collaborates": "連携", "commissions": "委託", "subsidizes": "補助", "affiliated_with": "所属",
    "participates_in": "参加", "runs": "開催・実施", "operates": "運営", "managed_by": "所管",
    "implements": "事業実施", "located_in": "所在", "covers": "担当区域", "part_of": "所属・一部",
}
#: How exactly a node is placed.
PRECISION_LABELS: dict[str, str] = {
    "exact": "所在地", "address": "住所から", "chome": "町丁目の代表点", "town": "町の中心", "area": "区域の代表点",
    "city": "市区町村の代表点（所在地未登録）", "none": "所在地未登録",
}
STATUS_LABELS: dict[str, str] = {"active": "運営中", "inactive": "休止・廃止", "planned": "移行予定", "defunct": "廃止"}
ROLE_LABELS: dict[str, str] = {"viewer": "閲覧", "editor": "編集", "admin": "管理"}
DAY_LABELS: dict[str, str] = {"MO": "月", "TU": "火", "WE": "水", "TH": "木", "FR": "金", "SA": "土", "SU": "日"}
_FREQ = {"WEEKLY": "毎週", "MONTHLY": "毎月", "DAILY": "毎日"}


def jst(when: datetime | str | None) -> str:
    """A time as a person reads it in Japan: 「2026年12月1日 16:05」 (JST)."""
    if when is None or when == "":
        return ""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is not None:
        when = when.astimezone(JST)
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"


def jst_date(day: date | str | None) -> str:
    """A date: 「2026年12月1日」; a time is read as its day in Japan (16:00 UTC on 30 November is 1 December).

    >>> jst_date("2026-11-30T16:00:00+00:00"), jst_date("2026-11-30")
    ('2026年12月1日', '2026年11月30日')
    """
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        day = datetime.fromisoformat(day) if len(day) > 10 else date.fromisoformat(day)
    if isinstance(day, datetime):
        day = (day.astimezone(JST) if day.tzinfo is not None else day).date()
    return f"{day.year}年{day.month}月{day.day}日"


def _day(code: str) -> str:
    week = code.lstrip("-0123456789")
    nth = code[: len(code) - len(week)]
    label = DAY_LABELS.get(week, week)
    return f"第{nth}{label}" if nth and not nth.startswith("-") else (f"最終{label}" if nth == "-1" else label)


def schedule_text(s: dict[str, Any]) -> str:
    """One opening pattern (HSDS/iCal terms) in Japanese; its description as given when there is one."""
    parts = [_FREQ.get(s.get("freq") or "", "")]
    if s.get("byday"):
        parts.append("・".join(_day(d) for d in str(s["byday"]).split(",")))
    if s.get("opens_at") or s.get("closes_at"):
        parts.append(f"{s.get('opens_at') or ''}〜{s.get('closes_at') or ''}")
    text = " ".join(p for p in parts if p)
    if s.get("description"):
        text = f"{text}（{s['description']}）" if text else str(s["description"])
    return text


def age_band_label(band: str) -> str:
    """「80-89」 → 「80代」, 「90+」 → 「90歳以上」, 「0-9」 → 「10歳未満」."""
    if band == "90+":
        return "90歳以上"
    if band == "0-9":
        return "10歳未満"
    if band.endswith("9") and "-" in band:
        return f"{band.split('-')[0]}代"
    return band
