"""Scoring, reasons, eligibility, the request model and the unmet counters — hand-computed cases."""
from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

from resourcemap.auxdb import AuxDB
from resourcemap.errors import ValidationFailed
from resourcemap.match.context import AreaInfo
from resourcemap.match.eligibility import MemberProfile, eligible, member_fields
from resourcemap.match.request import TimeSlot, parse_request
from resourcemap.match.scoring import (
    PARTS,
    Fit,
    SiteTexts,
    distance_points,
    max_points_besides_distance,
    score_match,
    score_parts,
)
from resourcemap.match.unmet import UnmetKey, UnmetLog, age_band, month_of
from resourcemap.model import Node, Schedule, Targets

TODAY = date(2026, 6, 15)
AREA = AreaInfo("fuchu.area.shiraitodai", "白糸台福祉エリア", "福祉エリア", "白糸台")


def place(**kw) -> Node:
    base = dict(id="p1", kind="place", name="ユースひろば", city="13206", lat=35.6666, lng=139.5162,
                location_precision="chome", categories=["ibasho.youth"], source="public")
    return Node(**(base | kw))


def test_reasons_read_like_the_issue():
    node = place(targets=Targets(age_min=18, age_max=39))
    s = score_match(node, Fit("exact", False, "居場所（若者）", "居場所（若者）", "ibasho.youth"), 700.0, 80.0, 9,
                    AREA, [], TODAY)
    assert s.reasons[:3] == ["居場所（若者）に該当", "徒歩9分（約700m）", "同じ福祉エリア（白糸台）"]
    assert "18〜39歳対象" in s.reasons
    # 40 (exact) + 30·½^(700/80/10) + 10 (area)
    assert s.score == round(40 + 30 * 0.5 ** (8.75 / 10) + 10, 1)
    assert s.parts["category"] == 40 and s.parts["area"] == 10


def test_fit_order_exact_descendant_synonym():
    node = place()
    exact = score_match(node, Fit("exact", False, "居場所", "居場所", "居場所"), 100, 80, 2, None, [], TODAY)
    desc = score_match(node, Fit("descendant", False, "居場所", "居場所（若者）", "居場所"), 100, 80, 2, None, [], TODAY)
    syn = score_match(node, Fit("descendant", True, "居場所", "居場所（若者）", "たまり場"), 100, 80, 2, None, [], TODAY)
    assert exact.score > desc.score > syn.score
    assert desc.reasons[0] == "居場所（若者）に該当（居場所の一種）"
    assert syn.reasons[0].endswith("（「たまり場」で検索）")


def test_distance_halves_every_ten_minutes_and_slower_walkers_lose_more():
    assert distance_points(0, 80) == 30
    assert distance_points(800, 80) == pytest.approx(15)
    assert distance_points(800, 60) < distance_points(800, 80)


def test_schedule_capacity_freshness_parts():
    node = place(schedules=[Schedule(byday="WE", opens_at="10:00", closes_at="12:00")], accepting_new=False,
                 capacity=20, verified_at=date(2026, 1, 5))
    fit = Fit("exact", False, "居場所（若者）", "居場所（若者）", "x")
    hit = score_match(node, fit, 0, 80, 0, None, [TimeSlot(day="WE", start="11:00", end="13:00")], TODAY)
    miss = score_match(node, fit, 0, 80, 0, None, [TimeSlot(day="TU")], TODAY)
    assert hit.parts["schedule"] == 10 and "希望の時間帯に開催（水 10:00〜12:00）" in hit.reasons
    assert miss.parts["schedule"] == 0 and "希望の時間帯と合わない可能性（水 10:00〜12:00）" in miss.reasons
    assert hit.parts["capacity"] == -20 and {"新規受付を停止中", "定員20人"} <= set(hit.reasons)
    assert hit.parts["freshness"] == 5 and "2026年1月に情報確認済み" in hit.reasons
    stale = score_match(place(verified_at=date(2019, 4, 1)), fit, 0, 80, 0, None, [], TODAY)
    assert stale.parts["freshness"] == -5 and "情報が古い可能性（2019年4月確認）" in stale.reasons
    assert hit.score <= max_points_besides_distance(True) + 30


