"""Bulk import/export: the municipality's spreadsheet (Japanese headers), GeoJSON, GeoPackage.

Dry runs report every error with its row and column; a real run is all or nothing; an export
read back changes nothing.
"""
from __future__ import annotations

import json

import pyogrio
import pytest

from resourcemap.geo import load_chome
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.io import ImportFailed, export_bytes, import_file
from resourcemap.io.export import GPKG_LAYER


@pytest.fixture
def store(seeded_copy):
    s = SQLiteStore(seeded_copy, create=False)
    yield s
    s.close()


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def _areas(store, city="13206"):
    return [n for n in store.query_nodes() if n.kind == "area" and n.city == city]


def test_japanese_spreadsheet_creates_resources(store):
    c = load_chome("13206")[3]
    area = _areas(store)[0]
    data = _csv("名称,種別,市区町村,所在町丁目,分類,対象分野,対象年齢下限,開設日時,福祉エリア,確認日,新規受入",
                f"みんなの食堂,居場所,府中市,{c.town},こども食堂,子ども・子育て,6,毎月 第2土 11:00〜14:00,{area.name},令和7年4月1日,はい",
                'まちの縁側,場,府中,,居場所,高齢,,"WEEKLY MO,WE 10:00-15:00",,2025/04/01,×')
    before = store.revision()
    report = import_file(store, data, name="shiryo.csv", dry_run=False, actor="tester")
    assert report["ok"] and report["summary"]["create"] == 2, report["errors"]
    rows = {r["name"]: r for r in report["rows"]}
    made = store.get_node(rows["みんなの食堂"]["id"])
    assert (made.lat, made.lng, made.location_precision) == (c.lat, c.lng, "chome")  # the real 町丁目 point
    assert made.kind == "place" and made.city == "13206" and made.area_id == area.id
    assert made.targets.fields == ["子ども"] and made.targets.age_min == 6 and made.accepting_new is True
    assert made.schedules[0].freq == "MONTHLY" and made.schedules[0].byday == "2SA"
    assert str(made.verified_at) == "2025-04-01" and made.source == "import:shiryo.csv"
    other = store.get_node(rows["まちの縁側"]["id"])
    assert other.location_precision == "none" and other.accepting_new is False
    assert [ch.actor for ch in store.changes(since=before)] == ["tester", "tester"]


def test_dry_run_reports_every_error_with_row_and_column(store):
    data = _csv("名称,種別,市区町村,緯度,経度,分類,法定事業区分,ふしぎな列",
                "正しい行,拠点,府中市,,,相談,,",
                "範囲外,拠点,府中市,35.0,139.0,相談,,",
                "分類なし,拠点,府中市,,,ぜんぜんない分類,,",
                ",拠点,府中市,,,相談,9-z,",
                "年齢,居場所,府中市,abc,,居場所,,")
    before = store.revision()
    report = import_file(store, data, name="bad.csv", dry_run=True)
    assert not report["ok"] and store.revision() == before
    where = {(e["row"], e["column"]) for e in report["errors"]}
    assert (1, "ふしぎな列") in where          # unknown header, row 1
    assert (3, "緯度") in where                 # outside 府中市
    assert (4, "分類") in where                 # unknown category
    assert (5, "法定事業区分") in where         # unknown program code
    assert (6, "緯度") in where                 # not a number
    assert {r["row"]: r["action"] for r in report["rows"]}[2] == "create"
    assert all(e["message"] for e in report["errors"])


def test_real_import_with_one_bad_row_writes_nothing(store):
    good = load_chome("13206")[0]
    data = _csv("名称,種別,市区町村,緯度,経度,分類",
                f"よい行,拠点,府中市,{good.lat},{good.lng},相談",
                "わるい行,拠点,府中市,35.0,139.0,相談")
    before = (store.revision(), store.count_nodes())
    with pytest.raises(ImportFailed) as info:
        import_file(store, data, name="x.csv", dry_run=False)
    assert (store.revision(), store.count_nodes()) == before
    assert info.value.report["errors"][0]["row"] == 3


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_export_then_import_changes_nothing(store, fmt):
    data = export_bytes(store, fmt)
    report = import_file(store, data, name=f"export.{fmt}", dry_run=True)
    assert report["ok"], report["errors"][:3]
    assert report["summary"]["unchanged"] == store.count_nodes()
    assert report["summary"]["create"] == report["summary"]["update"] == 0


