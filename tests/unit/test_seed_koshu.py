"""seeds/koshu.yaml against its document, 甲州市重層的支援体制整備事業 実施計画 (001_dd6c62032ee54b81.txt).

Why the tests read the plan itself: the catalogue is a transcription, so the expectations
(拠点設置数, 所管課, 実施方式 and 委託先 of every 事業 row, the three 会議, the 連携先 list) are
parsed from or quoted from the document text, not copied from the YAML.
"""
from __future__ import annotations

import re
from pathlib import Path

from resourcemap.geo import boundaries, load_chome
from resourcemap.seeds import check_edges
from tests.seedgraph import in_sources as _in
from tests.seedgraph import out_targets as _out
from tests.sources import source_path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "koshu.yaml"
DOC_NAME = "001_dd6c62032ee54b81.txt"
DOC_PATH = source_path(DOC_NAME)
CITY = "19213"

# 「実施する事業」 of each table row → 法定事業区分 (the section headings 7(1)…7(5) cite 法第106条の4第2項 第1〜6号).
ROW_CODE = {
    "地域包括支援センター": "1-i",
    "障害者相談支援事業": "1-ro",
    "こども家庭センター": "1-ha",
    "生活困窮者自立相談支援事業": "1-ni",
    "多機関協働事業": "5",
    "アウトリーチ等を通じた継続的支援事業": "4",
    "参加支援事業": "2",
    "地域介護予防活動支援事業": "3-i",
    "生活支援体制整備事業": "3-ro",
    "地域活動支援センター": "3-ha",
    "地域子育て支援拠点事業": "3-ni",
    "生活困窮者等のための地域づくり事業": "3",
}


def _norm(s: str) -> str:
    """The PDF extraction writes 「NPO 法人」; names compare without blanks."""
    return re.sub(r"\s+", "", s)


def _named(cat, name: str, kind: str | None = None):
    hits = [n for n in cat.nodes if _norm(n.name) == _norm(name) and (kind is None or n.kind == kind)]
    assert hits, f"no node named {name!r}" + (f" of kind {kind}" if kind else "")
    return hits


def _rows(doc: str) -> list[dict]:
    """The 事業 tables of section 7: one dict per row (実施する事業, 拠点設置数, 所管課, 実施方式)."""
    rows: list[dict] = []
    cur: list[str] | None = None
    for line in doc.splitlines() + [""]:
        m = re.match(r"^[^\t]*\t(・.*?)\t(\d+)\t(.*)$", line)
        if m:
            if cur:
                rows.append(cur)
            cur = [line]
        elif cur is not None and line.startswith("\t\t\t"):
            cur.append(line)
        elif cur is not None and line.strip():
            rows.append(cur)
            cur = None
    out = []
    for block in rows:
        text = " ".join(block)
        m = re.match(r"^[^\t]*\t(・.*?)\t(\d+)\t", block[0])
        jigyo = m.group(1).split("・")[-1].strip()
        dept = re.search(r"【所管課】([^<【\s]+)", text).group(1)
        method = re.search(r"【実施方式】(.+?)(?:</p>|$)", text).group(1).strip()
        out.append({"jigyo": jigyo, "count": int(m.group(2)), "depts": dept.split("・"), "method": method})
    return out


# ------------------------------------------------------------------------------------------ basics
def test_file_loads_and_edges_fit_rules(cat):
    assert cat.city == CITY
    assert cat.document == DOC_NAME
    check_edges(cat.nodes, cat.edges, label=str(SEED))
    ids = {n.id for n in cat.nodes}
    for e in cat.edges:
        assert e.source in ids and e.target in ids, e
        assert e.cite and e.cite.startswith(DOC_NAME + "#"), e


def test_every_node_cites_a_section_of_the_plan(cat, doc):
    headings = {m.group(1) for m in re.finditer(r"^(\d+) ", doc, re.M)}
    for n in cat.nodes:
        assert n.city == CITY
        assert n.source.startswith(DOC_NAME + "#"), (n.id, n.source)
        section = n.source.split("#", 1)[1]
        assert re.match(r"\d+", section).group(0) in headings, (n.id, section)
        assert n.id.startswith("koshu."), n.id


def test_located_nodes_lie_in_koshu_and_are_never_more_precise_than_the_plan(cat):
    located = [n for n in cat.nodes if n.located]
    assert located
    for n in located:
        assert n.location_precision in {"city", "area"}, (n.id, n.location_precision)  # the plan gives no address
        assert boundaries.contains(CITY, n.lat, n.lng), n.id
    for n in cat.nodes:
        if not n.located:
            assert n.location_precision == "none"


