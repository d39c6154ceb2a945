"""The 入間市 seed catalogue checked against its source: 入間市重層的支援体制整備事業実施計画 (令和8年3月).

Every expectation below is quoted from ../shared/sources/003_8194474ba235d705.txt (section in the
comment), not read back from seeds/iruma.yaml, so a catalogue that drifts from the plan fails here.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from resourcemap.geo.boundaries import contains
from resourcemap.model import EDGE_RULES, RESOURCE_KINDS

SEED = Path(__file__).resolve().parents[2] / "seeds" / "iruma.yaml"
DOC = "003_8194474ba235d705.txt"
CITY = "11225"

# 3(1) 地域包括支援センターの運営 / 3(2) 生活支援体制整備事業 第2層: 地域包括支援センター 計9か所
HOUKATSU = ["豊岡東", "豊岡西", "豊岡北", "東金子地区", "金子地区", "宮寺・二本木地区", "藤沢", "東藤沢", "西武地区"]
# 3(2) 入間市近隣助け合い活動推進協議会 ≪福祉圏域単位で9団体≫
FUKUSHI = ["豊岡第一", "豊岡第二", "黒須・高倉", "東金子", "金子", "宮寺・二本木", "藤沢", "東藤沢", "西武"]
# 3(1) 地区センター 計9か所
CHIKU = ["扇町地区", "東町地区", "黒須地区", "東金子地区", "金子地区", "宮寺・二本木地区", "藤沢地区", "東藤沢地区", "西武地区"]
# 3(2) 地域子育て支援拠点事業: 地域子育て支援センター ※市内10か所
KOSODATE = ["チャーむ", "あいくる", "あん", "むぎ", "あおいとり", "あおぞら", "ChaChairuma", "こどものくに保育園", "あけぼの",
            "おやこの遊びひろば"]
# 3(1) 利用者支援事業 基本型: 地域子育て支援センター（ちゃーむ、あん、あいくる、あけぼの、あおいとり）
KIHON = ["チャーむ", "あん", "あいくる", "あけぼの", "あおいとり"]
# 3(2) 地域活動支援センター事業 計3か所
CHIKATSU = ["地域活動支援センターつどい", "花の郷福祉作業所", "入間市扇台福祉作業所"]
# 3(2) 地域支え合い組織 ≪福祉圏域単位で6団体≫ (団体名, 福祉圏域) — 藤沢第一地区 is written so in the plan
SASAEAI_6 = [("豊一助け合い", "豊岡第一"), ("豊岡第二地区元気にする会", "豊岡第二"), ("ささえあい金子", "金子"),
             ("ふじさわサポート", "藤沢"), ("ささえあい東藤沢", "東藤沢"), ("ささえあい西武", "西武")]
# ≪自治会等単位で4団体≫ (団体名, 地区)
SASAEAI_4 = [("グリーンヒルお助け隊", "藤沢"), ("ささえあい入間台", "東金子"), ("ささえーるプルミエール", "藤沢"),
             ("おたすけ会", "西武")]
# 3(1) スクールカウンセラーによる相談支援: さわやか相談室 計10校
SAWAYAKA_SCHOOLS = ["豊岡中", "金子中", "武蔵中", "藤沢中", "西武中", "向原中", "黒須中", "東金子中", "上藤沢中", "東町中"]

# 事業名 → (法定事業区分, 所管課, 実施方式) as the tables of 3(1)–3(3) give them
PROGRAMS = {
    "地域包括支援センターの運営": ("1-i", {"高齢者支援課"}, "委託"),
    "障害者相談支援事業": ("1-ro", {"障害者支援課"}, "委託"),
    "利用者支援事業": ("1-ha", {"こども支援課", "地域保健課"}, "直営・委託"),
    "生活困窮者自立相談支援事業": ("1-ni", {"生活支援課"}, "委託"),
    "総合相談支援体制の整備": ("other", {"福祉総務課"}, "直営"),
    "福祉困りごと何でも相談支援": ("other", {"福祉総務課"}, "補助"),
    "地区センターにおける福祉総合相談支援": ("other", {"地域振興課"}, "直営"),
    "スクールカウンセラーによる相談支援": ("other", {"学校教育課"}, "直営"),
    "ひきこもり支援": ("other", {"地域保健課"}, "直営"),
    "こども家庭センターの運営": ("other", {"こども支援課"}, "直営"),
    "DV相談及び女性の悩みごと相談事業": ("other", {"人権推進課"}, "直営"),
    "多文化共生の推進": ("other", {"地域振興課"}, "直営"),
    "地域介護予防活動支援事業": ("3-i", {"高齢者支援課"}, None),          # 直営、補助
    "生活支援体制整備事業": ("3-ro", {"高齢者支援課"}, "委託"),
    "地域活動支援センター事業": ("3-ha", {"障害者支援課"}, None),          # 補助、委託
    "地域子育て支援拠点事業": ("3-ni", {"こども支援課", "青少年課"}, None),  # 委託、児童センター指定管理
    "精神障害者地域生活支援事業": ("other", {"地域保健課"}, "直営"),
    "生活困窮者支援等のための地域づくり事業": ("3", {"生活支援課", "こども支援課"}, None),
    "民生委員・児童委員の活動": ("other", {"福祉総務課"}, None),           # 報償金等
    "参加支援事業": ("2", {"福祉総務課"}, "委託"),
    "アウトリーチ等を通じた継続的支援事業": ("4", {"福祉総務課"}, "委託"),
    "多機関協働事業": ("5", {"福祉総務課"}, "直営"),
}
NEW_PROGRAMS = ["参加支援事業", "アウトリーチ等を通じた継続的支援事業", "多機関協働事業"]  # 3(3) 新規事業




def named(cat, kind: str, name: str):
    hits = [n for n in cat.nodes if n.kind == kind and n.name == name]
    assert len(hits) == 1, f"expected one {kind} named {name!r}, found {[n.id for n in hits]}"
    return hits[0]


def containing(cat, kind: str, *parts: str):
    hits = [n for n in cat.nodes if n.kind == kind and all(p in (n.name + (n.alternate_name or "")) for p in parts)]
    assert len(hits) == 1, f"expected one {kind} with {parts}, found {[n.id for n in hits]}"
    return hits[0]


def targets_of(cat, kind: str, source_id: str) -> set[str]:
    return {e.target for e in cat.edges if e.kind == kind and e.source == source_id}


def sources_of(cat, kind: str, target_id: str) -> set[str]:
    return {e.source for e in cat.edges if e.kind == kind and e.target == target_id}


# ---------------------------------------------------------------- whole-file properties ----

def test_file_is_for_iruma_and_cites_its_plan(cat):
    assert cat.city == CITY
    assert cat.document == DOC
    for n in cat.nodes:
        assert n.city == CITY, n.id
        assert n.source == "public" or n.source.startswith(DOC + "#"), (n.id, n.source)
    for e in cat.edges:
        assert e.cite and e.cite.startswith(DOC + "#"), (e.id, e.cite)


def test_no_hand_typed_coordinates():
    raw = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    for n in raw["nodes"]:
        assert not {"lat", "lng", "location_precision"} & set(n), n["id"]


def test_ids_unique_and_prefixed(cat):
    ids = [n.id for n in cat.nodes]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("iruma.") for i in ids)


def test_located_nodes_lie_inside_iruma(cat):
    located = [n for n in cat.nodes if n.located]
    assert located
    for n in located:
        assert n.location_precision in {"chome", "town", "area", "city"}, n.id
        assert contains(CITY, n.lat, n.lng), (n.id, n.lat, n.lng)
    # programs and meetings are never placed
    for n in cat.nodes:
        if n.kind in {"program", "meeting"}:
            assert not n.located, n.id


def test_edges_have_existing_ends_of_allowed_kinds(cat, by_id):
    ids = set()
    for e in cat.edges:
        assert e.source in by_id and e.target in by_id, (e.kind, e.source, e.target)
        src, tgt = EDGE_RULES[e.kind]
        assert by_id[e.source].kind in src and by_id[e.target].kind in tgt, (e.kind, e.source, e.target)
        assert e.id not in ids
        ids.add(e.id)


def test_resources_have_categories(cat):
    for n in cat.nodes:
        if n.kind in RESOURCE_KINDS:
            assert n.categories, n.id


# ---------------------------------------------------------------- areas ----

def test_municipality(cat):
    city = named(cat, "municipality", "入間市")
    assert city.pref == "埼玉県"
    assert city.primary_area_level == "日常生活圏域"
    assert city.location_precision == "city"


@pytest.mark.parametrize("level,names", [("日常生活圏域", HOUKATSU), ("福祉圏域", FUKUSHI)])
def test_nine_areas_per_level_provisional(cat, level, names):
    areas = [n for n in cat.nodes if n.kind == "area" and n.level == level]
    assert sorted(a.name for a in areas) == sorted(names)
    city = named(cat, "municipality", "入間市")
    for a in areas:
        assert a.membership == "provisional", a.id
        assert "暫定" in (a.description or ""), a.id
        assert a.chome and a.location_precision == "area", a.id
        assert city.id in targets_of(cat, "part_of", a.id), a.id
    # the areas of one level partition the city's 町丁目
    members = [c for a in areas for c in a.chome]
    assert len(members) == len(set(members))


def test_seed_towns_are_real_and_by_name():
    raw = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    seeds = {(n["level"], n["name"]): n.get("seed_towns") for n in raw["nodes"] if n["kind"] == "area"}
    assert "東藤沢" in seeds[("日常生活圏域", "東藤沢")]
    assert {"宮寺", "大字二本木"} <= set(seeds[("日常生活圏域", "宮寺・二本木地区")])
    assert "東藤沢" in seeds[("福祉圏域", "東藤沢")]


def test_placeholder_seeds_are_declared(cat):
    # the plan names no town of these areas: any seed is a placeholder and must say so (東金子/西武 are seated at
    # their 地区センター since the open data gave its address: test_seats_are_the_district_centres_addresses)
    no_town = {("日常生活圏域", n) for n in ["豊岡東", "豊岡西", "豊岡北"]} | \
              {("福祉圏域", n) for n in ["豊岡第一", "豊岡第二"]}
    for a in cat.nodes:
        if a.kind == "area":
            flagged = "仮の種地" in a.description and "計画に根拠はない" in a.description
            assert flagged == ((a.level, a.name) in no_town), a.id


def test_seats_are_the_district_centres_addresses(cat):
    """東金子地区 / 西武地区 are seeded with the town of their 地区センター's address in the shipped GSI data."""
    import json

    from resourcemap.opendata import seed_extracts
    from resourcemap.opendata.files import read_text

    evac = next(f for f in seed_extracts("11225") if "evacuation" in f.path)
    address = {ft["properties"]["施設・場所名"]: ft["properties"]["住所"] for ft in json.loads(read_text(evac.read()))["features"]}
    raw = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    for centre, town, areas in (("東金子地区センター", "小谷田", {"東金子地区", "東金子"}),
                                ("西武地区センター", "野田", {"西武地区", "西武"})):
        assert address[centre].startswith(f"埼玉県入間市{town}")
        for n in raw["nodes"]:
            if n["kind"] == "area" and n["name"] in areas:
                assert n["seed_towns"] == [f"大字{town}"] and centre in n["description"], n["id"]
        for a in cat.nodes:
            if a.kind == "area" and a.name in areas:
                assert f"大字{town}" in a.chome and "仮の種地" not in a.description


