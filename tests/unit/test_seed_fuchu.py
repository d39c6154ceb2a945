"""seeds/fuchu.yaml checked against the plan it is read from.

The expected names, codes and 所管課 below are quoted from 「府中市 重層的支援体制整備事業実施計画」
(令和8年4月, 004_50451f3a80e1843a.txt): 2(4) (the 事業名・所管課 tables), 3 / 3(1) / 3(2) (the meetings
and 推進員), 資料(1) (相談支援包括化推進員選出部署一覧) and 奥付 (市役所 address). The 11 福祉エリア
names are public facts (REFERENCE.md). When the document itself is at hand (``$RESOURCEMAP_SOURCES`` or
../shared/sources), every quoted string is also checked to occur in it.
"""
from __future__ import annotations

from pathlib import Path

from resourcemap.geo.boundaries import contains
from resourcemap.geo.chome import chome_units
from resourcemap.model import RESOURCE_KINDS
from resourcemap.seeds import check_edges

SEED = Path(__file__).resolve().parents[2] / "seeds" / "fuchu.yaml"
DOC = DOC_NAME = "004_50451f3a80e1843a.txt"
CITY = "13206"

# REFERENCE.md: 府中市's 11 文化センター, whose 圏域 are the 福祉エリア.
AREAS = ["中央", "白糸台", "西府", "武蔵台", "新町", "住吉", "是政", "紅葉丘", "押立", "四谷", "片町"]
# The town each area is seeded from (real names in the 町丁目 data); 中央 = the 市役所's town.
SEED_TOWN = {"中央": "宮西町", "白糸台": "白糸台", "西府": "西府町", "武蔵台": "武蔵台", "新町": "新町",
             "住吉": "住吉町", "是政": "是政", "紅葉丘": "紅葉丘", "押立": "押立町", "四谷": "四谷", "片町": "片町"}

# 資料(1) 相談支援包括化推進員選出部署一覧, verbatim (26 部署).
SUISHIN_BUSHO = [
    "福祉保健部地域福祉推進課",
    "福祉保健部生活福祉課（生活保護相談担当）",
    "福祉保健部生活福祉課（自立生活支援担当）",
    "福祉保健部高齢者支援課（相談担当）",
    "福祉保健部介護保険課",
    "福祉保健部障害者福祉課（サービス支援担当）",
    "福祉保健部障害者福祉課（サービス支援担当 精神・発達）",
    "福祉保健部障害者福祉課（基幹相談支援担当）",
    "福祉保健部障害者福祉課（子ども発達支援センター発達支援担当）",
    "福祉保健部健康推進課（成人保健係）",
    "子ども家庭部子育て応援課（母子・父子自立支援担当）",
    "子ども家庭部子ども家庭支援課（母子保健係）",
    "子ども家庭部子ども家庭支援課（相談担当）",
    "子ども家庭部保育支援課",
    "子ども家庭部児童青少年課",
    "市民協働推進部地域コミュニティ課",
    "市民協働推進部多様性社会推進課（男女共同参画推進係）",
    "市民協働推進部多様性社会推進課（多文化共生係）",
    "都市整備部住宅課",
    "教育部指導室",
    "教育部教育センター",
    "生活環境部産業振興課",
    "市民部保険年金課",
    "市民部納税課",
    "府中市社会福祉協議会 地域活動推進課",
    "府中市社会福祉協議会 権利擁護課",
]