def test_one_city_wide_area_holding_every_chome(cat, by_id):
    areas = [n for n in cat.nodes if n.kind == "area"]
    assert len(areas) == 1
    area = areas[0]
    assert area.level == "市全域" and area.membership == "document"
    assert set(area.chome) == {c.town for c in load_chome(CITY)}
    assert "koshu.city" in _out(cat, area.id, "part_of")
    city = by_id["koshu.city"]
    assert city.kind == "municipality" and city.name == "甲州市" and city.pref == "山梨県"


def test_resources_have_categories(cat):
    for n in cat.nodes:
        if n.kind in {"agency", "hub", "place", "subsidy_group"}:
            assert n.categories, n.id


# ------------------------------------------------------------------------------------------ 事業 tables
def test_document_tables_parse(doc):
    rows = _rows(doc)
    assert [r["jigyo"] for r in rows] == list(ROW_CODE)
    assert {r["jigyo"]: r["count"] for r in rows} == {
        "地域包括支援センター": 1, "障害者相談支援事業": 1, "こども家庭センター": 1, "生活困窮者自立相談支援事業": 1,
        "多機関協働事業": 1, "アウトリーチ等を通じた継続的支援事業": 1, "参加支援事業": 1,
        "地域介護予防活動支援事業": 5, "生活支援体制整備事業": 12, "地域活動支援センター": 2,
        "地域子育て支援拠点事業": 4, "生活困窮者等のための地域づくり事業": 1}


def test_kyoten_count_per_jigyo(cat, doc):
    """拠点設置数: the sites carrying each 事業 add up to the table's number (count, or 1 when named)."""
    for row in _rows(doc):
        code = ROW_CODE[row["jigyo"]]
        sites = [n for n in cat.nodes if n.program == code
                 and (n.kind in {"hub", "place"} or (n.kind in {"agency", "meeting"} and n.count is not None))]
        assert sites, row["jigyo"]
        assert sum(n.count or 1 for n in sites) == row["count"], (row["jigyo"], [(n.id, n.count) for n in sites])
        program_ids = {n.id for n in cat.nodes if n.kind == "program" and n.program == code}
        for s in sites:
            assert set(_out(cat, s.id, "implements")) & program_ids, f"{s.id} does not implement {code}"


def test_every_jigyo_has_code_dept_and_method(cat, by_id, doc):
    for row in _rows(doc):
        code = ROW_CODE[row["jigyo"]]
        progs = [n for n in cat.nodes if n.kind == "program" and n.program == code]
        assert len(progs) == 1, (code, [p.id for p in progs])
        prog = progs[0]
        depts = {by_id[t].name for t in _out(cat, prog.id, "managed_by")}
        assert depts == set(row["depts"]), (row["jigyo"], depts, row["depts"])
        for d in _out(cat, prog.id, "managed_by"):
            assert by_id[d].kind == "department" and "koshu.city" in _out(cat, d, "part_of")
        method = row["method"]
        assert prog.method == ("委託" if method.startswith("委託") else method), (row["jigyo"], prog.method)


def test_commissions_follow_the_jissi_houshiki(cat, by_id, doc):
    """委託先 named in 【実施方式】 are exactly the agencies the 所管課 commissions for that 事業."""
    for row in _rows(doc):
        code = ROW_CODE[row["jigyo"]]
        edges = [e for e in cat.edges if e.kind == "commissions" and e.program == code]
        names = {_norm(by_id[e.target].name) for e in edges}
        method = row["method"]
        if not method.startswith("委託"):
            assert not edges, code
            continue
        if "（" in method:  # 地域子育て支援拠点事業: 「拠点名（法人名）」 pairs
            expected = {_norm(m) for m in re.findall(r"（([^）]+)）", method)}
        else:
            expected = {_norm(x) for x in method.split("：", 1)[1].split("、")}
        assert names == expected, (code, names, expected)
        for e in edges:
            assert by_id[e.source].name in row["depts"] and e.method == "委託"


def test_kosodate_kyoten_by_name_with_their_hojin(cat, doc):
    method = next(r["method"] for r in _rows(doc) if r["jigyo"] == "地域子育て支援拠点事業")
    pairs = re.findall(r"(\S+?)（([^）]+)）", method.replace("委託 ", ""))
    assert [p[0] for p in pairs] == ["こすもす・こども館", "ちゅうりっぷクラブ", "のびのびチビッコひろば", "あっぷつぶ"]
    for site, hojin in pairs:
        hub = _named(cat, site, "hub")[0]
        assert hub.program == "3-ni" and "kosodate" in hub.categories and hub.targets.fields == ["子ども"]
        operators = {_norm(n.name) for n in cat.nodes if n.id in _in(cat, hub.id, "operates")}
        assert operators == {_norm(hojin)}, (site, operators)


