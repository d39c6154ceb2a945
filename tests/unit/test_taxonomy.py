"""The taxonomy: coverage of the services the five plans name, lookup through normalisation, hierarchy."""
from __future__ import annotations

import pytest

from resourcemap.errors import UnknownCategory
from resourcemap.taxonomy import load_taxonomy
from resourcemap.textnorm import normalize

TAX = load_taxonomy()

# Every kind of service the foundation issue lists, as a coordinator would type it → the category it must reach.
SERVICE_WORDS = {
    "地域包括支援センター": "consult.elderly", "障害者相談支援": "consult.disability", "利用者支援": "consult.child",
    "自立相談支援": "consult.poverty", "居場所": "ibasho", "通いの場": "kayoi", "介護予防": "kayoi",
    "子育て支援センター": "kosodate", "創作的活動": "creative", "生産活動": "creative", "就労支援": "employment",
    "居住支援": "housing", "食料支援": "food", "フードバンク": "food.foodbank", "フードパントリー": "food.pantry",
    "こども食堂": "food.kodomo_shokudo", "学習支援": "learning", "見守り": "watch", "生活支援": "life_support",
    "家事援助": "life_support.housework", "買い物代行": "life_support.shopping", "権利擁護": "rights",
    "成年後見": "rights", "外国人相談": "consult.foreign", "DV": "consult.dv_women", "女性相談": "consult.dv_women",
    "ひきこもり": "hikikomori", "認知症": "dementia", "チームオレンジ": "dementia", "ボランティア": "volunteer",
    "アウトリーチ": "outreach", "ヤングケアラー": "childcare.young_carer", "参加支援": "participation",
}


@pytest.mark.parametrize("word,category", sorted(SERVICE_WORDS.items()))
def test_every_named_service_resolves(word, category):
    assert TAX.resolve(word).category.id == category


@pytest.mark.parametrize("variant", ["引きこもり", "ヒキコモリ", "ひきこもり支援", "ｈｉｋｉｋｏｍｏｒｉ", "hikikomori",
                                     "引き籠もり", "  ひきこもり　"])
def test_spelling_variants_land_on_one_category(variant):
    assert TAX.resolve(variant).category.id == "hikikomori"


def test_width_old_forms_and_ke_are_folded():
    assert normalize("ＤＶ相談") == normalize("dv相談")
    assert normalize("ﾌｰﾄﾞﾊﾞﾝｸ") == normalize("フードバンク")
    assert normalize("髙齢者") == normalize("高齢者")
    assert normalize("旭ヶ丘") == normalize("旭ケ丘") == normalize("旭が丘")
    assert normalize("ケアラー") != normalize("がアラー")  # ケ outside a place name is kept


def test_fit_kinds_are_reported():
    assert TAX.resolve("ibasho.youth").fit == "exact"
    assert TAX.resolve("居場所（若者）").fit == "label"
    assert TAX.resolve("ユースセンター").fit == "synonym"


def test_unknown_term_fails_with_candidates():
    with pytest.raises(UnknownCategory) as exc:
        TAX.resolve("こども食")
    assert "こども食堂" in exc.value.candidates
    with pytest.raises(UnknownCategory):
        TAX.resolve("宇宙旅行")


def test_hierarchy_is_a_forest_and_descendants_are_complete():
    for cat in TAX:
        seen = set()
        cur = cat.id
        while cur is not None:  # no cycles
            assert cur not in seen
            seen.add(cur)
            cur = TAX.categories[cur].parent
    assert TAX.descendants("food") == {"food", "food.foodbank", "food.pantry", "food.kodomo_shokudo"}
    assert TAX.ancestors("food.pantry") == ["food"]
    brute = {c.id for c in TAX if "food" in [c.id, *TAX.ancestors(c.id)]}
    assert brute == TAX.descendants("food")


def test_synonyms_name_one_category_each():
    owner: dict[str, str] = {}
    for cat in TAX:
        for syn in cat.synonyms:
            key = normalize(syn)
            if key in owner:
                assert owner[key] == cat.id, f"{syn} names {owner[key]} and {cat.id}"
            owner[key] = cat.id