# 2(4) tables: 事業名 → (法定事業区分, 所管課 as the 所管課 column writes them).
# Codes: 法定事業 by 法第106条の4第2項 (REFERENCE.md); 主な事業 outside the 法定 table are 'other',
# except where the document makes the program the vehicle of a new pillar (アウトリーチ 4, 多機関協働 5).
# 「高年齢者支援課」 (the document's spelling in 地域づくり事業・法定事業) is 資料(1)'s 高齢者支援課.
PROGRAMS = {
    # 包括的相談支援事業 — 法定事業
    "地域包括支援センターの運営": ("1-i", ["高齢者支援課"]),
    "障害者相談支援事業": ("1-ro", ["障害者福祉課"]),
    "利用者支援事業": ("1-ha", ["子ども家庭支援課", "保育支援課"]),
    "自立相談支援事業": ("1-ni", ["生活福祉課"]),
    # 包括的相談支援事業 — 主な事業
    "福祉総合相談窓口": ("other", ["地域福祉推進課"]),
    "子どもと家庭の総合相談事業": ("other", ["子ども家庭支援課"]),
    "青少年総合相談事業": ("other", ["児童青少年課"]),
    "教育相談": ("other", ["教育部指導室"]),
    "ひとり親家庭自立支援相談事業": ("other", ["子育て応援課"]),
    "困難な問題を抱える女性等への支援事業": ("other", ["多様性社会推進課"]),
    "外国人相談事業": ("other", ["多様性社会推進課"]),
    "保健相談室": ("other", ["健康推進課"]),
    # アウトリーチ等を通じた継続的支援事業
    "地域福祉コーディネーター事業": ("4", ["地域福祉推進課", "社会福祉協議会"]),
    # 多機関協働事業
    "相談支援包括化推進員の配置": ("5", ["地域福祉推進課"]),
    "支援会議の開催": ("5", ["地域福祉推進課"]),
    "重層的支援会議の開催": ("5", ["地域福祉推進課"]),
    # 参加支援事業
    "ひきこもりに関する支援": ("other", ["地域福祉推進課"]),
    "居場所支援": ("other", ["教育部指導室"]),
    "就労支援事業を中心とした就労支援体制": ("other", ["障害者福祉課"]),
    "ひとり親家庭自立支援事業": ("other", ["子育て応援課"]),
    "住宅確保要配慮者への居住支援": ("other", ["住宅課"]),
    # 地域づくり事業 — 法定事業
    "地域介護予防活動支援事業": ("3-i", ["高齢者支援課"]),
    "生活支援体制整備事業": ("3-ro", ["高齢者支援課"]),
    "地域活動支援センター事業": ("3-ha", ["障害者福祉課"]),
    "地域子育て支援拠点事業": ("3-ni", ["子ども家庭支援課", "保育支援課"]),
    "生活困窮者の共助の基盤づくり事業": ("3", ["地域福祉推進課"]),
    # 地域づくり事業 — 主な事業
    "地域での自主的な福祉活動の支援": ("other", ["社会福祉協議会"]),
    "ボランティアセンター等の活用による多様な人材の確保・育成": ("other", ["社会福祉協議会"]),
    "チームオレンジの推進": ("other", ["高齢者支援課"]),
    "地域子ども・子育て応援事業": ("other", ["子ども家庭支援課"]),
    "外国につながる児童・生徒の居場所事業": ("other", ["多様性社会推進課"]),
    "元気いっぱいサポーターの活動支援": ("other", ["健康推進課"]),
}
# The pillar-level 事業 of 1(3)/2(3) that have no existing program behind them.
PILLARS = {"参加支援事業": "2", "アウトリーチ等を通じた継続的支援事業": "4", "多機関協働事業": "5",
           "支援プランの作成": "6"}

MEETINGS = ["支援会議", "重層的支援会議", "相談支援包括化推進会議", "代表相談支援包括化推進会議",
            "事務局ミーティング", "府中市福祉のまちづくり推進審議会", "府中市居住支援協議会", "わがまち支えあい協議会"]

# Sites and bodies named in 2(4) and 4.
NAMED_RESOURCES = {
    "府中市社会福祉協議会": "agency",
    "地域包括支援センター": "agency",
    "委託相談支援事業所「み～な」": "agency",
    "委託相談支援事業所「あけぼの」": "agency",
    "委託相談支援事業所「プラザ」": "agency",
    "委託相談支援事業所「ふらっと」": "agency",
    "東京都ひきこもりサポートネット": "agency",
    "東京外国語大学": "agency",
    "シルバー人材センター": "agency",
    "福祉総合相談窓口": "hub",
    "子ども家庭支援センター「たち」": "hub",
    "子育て世代包括支援センター「みらい」": "hub",
    "府中市子ども発達支援センター「はばたき」": "hub",
    "多文化共生センターDIVE": "hub",
    "府中市立心身障害者福祉センター「きずな」": "hub",
    "府中市障害者就労支援センターみ～な": "hub",
    "ボランティアセンター": "hub",
    "介護予防推進センター": "hub",
    "地域交流ひろば": "place",
    "シニアクラブ": "subsidy_group",
}