def test_chiiki_katsudo_shien_center_two_sites_two_operators(cat):
    hub = [n for n in cat.nodes if n.kind == "hub" and n.program == "3-ha"]
    assert len(hub) == 1 and hub[0].count == 2 and "creative" in hub[0].categories
    ops = {_norm(n.name) for n in cat.nodes if n.id in _in(cat, hub[0].id, "operates")}
    assert ops == {"社会福祉法人ぶどうの里", "NPO法人もみの樹園"}


def test_kayoi_no_ba_is_one_count_node_subsidised(cat, by_id):
    places = [n for n in cat.nodes if n.kind == "place" and n.program == "3-i"]
    assert len(places) == 1 and places[0].count == 5 and "kayoi" in places[0].categories
    assert places[0].targets.age_min == 65  # 「65歳以上の高齢者等」
    subs = [e for e in cat.edges if e.kind == "subsidizes" and e.program == "3-i"]
    assert subs and all(by_id[e.source].name == "介護支援課" for e in subs)
    assert any(places[0].id in _out(cat, e.target, "operates") for e in subs)


def test_named_sites_of_the_soudan_table(cat):
    anshin = _named(cat, "子ども家庭障害者支援センター", "hub")[0]
    assert anshin.alternate_name == "福祉あんしん相談センター" and anshin.program == "1-ro"
    assert _named(cat, "地域包括支援センター", "hub")[0].program == "1-i"
    kodomo = _named(cat, "こども家庭センター", "hub")[0]
    assert kodomo.program == "1-ha" and kodomo.alternate_name == "子育て世代包括支援センター"
    shakyo = _named(cat, "社会福祉協議会", "agency")[0]
    assert shakyo.id in _in(cat, _named(cat, "地域包括支援センター", "hub")[0].id, "operates")


def test_shienplan_is_part_of_takikan(cat):
    plan = [n for n in cat.nodes if n.kind == "program" and n.program == "6"]
    assert len(plan) == 1
    takikan = [n for n in cat.nodes if n.kind == "program" and n.program == "5"][0]
    assert takikan.id in _out(cat, plan[0].id, "part_of")


# ------------------------------------------------------------------------------------------ 会議
def test_three_meetings_of_section_8(cat, by_id, doc):
    sec8 = doc.split("8 会議の設置", 1)[1].split("9 連携体制の構築", 1)[0]
    names = re.findall(r"^\((\d)\) (.+)$", sec8, re.M)
    assert [n for _, n in names] == ["重層的支援会議", "支援会議", "重層的支援体制整備事業庁内連携委員会"]
    for _, name in names:
        m = _named(cat, name, "meeting")[0]
        assert m.source == f"{DOC_NAME}#8({_})"
    # 重層的支援会議: 「多機関協働機関が開催」
    juso = _named(cat, "重層的支援会議", "meeting")[0]
    assert {by_id[s].name for s in _in(cat, juso.id, "runs")} == {"多機関協働機関"}
    # 庁内連携委員会: 「福祉総合支援課、子育て支援課、介護支援課及び健康増進課の連携を深め」
    m = re.search(r"における(.+?)の連携を深め", sec8)
    expected = set(re.split(r"、|及び", m.group(1)))
    chonai = _named(cat, "重層的支援体制整備事業庁内連携委員会", "meeting")[0]
    assert {by_id[s].name for s in _in(cat, chonai.id, "participates_in")} == expected


# ------------------------------------------------------------------------------------------ 連携先
def test_renkei_list_of_section_9(cat, by_id, doc):
    sec9 = doc.split("9 連携体制の構築", 1)[1].split("10 地域福祉計画との関係", 1)[0]
    items = re.findall(r"^- ・(.+)$", sec9, re.M)
    assert len(items) == 17
    partners = set(_out(cat, "koshu.dept.fukushisogoshien", "collaborates"))
    names = {n.name: n for n in cat.nodes if n.source == f"{DOC_NAME}#9"}
    for item in items:
        for part in re.split(r"、|及び", re.sub(r"等$", "", item)):
            cands = [part, re.sub(r"（.*?）$", "", part)] + re.findall(r"（(.+?)）$", part)
            found = [names[c] for c in cands if c in names]
            assert found, f"連携先 {part!r} has no node"
            assert any(n.id in partners for n in found), part
