"""The pages over a catalogue with imported open data (the plans + their shipped extracts, linked):
cards, resource pages, the print sheet and the map popups show a site's contact fields as the
catalogue and the match carry them (HSDS names), where each entry comes from, and the publishers'
credit lines (:func:`resourcemap.opendata.listing.attributions`); the offline base map shows the
public facilities of the imported data with their credit (:mod:`resourcemap.basemap`).
"""
from __future__ import annotations

import html
import json
import re

import pytest

from resourcemap.labels import schedule_text
from resourcemap.opendata.listing import credit_lines
from tests.api.conftest import build_app, form_token, make_people, sign_in

MHLW_CREDIT_START = "出典：厚生労働省 介護サービス情報公表システム"


@pytest.fixture
def pages(directory_copy):
    from fastapi.testclient import TestClient

    people = make_people(directory_copy, roles=("viewer", "editor"))
    with TestClient(build_app(directory_copy)) as client:
        yield client, people, directory_copy


def _search_data(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="search-data">(.*?)</script>', text, re.S)
    assert m, "the page has no data for its map"
    return json.loads(html.unescape(m.group(1)))


def _imported_care_site(db, city: str = "13206"):
    from resourcemap.graph.stores.base import NodeQuery
    from resourcemap.graph.stores.sqlite import SQLiteStore

    store = SQLiteStore(db)
    try:
        sites = [n for n in store.query_nodes(NodeQuery(city=city)) if n.source == "import:mhlw-care"
                 and n.phone and n.capacity is not None and n.schedules]
    finally:
        store.close()
    assert sites, "the shipped extract has care sites with a phone, a capacity and hours"
    return sites[0]


def test_cards_show_contacts_source_and_credit(pages):
    client, people, _ = pages
    sign_in(client, people["viewer"])
    token = form_token(client.get("/pages/13206/match").text)
    r = client.post("/pages/13206/match", data={"csrf": token, "address": "白糸台三丁目", "age0": "83",
                                                "needs0": "介護保険サービス", "max_distance_m": "3000", "limit": "10"})
    assert r.status_code == 200, r.text[:500]
    data = _search_data(r.text)
    pins = data["map"]["results"]
    imported = [p for p in pins if p["id"].startswith("mhlw-care.")]
    assert imported, "care businesses of the open data are among the results"
    # every card of an imported site: its phone as a tel: link, its address, the dataset it is listed in
    for p in imported:
        if p["phone"]:
            assert f'href="tel:{p["tel"]}"' in r.text and p["tel"].replace("-", "") == p["tel"]
        if p["address"]:
            assert html.escape(p["address"]) in r.text
    assert "オープンデータ「介護サービス情報公表システム オープンデータ」" in r.text
    assert "掲載データ: 介護サービス情報公表システム オープンデータ" in r.text
    # the publisher's credit, dated from the import log, once
    credit = re.search(r"<p class=\"attribution\">(出典：.*?)</p>", r.text)
    assert credit and credit.group(1).count(MHLW_CREDIT_START) == 1 and "時点" in credit.group(1)
    assert "日付不明" not in credit.group(1)
    # the map popups carry the same contacts (rendered by search.js from this JSON)
    assert all(set(p) >= {"id", "name", "phone", "tel", "address", "hours", "walk_min"} for p in pins)
    # the print sheet: contacts, verified/source line, the same credit
    sheet = client.post("/pages/13206/sheet", data={"csrf": token, "address": "白糸台三丁目", "age0": "83",
                                                    "needs0": "介護保険サービス", "max_distance_m": "3000", "limit": "10"})
    assert sheet.status_code == 200 and MHLW_CREDIT_START in sheet.text
    assert any(p["phone"] and f"☎ {html.escape(p['phone'])}" in sheet.text for p in imported)
    assert "オープンデータ「介護サービス情報公表システム オープンデータ」" in sheet.text


def test_resource_page_shows_every_contact_field_and_credit(pages):
    from resourcemap import editing
    from resourcemap.graph.stores.sqlite import SQLiteStore

    client, people, db = pages
    site = _imported_care_site(db)
    store = SQLiteStore(db)
    try:
        editing.update_node(store, site.id, {"accessibility": ["車いす対応トイレ", "段差なし"]},
                            expected_version=site.version, actor="test")
    finally:
        store.close()
    sign_in(client, people["viewer"])
    r = client.get(f"/pages/resource/{site.id}")
    assert r.status_code == 200
    assert f'href="tel:{re.sub(r"[^0-9+]", "", site.phone)}"' in r.text and html.escape(site.phone) in r.text
    assert f"<dt>定員</dt><dd>{site.capacity}人" in r.text
    assert "<dt>バリアフリー</dt><dd>車いす対応トイレ、段差なし</dd>" in r.text
    hours = schedule_text(site.public_dict()["schedules"][0])
    assert "<dt>開いている時間</dt>" in r.text and html.escape(hours) in r.text and hours.startswith("毎")
    assert site.url is None or html.escape(site.url) in r.text
    assert "掲載データ: 介護サービス情報公表システム オープンデータ" in r.text
    assert MHLW_CREDIT_START in r.text and "時点" in r.text
    # a plan's node says which section of the plan it comes from, and shows no credit when it has no dataset ids
    plan = client.get("/pages/resource/fuchu.program.csw")
    assert plan.status_code == 200 and "市区町村の計画書（" in plan.text and 'class="attribution"' not in plan.text
    # an entry without a phone of its own says whom to call: its 所管課 through the 代表 number the plan publishes
    hokatsu = client.get("/pages/resource/fuchu.agency.hokatsu")
    assert '<dt>問い合わせ</dt><dd>高齢者支援課（府中市代表） <a href="tel:0423644111">042-364-4111</a></dd>' in hokatsu.text
    assert "<dt>問い合わせ</dt>" not in r.text, "a site with its own phone shows that, nothing else"


def test_base_map_shows_public_facilities_of_the_open_data_with_their_credit(pages):
    from resourcemap.basemap import PUBLIC_FACILITY_DATASETS

    client, people, _ = pages
    sign_in(client, people["viewer"])
    base = _search_data(client.get("/pages/13206/match").text)["base"]
    marks = base["landmarks"]
    whats = {m["what"] for m in marks}
    assert whats & set(PUBLIC_FACILITY_DATASETS.values()), "shelters or public facilities of the imported data"
    assert "拠点・窓口" in whats  # the plans' hubs stay landmarks
    credits = set(credit_lines(PUBLIC_FACILITY_DATASETS, {}))
    assert all(m["credit"] in credits for m in marks if m["what"] in PUBLIC_FACILITY_DATASETS.values())
    names = {m["name"] for m in marks}
    assert not any(n.startswith("介護老人保健施設") for n in names)  # care businesses are results, not landmarks