# --------------------------------------------------------------------------- fixtures / helpers


def named(cat, name, kind=None):
    hits = [n for n in cat.nodes if name in (n.name, n.alternate_name) and (kind is None or n.kind == kind)]
    assert len(hits) == 1, f"expected one node named {name!r} (kind {kind}), found {[n.id for n in hits]}"
    return hits[0]


def out_edges(cat, node, kind):
    return [e for e in cat.edges if e.source == node.id and e.kind == kind]


def in_edges(cat, node, kind):
    return [e for e in cat.edges if e.target == node.id and e.kind == kind]


def targets_of(cat, by_id, node, kind):
    return [by_id[e.target] for e in out_edges(cat, node, kind)]


# --------------------------------------------------------------------------- whole file
def test_file_loads_and_edges_fit_the_rules(cat):
    assert cat.city == CITY and cat.document == DOC
    check_edges(cat.nodes, cat.edges, label=str(SEED))  # ends exist, kinds fit EDGE_RULES, no duplicates
    assert all(n.city == CITY for n in cat.nodes)


def test_every_node_and_edge_cites_the_plan_or_public(cat):
    for n in cat.nodes:
        assert n.source == "public" or n.source.startswith(DOC + "#"), (n.id, n.source)
    public = {n.id for n in cat.nodes if n.source == "public"}
    # only the REFERENCE.md facts are public: the 11 areas and their 文化センター
    assert public == {f"fuchu.area.{k}" for k in _area_keys(cat)} | {f"fuchu.hub.bunka-{k}" for k in _area_keys(cat)}
    for e in cat.edges:
        assert e.cite and (e.cite == "public" or e.cite.startswith(DOC + "#")), (e.kind, e.source, e.target)


def _area_keys(cat):
    return [n.id.removeprefix("fuchu.area.") for n in cat.nodes if n.kind == "area"]


def test_located_nodes_lie_in_the_city_with_a_precision(cat):
    for n in cat.nodes:
        if n.located:
            assert n.location_precision in {"chome", "town", "area", "city"}, n.id
            assert contains(CITY, n.lat, n.lng), f"{n.id} ({n.lat}, {n.lng}) is outside 府中市"
        else:
            assert n.location_precision == "none", n.id
    # programs and meetings are not places; the 都 service is not placed inside the city
    for n in cat.nodes:
        if n.kind in {"program", "meeting"}:
            assert not n.located, n.id
    assert not named(cat, "東京都ひきこもりサポートネット").located


def test_no_invented_counts(cat):
    # The plan gives numbers only for survey results and the 11 areas (which are nodes); no site count.
    assert [n.id for n in cat.nodes if n.count is not None] == []


def test_resources_have_categories(cat):
    for n in cat.nodes:
        if n.kind in RESOURCE_KINDS:
            assert n.categories, f"{n.id} offers no category"


def test_quoted_names_occur_in_the_document(doc):
    text = doc
    # 「委託相談支援事業所「み～な」、「あけぼの」、「プラザ」及び「ふらっと」」: the office names are the 「」 parts
    resources = [n.removeprefix("委託相談支援事業所") for n in NAMED_RESOURCES]
    quoted = list(PROGRAMS) + list(PILLARS) + MEETINGS + resources + SUISHIN_BUSHO
    missing = [s for s in quoted if s not in text]
    assert missing == []


# --------------------------------------------------------------------------- municipality & areas
def test_municipality_at_the_city_hall(cat):
    city = named(cat, "府中市", "municipality")
    assert city.id == "fuchu.city" and city.pref == "東京都" and city.primary_area_level == "福祉エリア"
    assert city.location_precision == "chome"  # 宮西町2丁目24番地 (奥付)
    miyanishi2 = next(c for c in chome_units(CITY) if c.town == "宮西町二丁目")
    assert (city.lat, city.lng) == (miyanishi2.lat, miyanishi2.lng)


