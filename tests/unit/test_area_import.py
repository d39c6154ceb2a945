"""A municipality's own 圏域 table (区域名, 階層, 町丁目) → areas: ranges, 表記ゆれ, 町丁目 in two areas
or in none — each reported by row — and a real import that replaces the areas of its level once.

瑞穂町 (13303) is small enough to write whole tables by hand: 22 町丁目, 大字 names (大字箱根ケ崎),
numbered ones (長岡一〜四丁目, 南平一・二丁目, むさし野一〜三丁目).
"""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resourcemap.catalogue import build_catalogue
from resourcemap.cli import main
from resourcemap.geo import area_polygons, chome_units
from resourcemap.geo.boundaries import boundary_projected, to_projected
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.io.areas import expand_chome, import_areas, plan_areas
from tests.conftest import copy_catalogue

CODE = "13303"
TOWNS = [u.town for u in chome_units(CODE)]
LEVEL = "日常生活圏域"
GOOD = """区域名,階層,町丁目
東部,日常生活圏域,"大字二本木、富士山栗原新田、武蔵"
東部,,殿ヶ谷
西部,日常生活圏域,大字石畑・箱根ヶ崎
西部,日常生活圏域,長岡1～4丁目
西部,日常生活圏域,長岡長谷部 箱根ケ崎東松原 箱根が崎西松原 駒形富士山 高根
北部,日常生活圏域,"むさし野１・２・３丁目、長岡藤橋、長岡下師岡"
北部,日常生活圏域,南平全域
"""


@pytest.fixture(scope="module")
def mizuho_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("areas") / "mizuho.db"
    store = SQLiteStore(path)
    build_catalogue(store, None, cities=[CODE])
    store.close()
    return path


@pytest.fixture
def store(mizuho_db, tmp_path):
    s = SQLiteStore(copy_catalogue(mizuho_db, tmp_path / "c.db"))
    yield s
    s.close()


def _areas(store, level: str = LEVEL) -> dict[str, list[str]]:
    return {n.name: n.chome for n in store.query_nodes(NodeQuery(kind="area", city=CODE)) if n.level == level}


@pytest.mark.parametrize(("cell", "towns"), [
    ("長岡1～4丁目", ["長岡一丁目", "長岡二丁目", "長岡三丁目", "長岡四丁目"]),
    ("長岡一丁目～三丁目", ["長岡一丁目", "長岡二丁目", "長岡三丁目"]),
    ("長岡２-３", ["長岡二丁目", "長岡三丁目"]),
    ("むさし野1・3丁目", ["むさし野一丁目", "むさし野三丁目"]),
    ("むさし野1、2丁目", ["むさし野一丁目", "むさし野二丁目"]),
    ("南平", ["南平一丁目", "南平二丁目"]),
    ("南平（全域）", ["南平一丁目", "南平二丁目"]),
    ("箱根ヶ崎 大字殿ケ谷", ["大字箱根ケ崎", "大字殿ケ谷"]),
    ("箱根が崎東松原", ["箱根ケ崎東松原"]),
])
def test_cells_with_ranges_and_spelling_variants(cell: str, towns: list[str]) -> None:
    assert expand_chome(CODE, cell) == (towns, [])


def test_unknown_name_is_reported_with_candidates() -> None:
    found, problems = expand_chome(CODE, "長岡9丁目、箱根ヶ先")
    assert found == [] and len(problems) == 2
    assert "長岡一丁目" in problems[0] and "箱根ケ崎" in problems[1]