def test_area_membership_follows_town_names(cat):
    def area(level, name):
        return next(n for n in cat.nodes if n.kind == "area" and n.level == level and n.name == name)

    assert "東藤沢三丁目" in area("日常生活圏域", "東藤沢").chome
    assert "大字二本木" in area("日常生活圏域", "宮寺・二本木地区").chome
    assert "宮寺" in area("福祉圏域", "宮寺・二本木").chome
    assert "高倉二丁目" in area("福祉圏域", "黒須・高倉").chome
    assert "金子中央" in area("福祉圏域", "金子").chome


# ---------------------------------------------------------------- 事業 ----

@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_program_with_code_department_and_method(cat, by_id, name):
    code, depts, method = PROGRAMS[name]
    prog = containing(cat, "program", name)
    assert prog.program == code
    assert {by_id[t].name for t in targets_of(cat, "managed_by", prog.id)} == depts
    if method:
        assert prog.method == method
    else:  # mixed methods ("直営、補助", "補助、委託", …) are kept in the description
        assert prog.method == "その他"
        assert "実施方式" in (prog.description or "")
    assert prog.source.startswith(DOC + "#3(")


def test_new_programs_are_planned(cat):
    for name in NEW_PROGRAMS:
        assert containing(cat, "program", name).status == "planned"
    assert named(cat, "meeting", "重層的支援会議").status == "planned"