def test_the_switchboard_number_is_the_colophons(cat, doc):
    """奥付: 「電話:042-364-4111(代表)」 — the only number the plan publishes; it belongs to the 市役所, not to
    any programme, so it is the municipality's phone (the matcher offers it as 代表 with the 所管課 to ask for)."""
    assert "電話:042-364-4111(代表)" in doc
    phones = {n.id: n.phone for n in cat.nodes if n.phone}
    assert phones == {"fuchu.city": "042-364-4111"}


def test_eleven_welfare_areas(cat, by_id):
    areas = [n for n in cat.nodes if n.kind == "area"]
    assert sorted(a.name for a in areas) == sorted(f"{a}福祉エリア" for a in AREAS)
    for a in areas:
        assert a.level == "福祉エリア" and a.membership == "provisional" and a.location_precision == "area"
        assert [by_id[e.target].kind for e in out_edges(cat, a, "part_of")] == ["municipality"]
    # every 町丁目 of 府中市 belongs to exactly one area; each area holds its eponymous town
    members = [c for a in areas for c in a.chome]
    assert sorted(members) == sorted(c.town for c in chome_units(CITY))
    for short, town in SEED_TOWN.items():
        area = named(cat, f"{short}福祉エリア", "area")
        assert any(c.startswith(town) and c.removeprefix(town).endswith("丁目") for c in area.chome), (short, town)
    assert "宮西町二丁目" in named(cat, "中央福祉エリア").chome  # the 市役所


def test_each_area_has_its_bunka_center(cat, by_id):
    for short in AREAS:
        area = named(cat, f"{short}福祉エリア", "area")
        hub = named(cat, f"{short}文化センター", "hub")
        assert hub.area_id == area.id
        assert [by_id[e.target] for e in out_edges(cat, hub, "located_in")] == [area]
        assert hub.location_precision == ("area" if short == "中央" else "town")
        # 介護予防講座 are held 「文化センターや地域包括支援センターにおいて」
        assert "地域介護予防活動支援事業" in [p.name for p in targets_of(cat, by_id, hub, "implements")]


def test_one_chiiki_fukushi_coordinator_per_area(cat, by_id):
    csw = [n for n in cat.nodes if n.kind == "coordinator" and n.role == "地域福祉コーディネーター"]
    assert len(csw) == 11
    covered = [t.name for c in csw for t in targets_of(cat, by_id, c, "covers")]
    assert sorted(covered) == sorted(f"{a}福祉エリア" for a in AREAS)
    for c in csw:
        assert {p.name for p in targets_of(cat, by_id, c, "implements")} == {
            "地域福祉コーディネーター事業", "生活困窮者の共助の基盤づくり事業"}
        # 所管課: 「地域福祉推進課、社会福祉協議会」
        assert {t.name for t in targets_of(cat, by_id, c, "managed_by")} == {"地域福祉推進課", "府中市社会福祉協議会"}


# --------------------------------------------------------------------------- departments & 推進員
def test_26_suishin_departments_each_with_a_promoter(cat, by_id):
    promoters = [n for n in cat.nodes if n.kind == "coordinator" and n.role == "相談支援包括化推進員"]
    assert len(promoters) == 26
    seen = []
    for p in promoters:
        (dept,) = targets_of(cat, by_id, p, "affiliated_with")
        assert dept.kind == "department"
        seen.append(next(s for s in SUISHIN_BUSHO if s in (dept.name, dept.alternate_name)))
        meetings = {m.name for m in targets_of(cat, by_id, p, "participates_in")}
        assert meetings == {"相談支援包括化推進会議", "支援会議", "重層的支援会議"}
        assert [t.name for t in targets_of(cat, by_id, p, "implements")] == ["相談支援包括化推進員の配置"]
    assert sorted(seen) == sorted(SUISHIN_BUSHO)


def test_department_hierarchy_reaches_the_city_or_the_shakyo(cat, by_id):
    for d in (n for n in cat.nodes if n.kind == "department"):
        node, hops = d, 0
        while node.kind == "department":
            (node,) = targets_of(cat, by_id, node, "part_of")
            hops += 1
            assert hops < 5, d.id
        assert node.id in {"fuchu.city", "fuchu.agency.shakyo"}, d.id
    for busho in ("府中市社会福祉協議会 地域活動推進課", "府中市社会福祉協議会 権利擁護課"):
        dept = named(cat, busho, "department")
        assert [t.name for t in targets_of(cat, by_id, dept, "part_of")] == ["府中市社会福祉協議会"]


