"""Gap maps on the seed catalogues: the CLI writes every output; the report names real areas and
categories; 福生市, which has no 地域福祉コーディネーター, shows that gap; unmet counts reach the report."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pyogrio
import pytest

from resourcemap.cli import main
from resourcemap.gaps import GapOptions, analyse
from resourcemap.gaps.profile import DEFAULT_CATEGORIES
from resourcemap.gaps.report import render_report
from resourcemap.geo import chome_units
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.taxonomy import load_taxonomy
from tests.conftest import copy_catalogue

FUCHU_AREAS = ["中央", "白糸台", "西府", "武蔵台", "新町", "住吉", "是政", "紅葉丘", "押立", "四谷", "片町"]


@pytest.fixture(scope="module")
def catalogue(seeded_db, tmp_path_factory) -> Path:
    """A private copy for this module (reading unmet counts creates the matcher's table)."""
    return copy_catalogue(seeded_db, tmp_path_factory.mktemp("gaps") / "catalogue.db")


@pytest.fixture(scope="module")
def rm(catalogue):
    store = SQLiteStore(catalogue)
    yield ReadModel(store, follow=False)
    store.close()


@pytest.fixture(scope="module")
def fuchu_out(catalogue, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuchu_gaps")
    assert main(["--db", str(catalogue), "gaps", "--city", "府中市", "--out", str(out)]) == 0
    return out


def test_cli_writes_map_pngs_geopackage_and_report(fuchu_out):
    tax = load_taxonomy()
    names = {p.name for p in fuchu_out.iterdir()}
    assert {"map.html", "report.html", "gaps.gpkg", "gaps.geojson", "gaps.csv"} <= names
    pngs = sorted(fuchu_out.glob("gap_*.png"))
    assert [p.stem.removeprefix("gap_") for p in pngs] == sorted(DEFAULT_CATEGORIES)
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 20_000
    n_units = len(chome_units("13206"))
    layers = dict(pyogrio.list_layers(fuchu_out / "gaps.gpkg"))
    assert {"gaps", "resources", "candidates"} <= set(layers)
    gaps = pyogrio.read_dataframe(fuchu_out / "gaps.gpkg", layer="gaps")
    assert len(gaps) == n_units * len(DEFAULT_CATEGORIES) and gaps.crs.to_epsg() == 4326
    assert set(gaps["unit_id"]) == {c.town for c in chome_units("13206")}
    assert set(gaps["category"]) == set(DEFAULT_CATEGORIES)
    fc = json.loads((fuchu_out / "gaps.geojson").read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == len(gaps)
    html = (fuchu_out / "map.html").read_text(encoding="utf-8")
    # offline: Leaflet is inlined, nothing is loaded from elsewhere
    assert "Leaflet 1.9.4" in html and "L.control.layers" in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html)
    for cat in DEFAULT_CATEGORIES:
        assert tax.get(cat).label in html


def test_cli_json_summary(catalogue, tmp_path, capsys):
    assert main(["--db", str(catalogue), "--json", "gaps", "--city", "13206", "--category", "通いの場",
                 "--unit", "area", "--threshold", "600", "--site", "2", "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["city_name"] == "府中市" and data["unit"] == "area" and data["units"] == 11
    (cat,) = data["categories"]
    assert cat["id"] == "kayoi" and cat["threshold_m"] == 600 and cat["resources"] >= 11
    assert Path(data["files"]["report"]).exists() and "配置案" in Path(data["files"]["report"]).read_text("utf-8")


def test_report_names_real_areas_and_categories(fuchu_out, rm):
    report = (fuchu_out / "report.html").read_text(encoding="utf-8")
    tax = load_taxonomy()
    area_names = sorted(a.name for a in rm.nodes(kind="area", city="13206"))
    assert len(area_names) == 11
    for short in FUCHU_AREAS:  # REFERENCE.md: the 11 文化センター圏域
        assert f"{short}福祉エリア" in area_names
    matrix = report.split("福祉エリア × 分類")[1].split("</table>")[0]
    for name in area_names:
        assert f"<th>{name}</th>" in matrix
    assert "<th>市全体</th>" in matrix
    for cat in DEFAULT_CATEGORIES:
        assert tax.get(cat).label in report
    assert "東京都府中市" in report and "データの鮮度" in report and "004_50451f3a80e1843a.txt" in report
    # a real 町丁目 of 府中市 appears among the gaps discussed, with candidates from the catalogue
    towns = {c.town for c in chome_units("13206")}
    listed = re.findall(r"<td>([^<]+?)<br><small>", report.split("主な空白（単位別）")[1])
    assert listed and set(listed) <= towns
    assert "文化センター" in report.split("分類ごとの空白と開発候補")[1]


def test_fussa_has_no_coordinator_and_shows_that_gap(rm, catalogue, tmp_path):
    fussa = analyse(rm, "福生市", GapOptions())
    coord = fussa.table[fussa.table["category"] == "coordination"]
    assert len(coord) == len(chome_units("13218")) and coord["gap"].all() and (coord["count_within"] == 0).all()
    assert set(coord["gap_reason"]) == {"no_coordinator"}
    report = render_report(fussa)
    assert "地域福祉コーディネート：担当するコーディネーターが登録されていません" in report
    # contrast: 府中市's 地域福祉コーディネーター, one per 福祉エリア, cover every 町丁目
    fuchu = analyse(rm, "府中市", GapOptions(categories=("coordination",)))
    assert not fuchu.table["gap"].any() and (fuchu.table["count_within"] >= 1).all()
    assert len(fuchu.category("coordination").resources) >= 11
    # the map of 福生市 draws the coordination layer as gaps
    out = tmp_path / "fussa"
    assert main(["--db", str(catalogue), "gaps", "--city", "福生市", "--category", "coordination",
                 "--unit", "mesh500", "--out", str(out)]) == 0
    page = (out / "map.html").read_text("utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="gapmap-data">(.*?)</script>', page, re.S).group(1))
    layer = data["categories"][0]
    assert layer["id"] == "coordination" and layer["gaps"] == len(layer["rows"]) > 0
    assert {r["s"] for r in layer["rows"]} == {"gap"}


def test_unmet_counts_reach_the_table_and_the_report(rm, catalogue):
    unmet = pytest.importorskip("resourcemap.match.unmet")
    from resourcemap.auxdb import AuxDB

    aux = AuxDB(catalogue)
    log = unmet.UnmetLog(aux)
    key = unmet.UnmetKey(city="13206", chome="白糸台三丁目", area_id="fuchu.area.shiraitodai",
                         category="ibasho.youth", age_band="10-19", month="2026-11")
    log.add([key, key, key])
    aux.close()
    result = analyse(rm, "府中市", GapOptions(categories=("ibasho", "kayoi")), aux_path=str(catalogue))
    row = result.table[(result.table["unit_id"] == "白糸台三丁目") & (result.table["category"] == "ibasho")].iloc[0]
    assert row["unmet"] == 3  # ibasho.youth counts toward 居場所
    assert result.table[result.table["category"] == "kayoi"]["unmet"].sum() == 0
    report = render_report(result)
    youth = load_taxonomy().get("ibasho.youth").label  # reports name categories in Japanese (issue 11)
    unmet_section = report.split("マッチングの未充足ニーズ")[1]
    assert youth in unmet_section and "ibasho.youth" not in unmet_section and "2026-11" in report


def test_bad_input_exits_2_with_one_line(catalogue, tmp_path, capsys):
    assert main(["--db", str(catalogue), "gaps", "--city", "大阪市", "--out", str(tmp_path)]) == 2
    assert main(["--db", str(catalogue), "gaps", "--city", "府中市", "--category", "宇宙旅行",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("resourcemap:") for line in err)