def test_departments_belong_to_the_city(cat):
    city = named(cat, "municipality", "入間市")
    depts = [n for n in cat.nodes if n.kind == "department"]
    assert {d.name for d in depts} >= {"高齢者支援課", "障害者支援課", "こども支援課", "地域保健課", "生活支援課", "福祉総務課",
                                       "地域振興課", "学校教育課", "人権推進課", "青少年課"}
    for d in depts:
        assert targets_of(cat, "part_of", d.id) == {city.id}, d.id


# ---------------------------------------------------------------- 社会福祉協議会 / CSW ----

def test_shakyo_commissions_and_subsidies(cat, by_id):
    shakyo = containing(cat, "agency", "入間市社会福祉協議会")
    assert shakyo.org_type == "社会福祉協議会"
    got = {(e.kind, by_id[e.source].name, e.program, e.method) for e in cat.edges if e.target == shakyo.id
           and e.kind in {"commissions", "subsidizes"}}
    # 3(3) 参加支援事業 / アウトリーチ等を通じた継続的支援事業: 【実施方式】委託 (社福)入間市社会福祉協議会
    assert ("commissions", "福祉総務課", "2", "委託") in got
    assert ("commissions", "福祉総務課", "4", "委託") in got
    # 3(2) 生活支援体制整備事業 第1層：入間市社会福祉協議会, 【実施方式】委託
    assert ("commissions", "高齢者支援課", "3-ro", "委託") in got
    # 3(1) 福祉困りごと何でも相談支援 【実施方式】補助
    assert ("subsidizes", "福祉総務課", "other", "補助") in got
    hub = named(cat, "hub", "福祉困りごと何でも相談支援センター")
    assert hub.id in targets_of(cat, "operates", shakyo.id)