def test_representative_promoter(cat, by_id):
    rep = named(cat, "代表相談支援包括化推進員", "coordinator")
    assert rep.role == "代表相談支援包括化推進員"
    assert {m.name for m in targets_of(cat, by_id, rep, "participates_in")} == {
        "重層的支援会議", "代表相談支援包括化推進会議"}
    # 推進員選出課の課長級職員: affiliated with 課 (not 担当/係)
    depts = targets_of(cat, by_id, rep, "affiliated_with")
    assert depts and all(d.kind == "department" and "担当" not in d.name and "係" not in d.name for d in depts)
    assert {"地域福祉推進課", "障害者福祉課", "府中市社会福祉協議会 権利擁護課"} <= {d.name for d in depts}


# --------------------------------------------------------------------------- programs
def _dept_label(n):
    return "社会福祉協議会" if n.id == "fuchu.agency.shakyo" else n.name


def test_every_program_with_code_and_shokanka(cat, by_id):
    for name, (code, shokan) in PROGRAMS.items():
        p = named(cat, name, "program")
        assert p.program == code, (name, p.program)
        assert sorted(_dept_label(t) for t in targets_of(cat, by_id, p, "managed_by")) == sorted(shokan), name
    for name, code in PILLARS.items():
        assert named(cat, name, "program").program == code
    codes = {n.program for n in cat.nodes if n.kind == "program"}
    assert {"1-i", "1-ro", "1-ha", "1-ni", "2", "3-i", "3-ro", "3-ha", "3-ni", "3", "4", "5", "6"} <= codes
    assert len([n for n in cat.nodes if n.kind == "program"]) == len(PROGRAMS) + len(PILLARS)


def test_main_programs_keep_the_pillar_the_document_files_them_under(cat):
    assert named(cat, "外国人相談事業").pillar == "包括的相談支援"
    assert named(cat, "住宅確保要配慮者への居住支援").pillar == "参加支援"
    assert named(cat, "チームオレンジの推進").pillar == "地域づくり"
    assert named(cat, "地域福祉コーディネーター事業").pillar == "アウトリーチ等を通じた継続的支援"


def test_program_structure(cat, by_id):
    csw = named(cat, "地域福祉コーディネーター事業")
    # 【再掲】 in 参加支援事業 and 地域づくり事業 (共助の基盤づくり by the coordinators)
    assert {t.name for t in targets_of(cat, by_id, csw, "part_of")} == {
        "アウトリーチ等を通じた継続的支援事業", "参加支援事業", "生活困窮者の共助の基盤づくり事業"}
    # 支援プラン作成は多機関協働事業と一体的に実施
    assert [t.name for t in targets_of(cat, by_id, named(cat, "支援プランの作成"), "part_of")] == ["多機関協働事業"]
    for name in ("ひきこもりに関する支援", "居場所支援", "就労支援事業を中心とした就労支援体制",
                 "ひとり親家庭自立支援事業", "住宅確保要配慮者への居住支援"):
        assert [t.name for t in targets_of(cat, by_id, named(cat, name), "part_of")] == ["参加支援事業"]
    ibasho = named(cat, "居場所支援")  # 「ケース児童(中学生)」
    assert (ibasho.targets.age_min, ibasho.targets.age_max) == (12, 15)


# --------------------------------------------------------------------------- 委託・補助・連携
def test_disability_consultation_commissioned_to_four_offices(cat, by_id):
    shogai = named(cat, "障害者福祉課", "department")
    comm = out_edges(cat, shogai, "commissions")
    assert sorted(by_id[e.target].alternate_name for e in comm) == sorted(["み～な", "あけぼの", "プラザ", "ふらっと"])
    assert all(e.program == "1-ro" and e.method == "委託" for e in comm)
    for e in comm:
        assert "障害者相談支援事業" in [p.name for p in targets_of(cat, by_id, by_id[e.target], "implements")]


