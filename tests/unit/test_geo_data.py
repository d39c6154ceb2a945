"""Packaged geography: the extract, 町丁目 points and municipal boundaries (real data only)."""
from __future__ import annotations

import importlib.util
import os
import sys
import zipfile
from pathlib import Path

import pytest
import shapely

from resourcemap.errors import GeocodeError
from resourcemap.geo import (
    Chome,
    boundary,
    chome_by_name,
    chome_units,
    city_point,
    contains,
    load_chome,
    projected,
    split_town,
)
from tests.sources import shared_dir

CODES = ("13206", "11225", "19213", "13223", "13218")
REPO = Path(__file__).resolve().parents[2]
GEO = REPO / "resourcemap" / "geo"
SHARED = shared_dir() / "geo"
# Row counts from ../shared/geo/README.md.
ROWS = {"13206": 147, "13223": 65, "13218": 20, "11225": 93, "19213": 45}


def test_row_counts_match_the_readme() -> None:
    for code, n in ROWS.items():
        assert len(load_chome(code)) == n
    assert len(load_chome()) == sum(ROWS.values())
    assert len(chome_units("19213")) == 44  # one 小字 row: 44 distinct towns


def test_city_accepted_as_name_or_code() -> None:
    assert load_chome("府中市") == load_chome("13206")
    assert load_chome("fuchu") == load_chome("13206")


def test_chome_fields_from_real_rows() -> None:
    c = chome_by_name("府中市", "白糸台三丁目")
    assert c == Chome("13206", "白糸台三丁目", "", 35.666585, 139.516181, "白糸台", 3)
    assert chome_by_name("11225", "大字二本木") == Chome("11225", "大字二本木", "", 35.797215, 139.357993, "二本木", None)
    assert chome_by_name("11225", "二本木").town == "大字二本木"  # 大字 optional
    assert chome_by_name("11225", "大字宮寺").town == "宮寺"
    assert chome_by_name("13223", "緑ヶ丘").town == "緑が丘"
    # the 小字 row is kept in load_chome but units use the plain row
    koaza = [c for c in load_chome("19213") if c.koaza]
    assert [(c.town, c.koaza) for c in koaza] == [("塩山下塩後", "向原")]
    assert chome_by_name("19213", "塩山下塩後").lat == 35.695533


def test_split_town() -> None:
    assert split_town("白糸台三丁目") == ("白糸台", 3)
    assert split_town("大字宮寺") == ("宮寺", None)
    assert split_town("勝沼町勝沼") == ("勝沼町勝沼", None)
    assert split_town("大字熊川二宮") == ("熊川二宮", None)


def test_unknown_chome_lists_candidates() -> None:
    with pytest.raises(GeocodeError) as err:
        chome_by_name("13206", "白糸代三丁目")
    assert "白糸台三丁目" in err.value.candidates
    assert "白糸代三丁目" in str(err.value)


@pytest.mark.parametrize("code", CODES)
def test_every_point_lies_inside_its_boundary(code: str) -> None:
    pts = load_chome(code)
    assert pts and all(contains(code, c.lat, c.lng) for c in pts)


@pytest.mark.parametrize(("code", "kind", "parts"), [
    ("13206", "MultiPolygon", 2), ("11225", "Polygon", 1), ("19213", "MultiPolygon", 3),
    ("13223", "Polygon", 1), ("13218", "MultiPolygon", 1),
])
def test_boundaries_are_valid_after_make_valid(code: str, kind: str, parts: int) -> None:
    g = boundary(code)
    assert g.is_valid and g.geom_type == kind
    assert len(getattr(g, "geoms", [g])) == parts
    minx, miny, maxx, maxy = g.bounds
    assert 138 < minx < maxx < 140 and 35 < miny < maxy < 36


def test_musashimurayama_keeps_its_real_hole() -> None:
    assert len(boundary("13223").interiors) == 1


def test_points_outside_are_rejected() -> None:
    # 府中市's point is not in 福生市, and vice versa
    assert not contains("13218", 35.669764, 139.477636)
    assert not contains("13206", 35.739898, 139.328326)


def test_city_point() -> None:
    assert city_point("13206") == (35.669764, 139.477636)  # 宮西町二丁目 (市役所)
    assert city_point("武蔵村山市") == (35.753453, 139.38556)  # 本町一丁目 (市役所)
    for code in CODES:
        lat, lng = city_point(code)
        assert contains(code, lat, lng)


def test_projected_crs() -> None:
    assert [projected(c) for c in CODES] == [6677, 6677, 6676, 6677, 6677]


def test_package_never_reads_shared_at_run_time() -> None:
    for path in GEO.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "shared/geo" not in text and "jp_chome_points" not in text, path


def test_notice_carries_both_attribution_lines() -> None:
    notice = (GEO / "data" / "NOTICE.md").read_text(encoding="utf-8")
    assert "「Geolonia 住所データ」（株式会社Geolonia, geolonia/japanese-addresses, CC BY 4.0）を加工して作成" in notice
    assert "出典：「国土数値情報（行政区域データ）」（国土交通省）を加工して作成（niiyz/JapanCityGeoJson 経由）" in notice
    # the national boundaries, with the text ../shared/opendata/README.md gives
    assert "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成（簡素化: smartnews-smri/japan-topography）" in notice


@pytest.mark.skipif(not SHARED.is_dir() and not os.environ.get("CI"), reason="shared geo data not present (CI requires it)")
def test_extract_reproduces_the_packaged_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("extract_geo", REPO / "scripts" / "extract_geo.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["extract_geo"] = mod
    spec.loader.exec_module(mod)
    assert mod.main(["--src", str(SHARED), "--dest", str(tmp_path)]) == 0
    for rel in ["chome_points.csv", "NOTICE.md", "municipalities.csv", *(f"boundaries/{c}.geojson" for c in CODES)]:
        assert (tmp_path / rel).read_bytes() == (GEO / "data" / rel).read_bytes(), rel
    # the national archive: same zips, same members, same bytes (a zip itself may differ with the zlib build)
    zips = sorted(p.name for p in (GEO / "data" / "japan").iterdir())
    assert sorted(p.name for p in (tmp_path / "japan").iterdir()) == zips == [f"{n:02d}.zip" for n in range(1, 48)]
    for name in zips:
        with zipfile.ZipFile(tmp_path / "japan" / name) as built, \
                zipfile.ZipFile(GEO / "data" / "japan" / name) as shipped:
            assert built.namelist() == shipped.namelist()
            for member in built.namelist():
                assert built.read(member) == shipped.read(member), (name, member)
    for code in CODES:
        assert (GEO / "data" / "boundaries" / f"{code}.geojson").read_bytes() == \
            (SHARED / "boundaries" / f"{code}.geojson").read_bytes()


def test_boundary_is_prepared_and_shared() -> None:
    assert boundary("13206") is boundary("府中市")
    assert shapely.is_prepared(boundary("13206"))