def test_csw_of_shakyo_does_participation_and_outreach(cat, by_id):
    csw = next(n for n in cat.nodes if n.kind == "coordinator" and n.role == "CSW")
    assert "コミュニティソーシャルワーカー" in csw.name
    shakyo = containing(cat, "agency", "入間市社会福祉協議会")
    assert targets_of(cat, "affiliated_with", csw.id) == {shakyo.id}
    progs = {by_id[t].program for t in targets_of(cat, "implements", csw.id)}
    assert {"2", "4"} <= progs
    assert named(cat, "municipality", "入間市").id in targets_of(cat, "covers", csw.id)


def test_seikatsushien_coordinators_two_layers(cat, by_id):
    sc = [n for n in cat.nodes if n.kind == "coordinator" and n.role == "生活支援コーディネーター"]
    assert len(sc) == 2
    first = next(n for n in sc if "第1層" in n.name)
    second = next(n for n in sc if "第2層" in n.name)
    assert by_id[next(iter(targets_of(cat, "affiliated_with", first.id)))].name.endswith("入間市社会福祉協議会")
    assert {by_id[a].name for a in targets_of(cat, "covers", second.id)} == set(HOUKATSU)


# ---------------------------------------------------------------- sites ----

def test_nine_houkatsu_centres_located_by_their_area(cat, by_id):
    hubs = [n for n in cat.nodes if n.kind == "hub" and n.name.startswith("地域包括支援センター")]
    assert sorted(h.name.removeprefix("地域包括支援センター") for h in hubs) == sorted(HOUKATSU)
    for h in hubs:
        area = by_id[h.area_id]
        assert area.level == "日常生活圏域" and h.name.endswith(area.name)
        assert h.location_precision == "area" and (h.lat, h.lng) == (area.lat, area.lng)
        assert targets_of(cat, "covers", h.id) == {area.id}
        assert h.program == "1-i" and "consult.elderly" in h.categories
        assert h.targets.age_min == 65  # 65歳以上の高齢者とその家族等
        assert {by_id[p].program for p in targets_of(cat, "implements", h.id)} >= {"1-i", "3-ro", "3-i"}


