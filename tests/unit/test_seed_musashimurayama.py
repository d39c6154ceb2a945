"""seeds/musashimurayama.yaml against its document, 武蔵村山市重層的支援体制整備事業 移行計画【令和7年度】.

Why the tests read the plan: the existing 事業 per 法定区分, the 【新規】 事業, the number of
地域福祉コーディネーター and the 市役所 address are taken from the text (000_c9a77e2c4b3ca2a2.txt),
so a catalogue that drifts from the plan fails here.
"""
from __future__ import annotations

import re
from pathlib import Path

from resourcemap.geo import boundaries, chome_by_name, load_chome
from resourcemap.seeds import check_edges
from tests.seedgraph import out_targets as _out
from tests.sources import source_path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "musashimurayama.yaml"
DOC_NAME = "000_c9a77e2c4b3ca2a2.txt"
DOC_PATH = source_path(DOC_NAME)
CITY = "13223"

# 第2-2「本市の実施状況」: 社会福祉法の事業根拠 → 既存事業 as the table writes them.
EXISTING = {
    "1-i": ["地域包括支援センター"],
    "1-ro": ["障害者相談支援事業", "基幹相談支援センター"],
    "1-ha": ["特定型", "子ども家庭センター型"],
    "1-ni": ["市民なやみごと相談窓口"],
    "3-i": ["地域介護予防活動支援事業"],
    "3-ro": ["生活支援体制整備事業"],
    "3-ha": ["地域活動支援センター事業"],
    "3-ni": ["地域子育て支援拠点事業"],
}


def _named(cat, name: str, kind: str | None = None):
    hits = [n for n in cat.nodes if n.name == name and (kind is None or n.kind == kind)]
    assert hits, f"no node named {name!r}" + (f" of kind {kind}" if kind else "")
    return hits


# ------------------------------------------------------------------------------------------ basics
def test_file_loads_and_edges_fit_rules(cat):
    assert cat.city == CITY and cat.document == DOC_NAME
    check_edges(cat.nodes, cat.edges, label=str(SEED))
    ids = {n.id for n in cat.nodes}
    for e in cat.edges:
        assert e.source in ids and e.target in ids, e
        assert e.cite and e.cite.startswith(DOC_NAME + "#"), e


def test_every_node_cites_the_plan(cat, doc):
    for n in cat.nodes:
        assert n.city == CITY and n.id.startswith("musashimurayama."), n.id
        assert n.source.startswith(DOC_NAME + "#"), (n.id, n.source)
        section = n.source.split("#", 1)[1]
        top = re.match(r"(第\d)", section)
        if top:
            assert f"{top.group(1)}\t" in doc or f"{top.group(1)} " in doc, (n.id, section)
        else:
            assert section == "奥付", (n.id, section)


def test_located_nodes_lie_in_musashimurayama(cat):
    for n in cat.nodes:
        if n.located:
            assert n.location_precision in {"chome", "city", "area"}, n.id
            assert boundaries.contains(CITY, n.lat, n.lng), n.id
        else:
            assert n.location_precision == "none"


def test_city_hall_address_of_the_plan(cat, by_id, doc):
    """奥付: 「武蔵村山市本町一丁目1番地の1」 — the city, 福祉総務課 and 市民なやみごと相談窓口 sit on 本町一丁目."""
    assert "武蔵村山市本町一丁目1番地の1" in doc and "編集/武蔵村山市健康福祉部福祉総務課" in doc
    hall = chome_by_name(CITY, "本町一丁目")
    for nid in ("musashimurayama.city",):
        n = by_id[nid]
        assert n.location_precision == "chome" and (n.lat, n.lng) == (hall.lat, hall.lng)
    dept = _named(cat, "福祉総務課", "department")[0]
    assert dept.location_precision == "chome" and (dept.lat, dept.lng) == (hall.lat, hall.lng)
    assert {by_id[t].name for t in _out(cat, dept.id, "part_of")} == {"健康福祉部"}


def test_the_switchboard_number_is_the_colophons(cat, doc):
    """奥付: 「TEL 042-565-1111 (代表)」 — the plan's only number: the 市役所's, on the municipality node."""
    assert "TEL 042-565-1111 (代表)" in doc
    assert {n.id: n.phone for n in cat.nodes if n.phone} == {"musashimurayama.city": "042-565-1111"}


def test_one_city_wide_area(cat):
    areas = [n for n in cat.nodes if n.kind == "area"]
    assert len(areas) == 1 and areas[0].level == "市全域" and areas[0].membership == "document"
    assert set(areas[0].chome) == {c.town for c in load_chome(CITY)}
    assert _out(cat, areas[0].id, "part_of") == ["musashimurayama.city"]


def test_resources_have_categories(cat):
    for n in cat.nodes:
        if n.kind in {"agency", "hub", "place", "subsidy_group"}:
            assert n.categories, n.id


# ------------------------------------------------------------------------------------------ 既存事業
def test_existing_jigyo_per_houtei_kubun(cat, doc):
    table = doc.split("2 本市の実施状況", 1)[1].split("3 地域福祉推進の取組内容", 1)[0]
    for code, names in EXISTING.items():
        active = [n for n in cat.nodes if n.program == code and n.status == "active"]
        assert any(n.kind == "program" for n in active), code
        for name in names:
            assert name in table, f"{name!r} is not in the table of 第2-2"
            assert any(name in n.name for n in active), (code, name)


