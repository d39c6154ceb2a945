"""The shipped extracts on the five plans: linked where unambiguous, queued where not, idempotent, reviewable.

Figures asserted here are those of the shipped files (国土地理院 per-city GeoJSON, the five-city 介護事業所
extract); where a number is asserted, it was counted from those files.
"""
from __future__ import annotations

import pytest

from resourcemap.errors import IntegrityError
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.opendata import (accept, figures, import_open_data, link_city, load_seed_open_data, reject,
                                  seed_extracts, sources)

FUCHU_BUNKA = ["中央", "白糸台", "西府", "武蔵台", "新町", "住吉", "是政", "紅葉丘", "押立", "四谷", "片町"]


def _by_name(store, city, name):
    hits = [n for n in store.query_nodes(NodeQuery(city=city)) if n.name == name]
    assert len(hits) == 1, (name, hits)
    return hits[0]


CITIES = ["13206", "11225", "19213", "13223", "13218"]


@pytest.fixture(scope="module")
def load_reports(seeded_db, tmp_path_factory):
    """The import reports of loading the shipped open data onto the five plans (computed once)."""
    from resourcemap.auxdb import AuxDB
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.opendata import Registry

    from ..conftest import copy_catalogue

    path = copy_catalogue(seeded_db, tmp_path_factory.mktemp("load") / "c.db")
    store, aux = SQLiteStore(path), AuxDB(path)
    try:
        return load_seed_open_data(store, Registry(aux), CITIES)
    finally:
        store.close()
        aux.close()


@pytest.fixture
def directory(directory_copy, load_reports):
    """The five plans with their shipped open data loaded and linked (what ``init --seed all`` builds)."""
    from resourcemap.auxdb import AuxDB
    from resourcemap.graph.stores.sqlite import SQLiteStore
    from resourcemap.opendata import Registry

    store, aux = SQLiteStore(directory_copy), AuxDB(directory_copy)
    yield store, Registry(aux), load_reports
    store.close()
    aux.close()


def test_fuchu_bunka_centres_take_the_gsi_address_and_exact_point(directory):
    store, _, reports = directory
    for short in FUCHU_BUNKA:
        node = _by_name(store, "13206", f"{short}文化センター")
        assert node.id.startswith("fuchu.hub.bunka-") and node.source == "public"  # the plan's node, not a copy
        assert node.location_precision == "exact" and node.address.startswith("東京都府中市")
        assert set(node.external_ids) == {"gsi-evacuation"} and node.external_ids["gsi-evacuation"].startswith("E13206")
        assert node.categories == ["kayoi"]  # the plan's categories are kept
    assert reports["13206"][0]["linked"] == 11
    assert not [n for n in store.query_nodes(NodeQuery(city="13206")) if n.name.endswith("文化センター")
                and n.source.startswith("import:")]  # never a second node for the same place


def test_iruma_district_centres_are_linked_or_queued(directory):
    store, registry, _ = directory
    for name in ["東町地区センター", "黒須地区センター", "東金子地区センター", "金子地区センター", "宮寺・二本木地区センター",
                 "藤沢地区センター", "東藤沢地区センター", "西武地区センター"]:
        node = _by_name(store, "11225", name)
        assert node.id.startswith("iruma.hub.chikucenter.") and node.location_precision == "exact", name
    # the plan's 「扇町地区センター」 is GSI's 「扇町屋地区センター」: close, not equal → for review, not merged
    ogi = _by_name(store, "11225", "扇町地区センター")
    assert ogi.location_precision == "city" and not ogi.external_ids
    queued = [x for x in registry.links(city="11225", status="proposed") if x["subject_id"] == ogi.id]
    site = store.get_node(queued[0]["site_id"])
    assert site.name == "扇町屋地区センター" and queued[0]["kind"] == "same_site"


def test_reimporting_the_shipped_extracts_changes_nothing(directory):
    store, registry, _ = directory
    rev = store.revision()
    again = load_seed_open_data(store, registry, CITIES)
    for reports in again.values():
        for r in reports:
            assert (r["added"], r["changed"], r["linked"], r["matched"], r["inactivated"]) == (0, 0, 0, 0, 0), r["file"]
    assert store.revision() == rev