def test_clean_table_imports_once(store) -> None:
    before = store.revision()
    dry = import_areas(store, GOOD.encode(), name="areas.csv", city=CODE, dry_run=True)
    assert (dry["added"], dry["changed"], dry["unchanged"], dry["inactivated"], dry["errors"]) == (3, 0, 0, 0, [])
    assert store.revision() == before and _areas(store) == {}
    real = import_areas(store, GOOD.encode(), name="areas.csv", city="瑞穂町", dry_run=False)
    assert real["ok"] and real["added"] == 3
    got = _areas(store)
    assert sorted(t for ts in got.values() for t in ts) == sorted(TOWNS)
    assert got["西部"] == ["大字石畑", "大字箱根ケ崎", "大字長岡長谷部", "大字駒形富士山", "大字高根", "長岡一丁目",
                         "長岡二丁目", "長岡三丁目", "長岡四丁目", "箱根ケ崎西松原", "箱根ケ崎東松原"]
    # polygons: the dissolved 町丁目 cells cover the municipality exactly
    polys = [to_projected(CODE, p) for p in area_polygons(CODE, got).values()]
    bnd = boundary_projected(CODE)
    assert shapely.union_all(polys, grid_size=0.001).symmetric_difference(bnd).area / bnd.area < 1e-6
    # the provisional 町・大字 areas stay; the municipality's primary level is now the table's
    assert len(_areas(store, "町・大字")) == len({u.base for u in chome_units(CODE)}) == 16
    assert store.get_node(f"{CODE}.city").primary_area_level == LEVEL
    again = import_areas(store, GOOD.encode(), name="areas.csv", city=CODE, dry_run=False)
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 3)


def test_new_table_replaces_the_level(store) -> None:
    import_areas(store, GOOD.encode(), name="a.csv", city=CODE, dry_run=False)
    ids = {n.name: n.id for n in store.query_nodes(NodeQuery(kind="area", city=CODE)) if n.level == LEVEL}
    table = "区域名,階層,町丁目\n西部,日常生活圏域,大字石畑\n中部,日常生活圏域," + "、".join(t for t in TOWNS if t != "大字石畑") + "\n"
    r = import_areas(store, table.encode(), name="b.csv", city=CODE, dry_run=False)
    assert (r["added"], r["changed"], r["unchanged"], r["inactivated"]) == (1, 1, 0, 2)
    now = {n.name: n for n in store.query_nodes(NodeQuery(kind="area", city=CODE)) if n.level == LEVEL}
    assert set(now) == {"西部", "中部"} and now["西部"].id == ids["西部"] and now["西部"].chome == ["大字石畑"]


def test_two_areas_and_no_area_are_reported_by_row(store) -> None:
    bad = GOOD.replace("北部,日常生活圏域,南平全域", "北部,日常生活圏域,南平1丁目、大字武蔵") + "南部,日常生活圏域,長岡9丁目\n"
    before = store.revision()
    r = import_areas(store, bad.encode(), name="bad.csv", city=CODE, dry_run=False)
    assert not r["ok"] and r["added"] == 0 and store.revision() == before
    errs = sorted(r["errors"], key=lambda e: (e["row"] is None, e["row"] or 0))
    assert [(e["row"], e["column"]) for e in errs] == [(8, "町丁目"), (9, "町丁目"), (None, "町丁目")]
    assert "大字武蔵" in errs[0]["message"] and "東部" in errs[0]["message"] and "2 行目" in errs[0]["message"]
    assert "長岡9丁目" in errs[1]["message"]
    assert "南平二丁目" in errs[2]["message"] and "どの区域にも入っていません" in errs[2]["message"]


def test_excel_with_merged_area_cells(store, tmp_path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["圏域名", "区分", "町名"])
    for i, (area, level, cell) in enumerate(r.split(",", 2) for r in GOOD.replace('"', "").splitlines()[1:]):
        sheet.append([area if i in (0, 2, 5) else None, level or None, cell])  # merged cells read as empty
    path = tmp_path / "areas.xlsx"
    book.save(path)
    r = import_areas(store, path.read_bytes(), name=path.name, city=CODE, dry_run=False)
    assert r["ok"], r["errors"]
    assert sorted(_areas(store)) == ["北部", "東部", "西部"]


def test_cli_prints_the_contract_summary(mizuho_db, tmp_path) -> None:
    db = copy_catalogue(mizuho_db, tmp_path / "cli.db")
    table = tmp_path / "areas.csv"
    table.write_text(GOOD, encoding="utf-8")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["--db", str(db), "--json", "import", "--format", "areas", str(table), "--city", CODE]) == 0
    out = json.loads(buf.getvalue())
    assert {k: out[k] for k in ("added", "changed", "unchanged", "inactivated", "errors")} == \
        {"added": 3, "changed": 0, "unchanged": 0, "inactivated": 0, "errors": []}
    with pytest.raises(SystemExit):  # --format is checked against the importer table
        main(["--db", str(db), "import", "--format", "nonsense", str(table)])