def test_nine_chiku_centres(cat):
    hubs = [n for n in cat.nodes if n.kind == "hub" and n.name.endswith("地区センター")]
    assert sorted(h.name for h in hubs) == sorted(n + "センター" for n in CHIKU)
    prog = containing(cat, "program", "地区センターにおける福祉総合相談支援")
    for h in hubs:
        assert prog.id in targets_of(cat, "implements", h.id)
        assert "consult.general" in h.categories


def test_ten_kosodate_centres(cat, by_id):
    hubs = [n for n in cat.nodes if n.kind == "hub" and n.name.startswith("地域子育て支援センター")]
    assert sorted(h.name for h in hubs) == sorted(f"地域子育て支援センター（{n}）" for n in KOSODATE)
    for h in hubs:
        progs = {by_id[p].program for p in targets_of(cat, "implements", h.id)}
        assert "3-ni" in progs
        assert ("1-ha" in progs) == any(h.name.endswith(f"（{k}）") for k in KIHON), h.name


def test_sawayaka_soudanshitsu_is_one_node_counting_ten_schools(cat):
    hub = named(cat, "hub", "さわやか相談室")
    assert hub.count == 10
    for school in SAWAYAKA_SCHOOLS:
        assert school in hub.description
    assert "consult.school" in hub.categories


def test_three_chiiki_katsudo_centres(cat, by_id):
    prog = containing(cat, "program", "地域活動支援センター事業")
    for name in CHIKATSU:
        hub = named(cat, "hub", name)
        assert prog.id in targets_of(cat, "implements", hub.id)
        assert hub.targets.residents_only  # 市内居住で障害のある人


def test_single_sites_of_the_consultation_programs(cat, by_id):
    # (site, program it implements, department operating it — None when 委託 to an unnamed operator)
    for site, prog, dept in [
        ("入間市障害者基幹相談支援センター", "障害者相談支援事業", None),
        ("総合相談支援室", "生活困窮者自立相談支援事業", "福祉総務課"),
        ("入間市こども家庭センター", "こども家庭センターの運営", "こども支援課"),
        ("入間市男女共同参画推進センター", "DV相談及び女性の悩みごと相談事業", "人権推進課"),
        ("外国人相談窓口", "多文化共生の推進", "地域振興課"),
        ("入間市健康福祉センター", "ひきこもり支援", "地域保健課"),
    ]:
        hub = named(cat, "hub", site)
        assert containing(cat, "program", prog).id in targets_of(cat, "implements", hub.id), site
        if dept:
            assert {by_id[s].name for s in sources_of(cat, "operates", hub.id)} == {dept}, site
    kikan = named(cat, "hub", "入間市障害者基幹相談支援センター")
    assert kikan.alternate_name == "障害者相談支援センターりぼん"
    hiki = containing(cat, "program", "ひきこもり支援")
    assert (hiki.targets.age_min, hiki.targets.age_max) == (15, 49)  # 概ね15歳~49歳


def test_foreign_consultation_schedule(cat):
    hub = named(cat, "hub", "外国人相談窓口")
    days = {(s.freq, s.byday) for s in hub.schedules}
    assert days == {("WEEKLY", "TU"), ("MONTHLY", "2FR,4FR"), ("WEEKLY", "WE"), ("MONTHLY", "1TH")}


def test_young_carer_coordinator(cat):
    yc = named(cat, "coordinator", "ヤングケアラー・コーディネーター")
    assert named(cat, "hub", "入間市こども家庭センター").id in targets_of(cat, "located_in", yc.id)


# ---------------------------------------------------------------- 近隣助け合い / 地域支え合い組織 / 民生委員 ----

def test_kinrin_tasukeai_nine_groups_cover_the_fukushi_areas(cat, by_id):
    kyogikai = named(cat, "meeting", "入間市近隣助け合い活動推進協議会")
    groups = [n for n in cat.nodes if n.kind == "subsidy_group" and n.name.startswith("近隣助け合い活動")]
    assert len(groups) == 9
    assert {by_id[next(iter(targets_of(cat, "covers", g.id)))].name for g in groups} == set(FUKUSHI)
    for g in groups:
        assert kyogikai.id in targets_of(cat, "participates_in", g.id)
        assert {"life_support.housework", "life_support.shopping"} <= set(g.categories)  # 家事援助・買い物代行