def test_shelters_in_both_lists_are_one_site_and_a_double_listing_one_node(directory):
    store, _, reports = directory
    gsi = reports["13206"][0]  # both lists imported together: one report, one part per file
    assert gsi["dataset"] == "gsi-evacuation+gsi-emergency"
    fuchu = {r["dataset"]: r for r in gsi["files"]}
    assert fuchu["gsi-emergency"]["matched"] == 23  # schools on both lists: same node, two ids
    assert fuchu["gsi-evacuation"]["added"] + fuchu["gsi-emergency"]["added"] == gsi["added"] == 65
    school = _by_name(store, "13206", "府中市立府中第九小学校")
    assert set(school.external_ids) == {"gsi-evacuation", "gsi-emergency"}
    assert set(school.categories) >= {"school", "shelter.evacuation"}
    katsunuma = _by_name(store, "19213", "勝沼健康福祉センター")
    assert katsunuma.external_ids == {"gsi-evacuation": "E1921300033111+E1921300033121"}
    assert {"consult.health", "shelter.welfare"} <= set(katsunuma.categories)


def test_care_sites_carry_contacts_capacity_and_days(directory):
    store, _, reports = directory
    site = next(n for n in store.query_nodes(NodeQuery(city="13206")) if n.external_ids.get("mhlw-care") ==
                "1373800679:780")
    assert (site.name, site.kind, site.phone, site.capacity) == ("あおばケアサービス", "agency", "042-336-1616", 9)
    assert site.categories == ["care.day"] and site.targets.fields == ["高齢"]
    assert site.schedules[0].byday == "MO,TU,WE,TH,FR,SA" and site.location_precision == "exact"
    # the 武蔵村山市 事業所 geocoded 30 km away: imported without a point, and reported
    mm = {r["dataset"]: r for r in reports["13223"]}["mhlw-care"]
    assert [(e["column"], "区域外" in e["message"]) for e in mm["errors"]] == [("lat/lng", True)]


def test_programme_links_wait_for_review_and_decisions_stick(directory):
    store, registry, _ = directory
    koshu = registry.links(city="19213", status="proposed")
    kinds = {(x["kind"], store.get_node(x["subject_id"]).name) for x in koshu}
    assert ("delivers", "地域介護予防活動支援事業") in kinds and ("delivers", "地域子育て支援拠点事業") in kinds
    hall = next(x for x in koshu if store.get_node(x["site_id"]).name == "松里公民館")
    done = accept(store, registry, hall["id"], by="editor")
    assert done["status"] == "accepted" and done["decided_by"] == "editor"
    assert any(e.target == hall["subject_id"] for e in store.query_edges(kind="implements", source=hall["site_id"]))
    with pytest.raises(IntegrityError):
        accept(store, registry, hall["id"], by="editor")
    other = next(x for x in koshu if x["id"] != hall["id"])
    assert reject(registry, other["id"], by="editor", note="会場ではない")["status"] == "rejected"
    summary = link_city(store, registry, "19213")  # running the linker again proposes nothing already decided
    assert summary["proposed"] == 0
    assert registry.link(other["id"])["status"] == "rejected"


def test_accepting_a_same_site_link_merges_and_a_reimport_recognises_the_plan_node(directory):
    store, registry, _ = directory
    link = next(x for x in registry.links(city="11225", status="proposed") if x["kind"] == "same_site"
                and store.get_node(x["site_id"]).name == "扇町屋地区センター")
    site = store.get_node(link["site_id"])
    accept(store, registry, link["id"], by="editor")
    plan = store.get_node(link["subject_id"])
    assert plan.external_ids == site.external_ids and (plan.lat, plan.lng) == (site.lat, site.lng)
    assert plan.location_precision == "exact" and plan.address == site.address
    assert store.get_node(site.id, include_deleted=True).deleted
    rev = store.revision()
    again = [import_open_data(store, f.read(), f.format, name=f.path, city="11225", as_of=f.as_of, dry_run=False,
                              skip_errors=True, registry=registry) for f in seed_extracts("11225")]
    assert all((r["added"], r["changed"], r["linked"]) == (0, 0, 0) for r in again)
    assert store.revision() == rev


def test_sources_and_figures(directory):
    store, registry, _ = directory
    listed = {d["dataset"]: d for d in sources(store, registry)}
    assert set(listed) == {"gsi-evacuation", "gsi-emergency", "mhlw-care"}
    mhlw = listed["mhlw-care"]
    assert mhlw["date"] == "2025-06-01" and mhlw["date_basis"] == "publisher" and mhlw["publisher"] == "厚生労働省"
    assert mhlw["attribution"] == "出典：厚生労働省 介護サービス情報公表システム オープンデータ（2025年6月1日時点）を加工して作成"
    assert mhlw["rows"] == 269 and listed["gsi-evacuation"]["date_basis"] == "imported"
    per_city = figures(store, registry)
    assert per_city["13206"]["plan_nodes_linked"] == 11 and per_city["13206"]["sites_imported"] > 150
    assert per_city["11225"]["plan_nodes_linked"] >= 8 and per_city["11225"]["links_proposed"] >= 1
    assert per_city["19213"]["links_proposed"] > 0
