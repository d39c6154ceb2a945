"""The reviewed mapping table: every id it names exists, and every type in the shipped data is mapped.

The shipped files are the ones inside the package (resourcemap/opendata/data/), so these tests run on
a fresh clone; the national files are read whole (≈200,000 names).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import get_args

import pytest

from resourcemap.model import PROGRAM_CODES, RESOURCE_KINDS, Bunya
from resourcemap.opendata import load_datasets, load_mapping, national_files, seed_extracts
from resourcemap.opendata.files import read_text
from resourcemap.opendata.gsi import read_gsi
from resourcemap.opendata.mhlw import read_mhlw_care
from resourcemap.opendata.rows import Scope
from resourcemap.taxonomy import load_taxonomy

MAPPING = load_mapping()
SEED_CITIES = ("13206", "11225", "19213", "13223", "13218")


def test_every_mapped_id_exists_in_the_taxonomy():
    tax = load_taxonomy()
    for rule in MAPPING.all_rules():
        assert rule.kind in RESOURCE_KINDS, rule
        assert not tax.validate_ids(rule.categories), rule
        assert not tax.validate_ids(rule.may_host), rule
        assert set(rule.fields) <= set(get_args(Bunya)), rule
        assert set(rule.delivers) <= set(PROGRAM_CODES), rule


def test_every_dataset_has_terms_and_a_credit():
    for d in load_datasets().values():
        assert d.licence and d.attribution.startswith("出典：") and d.publisher, d


def _shipped_gsi_names() -> list[str]:
    names = []
    for city in SEED_CITIES:
        for f in seed_extracts(city):
            if f.format == "gsi-shelters":
                doc = json.loads(read_text(f.read()))
                names += [feat["properties"]["施設・場所名"] for feat in doc["features"]]
    return names


def test_every_shipped_five_city_facility_name_has_a_named_rule():
    names = _shipped_gsi_names()
    assert len(names) == 367  # 54+62 入間, 47+52 府中, 17+34 福生, 15+37 武蔵村山, 49 甲州
    unmapped = sorted({n for n in names if MAPPING.shelter_names.find(n) is MAPPING.shelter_names.fallback})
    assert unmapped == []


@pytest.mark.parametrize("name,expected", [
    ("塩山保健福祉センター", "保健センター"), ("勝沼健康福祉センター", "保健センター"), ("大和福祉センター", "福祉センター"),
    ("社会福祉法人あすはの会　障害者支援施設福生第二学園", "障害者福祉施設"), ("塩山北児童センター", "児童館"),
    ("扇町屋地区センター　久保稲荷分館", "公民館・地区センター"), ("白糸台文化センター", "公民館・地区センター"),
    ("府中市立府中第九小学校", "学校"), ("福生第二中学校（校庭）", "学校"), ("多摩川緑地押立地区", "公園・緑地"),
    ("やまとの杜アリーナ―", "体育施設"), ("奥野田保育所", "保育所・こども園"), ("景徳院", "その他の避難施設"),
    ("総合運動公園運動場（第三）", "体育施設"), ("ｺﾐｭﾆﾃｨｾﾝﾀｰ", "公民館・地区センター"),
])
def test_facility_names_are_read_as_their_type(name, expected):
    assert MAPPING.shelter_names.find(name).type == expected


def test_an_unknown_name_falls_back_per_list():
    assert MAPPING.shelter_names.find("○○").categories == ()                       # a shelter of unknown type
    assert MAPPING.facility_names.find("○○").categories == ("public_facility",)    # a public facility


def test_every_service_type_in_the_shipped_mhlw_files_is_mapped():
    seen: Counter[str] = Counter()
    files = [f for f in national_files() if f.format == "mhlw-care"] + [
        f for f in seed_extracts("13206") if f.format == "mhlw-care"]
    for f in files:
        result = read_mhlw_care(f.read(), f.path, Scope())
        assert not [e for e in result.errors if "対応表" in e["message"]], f.path
        seen.update(r.type for r in result.rows)
    assert set(seen) == {"介護老人福祉施設", "介護老人保健施設", "介護医療院", "夜間対応型訪問介護",
                         "定期巡回・随時対応型訪問介護看護", "訪問介護", "通所介護", "地域密着型通所介護"}


def test_national_shelter_names_mostly_have_a_rule():
    """Nationally, names no rule reads are imported as 避難施設（未分類） and counted; they stay a small share."""
    total = fallback = 0
    for f in national_files():
        if f.format == "gsi-shelters":
            result = read_gsi(f.read(), f.path, Scope(pref="13"))
            total += len(result.rows)
            fallback += sum(r.rule is MAPPING.shelter_names.fallback for r in result.rows)
    assert total > 3000 and fallback / total < 0.15