def test_chiiki_sasaeai_soshiki_by_name(cat, by_id):
    shakyo = containing(cat, "agency", "入間市社会福祉協議会")
    prog = containing(cat, "program", "近隣助け合い活動")
    for name, area in SASAEAI_6:
        g = containing(cat, "subsidy_group", name)
        assert by_id[g.area_id].name == area and by_id[g.area_id].level == "福祉圏域"
        assert {by_id[a].name for a in targets_of(cat, "covers", g.id)} == {area}
        assert shakyo.id in sources_of(cat, "subsidizes", g.id)  # 団体支援：入間市社会福祉協議会
        assert prog.id in targets_of(cat, "implements", g.id)
    for name, area in SASAEAI_4:
        g = containing(cat, "subsidy_group", name)
        assert by_id[g.area_id].name == area
        assert "自治会等単位" in g.description
        assert g.location_precision == "area"
    planvert = containing(cat, "subsidy_group", "おたすけ会")
    assert "プランヴェール入間武蔵野自治会" in planvert.name + (planvert.alternate_name or "")
    all_groups = [n for n in cat.nodes if n.kind == "subsidy_group" and "地域支え合い組織" in (n.description or "")]
    assert len(all_groups) == 10  # 6 + 4


def test_minsei_iin_count(cat, by_id):
    minsei = next(n for n in cat.nodes if n.kind == "coordinator" and n.role == "民生委員・児童委員")
    assert minsei.count == 252  # 民生委員・児童委員252人(定数)
    assert named(cat, "meeting", "支援会議").id in targets_of(cat, "participates_in", minsei.id)


def test_genki_de_iru_net(cat, by_id):
    suishinkai = named(cat, "meeting", "入間市高齢者等地域ネットワーク推進会")
    assert "13団体" in suishinkai.description
    assert named(cat, "agency", "入間地区医師会").id in sources_of(cat, "participates_in", suishinkai.id)
    prog = containing(cat, "program", "元気でいるネット")
    assert prog.id in targets_of(cat, "implements", suishinkai.id)


def test_konkyu_chiikizukuri_actors(cat):
    prog = containing(cat, "program", "生活困窮者支援等のための地域づくり事業")
    actors = sources_of(cat, "implements", prog.id)
    for name in ["いるまフードパントリー茶いるど", "こども食堂ネットワーク いるま", "NPO法人フードバンク"]:
        node = next(n for n in cat.nodes if n.name == name)
        assert node.id in actors, name
    assert containing(cat, "agency", "入間市社会福祉協議会").id in actors


# ---------------------------------------------------------------- 会議体 / 数値目標 ----

def test_meetings_of_the_takikan_program(cat, by_id):
    takikan = containing(cat, "program", "多機関協働事業")
    for name, section in [("重層的支援会議", "#4(1)"), ("支援会議", "#4(2)")]:
        m = named(cat, "meeting", name)
        assert m.source == DOC + section
        assert takikan.id in targets_of(cat, "part_of", m.id)
        assert "福祉総務課" in {by_id[s].name for s in sources_of(cat, "participates_in", m.id)}
        # 5 数値目標 (令和8年度): 開催回数 5回, 取り扱うケース件数 6件
        assert "5回" in m.description and "6件" in m.description
    assert "5回" in takikan.description and "6件" in takikan.description
    shien = named(cat, "meeting", "支援会議")
    assert "守秘義務" in shien.description
    assert containing(cat, "agency", "入間市社会福祉協議会").id in sources_of(cat, "participates_in", shien.id)
    plan = containing(cat, "program", "支援プランの作成")
    assert plan.program == "6" and takikan.id in targets_of(cat, "part_of", plan.id)


def test_other_meeting_bodies(cat):
    for name in ["入間市総合相談支援検討委員会", "入間市地域福祉計画進行管理委員会", "入間市近隣助け合い活動推進協議会",
                 "入間市高齢者等地域ネットワーク推進会"]:
        named(cat, "meeting", name)
    assert any(n.kind == "meeting" and n.name.startswith("協議体") for n in cat.nodes)