def test_a_seed_level_is_replaced_keeping_ids_and_edges(seeded_copy) -> None:
    """府中市's provisional 福祉エリア (seed) replaced by a table naming the same 11 areas."""
    store = SQLiteStore(seeded_copy)
    try:
        areas = [n for n in store.query_nodes(NodeQuery(kind="area", city="13206")) if n.level == "福祉エリア"]
        edges_before = {a.id: len(store.query_edges(target=a.id)) for a in areas}
        moved = areas[0].chome[-1]
        rows = [f"{a.name.removesuffix('福祉エリア')},福祉エリア,{'、'.join(c for c in a.chome if c != moved)}" for a in areas]
        rows[1] += f"、{moved}"
        r = import_areas(store, ("区域名,階層,町丁目\n" + "\n".join(rows)).encode(), name="fuchu.csv", city="府中市",
                         dry_run=False)
        assert (r["added"], r["changed"], r["inactivated"]) == (0, 11, 0), r["errors"]
        after = {n.id: n for n in store.query_nodes(NodeQuery(kind="area", city="13206")) if n.level == "福祉エリア"}
        assert set(after) == set(edges_before) and all(n.membership == "municipality" for n in after.values())
        assert moved in after[areas[1].id].chome and moved not in after[areas[0].id].chome
        assert {a: len(store.query_edges(target=a)) for a in after} == edges_before
    finally:
        store.close()


# -- property: the plan equals the partition the table describes (brute-force oracle) ----------
_CHOME_NUMBER = re.compile(r"([一二三四])丁目$")


def _spell(town: str, how: int) -> str:
    """One of the ways a person writes *town*: as in the data, without 大字, digits, full-width digits and ヶ."""
    if how == 1:
        return town.removeprefix("大字")
    if how == 2:
        return _CHOME_NUMBER.sub(lambda m: f"{'一二三四'.index(m.group(1)) + 1}丁目", town)
    if how == 3:
        return _CHOME_NUMBER.sub(lambda m: f"{'１２３４'['一二三四'.index(m.group(1))]}丁目", town).replace("ケ", "ヶ")
    return town


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(owner=st.lists(st.integers(0, 3), min_size=len(TOWNS), max_size=len(TOWNS)),
       spelling=st.lists(st.integers(0, 3), min_size=len(TOWNS), max_size=len(TOWNS)),
       drop=st.one_of(st.none(), st.integers(0, len(TOWNS) - 1)),
       dup=st.one_of(st.none(), st.integers(0, len(TOWNS) - 1)))
def test_plan_matches_the_table_or_reports_exactly_the_faults(store, owner, spelling, drop, dup) -> None:
    names = [f"区域{k}" for k in range(4)]
    lines = ["区域名,階層,町丁目"]
    where: dict[str, int] = {}
    for i, (town, k) in enumerate(zip(TOWNS, owner)):
        if i == drop:
            continue
        lines.append(f"{names[k]},{LEVEL},{_spell(town, spelling[i])}")
        where[town] = len(lines)
    if dup is not None and dup != drop:
        other = (owner[dup] + 1) % 4
        lines.append(f"{names[other]},{LEVEL},{TOWNS[dup]}")
    plan = plan_areas(store, CODE, "\n".join(lines).encode(), name="p.csv")
    expected_errors = []
    if dup is not None and dup != drop:
        expected_errors.append((len(lines), TOWNS[dup]))
    if drop is not None:
        expected_errors.append((None, TOWNS[drop]))
    got = [(e["row"], next(t for t in TOWNS if t in e["message"])) for e in plan.errors]
    assert sorted(got, key=str) == sorted(expected_errors, key=str)
    if not expected_errors:
        want = {names[k]: [t for t, o in zip(TOWNS, owner) if o == k] for k in set(owner)}
        assert {d["name"]: d["chome"] for d in plan.creates} == want