def test_csv_round_trip_carries_an_edit_and_detects_a_stale_version(store):
    text = export_bytes(store, "csv").decode("utf-8-sig")
    lines = text.splitlines()
    header, row = lines[0], next(line for line in lines[1:] if line.startswith("fuchu.city,"))
    edited = row.replace("府中市宮西町2丁目24番地", "府中市宮西町2丁目24番地（本庁舎）")
    report = import_file(store, _csv(header, edited, encoding="cp932"), name="edit.csv", dry_run=False)  # Shift_JIS
    assert report["summary"]["update"] == 1
    assert report["rows"][0]["changes"] == {"address": {"before": "府中市宮西町2丁目24番地",
                                                        "after": "府中市宮西町2丁目24番地（本庁舎）"}}
    stale = import_file(store, _csv(header, row), name="old.csv", dry_run=True)  # the version column is now old
    assert not stale["ok"] and stale["errors"][0]["column"].startswith("版")


def test_geojson_import_reads_point_geometry(store):
    c = load_chome("13206")[10]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lng, c.lat]},
         "properties": {"name": "公園のサロン", "kind": "place", "city": "13206", "categories": ["ibasho"],
                        "targets": {"fields": ["高齢"], "age_min": 65}}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
         "properties": {"name": "線", "kind": "place", "city": "13206"}}]}
    report = import_file(store, json.dumps(doc).encode(), name="x.geojson", dry_run=True)
    assert [e["column"] for e in report["errors"]] == ["geometry"] and report["errors"][0]["row"] == 2
    assert report["rows"][0]["action"] == "create"


def test_gpkg_export_opens_with_gdal(store, tmp_path):
    path = tmp_path / "catalogue.gpkg"
    path.write_bytes(export_bytes(store, "gpkg"))
    layers = pyogrio.list_layers(path)
    assert [name for name, _ in layers] == [GPKG_LAYER] and layers[0][1] == "Point"
    info = pyogrio.read_info(path, layer=GPKG_LAYER)
    assert info["crs"] == "EPSG:4326"
    assert info["features"] == store.count_nodes()
    frame = pyogrio.read_dataframe(path, layer=GPKG_LAYER)
    located = {n.id: n for n in store.query_nodes() if n.located}
    sample = frame[frame["id"].isin(located)].iloc[0]
    node = located[sample["id"]]
    assert (sample.geometry.x, sample.geometry.y) == pytest.approx((node.lng, node.lat))
    assert frame["geometry"].isna().sum() == store.count_nodes() - len(located)


def test_export_via_api_and_import_report_via_api(api):
    c = api.client
    r = c.get("/v1/export?format=geojson&city=府中市", headers=api.auth("viewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    assert "attachment" in r.headers["content-disposition"]
    assert all(f["properties"]["city"] == "13206" for f in r.json()["features"])
    bad = c.post("/v1/import?dry_run=false", content=_csv("名称,種別,市区町村", "x,ふしぎ,府中市"),
                 headers=api.auth("editor", **{"content-type": "text/csv"}))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["row"] == 2 and bad.json()["errors"][0]["column"] == "種別"
    up = c.post("/v1/import?dry_run=true", files={"file": ("list.csv", _csv("名称,種別,市区町村", "新しい場,居場所,府中市"))},
                headers=api.auth("editor"))
    assert up.status_code == 200 and up.json()["summary"]["create"] == 1 and up.json()["file"] == "list.csv"
    assert c.post("/v1/import", content=b"", headers=api.auth("editor")).status_code == 422


@pytest.mark.parametrize("body,ctype", [
    (b"[" * 100_000 + b"]" * 100_000, "application/json"),       # absurd nesting
    (b'{"type": "FeatureCollection", "features": [1, "x", null]}', "application/geo+json"),
    (b"\x00\x01\x02\xff\xfe", "text/csv"),                       # not text at all
    ('名称,種別\n"unterminated'.encode(), "text/csv"),
    (b'[{"id": 1}]', "application/json"),                          # HSDS of the wrong shape
])
def test_hostile_import_bodies_are_422_never_500(api, body, ctype):
    r = api.client.post("/v1/import?dry_run=true", content=body, headers=api.auth("editor", **{"content-type": ctype}))
    assert r.status_code in (200, 422), r.text[:300]
    assert r.headers["content-type"].startswith(("application/json", "application/problem+json"))
