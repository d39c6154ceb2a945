"""How the pages present a resource (:func:`api.routes.pages.reach`, the search's cards): the match's own fields
win, the catalogue's fill in, a missing field is left out — so the pages render a match whether or not it
carries the contact fields (``/v1/match`` gains them on another branch) and never invent one."""
from __future__ import annotations

import pytest

from api.routes.pages import reach, source_text
from api.routes.search import _card
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore


@pytest.fixture(scope="module")
def rm(directory_db):
    store = SQLiteStore(directory_db)
    yield ReadModel(store, follow=False)
    store.close()


def test_nothing_given_nothing_shown():
    assert reach({}) == {"tel": "", "inquiry_tel": "", "hours": [], "accessibility": [], "capacity": None, "verified": "", "updated": "",
                         "precision_label": "", "source_text": "", "datasets": []}


def test_what_is_given_in_words():
    got = reach({"phone": "042-364-0000", "capacity": 0, "accessibility": ["段差なし", ""],
                 "schedules": [{"freq": "WEEKLY", "byday": "MO,WE", "opens_at": "10:00", "closes_at": "15:00"}],
                 "verified_at": "2026-11-02", "updated_at": "2026-11-30T16:00:00+00:00", "location_precision": "chome",
                 "source": "import:gsi-evacuation", "external_ids": {"gsi-evacuation": "E1", "unknown-set": "x"},
                 "dataset": "mhlw-care"})
    assert got == {"tel": "0423640000", "inquiry_tel": "", "hours": ["毎週 月・水 10:00〜15:00"], "accessibility": ["段差なし"],
                   "capacity": 0, "verified": "2026年11月2日", "updated": "2026年12月1日",  # the day in Japan
                   "precision_label": "町丁目の代表点", "source_text": "オープンデータ「指定避難所データ」",
                   "datasets": ["指定避難所データ", "介護サービス情報公表システム オープンデータ"]}


@pytest.mark.parametrize("source, words", [
    ("004_50451f3a80e1843a.txt#2(4)参加支援事業", "市区町村の計画書（2(4)参加支援事業）"),
    ("public", "公表されている情報"), ("api:編集花子", "編集花子 が画面または API で更新"),
    ("import:no-such-set", "取り込んだ資料・オープンデータ"), ("", "")])
def test_where_an_entry_comes_from(source, words):
    assert source_text(source) == words


def test_a_card_takes_the_match_first_then_the_catalogue(rm):
    site = next(n for n in rm.nodes(city="13206") if n.source == "import:mhlw-care" and n.phone and n.capacity)
    bare = _card(rm, {"id": site.id, "name": site.name, "kind": site.kind})
    assert bare["phone"] == site.phone and bare["capacity"] == site.capacity and bare["address"] == site.address
    assert bare["datasets"] == ["介護サービス情報公表システム オープンデータ"]
    given = _card(rm, {"id": site.id, "name": site.name, "kind": site.kind, "phone": "03-0000-0000",
                       "programs": [{"id": "p", "name": "地域介護予防活動支援事業"}], "attribution": "出典：テスト"})
    assert given["phone"] == "03-0000-0000" and given["tel"] == "0300000000"
    assert given["programs"] == [{"id": "p", "name": "地域介護予防活動支援事業"}]
    assert given["address"] == site.address  # not in the match: from the catalogue
    ask = _card(rm, {"id": site.id, "name": site.name, "kind": site.kind, "phone": None,
                     "inquiry": {"id": "d", "name": "高齢者支援課", "label": "高齢者支援課（府中市代表）",
                                 "phone": "042-364-4111", "via": "代表電話"}})
    assert ask["inquiry"]["label"] == "高齢者支援課（府中市代表）" and ask["inquiry_tel"] == "0423644111"
    gone = _card(rm, {"id": "no.such.node", "name": "消えた資源", "kind": "place"})
    assert gone["phone"] is None and gone["tel"] == "" and gone["hours"] == [] and gone["kind_label"] == "居場所・通いの場"