def test_kosodate_oen_subsidises_groups(cat, by_id):
    dept = named(cat, "子ども家庭支援課", "department")
    subs = out_edges(cat, dept, "subsidizes")
    assert sorted(by_id[e.target].name for e in subs) == ["子ども食堂を実施する団体", "子育てひろば活動を実施する団体"]
    assert all(e.method == "補助" and e.program == "other" for e in subs)
    assert named(cat, "地域子ども・子育て応援事業").method == "補助"


def test_named_resources(cat, by_id):
    for name, kind in NAMED_RESOURCES.items():
        named(cat, name, kind)
    dive = named(cat, "多文化共生センターDIVE")
    assert [p.name for p in targets_of(cat, by_id, dive, "implements")] == ["外国人相談事業"]
    assert [p.program for p in targets_of(cat, by_id, dive, "implements")] == ["other"]
    assert "consult.foreign" in dive.categories
    # 基本型の「たち」及び「はぐ」 → 利用者支援事業
    for hub in (named(cat, "子ども家庭支援センター「たち」"), named(cat, "はぐ")):
        assert "利用者支援事業" in [p.name for p in targets_of(cat, by_id, hub, "implements")]
    # 教育相談 は「はばたき」で実施
    assert "教育相談" in [p.name for p in targets_of(cat, by_id, named(cat, "府中市子ども発達支援センター「はばたき」"), "implements")]
    # 「きずな」内の「府中市障害者就労支援センターみ～な」
    mina = named(cat, "府中市障害者就労支援センターみ～な")
    assert [t.name for t in targets_of(cat, by_id, mina, "located_in")] == ["府中市立心身障害者福祉センター「きずな」"]
    # 福祉総合相談窓口: the 地域福祉推進課's window (宮西町2丁目24番地), also 多機関協働事業's 事務局
    window = named(cat, "福祉総合相談窓口", "hub")
    assert window.location_precision == "chome"
    assert {p.name for p in targets_of(cat, by_id, window, "implements")} == {"福祉総合相談窓口", "多機関協働事業"}
    assert [e.source for e in in_edges(cat, window, "operates")] == ["fuchu.dept.chiikifukushi"]
    # 介護予防コーディネーター: 各地域包括支援センターに配置
    kyc = named(cat, "介護予防コーディネーター", "coordinator")
    assert [t.name for t in targets_of(cat, by_id, kyc, "affiliated_with")] == ["地域包括支援センター"]


def test_collaborations_the_document_names(cat, by_id):
    hik = named(cat, "ひきこもりに関する支援")
    assert [t.name for t in targets_of(cat, by_id, hik, "collaborates")] == ["東京都ひきこもりサポートネット"]
    tufs = named(cat, "東京外国語大学")
    assert [t.name for t in targets_of(cat, by_id, tufs, "collaborates")] == ["外国につながる児童・生徒の居場所事業"]
    kyoju = named(cat, "府中市居住支援協議会", "meeting")
    assert [t.name for t in targets_of(cat, by_id, kyoju, "implements")] == ["住宅確保要配慮者への居住支援"]
    assert [e.source for e in in_edges(cat, kyoju, "participates_in")] == ["fuchu.dept.jutaku"]


# --------------------------------------------------------------------------- meetings
def test_meetings(cat, by_id):
    for m in MEETINGS:
        named(cat, m, "meeting")
    # 事務局 (地域福祉推進課 / 福祉総合相談窓口) convenes the 多機関協働 meetings
    runner = named(cat, "地域福祉推進課", "department")
    assert {by_id[e.target].name for e in out_edges(cat, runner, "runs")} == {
        "事務局ミーティング", "支援会議", "重層的支援会議", "相談支援包括化推進会議", "代表相談支援包括化推進会議"}
    assert [t.name for t in targets_of(cat, by_id, named(cat, "支援会議"), "implements")] == ["支援会議の開催"]
    assert {t.name for t in targets_of(cat, by_id, named(cat, "重層的支援会議"), "implements")} == {
        "重層的支援会議の開催", "支援プランの作成"}
    # 出席者: 推進会議 = 推進員 (26); 代表推進会議 = 代表推進員
    assert len(in_edges(cat, named(cat, "相談支援包括化推進会議"), "participates_in")) == 26
    assert [e.source for e in in_edges(cat, named(cat, "代表相談支援包括化推進会議"), "participates_in")] == [
        "fuchu.coord.daihyo-suishin"]