def test_parts_are_the_score_parts_rounded_and_kept_texts_change_nothing():
    node = place(schedules=[Schedule(byday="WE", opens_at="10:00", closes_at="12:00")], accepting_new=True,
                 capacity=8, count=3, location_precision="town", targets=Targets(age_min=65, fields=["高齢"],
                                                                                residents_only=True),
                 verified_at=date(2024, 1, 5))
    fit = Fit("descendant", True, "居場所", "居場所（若者）", "たまり場")
    times = [TimeSlot(day="WE", start="11:00", end="13:00")]
    s = score_match(node, fit, 1234.5678, 60, 21, AREA, times, TODAY)
    points = score_parts(node, fit, 1234.5678, 60, AREA, times, TODAY)
    assert list(s.parts) == list(PARTS) and list(s.parts.values()) == [round(p, 2) for p in points]
    assert s.reasons == ["居場所（若者）に該当（居場所の一種）（「たまり場」で検索）", "徒歩21分（約1.2km）",
                         "所在地は町の代表点（距離は目安）", "同じ福祉エリア（白糸台）", "65歳以上対象", "対象分野: 高齢",
                         "市内在住者のみ", "希望の時間帯に開催（水 10:00〜12:00）", "新規受付中", "定員8人",
                         "2024年1月に情報確認", "市内3か所（代表して表示）"]
    assert score_match(node, fit, 1234.5678, 60, 21, AREA, times, TODAY, SiteTexts.of(node)) == s


@pytest.mark.parametrize("targets,age,fields,need_fields,city,ok", [
    (Targets(age_min=65), 64, (), (), "13206", False),
    (Targets(age_min=65), 65, (), (), "13206", True),
    (Targets(age_max=39), 40, (), (), "13206", False),
    (Targets(age_max=39), None, (), (), "13206", True),          # age unknown: not excluded
    (Targets(fields=["高齢"]), 40, (), (), "13206", False),
    (Targets(fields=["高齢"]), 70, (), (), "13206", True),       # 70 → 高齢 inferred
    (Targets(fields=["高齢"]), 40, (), ("高齢",), "13206", True),  # asking for 介護予防 is asking in 高齢
    (Targets(fields=["障害"]), 40, ("障害",), (), "13206", True),
    (Targets(fields=["全世代"]), 40, ("障害",), (), "13206", True),
    (Targets(residents_only=True), 40, (), (), "13223", False),
    (Targets(residents_only=True), 40, (), (), "13206", True),
])
def test_hard_filters(targets, age, fields, need_fields, city, ok):
    who = MemberProfile(age, member_fields(list(fields), age), frozenset(need_fields), city)
    assert eligible(place(targets=targets), who) is ok


def test_only_active_resources_are_eligible():
    who = MemberProfile(30, frozenset(), frozenset(), "13206")
    assert not eligible(place(status="planned"), who)
    assert not eligible(Node(id="c", kind="coordinator", role="CSW", name="c", city="13206", lat=35.67, lng=139.5,
                             location_precision="area", source="public"), who)


def test_request_validation_lists_every_problem_without_echoing_input():
    with pytest.raises(ValidationFailed) as exc:
        parse_request({"city": "府中市", "location": {"address": "白糸台", "lat": 35.6},
                       "members": [{"age": 200, "needs": [], "secret": "MARKER-xyz"}], "limit": 0})
    fields = {e["field"] for e in exc.value.errors}
    assert {"location", "members.0.age", "members.0.needs", "members.0.secret", "limit"} <= fields
    assert "MARKER" not in exc.value.detail


def test_age_band_and_month():
    assert [age_band(a) for a in (0, 9, 10, 83, 89, 90, 120, None)] == \
        ["0-9", "0-9", "10-19", "80-89", "80-89", "90+", "90+", "不明"]
    assert month_of(datetime(2026, 1, 31, 16, 0, tzinfo=UTC)) == "2026-02"  # JST


def test_unmet_log_counts_only_its_key(tmp_path):
    path = tmp_path / "aux.db"
    log = UnmetLog(AuxDB(path))
    key = UnmetKey("13206", "白糸台三丁目", "fuchu.area.shiraitodai", "hikikomori", "50-59", "2026-06")
    assert log.add([key, key, UnmetKey("13206", "", "", "kayoi", "80-89", "2026-06")]) == 3
    rows = log.counts("13206")
    assert rows[0] | {} == {"city": "13206", "chome": "白糸台三丁目", "area_id": "fuchu.area.shiraitodai",
                            "category": "hikikomori", "age_band": "50-59", "month": "2026-06", "count": 2}
    assert log.total("13206") == 3 and log.counts("13223") == []
    log.aux.close()
    cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(match_unmet)")]
    assert cols == ["city", "chome", "area_id", "category", "age_band", "month", "count"]