def test_kourei_shougai_kodomo_sites(cat):
    for name, code, cat_id in [("地域包括支援センター", "1-i", "consult.elderly"),
                               ("基幹相談支援センター", "1-ro", "consult.disability"),
                               ("子ども家庭センター", "1-ha", "consult.child"),
                               ("地域活動支援センター", "3-ha", "creative")]:
        hub = _named(cat, name, "hub")[0]
        assert hub.program == code and cat_id in hub.categories
        progs = {n.id for n in cat.nodes if n.kind == "program" and n.program == code}
        assert set(_out(cat, hub.id, "implements")) & progs, name


def test_kaigoyobo_subsidises_groups(cat, doc):
    assert "高齢者に通いの場を提供する団体" in doc and "生活支援活動を行う団体に対して補助等を行います" in doc
    prog = [n for n in cat.nodes if n.kind == "program" and n.program == "3-i"][0]
    assert prog.method == "補助"
    subs = [e for e in cat.edges if e.kind == "subsidizes" and e.program == "3-i"]
    assert {e.target for e in subs} == {n.id for n in cat.nodes if n.kind == "subsidy_group"}
    assert len(subs) == 2


def test_nayamigoto_soudan_madoguchi_is_the_sougougata_kyoten(cat, by_id, doc):
    assert "「市民なやみごと相談窓口」を包括的相談支援の「総合型拠点」として位置付け" in doc
    assert "「市民なやみごと相談窓口」を多機関協働事業の中核的役割を担うものと位置付け" in doc
    hub = _named(cat, "市民なやみごと相談窓口", "hub")[0]
    assert {"consult.general", "consult.poverty"} <= set(hub.categories)
    assert hub.location_precision == "chome"
    hall = chome_by_name(CITY, "本町一丁目")
    assert (hub.lat, hub.lng) == (hall.lat, hall.lng)
    codes = {by_id[t].program for t in _out(cat, hub.id, "implements")}
    assert codes == {"1-ni", "5"}
    assert "musashimurayama.area.all" in _out(cat, hub.id, "covers")


# ------------------------------------------------------------------------------------------ 新規 / 移行
def test_new_jigyo_are_planned(cat, doc):
    new = re.findall(r"^\(\d\) (.+?)\s*【新規】$", doc, re.M)
    assert new == ["参加支援事業", "アウトリーチ等を通じた継続的支援事業", "多機関協働事業"]
    for name in new:
        prog = _named(cat, name, "program")[0]
        assert prog.status == "planned", name
    assert _named(cat, "支援プランの作成", "program")[0].status == "planned"
    # 「生活困窮者支援等のための地域づくり事業については現状実施していない」
    assert "生活困窮者支援等のための地域づくり事業については現状実施していない" in doc
    konkyu = [n for n in cat.nodes if n.kind == "program" and n.program == "3"]
    assert len(konkyu) == 1 and konkyu[0].status == "planned"


def test_ikou_schedule_items(cat, doc):
    sched = doc.split("(1) 主な取組", 1)[1]
    assert "「重層的支援会議」「支援会議」を実施" in sched
    for name in ("重層的支援会議", "支援会議"):
        m = _named(cat, name, "meeting")[0]
        assert m.status == "planned"
        assert "musashimurayama.program.takikan" in _out(cat, m.id, "implements")
    iko = _named(cat, "重層的支援体制整備事業への移行準備事業", "program")[0]
    assert iko.status == "planned" and iko.program == "other"
    # 「令和6年度に「武蔵村山市重層的支援体制整備事業移行準備庁内検討委員会」を設置」
    kento = _named(cat, "武蔵村山市重層的支援体制整備事業移行準備庁内検討委員会", "meeting")[0]
    assert kento.status == "active"


def test_shakyo_commissioned_for_sanka_chiikizukuri_outreach(cat, by_id, doc):
    assert "社会福祉法人武蔵村山市社会福祉協議会へ業務委託を行い" in doc
    shakyo = _named(cat, "社会福祉法人武蔵村山市社会福祉協議会", "agency")[0]
    codes = {e.program for e in cat.edges if e.kind == "commissions" and e.target == shakyo.id}
    assert {"2", "3", "4"} <= codes
    for e in cat.edges:
        if e.kind == "commissions":
            assert e.method == "委託" and by_id[e.source].kind == "municipality"


# ------------------------------------------------------------------------------------------ 地域福祉コーディネーター
def test_shakyo_chiiki_fukushi_coordinators(cat, by_id, doc):
    m = re.search(r"独自に地域福祉コーディネーターを(\d+)名配置", doc)
    assert m
    coords = [n for n in cat.nodes if n.kind == "coordinator" and n.role == "地域福祉コーディネーター"]
    assert len(coords) == 1 and coords[0].count == int(m.group(1))
    c = coords[0]
    assert {by_id[t].name for t in _out(cat, c.id, "affiliated_with")} == {"社会福祉法人武蔵村山市社会福祉協議会"}
    assert _out(cat, c.id, "covers") == ["musashimurayama.area.all"]
    linked = set(_out(cat, c.id, "runs")) | set(_out(cat, c.id, "collaborates"))
    # 「フードバンクやフードパントリーの実施や、ひきこもり家族会の立上げ支援」
    for name, cat_id in [("フードバンク", "food.foodbank"), ("フードパントリー", "food.pantry"),
                         ("ひきこもり家族会", "hikikomori")]:
        assert name in doc
        place = _named(cat, name, "place")[0]
        assert cat_id in place.categories and place.id in linked, name
    implemented = {by_id[t].program for t in _out(cat, c.id, "implements")}
    assert {"2", "3", "4"} <= implemented


def test_seikatsu_shien_coordinator(cat, doc):
    assert "生活支援コーディネーター（地域支え合い推進員）" in doc
    c = _named(cat, "生活支援コーディネーター（地域支え合い推進員）", "coordinator")[0]
    assert c.role == "生活支援コーディネーター" and c.count is None  # the plan gives no number
