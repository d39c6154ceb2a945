"""seeds/fussa.yaml against its document, 福生市 資料7「重層的支援体制整備事業の実施について」.

Why this file matters: 福生市 has NO 地域福祉コーディネーター yet — the material says so in
so many words — and the catalogue must let the system show that gap instead of hiding it
behind an invented coordinator. The schedule (移行準備事業 令和5〜7年度, 実施 令和8年度) is read
from the material and must appear as planned 事業.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from resourcemap.geo import boundaries, load_chome
from resourcemap.seeds import check_edges
from tests.seedgraph import out_targets as _out
from tests.sources import source_path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "fussa.yaml"
DOC_NAME = "002_d961123e1ec6af47.txt"
DOC_PATH = source_path(DOC_NAME)
CITY = "13218"
NO_COORDINATOR = "地域福祉コーディネーターの養成及び配置を行っていない。"
PILLAR_CODE = {"②": "2", "③": "3", "④": "5", "⑤": "4"}  # the material's own numbering (④ 多機関協働, ⑤ アウトリーチ)
FIELD_CODE = {"介護": "1-i", "障害": "1-ro", "子育て": "1-ha", "生活困窮": "1-ni"}


def _schedule(doc: str) -> dict[str, list[str]]:
    """＜5 実施スケジュール＞ table: 年度 → the pillars 「■実施：【①…】…」 of that year."""
    text = doc.split("年度 内 容", 1)[1]
    out: dict[str, list[str]] = {}
    for m in re.finditer(r"(令和[５-８]年度)(.*?)(?=令和[５-８]年度|$)", text, re.S):
        out.setdefault(m.group(1), []).extend(re.findall(r"【([①-⑤][^】]+)】", m.group(2)))
    return out


# ------------------------------------------------------------------------------------------ basics
def test_file_loads_and_edges_fit_rules(cat):
    assert cat.city == CITY and cat.document == DOC_NAME
    check_edges(cat.nodes, cat.edges, label=str(SEED))
    ids = {n.id for n in cat.nodes}
    for e in cat.edges:
        assert e.source in ids and e.target in ids, e
        assert e.cite and e.cite.startswith(DOC_NAME + "#"), e


def test_every_node_cites_a_heading_of_the_material(cat, doc):
    headings = {unicodedata.normalize("NFKC", m.group(1)) for m in re.finditer(r"＜(\d)", doc)}  # ＜４ …＞
    assert headings == {"1", "2", "3", "4", "5"}
    for n in cat.nodes:
        assert n.city == CITY and n.id.startswith("fussa."), n.id
        assert n.source.startswith(DOC_NAME + "#"), (n.id, n.source)
        assert n.source.split("#", 1)[1][0] in headings, (n.id, n.source)


def test_placement_is_city_precision_only(cat, doc):
    """The material gives no 市役所 address and no 町丁目: nothing may be placed more precisely than the city."""
    assert "福生市役所" not in doc and not re.search(r"福生市[^\s、。]*丁目", doc)
    for n in cat.nodes:
        if n.located:
            assert n.location_precision in {"city", "area"}, (n.id, n.location_precision)
            assert boundaries.contains(CITY, n.lat, n.lng), n.id
        else:
            assert n.location_precision == "none"
    assert not [n for n in cat.nodes if n.kind == "department"]  # none is named


def test_one_city_wide_area(cat, by_id):
    areas = [n for n in cat.nodes if n.kind == "area"]
    assert len(areas) == 1 and areas[0].level == "市全域" and areas[0].membership == "document"
    assert set(areas[0].chome) == {c.town for c in load_chome(CITY)}
    assert _out(cat, areas[0].id, "part_of") == ["fussa.city"]
    city = by_id["fussa.city"]
    assert city.name == "福生市" and city.pref == "東京都" and city.location_precision == "city"


def test_resources_have_categories(cat):
    for n in cat.nodes:
        if n.kind in {"agency", "hub", "place", "subsidy_group"}:
            assert n.categories, n.id


# ------------------------------------------------------------------------------------------ the gap
def test_no_chiiki_fukushi_coordinator(cat, doc):
    """「地域福祉コーディネーターの養成及び配置を行っていない。」 (＜4 市における現状と課題＞【現状】)."""
    assert NO_COORDINATOR in doc
    assert not [n for n in cat.nodes if n.kind == "coordinator"]
    area_ids = {n.id for n in cat.nodes if n.kind == "area"} | {"fussa.city"}
    kinds = {n.id: n.kind for n in cat.nodes}
    covering = [e for e in cat.edges if e.kind == "covers" and e.target in area_ids]
    assert all(kinds[e.source] != "coordinator" for e in covering)
    for n in cat.nodes:
        assert n.role is None, n.id
        if "地域福祉コーディネーター" in n.name:
            pytest.fail(f"{n.id} names a 地域福祉コーディネーター that the material says does not exist")


# ------------------------------------------------------------------------------------------ current state
def test_existing_soudan_madoguchi_per_field(cat, doc):
    m = re.search(r"■ (.+?)の各分野別の相談窓口・相談機関で福祉に係る相談を受け止めて", doc)
    assert m
    fields = m.group(1).split("、")
    assert fields == ["介護", "障害", "子育て", "生活困窮"]
    for f in fields:
        hubs = [n for n in cat.nodes if n.kind == "hub" and n.name.startswith(f + "分野")]
        assert len(hubs) == 1, f
        hub = hubs[0]
        assert hub.status == "active" and hub.program == FIELD_CODE[f] and hub.count is None
        progs = [n for n in cat.nodes if n.id in _out(cat, hub.id, "implements")]
        assert [p.program for p in progs] == [FIELD_CODE[f]] and progs[0].status == "active"
    # 「他の相談窓口・相談機関と連携しながら対応している」
    hubs = [n.id for n in cat.nodes if n.kind == "hub"]
    pairs = {frozenset((e.source, e.target)) for e in cat.edges if e.kind == "collaborates"}
    assert len(pairs) == len(hubs) * (len(hubs) - 1) // 2


# ------------------------------------------------------------------------------------------ schedule
def test_schedule_parses(doc):
    s = _schedule(doc)
    assert s["令和５年度"] == ["①包括的相談支援事業"]
    assert [p[0] for p in s["令和６年度"]] == ["①", "④", "⑤"]
    assert [p[0] for p in s["令和７年度"]] == ["①", "②", "③", "④", "⑤"]
    assert "重層的支援体制整備事業の実施" in doc.split("令和８年度", 1)[1][:40]


def test_schedule_items_are_planned_programs(cat, doc):
    pillars = _schedule(doc)["令和７年度"]
    for p in pillars:
        mark, name = p[0], re.sub(r"\s+", "", p[1:])
        if mark == "①":
            # ①包括的相談支援事業 = the four existing 分野別 相談 (法第106条の4第2項第1号イ〜ニ)
            progs = [n for n in cat.nodes if n.kind == "program" and n.name.startswith(name)]
            assert sorted(n.program for n in progs) == sorted(FIELD_CODE.values())
            continue
        progs = [n for n in cat.nodes if n.kind == "program" and n.name == name]
        assert len(progs) == 1, name
        assert progs[0].status == "planned" and progs[0].program == PILLAR_CODE[mark], name
    iko = [n for n in cat.nodes if n.name == "重層的支援体制整備事業移行準備事業"]
    assert "「重層的支援体制整備事業移行準備事業」" in doc
    assert len(iko) == 1 and iko[0].status == "planned" and iko[0].program == "other"
    assert iko[0].source == f"{DOC_NAME}#5"


def test_programs_are_the_citys(cat):
    for n in cat.nodes:
        if n.kind == "program":
            assert _out(cat, n.id, "managed_by") == ["fussa.city"], n.id
